"""Validation of polygov.regression against published and independent results.

References and tolerances
-------------------------
1. R ``plm`` on the Grunfeld data (10 firms x 20 years, plm's ``Grunfeld`` =
   Baltagi's data = statsmodels' ``grunfeld`` without "American Steel").
   Values as printed by ``summary(plm(inv ~ value + capital, data = Grunfeld,
   model = ..., effect = ...))`` / ``summary(...)$coeff`` in published plm
   tutorials (the same numbers appear in Croissant & Millo's plm vignette).
   Tolerance: half a unit in the last printed digit (the values are stored
   as the printed strings, the tolerance is derived from them).
2. statsmodels OLS with one dummy per fixed-effect level: estimates to 1e-6
   (absolute), standard errors to 1e-4 (relative), R² to 1e-8.
3. linearmodels ``PanelOLS``: estimates to 1e-6; clustered standard errors
   after the documented factor (1e-4 relative).
4. NumPy implementations of the documented formulas (cluster CR1 with the
   nested-FE K, two-way clustering, Driscoll-Kraay): 1e-4 relative.
6. ``fit_cross_section`` (its own eigen/SVD solver, no statsmodels fit) against
   statsmodels ``OLS``/``WLS(...).fit(cov_type=...)``: estimates, covariances
   (relative to their largest entry), R², fitted values to 1e-10.
5. R plm clustered errors (``vcovHC(type = "sss")``) and ``phtest`` (Hausman)
   as printed in published plm tutorials: half a unit in the last digit,
   after converting plm's K to polygov's documented K.

The R values were produced by::

    library(plm); data("Grunfeld", package = "plm")
    summary(plm(inv ~ value + capital, data = Grunfeld, model = "pooling"))
    summary(plm(inv ~ value + capital, data = Grunfeld, model = "within"))
    summary(plm(inv ~ value + capital, data = Grunfeld, model = "within", effect = "twoways"))
    summary(plm(inv ~ value + capital, data = Grunfeld, model = "random"))$coeff
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _reference import printed_tolerance as _tol

from polygov.regression import FewClustersWarning, fit_panel
from polygov.regression.model import _cluster_dof_k

EST_ATOL = 1e-6
SE_RTOL = 1e-4

# (model, effects) -> term -> (estimate, std_error) as printed by R plm
PLM = {
    "pooled": {"Intercept": ("-42.714369", "9.511676"), "value": ("0.115562", "0.005836"),
               "capital": ("0.230678", "0.025476")},
    "entity": {"value": ("0.1101238", "0.01185669"), "capital": ("0.3100653", "0.01735450")},
    "twoway": {"value": ("0.117716", "0.013751"), "capital": ("0.357916", "0.022719")},
    "random": {"Intercept": ("-57.8344149", "28.89893526"), "value": ("0.1097812", "0.01049266"),
               "capital": ("0.3081130", "0.01718047")},
}
PLM_R2 = {"pooled": "0.81241", "entity": "0.76676", "twoway": "0.72015"}
EFFECTS = {"pooled": "none", "entity": "entity", "twoway": "twoway", "random": "random"}


def _fit(d, effects, cov="classical", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        return fit_panel(d, "invest ~ value + capital", entity="firm", time="year",
                         effects=effects, cov=cov, **kw)


@pytest.mark.parametrize("model", list(PLM))
def test_matches_published_plm(grunfeld, model):
    res = _fit(grunfeld, EFFECTS[model])
    for term, (est, se) in PLM[model].items():
        assert res.params[term] == pytest.approx(float(est), abs=_tol(est)), term
        assert res.std_errors[term] == pytest.approx(float(se), abs=_tol(se)), term
    if model in PLM_R2:
        r2 = res.r2 if model == "pooled" else res.r2_within
        assert r2 == pytest.approx(float(PLM_R2[model]), abs=_tol(PLM_R2[model]))
    assert res.nobs == 200 and res.n_entities == 10 and res.n_periods == 20


def _dummy_ols(d, effects):
    smf = pytest.importorskip("statsmodels.formula.api")
    fe = {"none": "", "entity": " + C(firm)", "twoway": " + C(firm) + C(year)"}[effects]
    return smf.ols(f"invest ~ value + capital{fe}", data=d)


@pytest.mark.parametrize("effects", ["none", "entity", "twoway"])
@pytest.mark.parametrize("cov,sm_cov", [("classical", "nonrobust"), ("robust", "HC1")])
def test_matches_statsmodels_dummies(grunfeld, effects, cov, sm_cov):
    ref = _dummy_ols(grunfeld, effects).fit(cov_type=sm_cov)
    res = _fit(grunfeld, effects, cov)
    terms = list(res.params.index)
    np.testing.assert_allclose(res.params[terms], ref.params[terms], atol=EST_ATOL, rtol=0)
    np.testing.assert_allclose(res.std_errors[terms], ref.bse[terms], rtol=SE_RTOL)
    if effects == "none":
        assert res.r2 == pytest.approx(ref.rsquared, abs=1e-8)
    else:  # full-model R² (fixed effects included) = R² of the dummy regression
        assert res.r2 == pytest.approx(ref.rsquared, abs=1e-8)


@pytest.mark.parametrize("effects", ["entity", "twoway"])
def test_clustered_se_documented_factor_vs_statsmodels(grunfeld, effects):
    """statsmodels counts every dummy in K; polygov counts FE nested in the clusters as one."""
    model = _dummy_ols(grunfeld, effects)
    groups = pd.factorize(grunfeld["firm"])[0]
    ref = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    res = _fit(grunfeld, effects, "cluster")
    n, k_all = model.exog.shape
    k_ours = {"entity": 2 + 1, "twoway": 2 + 20}[effects]  # documented K
    assert _cluster_dof_k(grunfeld, 2, ["firm"] + (["year"] if effects == "twoway" else []),
                          ["firm"]) == k_ours
    factor = np.sqrt((n - k_all) / (n - k_ours))
    terms = ["value", "capital"]
    np.testing.assert_allclose(res.params[terms], ref.params[terms], atol=EST_ATOL, rtol=0)
    np.testing.assert_allclose(res.std_errors[terms], ref.bse[terms] * factor, rtol=SE_RTOL)
    assert res.df_inference == 9  # t with G - 1 degrees of freedom


def test_clustered_se_vs_linearmodels(grunfeld):
    """linearmodels 7.1's clustered covariance (defaults) carries N/(N-k) with k = 2 slopes and
    no G/(G-1); polygov's is G/(G-1) (N-1)/(N-K) with K = k + 1 (entity FE nested in clusters)."""
    lm = pytest.importorskip("linearmodels")
    di = grunfeld.set_index(["firm", "year"])
    ref = lm.PanelOLS(di["invest"], di[["value", "capital"]], entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    res = _fit(grunfeld, "entity", "cluster")
    np.testing.assert_allclose(res.params, ref.params, atol=EST_ATOL, rtol=0)
    n, k, g = 200, 2, 10
    factor = np.sqrt(g / (g - 1) * (n - 1) / (n - k - 1) / (n / (n - k)))
    np.testing.assert_allclose(res.std_errors, ref.std_errors * factor, rtol=SE_RTOL)
    assert res.r2_within == pytest.approx(ref.rsquared_within, abs=1e-8)


def _within(d, cols):
    """Two-way within transformation of a balanced panel."""
    out = {}
    for c in cols:
        v = d[c]
        out[c] = (v - d.groupby("firm")[c].transform("mean") - d.groupby("year")[c].transform("mean")
                  + v.mean()).to_numpy()
    return out


def _sandwich_pieces(d):
    w = _within(d, ["invest", "value", "capital"])
    X = np.column_stack([w["value"], w["capital"]])
    beta = np.linalg.lstsq(X, w["invest"], rcond=None)[0]
    u = w["invest"] - X @ beta
    bread = np.linalg.inv(X.T @ X)
    return X, u, bread, beta


def _meat(X, u, groups):
    codes = pd.factorize(groups)[0]
    s = np.zeros((codes.max() + 1, X.shape[1]))
    np.add.at(s, codes, X * u[:, None])
    return s.T @ s


def test_twoway_cluster_by_hand(grunfeld):
    """CR1 for two-way FE clustered by firm: G/(G-1) (N-1)/(N-K), K = k + T = 22."""
    X, u, bread, beta = _sandwich_pieces(grunfeld)
    n, g = len(u), 10
    V = bread @ _meat(X, u, grunfeld["firm"]) @ bread * g / (g - 1) * (n - 1) / (n - 22)
    res = _fit(grunfeld, "twoway", "cluster")
    np.testing.assert_allclose(res.params.to_numpy(), beta, atol=EST_ATOL, rtol=0)
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=SE_RTOL)


def test_twoway_clustering_by_hand(grunfeld):
    """V = V_firm + V_year - V_firm∩year, each x Gmin/(Gmin-1) (N-1)/(N-K); both FE nested."""
    X, u, bread, _ = _sandwich_pieces(grunfeld)
    n, gmin = len(u), 10
    inter = grunfeld["firm"].astype(str) + "|" + grunfeld["year"].astype(str)
    meat = _meat(X, u, grunfeld["firm"]) + _meat(X, u, grunfeld["year"]) - _meat(X, u, inter)
    k = 2 + 29 - 30 + 2  # both fixed effects nested in a cluster variable -> K = k + 2
    V = bread @ meat @ bread * gmin / (gmin - 1) * (n - 1) / (n - k)
    res = _fit(grunfeld, "twoway", "twoway_cluster")
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=SE_RTOL)
    assert res.n_clusters == (10, 20)


@pytest.mark.parametrize("lag", [1, 3])
def test_driscoll_kraay_by_hand(grunfeld, lag):
    X, u, bread, _ = _sandwich_pieces(grunfeld)
    years = np.sort(grunfeld["year"].unique())
    h = np.vstack([(X * u[:, None])[grunfeld["year"].to_numpy() == t].sum(axis=0) for t in years])
    S = h.T @ h
    for j in range(1, lag + 1):
        G = h[j:].T @ h[:-j]
        S += (1 - j / (lag + 1)) * (G + G.T)
    n, T, k = len(u), len(years), 2 + 10 + 20 - 1
    V = bread @ S @ bread * T / (T - 1) * (n - 1) / (n - k)
    res = _fit(grunfeld, "twoway", "driscoll_kraay", bandwidth=lag)
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=SE_RTOL)
    assert res.df_inference == T - 1


def test_default_driscoll_kraay_bandwidth(grunfeld):
    res = _fit(grunfeld, "entity", "driscoll_kraay")
    # Newey-West (1994) rule: floor(4 (T/100)^(2/9)) with T = 20 -> floor(2.797) = 2
    assert res.notes[-1] == "Driscoll-Kraay bandwidth L=2"
    assert res.std_errors.equals(_fit(grunfeld, "entity", "driscoll_kraay", bandwidth=2).std_errors)


def test_random_effects_clustered_documented_factor(grunfeld):
    """RE clustered errors: linearmodels' default clustered covariance carries N/(N-k); polygov
    adds G/(G-1) (N-1)/N, giving the documented G/(G-1) (N-1)/(N-k)."""
    lm = pytest.importorskip("linearmodels")
    di = grunfeld.set_index(["firm", "year"]).assign(const=1.0)
    ref = lm.RandomEffects(di["invest"], di[["const", "value", "capital"]]).fit(
        cov_type="clustered", cluster_entity=True)
    res = _fit(grunfeld, "random", "cluster")
    np.testing.assert_allclose(res.params, ref.params, atol=EST_ATOL, rtol=0)
    n, g = 200, 10
    np.testing.assert_allclose(res.std_errors, ref.std_errors * np.sqrt(g / (g - 1) * (n - 1) / n),
                               rtol=SE_RTOL)


def test_pooled_clustered_matches_statsmodels(grunfeld):
    """Without fixed effects K = k, so CR1 equals statsmodels' clustered OLS exactly."""
    model = _dummy_ols(grunfeld, "none")
    ref = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(grunfeld["firm"])[0]},
                    use_t=True)
    res = _fit(grunfeld, "none", "cluster")
    np.testing.assert_allclose(res.params, ref.params, atol=EST_ATOL, rtol=0)
    np.testing.assert_allclose(res.std_errors, ref.bse, rtol=SE_RTOL)
    np.testing.assert_allclose(res.pvalues, ref.pvalues, rtol=1e-6)  # t with G - 1 df in both


def test_hausman_matches_plm_phtest(grunfeld):
    """R: phtest(plm(..., model = "within"), plm(..., model = "random")) on plm's Grunfeld:
    chisq = 2.3304, df = 2, p-value = 0.3119 (printed; 2.330367 / 0.311865 to 7 digits)."""
    from polygov.regression import hausman

    out = hausman(_fit(grunfeld, "entity"), _fit(grunfeld, "random"))
    assert out.loc[0, "statistic"] == pytest.approx(2.330367, abs=5e-7)
    assert out.loc[0, "df"] == 2
    assert out.loc[0, "p_value"] == pytest.approx(0.311865, abs=5e-7)
    with pytest.raises(ValueError, match="needs classical covariances"):
        hausman(_fit(grunfeld, "entity", "robust"), _fit(grunfeld, "random"))
    with pytest.raises(ValueError, match="random must be a random-effects fit"):
        hausman(_fit(grunfeld, "entity"), _fit(grunfeld, "twoway"))


# R plm, clustered by firm with Stata's small-sample factor G/(G-1) (N-1)/(N-K_plm)
# (``coeftest(m, vcov = vcovHC(m, type = "sss"))``), as printed in published plm tutorials.
# plm counts only the regressors it estimates in K_plm; polygov counts K as documented, so
# polygov SE = plm SE * sqrt((N - K_plm) / (N - K)).
PLM_SSS = [
    # (polygov effects, K_plm, polygov K, {term: printed plm SE})
    ("entity", 2, 3, {"value": "0.015156", "capital": "0.052618"}),  # within, individual
    ("twoway", 2, 22, {"value": "0.010263", "capital": "0.045367"}),  # within, twoways
    ("twoway", 21, 22, {"value": "0.010794", "capital": "0.047715"}),  # within + factor(year)
]


@pytest.mark.parametrize("effects,k_plm,k_ours,ref", PLM_SSS)
def test_clustered_se_match_published_plm_sss(grunfeld, effects, k_plm, k_ours, ref):
    res = _fit(grunfeld, effects, "cluster")
    n = 200
    factor = np.sqrt((n - k_plm) / (n - k_ours))
    for term, se in ref.items():
        assert res.std_errors[term] == pytest.approx(float(se) * factor,
                                                     abs=_tol(se) * factor), term


# ----------------------------------------------------------------------- fit_cross_section
def _cs_data(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"g": rng.integers(0, 60, n).astype(str), "x1": rng.normal(size=n),
                      "x2": rng.normal(size=n), "cl": rng.integers(0, 40, n),
                      "w": rng.uniform(0.5, 2.0, n)})
    d["gdp"] = np.exp(rng.normal(9, 1, n))  # dollars: a badly scaled column
    d["y"] = 0.5 * d.x1 - d.x2 + 1e-4 * d.gdp + rng.normal(size=n) * (1 + np.abs(d.x1))
    d.loc[[3, 7], "x2"] = np.nan
    return d


@pytest.mark.parametrize("formula", [
    "y ~ x1 + x2 + C(g)",              # many dummies (the fast path)
    "y ~ x1 * x2 + np.log(gdp)",
    "y ~ 0 + x1 + x2",                 # no intercept: uncentred R2
    "y ~ x1 + x2 + gdp + I(gdp ** 2)",  # condition number ~1e9: the SVD fallback
])
@pytest.mark.parametrize("cov", ["classical", "HC0", "HC1", "robust", "HC2", "HC3", "cluster"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_cross_section_matches_statsmodels(formula, cov, weights):
    import statsmodels.formula.api as smf

    from polygov.regression import fit_cross_section

    d = _cs_data(1)
    dd = d.dropna()
    model = smf.wls(formula, dd, weights=dd.w) if weights else smf.ols(formula, dd)
    kw = ({"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(dd.cl)[0]}}
          if cov == "cluster" else
          {"cov_type": {"classical": "nonrobust", "robust": "HC1"}.get(cov, cov)})
    sm = model.fit(**kw)
    res = fit_cross_section(d, formula, cov=cov, weights=weights,
                            cluster="cl" if cov == "cluster" else None)
    assert list(res.params.index) == list(sm.params.index)
    scale = np.maximum(np.abs(sm.params.to_numpy()), 1.0)
    np.testing.assert_array_less(np.abs(res.params.to_numpy() - sm.params.to_numpy()) / scale,
                                 1e-10)
    V, Vs = res.cov.to_numpy(), sm.cov_params().to_numpy()
    assert np.abs(V - Vs).max() <= 1e-10 * np.abs(Vs).max()
    np.testing.assert_allclose(res.std_errors, sm.bse, rtol=1e-8)
    assert res.r2 == pytest.approx(sm.rsquared, abs=1e-10)
    assert res.r2_adj == pytest.approx(sm.rsquared_adj, abs=1e-10)
    assert res.df_inference == (39 if cov == "cluster" else sm.df_resid)
    np.testing.assert_allclose(res.fitted_values, sm.fittedvalues, rtol=1e-10, atol=1e-10)


def test_cross_section_collinear_dummies_named():
    from polygov.regression import fit_cross_section

    d = _cs_data(2)
    d["x3"] = 2 * d.x1 - d.x2  # exact linear combination
    with pytest.raises(ValueError, match=r"regressor\(s\) \['x3'\] are collinear"):
        fit_cross_section(d, "y ~ x1 + x2 + x3 + C(g)")
    d["g2"] = d.g  # a second copy of the same categorical: every dummy is redundant
    with pytest.raises(ValueError, match=r"'C\(g2\)\[T.1\]'.*are collinear"):
        fit_cross_section(d, "y ~ x1 + C(g) + C(g2)")
