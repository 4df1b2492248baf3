"""A setting out of its range, as an error that knows which settings it names.

The library names its settings by their field (`n_classes`, `held_out`); the command line names the same settings by
its flags (`--classes`, `--held-out`). So that a front end can report a library error in its own words without
rewriting the message by substring, the message is kept as a template with one `{field}` per setting it names:

    >>> e = SettingError("{n_classes} must be >= 2, got 1", "n_classes")
    >>> str(e)
    'n_classes must be >= 2, got 1'
    >>> e.named({"n_classes": "--classes"})
    '--classes must be >= 2, got 1'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class SettingError(ValueError):
    """ValueError whose message names settings through `{field}` placeholders (see the module's docstring).

    Only the placeholders of `fields` are filled, by plain replacement, so a value in the message may hold braces.
    """

    def __init__(self, template: str, *fields: str):
        self.template, self.fields = template, fields
        super().__init__(self.named({}))

    def named(self, names: Mapping[str, str]) -> str:
        """The message with each field written as `names` gives it (the field itself if `names` has none)."""
        text = self.template
        for field in self.fields:
            text = text.replace("{" + field + "}", names.get(field, field))
        return text

    @classmethod
    def joined(cls, errors: Iterable[SettingError]) -> SettingError:
        """Several errors as one, their messages joined by "; "."""
        errors = list(errors)
        fields = tuple(dict.fromkeys(f for e in errors for f in e.fields))
        return cls("; ".join(e.template for e in errors), *fields)
