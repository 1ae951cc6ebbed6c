"""The fast paths of issue 15 §1 give the same numbers as the plain code they replace.

* min-max/z-scores on one array (``build._normalise_fast``) are bitwise equal to the
  registry's per-indicator Series functions;
* prepare()'s step cache (shared by the sensitivity engine's variants and the nominal
  build) gives bitwise the stages of uncached calls;
* the framework's cached structure hands out copies (callers cannot corrupt it);
* every draw of an uncertainty run with winsorisation limits, normalisations, weight noise
  and aggregations (the ASEM benchmark's choices) equals a rebuild of its spec to 1e-12.

Timing targets live in ``benchmarks/bench_index.py`` (not asserted here: CI machines are
shared); ``test_import_is_light`` checks that importing polygov.index loads no SciPy.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import polygov.index as pi
from polygov.index.build import _normalise_fast, prepare
from polygov.index.normalise import normalise


@pytest.fixture(scope="module")
def hfi():
    from polygov.data import load

    return load("hfi")


@pytest.mark.parametrize("method,params", [("minmax", {}), ("minmax", {"lo": 1, "hi": 100}),
                                           ("zscore", {}), ("zscore", {"mean": 10, "sd": 2})])
def test_array_normalisation_is_bitwise_the_registry(hfi, method, params):
    fw = pi.hfi_governance_framework()
    spec = pi.IndexSpec(fw, normalisation=method, normalisation_params=params)
    x = prepare(spec, hfi)[0]["prepared"]          # a panel with gaps
    assert x.isna().any().any()
    fast = _normalise_fast(spec, x)
    assert fast is not None
    for j, c in enumerate(fw.indicators):
        ref = normalise(x[c], method, direction=spec.indicator_setting(c, "direction"), **params)
        np.testing.assert_array_equal(fast[:, j], ref.to_numpy())


def test_array_normalisation_defers_to_the_registry_for_its_errors(hfi):
    fw = pi.hfi_governance_framework()
    d = hfi.query("year == 2016").copy()
    d[fw.indicators[0]] = 3.0
    with pytest.raises(ValueError, match="all values equal"):
        pi.build(pi.IndexSpec(fw), d)


def test_prepare_cache_gives_the_uncached_stages(hfi):
    fw = pi.hfi_governance_framework()
    cache: dict = {}
    for first in (False, True):
        for imp in ("none", "mean"):
            for wm in (1, 3, 5):
                spec = pi.IndexSpec(fw, imputation=imp, treatment="winsorise",
                                    treatment_params={"winmax": wm}, impute_first=first)
                a, la, _ = prepare(spec, hfi, cache=cache)
                b, lb, _ = prepare(spec, hfi)
                for k in b:
                    pd.testing.assert_frame_equal(a[k], b[k])
                assert pd.DataFrame(la).equals(pd.DataFrame(lb))


def test_framework_structure_is_cached_but_copied():
    fw = pi.hfi_governance_framework()
    inds = fw.indicators
    inds.append("x")
    w = fw.weights()
    w["governance"] = 99.0
    assert "x" not in fw.indicators and fw.weights()["governance"] == 1.0
    assert fw.direction(fw.indicators[0]) in (-1, 1)
    with pytest.raises(KeyError, match="is an aggregate"):
        fw.direction("governance")


def test_benchmark_choices_equal_rebuilds(hfi):
    """The ASEM benchmark's four choices (winmax 1-5, two normalisations, weight noise, two
    aggregations) on the bundled HFI 2016 governance index: each draw = build(spec_for(d))."""
    d = hfi.query("year == 2016")
    spec = pi.IndexSpec(pi.hfi_governance_framework(), treatment="winsorise",
                        normalisation_params={"lo": 1, "hi": 100}, imputation="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ua = pi.uncertainty(spec, d, n_draws=40, seed=5, noise_levels=[2],
                            treatments=[("winsorise", {"winmax": k}) for k in range(1, 6)],
                            aggregations=["arithmetic", "geometric"])
    assert ua.draws["treatment"].nunique() == 5
    for i in range(0, 40, 4):
        r = pi.build(ua.spec_for(i), d).stages["aggregated"]["governance"]
        np.testing.assert_allclose(ua.scores.iloc[i].to_numpy(), r.to_numpy(), rtol=1e-12,
                                   atol=0)


def test_import_is_light():
    code = ("import sys, polygov.index; "
            "print(sorted(m for m in ('scipy', 'SALib', 'joblib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_shared_winsorisation_walk_equals_single_runs():
    """One walk read for winmax 1..8 (in any order) = a fresh winsorise() per limit."""
    from polygov.index.treat import _WinsorPath, treat_series, winsorise

    rng = np.random.default_rng(3)
    n_log = 0
    for rep in range(20):
        x = pd.Series(np.exp(rng.normal(size=40) * (1 + rep % 3)))
        x.iloc[rng.integers(40, size=3)] = np.nan
        path = _WinsorPath(x, 2.0, 3.5)
        for k in rng.permutation(np.arange(1, 9)):
            a, pa = winsorise(x, winmax=int(k), _path=path)
            b, pb = winsorise(x, winmax=int(k))
            pd.testing.assert_series_equal(a, b)
            assert pa == pb
            for fb in ("log_ct_plus", "log_ct"):
                ta, ra = treat_series(x, winmax=int(k), fallback=fb, _path=path)
                tb, rb = treat_series(x, winmax=int(k), fallback=fb)
                pd.testing.assert_series_equal(ta, tb)
                assert ra == rb
                n_log += any(r["action"] == "log" for r in ra)
    assert n_log > 0          # the log fallback (its cached skewness) was reached


def test_normalisation_column_cache_is_bitwise_the_uncached(hfi):
    """Columns taken from the engine's cache (shared across winsorisation limits) equal fresh ones."""
    fw = pi.hfi_governance_framework()
    d = hfi.query("year == 2016")
    cache: dict = {}
    hits = 0
    for method, params in (("minmax", {"lo": 1, "hi": 100}), ("zscore", {"mean": 10, "sd": 2}),
                           ("minmax", {})):
        for wm in (1, 3, 5, 1):
            spec = pi.IndexSpec(fw, treatment="winsorise", treatment_params={"winmax": wm},
                                normalisation=method, normalisation_params=params)
            x = prepare(spec, d)[0]["prepared"]
            before = len(cache)
            a = _normalise_fast(spec, x, cache)
            hits += len(fw.indicators) - (len(cache) - before)
            np.testing.assert_array_equal(a, _normalise_fast(spec, x))
    assert hits > 0 and len(cache) > 0


def test_uncertainty_nominal_equals_build(hfi):
    """summary's nominal_score/nominal_rank (built from the engine's caches) = build()."""
    d = hfi.query("year == 2016")
    spec = pi.IndexSpec(pi.hfi_governance_framework(), treatment="winsorise",
                        treatment_params={"winmax": 3}, normalisation="zscore",
                        normalisation_params={"mean": 10, "sd": 2}, imputation="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ua = pi.uncertainty(spec, d, n_draws=5, seed=2,
                            treatments=[("winsorise", {"winmax": k}) for k in range(1, 6)])
        for code in ("governance", spec.framework.indicators[0]):
            u = pi.uncertainty(spec, d, n_draws=3, seed=1, code=code) if code != "governance" else ua
            res = pi.build(spec, d)
            s = u.summary.set_index([k for k in ("iso3", "year") if k in u.summary])
            np.testing.assert_array_equal(s["nominal_score"].to_numpy(),
                                          res.stages["aggregated"][code].reindex(s.index).to_numpy())
            np.testing.assert_array_equal(s["nominal_rank"].to_numpy(),
                                          res.ranks[code].reindex(s.index).to_numpy())


@pytest.mark.parametrize("method,by", [("mean", None), ("group_mean", "region"),
                                       ("group_median", "region"), ("none", None)])
def test_impute_builds_the_frame_of_column_assignment(method, by):
    """impute() assembles its output at once; it equals ``data.copy(); out[cols] = filled``."""
    from polygov.index.impute import IMPUTERS, impute

    rng = np.random.default_rng(0)
    d = pd.DataFrame({"z_first": rng.normal(size=12), "a": rng.normal(size=12),
                      "n": np.arange(12), "region": list("xyz") * 4,
                      "b": rng.normal(size=12)}, index=pd.Index([f"U{i}" for i in range(12)],
                                                                  name="iso3"))
    d.loc[["U1", "U5"], "a"] = np.nan
    d.loc["U7", "b"] = np.nan
    cols = ["a", "n", "b"]
    out, recs = impute(d, columns=cols, method=method, by=by)
    kw = {"by": by} if by else {}
    filled = IMPUTERS[method](d, cols, **kw)
    ref = d.copy()
    ref[cols] = d[cols].where(d[cols].notna(), filled)
    pd.testing.assert_frame_equal(out, ref, check_exact=True)
    assert len(recs) == (0 if method == "none" else 3)


def test_quantiles_in_one_call_equal_one_by_one():
    """The summary's rank/score quantiles, taken together, are bitwise those taken singly."""
    from polygov.index.uncertainty import _q

    rng = np.random.default_rng(4)
    for a in (rng.integers(1, 60, size=(997, 31)).astype(float), rng.normal(size=(500, 20))):
        b = a.copy()
        b[rng.random(a.shape) < 0.05] = np.nan
        b[:, 3] = np.nan
        for x in (a, b):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                together = _q(x, [0.5, 0.05, 0.95])
                for row, q in zip(together, (0.5, 0.05, 0.95), strict=True):
                    single = np.quantile(x, q, axis=0)
                    cols = np.isnan(x).any(axis=0)
                    single[cols] = np.nanquantile(x[:, cols], q, axis=0)
                    np.testing.assert_array_equal(row, single)


def test_row_ranks_equal_scipy():
    """The engine's min-ranks of rows without NaN equal scipy's rankdata (ties included)."""
    from scipy import stats

    from polygov.index.engine import _rank_rows

    rng = np.random.default_rng(7)
    for x in (rng.normal(size=(300, 40)), np.round(rng.normal(size=(300, 40)), 1),
              rng.integers(0, 4, size=(50, 9)).astype(float), np.zeros((3, 5)),
              np.array([[0.0, -0.0, 1.0, np.inf, -np.inf]])):
        ref = stats.rankdata(-x, axis=1, method="min", nan_policy="omit")
        got = _rank_rows(x)
        assert got.dtype == float
        np.testing.assert_array_equal(got, ref)
    y = rng.normal(size=(20, 6))
    y[3, 2] = np.nan                     # a NaN anywhere: scipy's path, NaN kept
    r = _rank_rows(y)
    assert np.isnan(r[3, 2]) and np.array_equal(r[0], stats.rankdata(-y[0], method="min"))
