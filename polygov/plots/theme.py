"""The polygov figure theme: one look and one colour per country across the course.

Nothing here runs at import time; call :func:`set_theme` (the course notebooks
do so in their first cell) to apply the theme to matplotlib and seaborn.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CHINA_COLOUR", "COUNTRY_COLOURS", "COUNTRY_LINESTYLES", "OKABE_ITO", "OTHER_COLOUR",
           "country_linestyle", "country_palette", "set_theme", "source_note"]

#: The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"; Wong 2011, *Nature
#: Methods* 8, 441): eight colours that stay distinct under the common colour-vision deficiencies.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: China's colour in every figure and widget of the course (Okabe-Ito vermillion).
CHINA_COLOUR = OKABE_ITO["vermillion"]

_PEER_COLOURS = ("orange", "sky blue", "bluish green", "blue", "reddish purple", "black")

#: China and its usual peers keep the same colour *and line style* in every notebook and widget.
#: China is vermillion; six Okabe-Ito colours are used twice, once solid and once dashed, so that
#: the twelve "China peers" stay distinguishable without relying on hue alone.  Yellow is kept
#: out (it is too light on white).
COUNTRY_COLOURS: dict[str, str] = {
    "CHN": CHINA_COLOUR,
    # solid
    "IND": OKABE_ITO["orange"],
    "VNM": OKABE_ITO["sky blue"],
    "BRA": OKABE_ITO["bluish green"],
    "RUS": OKABE_ITO["blue"],
    "ZAF": OKABE_ITO["reddish purple"],
    "JPN": OKABE_ITO["black"],
    # dashed
    "THA": OKABE_ITO["orange"],
    "KOR": OKABE_ITO["sky blue"],
    "MEX": OKABE_ITO["bluish green"],
    "IDN": OKABE_ITO["blue"],
    "TUR": OKABE_ITO["reddish purple"],
    "MYS": OKABE_ITO["black"],
    # dotted
    "USA": OKABE_ITO["blue"],
    "DEU": OKABE_ITO["black"],
}

#: Line style of each country of :data:`COUNTRY_COLOURS` (matplotlib names).
COUNTRY_LINESTYLES: dict[str, str] = {
    **{c: "solid" for c in ("CHN", "IND", "VNM", "BRA", "RUS", "ZAF", "JPN")},
    **{c: "dashed" for c in ("THA", "KOR", "MEX", "IDN", "TUR", "MYS")},
    **{c: "dotted" for c in ("USA", "DEU")},
}

OTHER_COLOUR = "#b3b6b7"


def country_linestyle(iso3: str) -> str:
    """The line style of a country in the course figures (``"solid"`` for unknown countries).

    Parameters
    ----------
    iso3 : str
        ISO3 code.

    Raises
    ------
    TypeError
        ``iso3`` is not a string.
    """
    if not isinstance(iso3, str):
        raise TypeError(f"iso3 must be an ISO3 code string, got {type(iso3).__name__}")
    return COUNTRY_LINESTYLES.get(iso3, "solid")


def set_theme(context: str = "notebook", font_scale: float = 1.0) -> None:
    """Apply polygov's seaborn theme (white grid, Okabe-Ito colour cycle, readable sizes)."""
    import seaborn as sns

    palette = [OKABE_ITO[c] for c in ("blue", "orange", "bluish green", "vermillion",
                                      "reddish purple", "sky blue", "black")]
    sns.set_theme(context=context, style="whitegrid", palette=palette, font_scale=font_scale,
                  rc={"figure.figsize": (8, 4.5), "figure.dpi": 100, "axes.titleweight": "bold",
                      "axes.titlesize": "medium", "axes.spines.top": False, "axes.spines.right": False})


def country_palette(iso3: Iterable[str], *, highlight: Iterable[str] | None = None) -> dict[str, str]:
    """Colours for a set of countries: fixed colours for known peers, grey for the rest.

    Colours come from the colour-blind-safe Okabe-Ito palette (:data:`OKABE_ITO`); China is
    always vermillion.  Use :func:`country_linestyle` as well when more than seven countries share
    a figure: the peers reuse six colours, told apart by line style.

    Parameters
    ----------
    iso3 : iterable of str
        The countries to colour.
    highlight : iterable of str, optional
        Only these get their own colour; every other country is grey.
    """
    if isinstance(iso3, str):
        raise TypeError("iso3 must be an iterable of ISO3 codes, not a single string: "
                        f"pass [{iso3!r}]")
    hl = None if highlight is None else set(highlight)
    import itertools

    spare = itertools.cycle([OKABE_ITO[c] for c in _PEER_COLOURS])
    out = {}
    for c in dict.fromkeys(iso3):
        if hl is not None and c not in hl:
            out[c] = OTHER_COLOUR
        elif c in COUNTRY_COLOURS:
            out[c] = COUNTRY_COLOURS[c]
        else:
            out[c] = next(spare)
    return out


def source_note(ax, text: str, *, y: float = -0.18) -> None:
    """Write a small 'Source: …' note under an Axes (kept inside the saved figure)."""
    ax.annotate(f"Source: {text}", xy=(0, y), xycoords="axes fraction", ha="left", va="top",
                fontsize="x-small", color="#555555", annotation_clip=False)
