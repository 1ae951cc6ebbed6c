"""Decision rules for declines: Benjamini-Hochberg false-discovery control, unadjusted
one-sided tests, and the WGI's non-overlapping-intervals rule.

The *family* of tests is, by default, every unit x indicator compared over the same
window and ending in the same year: "which of the world's countries and dimensions
declined over the k years to t?".  Pass ``family=()`` to control the rate over all
rows at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import check_columns, check_dataframe, check_in, check_unit_interval

__all__ = ["RULES", "bh_qvalues", "flag_declines"]

RULES = ("fdr", "unadjusted", "non_overlap")


def bh_qvalues(p_values, groups=None) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), within each group.

    ``q_(i) = min_{j >= i} m p_(j) / j`` over the m p-values of a group sorted in
    increasing order; rejecting ``q <= alpha`` is the BH step-up procedure at level
    alpha.  Vectorised over groups (one sort).  Validated against
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")`` in the tests.

    Parameters
    ----------
    p_values : array-like
        p-values in [0, 1] (no NaN).
    groups : array-like, optional
        Group labels of the same length; default one group.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional; got shape {p.shape}")
    if p.size == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must lie in [0, 1] without NaN")
    g = np.zeros(p.size, dtype=np.int64) if groups is None else pd.factorize(np.asarray(groups))[0]
    order = np.lexsort((p, g))
    gs, ps = g[order], p[order]
    start = np.r_[0, np.flatnonzero(np.diff(gs)) + 1]
    size = np.diff(np.r_[start, gs.size])
    first = np.repeat(start, size)
    m = np.repeat(size, size)
    rank = np.arange(gs.size) - first + 1
    q = ps * m / rank
    # running minimum from the end of each group: reverse, cumulative min per group
    rq = q[::-1]
    rg = gs[::-1]
    rstart = np.r_[0, np.flatnonzero(np.diff(rg)) + 1]
    out_r = np.empty_like(rq)
    for s, e in zip(rstart, np.r_[rstart[1:], rq.size], strict=True):
        out_r[s:e] = np.minimum.accumulate(rq[s:e])
    qs = np.minimum(out_r[::-1], 1.0)
    res = np.empty_like(qs)
    res[order] = qs
    return res


def flag_declines(changes: pd.DataFrame, *, rule: str = "fdr", q: float = 0.10, alpha: float = 0.05,
                  level: float = 0.90, family: Sequence[str] = ("window", "year")) -> pd.DataFrame:
    """Decide which changes are significant declines.

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`~polygov.monitor.changes`.
    rule : {"fdr", "unadjusted", "non_overlap"}, default "fdr"
        ``"fdr"``: Benjamini-Hochberg over each family at false-discovery rate ``q``
        (the monitor's rule); ``"unadjusted"``: each one-sided test at level
        ``alpha``; ``"non_overlap"``: the WGI's advice, a decline whose two
        ``level`` intervals (default 90 %) do not overlap.
    q : float, default 0.10
        Target false-discovery rate of the ``"fdr"`` rule.
    alpha : float, default 0.05
        Level of each one-sided test for ``"unadjusted"``.
    level : float, default 0.90
        Coverage of the intervals of the ``"non_overlap"`` rule.
    family : sequence of str, default ("window", "year")
        Columns whose combinations define a family for the ``"fdr"`` rule; every
        unit and indicator in it is one test.

    Returns
    -------
    DataFrame
        A copy of ``changes`` with ``q_value`` (BH-adjusted one-sided p-value within
        the family; also for the other rules, for reference), ``rule`` and
        ``flagged`` (bool: a significant decline under ``rule``).

    Notes
    -----
    All rules test declines one-sidedly: an increase is never flagged.  BH controls
    the expected share of false alarms among the flags at ``q`` (exactly ``q`` times
    the share of true nulls) when the tests are independent or positively dependent
    (Benjamini and Hochberg 1995; Benjamini and Yekutieli 2001).  The non-overlap
    rule, with equal standard errors, is a fixed cut at ``|z| > 2 · 1.645 / √2 ≈
    2.33`` for 90 % intervals: it does not adapt to how many declines there are,
    so its false-discovery rate grows as true declines get rarer.

    References
    ----------
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1), 289-300.
    Kaufmann, D., Kraay, A. and Mastruzzi, M. (2010). The Worldwide Governance Indicators:
    Methodology and Analytical Issues. World Bank Policy Research Working Paper 5430.
    """
    check_dataframe(changes, name="changes")
    check_columns(changes, ["estimate", "p_value", "level_from", "level_to", "se_from", "se_to"], name="changes")
    check_in(rule, RULES, name="rule")
    q = check_unit_interval(q, "q", 0.10)
    alpha = check_unit_interval(alpha, "alpha", 0.05)
    level = check_unit_interval(level, "level", 0.90)
    family = list(family)
    check_columns(changes, family, name="changes")
    out = changes.copy()
    if len(out) == 0:
        out["q_value"] = pd.Series(dtype=float)
        out["rule"] = pd.Series(dtype=str)
        out["flagged"] = pd.Series(dtype=bool)
        return out
    groups = None
    if family:
        groups = pd.MultiIndex.from_frame(out[family]).codes
        groups = np.ravel_multi_index(groups, [int(c.max()) + 1 for c in groups])
    qv = bh_qvalues(out["p_value"].to_numpy(dtype=float), groups)
    out["q_value"] = qv
    if rule == "fdr":
        flag = qv <= q
    elif rule == "unadjusted":
        flag = out["p_value"].to_numpy() <= alpha
    else:
        z = stats.norm.ppf(0.5 + level / 2)
        flag = (out["level_to"] + z * out["se_to"] < out["level_from"] - z * out["se_from"]).to_numpy()
    out["rule"] = rule
    out["flagged"] = flag & (out["estimate"].to_numpy() < 0)
    return out
