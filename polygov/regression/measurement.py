"""Regressions that carry the measurement error of governance scores.

Governance scores (WGI estimates, V-Dem indices, polygov's UCM scores) are published
with standard errors.  A regression that treats them as exact attenuates the slope
of a mismeasured regressor and reports intervals that are too narrow.
:func:`fit_with_measurement_error` refits the model over draws of the true values
and combines the fits with Rubin's rules: *multiple over-imputation* (Blackwell,
Honaker and King 2017), which for a posterior that already conditions on the model's
other variables is the *method of composition* (Treier and Jackman 2008).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataQualityWarning, check_columns, check_dataframe, check_in, check_numeric
from .results import RegressionResults

__all__ = ["MeasurementErrorResults", "fit_with_measurement_error", "rubin_combine"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True, repr=False, eq=False)
class MeasurementErrorResults(RegressionResults):
    """:class:`RegressionResults` combined over draws by Rubin's rules.

    Extra attributes
    ----------------
    n_draws : int
        Number of imputations m.
    fmi : pandas.Series
        Fraction of missing information per term,
        ``(r + 2 / (ν + 3)) / (r + 1)`` with ``r = (1 + 1/m) B / W``.
    within, between : pandas.Series
        Average within-draw variance W and between-draw variance B per term.
    df_terms : pandas.Series
        Rubin's degrees of freedom per term (Barnard-Rubin small-sample form when
        the complete-data fits have a t reference).
    measurement_error : tuple of str
        The mismeasured columns and how their error was given.
    naive : RegressionResults or None
        The fit that treats the scores as exact, for comparison.
    """

    n_draws: int = 0
    fmi: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    within: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    between: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    df_terms: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    measurement_error: tuple[str, ...] = ()
    naive: RegressionResults | None = None

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """The :meth:`RegressionResults.tidy` columns plus ``fmi`` (fraction of missing information)."""
        out = super().tidy(level)
        out["fmi"] = self.fmi.reindex(self.params.index).to_numpy()
        return out


def rubin_combine(estimates: np.ndarray, variances: np.ndarray, *, df_complete: float | None = None):
    """Rubin's rules for m fits: estimates and variances of shape (m, p).

    Returns ``(qbar, total_var, within, between, df, fmi)``.  ``T = W + (1 + 1/m) B``;
    degrees of freedom ``ν = (m − 1)(1 + 1/r)²``, adjusted by Barnard and Rubin
    (1999) when the complete-data ``df_complete`` is finite; ``fmi = (r + 2/(ν + 3)) /
    (r + 1)`` (Rubin 1987; Little and Rubin 2019, ch. 10).
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least two draws; got {m}")
    qbar = q.mean(axis=0)
    w = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = w + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (1 + 1 / m) * b / w
        nu = (m - 1) * (1 + 1 / r) ** 2
        if df_complete is not None and np.isfinite(df_complete):
            lam = (1 + 1 / m) * b / t
            nu_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
            nu = 1 / (1 / nu + 1 / nu_obs)
        fmi = (r + 2 / (nu + 3)) / (r + 1)
    nu = np.where(np.isfinite(nu), nu, 1e6)
    return qbar, t, w, b, nu, fmi


def _error_sd(data: pd.DataFrame, spec, col: str, keys: list[str]) -> tuple[np.ndarray, str]:
    """Standard deviation of the measurement error of ``col``, row by row, and a description."""
    from ..latent import UCMResult

    if isinstance(spec, str):
        check_columns(data, [spec])
        check_numeric(data, [spec])
        return data[spec].to_numpy(dtype=float), f"{col}: standard error {spec!r}"
    if isinstance(spec, tuple | list) and len(spec) == 3:
        lo, hi, cov = spec
        check_columns(data, [lo, hi])
        check_numeric(data, [lo, hi])
        if not 0 < float(cov) < 1:
            raise ValueError(f"coverage of measurement_error[{col!r}] must lie in (0, 1); got {cov!r}")
        z = stats.norm.ppf(0.5 + float(cov) / 2)
        return ((data[hi] - data[lo]) / (2 * z)).to_numpy(dtype=float), f"{col}: {cov:.0%} interval {lo!r}-{hi!r}"
    if isinstance(spec, UCMResult):
        k = ["iso3"] + ([spec.by] if spec.by else [])
        check_columns(data, k)
        se = data[k].merge(spec.scores[k + ["std_error"]], on=k, how="left")["std_error"].to_numpy(dtype=float)
        return se, f"{col}: posterior SD of a UCM fit ({len(spec.sources)} sources)"
    raise TypeError(
        f"measurement_error[{col!r}] must be a standard-error column (str), a (low, high, coverage) "
        f"triple, or a UCMResult; got {spec!r}")


def _demean(A: np.ndarray, codes: list[np.ndarray], *, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """Remove the fixed effects ``codes`` (integer codes per row) from the columns of ``A`` by
    alternating projections (exact in one pass for one effect); an empty list removes the mean."""
    A = np.asarray(A, dtype=float)
    if not codes:
        return A - A.mean(axis=0)
    out = A.copy()
    counts = [np.bincount(c) for c in codes]
    for _ in range(max_iter):
        prev = out.copy()
        for c, n in zip(codes, counts, strict=True):
            for j in range(out.shape[1]):
                out[:, j] -= (np.bincount(c, weights=out[:, j], minlength=n.size) / n)[c]
        if len(codes) == 1 or np.abs(out - prev).max() < tol:
            break
    return out


def _draw_true(w, s2, Z, rng, codes=None):
    """One proper draw of the true values x given w = x + u, u ~ N(0, s2).

    Imputation model ``x = FE + Z γ + r``, ``r ~ N(0, τ²)``, with the fixed effects
    ``codes`` (an intercept when there are none) and predictors ``Z`` (n, p).  γ and
    ``Var(r)`` are estimated from w (u is independent of Z: ``E[w|Z] = E[x|Z]`` and
    ``Var(w|Z) = τ² + mean(s2)``) after removing the fixed effects, then drawn from
    their approximate posterior (γ ~ N(γ̂, σ̂²(Z̃'Z̃)⁻¹), σ² scaled-inverse-χ²; the fixed
    effects are held at their estimates), and x is drawn from its normal posterior with
    precision ``1/τ² + 1/s2``.
    """
    codes = [] if codes is None else list(codes)
    n = w.shape[0]
    Z = np.asarray(Z, dtype=float).reshape(n, -1)
    D = _demean(np.column_stack([w, Z]), codes)
    wt, Zt = D[:, 0], D[:, 1:]
    p = Zt.shape[1]
    n_fe = sum(int(c.max()) + 1 for c in codes) - max(len(codes) - 1, 0) if codes else 1
    dof = max(n - p - n_fe, 1)
    if p:
        xtx_inv = np.linalg.pinv(Zt.T @ Zt)
        gam = xtx_inv @ (Zt.T @ wt)
        resid = wt - Zt @ gam
    else:
        resid = wt
    sig2 = resid @ resid / dof
    sig2_d = sig2 * dof / rng.chisquare(dof)
    prior = w - wt
    if p:
        gam_d = rng.multivariate_normal(gam, sig2_d * xtx_inv, method="svd")
        prior = prior + Zt @ gam_d
    tau2 = sig2_d - s2.mean()
    floor = 0.05 * sig2_d
    clipped = tau2 < floor
    tau2 = max(tau2, floor)
    prec = 1 / tau2 + 1 / s2
    mean = (prior / tau2 + w / s2) / prec
    return mean + rng.standard_normal(n) / np.sqrt(prec), clipped


def _formula_columns(formula: str | None, fit_kwargs: dict, data: pd.DataFrame) -> tuple[str, list[str]]:
    if formula is not None:
        lhs, rhs = formula.split("~", 1)
        dep = lhs.strip()
        rhs_cols = [t for t in dict.fromkeys(_IDENT.findall(rhs)) if t in data.columns and t != dep]
        return dep, rhs_cols
    y, x = fit_kwargs.get("y"), fit_kwargs.get("x")
    if y is None or x is None:
        raise TypeError("give a formula ('y ~ x1 + x2'), or y= and x= for the panel estimator")
    return y, [x] if isinstance(x, str) else list(x)


def fit_with_measurement_error(data: pd.DataFrame, formula: str | None = None, *, estimator: str = "panel",
                               measurement_error: Mapping, n_draws: int = 100, seed=None,
                               posterior: Sequence[str] | None = None,
                               n_cycles: int | None = None, progress: bool = False,
                               **fit_kwargs) -> MeasurementErrorResults:
    """Fit :func:`fit_panel` or :func:`fit_cross_section` carrying the scores' measurement error.

    Parameters
    ----------
    data : DataFrame
        As for the estimator.
    formula : str, optional
        The model, e.g. ``"civil_society ~ ge + log_gdp"`` (panel: or ``y=``/``x=`` in
        ``fit_kwargs``).
    estimator : {"panel", "cross_section"}, default "panel"
        :func:`~polygov.regression.fit_panel` or :func:`~polygov.regression.fit_cross_section`.
    measurement_error : dict
        For each mismeasured column (outcome or regressor), its error:
        a standard-error column ``{"ge": "ge_se"}``; interval bounds with their
        coverage ``{"polyarchy": ("polyarchy_low", "polyarchy_high", 0.68)}``; or
        a :class:`~polygov.latent.UCMResult` whose ``std_error`` (posterior SD) is
        matched on ``iso3`` (and its ``by`` column).
    n_draws : int, default 100
        Number of imputations m (at least 2; 20-100 is usual).
    seed : int or Generator, optional
        Makes the draws reproducible.
    posterior : list of str, optional
        Mismeasured columns whose published values are *posterior means* under a
        standard-normal prior, with the posterior SD as their standard error: the
        WGI estimates and polygov's UCM scores.  Columns given a ``UCMResult`` are
        included automatically.  See Notes.
    n_cycles : int, optional
        Rounds of chained imputation when several columns are mismeasured (default
        5; 1 when only one is).
    progress : bool, default False
        Show a tqdm progress bar over the draws.
    **fit_kwargs
        Passed to the estimator (``effects=``, ``cov=``, ``cluster=``...).

    Returns
    -------
    MeasurementErrorResults
        A :class:`RegressionResults` (``params``, ``std_errors``, ``conf_int()``,
        ``tidy()`` with an ``fmi`` column) with ``n_draws``, ``fmi``, ``within``,
        ``between``, ``df_terms`` and ``naive`` (the fit on the published values).

    Raises
    ------
    KeyError
        A column of ``measurement_error`` (or its error columns) missing from ``data``.
    ValueError
        Unknown estimator, ``n_draws < 2``, negative or missing standard errors where
        the score is observed.
    TypeError
        A ``measurement_error`` entry of the wrong kind.

    Notes
    -----
    Model: the published score is ``w = x + u`` with ``u ~ N(0, s²)``, ``s`` its
    published standard error, independent of everything else.  For each draw the
    true ``x`` is drawn from its posterior under a normal imputation model
    ``x | z ~ N(z'γ, τ²)``, where ``z`` holds the model's other variables (the outcome
    included, so that the imputation is congenial with the analysis) and, for panel
    models with fixed effects, the entity and period dummies.  γ and τ² are
    estimated from the published scores (``τ² = Var(w | z) − mean s²``) and drawn
    from their sampling distribution (proper imputation).  The model is then fitted
    on each completed data set and Rubin's rules combine the fits:
    ``T = W + (1 + 1/m) B``.  This is multiple over-imputation (Blackwell, Honaker
    and King 2017) with a normal imputation model.

    Posterior means.  A WGI estimate or a UCM score is not ``x + u``: it is the
    posterior mean ``E[x | sources]`` under a N(0, 1) prior, shrunk towards 0, with
    posterior SD ``s``.  Such a score is first turned back into the classical
    measurement it summarises, ``w = score / (1 − s²)`` with error variance
    ``s² / (1 − s²)`` (exact for the one-factor model with known parameters: the
    posterior of ``x`` given ``w`` alone is then ``N(score, s²)``), and then imputed as
    above.  Treating a posterior mean as a classical measurement instead would
    over-correct (its variance is already *smaller* than the true score's).

    The errors are assumed independent across rows.  Across countries that is the
    publishers' own assumption; within a country over time it is not (a WGI
    country's error persists from year to year, because the same sources rate it),
    so in a fixed-effects panel the imputation overstates how much of the
    within-country variation is noise.  When the published error variance exceeds
    the score's residual variance given the model (true-score variance <= 0), that
    variance is floored at 5 % of the residual variance, with a
    :class:`~polygov.errors.DataQualityWarning`.

    What it corrects: the attenuation of a slope on a regressor measured with
    classical error, and intervals that ignore that error (for a regressor and for an
    outcome, whose error only widens intervals).  What it does not correct: bias from
    errors that are correlated with the outcome or with other variables (e.g. experts
    who rate governance higher in richer countries), errors that are not normal or
    whose published SE is wrong, and a non-normal or non-linear relation between the
    true score and the other variables (the imputation model is linear-normal).
    Rows with a missing score are left missing (the estimator drops them, as it
    would without this option).

    Validated by simulation with known truth in ``tests/test_measurement_error.py``:
    a regressor measured with WGI-size errors, where the naive 95 % intervals
    under-cover and the corrected ones cover 93-97 % with the attenuation removed.

    References
    ----------
    Blackwell, M., Honaker, J. and King, G. (2017). A unified approach to measurement
    error and missing data: overview and applications. Sociological Methods &
    Research 46(3), 303-341.  Treier, S. and Jackman, S. (2008). Democracy as a latent
    variable. American Journal of Political Science 52(1), 201-217.  Rubin, D. B.
    (1987). Multiple Imputation for Nonresponse in Surveys.  Barnard, J. and Rubin,
    D. B. (1999). Small-sample degrees of freedom with multiple imputation.
    Biometrika 86(4), 948-955.
    """
    from . import fit_cross_section, fit_panel

    check_dataframe(data)
    check_in(estimator, ("panel", "cross_section"), name="estimator")
    if not isinstance(measurement_error, Mapping) or not measurement_error:
        raise TypeError("measurement_error must be a non-empty dict, e.g. {'ge': 'ge_std_error'}")
    if not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer >= 2; got {n_draws!r}")
    if estimator == "cross_section" and formula is None:
        raise TypeError("fit_cross_section needs a formula such as 'y ~ x1 + x2'")
    fit = fit_panel if estimator == "panel" else fit_cross_section
    dep, rhs = _formula_columns(formula, fit_kwargs, data)
    cols = list(measurement_error)
    check_columns(data, cols)
    check_numeric(data, cols)
    model_vars = [dep] + [c for c in rhs if c != dep]
    unused = [c for c in cols if c not in model_vars]
    if unused:
        raise KeyError(f"measurement_error names {unused}, which are not in the model's variables {model_vars}")
    keys = [k for k in (fit_kwargs.get("entity", "iso3"), fit_kwargs.get("time", "year")) if k in data.columns]
    from ..latent import UCMResult

    post = set(posterior or ()) | {c for c in cols if isinstance(measurement_error[c], UCMResult)}
    bad_post = sorted(post - set(cols))
    if bad_post:
        raise KeyError(f"posterior names {bad_post}, which are not keys of measurement_error {cols}")
    sds = {}
    desc = []
    for c in cols:
        s, d = _error_sd(data, measurement_error[c], c, keys)
        obs = data[c].notna().to_numpy()
        bad = obs & ~(np.isfinite(s) & (s >= 0))
        if bad.any():
            rows = data.loc[bad, keys or data.columns[:1].tolist()].head(5).to_dict("records")
            raise ValueError(f"measurement error of {c!r} is missing or negative in {int(bad.sum())} rows where "
                             f"{c!r} is observed, e.g. {rows}")
        sds[c] = np.where(obs, np.maximum(s, 1e-12), np.nan)
        if c in post:
            big = obs & (s >= 1)
            if big.any():
                raise ValueError(f"{c!r} is declared a posterior mean under a N(0, 1) prior, but its posterior "
                                 f"SD is >= 1 in {int(big.sum())} rows; that is impossible for such a score")
            d += " (posterior mean, de-shrunk)"
        desc.append(d)
    rng = np.random.default_rng(seed)
    # rows usable by the imputation model: every model variable observed
    numeric = [v for v in model_vars if pd.api.types.is_numeric_dtype(data[v])]
    complete = data[numeric].notna().all(axis=1).to_numpy()
    fe: list[str] = []
    if estimator == "panel":
        eff = fit_kwargs.get("effects", "twoway")
        if eff in ("entity", "twoway", "random"):
            fe.append(fit_kwargs.get("entity", "iso3"))
        if eff == "twoway":
            fe.append(fit_kwargs.get("time", "year"))
    sub = data.loc[complete]
    codes = [pd.factorize(sub[f])[0] for f in fe]
    cycles = n_cycles if n_cycles is not None else (5 if len(cols) > 1 else 1)
    naive = fit(data, formula, **fit_kwargs)
    ests, vars_, covs, dfc = [], [], [], []
    clipped_any = set()
    from tqdm.auto import tqdm

    for _ in tqdm(range(n_draws), disable=not progress, desc="measurement-error draws"):
        cur = sub[numeric].astype(float).copy()
        for _c in range(cycles):
            for c in cols:
                others = [v for v in numeric if v != c]
                w = sub[c].to_numpy(dtype=float)
                s2 = sds[c][complete] ** 2
                if c in post:  # back to the classical measurement the posterior mean summarises
                    w, s2 = w / (1 - s2), s2 / (1 - s2)
                x, clipped = _draw_true(w, s2, cur[others].to_numpy(dtype=float), rng, codes)
                if clipped:
                    clipped_any.add(c)
                cur[c] = x
        dd = data.copy()
        dd.loc[complete, cols] = cur[cols].to_numpy()
        r = fit(dd, formula, **fit_kwargs)
        ests.append(r.params.to_numpy())
        covs.append(r.cov.to_numpy())
        vars_.append(np.diag(covs[-1]))
        dfc.append(r.df_inference)
    if clipped_any:
        warnings.warn(
            f"the published errors of {sorted(clipped_any)} are as large as the scores' residual variance "
            "given the model's other variables; the true-score variance was floored at 5% of it",
            DataQualityWarning, stacklevel=2)
    df_c = None if dfc[0] is None else float(dfc[0])
    qbar, t, w_, b_, nu, fmi = rubin_combine(np.array(ests), np.array(vars_), df_complete=df_c)
    idx = naive.params.index
    # full covariance: average within covariance + (1 + 1/m) between covariance
    e = np.array(ests)
    total = np.mean(covs, axis=0) + (1 + 1 / n_draws) * np.cov(e, rowvar=False, ddof=1).reshape(len(idx), len(idx))
    cov = pd.DataFrame(total, index=idx, columns=idx)
    df_inf = None if df_c is None else float(np.nanmin(nu))
    note = (f"measurement error carried by multiple over-imputation ({n_draws} draws, Rubin's rules): "
            + "; ".join(desc))
    return MeasurementErrorResults(
        params=pd.Series(qbar, index=idx), cov=cov, dependent=naive.dependent, model=naive.model,
        estimator=naive.estimator, cov_type=naive.cov_type, df_inference=df_inf, nobs=naive.nobs, r2=float("nan"),
        n_entities=naive.n_entities, n_periods=naive.n_periods, clusters=naive.clusters,
        n_clusters=naive.n_clusters, fixed_effects=naive.fixed_effects, sd=naive.sd,
        backend=f"{naive.backend} x {n_draws} draws", formula=naive.formula, notes=(*naive.notes, note),
        n_draws=int(n_draws), fmi=pd.Series(fmi, index=idx, name="fmi"), within=pd.Series(w_, index=idx),
        between=pd.Series(b_, index=idx), df_terms=pd.Series(nu, index=idx), measurement_error=tuple(desc),
        naive=naive)
