"""Where the app shows each figure: the page geometry its figures are drawn for, normal and projected.

Measured in Chromium at 1280×720 (a common projector size) with Streamlit's wide layout: the main column is
1280 − 300 (sidebar) − 2·80 (padding) = 820 px wide, or 1120 px with the sidebar folded away in presentation mode;
st.columns puts 16 px between columns. A lesson step presented ("slide") has its title, Back and Next in the header's
row and a line of what to notice above the tabs, so its figures are as wide and 45 px shorter. Figures are drawn for
these widths with their smallest text at 11 px (a laptop at arm's length) or 18 px (the back of a lecture hall), and
no taller than the height left under the page's header, so the current tab's figure is inside the first screen. On
a larger screen they keep their size. A phone (390 CSS px wide, "phone") gets its own: the page's column is
390 − 2·16 = 358 px, every figure takes it whole (Streamlit stacks columns there), with 11 px text, and multi-panel
figures stack their panels (`layout.narrow_screen`).
"""

from __future__ import annotations

from sphere_toy.plots.layout import Screen

MODES = ("normal", "present", "slide", "phone")
_GAP_PX = 16
_MAIN_PX = {"normal": 820, "present": 1120, "slide": 1120, "phone": 358}
_TEXT_PX = {"normal": 11.0, "present": 18.0, "slide": 18.0, "phone": 11.0}
# The first screen (720 px) less header, tabs and controls; on a phone (844 px) a figure may take most of a screen,
# since the page scrolls anyway: its first figure starts on the first screen, and each fits on one (844 px).
_HEIGHT_PX = {"normal": 560, "present": 430, "slide": 385, "phone": 760}


def is_phone(user_agent: str | None) -> bool:
    """A phone's browser, by its User-Agent: "Mobi" is in every phone browser's and in no tablet's or laptop's
    (MDN's advice for telling phones apart), so a tablet gets the laptop's page."""
    return "Mobi" in (user_agent or "")


# Each place a figure goes: (its share of the main column's width, the column count of that row, its height).
SLOTS = {
    "full": (1.0, 1, None),
    "below": (1.0, 1, 660),  # a second figure, under a tab's first: it may take a whole screen of its own
    "psi": (3 / 4.2, 2, None),  # the ψ(θ) tab: controls and formulas on the left, the figure on the right
    "half": (0.5, 2, None),  # the Angles tab: histogram and the deciding pairs side by side (stacked when presenting)
    "roc": (3 / 5, 2, None),  # the Open-set tab: ROC on the left, the summary on the right (stacked when presenting)
}


def screen(mode: str, slot: str = "full") -> Screen:
    """The `Screen` for a figure in `slot` of the page in `mode` (one of `MODES`)."""
    if mode != "normal" and slot in ("half", "roc"):  # side by side, 18 px text leaves no room: stacked
        slot = "full"
    if mode == "phone" and slot == "psi":  # a phone's page stacks columns: the figure under its controls, whole
        slot = "full"
    share, columns, height = SLOTS[slot]
    width = int((_MAIN_PX[mode] - _GAP_PX * (columns - 1)) * share)
    return Screen(width_px=width, height_px=height or _HEIGHT_PX[mode], text_px=_TEXT_PX[mode], stacked=mode == "phone")
