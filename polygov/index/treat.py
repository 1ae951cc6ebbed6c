"""Outlier treatment: COINr-style winsorisation on skewness/kurtosis, then a log transform.

The rule (the one COINr's ``Treat()``/``qTreat()`` applies by default, after the
JRC's COIN Tool):

1. An indicator *fails* when ``|skew| > skew_thresh`` **and** ``kurtosis > kurt_thresh``
   (defaults 2 and 3.5).  Skewness and (excess) kurtosis are the bias-corrected sample
   statistics (``scipy.stats.skew(bias=False)``, ``scipy.stats.kurtosis(bias=False)``,
   the formulas of Excel's SKEW and KURT).
2. A failing indicator is winsorised one step at a time: on the side of the skew, the
   most extreme value is replaced by the next most extreme distinct value, until it
   passes or ``winmax`` points have been changed.
3. If winsorisation cannot make it pass, the winsorised values are discarded and the
   *original* values are log-transformed ("COIN Tool log", skew-aware):
   ``log(x - min + a)`` for positive skew, ``-log(max + a - x)`` for negative skew,
   with ``a = 0.01 (max - min)``.

Every changed point is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["skew_kurt", "winsorise", "log_ct", "treat_series"]


def skew_kurt(x) -> tuple[float, float]:
    """Bias-corrected sample skewness and excess kurtosis of the non-missing values.

    ``G1 = sqrt(n(n-1))/(n-2) g1`` and ``G2 = (n-1)((n+1) g2 + 6)/((n-2)(n-3))`` with
    ``g1 = m3/m2^1.5`` and ``g2 = m4/m2^2 - 3`` (equal to ``scipy.stats.skew(bias=False)``
    and ``scipy.stats.kurtosis(bias=False)``, tested).
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n < 4 or np.ptp(v) == 0:
        return 0.0, 0.0
    d = v - v.mean()
    m2 = (d ** 2).mean()
    g1 = (d ** 3).mean() / m2 ** 1.5
    g2 = (d ** 4).mean() / m2 ** 2 - 3.0
    return (float(np.sqrt(n * (n - 1)) / (n - 2) * g1),
            float((n - 1) * ((n + 1) * g2 + 6) / ((n - 2) * (n - 3))))


def _fails(x, skew_thresh: float, kurt_thresh: float) -> bool:
    s, k = skew_kurt(x)
    return abs(s) > skew_thresh and k > kurt_thresh


def winsorise(x: pd.Series, *, winmax: int = 5, skew_thresh: float = 2.0,
              kurt_thresh: float = 3.5) -> tuple[pd.Series, list[tuple]]:
    """Winsorise ``x`` step by step until it passes the skew/kurtosis rule.

    Returns
    -------
    (Series, list)
        The winsorised series and a list of ``(index label, old, new)`` for changed points.
        If the rule still fails after ``winmax`` points, the series returned still fails;
        :func:`treat_series` then falls back to :func:`log_ct`.
    """
    orig = x.to_numpy(dtype=float)
    y = orig.copy()
    changed = np.zeros(len(y), dtype=bool)
    while _fails(y, skew_thresh, kurt_thresh):
        s, _ = skew_kurt(y)
        ok = ~np.isnan(y)
        ext = np.max(y[ok]) if s > 0 else np.min(y[ok])
        hit = ok & (y == ext)
        rest = y[ok & ~hit]
        if rest.size == 0 or int((changed | hit).sum()) > winmax:
            break
        y[hit] = rest.max() if s > 0 else rest.min()
        changed |= hit
    idx = np.nonzero(changed)[0]
    pts = [(x.index[i], float(orig[i]), float(y[i])) for i in idx]
    return pd.Series(y, index=x.index, name=x.name), pts


def log_ct(x: pd.Series) -> pd.Series:
    """Skew-aware "COIN Tool log": ``log(x-min+a)`` (positive skew) or ``-log(max+a-x)``."""
    v = x.astype(float)
    lo, hi = v.min(), v.max()
    a = 0.01 * (hi - lo)
    s, _ = skew_kurt(v)
    if s >= 0:
        return np.log(v - lo + a)
    return -np.log(hi + a - v)


def treat_series(x: pd.Series, *, method: str = "winsorise", winmax: int = 5,
                 skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> tuple[pd.Series, list[dict]]:
    """Apply the treatment rule to one indicator.

    Parameters
    ----------
    method : {"winsorise", "none"}
        "winsorise" applies the full rule of the module docstring.

    Returns
    -------
    (Series, list of dict)
        Treated values and one record per changed point with keys ``index, before, after,
        action, reason``.
    """
    if method == "none":
        return x.astype(float), []
    if method != "winsorise":
        raise ValueError(f"unknown treatment {method!r}; expected one of 'winsorise', 'none'")
    s0, k0 = skew_kurt(x)
    if not _fails(x, skew_thresh, kurt_thresh):
        return x.astype(float), []
    y, pts = winsorise(x, winmax=winmax, skew_thresh=skew_thresh, kurt_thresh=kurt_thresh)
    why = f"skew={s0:.2f}, kurtosis={k0:.2f} exceed ({skew_thresh}, {kurt_thresh})"
    if not _fails(y, skew_thresh, kurt_thresh):
        return y, [dict(index=i, before=b, after=a, action="winsorised", reason=why)
                   for i, b, a in pts]
    z = log_ct(x)
    s1, k1 = skew_kurt(z)
    reason = (f"{why}; winsorising {winmax} points was not enough, log transform applied "
              f"(after: skew={s1:.2f}, kurtosis={k1:.2f})")
    recs = [dict(index=i, before=float(x.loc[i]), after=float(z.loc[i]), action="log",
                 reason=reason) for i in x.index if not pd.isna(x.loc[i])]
    return z, recs
