"""Weighting methods: equal, PCA/factor-analysis, optimised-correlation and Benefit-of-the-Doubt.

All functions return weights keyed by code (a Series), ready for
``spec.replace(weights=w.to_dict())``; BoD returns one weight vector per unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import _fmt, check_columns, check_dataframe, check_numeric, close_matches
from .framework import Framework

__all__ = ["equal_weights", "pca_weights", "correlation_weights", "bod_weights", "varimax"]


def equal_weights(framework: Framework) -> pd.Series:
    """Weight 1 for every node (each aggregate then averages its components equally)."""
    return pd.Series(1.0, index=framework.codes)


def varimax(loadings: np.ndarray, *, max_iter: int = 2000, tol: float = 1e-12) -> np.ndarray:
    """Kaiser's varimax rotation of a (p x k) loading matrix (raw, unnormalised).

    Validated against ``factor_analyzer.Rotator(method="varimax", normalize=False)``.
    """
    L = np.asarray(loadings, dtype=float)
    p, k = L.shape
    if k < 2:
        return L.copy()
    R = np.eye(k)
    for _ in range(max_iter):
        Lr = L @ R
        u, s, vt = np.linalg.svd(L.T @ (Lr ** 3 - Lr @ np.diag((Lr ** 2).sum(axis=0)) / p))
        R_new = u @ vt
        done = np.abs(R_new - R).max() < tol
        R = R_new
        if done:
            break
    return L @ R


def _check_block(x: pd.DataFrame, what: str, *, min_rows: int = 3) -> pd.DataFrame:
    """Complete rows of one block of components, refusing components that cannot be correlated.

    An all-missing component, or one that is constant over the complete rows, has no
    correlation with anything: the weights built from correlations would be NaN or
    silently equal (with only numpy warnings).  Each is named with its value.
    """
    empty = [c for c in x.columns if x[c].isna().all()]
    if empty:
        raise ValueError(f"{what}: component(s) {_fmt(empty)} have no observed value; drop "
                         "them (framework.without([...])) or supply the data")
    z = x.dropna()
    if len(z) < min_rows:
        raise ValueError(f"{what}: only {len(z)} complete row(s) over {_fmt(list(x.columns))}; "
                         f"need at least {min_rows}")
    const = [c for c in z.columns if z[c].nunique() <= 1]
    if const:
        vals = [float(z[c].iloc[0]) for c in const]
        raise ValueError(f"{what}: component(s) {_fmt(const)} are constant over the {len(z)} "
                         f"complete rows (value(s) {_fmt(vals)}), so their correlations are "
                         "undefined; drop them or give them a fixed weight")
    return z


def _check_inputs(data, framework) -> None:
    check_dataframe(data)
    if not isinstance(framework, Framework):
        raise TypeError(f"framework must be a Framework, got {type(framework).__name__}")


def _pca_block(x: pd.DataFrame) -> tuple[pd.Series, dict]:
    """Handbook PCA weights for one block of indicators (complete cases)."""
    _check_block(x, f"PCA weights for {list(x.columns)}", min_rows=1)
    z = x.dropna()
    if len(z) < x.shape[1] + 2:
        raise ValueError(f"PCA weights for {list(x.columns)} need more complete rows "
                         f"({len(z)}) than indicators + 1")
    corr = np.corrcoef(z.to_numpy(dtype=float), rowvar=False)
    ev, vec = np.linalg.eigh(corr)
    order = np.argsort(ev)[::-1]
    ev, vec = ev[order], vec[:, order]
    share = ev / ev.sum()
    keep = [i for i in range(len(ev)) if ev[i] > 1 and share[i] > 0.10]
    # ensure the retained set explains >= 60% (Handbook), adding components if needed
    while not keep or share[keep].sum() < 0.60:
        nxt = len(keep)
        if nxt >= len(ev):
            break
        keep.append(nxt)
    L = vec[:, keep] * np.sqrt(ev[keep])
    L = varimax(L) if len(keep) > 1 else L
    var = (L ** 2).sum(axis=0)                      # variance explained by each rotated factor
    sq = L ** 2 / var                                # squared loadings scaled to unity sum
    best = sq.argmax(axis=1)
    w = sq[np.arange(len(best)), best] * (var[best] / var.sum())
    w = w / w.sum()
    info = dict(n_factors=len(keep), variance_explained=float(share[keep].sum()))
    return pd.Series(w, index=x.columns), info


def pca_weights(data: pd.DataFrame, framework: Framework, *, codes=None) -> pd.Series:
    """Weights from principal components with varimax rotation (JRC/OECD Handbook, step 6).

    For each aggregate whose components are all columns of ``data`` (e.g. normalised
    indicators, or ``result.stages["aggregated"]`` for every level):

    1. PCA of the components' correlation matrix (complete cases);
    2. retain components with eigenvalue > 1 that each explain > 10% of the variance
       (adding components until >= 60% is explained);
    3. rotate the retained loadings (varimax);
    4. square the loadings and scale them to unity sum within each factor;
    5. each indicator takes its largest scaled squared loading, multiplied by the
       factor's share of the variance explained by the retained factors;
    6. rescale to sum to 1 within the aggregate.

    Parameters
    ----------
    codes : list of aggregate codes, optional (default: every eligible aggregate).

    Returns
    -------
    Series of weights keyed by component code (aggregates without PCA keep no entry).

    Notes
    -----
    Handbook on Constructing Composite Indicators (OECD/JRC 2008), section 6.1 and the
    worked example in its Table 18.  An aggregate with one component is skipped.
    """
    _check_inputs(data, framework)
    out = []
    targets = codes if codes is not None else framework.aggregates
    for a in targets:
        kids = list(framework.children(a))
        if len(kids) < 2 or not all(k in data.columns for k in kids):
            if codes is not None:
                check_columns(data, kids, name=f"data (components of {a!r})")
            continue
        w, _ = _pca_block(data[kids])
        out.append(w)
    if not out:
        raise ValueError("no aggregate has all its components in data; pass the normalised "
                         "indicators (result.stages['normalised']) or result.stages['aggregated']")
    return pd.concat(out)


def correlation_weights(data: pd.DataFrame, framework: Framework, *, target=None,
                        codes=None) -> pd.Series:
    """Weights chosen so each component correlates with its parent as targeted.

    For each aggregate with components in ``data``, find weights (positive, summing to
    one) minimising ``sum_i (r_i / sum r - t_i / sum t)^2``, where ``r_i`` is the Pearson
    correlation of component i with the arithmetic weighted mean of the components and
    ``t`` the target (default equal: every component equally influential).  This is
    the "optimised weights" idea of COINr's ``get_opt_weights`` (Becker et al. 2017).

    Parameters
    ----------
    target : mapping code -> relative target correlation, optional (default equal).

    Returns
    -------
    Series of weights keyed by component code.
    """
    _check_inputs(data, framework)
    if target is not None and not isinstance(target, Mapping):
        raise TypeError(f"target must be a mapping code -> relative correlation, got {target!r}")
    out = []
    targets = codes if codes is not None else framework.aggregates
    for a in targets:
        kids = list(framework.children(a))
        if len(kids) < 2 or not all(k in data.columns for k in kids):
            continue
        check_numeric(data, kids, name=f"data (components of {a!r})")
        z = _check_block(data[kids].astype(float),
                         f"correlation_weights for {a!r}").to_numpy(dtype=float)
        t = np.array([1.0 if target is None else float(target.get(k, 1.0)) for k in kids])
        if not (np.isfinite(t).all() and (t > 0).all()):
            raise ValueError(f"target correlations for {a!r} must be positive finite numbers, "
                             f"got {dict(zip(kids, t, strict=True))}")
        t = t / t.sum()

        def loss(theta, z=z, t=t):
            w = np.exp(theta - theta.max())
            w = w / w.sum()
            y = z @ w
            zc = z - z.mean(axis=0)
            yc = y - y.mean()
            r = (zc * yc[:, None]).sum(axis=0) / np.sqrt((zc ** 2).sum(axis=0) * (yc ** 2).sum())
            r = np.clip(r, 1e-9, None)
            return float(((r / r.sum() - t) ** 2).sum())

        from scipy import optimize

        res = optimize.minimize(loss, np.zeros(len(kids)), method="Nelder-Mead",
                                options=dict(xatol=1e-8, fatol=1e-14, maxiter=20000))
        w = np.exp(res.x - res.x.max())
        out.append(pd.Series(w / w.sum(), index=kids))
    if not out:
        raise ValueError("no aggregate has all its components in data")
    return pd.concat(out)


def _bound_number(v, name: str) -> float:
    """A share bound: a real number in [0, 1] (bools, strings, NaN refused)."""
    if isinstance(v, bool | str) or v is None:
        raise TypeError(f"BoD share bound {name} must be a number in [0, 1], got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"BoD share bound {name} must be a number in [0, 1], got {v!r}") from None
    if not (np.isfinite(f) and 0 <= f <= 1):
        raise ValueError(f"BoD share bound {name} must be in [0, 1] (a share of a unit's score), "
                         f"got {v!r}")
    return f


def check_share_bound(value, name: str, codes=None) -> None:
    """Validate a BoD ``lower``/``upper`` bound: None, a number in [0, 1], or a mapping
    code -> number in [0, 1] whose codes are in ``codes`` (when given)."""
    if value is None:
        return
    if isinstance(value, Mapping):
        if codes is not None:
            codes = list(codes)
            bad = [k for k in value if k not in codes]
            if bad:
                hints = {b: close_matches(str(b), map(str, codes)) for b in bad}
                raise KeyError(f"BoD share bound {name!r} names {_fmt(bad)}, which are not "
                               f"components ({_fmt(codes)}); close matches: {hints}")
        for k, v in value.items():
            _bound_number(v, f"{name}[{k!r}]")
        return
    _bound_number(value, name)


def _bound_vector(value, name: str, cols: list, default: float) -> np.ndarray:
    check_share_bound(value, name, cols)
    if value is None:
        return np.full(len(cols), default)
    if isinstance(value, Mapping):
        return np.array([float(value[c]) if c in value else default for c in cols])
    return np.full(len(cols), float(value))


def _show(v):
    return dict(v) if isinstance(v, Mapping) else v


def _pareto_rows(Y: np.ndarray) -> np.ndarray:
    """Rows of ``Y`` not weakly dominated by another row (duplicates kept once).

    With non-negative weights ``w . y_d <= w . y_e`` whenever ``y_d <= y_e``
    componentwise, so only these rows can bind in the BoD constraints.
    """
    U = np.unique(Y, axis=0)
    keep = np.ones(len(U), dtype=bool)
    for i in range(len(U)):
        ge = (U >= U[i]).all(axis=1)
        ge[i] = False
        keep[i] = not ge.any()
    return U[keep]


def bod_weights(data: pd.DataFrame, *, columns=None, lower: float | Mapping | None = None,
                upper: float | Mapping | None = None) -> pd.DataFrame:
    """Benefit-of-the-Doubt (DEA) weights: each unit's most favourable weights.

    For unit c solve the linear programme (Cherchye et al. 2007)::

        max_w  sum_i w_i y_ci
        s.t.   sum_i w_i y_di <= 1   for every unit d,   w_i >= 0,
               lower_i <= w_i y_ci / sum_j w_j y_cj <= upper_i   (optional share bounds)

    with ``scipy.optimize.linprog`` (HiGHS).  The score is 1 for units on the frontier.

    Parameters
    ----------
    data : DataFrame, rows = units, columns = normalised, direction-aligned, non-negative
        indicators (no missing values).
    lower, upper : float or mapping column -> float, optional
        Bounds in [0, 1] on each indicator's share of the unit's score (e.g.
        ``lower=0.05``, or ``upper={"a": 0.5}``; columns a mapping leaves out are
        unbounded).  They must be satisfiable: ``sum(lower) <= 1 <= sum(upper)`` and
        ``lower <= upper`` for every column.

    Returns
    -------
    DataFrame with one row per unit: a ``bod_score`` column and one weight column per
    indicator (``w_<code>``), plus each indicator's share ``share_<code>``.

    Notes
    -----
    Only units not dominated by another (componentwise ``<=``) can bind the constraints
    ``w . y_d <= 1``, so the others are dropped from the programme, and all units' programmes
    are solved as one block-diagonal linear programme (they share no variable, so its
    optimum is each unit's optimum): scores are unchanged, about 20 times faster than one
    ``linprog`` call per unit.  Where a unit's optimal weights are not unique (typically on
    the frontier), the reported weights are one optimal set.  A unit with a zero in a
    component whose share has a positive lower bound scores 0.
    """
    cols = list(columns) if columns is not None else list(data.columns)
    Y = data[cols].to_numpy(dtype=float)
    if np.isnan(Y).any():
        raise ValueError(f"BoD needs complete data; missing values in "
                         f"{_fmt([c for c in cols if data[c].isna().any()])}: impute first")
    if (Y < 0).any():
        neg = [f"{c!r} ({int((Y[:, j] < 0).sum())} unit(s), min {Y[:, j].min():.3g})"
               for j, c in enumerate(cols) if (Y[:, j] < 0).any()]
        raise ValueError(f"BoD needs non-negative values; negative values in component(s) "
                         f"{', '.join(neg)}: normalise with minmax first (z-scores are negative)")
    n, p = Y.shape
    lo = _bound_vector(lower, "lower", cols, 0.0)
    hi = _bound_vector(upper, "upper", cols, 1.0)
    if lo.sum() > 1 + 1e-12:
        raise ValueError(f"share bounds are infeasible: lower bounds sum to {lo.sum():.3g} > 1 over "
                         f"components {_fmt(cols)} (lower={_show(lower)!r}); the shares of a unit's score "
                         "sum to 1, so lower them")
    if hi.sum() < 1 - 1e-12:
        raise ValueError(f"share bounds are infeasible: upper bounds sum to {hi.sum():.3g} < 1 over "
                         f"components {_fmt(cols)} (upper={_show(upper)!r}); the shares of a unit's score "
                         "sum to 1, so every score would be 0. Raise them (to at least "
                         f"{1 / p:.3g} each)")
    if (hi < lo).any():
        bad = [c for c, a, b in zip(cols, lo, hi, strict=True) if b < a]
        raise ValueError(f"share bounds are infeasible: upper < lower for {_fmt(bad)}")
    from scipy import optimize, sparse

    R = _pareto_rows(Y)
    blocks, rhs = [], []
    for c in range(n):
        y = Y[c]
        A = [R]
        if (lo > 0).any():
            A.append(lo[:, None] * y[None, :] - np.diag(y))    # lower_i * y.w - y_i w_i <= 0
        if (hi < 1).any():
            A.append(np.diag(y) - hi[:, None] * y[None, :])
        blocks.append(sparse.csr_matrix(np.vstack(A)))
        rhs.append(np.concatenate([np.ones(len(R)), np.zeros(sum(len(a) for a in A[1:]))]))
    res = optimize.linprog(-Y.ravel(), A_ub=sparse.block_diag(blocks, format="csr"),
                           b_ub=np.concatenate(rhs), bounds=(0, None), method="highs")
    if res.status != 0:
        raise ValueError(f"BoD linear programme failed for the {n} units {_fmt(data.index, 5)} "
                         f"(components {_fmt(cols)}): {res.message}")
    W = res.x.reshape(n, p)
    rows = []
    for c in range(n):
        w, y = W[c], Y[c]
        score = float(y @ w)
        share = (w * y) / score if score > 0 else np.full(p, np.nan)
        rows.append([score, *w, *share])
    names = ["bod_score"] + [f"w_{c}" for c in cols] + [f"share_{c}" for c in cols]
    return pd.DataFrame(rows, index=data.index, columns=names)
