"""Linear panel models: :func:`fit_panel`.

Backend choice
--------------
Pooled OLS and entity or two-way fixed effects with classical, robust,
clustered or two-way clustered errors go through polygov's own NumPy fast
path (:mod:`polygov.regression.fastfe`: an exact within transformation with
``np.bincount``, least squares and the cluster sandwich; no compile step, no
copy of the data per fixed effect).  Driscoll-Kraay errors are computed by
**pyfixest** (``feols``), which also serves as the cross-check of the fast path
in the tests (``backend="pyfixest"`` forces it; the two agree to 1e-10).
One-way random effects use **linearmodels** (``RandomEffects``, Swamy-Arora),
which pyfixest does not offer.

Issue 15's benchmark (two-way fixed effects, errors clustered by entity,
1,000,000 rows = 10,000 entities x 100 periods; ``benchmarks/bench_regression.py``,
4 Dec 2026, 2 cores shared with other jobs at load 6-8, medians of 5 interleaved
runs): the NumPy floor (``factorize`` of the keys, alternating projections with
``bincount``, ``lstsq``, the CR1 sandwich) 0.44 s, ``fit_panel`` 0.34 s (0.77 x
the floor), ``fit_panel(backend="pyfixest")`` 1.46 s and pyfixest called directly
1.74 s; the first fit in a fresh process 0.10 s against 7.3 s through pyfixest
(which compiles its code on first use).  Estimates agree to 3e-15.  On
10,000,000 rows the fast path's peak memory above the data is the same for
entity and two-way effects (779 MB, 2.0 x the data).  One caveat found while
validating the pyfixest route: pyfixest 0.60's own count of fixed effects nested
in the clusters is not reliable with two fixed-effect dimensions (on the
Grunfeld data it uses ``K = k + 1`` for firm and year effects with firm clusters
instead of ``k + T``), so polygov applies the ``(N-1)/(N-K)`` factor itself; and
pyfixest's default demeaning tolerance (1e-6) is looser than the exact fast path.

Keys
----
Entity and time keys pass the shared key step (:mod:`polygov.keys`) first:
``"chn"``/``" CHN"`` and ``"CHN"`` are one entity, ``"2016"``/``2016.0``/``2016``
one period (with a counted :class:`~polygov.keys.KeyNormalisationWarning`);
duplicated keys are refused naming the rows (unless
``repeated_cross_section=True``); key columns are found whatever their case.

Missing-data rule
-----------------
Rows whose entity or time key is missing are dropped.  Then listwise deletion
over every variable the model uses (dependent, regressors, cluster columns),
*after* lags and leads are built from the full panel.  The number of dropped
rows is recorded in the results' ``notes``.  A variable that is missing
everywhere, or a sample that ends up empty, raises a ``ValueError`` naming the
columns and their missing counts.  Before the drop every formula term is
evaluated on the data: a value of +-inf, or a NaN the formula itself created in
a row whose variables are all observed (``np.log(0)``, ``np.log(-1)``), raises a
``ValueError`` naming the term and a few offending rows.  As a guard, a library
that fits another number of rows than polygov passed raises.

Formulas are checked by :func:`polygov.regression.formula.check_formula` (they
never run code) and evaluated in its restricted namespace.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe
from ._sample import (
    _add_shifts,
    _check_clusters,
    _check_finite_terms,
    _check_library_sample,
    _check_within_variation,
    _cluster_dof_k,
    _cluster_vars,
    _diagnose_collinear,
    _listwise,
    _normalise_shifts,
    _nw_bandwidth,
    _term_sds,
    _warn_negative_variance,
    check_regressor_types,
    fe_cols,
    panel_keys,
)
from .covariance import SSC, get_covariance, get_ssc
from .formula import FORMULA_NAMESPACE, categorical_columns, parse_model
from .results import RegressionResults

__all__ = ["fit_panel", "EFFECTS", "BACKENDS"]

#: pyfixest's demeaning tolerance (set tight so that it can serve as the reference of the
#: exact fast path; its default is 1e-8).
_PF_TOL: dict = {}

EFFECTS = ("none", "entity", "twoway", "random")
#: ``backend=`` options of :func:`fit_panel`.
BACKENDS = ("auto", "numpy", "pyfixest")


def _check_choice(value, allowed: Sequence[str], name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {list(allowed)}; got {value!r}")
    if value not in allowed:
        from ..errors import check_in

        check_in(value, allowed, name=name)
    return value


def _check_int(value, name: str, minimum: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_key_name(value, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a column name (a non-empty string), got {value!r}")
    return value


def fit_panel(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    y: str | None = None,
    x: Sequence[str] | str | None = None,
    entity: str = "iso3",
    time: str = "year",
    effects: str = "twoway",
    cov: str = "cluster",
    cluster: str | Sequence[str] | None = None,
    lags: Mapping[str, int | Sequence[int]] | None = None,
    leads: Mapping[str, int | Sequence[int]] | None = None,
    bandwidth: int | None = None,
    min_clusters: int = 10,
    repeated_cross_section: bool = False,
    ssc: SSC | Mapping | str | None = None,
    backend: str = "auto",
    measurement_error=None,
    n_draws: int = 100,
    seed=None,
) -> RegressionResults:
    """Fit a linear panel model: pooled OLS, entity or two-way fixed effects, random effects.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy panel, one row per ``entity`` x ``time``.
    formula : str, optional
        ``"y ~ x1 + x2"``; the right-hand side may use ``x1:x2`` / ``x1*x2``
        interactions, ``C(group)``, ``I(arithmetic)`` and ``np.log``,
        ``np.log1p``, ``np.sqrt``, ``np.exp``, ``np.abs`` — nothing else (see
        :mod:`polygov.regression.formula`: formulas never run code).  The
        dependent variable must be a column name.  Alternatively give ``y=`` and ``x=``.
    y, x : str, list of str, optional
        Dependent column and regressor columns (instead of ``formula``).
    entity, time : str
        Panel keys (default ``"iso3"``, ``"year"``), matched case-insensitively and
        normalised by :func:`polygov.keys.normalise_keys` (module docstring).
    effects : {"twoway", "entity", "none", "random"}
        Two-way (entity and time) fixed effects, entity fixed effects, pooled
        OLS with an intercept, or one-way (entity) random effects
        (Swamy-Arora).
    cov : {"cluster", "classical", "robust", "twoway_cluster", "driscoll_kraay"}
        Covariance estimator; see :mod:`polygov.regression.covariance` for the
        small-sample corrections.
    cluster : str or pair of str, optional
        Cluster variable(s); default ``entity`` for ``"cluster"`` and
        ``(entity, time)`` for ``"twoway_cluster"``.
    lags, leads : dict, optional
        ``{"x": 1}`` or ``{"x": [1, 2]}`` adds regressors ``x_lag1``, ``x_lag2``
        (``x_lead1``...): the value of ``x`` for the same entity at
        ``time - k`` (``time + k``), matched on the time value, so gaps in the
        panel give missing lags rather than wrong ones.
    bandwidth : int, optional
        Driscoll-Kraay lag truncation ``L``; default ``floor(4 (T/100)^(2/9))``.
    min_clusters : int, default 10
        Fewer clusters (or, for Driscoll-Kraay, periods) than this raise a
        ``ValueError``; between ``min_clusters`` and 30 a
        :class:`FewClustersWarning` is emitted.
    repeated_cross_section : bool, default False
        Allow several rows per ``entity`` x ``time`` (a repeated cross-section,
        e.g. survey respondents nested in country-waves with ``entity="iso3"``,
        ``time="wave"``).  The fixed effects are still those of ``effects``;
        errors are clustered by ``entity`` by default.  Lags/leads,
        ``effects="random"`` and ``cov="driscoll_kraay"`` need one row per
        entity and period and are refused.  Without this option duplicated
        keys raise a ``ValueError``.
    ssc : SSC, dict or str, optional
        Small-sample correction of clustered errors, as fixest's ``ssc()``:
        ``{"adj": True, "fixef_k": "nested"|"none"|"full", "cluster_adj": True}``
        or a preset: ``"fixest"``/``"stata"`` (the default: fixed effects nested
        in the clusters count once), ``"plm"`` (slopes only, R ``plm``'s
        ``vcovHC(type = "sss")``), ``"dummies"`` (every fixed effect, OLS with
        dummies).  Only for ``cov="cluster"``/``"twoway_cluster"`` with fixed
        effects or pooled OLS.
    backend : {"auto", "numpy", "pyfixest"}
        ``"auto"``: the NumPy fast path where it applies (pooled and fixed
        effects; classical, robust, cluster, two-way cluster), else pyfixest /
        linearmodels.  ``"pyfixest"`` forces pyfixest (the cross-check);
        ``"numpy"`` refuses what the fast path cannot do.
    measurement_error : optional
        Standard errors of measured variables; when given, the fit is delegated to
        :func:`polygov.regression.measurement.fit_with_measurement_error`
        (``estimator="panel"``, with ``n_draws`` and ``seed``), which propagates the
        measurement error into the estimates.
    n_draws, seed : optional
        Passed on with ``measurement_error``; unused otherwise.

    Returns
    -------
    RegressionResults
        ``params``, ``std_errors``, ``conf_int()``, ``tidy()``, ``r2``,
        ``r2_within``, ``nobs``, ``n_entities``, ``standardised()``; for random
        effects also ``theta``, ``sigma2_u``, ``sigma2_e``.

    Raises
    ------
    KeyError
        Unknown columns (named, with close matches).
    TypeError
        An argument of the wrong type (named); a text regressor outside ``C(...)``.
    ValueError
        A formula term outside the safety rule; a regressor collinear with the
        fixed effects (named, with the effect it is collinear with); too few
        clusters; an all-missing variable or an empty sample; duplicated panel
        keys (named rows); unknown ``effects``/``cov``; a formula term that is
        infinite, or NaN where its variables are observed.

    Notes
    -----
    Within R² is the R² of the within-transformed (demeaned) regression.
    Missing data: module docstring.  Singleton groups are kept, so ``nobs`` and
    the degrees of freedom match R ``plm`` and OLS with dummies.

    Validated against R ``plm`` output published for the Grunfeld data (pooled,
    within, two-way within, Swamy-Arora random effects; clustered errors from
    ``vcovHC(type = "sss")`` with ``ssc="plm"``), statsmodels OLS with dummy
    variables, linearmodels ``PanelOLS``/``RandomEffects`` (including θ and the
    variance components), pyfixest (the fast path, to 1e-10) and hand-coded
    cluster, two-way-cluster and Driscoll-Kraay estimators; see
    ``tests/test_regression_validation.py`` and ``tests/test_regression_fastfe.py``.

    Examples
    --------
    >>> import polygov as pg
    >>> hfi = pg.data.load("hfi")                                    # doctest: +SKIP
    >>> res = pg.regression.fit_panel(hfi, "pf_rol ~ pf_association",
    ...                               effects="twoway", cov="cluster")  # doctest: +SKIP
    >>> res.tidy()                                                   # doctest: +SKIP
    """
    if measurement_error is not None:
        from .measurement import fit_with_measurement_error

        return fit_with_measurement_error(
            data, formula, estimator="panel", measurement_error=measurement_error,
            n_draws=n_draws, seed=seed, y=y, x=x, entity=entity, time=time, effects=effects,
            cov=cov, cluster=cluster, lags=lags, leads=leads, bandwidth=bandwidth,
            min_clusters=min_clusters, repeated_cross_section=repeated_cross_section, ssc=ssc,
            backend=backend)
    check_dataframe(data)
    _check_key_name(entity, "entity")
    _check_key_name(time, "time")
    _check_choice(effects, EFFECTS, "effects")
    _check_choice(backend, BACKENDS, "backend")
    spec = get_covariance(cov, model="random" if effects == "random" else "panel")
    _check_int(min_clusters, "min_clusters", 2)
    _check_int(bandwidth, "bandwidth", 0, optional=True)
    if not isinstance(repeated_cross_section, (bool, np.bool_)):
        raise TypeError(f"repeated_cross_section must be True or False, got "
                        f"{repeated_cross_section!r}")
    if cluster is not None and not isinstance(cluster, str) and not (
            isinstance(cluster, Sequence) and all(isinstance(c, str) for c in cluster)):
        raise TypeError(f"cluster must be a column name or a pair of column names, got "
                        f"{cluster!r}")
    ssc_ = get_ssc(ssc)
    if ssc is not None and ssc_ != SSC() and (
            spec.name not in ("cluster", "twoway_cluster") or effects == "random"):
        raise ValueError(f"ssc= sets the small-sample correction of clustered errors with fixed "
                         f"effects or pooled OLS; it does not apply to cov={spec.name!r}, "
                         f"effects={effects!r}")
    if backend == "numpy" and (effects == "random" or spec.name == "driscoll_kraay"):
        raise ValueError(f"backend='numpy' (the fixed-effects fast path) handles effects 'none', "
                         f"'entity', 'twoway' with cov 'classical', 'robust', 'cluster', "
                         f"'twoway_cluster'; not effects={effects!r}, cov={spec.name!r}. Use "
                         "backend='auto'")
    dependent, rhs, rhs_vars = parse_model(formula, y, x)
    lag_spec = _normalise_shifts(lags, "lags")
    lead_spec = _normalise_shifts(leads, "leads")
    clusters = _cluster_vars(spec, cluster, entity, time)
    if repeated_cross_section:
        refused = [what for what, bad in (
            ("lags=/leads=", bool(lag_spec or lead_spec)),
            ("effects='random'", effects == "random"),
            ("cov='driscoll_kraay'", spec.name == "driscoll_kraay")) if bad]
        if refused:
            raise ValueError(
                f"repeated_cross_section=True (several rows per {entity!r} x {time!r}) cannot "
                f"be combined with {', '.join(refused)}: they need one row per entity and "
                "period; aggregate to entity-period means first, or use effects='entity'/"
                "'twoway'/'none' with cov='cluster'")

    shift_src = sorted(set(lag_spec) | set(lead_spec))
    predicted_shift_names = {f"{c}_lag{k}" for c, ks in lag_spec.items() for k in ks} | {
        f"{c}_lead{k}" for c, ks in lead_spec.items() for k in ks}
    needed_rhs = [v for v in rhs_vars if v not in predicted_shift_names]
    keys = [entity, time]
    other = list(dict.fromkeys([dependent, *needed_rhs, *shift_src,
                                *[c for c in clusters if c not in keys]]))
    missing_shift = [c for c in shift_src if c not in data.columns]
    if missing_shift:
        raise KeyError(f"lags=/leads= name column(s) {missing_shift} that are not in data; "
                       f"choose among the numeric columns, e.g. {list(data.columns)[:8]}")
    check_columns(data, [c for c in other if c not in keys])
    # the shared key step (case-insensitive key columns, normalised codes and years)
    from ..keys import resolve_key

    used = list(dict.fromkeys([resolve_key(data, entity, role="entity key"),
                               resolve_key(data, time, role="time key"),
                               *[c for c in other if c not in keys]]))
    # a narrow frame is used as it is (selecting columns would copy every one of them)
    sub = data if len(data.columns) <= len(used) + 3 else data[used]
    df, entity, time, n_key_drop, (e_codes, n_e), (t_codes, n_t) = panel_keys(
        sub, entity, time, unique=not repeated_cross_section)
    numeric = list(dict.fromkeys([dependent, *shift_src]))
    from ..errors import check_numeric

    check_numeric(df, numeric)
    check_regressor_types(df, needed_rhs, categorical_columns(rhs))
    df = df.copy(deep=False)

    shift_cols = _add_shifts(df, lag_spec, +1, "lag", entity, time)
    shift_cols += _add_shifts(df, lead_spec, -1, "lead", entity, time)
    for c in shift_cols:
        if c not in rhs_vars:
            rhs += f" + {c}"
            rhs_vars.append(c)
    model_cols = list(dict.fromkeys([dependent, *rhs_vars, *clusters]))
    model_cols = [c for c in model_cols if c not in keys]
    df_all = df
    df, n_drop, keep = _listwise(df, model_cols, "data", return_mask=True)
    _check_finite_terms(df_all, rhs, keep, keys)
    if n_drop:
        e_codes, e_uniques = pd.factorize(e_codes[keep])
        t_codes, t_uniques = pd.factorize(t_codes[keep])
        n_e, n_t = len(e_uniques), len(t_uniques)
    n_drop += n_key_drop
    notes = (f"{n_drop} row(s) with missing values dropped (listwise)",) if n_drop else ()

    n_entities = int(n_e)
    n_periods = int(n_t)
    codes = {entity: (e_codes, n_entities), time: (t_codes, n_periods)}

    if spec.name == "driscoll_kraay":
        _check_clusters(df, [time], min_clusters, label="periods", codes=codes)
        n_clusters: tuple[int, ...] = ()
        bw = _nw_bandwidth(n_periods) if bandwidth is None else int(bandwidth)
    else:
        if bandwidth is not None:
            raise ValueError("bandwidth= is only used with cov='driscoll_kraay'")
        n_clusters = _check_clusters(df, clusters, min_clusters, codes=codes)
        bw = None

    if effects == "random":
        return _fit_random(df, dependent, rhs, rhs_vars, entity, time, spec, clusters,
                           n_clusters, bw, n_entities, n_periods, notes)
    if backend != "pyfixest" and spec.name != "driscoll_kraay":
        from .fastfe import fit_fast

        return fit_fast(df, codes, dependent, rhs, rhs_vars, entity, time, effects, spec,
                        clusters, n_clusters, n_entities, n_periods, notes, ssc_)
    return _fit_fixest(df, codes, dependent, rhs, rhs_vars, entity, time, effects, spec,
                       clusters, n_clusters, bw, n_entities, n_periods, notes, ssc_)


def _fit_fixest(df, codes, dependent, rhs, rhs_vars, entity, time, effects, spec, clusters,
                n_clusters, bw, n_entities, n_periods, notes, ssc_: SSC | None = None
                ) -> RegressionResults:
    """Fit through pyfixest (Driscoll-Kraay errors; ``backend="pyfixest"``)."""
    ssc_ = ssc_ or SSC()
    try:
        import pyfixest as pf
    except ImportError as exc:  # pragma: no cover - pyfixest is a dependency
        raise ImportError("fit_panel's fixed-effects and pooled models need pyfixest: "
                          "pip install 'pyfixest>=0.25'") from exc

    fe = {"none": [], "entity": [entity], "twoway": [entity, time]}[effects]
    if fe:
        _check_within_variation(df, dependent, codes[entity][0], entity)
    fml = f"{dependent} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")
    vcov_kwargs = None
    if spec.name == "classical":
        vcov = "iid"
    elif spec.name == "robust":
        vcov = "hetero"
    elif spec.name in ("cluster", "twoway_cluster"):
        vcov = {"CRV1": "+".join(clusters)}
    else:  # driscoll_kraay: pyfixest needs a numeric panel id and time
        if not pd.api.types.is_numeric_dtype(df[time]):
            raise TypeError(f"Driscoll-Kraay errors need a numeric time column; {time!r} has "
                            f"dtype {df[time].dtype}")
        df["_pg_entity_id"] = codes[entity][0]
        vcov = "DK"
        vcov_kwargs = {"lag": bw, "time_id": time, "panel_id": "_pg_entity_id"}
    # integer entity codes: same groups, cheaper for pyfixest to factorize than strings
    # (not when the formula itself uses the entity column, whose term names must stay readable)
    if entity not in rhs_vars:
        df[entity] = codes[entity][0]
    clustered = spec.name in ("cluster", "twoway_cluster")
    # For clustered errors pyfixest 0.60 can miscount the fixed effects nested in the clusters
    # when there are two fixed-effect dimensions (on the Grunfeld data, default options, it uses
    # K = k + 1 for firm + year effects with firm clusters, not k + T), so we let it apply G/(G-1) only and
    # apply the documented (N-1)/(N-K) ourselves (_cluster_dof_k).
    ssc = (pf.ssc(k_adj=False, k_fixef="none", G_adj=ssc_.cluster_adj, G_df="min") if clustered
           else pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"))
    sample_index = df.index  # pyfixest (copy_data=False) may reset df's index in place
    y_obs = df[dependent].to_numpy(dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = pf.feols(fml, data=df, vcov=vcov, vcov_kwargs=vcov_kwargs, ssc=ssc,
                           fixef_rm="none", copy_data=False,
                           store_data=spec.name == "driscoll_kraay",
                           context=dict(FORMULA_NAMESPACE), **_PF_TOL)
        except Exception as exc:
            dropped = _diagnose_collinear(df, rhs_vars, effects, entity, time)
            if dropped:
                raise ValueError(dropped) from exc
            raise
    _check_library_sample(fit._N, len(sample_index), f"pyfixest {pf.__version__}")
    collin = list(getattr(fit, "_collin_vars", []) or [])
    if collin:
        msg = _diagnose_collinear(df, collin, effects, entity, time, force=True)
        raise ValueError(msg)
    for w in caught:  # re-emit anything unrelated to what we handled
        if "multicollinearity" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    names = [str(n) for n in fit._coefnames]
    params = pd.Series(np.asarray(fit._beta_hat, dtype=float), index=names, name="estimate")
    vc = np.asarray(fit._vcov, dtype=float)
    if clustered:
        n_obs = int(fit._N)
        k_cl = _cluster_dof_k(df, len(names), fe_cols(effects, entity, time), clusters,
                              codes=codes, fixef_k=ssc_.fixef_k)
        if ssc_.adj:
            vc = vc * (n_obs - 1) / (n_obs - k_cl)
        if ssc_ != SSC():
            notes = (*notes, f"small-sample correction: {ssc_.label}")
    _warn_negative_variance(vc, names, spec.name)
    covm = pd.DataFrame(vc, index=names, columns=names)
    df_t = float(np.min(fit._df_t)) if fit._df_t is not None else None
    r2w = float(fit._r2_within) if effects != "none" else float("nan")
    if spec.name == "driscoll_kraay":
        clusters_out: tuple[str, ...] = ()
        notes = (*notes, f"Driscoll-Kraay bandwidth L={bw}")
    else:
        clusters_out = tuple(clusters)
    resid = np.asarray(fit._u_hat, dtype=float).ravel()
    fitted_s = pd.Series(y_obs - resid, index=sample_index, name="fitted")
    resid_s = pd.Series(resid, index=sample_index, name="residual")
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="panel",
        estimator={"none": "pooled", "entity": "entity", "twoway": "twoway"}[effects],
        cov_type=spec.name, df_inference=df_t, nobs=int(fit._N), r2=float(fit._r2),
        r2_within=r2w, r2_adj=float(fit._adj_r2), n_entities=n_entities, n_periods=n_periods,
        clusters=clusters_out, n_clusters=n_clusters, fixed_effects=tuple(
            {"none": (), "entity": (entity,), "twoway": (entity, time)}[effects]),
        sd=_term_sds(df, dependent, names, rhs), backend=f"pyfixest {pf.__version__}",
        formula=f"{dependent} ~ {rhs}", notes=notes, fitted_values=fitted_s,
        residuals=resid_s)


def _fit_random(df, dependent, rhs, rhs_vars, entity, time, spec, clusters, n_clusters, bw,
                n_entities, n_periods, notes) -> RegressionResults:
    import linearmodels
    from linearmodels.panel import RandomEffects

    bad = _diagnose_collinear(df, [v for v in rhs_vars if v in df.columns], "none", entity,
                              time)
    if bad:
        raise ValueError(bad)
    from formulaic import model_matrix

    pdf = df.set_index([entity, time])
    exog = model_matrix(f"1 + {rhs}", df, context=FORMULA_NAMESPACE)  # checked formula
    exog = pd.DataFrame(np.asarray(exog, dtype=float), index=pdf.index,
                        columns=[str(c) for c in exog.columns])
    mod = RandomEffects(pdf[dependent], exog)
    kw: dict = {}
    if spec.name == "classical":
        kw = {"cov_type": "unadjusted"}
    elif spec.name == "robust":
        kw = {"cov_type": "robust"}
    elif spec.name in ("cluster", "twoway_cluster"):
        cl = pd.DataFrame({c: pd.factorize(df[c])[0] for c in clusters}, index=pdf.index)
        kw = {"cov_type": "clustered", "clusters": cl, "group_debias": True}
    else:
        kw = {"cov_type": "kernel", "kernel": "bartlett", "bandwidth": bw}
    res = mod.fit(debiased=True, **kw)
    _check_library_sample(res.nobs, len(df), f"linearmodels {linearmodels.__version__}")
    xb = np.asarray(res.fitted_values, dtype=float).ravel()  # x'b, same row order as df
    names = [("Intercept" if str(n) == "Intercept" else str(n)) for n in res.params.index]
    params = pd.Series(res.params.to_numpy(), index=names, name="estimate")
    _warn_negative_variance(res.cov.to_numpy(), names, spec.name)
    covm = pd.DataFrame(res.cov.to_numpy(), index=names, columns=names)
    k = len(names)
    vd = res.variance_decomposition
    th = res.theta
    if isinstance(th, pd.DataFrame) and len(th) == len(df):  # one value per observation
        theta_e = pd.Series(th.iloc[:, 0].to_numpy(), index=df[entity].to_numpy())
        theta_e = theta_e.groupby(level=0, sort=False).first()
    elif isinstance(th, pd.DataFrame):
        theta_e = th.iloc[:, 0]
    else:  # pragma: no cover - older linearmodels
        theta_e = pd.Series(np.asarray(th, dtype=float).ravel())
    theta_e.index.name = entity
    theta_e = theta_e.rename("theta")
    if spec.name in ("cluster", "twoway_cluster"):
        df_t: float | None = float(min(n_clusters) - 1)
    elif spec.name == "driscoll_kraay":
        df_t = float(n_periods - 1)
    else:
        df_t = float(res.nobs - k)
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="panel", estimator="random",
        cov_type=spec.name, df_inference=df_t, nobs=int(res.nobs), r2=float(res.rsquared),
        r2_within=float(res.rsquared_within), n_entities=n_entities, n_periods=n_periods,
        clusters=tuple(clusters) if spec.n_cluster_vars else (), n_clusters=n_clusters,
        fixed_effects=(), sd=_term_sds(df, dependent, names, rhs),
        backend=f"linearmodels {linearmodels.__version__}", formula=f"{dependent} ~ {rhs}",
        notes=(*notes, f"Swamy-Arora random effects, theta={float(theta_e.mean()):.4f}"),
        theta=float(theta_e.mean()), theta_by_entity=theta_e,
        sigma2_u=float(vd["Effects"]), sigma2_e=float(vd["Residual"]),
        fitted_values=pd.Series(xb, index=df.index, name="fitted"),
        residuals=pd.Series(df[dependent].to_numpy(dtype=float) - xb, index=df.index,
                            name="residual"))

