"""Plots for composite indices: rank intervals, sensitivity bars, correlation heatmaps, score bars.

Axes-level functions in the seaborn style: ``data=`` plus column names, an optional
``ax=``, and the Axes returned.  They plot tidy output of :mod:`polygov.index` and
:mod:`polygov.audit`; they never compute an index.  Country names replace ISO3 codes
by default (``names=False`` keeps the codes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import check_in

__all__ = ["rank_interval_plot", "sensitivity_bars", "correlation_heatmap", "score_bars",
           "FACTOR_LABELS"]


def _names(codes, names: bool):
    codes = list(codes)
    if not names:
        return codes
    try:
        from ..countries import country_names

        out = list(country_names(codes))
        return [o if isinstance(o, str) and o and o != "not found" else c
                for o, c in zip(out, codes, strict=True)]
    except Exception:  # noqa: BLE001 - names are a convenience; fall back to codes
        return codes


def _ax(ax, size, **fig_kw):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size, **fig_kw)
    return ax


def _legend(ax, legend, **kw):
    """Place a legend: a loc string ("best", "upper left", ...), "outside" (right of the Axes),
    or False/None for none."""
    if legend is False or legend is None:
        return
    if not isinstance(legend, str):
        raise TypeError(f"legend must be a matplotlib loc string, 'outside' or False, got {legend!r}")
    if legend == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, **kw)
    else:
        ax.legend(loc=legend, **kw)


def rank_interval_plot(data: pd.DataFrame, *, y: str = "iso3", median: str = "median_rank",
                       low: str = "rank_q05", high: str = "rank_q95",
                       nominal: str | None = "nominal_rank", names: bool = True,
                       legend: str | bool = "best", ax=None):
    """Rank intervals per unit: the 5-95% interval as a bar, median and nominal ranks as dots.

    Parameters
    ----------
    data : DataFrame
        ``UncertaintyResult.summary`` or any frame with the named columns.
    y, median, low, high, nominal : str
        Unit, median-rank, interval-bound and nominal-rank columns (``nominal=None`` omits
        the nominal ticks).
    names : bool
        Label rows with country names (default) or with the codes.  When ``data`` has a
        ``year`` column with several years (a panel summary), the year is added to each
        label ("China 2016"), since ranks are within year.
    legend : str or False
        Where the legend goes: a matplotlib ``loc`` string (default ``"best"``, which avoids
        the bars), ``"outside"`` (to the right of the Axes) or ``False`` for none.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    d = data.sort_values(nominal if nominal else median, ascending=False, kind="stable")
    ax = _ax(ax, (6, max(3, 0.18 * len(d))))
    pos = np.arange(len(d))
    # one Line2D per row (not one LineCollection) so that legend="best" sees every bar
    for p, lo, hi in zip(pos, d[low], d[high], strict=True):
        ax.plot([lo, hi], [p, p], color="0.6", lw=3, solid_capstyle="butt")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="0.6", lw=3, label="5-95% interval")]
    handles += ax.plot(d[median], pos, "o", color="C0", ms=4, label="median rank")
    if nominal:
        handles += ax.plot(d[nominal], pos, "|", color="C3", ms=9, mew=2, label="nominal rank")
    ax.set_yticks(pos)
    labels = _names(d[y], names)
    if "year" in d.columns and y != "year" and d["year"].nunique() > 1:
        # a panel summary: the same country appears once per year
        labels = [f"{lab} {yr}" for lab, yr in zip(labels, d["year"], strict=True)]
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("rank (1 = best)")
    ax.set_ylabel("")
    ax.invert_xaxis()
    _legend(ax, legend, handles=handles, fontsize=7, frameon=False)
    return ax


#: Words for the factors of :func:`polygov.index.sobol` (axis labels of :func:`sensitivity_bars`).
FACTOR_LABELS = {
    "normalisation": "normalisation",
    "aggregation": "aggregation",
    "weights": "weights",
    "imputation": "imputation",
    "treatment": "outlier treatment",
    "leave_one_out": "leave one indicator out",
}


def sensitivity_bars(data: pd.DataFrame, *, x: str = "factor", first: str = "S1", total: str = "ST",
                     conf: bool = True, labels: dict | None = None, orient: str = "h", ax=None):
    """Grouped bars of first-order and total Sobol indices per uncertain factor.

    Parameters
    ----------
    data : DataFrame
        ``SensitivityResult.indices`` (``factor, S1, S1_conf, ST, ST_conf``).
    conf : bool
        Draw the ``*_conf`` half-widths as error bars.
    labels : dict, optional
        Label per factor name; defaults to :data:`FACTOR_LABELS` (e.g.
        ``"leave_one_out"`` -> "leave one indicator out"); unknown names are shown with
        underscores replaced by spaces.
    orient : {"h", "v"}
        Horizontal bars (default: factors on the y-axis, in the order of ``data`` from the
        top, so long labels stay readable) or vertical bars (labels wrapped under the bars).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import textwrap

    check_in(orient, ("h", "v"), name="orient")
    words = {**FACTOR_LABELS, **(labels or {})}
    names = [words.get(f, str(f).replace("_", " ")) for f in data[x]]
    n = len(data)
    e1 = data[first + "_conf"] if conf and first + "_conf" in data else None
    et = data[total + "_conf"] if conf and total + "_conf" in data else None
    wdt = 0.38
    value = "Sobol index (share of output variance)"
    if orient == "h":
        own = ax is None
        ax = _ax(ax, (6, 1 + 0.55 * n))
        pos = np.arange(n)[::-1]                       # first row of data at the top
        ax.barh(pos + wdt / 2, data[first], wdt, xerr=e1, label="first order (S1)", color="C0")
        ax.barh(pos - wdt / 2, data[total], wdt, xerr=et, label="total effect (ST)", color="C1")
        ax.set_yticks(pos)
        ax.set_yticklabels(names)
        ax.set_xlabel(value)
        ax.set_ylabel("")
    else:
        own = ax is None
        ax = _ax(ax, (1.5 + 1.1 * n, 3.8))
        pos = np.arange(n)
        ax.bar(pos - wdt / 2, data[first], wdt, yerr=e1, label="first order (S1)", color="C0")
        ax.bar(pos + wdt / 2, data[total], wdt, yerr=et, label="total effect (ST)", color="C1")
        ax.set_xticks(pos)
        ax.set_xticklabels([textwrap.fill(t, 11) for t in names], fontsize="small")
        ax.set_ylabel("Sobol index\n(share of output variance)")
        ax.set_xlabel("")
    ax.legend(frameon=False, fontsize=8)
    if own:
        _fit_margins(ax)
    return ax


def _fit_margins(ax, pad: float = 6.0) -> None:
    """Widen the left/bottom margins of a figure we created so tick and axis labels fit.

    Measured once, now (not a layout engine), so a source note or title added later does
    not squeeze the Axes.
    """
    fig = ax.figure
    r = fig.canvas.get_renderer()
    tb = ax.get_tightbbox(r)
    box = ax.get_window_extent(r)
    W, H = fig.bbox.width, fig.bbox.height
    left = min(0.6, max(fig.subplotpars.left, (box.x0 - tb.x0 + pad) / W))
    bottom = min(0.5, max(fig.subplotpars.bottom, (box.y0 - tb.y0 + pad) / H))
    fig.subplots_adjust(left=left, bottom=bottom)


def correlation_heatmap(data: pd.DataFrame, *, annot: bool | None = None, cmap: str = "RdBu_r",
                        ax=None):
    """Heatmap of a correlation matrix (e.g. :func:`polygov.audit.correlation_matrix`)."""
    import seaborn as sns

    n = len(data)
    ax = _ax(ax, (max(4, 0.35 * n), max(3.5, 0.3 * n)))
    annot = n <= 15 if annot is None else annot
    # vmin/vmax symmetric about 0 already centre the diverging map (seaborn's center=
    # would rebuild the colormap and trigger a matplotlib deprecation warning)
    sns.heatmap(data, vmin=-1, vmax=1, cmap=cmap, annot=annot, fmt=".2f",
                annot_kws={"fontsize": 7}, square=True, cbar_kws={"label": "correlation (r)"}, ax=ax)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return ax


def score_bars(data: pd.DataFrame, *, x: str = "score", y: str = "iso3", hue: str | None = None,
               names: bool = True, xlabel: str = "score", ax=None):
    """Horizontal bars sorted by score, best at the top, labelled with country names."""
    d = data.sort_values(x, ascending=True, kind="stable")
    ax = _ax(ax, (6, max(3, 0.18 * len(d))))
    pos = np.arange(len(d))
    if hue is None:
        ax.barh(pos, d[x], color="C0")
    else:
        cats = list(dict.fromkeys(d[hue]))
        colors = {c: f"C{i % 10}" for i, c in enumerate(cats)}
        ax.barh(pos, d[x], color=[colors[c] for c in d[hue]])
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=colors[c], label=str(c)) for c in cats], frameon=False,
                  fontsize=7, title=hue)
    ax.set_yticks(pos)
    ax.set_yticklabels(_names(d[y], names), fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    return ax
