"""Plots for the early-warning monitor (:mod:`polygov.monitor` output).

Axes-level, seaborn style: ``data=`` (a monitor panel, or the flagged changes of
:func:`polygov.monitor.scan`), column names, ``ax=``; each returns the Axes and
never fits anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import check_columns, check_dataframe, check_unit_interval
from .latent import _ax, _names, _palette

__all__ = ["trajectory_plot", "peer_change_plot", "flag_overview_plot"]


def trajectory_plot(data: pd.DataFrame, *, iso3: str | list[str], indicator: str, flags: pd.DataFrame | None = None,
                    window: int = 1, level: float = 0.90, names: bool = True, ax=None):
    """Trajectory of an indicator with its ``level`` band, flagged declines marked.

    Parameters
    ----------
    data : DataFrame
        Monitor panel (``iso3``, ``indicator``, ``year``, ``estimate``, ``std_error``).
    iso3 : str or list of str
        Country (or countries) to draw.
    indicator : str
        Indicator to draw.
    flags : DataFrame, optional
        Output of :func:`polygov.monitor.scan`; flagged declines of ``window`` years
        ending in a year are marked with a downward triangle.
    window : int, default 1
        Window of the flags to mark.
    level : float, default 0.90
        Coverage of the band (estimate ± z · std_error).
    """
    check_dataframe(data)
    check_columns(data, ["iso3", "indicator", "year", "estimate", "std_error"])
    level = check_unit_interval(level, "level", 0.90)
    codes = [iso3] if isinstance(iso3, str) else list(iso3)
    if indicator not in set(data["indicator"]):
        raise KeyError(f"indicator {indicator!r} is not in data; available: {sorted(set(data['indicator']))}")
    missing = [c for c in codes if c not in set(data["iso3"])]
    if missing:
        raise KeyError(f"no rows for {missing} in data")
    z = stats.norm.ppf(0.5 + level / 2)
    ax = _ax(ax, (7, 3.6))
    pal = _palette(codes, None)
    for code, label in zip(codes, _names(codes, names), strict=True):
        s = data.loc[(data["iso3"] == code) & (data["indicator"] == indicator)].sort_values("year")
        ax.fill_between(s["year"], s["estimate"] - z * s["std_error"], s["estimate"] + z * s["std_error"],
                        color=pal[code], alpha=0.2, linewidth=0)
        ax.plot(s["year"], s["estimate"], marker="o", ms=3, color=pal[code], label=label)
        if flags is not None and len(flags):
            f = flags.loc[(flags["iso3"] == code) & (flags["indicator"] == indicator)
                          & (flags["window"] == window) & flags["flagged"]]
            if len(f):
                ax.scatter(f["year"], f["level_to"], marker="v", s=60, color="black", zorder=5,
                           label=f"flagged {window}-year decline" if code == codes[0] else None)
    ax.set_xlabel("year")
    ax.set_ylabel(f"{indicator} (estimate, {level:.0%} band)")
    ax.legend(frameon=False, fontsize="small")
    return ax


def peer_change_plot(data: pd.DataFrame, *, indicator: str, window: int, year: int, iso3: list[str] | None = None,
                     level: float = 0.90, names: bool = True, ax=None):
    """Each country's change over ``window`` years to ``year``, with its ``level`` interval.

    ``data`` are changes (:func:`polygov.monitor.changes` or ``scan`` output); rows
    flagged (``flagged`` column, if present) are drawn in black.  Sorted by change.
    """
    check_dataframe(data)
    check_columns(data, ["iso3", "indicator", "window", "year", "estimate", "std_error"])
    level = check_unit_interval(level, "level", 0.90)
    d = data.loc[(data["indicator"] == indicator) & (data["window"] == window) & (data["year"] == year)]
    if iso3 is not None:
        d = d.loc[d["iso3"].isin(iso3)]
    if d.empty:
        raise ValueError(f"no {window}-year changes of {indicator!r} ending in {year} for these countries")
    d = d.sort_values("estimate")
    z = stats.norm.ppf(0.5 + level / 2)
    ax = _ax(ax, (6, 0.3 * len(d) + 1.2))
    pos = np.arange(len(d))
    flagged = d["flagged"].to_numpy(bool) if "flagged" in d.columns else np.zeros(len(d), bool)
    pal = _palette(d["iso3"], None)
    colours = ["black" if f else pal[c] for c, f in zip(d["iso3"], flagged, strict=True)]
    ax.hlines(pos, d["estimate"] - z * d["std_error"], d["estimate"] + z * d["std_error"], colors=colours, lw=2)
    ax.scatter(d["estimate"], pos, color=colours, zorder=3)
    ax.axvline(0, color="#888888", lw=0.8)
    ax.set_yticks(pos, _names(d["iso3"], names))
    ax.set_xlabel(f"change in {indicator}, {year - window}-{year} ({level:.0%} interval)")
    return ax


def flag_overview_plot(data: pd.DataFrame, *, year: int | None = None, window: int = 1, ax=None):
    """Horizontal bars: number of units with a flagged decline, per indicator.

    ``data`` is :func:`polygov.monitor.scan` output; ``year`` defaults to the last.
    """
    check_dataframe(data)
    check_columns(data, ["indicator", "window", "year", "flagged"])
    d = data.loc[data["window"] == window]
    if year is None:
        year = int(d["year"].max())
    d = d.loc[d["year"] == year]
    counts = d.groupby("indicator")["flagged"].sum().sort_values()
    ax = _ax(ax, (6, 0.4 * len(counts) + 1.2))
    ax.barh(counts.index.astype(str), counts.to_numpy(), color="#34495e")
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(0, max(1, int(counts.max()) if len(counts) else 1) * 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"units with a flagged {window}-year decline to {year}")
    return ax
