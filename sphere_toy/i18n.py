"""Two languages, English and Traditional Chinese (zh-TW): every word a person reads goes through a gettext catalog.

Writing code:
  - `_("θ_y fell from {before}° to {after}°").format(before=..., after=...)`: the message in the current language.
    Placeholders are `str.format` named fields, never f-strings (an f-string is filled in before `_` sees it, so no
    catalog can hold it) and never positional `{}` (a translation may need another word order).
  - `ngettext("{n} seed", "{n} seeds", n).format(n=n)`: a message with a number (zh-TW has one form for every n).
  - `N_("...")` marks a string defined at import time (a `Limit` label, a preset name, a dict of knob names) for
    extraction and returns it unchanged; translate it where it is shown, `_(LIMITS[name].label)`. Import-time
    `_()` would freeze whatever language the importing thread had. No string literal inside the parentheses of
    `_()` other than the message: extraction takes the first one it meets, so `_(LIMITS["data"].label)` would add
    a message "data" (index with a variable, or look the label up first).
  - `# TRANSLATORS: ...` on the line before a call reaches the translator as a comment.
  - Loss names (softmax, M-softmax, A-softmax, NormFace, CosFace, ArcFace) and the notation (θ, ψ(θ), ‖x‖, m) stay
    as they are in every language.

The current language is a `contextvars.ContextVar`: each Streamlit session's script runs in its own thread and sets
it once at the top (`set_language(negotiate(...))`); figure builders called from that thread read it. A new thread
starts at DEFAULT (Python 3.11 threads do not inherit context): run work in another thread inside
`contextvars.copy_context().run(...)` or `using(lang)` if it must speak the page's language.

Catalogs (gettext .po, what Poedit, Weblate or Lokalize read and write), domain "sphere_toy":
  sphere_toy/locale/en/LC_MESSAGES/sphere_toy.po     English, the source language
  sphere_toy/locale/zh_TW/LC_MESSAGES/sphere_toy.po  Traditional Chinese
English is written in the code; the English catalog holds every message with an empty msgstr, which gettext shows
as the msgid (the code's English). A proofreader may fill an English msgstr to reword the English shown, without
touching code. A message with no translation, an empty or a fuzzy one, or a catalog that cannot be read, shows the
English text: never an empty string, never an exception.

No compiled .mo file is committed: the .po is read at run time with Babel (`read_po`, then `write_mo` into memory,
loaded as a `gettext.GNUTranslations`), once per language per process. One source of truth, so no test has to
catch a .mo older than its .po, and nothing binary in the diffs; it costs Babel as a runtime dependency (pure
Python) and about 0.1 s the first time a language is used in a process. The template sphere_toy/locale/sphere_toy.pot
is made by the extract command below and not kept in git (.gitignore): the code is the source of the messages.

Long texts are Markdown files, one per language, not catalog entries: the About tab's sphere_toy/about.md and its
translation sphere_toy/about.zh-TW.md beside it (`localized_path`). A translator's Markdown tools (and a reviewer's
diff) read a whole page with its headings, tables and formulas; a catalog suits short messages, one sentence or a
paragraph each. Both files keep the same headings, formulas, code, links and numbers (tests/test_i18n.py checks the
headings and the formulas); change the English file, then its translation.

Figures: a figure builder is drawn in the *figure* language, `plots.style.figure_language(current())`, which is
English where no CJK font is installed (see `plots.style`).

After adding or changing messages (from the repository's root; babel.cfg says which files are read):
  .venv/bin/pybabel extract -F babel.cfg --add-location=file --add-comments=TRANSLATORS: --project=sphere_toy \\
      -o sphere_toy/locale/sphere_toy.pot .
  .venv/bin/pybabel update -i sphere_toy/locale/sphere_toy.pot -d sphere_toy/locale -D sphere_toy \\
      --ignore-obsolete --previous
then translate the new (and the fuzzy) entries of sphere_toy/locale/zh_TW/LC_MESSAGES/sphere_toy.po, and run
`.venv/bin/python -m pytest tests/test_i18n.py`: it lists every message missing from a catalog, untranslated or
fuzzy in zh_TW, obsolete, or whose {placeholders} differ from the English. A new language:
  .venv/bin/pybabel init -i sphere_toy/locale/sphere_toy.pot -d sphere_toy/locale -D sphere_toy -l ja
plus its entry in LANGUAGES, NAMES and _LOCALES. Nothing needs compiling (`pybabel compile` is not used).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
import logging
import pathlib
import re
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """A language of the app, declared once: everything else asks `LANGUAGES`, `NAMES` or these fields."""

    tag: str  # BCP 47, as the URL's lang= and the switch use it: "zh-TW"
    name: str  # in its own words, for the switch: "繁體中文"
    folder: str  # its catalog's folder under locale/ (gettext's ll_CC spelling): "zh_TW"
    cjk: bool = False  # written in Chinese characters: its figures need a CJK font (`plots.style.cjk_font`)


DECLARED = (Language("en", "English", "en"), Language("zh-TW", "繁體中文", "zh_TW", cjk=True))
LANGUAGES = tuple(lang.tag for lang in DECLARED)  # the tags, in the switch's order
DEFAULT = "en"
NAMES = {lang.tag: lang.name for lang in DECLARED}
CJK = frozenset(lang.tag for lang in DECLARED if lang.cjk)  # the languages drawn with a CJK font
DOMAIN = "sphere_toy"
LOCALE_DIR = pathlib.Path(__file__).with_name("locale")
_LOCALES = {lang.tag: lang.folder for lang in DECLARED}  # language -> the catalog's folder

log = logging.getLogger(__name__)

_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("sphere_toy_language", default=DEFAULT)


def N_(message: str) -> str:
    """Mark `message` for extraction and return it unchanged; translate it with `_` where it is shown."""
    return message


def _(message: str) -> str:
    """`message` in the current language; the message itself when the catalog has no translation for it."""
    return _translations(current()).gettext(message) or message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of the message for the number n, in the current language ("{n} seed" / "{n} seeds")."""
    return _translations(current()).ngettext(singular, plural, n) or (singular if n == 1 else plural)


def current() -> str:
    """The language of this thread's (context's) texts: one of LANGUAGES."""
    return _LANGUAGE.get()


def set_language(lang: str) -> contextvars.Token:
    """Make `lang` the current language for the rest of this context (a Streamlit script run); returns the token
    that `_LANGUAGE.reset` takes. Spellings `negotiate` accepts are accepted ("zh_TW"); ValueError for others."""
    found = _match(lang) if isinstance(lang, str) else None
    if found is None:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return _LANGUAGE.set(found)


@contextlib.contextmanager
def using(lang: str):
    """Texts in `lang` inside this block (figures in the figure language, a test in zh-TW); restored after."""
    token = set_language(lang)
    try:
        yield current()
    finally:
        _LANGUAGE.reset(token)


# ---- choosing the language ----

_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
_SIMPLIFIED = {"hans", "cn", "sg", "my"}  # Simplified Chinese script or regions that write it
MAX_HEADER = 4096  # characters of Accept-Language read; browsers send about 50


def _match(tag: str) -> str | None:
    """The language of LANGUAGES a tag asks for, or None.

    en, en-US, en_GB ... -> en. Chinese in Traditional script or from where it is written (zh-TW, zh_TW, zh-tw,
    zh-Hant, zh-Hant-TW, zh-HK, zh-MO), and plain "zh" (a reader of Chinese; zh-TW is the only Chinese here) ->
    zh-TW. Chinese asked for in Simplified script (zh-CN, zh-SG, zh-Hans ...) -> None: this app has no Simplified
    catalog, and a browser that would take any Chinese says so with a plain "zh" too (Chrome in mainland China
    sends "zh-CN,zh;q=0.9"), which then picks zh-TW; "zh-CN,en;q=0.8" gets English.
    """
    tag = tag.strip()
    if not _TAG.fullmatch(tag):
        return None
    primary, *rest = tag.replace("_", "-").lower().split("-")
    if primary == "en":
        return "en"
    if primary != "zh":
        return None
    if "hant" in rest or not _SIMPLIFIED & set(rest):
        return "zh-TW"
    return None


def _accept_language(header: str) -> list[str]:
    """The tags of an Accept-Language header by preference: q-values highest first (ties in the header's order);
    q=0 ("not this one") and malformed entries are dropped; "*" stands for DEFAULT."""
    ranked = []
    for position, item in enumerate(header[:MAX_HEADER].split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _sep, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
                if not 0.0 <= q <= 1.0:  # NaN too (a comparison with NaN is False)
                    q = -1.0
        if q > 0 and tag:
            ranked.append((-q, position, DEFAULT if tag == "*" else tag))
    return [tag for _q, _p, tag in sorted(ranked)]


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """The language to show: the URL's `lang` when it names one of LANGUAGES (any spelling `_match` takes), else
    the first language of the browser's Accept-Language header that we have, else DEFAULT. Never raises: text
    that is no language is ignored."""
    try:
        if isinstance(query_lang, (list, tuple)):  # a repeated URL key: the last one, as st.query_params does
            query_lang = query_lang[-1] if query_lang else None
        if isinstance(query_lang, str) and (found := _match(query_lang)):
            return found
        if isinstance(accept_language, str):
            for tag in _accept_language(accept_language):
                if found := _match(tag):
                    return found
    except Exception:  # noqa: BLE001 - a language choice must never break the page; English is always there
        log.exception("could not negotiate a language from %r, %r", query_lang, accept_language)
    return DEFAULT


# ---- long texts ----


def localized_path(path: str | pathlib.Path, lang: str) -> pathlib.Path:
    """The version of the long text `path` (the English file, "about.md") in `lang`: "about.zh-TW.md" beside it when
    that file exists, else `path` itself (English rather than nothing)."""
    path = pathlib.Path(path)
    if lang == DEFAULT:
        return path
    translated = path.with_name(f"{path.stem}.{lang}{path.suffix}")
    return translated if translated.is_file() else path


# ---- catalogs ----

_LOAD_LOCK = threading.Lock()


def catalog_path(lang: str) -> pathlib.Path:
    return LOCALE_DIR / _LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` as a GNUTranslations, compiled in memory from its .po once per process; English
    (NullTranslations: every message as written) if the file is missing or cannot be read, with a log line."""
    with _LOAD_LOCK:
        try:
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import read_po

            with open(catalog_path(lang), "rb") as f:
                catalog = read_po(f, locale=_LOCALES[lang], domain=DOMAIN)
            buf = io.BytesIO()
            write_mo(buf, catalog)  # fuzzy and empty translations are left out: they show the English
            buf.seek(0)
            return gettext.GNUTranslations(buf)
        except Exception:  # noqa: BLE001 - a broken catalog shows English, it does not take the app down
            log.exception("could not load the %s catalog; showing English", lang)
            return gettext.NullTranslations()


def sentences(parts) -> str:
    """Sentences one after another as the language writes them: a space between two in English, none in Chinese
    (where each ends with a full-width stop). Empty parts are left out; no parts give ""."""
    kept = [part for part in parts if part]
    # TRANSLATORS: two sentences one after the other; Chinese puts nothing between them.
    return functools.reduce(lambda text, more: _("{text} {more}").format(text=text, more=more), kept) if kept else ""


_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+(?=\S)")


def first_sentence(text: str) -> tuple[str, str]:
    """(the first sentence of `text`, the rest), for text made by `sentences` in any language: the split is after
    the first full stop (Chinese 。！？, or . ! ? and a space), so a decimal point never splits. ("", "") for ""."""
    for end in _SENTENCE_END.finditer(text):
        if end.end() < len(text):
            return text[: end.start()], text[end.end() :]
    return text, ""
