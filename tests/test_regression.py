"""API, error and simulation tests for polygov.regression.

Simulations have known truth (seeded via the ``rng`` fixture); tolerances are
stated where they are used.  Published-value and cross-implementation checks
live in ``test_regression_validation.py``.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from polygov.regression import (
    COVARIANCES,
    FewClustersWarning,
    RegressionResults,
    covariance_names,
    fit_cross_section,
    fit_panel,
    marginal_effect,
    regression_table,
    specification_curve,
    specification_summary,
)


def make_panel(rng, n=60, t=12, beta=(1.0, -0.5), gaps=False):
    """Country-year panel with entity and time effects: y = b1 x1 + b2 x2 + a_i + g_t + e."""
    iso = np.array([f"C{i:03d}" for i in range(n)])
    d = pd.DataFrame({"iso3": np.repeat(iso, t), "year": np.tile(np.arange(2000, 2000 + t), n)})
    a = rng.normal(size=n)[np.repeat(np.arange(n), t)]
    g = rng.normal(size=t)[np.tile(np.arange(t), n)]
    d["x1"] = rng.normal(size=n * t) + 0.5 * a
    d["x2"] = rng.normal(size=n * t) + 0.5 * g
    d["y"] = beta[0] * d.x1 + beta[1] * d.x2 + a + g + rng.normal(scale=0.5, size=n * t)
    d["region"] = np.repeat(np.array(["R1", "R2", "R3", "R4", "R5"])[np.arange(n) % 5], t)
    if gaps:
        d = d.drop(index=d.index[(d.year == 2004) & (d.index % 3 == 0)])
    return d.reset_index(drop=True)


@pytest.fixture
def panel(rng):
    return make_panel(rng)


# ----------------------------------------------------------------------- estimation basics
def test_twoway_recovers_truth(panel):
    res = fit_panel(panel, "y ~ x1 + x2")
    assert res.estimator == "twoway" and res.cov_type == "cluster"
    assert res.clusters == ("iso3",) and res.n_clusters == (60,)
    # 720 obs, noise sd 0.5: SEs ~0.02, so 5 SEs
    assert abs(res.params["x1"] - 1.0) < 5 * res.std_errors["x1"]
    assert abs(res.params["x2"] + 0.5) < 5 * res.std_errors["x2"]
    assert res.nobs == 720 and res.n_entities == 60 and res.n_periods == 12
    assert 0 < res.r2_within < res.r2 < 1


def test_formula_and_y_x_interfaces_agree(panel):
    a = fit_panel(panel, "y ~ x1 + x2", effects="entity", cov="robust")
    b = fit_panel(panel, y="y", x=["x1", "x2"], effects="entity", cov="robust")
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def test_deterministic_and_pure(panel):
    before = panel.copy()
    a = fit_panel(panel, "y ~ x1 + x2")
    b = fit_panel(panel, "y ~ x1 + x2")
    pd.testing.assert_frame_equal(panel, before)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert repr(a) == repr(b)
    assert "0x" not in repr(a)  # no object ids


def test_results_are_frozen(panel):
    res = fit_panel(panel, "y ~ x1 + x2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.nobs = 3


def test_tidy_columns_and_conf_int(panel):
    from scipy import stats

    res = fit_panel(panel, "y ~ x1 + x2", effects="entity", cov="classical")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                  "ci_low", "ci_high"]
    q = stats.t.ppf(0.95, res.df_inference)  # 90% interval
    ci = res.conf_int(0.90)
    np.testing.assert_allclose(ci["ci_high"], res.params + q * res.std_errors)
    assert res.df_inference == 720 - 2 - 60
    with pytest.raises(ValueError, match="level must be strictly between 0 and 1"):
        res.conf_int(95)


def test_standardised_equals_regression_on_z_scores(panel):
    """Pooled OLS: standardised coefficients = OLS on z-scored variables (exact)."""
    res = fit_panel(panel, "y ~ x1 + x2", effects="none", cov="robust")
    z = panel[["y", "x1", "x2"]].apply(lambda s: (s - s.mean()) / s.std())
    ref = fit_panel(panel.assign(**z), "y ~ x1 + x2", effects="none", cov="robust")
    std = res.standardised().set_index("term")
    np.testing.assert_allclose(std.loc[["x1", "x2"], "estimate"], ref.params[["x1", "x2"]],
                               atol=1e-10)
    np.testing.assert_allclose(std.loc[["x1", "x2"], "p_value"], res.pvalues[["x1", "x2"]])
    assert "Intercept" not in std.index


def test_random_effects_runs_and_keeps_time_invariant(panel):
    d = panel.assign(small=(panel.iso3 < "C030").astype(float))
    res = fit_panel(d, "y ~ x1 + x2 + small", effects="random", cov="cluster")
    assert res.backend.startswith("linearmodels")
    assert {"Intercept", "x1", "x2", "small"} == set(res.params.index)
    assert np.isfinite(res.std_errors).all()


# ----------------------------------------------------------------------- lags and leads
def test_lags_match_on_time_value_and_respect_gaps(rng):
    d = make_panel(rng, n=6, t=8, gaps=True)
    res = fit_panel(d, "y ~ x1", lags={"x1": [1, 2]}, leads={"x2": 1}, effects="entity",
                    cov="robust")
    assert {"x1", "x1_lag1", "x1_lag2", "x2_lead1"} <= set(res.params.index)
    # build the expected sample by hand: lag = value at year-1 of the same country, if present
    key = d.set_index(["iso3", "year"])
    lag1 = [key["x1"].get((i, y - 1), np.nan) for i, y in zip(d.iso3, d.year, strict=True)]
    lag2 = [key["x1"].get((i, y - 2), np.nan) for i, y in zip(d.iso3, d.year, strict=True)]
    lead = [key["x2"].get((i, y + 1), np.nan) for i, y in zip(d.iso3, d.year, strict=True)]
    ok = ~np.isnan(lag1) & ~np.isnan(lag2) & ~np.isnan(lead)
    assert res.nobs == int(ok.sum())
    manual = d.assign(x1_lag1=lag1, x1_lag2=lag2, x2_lead1=lead)
    ref = fit_panel(manual, "y ~ x1 + x1_lag1 + x1_lag2 + x2_lead1", effects="entity",
                    cov="robust")
    pd.testing.assert_series_equal(res.params, ref.params)


def test_lag_recovers_dynamic_effect(rng):
    d = make_panel(rng, n=80, t=15)
    key = d.set_index(["iso3", "year"])["x1"]
    lag = np.array([key.get((i, y - 1), 0.0) for i, y in zip(d.iso3, d.year, strict=True)])
    d["y"] = d["y"] + 0.8 * lag
    res = fit_panel(d, "y ~ x1 + x2", lags={"x1": 1})
    assert abs(res.params["x1_lag1"] - 0.8) < 5 * res.std_errors["x1_lag1"]


# ----------------------------------------------------------------------- errors
def test_unknown_column_named_with_close_match(panel):
    with pytest.raises(KeyError, match=r"'x3'.*did you mean 'x2', 'x1'"):
        fit_panel(panel, "y ~ x1 + x3")
    with pytest.raises(KeyError, match="'iso'"):
        fit_panel(panel, "y ~ x1", entity="iso")


def test_unknown_cov_and_effects_list_valid(panel):
    with pytest.raises(ValueError, match=r"unknown covariance.*'clustr'.*expected one of.*"
                                         r"'driscoll_kraay'.*Did you mean 'cluster'"):
        fit_panel(panel, "y ~ x1", cov="clustr")
    with pytest.raises(ValueError, match=r"unknown effects 'two-way'.*'twoway'"):
        fit_panel(panel, "y ~ x1", effects="two-way")
    with pytest.raises(ValueError, match="HC3"):  # only for cross-sections
        fit_panel(panel, "y ~ x1", cov="HC3")
    assert covariance_names("panel") == ["classical", "robust", "cluster", "twoway_cluster",
                                         "driscoll_kraay"]
    assert set(covariance_names()) == set(COVARIANCES)


def test_regressor_collinear_with_entity_effects_is_named(panel):
    d = panel.assign(area=panel.groupby("iso3")["x1"].transform("mean"))
    with pytest.raises(ValueError, match=r"'area' does not vary within 'iso3'.*entity fixed"):
        fit_panel(d, "y ~ x1 + area")


def test_regressor_collinear_with_time_effects_is_named(panel):
    d = panel.assign(world=panel.groupby("year")["x2"].transform("mean"))
    with pytest.raises(ValueError, match=r"'world' does not vary within 'year'.*time fixed"):
        fit_panel(d, "y ~ x1 + world")
    fit_panel(d, "y ~ x1 + world", effects="entity")  # fine without time effects


def test_too_few_clusters(panel):
    with pytest.raises(ValueError, match=r"only 5 clusters in 'region'.*min_clusters=10.*"
                                         r"min_clusters=5"):
        fit_panel(panel, "y ~ x1", cluster="region")
    with pytest.warns(FewClustersWarning, match="only 5 clusters in 'region'"):
        res = fit_panel(panel, "y ~ x1", cluster="region", min_clusters=5)
    assert res.n_clusters == (5,)
    # two-way clustering needs the period dimension too: 12 years -> warning only
    with pytest.warns(FewClustersWarning, match="only 12 clusters in 'year'"):
        fit_panel(panel, "y ~ x1", cov="twoway_cluster")


def test_all_missing_and_no_overlap(panel):
    with pytest.raises(ValueError, match=r"\['x2'\].*missing in every one of the 720 rows"):
        fit_panel(panel.assign(x2=np.nan), "y ~ x1 + x2")
    d = panel.assign(x1=np.where(panel.year < 2006, panel.x1, np.nan),
                     x2=np.where(panel.year >= 2006, panel.x2, np.nan))
    with pytest.raises(ValueError, match=r"no row of data has all of.*'x1': 360"):
        fit_panel(d, "y ~ x1 + x2")


def test_missing_rows_dropped_and_reported(panel):
    d = panel.copy()
    d.loc[:9, "x1"] = np.nan
    res = fit_panel(d, "y ~ x1 + x2")
    assert res.nobs == 710
    assert res.notes[0] == "10 row(s) with missing values dropped (listwise)"


def test_duplicated_keys_and_bad_formula(panel):
    # 3 keys appear twice: all 6 rows are reported (polygov.keys' message, plus the panel hint)
    with pytest.raises(ValueError, match=r"6 row\(s\) with duplicated keys \['iso3', 'year'\]"
                                         r".*repeated_cross_section=True"):
        fit_panel(pd.concat([panel, panel.iloc[:3]]), "y ~ x1")
    with pytest.raises(ValueError, match="fixed effects are chosen with effects="):
        fit_panel(panel, "y ~ x1 | iso3")
    with pytest.raises(TypeError, match="either a formula"):
        fit_panel(panel, "y ~ x1", y="y", x=["x1"])
    with pytest.raises(ValueError, match="dependent variable must be a plain column name"):
        fit_panel(panel, "np.log(y) ~ x1")


# ----------------------------------------------------------------------- cross-section
def test_cross_section_hc1_and_cluster_by_hand(rng):
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n),
                      "g": rng.integers(0, 40, size=n)})
    d["y"] = 1 + 2 * d.x - d.z + rng.normal(size=n) * (1 + d.x.abs())
    X = np.column_stack([np.ones(n), d.x, d.z])
    b = np.linalg.solve(X.T @ X, X.T @ d.y)
    u = d.y.to_numpy() - X @ b
    bread = np.linalg.inv(X.T @ X)
    V_hc1 = bread @ (X.T * u**2) @ X @ bread * n / (n - 3)
    res = fit_cross_section(d, "y ~ x + z")
    np.testing.assert_allclose(res.params, b, atol=1e-10)
    np.testing.assert_allclose(res.std_errors, np.sqrt(np.diag(V_hc1)), rtol=1e-10)
    s = np.zeros((40, 3))
    np.add.at(s, d.g.to_numpy(), X * u[:, None])
    V_cr1 = bread @ s.T @ s @ bread * 40 / 39 * (n - 1) / (n - 3)
    res = fit_cross_section(d, "y ~ x + z", cov="cluster", cluster="g")
    np.testing.assert_allclose(res.std_errors, np.sqrt(np.diag(V_cr1)), rtol=1e-10)
    assert res.df_inference == 39


def test_cross_section_wls_by_hand(rng):
    n = 200
    d = pd.DataFrame({"x": rng.normal(size=n), "w": rng.uniform(0.5, 2, size=n)})
    d["y"] = 1 + d.x + rng.normal(size=n) / np.sqrt(d.w)
    X = np.column_stack([np.ones(n), d.x])
    W = d.w.to_numpy()
    b = np.linalg.solve(X.T @ (X * W[:, None]), X.T @ (W * d.y))
    res = fit_cross_section(d, "y ~ x", weights="w", cov="classical")
    np.testing.assert_allclose(res.params, b, atol=1e-10)
    assert res.estimator == "WLS"
    with pytest.raises(ValueError, match="weights column 'w' must be positive"):
        fit_cross_section(d.assign(w=d.w - 1), "y ~ x", weights="w")
    with pytest.raises(ValueError, match="cov='cluster' needs cluster="):
        fit_cross_section(d, "y ~ x", cov="cluster")


# ----------------------------------------------------------------------- marginal effects
def test_marginal_effect_matches_recentred_model(rng):
    """ME of x at z0 = coefficient on x after centring z at z0 (estimate and SE)."""
    d = make_panel(rng, n=50, t=10)
    d["z"] = rng.normal(size=len(d))
    d["y"] = d["y"] + 1.5 * d.x1 * d.z + 0.3 * d.z
    res = fit_panel(d, "y ~ x1 * z + x2", effects="twoway", cov="cluster")
    me = marginal_effect(res, "x1", "z", values=[-1.0, 0.0, 2.0])
    assert list(me.columns) == ["z", "estimate", "std_error", "statistic", "p_value", "ci_low",
                                "ci_high"]
    for z0, row in zip([-1.0, 0.0, 2.0], me.itertuples(), strict=True):
        ref = fit_panel(d.assign(z=d.z - z0), "y ~ x1 * z + x2", effects="twoway", cov="cluster")
        assert row.estimate == pytest.approx(ref.params["x1"], abs=1e-8)
        assert row.std_error == pytest.approx(ref.std_errors["x1"], rel=1e-6)
    grid = marginal_effect(res, "x1", "z", data=d, n=11)
    assert len(grid) == 11 and grid["z"].iloc[0] == pytest.approx(d.z.min())
    with pytest.raises(ValueError, match="no interaction term between 'x2' and 'z'"):
        marginal_effect(res, "x2", "z", values=[0])


# ----------------------------------------------------------------------- tables
def test_regression_table_formats(panel):
    a = fit_panel(panel, "y ~ x1", effects="entity", cov="cluster")
    b = fit_panel(panel, "y ~ x1 + x2", effects="twoway", cov="cluster")
    frame = regression_table({"FE": a, "TWFE": b}, format="frame")
    assert frame.loc["x1", "FE"].startswith(f"{a.params['x1']:.3f}")
    assert frame.loc["x2", "FE"] == ""
    assert frame.loc["N", "TWFE"] == "720"
    assert frame.loc["Time FE"].tolist() == ["No", "Yes"]
    assert frame.loc["Clusters", "FE"] == "iso3 (60)"
    assert frame.loc["Within R²", "TWFE"] == f"{b.r2_within:.3f}"
    assert frame.loc["Dependent variable"].tolist() == ["y", "y"]
    assert frame.index[0] == "Dependent variable"
    html = regression_table([a, b])
    assert html.startswith("<table") and "Within R²" in html and "(2)" in html
    assert "<th>Dependent variable</th><td>y</td>" in html
    md = regression_table([a, b], format="markdown")
    assert md.splitlines()[0] == "|  | (1) | (2) |"
    assert md.splitlines()[2] == "| Dependent variable | y | y |"
    assert md.splitlines()[4].startswith("|  | (")  # the SE row below x1 has no label
    tex = regression_table([a, b], format="latex", caption="Two models")
    assert r"\toprule" in tex and r"\caption{Two models}" in tex and "$^{***}$" in tex
    with pytest.raises(ValueError, match="unknown table format 'docx'"):
        regression_table([a], format="docx")
    with pytest.raises(TypeError, match="RegressionResults"):
        regression_table([a, "b"])


# ----------------------------------------------------------------------- specification curve
def test_specification_curve(panel):
    d = panel.assign(y2=panel.y + panel.x1 * 0.5, x3=panel.x1 + np.random.default_rng(1).normal(
        size=len(panel)))
    curve = specification_curve(
        d, outcomes=["y", "y2"], treatments=["x1", "x3"], controls={"none": [], "x2": ["x2"]},
        samples={"all": None, "early": "year < 2008", "not R1": (d.region != "R1")},
        estimators=["twoway", {"name": "FE, robust", "effects": "entity", "cov": "robust"}])
    assert len(curve) == 2 * 2 * 2 * 3 * 2
    assert curve["estimate"].is_monotonic_increasing
    assert curve["rank"].tolist() == list(range(1, 49))
    assert (curve["error"] == "").all()
    # one spec checked against a direct fit
    row = curve.query("outcome == 'y2' and treatment == 'x1' and controls == 'x2' and "
                      "sample == 'early' and estimator == 'twoway'").iloc[0]
    ref = fit_panel(d.query("year < 2008"), y="y2", x=["x1", "x2"])
    assert row.estimate == pytest.approx(ref.params["x1"])
    summ = specification_summary(curve)
    assert summ.loc[0, "n_specs"] == 48
    assert summ.loc[0, "share_positive"] == pytest.approx((curve.estimate > 0).mean())
    assert summ.loc[0, "share_significant_positive"] == pytest.approx(
        ((curve.estimate > 0) & (curve.p_value < 0.05)).mean())


def test_specification_curve_records_failures(panel):
    with pytest.warns(Warning, match="1 of 2 specifications failed"):
        curve = specification_curve(panel, outcomes=["y"], treatments=["x1"],
                                    samples={"all": None, "tiny": "iso3 < 'C003'"})
    assert curve["error"].iloc[-1].startswith("ValueError: only 3 clusters")
    assert np.isnan(curve["estimate"].iloc[-1])
    with pytest.raises(ValueError, match="only 3 clusters"):
        specification_curve(panel, outcomes=["y"], treatments=["x1"],
                            samples={"tiny": "iso3 < 'C003'"}, on_error="raise")


# ----------------------------------------------------------------------- real data smoke
def test_hfi_twoway_on_society_score():
    import polygov as pg

    hfi = pg.data.load("hfi")
    scores = pg.polycentricity.centre_scores(hfi)
    d = hfi[["iso3", "year", "pf_rol"]].merge(scores, on=["iso3", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)  # ~130 countries: no warning
        res = fit_panel(d, "pf_rol ~ society", effects="twoway", cov="cluster")
    assert isinstance(res, RegressionResults)
    assert res.n_clusters[0] > 100 and res.nobs > 900
    assert np.isfinite(res.tidy()[["estimate", "std_error", "p_value"]].to_numpy()).all()
    # independent implementation: statsmodels OLS with country and year dummies on the
    # complete rows. Estimates to 1e-8 (pyfixest demeans iteratively); clustered SE after
    # the documented factor: statsmodels' (N-1)/(N-K) counts every dummy,
    # K = 1 + 1 + (G-1) + (T-1); polygov's counts the country effects (nested in the
    # country clusters) as one, K = 1 + T.
    import statsmodels.formula.api as smf

    dd = d.dropna(subset=["pf_rol", "society"])
    n, g, t = len(dd), dd.iso3.nunique(), dd.year.nunique()
    assert (res.nobs, res.n_entities, res.n_periods, res.n_clusters) == (n, g, t, (g,))
    ref = smf.ols("pf_rol ~ society + C(iso3) + C(year)", dd).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(dd.iso3)[0]})
    assert ref.df_model + 1 == 1 + g + t - 1
    assert res.params["society"] == pytest.approx(ref.params["society"], abs=1e-8)
    factor = np.sqrt((n - (g + t)) / (n - (1 + t)))
    assert res.std_errors["society"] == pytest.approx(ref.bse["society"] * factor, rel=1e-6)
    assert res.r2 == pytest.approx(ref.rsquared, abs=1e-8)


def test_driscoll_kraay_needs_periods(panel):
    with pytest.raises(ValueError, match=r"only 12 periods in 'year'.*Driscoll-Kraay errors need "
                                         r"many periods.*cov='cluster'.*min_clusters=12"):
        fit_panel(panel, "y ~ x1", cov="driscoll_kraay", min_clusters=20)
    with pytest.warns(FewClustersWarning, match="only 12 periods"):
        res = fit_panel(panel, "y ~ x1", cov="driscoll_kraay")
    assert res.clusters == () and res.df_inference == 11
    with pytest.raises(ValueError, match="bandwidth= is only used with cov='driscoll_kraay'"):
        fit_panel(panel, "y ~ x1", bandwidth=2)


def test_missing_keys_dropped_and_lags_still_matched(panel):
    d = panel.copy()
    d.loc[0, "iso3"] = None  # C000 in 2000 loses its key: its x1 cannot serve as a lag
    res = fit_panel(d, "y ~ x1", lags={"x1": 1}, effects="entity", cov="robust")
    # 60 first-year rows have no lag (the keyless row is one of them); C000-2001 loses its lag
    assert res.nobs == 720 - 60 - 1
    assert res.notes[0].startswith("61 row(s)")


def test_collinear_regressors_named(panel):
    with pytest.raises(ValueError, match=r"'x1_twice' is a linear combination.*Drop one of each"):
        fit_panel(panel.assign(x1_twice=2 * panel.x1), "y ~ x1 + x1_twice")
    with pytest.raises(ValueError, match=r"collinear with the other regressors"):
        fit_cross_section(panel.assign(x1_twice=2 * panel.x1), "y ~ x1 + x1_twice")


def test_standardised_fe_uses_raw_sample_sds(panel):
    d = panel.copy()
    d.loc[:4, "x2"] = np.nan  # the SDs must come from the estimation sample
    res = fit_panel(d, "y ~ x1 + x2")
    sample = d.dropna(subset=["x2"])
    std = res.standardised().set_index("term")
    for t in ("x1", "x2"):
        assert std.loc[t, "estimate"] == pytest.approx(
            res.params[t] * sample[t].std() / sample["y"].std(), rel=1e-12)


def test_latex_escapes_and_labels(panel):
    d = panel.rename(columns={"x1": "pf_rol"})
    res = fit_panel(d, "y ~ pf_rol")
    tex = regression_table([res], format="latex")
    assert r"pf\_rol" in tex and "pf_rol" not in tex.replace(r"pf\_rol", "")
    md = regression_table([res], format="markdown", labels={"pf_rol": "Rule of law"})
    assert "| Rule of law |" in md


def test_specification_curve_deterministic(panel):
    kw = dict(outcomes=["y"], treatments=["x1", "x2"], estimators=["twoway", "entity"])
    pd.testing.assert_frame_equal(specification_curve(panel, **kw),
                                  specification_curve(panel, **kw))


def test_entity_dummies_in_formula_keep_their_names(panel):
    """Pooled OLS with entity dummies (LSDV) = entity fixed effects; term names stay readable."""
    lsdv = fit_panel(panel, "y ~ x1 + C(iso3)", effects="none", cov="classical")
    fe = fit_panel(panel, "y ~ x1", effects="entity", cov="classical")
    assert "C(iso3)[T.C001]" in lsdv.params.index
    assert lsdv.params["x1"] == pytest.approx(fe.params["x1"], abs=1e-10)
    assert lsdv.std_errors["x1"] == pytest.approx(fe.std_errors["x1"], rel=1e-8)


def test_negative_variance_warns_and_gives_nan_se():
    from polygov.errors import PolygovWarning
    from polygov.regression.model import _warn_negative_variance

    with pytest.warns(PolygovWarning, match=r"negative variances for \['b'\]"):
        _warn_negative_variance(np.diag([1.0, -0.5]), ["a", "b"], "twoway_cluster")
    res = RegressionResults(params=pd.Series([1.0, 2.0], index=["a", "b"]),
                            cov=pd.DataFrame(np.diag([1.0, -0.5]), index=["a", "b"],
                                             columns=["a", "b"]),
                            dependent="y", model="panel", estimator="twoway",
                            cov_type="twoway_cluster", df_inference=10, nobs=20, r2=0.5)
    assert np.isnan(res.std_errors["b"]) and res.std_errors["a"] == 1.0


def test_results_pickle_round_trip(panel):
    import pickle

    res = fit_panel(panel, "y ~ x1 + x2")
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_frame_equal(back.tidy(), res.tidy())
    assert repr(back) == repr(res)


def test_specification_curve_standardise(panel):
    d = panel.copy()
    d.loc[:20, "x2"] = np.nan  # the SDs come from each specification's own sample
    curve = specification_curve(d, outcomes=["y"], treatments=["x1"],
                                controls={"none": [], "x2": ["x2"]}, standardise=True)
    for _, row in curve.iterrows():
        cs = ["x2"] if row.controls == "x2" else []
        res = fit_panel(d, y="y", x=["x1", *cs])
        sample = d.dropna(subset=["y", "x1", *cs])
        expected = res.params["x1"] * sample["x1"].std() / sample["y"].std()
        assert row.estimate == pytest.approx(expected, rel=1e-8)
        assert row.p_value == pytest.approx(res.pvalues["x1"], rel=1e-6)


def test_regression_table_html_renders_in_notebooks(panel):
    from polygov.regression import RegressionTable

    a = fit_panel(panel, "y ~ x1", effects="entity")
    b = fit_panel(panel.assign(z=panel.y * 2), "z ~ x1", effects="entity")
    t = regression_table({"A": a, "B": b}, labels={"z": "twice y"}, caption="Two outcomes")
    # a str (old behaviour kept) whose _repr_html_ is the markup, so Jupyter renders it
    assert isinstance(t, RegressionTable) and isinstance(t, str)
    assert t._repr_html_() == str(t) and str(t).startswith("<table")
    assert "<caption>Two outcomes</caption>" in t
    # plain-text repr is the Markdown table, not a quoted HTML string
    text = repr(t)
    assert not text.startswith(("'", "<")) and "| Dependent variable | y | twice y |" in text
    assert text.startswith("Two outcomes")
    tex = regression_table({"A": a, "B": b}, format="latex")
    assert r"Dependent variable & y & z \\" in tex
    import pickle

    assert pickle.loads(pickle.dumps(t)) == t


# ----------------------------------------------------------------------- fitted values, predict
def test_fitted_residuals_and_predict_cross_section_vs_statsmodels(rng):
    import statsmodels.formula.api as smf

    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], size=n),
                      "w": rng.uniform(0.5, 2, size=n)}, index=np.arange(1000, 1000 + n))
    d["y"] = 1 + d.x + (d.g == "b") + rng.normal(size=n)
    d.loc[1003, "x"] = np.nan
    f = "y ~ x + np.exp(x / 4) + C(g) + x:C(g)"
    for weights in (None, "w"):
        res = fit_cross_section(d, f, weights=weights)
        dd = d.dropna()
        sm = (smf.wls(f, dd, weights=dd.w) if weights else smf.ols(f, dd)).fit()
        assert res.fitted_values.index.equals(dd.index) and 1003 not in res.residuals.index
        np.testing.assert_allclose(res.fitted_values, sm.fittedvalues, rtol=0, atol=1e-10)
        np.testing.assert_allclose(res.residuals, sm.resid, rtol=0, atol=1e-10)
        new = pd.DataFrame({"x": [-1.0, 0.0, 2.5, np.nan], "g": ["c", "a", "b", "a"]},
                           index=list("pqrs"))
        pred = res.predict(new)
        assert pred.index.tolist() == list("pqrs") and np.isnan(pred["s"])
        np.testing.assert_allclose(pred.iloc[:3], sm.predict(new.iloc[:3]), rtol=0, atol=1e-10)
        np.testing.assert_allclose(res.predict(d.dropna()), sm.fittedvalues, atol=1e-10)


def test_predict_errors(panel, rng):
    d = pd.DataFrame({"x": rng.normal(size=50), "g": rng.choice(["a", "b"], size=50)})
    d["y"] = d.x + rng.normal(size=50)
    res = fit_cross_section(d, "y ~ x + C(g)")
    with pytest.raises(KeyError, match=r"column\(s\) 'g' not found in newdata"):
        res.predict(d[["x"]])
    with pytest.raises(ValueError, match="Categories of C\\(...\\) terms must be among"):
        res.predict(pd.DataFrame({"x": [1.0], "g": ["zzz"]}))
    import pickle

    back = pickle.loads(pickle.dumps(res))
    assert back.residuals.equals(res.residuals)
    with pytest.raises(ValueError, match="not kept when results are pickled; refit"):
        back.predict(d)
    fe = fit_panel(panel, "y ~ x1")
    with pytest.raises(ValueError, match="cross-section models only.*use .fitted_values"):
        fe.predict(panel)


@pytest.mark.parametrize("effects,dummies", [("twoway", " + C(iso3) + C(year)"),
                                             ("entity", " + C(iso3)"), ("none", "")])
def test_panel_fitted_values_match_dummy_ols(rng, effects, dummies):
    import statsmodels.formula.api as smf

    d = make_panel(rng, n=30, t=8, gaps=True)
    d.loc[5, "x1"] = np.nan
    res = fit_panel(d, "y ~ x1 + x2", effects=effects)
    dd = d.dropna()
    sm = smf.ols("y ~ x1 + x2" + dummies, dd).fit()
    assert res.residuals.index.equals(dd.index)
    # pyfixest demeans iteratively (tolerance ~1e-8), hence 1e-7 rather than 1e-10
    np.testing.assert_allclose(res.fitted_values, sm.fittedvalues, rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.residuals, sm.resid, rtol=0, atol=1e-7)


def test_random_effects_fitted_is_xb(panel):
    res = fit_panel(panel, "y ~ x1 + x2", effects="random")
    xb = res.params["Intercept"] + panel[["x1", "x2"]] @ res.params[["x1", "x2"]]
    np.testing.assert_allclose(res.fitted_values, xb, atol=1e-10)
    np.testing.assert_allclose(res.fitted_values + res.residuals, panel.y, atol=1e-10)


# ----------------------------------------------------------------------- marginal effect values=
def test_marginal_effect_values_validated(rng):
    d = pd.DataFrame({"x": rng.normal(size=80), "z": rng.normal(size=80)})
    d["y"] = d.x * (1 + d.z) + rng.normal(size=80)
    res = fit_cross_section(d, "y ~ x * z")
    with pytest.raises(ValueError, match=r"values= must be one-dimensional.*shape \(2, 2\)"):
        marginal_effect(res, "x", "z", values=np.ones((2, 2)))
    with pytest.raises(ValueError, match="values= must be one-dimensional.*DataFrame"):
        marginal_effect(res, "x", "z", values=d[["z"]])
    with pytest.raises(TypeError, match="values= must be a sequence of numbers"):
        marginal_effect(res, "x", "z", values="1, 2")
    with pytest.raises(TypeError, match="values= must be numbers"):
        marginal_effect(res, "x", "z", values=["low", "high"])
    with pytest.raises(ValueError, match="values= is empty"):
        marginal_effect(res, "x", "z", values=[])
    with pytest.raises(ValueError, match="non-finite moderator 'z' values"):
        marginal_effect(res, "x", "z", values=[0.0, np.nan])
    one = marginal_effect(res, "x", "z", values=0.5)  # a scalar is one value
    assert one["estimate"].iloc[0] == pytest.approx(res.params["x"] + 0.5 * res.params["x:z"])


# ----------------------------------------------------------------------- categorical controls
def test_specification_curve_categorical_controls(panel, rng):
    d = panel.assign(band=rng.choice(["lo", "mid", "hi"], size=len(panel)))
    from polygov.errors import PolygovWarning

    with pytest.warns(PolygovWarning, match="1 of 6 specifications failed"):
        curve = specification_curve(d, outcomes=["y"], treatments=["x1"],
                                    controls={"none": [], "band": ["C(band)"],
                                              "region": ["x2", "C(region)"]},
                                    estimators=["twoway", "none"])
    ok = curve.set_index(["controls", "estimator"])
    for (cn, est), row in ok.iterrows():
        rhs = {"none": "x1", "band": "x1 + C(band)", "region": "x1 + x2 + C(region)"}[cn]
        if cn == "region" and est == "twoway":  # region is fixed within country
            assert "collinear" in row.error and np.isnan(row.estimate)
            continue
        ref = fit_panel(d, f"y ~ {rhs}", effects=est)
        assert row.error == ""
        assert row.estimate == pytest.approx(ref.params["x1"], rel=1e-10)
        assert row.std_error == pytest.approx(ref.std_errors["x1"], rel=1e-10)
    with pytest.raises(KeyError, match="'regio'.*did you mean 'region'"):
        specification_curve(d, outcomes=["y"], treatments=["x1"],
                            controls={"bad": ["C(regio)"]})
    with pytest.raises(ValueError, match="control 'np.log\\(x2\\)' in control set 'bad'"):
        specification_curve(d, outcomes=["y"], treatments=["x1"],
                            controls={"bad": ["np.log(x2)"]})
    with pytest.raises(TypeError, match="'region'.*not numeric"):
        specification_curve(d, outcomes=["y"], treatments=["x1"], controls={"bad": ["region"]})


# ----------------------------------------------------------------------- quantile regression
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("cov", ["robust", "iid"])
def test_fit_quantile_matches_statsmodels(rng, q, cov):
    import statsmodels.formula.api as smf

    from polygov.regression import fit_quantile

    n = 250
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], size=n)})
    d["y"] = 1 + d.x + (d.g == "b") + rng.standard_t(3, size=n) * (1 + 0.5 * np.abs(d.x))
    d.loc[[4, 9], "x"] = np.nan
    res = fit_quantile(d, "y ~ x + C(g)", q=q, cov=cov)
    sm = smf.quantreg("y ~ x + C(g)", d.dropna()).fit(q=q, vcov=cov)
    np.testing.assert_allclose(res.params, sm.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.std_errors, sm.bse, rtol=1e-10)
    np.testing.assert_allclose(res.pvalues, sm.pvalues, rtol=1e-8)
    assert res.nobs == n - 2 and "2 row(s) with missing values dropped" in res.notes[0]
    assert res.estimator == f"quantile q={q:g}" and np.isnan(res.r2)
    np.testing.assert_allclose(res.fitted_values, sm.fittedvalues, atol=1e-10)
    new = pd.DataFrame({"x": [-1.0, 0.5], "g": ["c", "a"]})
    np.testing.assert_allclose(res.predict(new), sm.predict(new), atol=1e-10)
    assert (res.residuals <= 0).mean() == pytest.approx(q, abs=0.05)  # check-loss property


def test_fit_quantile_median_minimises_absolute_deviations(rng):
    """Independent check: median regression as the LP min sum(u+ + u-), X b + u+ - u- = y."""
    from scipy.optimize import linprog

    from polygov.regression import fit_quantile

    n = 60
    d = pd.DataFrame({"x": rng.normal(size=n)})
    d["y"] = 2 - d.x + rng.laplace(size=n)
    res = fit_quantile(d, "y ~ x", q=0.5)
    X = np.column_stack([np.ones(n), d.x])
    c = np.r_[0, 0, np.ones(2 * n)]
    lp = linprog(c, A_eq=np.hstack([X, np.eye(n), -np.eye(n)]), b_eq=d.y.to_numpy(),
                 bounds=[(None, None)] * 2 + [(0, None)] * (2 * n), method="highs")
    sad = np.abs(d.y - X @ res.params.to_numpy()).sum()
    assert sad == pytest.approx(lp.fun, rel=1e-6)  # the same minimal sum of |residuals|


def test_fit_quantile_errors(rng):
    from polygov.regression import fit_quantile

    d = pd.DataFrame({"x": rng.normal(size=30)})
    d["y"] = d.x + rng.normal(size=30)
    with pytest.raises(ValueError, match="q must be a quantile strictly between 0 and 1.*got 1.5"):
        fit_quantile(d, "y ~ x", q=1.5)
    with pytest.raises(ValueError, match="unknown quantile-regression covariance \\(cov\\) 'HC1'"):
        fit_quantile(d, "y ~ x", cov="HC1")
    with pytest.raises(KeyError, match="'z' not found"):
        fit_quantile(d, "y ~ z")
    with pytest.raises(ValueError, match=r"regressor\(s\) \['x2'\] are collinear"):
        fit_quantile(d.assign(x2=2 * d.x), "y ~ x + x2")


# ----------------------------------------------------------------------- repeated cross-sections
def test_repeated_cross_section_entity_effects_match_dummy_ols(rng):
    """Respondents in country-waves: entity FE on individual rows = OLS with country dummies."""
    import statsmodels.formula.api as smf

    n_c, waves, per = 35, [1, 2, 3], 20
    rows = [(f"C{c:02d}", w) for c in range(n_c) for w in waves for _ in range(per)]
    d = pd.DataFrame(rows, columns=["iso3", "wave"])
    a = dict(zip(d.iso3.unique(), rng.normal(size=n_c), strict=True))
    d["x"] = rng.normal(size=len(d))
    d["y"] = 0.5 * d.x + 0.2 * d.wave + d.iso3.map(a) + rng.normal(size=len(d))
    with pytest.raises(ValueError, match="pass repeated_cross_section=True"):
        fit_panel(d, "y ~ x", entity="iso3", time="wave", effects="entity")
    res = fit_panel(d, "y ~ x + C(wave)", entity="iso3", time="wave", effects="entity",
                    repeated_cross_section=True)
    sm = smf.ols("y ~ x + C(wave) + C(iso3)", d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d.iso3)[0]})
    for t in ("x", "C(wave)[T.2]", "C(wave)[T.3]"):
        assert res.params[t] == pytest.approx(sm.params[t], abs=1e-10)
        # documented K: statsmodels counts all 35 dummies, polygov the nested FE as one
        k_sm, k_pg = len(sm.params), 3 + 1
        n = len(d)
        factor = np.sqrt((n - 1) / (n - k_pg) / ((n - 1) / (n - k_sm)))
        assert res.std_errors[t] == pytest.approx(sm.bse[t] * factor, rel=1e-8)
    assert res.n_periods == 3 and res.n_entities == n_c and res.nobs == len(d)
    # the same as the old work-around of a unique per-row "time" column
    hack = fit_panel(d.assign(rid=np.arange(len(d))), "y ~ x + C(wave)", entity="iso3",
                     time="rid", effects="entity")
    pd.testing.assert_frame_equal(res.tidy(), hack.tidy())
    tw = fit_panel(d, "y ~ x", entity="iso3", time="wave", effects="twoway",
                   repeated_cross_section=True)
    assert tw.params["x"] == pytest.approx(res.params["x"], abs=1e-8)
    with pytest.raises(ValueError, match="cannot be combined with lags=/leads=, effects='random'"):
        fit_panel(d, "y ~ x", entity="iso3", time="wave", effects="random", lags={"x": 1},
                  repeated_cross_section=True)


def test_outcome_constant_within_entities_is_refused():
    df = pd.DataFrame({"iso3": np.repeat(["A", "B", "C", "D"], 3), "year": np.tile([1, 2, 3], 4),
                       "y": np.repeat([1.0, 2.0, 3.0, 4.0], 3), "x": np.arange(12, dtype=float) ** 1.5})
    with pytest.raises(ValueError, match=r"dependent variable 'y' does not vary within any 'iso3'"):
        fit_panel(df, "y ~ x", effects="entity", cov="robust")
    ok = fit_panel(df, "y ~ x", effects="none", cov="robust")
    assert np.isfinite(ok.params["x"])


# ----------------------------------------------------------------------- non-finite formula terms
def test_formula_term_infinite_rejected_naming_term_and_rows(rng):
    """np.log(0) = -inf used to be dropped silently by pyfixest while n_entities, n_clusters
    and the small-sample factors described all 60 entities (audit p4.py)."""
    d = make_panel(rng, n=60, t=6)
    zero = [f"C{i:03d}" for i in range(20)]  # 20 whole entities get z = 0
    d["z"] = np.where(d.iso3.isin(zero), 0.0, np.exp(d.x1))
    for effects in ("twoway", "none", "random"):
        with pytest.raises(ValueError, match=r"'np\.log\(z\)' is infinite in 120 row\(s\), "
                                             r"e\.g\. \[\('C000', 2000\)"):
            fit_panel(d, "y ~ np.log(z)", effects=effects)
    # a plain regressor column with inf in a formula was dropped silently too
    bad = d.assign(x2=d.x2.where(d.index != 7, np.inf))
    with pytest.raises(ValueError, match=r"'x2' is infinite in 1 row\(s\), e\.g\. \[\('C000', 2007\)"
                                         r"|'x2' is infinite in 1 row\(s\)"):
        fit_panel(bad, "y ~ x1 + x2")
    # NaN created by the formula (log of a negative) in an otherwise complete row
    neg = d.assign(z=np.where(d.index == 130, -1.0, np.exp(d.x1)))
    with pytest.raises(ValueError, match=r"'np\.log\(z\)' is NaN in 1 row\(s\), e\.g\. \[\('C021', 2004\)"):
        fit_panel(neg, "y ~ np.log(z)")
    # ... but a NaN that only follows from a missing raw value is the usual listwise drop
    miss = d.assign(z=np.where(d.index == 130, np.nan, np.exp(d.x1)))
    assert fit_panel(miss, "y ~ np.log(z)").nobs == 359

    # the correct sample, once the user drops the zeros: described by its own counts,
    # estimates equal to OLS with entity and year dummies (statsmodels) on those rows
    import statsmodels.formula.api as smf

    ok = d[~d.iso3.isin(zero)]
    res = fit_panel(ok, "y ~ np.log(z)", effects="twoway", cov="cluster")
    assert res.nobs == 240 and res.n_entities == 40 and res.n_clusters == (40,)
    assert res.residuals.index.equals(ok.index)
    sm = smf.ols("y ~ np.log(z) + C(iso3) + C(year)", ok).fit()
    np.testing.assert_allclose(res.params["np.log(z)"], sm.params["np.log(z)"], rtol=1e-8)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
def test_library_sample_guard(rng, monkeypatch):
    """If a library ever drops rows polygov passed, fitting raises instead of mislabelling."""
    import polygov.regression.cross_section as cross_section
    import polygov.regression.panel as panel

    d = make_panel(rng, n=30, t=5)
    d["z"] = np.where(d.index < 10, 0.0, np.exp(d.x1))
    monkeypatch.setattr(panel, "_check_finite_terms", lambda *a, **k: None)
    monkeypatch.setattr(cross_section, "_check_finite_terms", lambda *a, **k: None)
    with pytest.raises(RuntimeError, match=r"estimated the model on 140 rows but polygov "
                                           r"passed 150 complete rows"):
        fit_panel(d, "y ~ np.log(z)", backend="pyfixest")
    # the NumPy fast path keeps the rows and its own guard names the column
    with pytest.raises(RuntimeError, match=r"non-finite values in column\(s\) \['np\.log\(z\)'\]"):
        fit_panel(d, "y ~ np.log(z)")
    # statsmodels keeps the -inf rows: the design-matrix guard names the column
    with pytest.raises(RuntimeError, match=r"non-finite values in column\(s\) \['np\.log\(z\)'\]"):
        fit_cross_section(d, "y ~ np.log(z)")


def test_cross_section_nonfinite_term_and_too_few_rows(rng):
    d = pd.DataFrame({"iso3": [f"C{i:02d}" for i in range(30)], "x": rng.uniform(1, 2, 30)})
    d["y"] = d.x + rng.normal(size=30)
    d.loc[3, "x"] = 0.0  # np.log(0) = -inf gave all-NaN estimates silently
    with pytest.raises(ValueError, match=r"'np\.log\(x\)' is infinite in 1 row\(s\), e\.g\. \['C03'\]"):
        fit_cross_section(d, "y ~ np.log(x)")
    with pytest.raises(ValueError, match=r"'x' is infinite in 1 row"):
        fit_cross_section(d.assign(x=d.x.replace(0.0, np.inf)), "y ~ x")
    # n == k crashed with ZeroDivisionError; n < k was called "collinear"
    with pytest.raises(ValueError, match=r"too few rows: 2 observation\(s\) for 2 parameters"):
        fit_cross_section(d.iloc[:2], "y ~ x")
    with pytest.raises(ValueError, match=r"too few rows: 2 observation\(s\) for 3 parameters "
                                         r"\(\['Intercept', 'x', 'w'\]\)"):
        fit_cross_section(d.iloc[:2].assign(w=[1.0, 5.0]), "y ~ x + w")
    # n = k + 1 works: one residual degree of freedom (classical SE by hand)
    small = d.iloc[4:7]
    res = fit_cross_section(small, "y ~ x", cov="classical")
    X = np.column_stack([np.ones(3), small.x])
    b, ssr = np.linalg.lstsq(X, small.y, rcond=None)[:2]
    se = np.sqrt(np.diag(ssr[0] / 1 * np.linalg.inv(X.T @ X)))
    np.testing.assert_allclose(res.std_errors.to_numpy(), se, rtol=1e-10)


def test_no_setting_with_copy_warning_after_listwise_drop(panel):
    d = panel.assign(x1=panel.x1.where(panel.index != 4))
    # pandas 3 (copy-on-write) removed the warning class: then no pandas warning may escape at all
    cls = getattr(pd.errors, "SettingWithCopyWarning", pd.errors.PerformanceWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cls)
        res = fit_panel(d[d.year > 2000], "y ~ x1 + x2")
    assert res.nobs == 660 - 1


# ----------------------------------------------------------------------- level= / alpha= checked
def test_level_and_alpha_must_be_probabilities(panel, rng):
    d = pd.DataFrame({"x": rng.normal(size=60), "z": rng.normal(size=60)})
    d["y"] = d.x * (1 + d.z) + rng.normal(size=60)
    res = fit_cross_section(d, "y ~ x * z")
    # level=95 gave NaN bands (marginal_effect)
    with pytest.raises(ValueError, match=r"level must be strictly between 0 and 1.*got 95.*"
                                         r"use level=0.95"):
        marginal_effect(res, "x", "z", values=[0.0, 1.0], level=95)
    with pytest.raises(TypeError, match="level must be a number"):
        marginal_effect(res, "x", "z", values=[0.0], level="95%")
    me = marginal_effect(res, "x", "z", values=[0.0], level=0.9)
    from scipy import stats

    c = stats.t.ppf(0.95, res.df_inference)  # hand computation of the 90% band
    assert np.isclose(me.ci_high.iloc[0], res.params["x"] + c * res.std_errors["x"])
    # level=95 recorded every specification as failed instead of raising up front
    with pytest.raises(ValueError, match="level must be strictly between 0 and 1.*got 95"):
        specification_curve(panel, outcomes=["y"], treatments=["x1"], level=95)
    curve = specification_curve(panel, outcomes=["y"], treatments=["x1", "x2"])
    # alpha=5 called every specification significant
    with pytest.raises(ValueError, match=r"alpha must be strictly between 0 and 1.*got 5.*"
                                         r"use alpha=0.05"):
        specification_summary(curve, alpha=5)
    for bad in (0, 1, float("nan"), -0.1):
        with pytest.raises(ValueError, match="alpha must be strictly between 0 and 1"):
            specification_summary(curve, alpha=bad)
    with pytest.raises(TypeError, match="alpha must be a number"):
        specification_summary(curve, alpha=True)
    s = specification_summary(curve, alpha=0.01)
    assert s.share_significant_positive.iloc[0] == ((curve.estimate > 0)
                                                    & (curve.p_value < 0.01)).mean()


# ----------------------------------------------------------------------- R² of random effects
def test_table_labels_random_effects_r2_separately(panel):
    """RE's R² (GLS-transformed regression) shared the "R²" row with pooled/FE R²."""
    from linearmodels.panel import RandomEffects

    pooled = fit_panel(panel, "y ~ x1 + x2", effects="none")
    fe = fit_panel(panel, "y ~ x1 + x2", effects="twoway")
    re = fit_panel(panel, "y ~ x1 + x2", effects="random")
    lm = RandomEffects.from_formula("y ~ 1 + x1 + x2",
                                    panel.set_index(["iso3", "year"])).fit()
    frame = regression_table({"P": pooled, "FE": fe, "RE": re}, format="frame")
    assert frame.loc["R²", "RE"] == ""
    assert frame.loc["R² (RE, GLS)", "RE"] == f"{lm.rsquared:.3f}"
    assert frame.loc["R² (RE, GLS)", ["P", "FE"]].tolist() == ["", ""]
    # pooled R² by hand (numpy least squares)
    X = np.column_stack([np.ones(len(panel)), panel.x1, panel.x2])
    u = panel.y - X @ np.linalg.lstsq(X, panel.y, rcond=None)[0]
    assert frame.loc["R²", "P"] == f"{1 - (u @ u) / ((panel.y - panel.y.mean()) ** 2).sum():.3f}"
    assert np.isclose(float(re.summary_frame().loc["R2 (GLS)", "value"]), lm.rsquared,
                      atol=1e-3)
    assert "R2" not in re.summary_frame().index
    # no random-effects model: no extra row (tables in the course unchanged)
    assert "R² (RE, GLS)" not in regression_table([pooled, fe], format="frame").index
    md = regression_table([fe, re], format="markdown")
    assert "| R² (RE, GLS) |  | " in md
