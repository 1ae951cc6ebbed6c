"""Outlier treatment: COINr-style winsorisation on skewness/kurtosis, then a log transform.

The rule is COINr 1.1.x's default ``Treat()``/``qTreat()`` rule (after the JRC's COIN
Tool), except that the log fallback of step 3 is skew-aware unless ``fallback="log_ct"``; source: COINr ``R/treat.R`` (``Treat.numeric``, ``winsorise``,
``check_SkewKurt``, ``skew``, ``kurt``, ``log_CT``, ``log_CT_plus``), github.com/bluefoxr/COINr,
and the vignette "Outlier treatment" (bluefoxr.github.io/COINr/articles/treat.html):

1. An indicator *passes* when ``|skew| < skew_thresh`` **or** ``kurtosis < kurt_thresh``
   (defaults 2 and 3.5), so it *fails* when ``|skew| >= skew_thresh`` and
   ``kurtosis >= kurt_thresh``.  Skewness and (excess) kurtosis are the bias-corrected
   sample statistics of the non-missing values (COINr's ``skew``/``kurt``, taken from
   ``e1071`` type 2; equal to ``scipy.stats.skew(bias=False)``,
   ``scipy.stats.kurtosis(bias=False)`` and Excel's SKEW and KURT).
2. A failing indicator is winsorised one step at a time: on the side of the skew (the high
   side when ``skew >= 0``), every point at the most extreme value is set to the next most
   extreme value; the skew is recomputed before each step, and steps continue while the
   indicator fails and fewer than ``winmax`` points have been changed.  As in COINr, a step
   that moves several tied points may take the count past ``winmax``.
3. If the winsorised indicator still fails, the winsorised values are discarded and the
   *original* values are log-transformed, with ``a = 0.01 (max - min)``:

   - ``fallback="log_ct_plus"`` (default): skew-aware, ``log(x - min + a)`` for positive
     skew and ``-log(max + a - x)`` otherwise (COINr's ``log_CT_plus``, "bi-direction log
     transformation", COINr >= 1.1.2, chosen there with ``f2 = "log_CT_plus"``);
   - ``fallback="log_ct"``: ``log(x - min + a)`` whatever the skew (COINr's default ``f2``,
     ``log_CT``).  Use it to reproduce COINr's default exactly; for a negatively skewed
     indicator it makes the skew worse, which is why polygov does not default to it.

Every changed point is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["skew_kurt", "winsorise", "log_ct", "treat_series", "FALLBACKS"]

#: Log transforms used when winsorisation is not enough (see the module docstring).
FALLBACKS = ("log_ct_plus", "log_ct")


def skew_kurt(x) -> tuple[float, float]:
    """Bias-corrected sample skewness and excess kurtosis of the non-missing values.

    ``G1 = sqrt(n(n-1))/(n-2) g1`` and ``G2 = (n-1)((n+1) g2 + 6)/((n-2)(n-3))`` with
    ``g1 = m3/m2^1.5`` and ``g2 = m4/m2^2 - 3`` (equal to ``scipy.stats.skew(bias=False)``
    and ``scipy.stats.kurtosis(bias=False)``, tested).
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    # the reductions ndarray.mean()/np.ptp() make (a sum divided by n; max - min), called
    # directly: this runs for every indicator and winsorisation step (same numbers, tested)
    if n < 4 or np.maximum.reduce(v) - np.minimum.reduce(v) == 0:
        return 0.0, 0.0
    add = np.add.reduce
    d = v - add(v) / n
    m2 = add(d ** 2) / n
    g1 = add(d ** 3) / n / m2 ** 1.5
    g2 = add(d ** 4) / n / m2 ** 2 - 3.0
    return (float(np.sqrt(n * (n - 1)) / (n - 2) * g1),
            float((n - 1) * ((n + 1) * g2 + 6) / ((n - 2) * (n - 3))))


def _fails(x, skew_thresh: float, kurt_thresh: float) -> bool:
    # COINr check_SkewKurt: pass = |skew| < skew_thresh or kurt < kurt_thresh
    s, k = skew_kurt(x)
    return abs(s) >= skew_thresh and k >= kurt_thresh


class _WinsorPath:
    """The states of the stepwise winsorisation of one series, computed once, read for any winmax.

    ``winsorise(x, winmax=k)`` walks the same states for every ``k`` and stops at the first
    that passes the rule or has ``k`` or more changed points, so treatment alternatives that
    differ only in ``winmax`` (a sensitivity analysis over winsorisation limits) share one
    walk.  Each state is computed exactly as in a single run (bitwise equal).
    """

    def __init__(self, x: pd.Series, skew_thresh: float, kurt_thresh: float):
        self.x = x
        self.thresh = (skew_thresh, kurt_thresh)
        orig = x.to_numpy(dtype=float)
        self.orig = orig
        self.states = [(orig.copy(), np.zeros(len(orig), dtype=bool))]
        self._sk: dict = {}
        self._end: int | None = None           # index of the last state (nothing left to clip)
        self._log: dict = {}
        self._labels: dict[int, object] = {}

    def label(self, j: int):
        """``self.x.index[j]``, looked up once (the records of every winmax use it)."""
        if j not in self._labels:
            self._labels[j] = self.x.index[j]
        return self._labels[j]

    def _skew_kurt(self, i: int) -> tuple[float, float]:
        if i not in self._sk:
            self._sk[i] = skew_kurt(self.states[i][0])
        return self._sk[i]

    def result(self, winmax) -> tuple[np.ndarray, np.ndarray]:
        """``(values, changed mask)`` of ``winsorise(x, winmax=winmax)``."""
        return self.states[self.index(winmax)]

    def index(self, winmax) -> int:
        """Position in ``self.states`` of the state ``winsorise(x, winmax=winmax)`` stops at."""
        skew_thresh, kurt_thresh = self.thresh
        i = 0
        while True:
            y, changed = self.states[i]
            # COINr winsorise(): step while failing and fewer than winmax points changed
            if not int(changed.sum()) < winmax:
                return i
            s, k = self._skew_kurt(i)
            if not (abs(s) >= skew_thresh and k >= kurt_thresh):   # _fails, sharing skew_kurt
                return i
            if i + 1 == len(self.states):
                if self._end == i:
                    return i
                ok = ~np.isnan(y)
                high = s >= 0
                ext = np.max(y[ok]) if high else np.min(y[ok])
                hit = ok & (y == ext)
                rest = y[ok & ~hit]
                if rest.size == 0:
                    self._end = i
                    return i
                y2 = y.copy()
                y2[hit] = rest.max() if high else rest.min()
                self.states.append((y2, changed | hit))
            i += 1

    def log(self, skew_aware: bool) -> pd.Series:
        if skew_aware not in self._log:
            self._log[skew_aware] = log_ct(self.x, skew_aware=skew_aware)
        return self._log[skew_aware]

    def log_values(self, skew_aware: bool) -> np.ndarray:
        """``log_ct(self.x, skew_aware=...)`` as an array: the same operations on the
        original values (min/max over the observed ones), so bitwise the same numbers."""
        key = ("values", skew_aware)
        if key not in self._log:
            v = self.orig
            ok = v[~np.isnan(v)]
            lo, hi = (ok.min(), ok.max()) if ok.size else (np.nan, np.nan)
            a = 0.01 * (hi - lo)
            s, _ = skew_kurt(v)
            self._log[key] = np.log(v - lo + a) if not skew_aware or s > 0 else -np.log(hi + a - v)
        return self._log[key]

    def log_skew_kurt(self, skew_aware: bool) -> tuple[float, float]:
        """``skew_kurt(self.log(skew_aware))``, computed once."""
        key = ("sk", skew_aware)
        if key not in self._sk:
            self._sk[key] = skew_kurt(self.log(skew_aware))
        return self._sk[key]


def winsorise(x: pd.Series, *, winmax: int = 5, skew_thresh: float = 2.0,
              kurt_thresh: float = 3.5, _path: _WinsorPath | None = None
              ) -> tuple[pd.Series, list[tuple]]:
    """Winsorise ``x`` step by step until it passes the skew/kurtosis rule.

    Returns
    -------
    (Series, list)
        The winsorised series and a list of ``(index label, old, new)`` for changed points.
        Stops once ``winmax`` or more points have changed (a tied step may pass
        ``winmax``, as in COINr).  If the rule still fails, the series returned still
        fails; :func:`treat_series` then falls back to :func:`log_ct`.
    """
    path = _path if _path is not None else _WinsorPath(x, skew_thresh, kurt_thresh)
    y, changed = path.result(winmax)
    orig = path.orig
    idx = np.nonzero(changed)[0]
    label = path.label if _path is not None else x.index.__getitem__
    pts = [(label(i), float(orig[i]), float(y[i])) for i in idx]
    return pd.Series(y.copy(), index=x.index, name=x.name), pts


def log_ct(x: pd.Series, *, skew_aware: bool = True) -> pd.Series:
    """"COIN Tool log" with ``a = 0.01 (max - min)``.

    ``skew_aware=True`` (COINr ``log_CT_plus``): ``log(x-min+a)`` for positive skew,
    ``-log(max+a-x)`` otherwise.  ``skew_aware=False`` (COINr ``log_CT``, its default):
    ``log(x-min+a)`` always.
    """
    v = x.astype(float)
    lo, hi = v.min(), v.max()
    a = 0.01 * (hi - lo)
    s, _ = skew_kurt(v)
    if not skew_aware or s > 0:
        return np.log(v - lo + a)
    return -np.log(hi + a - v)


def _treated_values(path: _WinsorPath, *, winmax: int = 5, skew_thresh: float = 2.0,
                    kurt_thresh: float = 3.5, fallback: str = "log_ct_plus") -> np.ndarray | None:
    """The values ``treat_series(path.x, method="winsorise", ..., _path=path)`` returns, alone.

    For the sensitivity engine, which needs the treated values of every winsorisation
    limit but not the per-point records: the same states of the shared walk (and the
    same cached log transform) are read, so the values are bitwise those of
    :func:`treat_series` (tested).  ``None`` when the indicator passes the rule untreated.
    ``path`` must have been built with ``skew_thresh``/``kurt_thresh``.
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"unknown treatment fallback {fallback!r}; expected one of "
                         f"{', '.join(repr(f) for f in FALLBACKS)}")
    s0, k0 = path._skew_kurt(0)
    if not (abs(s0) >= skew_thresh and k0 >= kurt_thresh):
        return None
    i = path.index(winmax)
    s, k = path._skew_kurt(i)
    if not (abs(s) >= skew_thresh and k >= kurt_thresh):
        return path.states[i][0].copy()
    return path.log_values(fallback == "log_ct_plus").copy()


def treat_series(x: pd.Series, *, method: str = "winsorise", winmax: int = 5,
                 skew_thresh: float = 2.0, kurt_thresh: float = 3.5,
                 fallback: str = "log_ct_plus", _path: _WinsorPath | None = None
                 ) -> tuple[pd.Series, list[dict]]:
    """Apply the treatment rule to one indicator.

    Parameters
    ----------
    method : {"winsorise", "none"}
        "winsorise" applies the full rule of the module docstring.
    fallback : {"log_ct_plus", "log_ct"}
        Log transform applied when winsorising ``winmax`` points is not enough:
        skew-aware (default, COINr ``log_CT_plus``) or COINr's default ``log_CT``.
        Set it through ``IndexSpec(treatment_params={"fallback": "log_ct"})``.

    _path : private
        A shared winsorisation walk (:class:`_WinsorPath`) of ``x`` with these thresholds,
        used by the sensitivity engine so that winsorisation limits share one walk.

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
    if fallback not in FALLBACKS:
        raise ValueError(f"unknown treatment fallback {fallback!r}; expected one of "
                         f"{', '.join(repr(f) for f in FALLBACKS)}")
    # with a shared walk, the skewness/kurtosis of its states (the same arrays) are reused
    s0, k0 = _path._skew_kurt(0) if _path is not None else skew_kurt(x)
    if not (abs(s0) >= skew_thresh and k0 >= kurt_thresh):   # _fails(x, ...)
        return x.astype(float), []
    y, pts = winsorise(x, winmax=winmax, skew_thresh=skew_thresh, kurt_thresh=kurt_thresh,
                       _path=_path)
    why = f"skew={s0:.2f}, kurtosis={k0:.2f} exceed ({skew_thresh}, {kurt_thresh})"
    s, k = (_path._skew_kurt(_path.index(winmax)) if _path is not None else skew_kurt(y))
    if not (abs(s) >= skew_thresh and k >= kurt_thresh):     # not _fails(y, ...)
        return y, [dict(index=i, before=b, after=a, action="winsorised", reason=why)
                   for i, b, a in pts]
    skew_aware = fallback == "log_ct_plus"
    if _path is not None:
        z, (s1, k1) = _path.log(skew_aware), _path.log_skew_kurt(skew_aware)
    else:
        z = log_ct(x, skew_aware=skew_aware)
        s1, k1 = skew_kurt(z)
    reason = (f"{why}; winsorising {winmax} points was not enough, {fallback} transform applied "
              f"(after: skew={s1:.2f}, kurtosis={k1:.2f})")
    xv, zv = x.to_numpy(dtype=float), np.asarray(z, dtype=float)
    label = _path.label if _path is not None else x.index.__getitem__
    recs = [dict(index=label(j), before=float(xv[j]), after=float(zv[j]), action="log",
                 reason=reason) for j in np.flatnonzero(~np.isnan(xv))]
    return z, recs
