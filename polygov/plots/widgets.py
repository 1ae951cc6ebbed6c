"""Figures used by the interactive labs (:mod:`polygov.widgets`), usable on their own too.

Axes-level functions in the seaborn style: ``data=`` plus column names, an
optional ``ax=``, the Axes returned.  They draw tidy output (a ranking, a peer
band); they never compute anything.  The regression explorer uses
:func:`polygov.plots.regression.coef_plot`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe
from .theme import OTHER_COLOUR, country_palette

__all__ = ["peer_band_plot", "rank_shift_plot"]


def _ax(ax, size):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def rank_shift_plot(data: pd.DataFrame, *, y: str = "country", rank: str = "rank",
                    baseline: str = "baseline_rank", iso3: str = "iso3",
                    highlight: Sequence[str] = ("CHN",), ax=None):
    """Dumbbell chart of each country's rank under a choice against a baseline rank.

    Parameters
    ----------
    data : DataFrame
        One row per country with the label column ``y``, ``rank`` and ``baseline``
        (e.g. the output of :func:`polygov.widgets.governance_ranking`).
    highlight : sequence of str
        ISO3 codes drawn in their country colour (others grey).

    Returns
    -------
    matplotlib Axes
        x axis: rank (1 = best, on the right); a grey dot marks the baseline, a
        coloured dot the rank under the choice, joined by a line.
    """
    check_dataframe(data)
    check_columns(data, [y, rank, baseline, iso3])
    d = data.dropna(subset=[rank]).sort_values(rank, ascending=False, kind="stable")
    ax = _ax(ax, (6, max(2.5, 0.3 * len(d) + 1)))
    pos = np.arange(len(d))
    pal = country_palette(d[iso3], highlight=highlight)
    cur = d[rank].astype(float).to_numpy()
    base = d[baseline].astype(float).to_numpy()
    colours = [pal[c] if c in set(highlight) else "#34495e" for c in d[iso3]]
    ax.hlines(pos, base, cur, color="0.75", lw=2, zorder=1)
    ax.scatter(base, pos, color=OTHER_COLOUR, s=28, zorder=2, label="baseline index")
    ax.scatter(cur, pos, color=colours, s=36, zorder=3, label="your index")
    ax.set_yticks(pos)
    ax.set_yticklabels(list(d[y].astype(str)), fontsize=8)
    for t, c in zip(ax.get_yticklabels(), d[iso3], strict=True):
        if c in set(highlight):
            t.set_color(pal[c])
            t.set_fontweight("bold")
    ax.set_xlabel("rank (1 = best)")
    ax.set_ylabel("")
    lo = np.nanmin(np.r_[cur, base]) if len(d) else 1
    hi = np.nanmax(np.r_[cur, base]) if len(d) else 2
    ax.set_xlim(hi + 0.05 * (hi - lo) + 1, max(0.0, lo - 0.05 * (hi - lo) - 1))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7, frameon=False)
    return ax


def peer_band_plot(data: pd.DataFrame, *, x: str = "year", value: str = "value",
                   low: str = "peer_low", median: str = "peer_median", high: str = "peer_high",
                   colour: str = "#D55E00", label: str = "country", band_label: str = "peer band",
                   ylabel: str | None = None, ax=None):
    """One country's trajectory over a shaded peer-group band (quantiles per year).

    Parameters
    ----------
    data : DataFrame
        One row per year for one dimension (e.g. a slice of
        :func:`polygov.widgets.peer_bands`).

    Returns
    -------
    matplotlib Axes
    """
    check_dataframe(data)
    check_columns(data, [x, value, low, median, high])
    d = data.sort_values(x)
    ax = _ax(ax, (5, 3))
    ax.fill_between(d[x], d[low].astype(float), d[high].astype(float), color="0.8", alpha=0.7,
                    lw=0, label=band_label)
    ax.plot(d[x], d[median].astype(float), color="0.45", ls="--", lw=1, label="peer median")
    ax.plot(d[x], d[value].astype(float), color=colour, lw=2, marker="o", ms=3, label=label)
    ax.set_xlabel(x)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax
