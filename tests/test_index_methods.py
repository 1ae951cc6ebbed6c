"""Treatment, imputation, normalisation and aggregation functions, with Hypothesis properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import polygov.index as pi
from polygov.index import treat
from polygov.index.aggregate import AGGREGATORS

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
vectors = arrays(float, st.integers(3, 30), elements=finite).filter(
    lambda v: np.ptp(v) > 1e-6 * (1 + np.abs(v).max()))


# --- normalisation ----------------------------------------------------------------------
@given(vectors, st.floats(-50, 50), st.floats(1, 100))
def test_minmax_range(v, lo, width):
    y = pi.normalise(pd.Series(v), "minmax", lo=lo, hi=lo + width)
    assert y.min() >= lo - 1e-9 * width and y.max() <= lo + width + 1e-9 * width
    assert y.min() == pytest.approx(lo) and y.max() == pytest.approx(lo + width)


@given(vectors)
def test_bounded_normalisers_stay_in_range(v):
    x = pd.Series(v)
    p = pi.normalise(x, "percentile")
    assert p.between(0, 100).all()
    g = pi.normalise(x, "goalposts", lower=float(np.quantile(v, 0.2)),
                     upper=float(np.quantile(v, 0.8)) + 1, scale=10)
    assert g.between(0, 10).all()
    t = pi.normalise(x, "distance_to_target", target=float(v.max()) + 1.0)
    assert t.between(0, 1).all()
    o = pi.normalise(x, "ordinal", k=3)
    assert set(o.unique()) <= {1.0, 2.0, 3.0}


@pytest.mark.parametrize("lo,hi", [(100, 0), (5, 5)])
def test_minmax_range_must_increase(lo, hi):
    with pytest.raises(ValueError, match=r"hi \(\d+\) must exceed lo.*direction=-1"):
        pi.normalise(pd.Series([1.0, 2, 3], name="x"), "minmax", lo=lo, hi=hi)


def test_ordinal_ties_share_a_category():
    # was qcut on rank(method="first"): the three 2s were split over categories 1 and 2
    x = pd.Series([1.0, 2, 2, 2, 3, 4])
    assert pi.normalise(x, "ordinal", k=2).tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    y = pd.Series([5.0, 5, 5, 5, 5, 1, 9, np.nan])
    o = pi.normalise(y, "ordinal", k=3)
    assert o.iloc[:5].nunique() == 1 and np.isnan(o.iloc[7])
    # without ties: pandas' quantile bins of the values themselves
    z = pd.Series(np.random.default_rng(1).normal(size=23))
    np.testing.assert_array_equal(pi.normalise(z, "ordinal", k=4),
                                  pd.qcut(z, 4, labels=False).to_numpy() + 1.0)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        pi.normalise(z, "ordinal", k=0)


def test_ordinal_without_ties_is_qcut():
    # n=10, k=3: the bins are pandas' own qcut bins (3/3/4 units under pandas 2, where
    # np.quantile's edges would give 4/3/3; pandas 3 computes the edges differently)
    x = pd.Series(np.arange(10, dtype=float))
    got = pi.normalise(x, "ordinal", k=3)
    assert got.tolist() == (pd.qcut(x, 3, labels=False) + 1.0).tolist()
    assert sorted(got.value_counts().tolist()) == [3, 3, 4]
    rng = np.random.default_rng(5)
    cases = [(n, k) for n in range(2, 70) for k in (2, 3, 4, 5, 7, 10)] + [(161, 5), (162, 3)]
    for n, k in cases:
        for v in (rng.normal(size=n), np.arange(n, dtype=float), 1e6 + rng.normal(size=n)):
            v = pd.Series(v)
            try:
                ref = pd.qcut(v, k, labels=False).to_numpy() + 1.0
            except ValueError:
                continue
            np.testing.assert_array_equal(pi.normalise(v, "ordinal", k=k).to_numpy(), ref,
                                          err_msg=f"n={n}, k={k}")


grid = arrays(float, st.integers(3, 30), elements=st.integers(-1000, 1000).map(float), unique=True)


@given(grid, st.sampled_from(["cube", "exp", "affine"]), st.sampled_from([1, -1]))
def test_monotone_transform_keeps_ranks(v, f, direction):
    # values on a grid of 1/1000 in [-1, 1] (so that the transform keeps distinct values
    # distinct in double precision)
    x = pd.Series(v / 1000)
    fx = {"cube": x ** 3, "exp": np.exp(x), "affine": 3 * x + 7}[f]
    for method in ("rank", "percentile"):
        a = pi.normalise(x, method, direction=direction)
        b = pi.normalise(fx, method, direction=direction)
        pd.testing.assert_series_equal(a, b)
    a = pi.normalise(x, "minmax", direction=direction).rank()
    b = pi.normalise(fx, "minmax", direction=direction).rank()
    pd.testing.assert_series_equal(a, b)


def test_direction_mirrors_goalposts():
    x = pd.Series([0.0, 5.0, 10.0])
    y = pi.normalise(x, "goalposts", direction=-1, lower=0, upper=10)
    assert y.tolist() == [1.0, 0.5, 0.0]
    z = pi.normalise(x, "zscore", mean=10, sd=2)
    assert z.mean() == pytest.approx(10) and z.std() == pytest.approx(2)
    assert pi.normalise(pd.Series([1.0, 2, 4]), "distance_to_frontier").tolist() == [0.25, 0.5, 1.0]


def test_hdi_log_goalposts():
    y = pi.normalise(pd.Series([100.0, 75000.0, 1e6, 50.0]), "goalposts", lower=100,
                     upper=75000, log=True)
    assert y.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert set(pi.NORMALISERS) >= {"minmax", "zscore", "rank", "percentile", "goalposts",
                                   "distance_to_target", "distance_to_frontier", "ordinal"}


# --- aggregation ------------------------------------------------------------------------
pos_rows = arrays(float, st.tuples(st.integers(2, 8), st.integers(2, 5)),
                  elements=st.floats(0.1, 100, allow_nan=False))


@settings(max_examples=60)
@given(pos_rows, st.data())
def test_aggregation_monotone_in_each_component(x, data):
    n, k = x.shape
    w = pd.Series(data.draw(arrays(float, k, elements=st.floats(0.1, 5))),
                  index=[f"v{j}" for j in range(k)])
    j = data.draw(st.integers(0, k - 1))
    bump = data.draw(st.floats(0.01, 50))
    X = pd.DataFrame(x, columns=w.index)
    Y = X.copy()
    Y.iloc[0, j] += bump
    for name, f in AGGREGATORS.items():
        a, b = f(X, w), f(Y, w)
        assert b.iloc[0] >= a.iloc[0] - 1e-9 * (1 + abs(a.iloc[0])), name
        if name not in ("copeland", "bod"):
            # a strictly positive weight and a strict increase -> strictly larger
            # (Copeland counts wins; BoD stays at 100 once a unit is on the frontier)
            assert b.iloc[0] > a.iloc[0], name


@settings(max_examples=30, deadline=None)   # the first BoD call imports SciPy (lazily)
@given(pos_rows, st.randoms(use_true_random=False))
def test_permuting_units_permutes_results(x, rnd):
    n, k = x.shape
    X = pd.DataFrame(x, columns=[f"v{j}" for j in range(k)], index=[f"U{i}" for i in range(n)])
    w = pd.Series(1.0, index=X.columns)
    perm = list(X.index)
    rnd.shuffle(perm)
    for f in AGGREGATORS.values():
        pd.testing.assert_series_equal(f(X, w).loc[perm], f(X.loc[perm], w))


def test_power_mean_ordering_and_missing():
    X = pd.DataFrame({"a": [1.0, 4.0], "b": [9.0, np.nan]})
    w = pd.Series({"a": 1.0, "b": 1.0})
    h, g, a = (AGGREGATORS[n](X, w) for n in ("harmonic", "geometric", "arithmetic"))
    assert h[0] < g[0] < a[0]
    assert g[0] == pytest.approx(3.0) and h[0] == pytest.approx(1.8)
    assert a[1] == g[1] == h[1] == 4.0       # missing component skipped


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(10))))
def test_build_permutation_of_countries(perm):
    rng = np.random.default_rng(1)
    fw = pi.framework_from_table(pd.DataFrame(
        [("a", "P", 1), ("b", "P", 2), ("c", "I", 1), ("P", "I", 1), ("I", None, 1)],
        columns=["code", "parent", "weight"]))
    d = pd.DataFrame({"iso3": [f"C{i}" for i in range(10)], "a": rng.normal(size=10),
                      "b": rng.normal(size=10), "c": rng.normal(size=10)})
    spec = pi.IndexSpec(fw, normalisation="zscore", aggregation={"P": "copeland"})
    r1 = pi.build(spec, d)
    r2 = pi.build(spec, d.iloc[list(perm)])
    pd.testing.assert_frame_equal(r1.stages["aggregated"], r2.stages["aggregated"])
    pd.testing.assert_frame_equal(r1.ranks, r2.ranks)


# --- treatment ---------------------------------------------------------------------------
def test_winsorise_coinr_example():
    # COINr treat vignette: 1..10 with two outliers, 30 and 100
    x = pd.Series(list(range(1, 11)) + [30, 100], dtype=float)
    y, pts = pi.winsorise(x, winmax=5)
    sk, ku = treat.skew_kurt(y)
    assert not (abs(sk) > 2 and ku > 3.5)
    changed = {i for i, *_ in pts}
    assert changed <= {10, 11}                           # only the outliers move
    assert all(a <= b for _, b, a in pts)                 # pulled down, never up
    assert (y.iloc[:10] == x.iloc[:10]).all()


def test_treatment_falls_back_to_log():
    x = pd.Series(np.r_[np.ones(20), np.geomspace(2, 1e6, 20)])
    y, recs = treat.treat_series(x, winmax=1)
    assert recs and recs[0]["action"] == "log"
    assert abs(treat.skew_kurt(y)[0]) < abs(treat.skew_kurt(x)[0])
    # a well-behaved series is left alone
    z, recs = treat.treat_series(pd.Series(np.arange(30.0)))
    assert recs == []


# --- imputation --------------------------------------------------------------------------
def test_group_imputation_never_alters_observed(rng):
    d = pd.DataFrame({"g": list("aabbbc"), "x": [1.0, np.nan, 3, np.nan, 5, np.nan],
                      "y": [np.nan, 2.0, 2, 4, np.nan, 1]})
    out, recs = pi.impute(d, columns=["x", "y"], method="group_median", by="g")
    obs = d[["x", "y"]].notna().to_numpy()
    assert (out[["x", "y"]].to_numpy()[obs] == d[["x", "y"]].to_numpy()[obs]).all()
    assert out.at[1, "x"] == 1.0 and out.at[3, "x"] == 4.0
    assert np.isnan(out.at[5, "x"])                      # group c has no observed x
    assert {(r["index"], r["code"]) for r in recs} == {(1, "x"), (3, "x"), (0, "y"), (4, "y")}


def test_group_imputation_on_a_panel_stays_within_year():
    # was: region means pooled over all years, so 2010 values filled a 2000 gap
    d = pd.DataFrame({"iso3": ["A", "B", "A", "B"], "year": [2000, 2000, 2010, 2010],
                      "region": ["r"] * 4, "x": [1.0, np.nan, 9.0, 11.0]})
    out, recs = pi.impute(d, columns=["x"], method="group_mean", by="region")
    assert out.at[1, "x"] == 1.0                 # hand: the only 2000 value in r (pooled: 7)
    pooled, _ = pi.impute(d, columns=["x"], method="group_mean", by="region", within_year=False)
    assert pooled.at[1, "x"] == pytest.approx(7.0)   # (1 + 9 + 11) / 3
    # a country's own series over years stays pooled over years (the point of by="iso3")
    own, _ = pi.impute(d, columns=["x"], method="group_median", by="iso3")
    assert own.at[1, "x"] == 11.0
    # through build, with the year as an index level: a year with no value stays missing
    e = d.assign(y=[1.0, 2, 3, 4]).copy()
    e.loc[0, "x"] = np.nan
    fw = pi.framework_from_table(pd.DataFrame([("x", "I", 1), ("y", "I", 1), ("I", None, 1)],
                                              columns=["code", "parent", "weight"]))
    with pytest.warns(UserWarning, match="'x' in 2000"):
        res = pi.build(pi.IndexSpec(fw, imputation="group_mean", impute_by="region"), e)
    assert res.stages["imputed"]["x"].isna().sum() == 2
    with pytest.raises(ValueError, match="within_year applies to group_mean/group_median only"):
        pi.impute(d, columns=["x"], method="mean", within_year=True)


def test_em_recovers_missing_values_better_than_mean(rng):
    # simulation with known truth: correlated normal indicators, 20% MCAR
    n, p = 300, 4
    cov = 0.8 * np.ones((p, p)) + 0.2 * np.eye(p)
    truth = pd.DataFrame(rng.multivariate_normal(np.zeros(p), cov, size=n),
                         columns=list("abcd"))
    mask = rng.uniform(size=truth.shape) < 0.2
    mask[:, 0] = False
    obs = truth.mask(mask)
    em, _ = pi.impute(obs, columns=list("abcd"), method="em")
    mean, _ = pi.impute(obs, columns=list("abcd"), method="mean")
    err_em = np.sqrt(((em - truth).to_numpy()[mask] ** 2).mean())
    err_mean = np.sqrt(((mean - truth).to_numpy()[mask] ** 2).mean())
    assert err_em < 0.6 * err_mean
    assert (em.to_numpy()[~mask] == truth.to_numpy()[~mask]).all()


@given(arrays(float, st.integers(4, 40), elements=st.floats(-1e3, 1e3)))
def test_skew_kurt_equal_scipy(v):
    from scipy import stats

    if np.ptp(v) < 1e-6:
        return
    s, k = treat.skew_kurt(v)
    assert s == pytest.approx(stats.skew(v, bias=False), rel=1e-6, abs=1e-6)
    assert k == pytest.approx(stats.kurtosis(v, bias=False), rel=1e-6, abs=1e-6)


def test_interpolation_uses_year_gaps():
    # was positional: 2000: 0, 2001: NaN, 2010: 10 gave 5; linear in the year gives 1
    from polygov.index.impute import impute

    d = pd.DataFrame({"iso3": ["X"] * 4 + ["Y"] * 3, "year": [2010, 2001, 2000, 2004, 2003, 2000, 2009],
                      "a": [10.0, np.nan, 0.0, np.nan, np.nan, 3.0, 9.0]})
    out, recs = impute(d, columns=["a"], method="interpolate")
    # hand: X at 2001 -> 1, 2004 -> 4; Y at 2003 -> 3 + 6 * 3/9 = 5
    assert out["a"].tolist() == pytest.approx([10.0, 1.0, 0.0, 4.0, 5.0, 3.0, 9.0])
    assert len(recs) == 3
    # the same through build, with the year as an index level
    fw = pi.framework_from_table(pd.DataFrame([("a", "I", 1), ("b", "I", 1), ("I", None, 1)],
                                              columns=["code", "parent", "weight"]))
    res = pi.build(pi.IndexSpec(fw, imputation="interpolate"), d.assign(b=np.arange(7.0)))
    assert res.stages["imputed"].at[("X", 2001), "a"] == pytest.approx(1.0)


def test_interpolation_names_the_unit_and_repeated_year():
    # was "'region' group of rows [0, 1, 2, 3, 4] repeats a year": no unit, no year
    from polygov.index.impute import impute

    d = pd.DataFrame({"iso3": ["A", "B", "C", "A", "B", "C"], "region": ["N", "N", "S"] * 2,
                      "year": [2000, 2000, 2000, 2001, 2001, 2001],
                      "a": [1.0, np.nan, 2.0, np.nan, 3.0, 4.0]})
    with pytest.raises(ValueError, match=r"'region' = 'N' has 4 rows and repeats year\(s\) 2000, "
                                         r"2001: interpolate by the unit key"):
        impute(d, columns=["a"], method="interpolate", by="region")


def test_panel_imputation_over_time():
    fw = pi.framework_from_table(pd.DataFrame([("a", "I", 1), ("b", "I", 1), ("I", None, 1)],
                                              columns=["code", "parent", "weight"]))
    d = pd.DataFrame({"iso3": ["X"] * 4 + ["Y"] * 4, "year": [2001, 2000, 2002, 2003] * 2,
                      "a": [np.nan, 1.0, np.nan, 4.0, np.nan, np.nan, 7.0, np.nan],
                      "b": np.arange(8.0)})
    res = pi.build(pi.IndexSpec(fw, imputation="interpolate"), d)
    a = res.stages["imputed"]["a"]
    assert a[("X", 2001)] == 2.0 and a[("X", 2002)] == 3.0       # linear in year order
    assert (a.xs("Y", level="iso3") == 7.0).all()                 # one observation -> that value
    res = pi.build(pi.IndexSpec(fw, imputation="group_mean", impute_by="iso3"), d)
    assert res.stages["imputed"].at[("X", 2001), "a"] == 2.5
    assert (res.log["stage"] == "impute").sum() == 5


def test_percentile_ties_match_scipy_rankdata():
    from scipy.stats import rankdata

    from polygov.index.normalise import percentile

    x = pd.Series([3.0, 1.0, 2.0, 2.0, np.nan, 5.0, 2.0], name="v")
    obs = x.dropna()
    for ties in ("average", "min", "max"):
        ref = 100 * (rankdata(obs, method=ties) - 1) / (len(obs) - 1)
        got = percentile(x, ties=ties)
        np.testing.assert_allclose(got.dropna().to_numpy(), ref)
        assert np.isnan(got.iloc[4])
    with pytest.raises(ValueError, match="'v'.*ties must be"):
        percentile(x, ties="dense")
