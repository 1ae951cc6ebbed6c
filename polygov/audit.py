"""Statistical audit of a composite index (JRC/OECD Handbook step 4 and COINr's analysis tools).

Every function returns a DataFrame.  Functions that take ``data`` accept any wide frame
(rows = units, columns = indicators); the ``*_by_aggregate`` helpers and :func:`audit`
take an :class:`polygov.index.IndexResult` and run the checks within each aggregate.

Validated against pingouin (Cronbach's alpha) and factor_analyzer (KMO, Bartlett) to
1e-6 in ``tests/test_audit.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import _fmt, check_columns, check_dataframe, check_numeric
from .keys import key_like_columns, normalise_keys

__all__ = [
    "describe",
    "availability",
    "correlation_matrix",
    "cronbach_alpha",
    "kmo",
    "bartlett",
    "pca_variance",
    "component_correlations",
    "block_statistics",
    "audit",
]


def _check_result(result, name: str = "result"):
    """Raise ``TypeError`` unless ``result`` is an :class:`~polygov.index.IndexResult`."""
    from .index.build import IndexResult

    if not isinstance(result, IndexResult):
        raise TypeError(f"{name} must be an IndexResult (from polygov.index.build(spec, data)), got "
                        f"{type(result).__name__}")
    return result


def _check_missing(missing: str) -> str:
    from .errors import check_in

    check_in(missing, ("listwise", "pairwise"), name="missing")
    return missing


def _frame(data, columns, *, min_cols: int = 1) -> pd.DataFrame:
    check_dataframe(data)
    if columns is not None and (isinstance(columns, str) or not hasattr(columns, "__iter__")):
        raise TypeError(f"columns must be a list of column names, got {columns!r}")
    if columns is None and any(str(c).lower() == "iso3" for c in data.columns):
        # a tidy frame with keys: the one key check of polygov.keys (case, duplicates)
        data = normalise_keys(data, entity="iso3", time="year", require_time=False)
    # key columns (``year``, ``Year``, ``id``, ...) are never indicators, whatever their case
    keys = set(key_like_columns(data))
    cols = list(columns) if columns is not None else [
        c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and c not in keys]
    check_columns(data, cols)
    check_numeric(data, cols)
    if len(cols) < min_cols:
        raise ValueError(f"need at least {min_cols} numeric columns, got {len(cols)}: {_fmt(cols)}")
    return data[cols].astype(float)


def describe(data: pd.DataFrame, *, columns=None, skew_thresh: float = 2.0,
             kurt_thresh: float = 3.5) -> pd.DataFrame:
    """Descriptive statistics per indicator.

    Returns
    -------
    DataFrame indexed by indicator: ``n, n_missing, availability, mean, std, min, q25,
    median, q75, max, n_unique, skew, kurtosis, outlier_flag`` (``outlier_flag``: COINr's
    treatment rule, ``|skew| > skew_thresh`` and ``kurtosis > kurt_thresh``, with
    bias-corrected skewness and excess kurtosis).
    """
    from scipy import stats

    x = _frame(data, columns)
    rows = {}
    for c in x.columns:
        v = x[c].dropna()
        sk = stats.skew(v, bias=False) if len(v) > 3 and v.nunique() > 1 else np.nan
        ku = stats.kurtosis(v, bias=False) if len(v) > 3 and v.nunique() > 1 else np.nan
        rows[c] = dict(n=len(v), n_missing=int(x[c].isna().sum()), availability=len(v) / len(x),
                       mean=v.mean(), std=v.std(ddof=1), min=v.min(), q25=v.quantile(0.25),
                       median=v.median(), q75=v.quantile(0.75), max=v.max(), n_unique=v.nunique(),
                       skew=sk, kurtosis=ku,
                       outlier_flag=bool(abs(sk) > skew_thresh and ku > kurt_thresh))
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "code"
    return out


def availability(result_or_data, *, columns=None) -> pd.DataFrame:
    """Share of available (non-missing) indicators per unit, overall and per aggregate.

    With an ``IndexResult``, raw data are used and one column per aggregate gives the
    share of its indicators available (COINr's data-availability screening per
    sub-pillar); with a DataFrame only ``all`` is returned.
    """
    from .index.build import IndexResult

    if isinstance(result_or_data, IndexResult):
        raw = result_or_data.stages["raw"]
        fw = result_or_data.spec.framework
        out = pd.DataFrame({"all": raw.notna().mean(axis=1)})
        for a in fw.aggregates:
            out[a] = raw[fw.leaves_under(a)].notna().mean(axis=1)
        return out
    x = _frame(result_or_data, columns)
    return pd.DataFrame({"all": x.notna().mean(axis=1)}, index=x.index)


def correlation_matrix(result, *, levels=(1,), within: str | None = None,
                       method: str = "pearson") -> pd.DataFrame:
    """Correlation matrix of all codes at ``levels`` (e.g. ``(1, 2)`` for across levels).

    Parameters
    ----------
    result : IndexResult
    levels : tuple of int
        Levels whose codes form the rows/columns (1 = normalised indicators).
    within : str, optional
        Restrict to the codes under this aggregate (e.g. a pillar).
    method : {"pearson", "spearman", "kendall"}
        Pairwise-complete correlations.
    """
    _check_result(result)
    fw = result.spec.framework
    t = fw.table
    codes = list(t.loc[t["level"].isin(levels), "code"])
    if within is not None:
        under = set(fw.leaves_under(within)) | {within}
        under |= {a for a in fw.aggregates if set(fw.leaves_under(a)) <= under}
        codes = [c for c in codes if c in under]
    return result.stages["aggregated"][codes].corr(method=method)


def cronbach_alpha(data: pd.DataFrame, *, columns=None, nan_policy: str = "pairwise",
                   std_from: str = "corr") -> pd.DataFrame:
    """Cronbach's alpha, raw and standardised.

    Returns
    -------
    DataFrame with one row: ``k, n, alpha_raw, alpha_std``.

    Notes
    -----
    ``alpha_raw = k/(k-1) (1 - trace(C) / sum(C))`` with ``C`` the item covariance
    matrix; ``alpha_std = k r / (1 + (k-1) r)`` with ``r`` the mean inter-item
    correlation.  ``nan_policy="pairwise"`` (pingouin's default) uses pairwise-complete
    covariances, ``"listwise"`` drops incomplete rows.

    With gaps and ``nan_policy="pairwise"``, ``std_from`` chooses the correlations of
    ``alpha_std``: ``"corr"`` (default, pandas/pingouin: each correlation over the rows
    both items have, so each uses the items' variances over those rows) or ``"cov2cor"``
    (R's ``psych::alpha``: ``cov2cor`` of the pairwise covariance matrix, which scales
    every covariance by each item's variance over *all* its observed values).  They
    agree on complete data.
    Validated against ``pingouin.cronbach_alpha`` to 1e-10 and against a hand
    computation of psych's rule (``tests/test_audit_parity.py``).
    """
    x = _frame(data, columns, min_cols=2)
    if nan_policy == "listwise":
        x = x.dropna()
    elif nan_policy != "pairwise":
        raise ValueError(f"nan_policy must be 'pairwise' or 'listwise', got {nan_policy!r}")
    from .errors import check_in

    check_in(std_from, ("corr", "cov2cor"), name="std_from")
    k = x.shape[1]
    C = x.cov().to_numpy()
    if std_from == "cov2cor":
        sd = np.sqrt(np.diag(C))
        R = C / np.outer(sd, sd)
    else:
        R = x.corr().to_numpy()
    a_raw = k / (k - 1) * (1 - np.trace(C) / C.sum())
    rbar = (R.sum() - k) / (k * (k - 1))
    a_std = k * rbar / (1 + (k - 1) * rbar)
    return pd.DataFrame([dict(k=k, n=int(x.dropna().shape[0]), alpha_raw=a_raw, alpha_std=a_std)])


def _check_variance(x: pd.DataFrame, what: str, rows: str) -> None:
    """Raise naming the columns that do not vary over ``x`` (their correlations are undefined)."""
    const = [c for c in x.columns if x[c].nunique(dropna=True) <= 1]
    if const:
        vals = [float(x[c].dropna().iloc[0]) if x[c].notna().any() else np.nan for c in const]
        raise ValueError(f"{what}: column(s) {_fmt(const)} have zero variance over the {rows} "
                         f"(constant values {_fmt(vals)}), so their correlations are undefined; "
                         "drop them")


def _check_singular(R: np.ndarray, columns, what: str) -> None:
    """Raise naming the columns of an exactly collinear set (singular correlation matrix)."""
    ev, vec = np.linalg.eigh(R)
    tol = 1e-12 * len(ev) * max(abs(ev).max(), 1.0)
    null = vec[:, ev <= tol]
    if null.shape[1]:
        involved = [c for c, v in zip(columns, np.abs(null).max(axis=1), strict=True) if v > 1e-6]
        raise ValueError(f"{what}: the correlation matrix is singular ({null.shape[1]} zero "
                         f"eigenvalue(s)): column(s) {_fmt(involved)} are exactly collinear (one is "
                         "a linear combination of the others, e.g. a total next to its parts, or a "
                         "duplicated column); drop one of them")


def _pairwise_corr(data, columns, what):
    """psych's ``cor(x, use = "pairwise")``: each correlation over the rows both items have."""
    x = _frame(data, columns, min_cols=2)
    _check_variance(x, what, "observed rows")
    R = x.corr().to_numpy()
    if np.isnan(R).any():
        i, j = np.argwhere(np.isnan(R))[0]
        raise ValueError(f"{what} (missing='pairwise'): columns {x.columns[i]!r} and "
                         f"{x.columns[j]!r} have too few rows in common (or do not vary over them)")
    _check_singular(R, list(x.columns), what)
    return x, R


def _complete_corr(data, columns, what, *, singular_ok: bool = False):
    x = _frame(data, columns, min_cols=2).dropna()
    if len(x) <= x.shape[1]:
        raise ValueError(f"{what} needs more complete rows ({len(x)}) than variables "
                         f"({x.shape[1]}); impute or use fewer variables")
    _check_variance(x, what, f"{len(x)} complete rows")
    R = np.corrcoef(x.to_numpy(), rowvar=False)
    if not singular_ok:
        _check_singular(R, list(x.columns), what)
    return x, R


def kmo(data: pd.DataFrame, *, columns=None, missing: str = "listwise") -> pd.DataFrame:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, per item and overall.

    Returns
    -------
    DataFrame indexed by item plus a final ``overall`` row, column ``kmo``.

    Notes
    -----
    ``KMO_j = sum_i r_ij^2 / (sum_i r_ij^2 + sum_i p_ij^2)`` (i != j) with ``p`` the
    partial correlations from the inverse correlation matrix.

    ``missing="listwise"`` (default; factor_analyzer's convention): complete rows only.
    ``missing="pairwise"``: R's ``psych::KMO`` on data with gaps, which uses
    ``cor(x, use = "pairwise")`` (each correlation over the rows both items have).
    The two agree on complete data.
    Validated against ``factor_analyzer.calculate_kmo`` to 1e-10 (complete data) and a
    hand computation from the pairwise correlation matrix (``tests/test_audit_parity.py``).

    Raises
    ------
    ValueError
        A column with zero variance, or exactly collinear columns (a singular
        correlation matrix has no inverse; a pseudo-inverse would give meaningless
        partial correlations), named.
    """
    x, R = (_pairwise_corr(data, columns, "KMO") if _check_missing(missing) == "pairwise"
            else _complete_corr(data, columns, "KMO"))
    inv = np.linalg.pinv(R)
    d = np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    P = -inv / d
    np.fill_diagonal(P, 0.0)
    R0 = R.copy()
    np.fill_diagonal(R0, 0.0)
    r2, p2 = (R0 ** 2).sum(axis=0), (P ** 2).sum(axis=0)
    per = r2 / (r2 + p2)
    overall = r2.sum() / (r2.sum() + p2.sum())
    out = pd.DataFrame({"kmo": np.append(per, overall)}, index=[*x.columns, "overall"])
    out.index.name = "item"
    return out


def bartlett(data: pd.DataFrame, *, columns=None, missing: str = "listwise") -> pd.DataFrame:
    """Bartlett's test of sphericity (H0: the correlation matrix is the identity).

    Returns
    -------
    DataFrame with one row: ``statistic, df, p_value, n, k``.

    Notes
    -----
    ``chi2 = -(n - 1 - (2k + 5)/6) ln det R`` with ``k(k-1)/2`` degrees of freedom;
    ``missing="listwise"`` (default; factor_analyzer's convention): complete rows, ``n``
    their number.  ``missing="pairwise"``: R's ``psych::cortest.bartlett`` on raw data
    with gaps, ``R = cor(x, use = "pairwise")`` and ``n`` the number of rows of ``x``.
    Validated against ``factor_analyzer.calculate_bartlett_sphericity`` (complete data)
    and a hand computation from the pairwise correlation matrix.

    Raises
    ------
    ValueError
        A column with zero variance (``ln det R`` undefined) or exactly collinear
        columns (``det R = 0``: an infinite statistic), named.
    """
    if _check_missing(missing) == "pairwise":
        x, R = _pairwise_corr(data, columns, "Bartlett's test")
    else:
        x, R = _complete_corr(data, columns, "Bartlett's test")
    n, k = x.shape
    sign, logdet = np.linalg.slogdet(R)
    stat = -logdet * (n - 1 - (2 * k + 5) / 6)
    df = k * (k - 1) / 2
    from scipy import stats

    return pd.DataFrame([dict(statistic=stat, df=df, p_value=stats.chi2.sf(stat, df), n=n, k=k)])


def pca_variance(data: pd.DataFrame, *, columns=None, nan_policy: str = "listwise") -> pd.DataFrame:
    """Variance explained by the principal components of the correlation matrix.

    Parameters
    ----------
    nan_policy : {"listwise", "pairwise"}
        Complete cases (default), or pairwise-complete correlations (useful when few
        rows are complete; the matrix may then be indefinite, negative eigenvalues are
        reported as they are).

    Returns
    -------
    DataFrame: ``component`` (1..k), ``eigenvalue``, ``variance_share``, ``cumulative``.

    Raises
    ------
    ValueError
        A column with zero variance (named).  Exactly collinear columns are allowed:
        they show as an eigenvalue of (numerically) zero.
    """
    if nan_policy == "pairwise":
        x = _frame(data, columns, min_cols=2)
        _check_variance(x, "PCA", "observed rows")
        R = x.corr().to_numpy()
        if np.isnan(R).any():
            i, j = np.argwhere(np.isnan(R))[0]
            raise ValueError(f"PCA (pairwise): columns {x.columns[i]!r} and {x.columns[j]!r} have "
                             "too few complete rows in common (or do not vary over them)")
    elif nan_policy == "listwise":
        _, R = _complete_corr(data, columns, "PCA", singular_ok=True)
    else:
        raise ValueError(f"nan_policy must be 'listwise' or 'pairwise', got {nan_policy!r}")
    ev = np.sort(np.linalg.eigvalsh(R))[::-1]
    share = ev / ev.sum()
    return pd.DataFrame({"component": np.arange(1, len(ev) + 1), "eigenvalue": ev,
                         "variance_share": share, "cumulative": np.cumsum(share)})


def component_correlations(result, *, method: str = "pearson", silent: float = 0.2) -> pd.DataFrame:
    """Correlation of every component with its parent and with the index.

    Returns
    -------
    DataFrame: ``code, level, parent, r_parent, r_index, flag`` where ``flag`` is
    ``"negative"`` (r < 0 with the parent), ``"silent"`` (|r| < ``silent``: the component
    barely moves its parent, a Handbook warning sign) or ``""``.
    """
    _check_result(result)
    fw = result.spec.framework
    agg = result.stages["aggregated"]
    root = fw.root
    rows = []
    for c in fw.codes:
        if c == root:
            continue
        p = fw.parent(c)
        r_p = agg[c].corr(agg[p], method=method)
        r_i = agg[c].corr(agg[root], method=method)
        flag = "negative" if r_p < 0 else ("silent" if abs(r_p) < silent else "")
        rows.append(dict(code=c, level=fw.level(c), parent=p, r_parent=r_p, r_index=r_i, flag=flag))
    return pd.DataFrame(rows)


def block_statistics(result) -> pd.DataFrame:
    """Internal-consistency statistics of each aggregate's components.

    Returns
    -------
    DataFrame, one row per aggregate: ``code, level, k, alpha_raw, alpha_std, kmo,
    bartlett_p, pc1_share, n_pc_eigen_gt1`` (missing where a statistic is undefined,
    e.g. two components for KMO or too few complete rows).
    """
    _check_result(result)
    fw = result.spec.framework
    agg = result.stages["aggregated"]
    rows = []
    for a in fw.aggregates:
        kids = list(fw.children(a))
        row = dict(code=a, level=fw.level(a), k=len(kids), alpha_raw=np.nan, alpha_std=np.nan,
                   kmo=np.nan, bartlett_p=np.nan, pc1_share=np.nan, n_pc_eigen_gt1=np.nan)
        if len(kids) >= 2:
            x = agg[kids]
            al = cronbach_alpha(x)
            row.update(alpha_raw=al.at[0, "alpha_raw"], alpha_std=al.at[0, "alpha_std"])
            try:
                pv = pca_variance(x)
                row.update(pc1_share=pv.at[0, "variance_share"],
                           n_pc_eigen_gt1=int((pv["eigenvalue"] > 1).sum()))
                row["bartlett_p"] = bartlett(x).at[0, "p_value"]
                if len(kids) >= 3:
                    row["kmo"] = kmo(x).at["overall", "kmo"]
            except (ValueError, np.linalg.LinAlgError):
                pass
        rows.append(row)
    return pd.DataFrame(rows)


def audit(result) -> dict[str, pd.DataFrame]:
    """Run the whole audit on an :class:`~polygov.index.IndexResult`.

    Returns
    -------
    dict of DataFrames: ``describe`` (raw indicators), ``availability``, ``blocks``
    (:func:`block_statistics`), ``components`` (:func:`component_correlations`),
    ``pca`` (all normalised indicators; pairwise correlations when fewer complete
    rows than indicators), ``correlations`` (indicators x aggregates).
    """
    _check_result(result)
    fw = result.spec.framework
    raw = result.stages["raw"]
    norm = result.stages["normalised"]
    out = {
        "describe": describe(raw),
        "availability": availability(result),
        "blocks": block_statistics(result),
        "components": component_correlations(result),
        "correlations": correlation_matrix(result, levels=tuple(range(1, fw.n_levels + 1))),
    }
    try:
        out["pca"] = pca_variance(norm)
    except ValueError:  # fewer complete rows than indicators
        out["pca"] = pca_variance(norm, nan_policy="pairwise")
    return out
