"""Imputation of missing indicator values, with every imputed cell reported.

Methods (registry :data:`IMPUTERS`):

- ``"none"``: leave gaps; aggregation then averages the available components.
- ``"mean"`` / ``"median"``: the indicator's mean/median over all rows.
- ``"group_mean"`` / ``"group_median"``: mean/median within groups given by ``by``
  (e.g. region, income group, or ``"iso3"`` for a country's own mean over years in a
  panel).  On a panel (more than one year) the groups are ``by`` *within each year*
  (``[by, "year"]``), so values from later years never leak into earlier ones; a
  ``by`` holding ``"iso3"`` or ``"year"`` is used as given, and ``within_year=False``
  in :func:`impute` pools the years.  Cells whose group has no observed value stay
  missing (and are reported so).
- ``"interpolate"``: for panels, linear interpolation in the year value within each
  unit (``by``, default ``"iso3"``), so gaps between observed years are respected
  (2000: 0, 2010: 10 gives 1 for 2001, not the row-wise 5); the first/last observed
  value is carried to the ends; a unit observed once gets that value in every year.
  Without a ``year`` column or index level, rows are interpolated by position.
- ``"em"``: expectation-maximisation under a multivariate normal model of all
  indicators (Dempster, Laird & Rubin 1977; Little & Rubin 2019, ch. 11): missing
  cells are replaced by their conditional expectation given the observed cells of the
  row, and the mean and covariance are re-estimated including the conditional
  covariance of the imputed cells, until the log-likelihood change is below ``tol``.

Observed values are never changed by any method (tested).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ConvergenceWarning, _fmt, check_columns

__all__ = ["IMPUTERS", "impute", "em_impute"]


def em_impute(x: pd.DataFrame, *, max_iter: int = 500, tol: float = 1e-6) -> pd.DataFrame:
    """EM imputation under a multivariate normal model (see module docstring)."""
    X = x.to_numpy(dtype=float)
    miss = np.isnan(X)
    if not miss.any():
        return x.copy()
    n, p = X.shape
    mu = np.nanmean(X, axis=0)
    if np.isnan(mu).any():
        bad = list(x.columns[np.isnan(mu)])
        raise ValueError(f"EM imputation needs at least one observed value per column; {bad} are empty")
    Z = np.where(miss, mu, X)
    sigma = np.cov(Z, rowvar=False) + 1e-9 * np.eye(p)
    patterns: dict[bytes, list[int]] = {}
    for i in range(n):
        if miss[i].any():
            patterns.setdefault(miss[i].tobytes(), []).append(i)
    for _ in range(max_iter):
        C = np.zeros((p, p))
        for rows in patterns.values():
            m = miss[rows[0]]
            o = ~m
            rows = np.asarray(rows)
            if o.any():
                s_oo = sigma[np.ix_(o, o)]
                s_mo = sigma[np.ix_(m, o)]
                B = np.linalg.solve(s_oo, s_mo.T).T
                Z[np.ix_(rows, m)] = mu[m] + (X[np.ix_(rows, o)] - mu[o]) @ B.T
                cc = sigma[np.ix_(m, m)] - B @ s_mo.T
            else:
                Z[np.ix_(rows, m)] = mu[m]
                cc = sigma[np.ix_(m, m)]
            C[np.ix_(m, m)] += cc * len(rows)
        mu_new = Z.mean(axis=0)
        D = Z - mu_new
        sigma_new = (D.T @ D + C) / n + 1e-9 * np.eye(p)
        delta = np.max(np.abs(mu_new - mu)) + np.max(np.abs(sigma_new - sigma))
        mu, sigma = mu_new, sigma_new
        if delta < tol * (1 + np.abs(sigma).max()):
            break
    else:
        warnings.warn(f"EM imputation stopped after {max_iter} iterations without meeting "
                      f"tol={tol}; increase max_iter", ConvergenceWarning, stacklevel=3)
    out = pd.DataFrame(np.where(miss, Z, X), index=x.index, columns=x.columns)
    return out


def _keys(data: pd.DataFrame, by) -> list:
    """Grouping vectors for ``by``: columns, or index levels (``iso3``/``year`` after build)."""
    by = [by] if isinstance(by, str) else list(by)
    out = []
    for b in by:
        if b in data.columns:
            out.append(data[b].to_numpy())
        elif b in (data.index.names or []):
            out.append(data.index.get_level_values(b).to_numpy())
        else:
            check_columns(data, [b], name="data (imputation groups)")
    return out


def _n_years(data: pd.DataFrame) -> int:
    if "year" in data.columns:
        return int(data["year"].nunique())
    if "year" in (data.index.names or []):
        return int(data.index.get_level_values("year").nunique())
    return 0


def _group_keys(data: pd.DataFrame, by, within_year: bool | None = None) -> list[str]:
    """The grouping of ``group_mean``/``group_median``: ``by``, plus ``"year"`` for a panel.

    ``within_year=None`` (default) adds ``"year"`` when ``data`` has a ``year`` column or
    index level with more than one year, unless ``by`` already holds ``"year"`` or the
    unit key ``"iso3"`` (a country's own values over years are pooled on purpose).
    """
    by = [by] if isinstance(by, str) else list(by)
    if within_year is None:
        within_year = _n_years(data) > 1 and "year" not in by and "iso3" not in by
    if within_year and "year" not in by:
        if not _n_years(data):
            raise ValueError("within_year=True needs a 'year' column or index level in data")
        by = [*by, "year"]
    return by


def _fill(data: pd.DataFrame, columns: list[str], stat: str, by,
          within_year: bool | None = None) -> pd.DataFrame:
    out = data[columns].copy()
    if by is None:
        fill = getattr(out, stat)()
        return out.fillna(fill)
    g = data[columns].groupby(_keys(data, _group_keys(data, by, within_year)),
                              dropna=False).transform(stat)
    return out.fillna(g)


def _interpolate(data: pd.DataFrame, columns: list[str], by) -> pd.DataFrame:
    """Linear interpolation in the year within each unit, ends filled with the nearest value.

    With a ``year`` column or index level the interpolation is against the year value
    (2000: 0, 2010: 10 gives 1 in 2001), whatever the row order; without one, against
    the row position within the unit.
    """
    by = "iso3" if by is None else by
    x = data[columns].astype(float)
    has_year = "year" in data.columns or "year" in (data.index.names or [])
    t = (pd.to_numeric(pd.Series(_keys(data, "year")[0]), errors="raise").to_numpy(dtype=float)
         if has_year else None)
    vals = x.to_numpy(dtype=float, copy=True)
    groups = pd.Series(np.arange(len(x))).groupby(_keys(data, by), dropna=False).indices
    for unit, rows in groups.items():
        rows = np.asarray(rows)
        pos = t[rows] if t is not None else np.arange(len(rows), dtype=float)
        if t is not None and len(np.unique(pos)) < len(pos):
            yrs, cnt = np.unique(pos, return_counts=True)
            rep = [int(y) if float(y).is_integer() else float(y) for y in yrs[cnt > 1]]
            raise ValueError(f"interpolation over years needs one row per year within each unit; "
                             f"{by!r} = {unit!r} has {len(rows)} rows and repeats year(s) "
                             f"{_fmt(rep, 5)}: interpolate by the unit key (by='iso3') or "
                             "aggregate the repeated rows first")
        order = np.argsort(pos, kind="stable")
        rows, pos = rows[order], pos[order]
        for j in range(vals.shape[1]):
            v = vals[rows, j]
            ok = ~np.isnan(v)
            if ok.any() and not ok.all():
                vals[rows[~ok], j] = np.interp(pos[~ok], pos[ok], v[ok])
    return pd.DataFrame(vals, index=x.index, columns=x.columns)


IMPUTERS = {
    "none": lambda data, columns, by=None: data[columns].copy(),
    "mean": lambda data, columns, by=None: _fill(data, columns, "mean", None),
    "median": lambda data, columns, by=None: _fill(data, columns, "median", None),
    "group_mean": lambda data, columns, by=None, within_year=None: _fill(
        data, columns, "mean", _need_by(by), within_year),
    "group_median": lambda data, columns, by=None, within_year=None: _fill(
        data, columns, "median", _need_by(by), within_year),
    "em": lambda data, columns, by=None: em_impute(data[columns]),
    "interpolate": lambda data, columns, by=None: _interpolate(data, columns, by),
}


#: the registry's own methods that fill gaps with ``DataFrame.fillna`` (observed cells kept)
_FILLNA_METHODS = {k: IMPUTERS[k] for k in ("mean", "median", "group_mean", "group_median")}


def _need_by(by):
    if by is None:
        raise ValueError("group imputation needs by= (a grouping column such as 'region', "
                         "or 'iso3' to use each country's own values over years)")
    return by


def impute(data: pd.DataFrame, *, columns, method: str = "none", by=None,
           within_year: bool | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Impute missing values of ``columns`` by ``method``; report each imputed cell.

    Parameters
    ----------
    within_year : bool, optional
        Group methods only.  Default: on a panel (more than one year) the groups are
        ``by`` within each year, so a later year's values never fill an earlier year's
        gap; ``by`` containing ``"iso3"`` (a country's own mean over years) or
        ``"year"`` is used as given.  ``False`` pools all years; ``True`` forces it.

    Returns
    -------
    (DataFrame, list of dict)
        ``data`` with the indicator columns filled, and one record per imputed cell
        (``index, code, after, action``).  Observed cells are untouched.
    """
    from ..errors import check_in

    check_in(method, IMPUTERS, name="imputation method")
    columns = list(columns)
    if method in ("group_mean", "group_median"):
        filled = IMPUTERS[method](data, columns, by=by, within_year=within_year)
    else:
        if within_year is not None:
            raise ValueError(f"within_year applies to group_mean/group_median only, not {method!r}")
        filled = IMPUTERS[method](data, columns, by=by)
    before = data[columns]
    # never alter observed values, whatever the method did (polygov's own mean/median
    # methods fill with fillna, which leaves observed cells alone: nothing to undo)
    if not (method in _FILLNA_METHODS and IMPUTERS[method] is _FILLNA_METHODS[method]):
        filled = before.where(before.notna(), filled)
    if data.columns.is_unique and data.index.is_unique and len(set(columns)) == len(columns):
        # the same frame as ``out = data.copy(); out[columns] = filled``, built at once:
        # assigning 49 columns one by one splits the frame into a block per column, which
        # slows every later stage (each column keeps its values and dtype)
        keep = set(columns)
        rest = [c for c in data.columns if c not in keep]
        out = pd.concat([filled, data[rest]], axis=1)[list(data.columns)]
    else:
        out = data.copy()
        out[columns] = filled
    recs = []
    was = before.isna().to_numpy()
    now = filled.notna().to_numpy()
    F = filled.to_numpy(dtype=float)
    ix = before.index
    action = f"imputed ({method})"
    for r, c in zip(*np.nonzero(was & now), strict=True):
        recs.append(dict(index=ix[r], code=columns[c], after=float(F[r, c]), action=action))
    return out, recs
