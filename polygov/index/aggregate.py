"""Aggregation functions: one registry of plain functions ``f(x, w, **params) -> Series``.

``x`` is a DataFrame (rows = units, columns = the children of one aggregate), ``w`` a
Series of their weights keyed by column name.  Missing children are skipped and the
weights of the available ones rescaled to sum to one (COINr's default, ``na.rm``);
the availability threshold is applied by :func:`polygov.index.build`.

================ ==================================================================
name             formula (weights w normalised over available components)
================ ==================================================================
``arithmetic``   ``sum w x``
``geometric``    ``exp(sum w log x)`` -- needs x > 0
``harmonic``     ``1 / sum (w / x)`` -- needs x > 0
``generalised``  ``(sum w x^p)^(1/p)`` with ``p`` from ``aggregation_params`` (p=1
                 arithmetic, p->0 geometric, p=-1 harmonic); needs x > 0
``copeland``     Copeland score: for each pair of units, unit a beats b when the
                 weights of the components where a > b (ties count half) exceed 1/2;
                 score = wins - losses (non-compensatory; Munda & Nardo 2009)
``bod``          Benefit of the Doubt (DEA): each unit's score with its own most
                 favourable weights, ``100 * max_w sum w x`` s.t. no unit scores above
                 100 with those weights (Cherchye et al. 2007; COINr's ``a_bod``).
                 The framework weights are not used; ``aggregation_params`` ``lower``
                 and ``upper`` bound each component's share of the score.  Needs
                 complete, non-negative data; in a panel the frontier is each year's.
================ ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["AGGREGATORS", "arithmetic", "geometric", "harmonic", "generalised", "copeland",
           "bod", "power_mean", "aggregator_kwargs"]


def _check_positive_values(v: np.ndarray, index, columns, what: str) -> None:
    bad = ~np.isnan(v) & (v <= 0)
    if bad.any():
        r, c = np.nonzero(bad)
        cells = [f"{index[i]}/{columns[j]}={v[i, j]:.3g}" for i, j in zip(r[:5], c[:5], strict=True)]
        raise ValueError(f"{what} needs positive values, found {int(bad.sum())} values <= 0 "
                         f"({', '.join(cells)}); normalise to a positive range, e.g. "
                         "minmax with lo=1, hi=100")


def power_mean(x: pd.DataFrame, w: pd.Series, *, p: float) -> pd.Series:
    """Weighted power mean over the available columns (p=0: geometric)."""
    v = x.to_numpy(dtype=float)
    wt = np.asarray(w.reindex(x.columns), dtype=float)
    if np.isnan(wt).any():
        miss = list(x.columns[np.isnan(wt)])
        raise KeyError(f"no weight for component(s) {miss}; weights are keyed by code")
    return pd.Series(_power_mean_values(v, wt, p, x.index, x.columns), index=x.index)


def _power_mean_values(v: np.ndarray, wt: np.ndarray, p: float, index, columns) -> np.ndarray:
    """:func:`power_mean` on the values ``v`` (units x components) and weights ``wt``.

    ``index``/``columns`` label the cells named in the error for values <= 0.  Used by
    :func:`polygov.index.build.aggregate_frame` directly on its arrays (same operations on
    the same memory layout, hence the same numbers as through the DataFrame).
    """
    m = ~np.isnan(v)
    ww = m * wt
    den = ww.sum(axis=1)
    if p == 1:
        g = np.where(m, v, 0.0)
    else:
        _check_positive_values(v, index, columns,
                               "geometric mean" if p == 0 else
                               ("harmonic mean" if p == -1 else f"generalised mean (p={p})"))
        g = np.where(m, np.log(np.where(m, v, 1.0)) if p == 0 else np.where(m, v, 1.0) ** p, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (g * ww).sum(axis=1) / den
        out = t if p == 1 else (np.exp(t) if p == 0 else t ** (1.0 / p))
    return np.where(den > 0, out, np.nan)


def arithmetic(x: pd.DataFrame, w: pd.Series) -> pd.Series:
    return power_mean(x, w, p=1)


def geometric(x: pd.DataFrame, w: pd.Series) -> pd.Series:
    return power_mean(x, w, p=0)


def harmonic(x: pd.DataFrame, w: pd.Series) -> pd.Series:
    return power_mean(x, w, p=-1)


def generalised(x: pd.DataFrame, w: pd.Series, *, p: float = 2.0) -> pd.Series:
    return power_mean(x, w, p=float(p))


def copeland(x: pd.DataFrame, w: pd.Series) -> pd.Series:
    """Weighted Copeland score (wins minus losses in pairwise weighted-majority contests)."""
    v = x.to_numpy(dtype=float)
    wt = np.asarray(w.reindex(x.columns), dtype=float)
    m = ~np.isnan(v)
    # outranking a over b over components observed for both
    gt = (v[:, None, :] > v[None, :, :]).astype(float)
    eq = (v[:, None, :] == v[None, :, :]).astype(float)
    both = (m[:, None, :] & m[None, :, :]) * wt
    tot = both.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out_ab = ((gt + 0.5 * eq) * both).sum(axis=2) / tot
    win = (out_ab > 0.5) & (tot > 0)
    lose = (out_ab < 0.5) & (tot > 0)
    score = win.sum(axis=1) - lose.sum(axis=1)
    score = np.where(m.any(axis=1), score, np.nan).astype(float)
    return pd.Series(score, index=x.index)


def bod(x: pd.DataFrame, w: pd.Series, *, lower=None, upper=None) -> pd.Series:
    """Benefit-of-the-Doubt score, 0-100 (100 = on the frontier of the units in ``x``).

    ``w`` (the framework weights) is ignored: every unit gets its own most favourable
    weights, reported by :func:`polygov.index.weights.bod_weights`.
    """
    from .weights import bod_weights

    gaps = x.index[x.isna().any(axis=1)]
    if len(gaps):
        raise ValueError(f"bod aggregation needs every component of every unit; "
                         f"{len(gaps)} unit(s) have gaps in {list(x.columns)}, e.g. "
                         f"{[str(g) for g in gaps[:5]]}: impute first (IndexSpec(imputation=...))")
    return 100.0 * bod_weights(x, lower=lower, upper=upper)["bod_score"]


def aggregator_kwargs(name: str, params: Mapping, components) -> dict:
    """Keyword arguments of aggregator ``name`` from a spec's ``aggregation_params``.

    ``p`` for ``generalised``; ``lower``/``upper`` for ``bod``, a mapping bound restricted
    to ``components`` (the aggregate's components that take part, so a bound on a
    component of another aggregate, or on a left-out one, is not passed).  Used by
    :func:`polygov.index.build` and the per-draw path of the sensitivity engine alike.
    """
    if name == "generalised":
        return {"p": params["p"]} if "p" in params else {}
    if name == "bod":
        comps = set(components)
        out = {}
        for k in ("lower", "upper"):
            if k in params and params[k] is not None:
                v = params[k]
                out[k] = {c: b for c, b in v.items() if c in comps} if isinstance(v, Mapping) else v
        return out
    return {}


AGGREGATORS = {
    "arithmetic": arithmetic,
    "geometric": geometric,
    "harmonic": harmonic,
    "generalised": generalised,
    "copeland": copeland,
    "bod": bod,
}

# power of each power-mean aggregator (used by the vectorised sensitivity engine)
POWER = {"arithmetic": 1.0, "geometric": 0.0, "harmonic": -1.0}


def builtin_power(name: str, kw: Mapping) -> float | None:
    """The power ``p`` when ``AGGREGATORS[name]`` is still polygov's own power mean, else None.

    ``kw``: the aggregator's keyword arguments (``p`` for ``generalised``).  A function a
    user put in the registry in its place returns None (it is then called as registered).
    """
    f = AGGREGATORS.get(name)
    if name in POWER and f is _BUILTIN[name]:
        return POWER[name]
    if name == "generalised" and f is generalised:
        return float(kw.get("p", 2.0))
    return None


_BUILTIN = {"arithmetic": arithmetic, "geometric": geometric, "harmonic": harmonic}
