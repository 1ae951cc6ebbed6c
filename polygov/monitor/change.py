"""Changes over windows of k years, with standard errors and the probability of a decline.

For unit i, indicator j, end year t and window k the monitor compares the estimate in
``t`` with the one in ``t - k`` (both must be published; with the WGI's biennial early
years a one-year change from 1998 does not exist).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import special

from .inputs import _as_panel

__all__ = ["changes", "CHANGE_COLUMNS"]

CHANGE_COLUMNS = ["iso3", "indicator", "year", "window", "year_from", "estimate", "std_error",
                  "statistic", "p_value", "prob_decline", "level_from", "level_to", "se_from", "se_to"]


def _ndtr(x):
    return special.ndtr(x)


def changes(panel: pd.DataFrame, *, windows: Iterable[int] = (1, 3, 5), rho: float = 0.0) -> pd.DataFrame:
    """Every change of every unit and indicator over every window.

    Parameters
    ----------
    panel : DataFrame
        A monitor panel (``iso3``, ``indicator``, ``year``, ``estimate``,
        ``std_error``), e.g. from :func:`~polygov.monitor.from_std_error`.
    windows : iterable of int, default (1, 3, 5)
        Window lengths k in years (positive integers).
    rho : float, default 0.0
        Correlation of a unit's measurement errors in the two years compared, in
        [0, 1).  0 treats them as independent (the WGI's and V-Dem's own advice);
        a positive value narrows the standard error of a change.

    Returns
    -------
    DataFrame
        One row per unit x indicator x end year x window where both years are
        published: ``iso3``, ``indicator``, ``year`` (end year t), ``window`` (k),
        ``year_from`` (t - k), ``estimate`` (change ``x_t - x_{t-k}``),
        ``std_error`` (``sqrt(s_t² + s_{t-k}² - 2 rho s_t s_{t-k})``),
        ``statistic`` (z = change / SE), ``p_value`` (one-sided, for a decline:
        ``Φ(z)``, the p-value of H0: no decline), ``prob_decline`` (``Φ(-z)``, the
        probability that the true change is negative given a flat prior and normal
        errors), ``level_from``, ``level_to``, ``se_from``, ``se_to`` (the two
        estimates and their standard errors).

    Notes
    -----
    Computed on a units x years array for each indicator and window (no Python loop
    over units), so the whole WGI (214 economies x 6 dimensions x 25 years x 3
    windows) takes a few tens of milliseconds.  ``p_value + prob_decline = 1``:
    a decline is "significant" when ``p_value`` is small, i.e. ``prob_decline``
    is close to 1.
    """
    panel = _as_panel(panel)
    windows = list(windows)
    if not windows or any(not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1 for k in windows):
        raise ValueError(f"windows must be positive integers (years), e.g. (1, 3, 5); got {windows}")
    if not (0.0 <= float(rho) < 1.0):
        raise ValueError(f"rho must be in [0, 1); got {rho}")
    ind_codes, ind_labels = pd.factorize(panel["indicator"], sort=False)
    unit_codes, unit_labels = pd.factorize(panel["iso3"], sort=True)
    years = panel["year"].to_numpy(dtype=int)
    y0, y1 = years.min(), years.max()
    n_s = len(ind_labels) * len(unit_labels)
    sid = ind_codes * len(unit_labels) + unit_codes
    T = y1 - y0 + 1
    E = np.full((n_s, T), np.nan)
    S = np.full((n_s, T), np.nan)
    E[sid, years - y0] = panel["estimate"].to_numpy(dtype=float)
    S[sid, years - y0] = panel["std_error"].to_numpy(dtype=float)
    out = []
    ind_of = np.repeat(np.arange(len(ind_labels)), len(unit_labels))
    unit_of = np.tile(np.arange(len(unit_labels)), len(ind_labels))
    for k in sorted(set(int(k) for k in windows)):
        if k >= T:
            continue
        a, b = E[:, :-k], E[:, k:]
        sa, sb = S[:, :-k], S[:, k:]
        ok = ~(np.isnan(a) | np.isnan(b))
        si, ti = np.nonzero(ok)
        d = b[si, ti] - a[si, ti]
        s_a, s_b = sa[si, ti], sb[si, ti]
        se = np.sqrt(s_a**2 + s_b**2 - 2 * rho * s_a * s_b)
        z = d / se
        out.append(pd.DataFrame({
            "iso3": unit_labels.to_numpy()[unit_of[si]],
            "indicator": ind_labels.to_numpy()[ind_of[si]],
            "year": ti + k + y0,
            "window": k,
            "year_from": ti + y0,
            "estimate": d,
            "std_error": se,
            "statistic": z,
            "p_value": _ndtr(z),
            "prob_decline": _ndtr(-z),
            "level_from": a[si, ti],
            "level_to": b[si, ti],
            "se_from": s_a,
            "se_to": s_b,
        }))
    if not out:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    res = pd.concat(out, ignore_index=True)
    return res.sort_values(["indicator", "iso3", "window", "year"], kind="mergesort").reset_index(drop=True)
