"""Reading a URL's text into values: each field parsed and clamped to the nearest valid value, with what changed
said in plain words; never raising. `Settings.from_query` calls these."""

from __future__ import annotations

import math

from sphere_toy.core import margins
from sphere_toy.i18n import _, ngettext
from sphere_toy.core.margins import LOSSES
from sphere_toy.safe_text import clip
from sphere_toy.experiment.limits import Limit, MAX_ITEMS


def url_text(v) -> str:
    """Canonical URL text: repr of a float is the shortest string that parses back to the same float."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def describe_limit(limit: Limit) -> str:
    """The allowed values in English, for `problems` (an exception's text, as everywhere in the library)."""
    if limit.choices:
        return "one of " + ", ".join(map(str, limit.choices))
    return f"range {url_text(limit.kind(limit.lo))}..{url_text(limit.kind(limit.hi))}"


def valid_token(v) -> bool:
    try:
        return isinstance(v, str) and margins.parse(v).token == v
    except ValueError:
        return False


def canonical_tokens(tokens) -> tuple[str, ...]:
    """Distinct tokens in registry order, margins increasing: one experiment has one spelling (and one cache key)."""
    order = list(LOSSES)
    specs = {margins.parse(t).token: margins.parse(t) for t in tokens}
    return tuple(sorted(specs, key=lambda t: (order.index(specs[t].loss), specs[t].margin)))


def _clamp_token(text: str, warnings: list[str]) -> str | None:
    """One model token parsed, its margin moved into its loss's range (with a warning); None (and a warning) if
    it names no loss."""
    shown = clip(text)
    loss, _sep, margin = text.strip().lower().partition(":")
    if loss not in LOSSES:
        warnings.append(
            _("losses: '{value}' is not one of {choices}; dropping it").format(value=shown, choices=", ".join(LOSSES))
        )
        return None
    kind = LOSSES[loss]
    if kind.margin is None:
        if margin:
            warnings.append(
                _("losses: {loss} has no margin; ignoring ':{margin}'").format(loss=_(kind.label), margin=clip(margin))
            )
        return loss
    if not margin:
        return margins.ModelSpec(loss).token
    value = _number(margin, float)
    if value is None:
        warnings.append(
            _("losses: the margin in '{value}' is not a number; using {used}").format(
                value=shown, used=url_text(kind.margin_default)
            )
        )
        return margins.ModelSpec(loss).token
    lo, hi = kind.margin_range
    clamped = min(max(value, lo), hi)
    if kind.integer_margin and not float(clamped).is_integer():
        clamped = round(clamped)
    if clamped != value:
        message = (
            _("losses: {loss}'s margin {value} is out of range {lo}..{hi} (whole numbers); using {used}")
            if kind.integer_margin
            else _("losses: {loss}'s margin {value} is out of range {lo}..{hi}; using {used}")
        )
        warnings.append(
            message.format(
                loss=_(kind.label), value=url_text(value), lo=url_text(lo), hi=url_text(hi), used=url_text(clamped)
            )
        )
    return margins.ModelSpec(loss, clamped).token


_LEGACY_M = Limit(int, 1, 6, max_len=6)  # links made before the family: m=1,2,3,4 (A-softmax margins)


def legacy_m(raw, warnings: list[str]) -> list[str]:
    """The models an old link's m meant: softmax, M-softmax and A-softmax for each m (clamped as links then were)."""
    texts = _as_texts(raw)
    if len(texts) > MAX_ITEMS:
        warnings.append(_too_many_read("m", len(texts)))
        texts = texts[:MAX_ITEMS]
    ms = sorted({v for v in (_clamp_one("m", t, _LEGACY_M, None, warnings) for t in texts) if v is not None})
    if len(ms) > _LEGACY_M.max_len:
        warnings.append(_too_many_allowed("m", len(ms), _LEGACY_M.max_len))
        ms = ms[: _LEGACY_M.max_len]
    if not texts:  # m= with nothing after it: said, as for every other key
        warnings.append(_("{name} is empty; using {used}").format(name="m", used="1,2,3,4"))
    return list(margins.sphereface_tokens(ms or (1, 2, 3, 4)))


def valid_one(v, limit: Limit) -> bool:
    if limit.kind is int and (not isinstance(v, int) or isinstance(v, bool)):
        return False
    if limit.kind is float and (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)):
        return False
    if limit.kind is str and not isinstance(v, str):
        return False
    if limit.choices:
        return v in limit.choices
    return limit.lo <= v <= limit.hi


def _as_texts(raw) -> list[str]:
    """A URL value as a list of texts: "1,2" and ["1", "2"] and [1, 2] all give ["1", "2"]."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for item in items:
        out.extend(t.strip() for t in str(item).split(",") if t.strip())
    return out


def _number(text: str, kind: type):
    """int or float from text, or None if it is not a finite number. "4.0" is an int; "4.5" is not."""
    try:
        x = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(x):
        return None
    if kind is int:
        return int(x) if x.is_integer() else None
    return x


def one_warning(name: str, found: list[str], used: str) -> str:
    """One key's changes as one sentence: the change itself, or the first of many and what is used instead."""
    if len(found) == 1:
        return found[0]
    more = len(found) - 1
    return ngettext(
        "{first} (and {more} more problem with {name}); using {name} = {used}",
        "{first} (and {more} more problems with {name}); using {name} = {used}",
        more,
    ).format(first=found[0], more=f"{more:,}", name=name, used=clip(used))


def _too_many_read(name: str, count: int) -> str:
    return _("{name} has {count} values; only the first {most} are read").format(
        name=name, count=f"{count:,}", most=MAX_ITEMS
    )


def _too_many_allowed(name: str, count: int, most: int) -> str:
    return _("{name} has {count} values, at most {most} are allowed; using the first {most}").format(
        name=name, count=count, most=most
    )


def _allowed(limit: Limit) -> str:
    """`describe_limit` in the current language, for the warnings."""
    if limit.choices:
        return _("one of {choices}").format(choices=", ".join(map(str, limit.choices)))
    return _("range {lo}..{hi}").format(lo=url_text(limit.kind(limit.lo)), hi=url_text(limit.kind(limit.hi)))


def _clamp_one(name: str, text: str, limit: Limit, default, warnings: list[str]):
    """One value parsed and moved to the nearest valid one, with a warning when it was changed.

    Text that is no valid value at all gives `default`; default=None (an element of a tuple) means "drop it".
    """
    shown = clip(text)
    fallback = _("dropping it") if default is None else _("using {value}").format(value=url_text(default))
    if limit.kind is str:
        value = text.strip().lower()
        if value in limit.choices:
            return value
        warnings.append(
            _("{name} '{value}' is not one of {choices}; {fallback}").format(
                name=name, value=shown, choices=", ".join(limit.choices), fallback=fallback
            )
        )
        return default
    value = _number(text, limit.kind)
    if value is None:
        message = (
            _("{name} '{value}' is not a whole number; {fallback}")
            if limit.kind is int and _number(text, float) is not None
            else _("{name} '{value}' is not a number; {fallback}")
        )
        warnings.append(message.format(name=name, value=shown, fallback=fallback))
        return default
    if limit.choices:
        nearest = min(limit.choices, key=lambda c: (abs(c - value), c))
        if nearest != value:
            warnings.append(
                _("{name} = {value} is not {allowed}; using {used}").format(
                    name=name, value=url_text(value), allowed=_allowed(limit), used=nearest
                )
            )
        return nearest
    lo, hi = limit.kind(limit.lo), limit.kind(limit.hi)
    clamped = min(max(value, lo), hi)
    if clamped != value:
        warnings.append(
            _("{name} = {value} is out of {allowed}; using {used}").format(
                name=name, value=url_text(value), allowed=_allowed(limit), used=url_text(clamped)
            )
        )
    return clamped


def parse_scalar(name, raw, limit, default, warnings):
    texts = (
        _as_texts(raw)
        if limit.kind is not str
        else [str(t) for t in (raw if isinstance(raw, (list, tuple)) else [raw])]
    )
    if not texts:
        warnings.append(_("{name} is empty; using {used}").format(name=name, used=url_text(default)))
        return default
    if len(texts) > 1:
        warnings.append(
            _("{name} has {count} values; using the last, '{value}'").format(
                name=name, count=f"{len(texts):,}", value=clip(texts[-1])
            )
        )
    return _clamp_one(name, texts[-1], limit, default, warnings)


def parse_tuple(name, raw, limit, default, warnings):
    texts = _as_texts(raw)
    if len(texts) > MAX_ITEMS:
        warnings.append(_too_many_read(name, len(texts)))
        texts = texts[:MAX_ITEMS]
    if name == "losses":  # a set of models: one each, in registry order
        values = [v for v in (_clamp_token(t, warnings) for t in texts) if v is not None]
        values = list(canonical_tokens(values))
    else:
        values = [v for v in (_clamp_one(name, t, limit, None, warnings) for t in texts) if v is not None]
    if len(values) > limit.max_len:
        warnings.append(_too_many_allowed(name, len(values), limit.max_len))
        values = values[: limit.max_len]
    if not values:
        warnings.append(
            _("{name} has no valid value; using {used}").format(name=name, used=",".join(map(str, default)))
        )
        return default
    return tuple(values)
