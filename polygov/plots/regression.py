"""Regression figures: coefficient plot, marginal-effect plot, specification curve.

These functions only draw.  Pass them tidy output: ``RegressionResults.tidy()``
(or several stacked with a ``model`` column), ``polygov.regression.marginal_effect(...)``
and ``polygov.regression.specification_curve(...)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe

__all__ = ["coef_plot", "marginal_effect_plot", "specification_curve_plot"]


def coef_plot(data: pd.DataFrame, *, x: str = "estimate", y: str = "term", hue: str | None = None,
              ci: Sequence[str] = ("ci_low", "ci_high"), ax=None, order: Sequence[str] | None = None,
              xlabel: str = "estimate (units of the outcome per unit of the regressor)",
              reference: float | None = 0.0):
    """Point estimates with confidence intervals, one row per term.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy coefficients (``RegressionResults.tidy()``); stack several models
        with a ``hue`` column (e.g. ``model``) to compare them.
    x, y, hue : str
        Estimate column, term column, optional grouping column (dodged).
    ci : pair of str
        Interval columns.
    order : list of str, optional
        Term order top to bottom (default: as in ``data``).
    reference : float or None
        Draw a vertical reference line (default at 0).

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_dataframe(data)
    check_columns(data, [x, y, *ci] + ([hue] if hue else []))
    terms = list(dict.fromkeys(data[y])) if order is None else list(order)
    groups = list(dict.fromkeys(data[hue])) if hue else [None]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(terms) * max(1, len(groups) * 0.6) + 1.2))
    palette = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    width = 0.6
    for gi, g in enumerate(groups):
        d = data if g is None else data[data[hue] == g]
        offset = 0 if len(groups) == 1 else (gi - (len(groups) - 1) / 2) * width / len(groups)
        pos = {t: i for i, t in enumerate(terms)}
        d = d[d[y].isin(terms)]
        yy = np.array([pos[t] for t in d[y]]) + offset
        colour = palette[gi % len(palette)]
        ax.hlines(yy, d[ci[0]], d[ci[1]], color=colour, lw=2)
        ax.plot(d[x], yy, "o", color=colour, label=None if g is None else str(g))
    if reference is not None:
        ax.axvline(reference, color="0.4", lw=1, ls="--")
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels(terms)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    if hue:
        ax.legend(title=hue, frameon=False)
    return ax


def marginal_effect_plot(data: pd.DataFrame, *, x: str, y: str = "estimate",
                         ci: Sequence[str] = ("ci_low", "ci_high"), ax=None,
                         xlabel: str | None = None, ylabel: str = "marginal effect",
                         rug: Sequence[float] | pd.Series | None = None, color: str = "C0"):
    """Marginal effect over a moderator with its confidence band.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`polygov.regression.marginal_effect`.
    x : str
        Moderator column (the ``z`` passed to ``marginal_effect``).
    y, ci : str
        Effect and band columns.
    rug : array-like, optional
        Observed moderator values, drawn as a rug to show where the data are.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_dataframe(data)
    check_columns(data, [x, y, *ci])
    d = data.sort_values(x)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(d[x], d[ci[0]], d[ci[1]], color=color, alpha=0.25, lw=0,
                    label="confidence band")
    ax.plot(d[x], d[y], color=color, lw=2, label="marginal effect")
    ax.axhline(0, color="0.4", lw=1, ls="--")
    if rug is not None:
        r = np.asarray(pd.Series(rug).dropna(), dtype=float)
        lo, hi = ax.get_ylim()
        ax.plot(r, np.full_like(r, lo), "|", color="0.3", ms=8, alpha=0.5)
        ax.set_ylim(lo, hi)
    ax.set_xlabel(xlabel or x.replace("_", " "))
    ax.set_ylabel(ylabel)
    return ax


def specification_curve_plot(data: pd.DataFrame, *, dimensions: Sequence[str] | None = None,
                             alpha: float = 0.05, fig=None, height_ratios=(2, 1.4),
                             ylabel: str = "estimate of the treatment"):
    """Specification curve with the specification-indicator panel below.

    Top: every specification's estimate (ordered) with its interval,
    coloured by sign and significance (``p_value < alpha``).  Bottom: one row
    per choice (outcome, treatment, control set, sample, estimator), a dot
    marking the choices each specification made.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`polygov.regression.specification_curve`.
    dimensions : list of str, optional
        Choice columns shown below (default: those with more than one value).

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[curve_ax, indicator_ax]``.
    """
    check_dataframe(data)
    base = ["estimate", "ci_low", "ci_high", "p_value"]
    check_columns(data, base)
    d = data[data["estimate"].notna()].sort_values("estimate", kind="mergesort")
    d = d.reset_index(drop=True)
    if d.empty:
        raise ValueError("no successful specification to plot (all estimates are missing)")
    if dimensions is None:
        dims = [c for c in ("outcome", "treatment", "controls", "sample", "estimator")
                if c in d.columns and d[c].nunique() > 1]
        dims = dims or [c for c in ("treatment",) if c in d.columns]
    else:
        dims = list(dimensions)
        check_columns(d, dims)
    labels = [(dim, v) for dim in dims for v in sorted(d[dim].astype(str).unique())]
    if fig is None:
        fig = plt.figure(figsize=(max(7, 0.12 * len(d) + 3), 4 + 0.25 * len(labels)))
    gs = fig.add_gridspec(2, 1, height_ratios=[height_ratios[0],
                                               max(height_ratios[1], 0.2 * len(labels))],
                          hspace=0.05)
    ax1 = fig.add_subplot(gs[0])
    ax2 = fig.add_subplot(gs[1], sharex=ax1)
    pos = np.arange(len(d))
    sig = d["p_value"] < alpha
    colour = np.where(sig & (d["estimate"] > 0), "#1f77b4",
                      np.where(sig & (d["estimate"] < 0), "#d62728", "0.6"))
    ax1.vlines(pos, d["ci_low"], d["ci_high"], colors=colour, lw=1, alpha=0.6)
    ax1.scatter(pos, d["estimate"], c=list(colour), s=14, zorder=3)
    ax1.axhline(0, color="0.3", lw=1, ls="--")
    ax1.set_ylabel(ylabel)
    ax1.tick_params(labelbottom=False)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=c, label=lab) for c, lab in
               (("#1f77b4", f"positive, p < {alpha}"), ("#d62728", f"negative, p < {alpha}"),
                ("0.6", "not significant"))]
    ax1.legend(handles=handles, frameon=False, fontsize="small", loc="upper left")
    for row, (dim, v) in enumerate(labels):
        on = d[dim].astype(str).to_numpy() == v
        ax2.scatter(pos[on], np.full(on.sum(), row), marker="s", s=12, color="0.2")
    ax2.set_yticks(range(len(labels)))
    ax2.set_yticklabels([f"{dim}: {v}" for dim, v in labels], fontsize="small")
    ax2.set_ylim(len(labels) - 0.5, -0.5)
    ax2.set_xlabel("specification (ordered by estimate)")
    ax2.set_xlim(-1, len(d))
    return np.array([ax1, ax2])
