"""Weighting methods: PCA/varimax (Handbook), optimised correlations, Benefit of the Doubt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import polygov.index as pi
from polygov.index.weights import varimax


def _two_factor_block(rng, n=400):
    f1, f2 = rng.normal(size=(2, n))
    cols = {f"x{i}": f1 + 0.5 * rng.normal(size=n) for i in range(3)}
    cols |= {f"y{i}": f2 + 0.5 * rng.normal(size=n) for i in range(2)}
    return pd.DataFrame(cols)


@pytest.fixture
def fw():
    t = pd.DataFrame([("x0", "A", 1), ("x1", "A", 1), ("x2", "A", 1), ("y0", "A", 1),
                      ("y1", "A", 1), ("A", None, 1)], columns=["code", "parent", "weight"])
    return pi.framework_from_table(t)


def test_varimax_matches_factor_analyzer(rng):
    from factor_analyzer.rotator import Rotator

    L = rng.normal(size=(8, 3))
    ours = varimax(L)
    ref = Rotator(method="varimax", normalize=False, max_iter=1000, tol=1e-12).fit_transform(L)
    # equal up to column order and sign
    for j in range(3):
        best = min(np.abs(ours[:, j][:, None] - s * ref).sum(axis=0).min() for s in (1, -1))
        assert best < 1e-6


def test_pca_weights_handbook_procedure(rng, fw):
    from factor_analyzer.rotator import Rotator

    x = _two_factor_block(rng)
    w = pi.pca_weights(x, fw)
    assert w.sum() == pytest.approx(1)
    # independent route: eigen-decomposition by numpy SVD of standardised data + factor_analyzer varimax
    z = (x - x.mean()) / x.std(ddof=1)
    u, s, vt = np.linalg.svd(z.to_numpy() / np.sqrt(len(z) - 1), full_matrices=False)
    ev = s ** 2
    keep = ev > 1
    L = vt[keep].T * np.sqrt(ev[keep])
    R = Rotator(method="varimax", normalize=False, max_iter=1000, tol=1e-12).fit_transform(L)
    var = (R ** 2).sum(axis=0)
    sq = R ** 2 / var
    ref = sq.max(axis=1) * var[sq.argmax(axis=1)] / var.sum()
    # 1e-5: factor_analyzer stops its varimax iterations earlier than ours
    np.testing.assert_allclose(w[x.columns].to_numpy(), ref / ref.sum(), atol=1e-5)
    # the x-items load on one rotated factor, the y-items on the other
    fac = sq.argmax(axis=1)
    assert len(set(fac[:3])) == 1 and len(set(fac[3:])) == 1 and fac[0] != fac[3]


def test_correlation_weights_equalise_influence(rng, fw):
    x = _two_factor_block(rng)
    x["y1"] = x["y1"] * 3          # a high-variance component dominates equal weights
    w = pi.correlation_weights(x, fw)
    agg = x[w.index] @ w
    r = x[w.index].corrwith(agg)
    assert r.max() - r.min() < 1e-3
    assert w.sum() == pytest.approx(1)


def test_bod_properties(rng):
    y = pd.DataFrame(rng.uniform(0.1, 1, size=(15, 2)), columns=["a", "b"])
    out = pi.bod_weights(y)
    assert out["bod_score"].max() == pytest.approx(1) and (out["bod_score"] <= 1 + 1e-9).all()
    # brute force over weight directions for two indicators
    th = np.linspace(0, np.pi / 2, 20001)
    W = np.stack([np.cos(th), np.sin(th)])
    S = y.to_numpy() @ W
    brute = (S / S.max(axis=0)).max(axis=1)
    np.testing.assert_allclose(out["bod_score"], brute, atol=2e-5)   # grid resolution
    assert (out["bod_score"] >= brute - 1e-9).all()
    # one indicator: score = y / max(y)
    one = pi.bod_weights(y[["a"]])
    np.testing.assert_allclose(one["bod_score"], y["a"] / y["a"].max())
    # share bounds pinned at 1/2 force equal shares
    fixed = pi.bod_weights(y, lower=0.5, upper=0.5)
    np.testing.assert_allclose(fixed[["share_a", "share_b"]], 0.5, atol=1e-7)
    with pytest.raises(ValueError, match="complete data"):
        pi.bod_weights(y.mask(y > 0.9))
    with pytest.raises(ValueError, match="infeasible"):
        pi.bod_weights(y, lower=0.6)


def test_weights_feed_a_spec(rng, fw):
    x = _two_factor_block(rng, n=60)
    x.insert(0, "iso3", [f"U{i}" for i in range(60)])
    w = pi.pca_weights(x.drop(columns="iso3"), fw)
    spec = pi.IndexSpec(fw, weights=w.to_dict())
    res = pi.build(spec, x)
    pd.testing.assert_series_equal(res.weights[w.index], w / w.sum(), check_names=False)
    assert pi.equal_weights(fw).eq(1).all()


def test_bod_aggregation_in_a_build():
    """aggregation='bod' at the index level: each country's most favourable pillar weights,
    checked against a brute-force search over weight directions (independent of linprog)."""
    import polygov as pg

    hfi = pg.data.load("hfi")
    fw = pi.hfi_governance_framework()
    d16 = hfi[hfi.year == 2016][["iso3", *fw.indicators]]
    spec = pi.IndexSpec(fw, imputation="mean", aggregation={3: "bod"})
    res = pi.build(spec, d16)
    agg = res.stages["aggregated"]
    pillars = agg[list(fw.children("governance"))].to_numpy()
    # brute force: random non-negative directions (3 pillars), each scaled so the best unit scores 1
    rng = np.random.default_rng(7)
    W = np.abs(rng.standard_normal((3, 100_000)))
    W = np.hstack([W, np.eye(3)])                     # the vertices too
    S = pillars @ W
    brute = 100 * (S / S.max(axis=0)).max(axis=1)
    got = agg["governance"].to_numpy()
    assert (got >= brute - 1e-6).all()                # the LP optimum is never beaten
    assert np.max(got - brute) < 0.5                  # and the search gets close to it
    assert got.max() == pytest.approx(100) and (got <= 100 + 1e-9).all()
    # a panel: each year has its own frontier
    panel = hfi[hfi.year.isin([2015, 2016])][["iso3", "year", *fw.indicators]]
    pres = pi.build(spec, panel)
    best = pres.stages["aggregated"]["governance"].groupby(level="year").max()
    np.testing.assert_allclose(best.to_numpy(), 100)
    # share bounds through aggregation_params: equal shares forced at 1/3 each
    eq = pi.build(spec.replace(aggregation_params={"lower": 1 / 3, "upper": 1 / 3}), d16)
    ref = pi.bod_weights(pd.DataFrame(pillars), lower=1 / 3, upper=1 / 3)["bod_score"] * 100
    np.testing.assert_allclose(eq.stages["aggregated"]["governance"].to_numpy(), ref.to_numpy())
    # gaps are refused (no silent drop), unknown params are refused
    rol = ["pf_rol_procedural", "pf_rol_civil", "pf_rol_criminal"]
    gap = res.stages["imputed"].reset_index()       # complete data ...
    gap.loc[gap.iso3 == "CHN", rol] = np.nan       # China's rule-of-law pillar is missing
    with pytest.raises(ValueError, match=r"bod aggregation needs every component.*1 unit.*'CHN'.*impute first"):
        pi.build(spec.replace(imputation="none"), gap)
    with pytest.raises(KeyError, match="unknown aggregation_params key.*'q'"):
        spec.replace(aggregation_params={"q": 1})
    # uncertainty takes bod as an alternative (was refused: "cannot be vectorised"); its
    # draws are those of a rebuild (more in test_index_sensitivity.py)
    ua = pi.uncertainty(spec, d16, n_draws=10, seed=1, aggregations=["arithmetic", "bod"])
    k = int(np.flatnonzero(ua.draws["aggregation"] == "bod")[0])
    np.testing.assert_array_equal(ua.scores.iloc[k].to_numpy(),
                                  pi.build(ua.spec_for(k), d16).stages["aggregated"]["governance"])


def _bod_brute(Y, lower, upper, n_dir=200_000, seed=3):
    """BoD scores by brute force over non-negative weight directions (no linear programme):
    for each unit, the best ratio w.y_c / max_d w.y_d over the directions whose shares
    w_i y_ci / w.y_c meet the bounds (0 when none does)."""
    rng = np.random.default_rng(seed)
    W = np.abs(rng.standard_normal((Y.shape[1], n_dir)))
    W /= W.sum(axis=0)
    S = Y @ W                                        # units x directions
    ratio = S / S.max(axis=0)
    out = np.zeros(len(Y))
    for c in range(len(Y)):
        share = Y[c][:, None] * W / S[c]
        ok = ((share >= lower[:, None] - 1e-12) & (share <= upper[:, None] + 1e-12)).all(axis=0)
        out[c] = ratio[c, ok].max() if ok.any() else 0.0
    return out


def test_bod_share_bounds_mapping_through_spec(rng):
    # the spec freezes mappings (MappingProxyType): {"lower": {"a": 0.3}} failed with
    # TypeError 'mappingproxy' + 'mappingproxy'
    t = pd.DataFrame([("a", "I", 1), ("b", "I", 1), ("c", "I", 1), ("I", None, 1)],
                     columns=["code", "parent", "weight"])
    fw3 = pi.framework_from_table(t)
    d = pd.DataFrame(rng.uniform(0, 10, size=(25, 3)), columns=["a", "b", "c"])
    d.insert(0, "iso3", [f"U{i:02d}" for i in range(25)])
    params = {"lower": {"a": 0.3}, "upper": {"c": 0.25}}
    spec = pi.IndexSpec(fw3, aggregation="bod", aggregation_params=params,
                        normalisation_params={"lo": 1, "hi": 100})
    res = pi.build(spec, d)
    Y = res.stages["normalised"][["a", "b", "c"]].to_numpy()
    got = res.stages["aggregated"]["I"].to_numpy() / 100
    brute = _bod_brute(Y, np.array([0.3, 0, 0]), np.array([1, 1, 0.25]))
    assert (got >= brute - 1e-7).all()               # the LP optimum is never beaten
    assert np.max(got - brute) < 5e-3                # and the search gets close to it
    # the bounds bind: free BoD gives higher scores to some units
    free = pi.build(spec.replace(aggregation_params={}), d).stages["aggregated"]["I"] / 100
    assert (free.to_numpy() > got + 1e-6).any()
    sh = pi.bod_weights(res.stages["normalised"][["a", "b", "c"]], lower={"a": 0.3},
                        upper={"c": 0.25})
    assert (sh["share_a"] >= 0.3 - 1e-7).all() and (sh["share_c"] <= 0.25 + 1e-7).all()
    # 2 components: the same against the brute force
    r2 = pi.bod_weights(pd.DataFrame(Y[:, :2], columns=["a", "b"]), upper={"b": 0.4})
    b2 = _bod_brute(Y[:, :2], np.zeros(2), np.array([1, 0.4]))
    assert (r2["bod_score"].to_numpy() >= b2 - 1e-7).all()
    assert np.max(r2["bod_score"].to_numpy() - b2) < 5e-3


def test_bod_bounds_and_params_are_validated(rng):
    t = pd.DataFrame([("a", "P", 1), ("b", "P", 1), ("c", "Q", 1), ("d", "Q", 1), ("P", "I", 1),
                      ("Q", "I", 1), ("I", None, 1)], columns=["code", "parent", "weight"])
    fw4 = pi.framework_from_table(t)
    d = pd.DataFrame(rng.uniform(size=(12, 4)), columns=list("abcd"))
    d.insert(0, "iso3", [f"C{i:02d}" for i in range(12)])
    spec = pi.IndexSpec(fw4, aggregation="bod")
    with pytest.raises(KeyError, match=r"share bound 'lower' names 'Pp'.*close matches.*'P'"):
        spec.replace(aggregation_params={"lower": {"Pp": 0.3}})
    with pytest.raises(TypeError, match=r"share bound lower must be a number in \[0, 1\], got 'x'"):
        spec.replace(aggregation_params={"lower": "x"})
    with pytest.raises(ValueError, match=r"share bound upper\['a'\] must be in \[0, 1\]"):
        spec.replace(aggregation_params={"upper": {"a": 1.5}})
    # bounds that cannot be met: were all-zero scores
    with pytest.raises(ValueError, match=r"aggregate 'P' \(bod aggregation\).*upper bounds sum to "
                                         r"0.2 < 1.*upper=0.1"):
        pi.build(spec.replace(aggregation_params={"upper": 0.1}), d)
    with pytest.raises(ValueError, match=r"upper bounds sum to 0.2 < 1.*\{'a': 0.1, 'b': 0.1\}"):
        pi.bod_weights(d[["a", "b"]], upper={"a": 0.1, "b": 0.1})
    with pytest.raises(KeyError, match=r"names 'z', which are not components \('a', 'b'\)"):
        pi.bod_weights(d[["a", "b"]], lower={"z": 0.1})
    # a bound on a component of an aggregate that is not BoD-aggregated would be ignored
    mixed = pi.IndexSpec(fw4, aggregation={3: "bod"}, aggregation_params={"lower": {"a": 0.2}})
    with pytest.raises(ValueError, match=r"'lower' names 'a', whose parent\(s\) 'P' are not "
                                         r"aggregated with bod"):
        pi.build(mixed, d)
    # p: finite real number (nan gave all-NaN scores, "2" was accepted)
    for p in (np.nan, "2", True, np.inf):
        with pytest.raises(ValueError, match=r"'p' \(power of the generalised mean\) must be a "
                                             r"finite real number"):
            pi.IndexSpec(fw4, aggregation="generalised", aggregation_params={"p": p})
    # negative values: the error names the components and the aggregate
    with pytest.raises(ValueError, match=r"aggregate 'P' \(bod aggregation\): BoD needs non-negative "
                                         r"values; negative values in component\(s\) 'a' \(\d+ unit"):
        pi.build(spec.replace(normalisation="zscore"), d)


def test_bod_bounds_in_uncertainty_match_rebuilds(rng):
    """The shared aggregator_kwargs: a mapping bound with a left-out component in a draw."""
    t = pd.DataFrame([("a", "P", 1), ("b", "P", 1), ("c", "P", 1), ("d", "Q", 1), ("e", "Q", 1),
                      ("P", "I", 1), ("Q", "I", 1), ("I", None, 1)],
                     columns=["code", "parent", "weight"])
    fw5 = pi.framework_from_table(t)
    d = pd.DataFrame(rng.uniform(1, 5, size=(15, 5)), columns=list("abcde"))
    d.insert(0, "iso3", [f"C{i:02d}" for i in range(15)])
    spec = pi.IndexSpec(fw5, aggregation="bod", aggregation_params={"lower": {"a": 0.2, "P": 0.3}},
                        normalisation_params={"lo": 1, "hi": 100})
    ua = pi.uncertainty(spec, d, n_draws=12, seed=2, leave_one_out=True, progress=False,
                        aggregations=["bod"], normalisations=[("minmax", {"lo": 1, "hi": 100})])
    assert {"a", "b", "c"} <= set(ua.draws["omitted"])    # 'a' (bounded) left out in some draws
    for k in range(12):
        np.testing.assert_array_equal(ua.scores.iloc[k].to_numpy(),
                                      pi.build(ua.spec_for(k), d).stages["aggregated"]["I"])
