"""Normalisation functions: one registry of plain Series-in/Series-out functions.

Every function takes the direction-aligned values of one indicator (higher = better;
missing values stay missing) plus keyword parameters, and returns a Series on the same
index.  Add your own with ``NORMALISERS["mine"] = f``.

With a country-year panel, :func:`polygov.index.build` passes all years of an
indicator at once, so the bounds (min/max, mean/sd, ranks) are pooled over years and
scores are comparable over time.

========================= =================================================================
name                      formula (x aligned so higher is better)
========================= =================================================================
``minmax``                ``lo + (hi - lo) (x - min) / (max - min)``, default range 0-100
``zscore``                ``mean + sd (x - mean(x)) / sd(x)``, default mean 0, sd 1 (ddof=1)
``rank``                  ``rank(x)`` (average ties), 1 = lowest
``percentile``            ``100 (rank(x) - 1) / (n - 1)``: 0 = worst, 100 = best
``goalposts``             ``scale * clip((f(x) - f(lower)) / (f(upper) - f(lower)), 0, 1)``,
                          ``f = log`` when ``log=True`` (HDI income); bounds in raw units
``distance_to_target``    ``scale * clip((x - min) / (target - min), 0, 1)`` (COINr n_dist2targ)
``distance_to_frontier``  ``scale * x / max(x)``: share of the best performer (x > 0)
``ordinal``               category 1..k of the quantile bins (``k=5``; ``pd.qcut`` without
                          ties, tied values share a category) or of ``breaks``
========================= =================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NORMALISERS", "minmax", "zscore", "rank", "percentile", "goalposts",
           "distance_to_target", "distance_to_frontier", "ordinal", "normalise"]


def _constant(x: pd.Series, name: str) -> None:
    v = x.dropna()
    if len(v) and v.max() == v.min():
        raise ValueError(f"{name} normalisation of {x.name!r}: all values equal ({v.iloc[0]}); "
                         "drop the indicator or use goalposts")


def minmax(x: pd.Series, *, lo: float = 0.0, hi: float = 100.0) -> pd.Series:
    if not hi > lo:
        raise ValueError(f"min-max normalisation of {x.name!r}: hi ({hi}) must exceed lo ({lo}); "
                         "use direction=-1 to reverse an indicator, not lo > hi")
    _constant(x, "min-max")
    return lo + (hi - lo) * (x - x.min()) / (x.max() - x.min())


def zscore(x: pd.Series, *, mean: float = 0.0, sd: float = 1.0) -> pd.Series:
    _constant(x, "z-score")
    return mean + sd * (x - x.mean()) / x.std(ddof=1)


def rank(x: pd.Series) -> pd.Series:
    return x.rank(method="average")


def percentile(x: pd.Series, *, ties: str = "average") -> pd.Series:
    """100 * (rank - 1) / (n - 1); ``ties``: ``"average"`` (default), ``"min"`` (COINr's
    ``n_prank``: tied values all get the lowest of their ranks) or ``"max"``."""
    if ties not in ("average", "min", "max"):
        raise ValueError(f"percentile normalisation of {x.name!r}: ties must be 'average', 'min' "
                         f"or 'max', got {ties!r}")
    n = x.notna().sum()
    if n < 2:
        raise ValueError(f"percentile normalisation of {x.name!r} needs at least 2 values, got {n}")
    return 100.0 * (x.rank(method=ties) - 1) / (n - 1)


def goalposts(x: pd.Series, *, lower: float, upper: float, scale: float = 1.0,
              log: bool = False, clip: bool = True) -> pd.Series:
    if not upper > lower:
        raise ValueError(f"goalposts for {x.name!r}: upper ({upper}) must exceed lower ({lower})")
    if log:
        if lower <= 0:
            raise ValueError(f"log goalposts for {x.name!r} need lower > 0, got {lower}")
        f = np.log
        x = x.where(x > 0)
    else:
        def f(v):
            return v
    y = (f(x) - f(lower)) / (f(upper) - f(lower))
    if clip:
        y = y.clip(0, 1)
    return scale * y


def distance_to_target(x: pd.Series, *, target: float, scale: float = 1.0) -> pd.Series:
    lo = x.min()
    if not target > lo:
        raise ValueError(f"target for {x.name!r} ({target}) must exceed the worst value ({lo})")
    return scale * ((x - lo) / (target - lo)).clip(0, 1)


def distance_to_frontier(x: pd.Series, *, scale: float = 1.0) -> pd.Series:
    if (x.dropna() <= 0).any():
        raise ValueError(f"distance_to_frontier of {x.name!r} needs positive aligned values; "
                         "use minmax or distance_to_target for indicators with zeros/negatives")
    return scale * x / x.max()


def ordinal(x: pd.Series, *, k: int = 5, breaks=None) -> pd.Series:
    """Category 1..k: quantile bins of the values, or the bins ``breaks`` of the values.

    Without ties this is ``pd.qcut(x, k, labels=False) + 1`` itself (pandas' quantile
    edges of the values, right-closed bins).  With ties, equal values always share a
    category: a value's position is its average rank (``rank(method="average")``), cut
    at pandas' k-quantiles of the positions ``1..n`` (``Series.quantile``, as ``qcut``
    computes them), so a bin may hold more (or fewer) than n/k units rather than
    splitting equal values across categories (``qcut`` on the values would refuse
    repeated edges, and ``qcut`` on ``rank(method="first")`` splits ties).
    """
    if breaks is not None:
        cats = pd.cut(x, bins=list(breaks), labels=False, include_lowest=True)
        return cats.astype(float) + 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"ordinal normalisation of {x.name!r}: k must be an integer >= 1, got {k!r}")
    v = x.dropna()
    n = len(v)
    if n < 2:
        return pd.Series(np.where(x.notna(), 1.0, np.nan), index=x.index, name=x.name)
    cats = None
    if v.is_unique:
        try:
            cats = pd.qcut(x, int(k), labels=False)
        except ValueError:          # edges collapsed in floating point (k far above n)
            cats = None
    if cats is None:
        edges = pd.Series(np.arange(1, n + 1, dtype=float)).quantile(np.linspace(0, 1, int(k) + 1))
        cats = pd.cut(x.rank(method="average"), bins=edges.to_numpy(), labels=False,
                      include_lowest=True)
    return pd.Series(np.asarray(cats, dtype=float) + 1, index=x.index, name=x.name)


NORMALISERS = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "percentile": percentile,
    "goalposts": goalposts,
    "distance_to_target": distance_to_target,
    "distance_to_frontier": distance_to_frontier,
    "ordinal": ordinal,
}

# parameters given in raw units, which must be mirrored when direction is -1
_RAW_UNIT_PARAMS = {"goalposts": ("lower", "upper"), "distance_to_target": ("target",)}


def normalise(x: pd.Series, method: str = "minmax", *, direction: int = 1, **params) -> pd.Series:
    """Align ``x`` by ``direction`` and normalise it with ``NORMALISERS[method]``.

    For ``direction=-1`` the values are negated first, so higher is always better;
    goalposts and targets are given in raw units and are mirrored accordingly (for
    goalposts, the best value ``lower`` maps to 1).
    """
    from ..errors import check_in

    check_in(method, NORMALISERS, name="normalisation")
    x = x.astype(float)
    if direction == -1:
        x = -x
        if method == "goalposts":
            lo, hi = params["lower"], params["upper"]
            if params.get("log"):
                raise ValueError(f"log goalposts with direction -1 are not supported ({x.name!r})")
            params = {**params, "lower": -hi, "upper": -lo}
        elif method == "distance_to_target":
            params = {**params, "target": -params["target"]}
    out = NORMALISERS[method](x, **params)
    return pd.Series(np.asarray(out, dtype=float), index=x.index, name=x.name)
