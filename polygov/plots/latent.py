"""Plots for latent scores with margins of error (:func:`polygov.latent.ucm` output).

Axes-level functions in the seaborn style: ``data=`` plus column names, an
optional ``ax=``, and the Axes returned.  They draw ``UCMResult.scores`` /
``UCMResult.params`` (or any frame with the named columns); they never fit a
model.  Country names replace ISO3 codes by default (``names=False`` keeps the
codes; codes that are not countries are shown as they are).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe, check_in

__all__ = ["score_intervals", "score_trends", "source_reliability"]


def _names(codes, names: bool) -> list[str]:
    codes = [str(c) for c in codes]
    if not names:
        return codes
    try:
        from ..countries import country_table

        lookup = country_table().set_index("iso3")["country"].to_dict()
    except Exception:  # noqa: BLE001 - names are a convenience; fall back to codes
        return codes
    return [lookup.get(c, c) if isinstance(lookup.get(c, c), str) else c for c in codes]


def _ax(ax, size):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _palette(codes, palette) -> dict:
    """Colour per code: the course palette (China vermillion) by default, or the user's."""
    from matplotlib.colors import to_hex

    codes = list(dict.fromkeys(codes))
    if palette is None:
        from .theme import country_palette

        return country_palette(codes)
    if isinstance(palette, Mapping):
        missing = [c for c in codes if c not in palette]
        if missing:
            raise KeyError(f"palette has no colour for {missing[:5]}; give a colour for every "
                           "country drawn, or palette=None for the course colours")
        return {c: palette[c] for c in codes}
    import seaborn as sns

    return dict(zip(codes, [to_hex(c) for c in sns.color_palette(palette, len(codes))],
                    strict=True))


def score_intervals(data: pd.DataFrame, *, x: str = "estimate", y: str = "iso3",
                    low: str = "ci_low", high: str = "ci_high", highlight=None, palette=None,
                    names: bool = True, ticklabels: str = "all", xlabel: str = "latent score (SD units) with 90% interval",
                    ax=None):
    """Caterpillar plot: each country's score as a dot with its interval, sorted, best on top.

    Parameters
    ----------
    data : DataFrame
        One cross-section of ``UCMResult.scores`` (filter one year first, e.g.
        ``res.scores.query("year == 2016")``); one row per ``y``.
    x, low, high : str
        Point estimate and interval bounds.
    y : str
        Country code column; labels are country names unless ``names=False``.
    highlight : iterable of str, optional
        Codes drawn in colour, with their labels in colour too (the rest: grey bars, dark
        grey dots).  Default: the keys of ``palette`` if one is given, else none (all dots
        in the theme's first colour).
    palette : mapping, str or list, optional
        Colours of the highlighted codes: a ``{iso3: colour}`` mapping, or a seaborn palette
        name or list.  Default :func:`polygov.plots.theme.country_palette` (the course
        colours: China vermillion, each peer its own colour in every notebook).
    ticklabels : {"all", "highlight"}
        Label every row, or only the highlighted ones (readable with 150+ countries).
    xlabel : str
        Axis label; say the interval level and the units.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    A highlighted interval is drawn in a light tint of its colour and the dot in the full
    colour with a dark edge, so the dot stays visible on its own bar.  Two countries whose
    intervals overlap may still differ; use :func:`polygov.latent.prob_greater` for a
    pairwise statement.
    """
    from matplotlib.colors import to_rgba

    check_dataframe(data)
    check_columns(data, [x, y, low, high])
    if data[y].duplicated().any():
        dup = data.loc[data[y].duplicated(), y].unique()[:5].tolist()
        raise ValueError(
            f"score_intervals draws one cross-section, but {y} values repeat (e.g. {dup}); "
            "filter one year first, e.g. data.query('year == 2016')"
        )
    check_in(ticklabels, ("all", "highlight"), name="ticklabels")
    d = data.sort_values(x, ascending=True, kind="stable")
    ax = _ax(ax, (6, max(3, 0.16 * len(d) + 1)))
    pos = np.arange(len(d))
    if highlight is None and isinstance(palette, Mapping):
        highlight = [c for c in d[y] if c in palette]
    hl = [c for c in dict.fromkeys(highlight or ()) if c in set(d[y])]
    cols = _palette(hl, palette) if hl else {}
    is_hl = d[y].isin(hl).to_numpy()
    base = "0.35" if hl else "C0"
    dot = [to_rgba(cols[c]) if h else to_rgba(base) for c, h in zip(d[y], is_hl, strict=True)]
    bar = [(*to_rgba(cols[c])[:3], 0.4) if h else to_rgba("0.78")
           for c, h in zip(d[y], is_hl, strict=True)]
    ax.hlines(pos, d[low], d[high], color=bar, lw=np.where(is_hl, 3.5, 2))
    ax.scatter(d[x][~is_hl], pos[~is_hl], color=[dot[i] for i in np.flatnonzero(~is_hl)], s=12,
               zorder=3)
    if is_hl.any():
        ax.scatter(d[x][is_hl], pos[is_hl], color=[dot[i] for i in np.flatnonzero(is_hl)], s=30,
                   edgecolors="0.1", linewidths=0.7, zorder=4)
    if ticklabels == "highlight":
        ax.set_yticks(pos[is_hl])
        ax.set_yticklabels(_names(d[y][is_hl], names), fontsize=8)
    else:
        ax.set_yticks(pos)
        ax.set_yticklabels(_names(d[y], names), fontsize=6 if len(d) > 60 else 8)
    keep = is_hl if ticklabels == "highlight" else np.ones(len(d), dtype=bool)
    for lab, c, h in zip(ax.get_yticklabels(), d[y][keep], is_hl[keep], strict=True):
        if h:
            lab.set_color(cols[c])
            lab.set_fontweight("bold")
    ax.set_ylim(-1, len(d))
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    return ax


def score_trends(data: pd.DataFrame, *, x: str = "year", y: str = "estimate", hue: str = "iso3",
                 low: str = "ci_low", high: str = "ci_high", palette=None, names: bool = True,
                 ylabel: str = "latent score (SD units) with 90% interval",
                 legend: str | bool = "best", ax=None):
    """Change over time: one line per country with its interval as a shaded band.

    Parameters
    ----------
    data : DataFrame
        Rows of ``UCMResult.scores`` for the countries to show (a handful).
    x, y, hue, low, high : str
        Time, estimate, country and interval-bound columns.
    palette : mapping, str or list, optional
        Colour per country: a ``{iso3: colour}`` mapping, or a seaborn palette name or list.
        Default :func:`polygov.plots.theme.country_palette` (the course colours, China vermillion).
    legend : str or False
        A matplotlib ``loc`` string (default ``"best"``), ``"outside"`` (right of the
        Axes) or ``False``.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    With per-year fits each year is re-centred on the world mean; fit with
    ``pooled=True`` to compare levels over time, and test a change with
    :func:`polygov.latent.significant_change` rather than by eye.
    """
    from .index import _legend

    check_dataframe(data)
    check_columns(data, [x, y, hue, low, high])
    ax = _ax(ax, (6.5, 4))
    groups = list(dict.fromkeys(data[hue]))
    labels = dict(zip(groups, _names(groups, names), strict=True))
    cols = _palette(groups, palette)
    from .theme import country_linestyle

    for code, d in data.groupby(hue, sort=False):
        d = d.sort_values(x)
        ax.fill_between(d[x], d[low], d[high], color=cols[code], alpha=0.18, lw=0)
        ls = country_linestyle(code) if isinstance(code, str) else "solid"
        ax.plot(d[x], d[y], marker="o", ls=ls, color=cols[code], ms=3, label=labels[code],
                lw=2.2 if code == "CHN" else 1.4)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel)
    _legend(ax, legend, frameon=False, fontsize=8)
    return ax


def source_reliability(data: pd.DataFrame, *, x: str = "reliability", y: str = "source",
                       xlabel: str = "reliability: share of source variance due to the latent score",
                       ax=None):
    """Horizontal bars of a per-source quantity from ``UCMResult.params``, sorted.

    If ``data`` holds several years, the bar is the mean over years and the
    whisker spans the min-max range.
    """
    check_dataframe(data)
    check_columns(data, [x, y])
    agg = data.groupby(y)[x].agg(["mean", "min", "max"]).sort_values("mean")
    ax = _ax(ax, (6, 0.35 * len(agg) + 1))
    pos = np.arange(len(agg))
    err = np.vstack([agg["mean"] - agg["min"], agg["max"] - agg["mean"]])
    ax.barh(pos, agg["mean"], xerr=err if (err > 0).any() else None, color="C0",
            error_kw={"ecolor": "0.4", "lw": 1})
    ax.set_yticks(pos)
    ax.set_yticklabels(agg.index, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    return ax
