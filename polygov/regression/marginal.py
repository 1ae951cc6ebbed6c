"""Marginal effect of a regressor over the range of a moderator (linear interaction models)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .results import RegressionResults, check_unit_interval

__all__ = ["marginal_effect"]


def _interaction_term(params: pd.Index, x: str, z: str) -> str:
    for cand in (f"{x}:{z}", f"{z}:{x}"):
        if cand in params:
            return cand
    raise ValueError(
        f"no interaction term between {x!r} and {z!r} among the model terms {list(params)}; "
        f"fit the model with '{x} * {z}' or '{x} + {z} + {x}:{z}' in the formula")


def _check_values(values, z: str) -> np.ndarray:
    """``values=`` as a 1-D float array, or an error naming the parameter."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"values= must be a sequence of numbers (moderator {z!r} values), "
                        f"got the string {values!r}; e.g. values=[8, 9, 10]")
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"values= must be one-dimensional (moderator {z!r} values), got a "
                         f"DataFrame with columns {list(values.columns)}; pass one column, "
                         f"e.g. values=df[{z!r}]")
    if np.isscalar(values):
        values = [values]
    try:
        zv = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"values= must be numbers (moderator {z!r} values); could not convert "
                        f"{values!r} to floats: {exc}") from exc
    if zv.ndim != 1:
        raise ValueError(f"values= must be one-dimensional (moderator {z!r} values), got an "
                         f"array of shape {zv.shape}; flatten it (np.ravel) or pass a list, "
                         "e.g. values=[8, 9, 10]")
    if zv.size == 0:
        raise ValueError(f"values= is empty; give at least one moderator {z!r} value")
    if not np.isfinite(zv).all():
        bad = zv[~np.isfinite(zv)][:5].tolist()
        raise ValueError(f"values= contains non-finite moderator {z!r} values {bad}; drop them")
    return zv


def marginal_effect(
    results: RegressionResults,
    x: str,
    z: str,
    *,
    values: Sequence[float] | np.ndarray | None = None,
    data: pd.DataFrame | None = None,
    n: int = 50,
    level: float = 0.95,
) -> pd.DataFrame:
    """Marginal effect of ``x`` on the outcome as a function of the moderator ``z``.

    For ``y = b_x x + b_z z + b_xz x z + ...`` the marginal effect is
    ``dy/dx = b_x + b_xz z`` with variance
    ``V(b_x) + z^2 V(b_xz) + 2 z Cov(b_x, b_xz)`` (Brambor, Clark & Golder 2006),
    using the fitted model's covariance matrix (clustered etc.) and its t
    reference distribution.

    Parameters
    ----------
    results : RegressionResults
        A fit whose terms include ``x`` and the interaction ``x:z``.
    x, z : str
        Regressor and moderator names as they appear in ``results.params``.
    values : sequence of float, optional
        Moderator values at which to evaluate (one-dimensional; a single
        number is accepted).  Default: ``n`` evenly spaced
        points from the minimum to the maximum of ``data[z]``.
    data : pandas.DataFrame, optional
        Needed when ``values`` is not given (e.g. the estimation data).
    n : int
        Grid size when ``values`` is None.
    level : float, default 0.95
        Confidence level of the band, strictly between 0 and 1 (0.95, not 95).

    Returns
    -------
    pandas.DataFrame
        Columns ``<z>`` (the moderator value), ``estimate``, ``std_error``,
        ``statistic``, ``p_value``, ``ci_low``, ``ci_high``.
    """
    if not isinstance(results, RegressionResults):
        raise TypeError(f"results must be a RegressionResults, got {type(results).__name__}")
    level = check_unit_interval(level, "level", 0.95)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an integer >= 2 (grid size), got {n!r}")
    if n < 2:
        raise ValueError(f"n must be an integer >= 2 (grid size), got {n!r}")
    for nm, v in (("x", x), ("z", z)):
        if not isinstance(v, str):
            raise TypeError(f"{nm} must be a term name (str), got {v!r}")
    params = results.params
    if x not in params.index:
        raise ValueError(f"{x!r} is not a term of the model; terms are {list(params.index)}")
    xz = _interaction_term(params.index, x, z)
    if values is None:
        if data is None:
            raise ValueError("give values= (moderator values) or data= (to span the range of z)")
        if z not in data.columns:
            raise KeyError(f"moderator {z!r} not in data columns")
        zz = pd.to_numeric(data[z], errors="coerce").dropna()
        if zz.empty:
            raise ValueError(f"moderator {z!r} has no observed values in data")
        values = np.linspace(float(zz.min()), float(zz.max()), int(n))
    zv = _check_values(values, z)
    V = results.cov
    est = params[x] + params[xz] * zv
    var = V.loc[x, x] + zv**2 * V.loc[xz, xz] + 2 * zv * V.loc[x, xz]
    se = np.sqrt(np.maximum(var, 0.0))
    stat = est / se
    df = results.df_inference
    from scipy import stats

    dist = stats.t(df) if df else stats.norm()
    p = 2 * dist.sf(np.abs(stat))
    c = dist.ppf(0.5 + level / 2)
    return pd.DataFrame({z: zv, "estimate": est, "std_error": se, "statistic": stat,
                         "p_value": p, "ci_low": est - c * se, "ci_high": est + c * se})
