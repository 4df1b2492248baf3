"""About: the text, one Markdown file per language (`about.md`, `about.zh-TW.md`: `i18n.localized_path`)."""

from __future__ import annotations

import functools
import pathlib

import streamlit as st

import sphere_toy
from sphere_toy import i18n

ABOUT = pathlib.Path(sphere_toy.__file__).parent / "about.md"  # the English text; i18n.localized_path finds the others


@functools.cache
def _about(lang: str) -> str:
    return i18n.localized_path(ABOUT, lang).read_text(encoding="utf-8")


def about_tab() -> None:
    """The About text, one Markdown file per language (`about.md`, `about.zh-TW.md`: `i18n.localized_path`)."""
    st.markdown(_about(i18n.current()))
