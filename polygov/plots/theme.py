"""The polygov figure theme: one look and one colour per country across the course.

Nothing here runs at import time; call :func:`set_theme` (the course notebooks
do so in their first cell) to apply the theme to matplotlib and seaborn.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["COUNTRY_COLOURS", "OTHER_COLOUR", "country_palette", "set_theme", "source_note"]

#: China and its usual peers keep the same colour in every notebook and widget.
COUNTRY_COLOURS: dict[str, str] = {
    "CHN": "#c0392b",  # China: red, always highlighted
    "IND": "#e67e22",
    "BRA": "#27ae60",
    "RUS": "#8e44ad",
    "ZAF": "#b7950b",
    "VNM": "#16a085",
    "IDN": "#2980b9",
    "KOR": "#1abc9c",
    "JPN": "#34495e",
    "MYS": "#d35400",
    "THA": "#7f8c8d",
    "MEX": "#6c3483",
    "TUR": "#a04000",
    "USA": "#1f3a93",
    "DEU": "#515a5a",
}
OTHER_COLOUR = "#b3b6b7"


def set_theme(context: str = "notebook", font_scale: float = 1.0) -> None:
    """Apply polygov's seaborn theme (white grid, colour-blind palette, readable sizes)."""
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette="colorblind", font_scale=font_scale,
                  rc={"figure.figsize": (8, 4.5), "figure.dpi": 100, "axes.titleweight": "bold",
                      "axes.titlesize": "medium", "axes.spines.top": False, "axes.spines.right": False})


def country_palette(iso3: Iterable[str], *, highlight: Iterable[str] | None = None) -> dict[str, str]:
    """Colours for a set of countries: fixed colours for known peers, grey for the rest.

    Parameters
    ----------
    iso3 : iterable of str
        The countries to colour.
    highlight : iterable of str, optional
        Only these get their own colour; every other country is grey.
    """
    hl = None if highlight is None else set(highlight)
    import seaborn as sns

    spare = iter(sns.color_palette("tab20", 20).as_hex())
    out = {}
    for c in dict.fromkeys(iso3):
        if hl is not None and c not in hl:
            out[c] = OTHER_COLOUR
        elif c in COUNTRY_COLOURS:
            out[c] = COUNTRY_COLOURS[c]
        else:
            out[c] = next(spare, OTHER_COLOUR)
    return out


def source_note(ax, text: str, *, y: float = -0.18) -> None:
    """Write a small 'Source: …' note under an Axes (kept inside the saved figure)."""
    ax.annotate(f"Source: {text}", xy=(0, y), xycoords="axes fraction", ha="left", va="top",
                fontsize="x-small", color="#555555", annotation_clip=False)
