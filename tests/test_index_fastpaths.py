"""The set-up fast paths of issue 15 §1 (second round) give the numbers of the plain code.

Each test compares a fast path with the path it short-cuts, bitwise unless stated:

* ``build.prepare_arrays`` (the engine's data stages: treated values without records or
  stage frames) against ``prepare(...)[0]["prepared"]``, sharing or not sharing a cache;
* ``treat._treated_values`` and ``_WinsorPath.log_values`` against ``treat_series`` and
  ``log_ct`` (hypothesis, with missing values, ties and both log fallbacks);
* ``aggregate_frame``'s power means on its arrays against the same aggregators called
  on frames (a plug-in wrapper forces the frame path);
* ``_load``'s denomination against the public ``denominate`` (values and records), and
  ``denominate``'s frame assembled at once against column assignment;
* ``check_numeric`` reading all dtypes at once: the same messages;
* the engine's broadcast of aggregates whose weights do not vary between draws
  against evaluating the draws one by one (to 1e-13 relative: the matrix products of
  one and of many draws may round differently in the last bit; ranks equal).

Synthetic data only where a property is tested on random series (labelled); the rest runs
on the bundled HFI panel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polygov.index as pi
from polygov.index import aggregate as agg_mod
from polygov.index.build import aggregate_frame, prepare, prepare_arrays
from polygov.index.treat import _treated_values, _WinsorPath, log_ct, treat_series


@pytest.fixture(scope="module")
def hfi():
    from polygov.data import load

    return load("hfi")


def _specs(fw):
    ind = fw.indicators
    yield pi.IndexSpec(fw, treatment="winsorise")
    yield pi.IndexSpec(fw, treatment="winsorise", treatment_params={"winmax": 1, "fallback": "log_ct"},
                       imputation="mean", impute_first=True)
    yield pi.IndexSpec(fw, treatment="winsorise", treatment_params={"winmax": 3},
                       imputation="group_mean", impute_by="region", min_unit_coverage=0.6)
    yield pi.IndexSpec(fw, treatment="winsorise", imputation="interpolate", impute_first=True,
                       overrides={ind[0]: {"treatment": "none"},
                                  ind[1]: {"treatment_params": {"winmax": 8, "skew_thresh": 1.0}}})
    yield pi.IndexSpec(fw, imputation="median")


@pytest.mark.parametrize("shared_cache", [False, True])
def test_prepare_arrays_equal_prepare(hfi, shared_cache):
    """The engine's array preparation = the prepared stage of prepare(), whatever the cache."""
    fw = pi.hfi_governance_framework()
    data = hfi
    cache: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in _specs(fw):
            for d in (data, data.query("year == 2016")):
                c = cache if shared_cache else {}
                if shared_cache:       # a full call first fills the cache the lean one reads
                    prepare(spec, d, cache=c)
                index, X = prepare_arrays(spec, d, cache=c)
                ref = prepare(spec, d)[0]["prepared"]
                assert index.equals(ref.index)
                np.testing.assert_array_equal(X, ref.to_numpy())
                assert X.dtype == float
                if shared_cache:
                    cache.clear()     # the cache is for one data set only


def test_prepare_arrays_does_not_disturb_prepare_cache(hfi):
    """A lean call first, then a full one on the same cache: the full stages and log equal
    an uncached call (the lean entries never stand in for records)."""
    fw = pi.hfi_governance_framework()
    d = hfi.query("year == 2016")
    for spec in _specs(fw):
        cache: dict = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepare_arrays(spec, d, cache=cache)
            a, la, _ = prepare(spec, d, cache=cache)
            b, lb, _ = prepare(spec, d)
        for k in b:
            pd.testing.assert_frame_equal(a[k], b[k], check_exact=True)
        assert pd.DataFrame(la).equals(pd.DataFrame(lb))


series = st.lists(st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.just(np.nan),
                            st.sampled_from([0.0, 1.0, 5.0])), min_size=0, max_size=40)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")    # skewness of near-constant series
@settings(max_examples=150, deadline=None)
@given(values=series, tail=st.floats(10, 1e6), winmax=st.integers(0, 8),
       fallback=st.sampled_from(["log_ct_plus", "log_ct"]),
       sk=st.sampled_from([(2.0, 3.5), (0.5, 0.0), (1.0, -1.0)]))
def test_treated_values_equal_treat_series(values, tail, winmax, fallback, sk):
    """Synthetic series (some with a long tail, ties and gaps): values alone = treat_series."""
    x = pd.Series(values + [tail, -tail / 3], dtype=float)
    path = _WinsorPath(x, *sk)
    got = _treated_values(path, winmax=winmax, skew_thresh=sk[0], kurt_thresh=sk[1],
                          fallback=fallback)
    ref, recs = treat_series(x, winmax=winmax, skew_thresh=sk[0], kurt_thresh=sk[1],
                             fallback=fallback)
    if got is None:
        assert recs == []
        np.testing.assert_array_equal(ref.to_numpy(), x.to_numpy())
    else:
        np.testing.assert_array_equal(got, ref.to_numpy())
    for aware in (True, False):
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(path.log_values(aware),
                                          log_ct(x, skew_aware=aware).to_numpy())


def test_treated_values_checks_the_fallback():
    path = _WinsorPath(pd.Series(np.exp(np.arange(20.0))), 2.0, 3.5)
    with pytest.raises(ValueError, match="unknown treatment fallback 'cube'"):
        _treated_values(path, fallback="cube")


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric", "harmonic", "generalised",
                                         {2: "geometric", 3: "harmonic"}])
@pytest.mark.parametrize("year", [2016, None])
def test_array_power_means_equal_the_frame_path(hfi, monkeypatch, aggregation, year):
    """aggregate_frame's power means on arrays = the registry's functions called on frames."""
    fw = pi.hfi_governance_framework()
    d = hfi if year is None else hfi.query("year == @year")
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100},
                        aggregation=aggregation, aggregation_params={"p": 0.7},
                        weights={fw.indicators[0]: 0.0, fw.indicators[2]: 2.5})
    norm = pi.build(spec, d).stages["normalised"]
    fast, log_fast = aggregate_frame(spec, norm)
    for name in ("arithmetic", "geometric", "harmonic", "generalised"):
        f = agg_mod.AGGREGATORS[name]
        # a plug-in that calls the same function: aggregate_frame must give it frames
        monkeypatch.setitem(agg_mod.AGGREGATORS, name, lambda x, w, _f=f, **kw: _f(x, w, **kw))
    assert agg_mod.builtin_power("geometric", {}) is None
    slow, log_slow = aggregate_frame(spec, norm)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert log_fast == log_slow == []


def test_array_power_means_keep_the_error_message(hfi):
    fw = pi.hfi_governance_framework()
    d = hfi.query("year == 2016")
    with pytest.raises(ValueError, match=r"aggregate '.+' \(geometric aggregation\): geometric "
                                         r"mean needs positive values, found \d+ values <= 0"):
        pi.build(pi.IndexSpec(fw, aggregation="geometric"), d)


def test_load_denomination_equals_denominate(hfi):
    """build's denominated stage and log = the public denominate() on the same table."""
    from polygov.index.denominate import denominate

    fw = pi.hfi_governance_framework()
    ind = fw.indicators
    d = hfi.query("year == 2016").copy()
    # real columns used as divisors (a test of the arithmetic, not a meaningful ratio);
    # a zero divisor exercises the missing rule
    d["size"] = d[ind[3]].abs() + 1.0
    d.loc[d.index[:3], "size"] = 0.0
    dens = {ind[0]: "size", ind[5]: "size", ind[1]: ind[2]}
    res = pi.build(pi.IndexSpec(fw, denominators=dens), d)
    ref, recs = denominate(d.set_index(["iso3", "year"]).sort_index(), denominators=dens)
    pd.testing.assert_frame_equal(res.stages["denominated"], ref[ind].astype(float),
                                  check_exact=True)
    logged = res.log.query("stage == 'denominate'")
    assert list(logged["code"]) == [r["code"] for r in recs]
    assert list(logged["reason"]) == [r["reason"] for r in recs]
    assert "set missing" in recs[0]["reason"]
    with pytest.raises(KeyError, match=r"column\(s\) 'nope' not found in data \(denominators\)"):
        pi.build(pi.IndexSpec(fw, denominators={"nope": "size"}), d)


def test_denominate_frame_equals_column_assignment(rng):
    """Synthetic frame with int, float, string and bool columns: at-once = out[inds] = res."""
    from polygov.index.denominate import denominate

    n = 15
    d = pd.DataFrame({"a": rng.integers(0, 9, n), "pop": rng.integers(0, 5, n).astype(float),
                      "g": list("xyz") * 5, "b": rng.normal(size=n), "flag": rng.random(n) > 0.5,
                      "c": rng.integers(1, 4, n)},
                     index=pd.Index([f"U{i}" for i in range(n)], name="iso3"))
    out, _ = denominate(d, denominators={"a": "pop", "b": "c"}, scale={"a": 1000.0})
    ref = d.copy()
    num, den = d[["a", "b"]].to_numpy(float), d[["pop", "c"]].to_numpy(float)
    bad = np.isnan(den) | (den == 0)
    ref[["a", "b"]] = np.where(bad, np.nan, num / np.where(bad, 1.0, den) * [1000.0, 1.0])
    pd.testing.assert_frame_equal(out, ref, check_exact=True)
    assert out._mgr.nblocks <= 5        # not a block per column


def test_check_numeric_messages_unchanged():
    from polygov.errors import check_numeric

    d = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [1, np.inf]})
    with pytest.raises(TypeError, match=r"column\(s\) 'b' of data are not numeric \(dtypes: "):
        check_numeric(d, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"column\(s\) 'c' of data contain infinite values"):
        check_numeric(d, ["a", "c"])
    check_numeric(d, ["a"])


@pytest.mark.parametrize("levels,loo", [([2], False), ([2], True), (None, False)])
def test_constant_weight_aggregates_equal_one_draw_at_a_time(hfi, levels, loo):
    """Aggregates whose weights do not vary in a group are computed once and broadcast; the
    scores equal evaluating each draw alone (no broadcast), to 1e-13."""
    from polygov.index.engine import _setup

    d = hfi.query("year == 2016")
    spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100},
                        imputation="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ua = pi.uncertainty(spec, d, n_draws=60, seed=9, noise_levels=levels, leave_one_out=loo,
                            aggregations=["arithmetic", "geometric", "harmonic"])
        eng = _setup(spec, d, None, ["arithmetic", "geometric", "harmonic"], None, None)
    W = ua.weights.to_numpy()
    norm = ua.draws["normalisation_id"].to_numpy()
    agg = ua.draws["aggregation_id"].to_numpy()
    for k in range(len(eng.norms)):
        for a in range(len(eng.aggs)):
            sel = np.flatnonzero((norm == k) & (agg == a))
            if len(sel) < 2:
                continue
            batch = eng._eval_group(0, k, a, W[sel])
            alone = np.vstack([eng._eval_group(0, k, a, W[[i]]) for i in sel])
            np.testing.assert_allclose(batch, alone, rtol=1e-13, atol=0)
            np.testing.assert_allclose(ua.scores.to_numpy()[sel], alone, rtol=1e-13, atol=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-1e12, 1e12, allow_nan=False), st.just(np.nan)),
                       min_size=0, max_size=300),
       scale=st.sampled_from([1.0, 1e-9, 3.7e5]))
def test_mean_std_equal_the_series_reductions(values, scale):
    """Synthetic arrays (gaps, all-missing, one value, long): the z-score's mean and standard
    deviation equal Series.mean()/Series.std() bitwise."""
    from polygov.index.build import _mean_std

    v = np.asarray(values, dtype=float) * scale
    mu, sigma = _mean_std(v)
    s = pd.Series(v)
    np.testing.assert_array_equal(np.array([mu, sigma]), np.array([s.mean(), s.std(ddof=1)]))


def test_missing_after_normalisation_is_named(hfi, monkeypatch):
    """The check that normalisation kept every observed value (now on arrays) names the column."""
    from polygov.errors import DataQualityWarning
    from polygov.index.normalise import NORMALISERS

    fw = pi.hfi_governance_framework()
    target = fw.indicators[4]
    f = NORMALISERS["minmax"]

    def holes(x, **kw):
        out = f(x, **kw)
        return out.where(out.index != out.index[0]) if x.name == target else out

    monkeypatch.setitem(NORMALISERS, "minmax", holes)
    with pytest.warns(DataQualityWarning, match=rf"normalisation produced missing values for observed data in "
                            rf"\['{target}'\]"):
        pi.build(pi.IndexSpec(fw), hfi.query("year == 2016"))


@pytest.mark.parametrize("changes", [
    {"imputation": "mean", "treatment": "winsorise", "treatment_params": {"winmax": 2}},
    {"normalisation": "zscore", "normalisation_params": {"mean": 10, "sd": 2}},
    {"normalisation": "minmax", "normalisation_params": {}, "treatment": "none",
     "treatment_params": {}}])
def test_unchecked_copy_equals_replace(changes):
    """The engine's copy of a spec for already-validated alternatives = spec.replace()."""
    import dataclasses
    from types import MappingProxyType

    fw = pi.hfi_governance_framework()
    spec = pi.IndexSpec(fw, treatment="winsorise", normalisation_params={"lo": 1, "hi": 100},
                        overrides={fw.indicators[0]: {"direction": -1}}, exclude=[fw.indicators[1]])
    a, b = spec._with_checked(**changes), spec.replace(**changes)
    for f in dataclasses.fields(pi.IndexSpec):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        assert va == vb and type(va) is type(vb), f.name
    assert isinstance(a.treatment_params, MappingProxyType) and repr(a) == repr(b)
    assert spec.treatment == "winsorise"           # the original is untouched


@pytest.mark.parametrize("year", [2016, None])
def test_load_keys_rows_as_set_index_sort_index(hfi, year):
    """_load keys and sorts the rows from the key columns alone; shuffled input gives the
    index and raw stage of ``data.set_index(keys).sort_index()``, and the same build."""
    fw = pi.hfi_governance_framework()
    d = hfi if year is None else hfi.query("year == @year")
    shuffled = d.sample(frac=1.0, random_state=1)
    keys = ["iso3", "year"]
    spec = pi.IndexSpec(fw, imputation="group_mean", impute_by="region", treatment="winsorise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = pi.build(spec, shuffled), pi.build(spec, d)
    ref = shuffled[keys + fw.indicators].set_index(keys).sort_index()[fw.indicators].astype(float)
    pd.testing.assert_frame_equal(a.stages["raw"], ref, check_exact=True)
    pd.testing.assert_index_equal(a.stages["raw"].index, ref.index, exact=True)
    for k in b.stages:
        pd.testing.assert_frame_equal(a.stages[k], b.stages[k], check_exact=True)
    pd.testing.assert_frame_equal(a.log, b.log, check_exact=True)


def _skew_kurt_reference(x):
    """skew_kurt as written before (ndarray.mean and np.ptp), for the bitwise comparison."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n < 4 or np.ptp(v) == 0:
        return 0.0, 0.0
    d = v - v.mean()
    m2 = (d ** 2).mean()
    g1 = (d ** 3).mean() / m2 ** 1.5
    g2 = (d ** 4).mean() / m2 ** 2 - 3.0
    return (float(np.sqrt(n * (n - 1)) / (n - 2) * g1),
            float((n - 1) * ((n + 1) * g2 + 6) / ((n - 2) * (n - 3))))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.just(np.nan),
                                 st.sampled_from([0.0, 2.0])), min_size=0, max_size=200))
def test_skew_kurt_reductions_equal_the_mean_method(values):
    """Synthetic series: skew_kurt's direct reductions = ndarray.mean()/np.ptp(), bitwise."""
    from polygov.index.treat import skew_kurt

    assert skew_kurt(values) == _skew_kurt_reference(values) or np.allclose(
        np.array(skew_kurt(values)), np.array(_skew_kurt_reference(values)), equal_nan=True,
        rtol=0, atol=0)
