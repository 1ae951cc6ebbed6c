"""The NumPy fixed-effects fast path (polygov.regression.fastfe) against pyfixest.

Reference and tolerance: pyfixest 0.60 ``feols`` run by ``fit_panel(backend="pyfixest")``
on the same data, with its demeaning tolerance tightened to 1e-14 (its default, 1e-6,
is looser than the fast path, which is exact); estimates, standard errors, R² and
residuals agree to ``ATOL = 1e-10`` (absolute, on data of unit scale).  Designs: balanced
and unbalanced panels, singleton entities and periods, a panel that falls apart into two
disconnected groups, categorical and transformed terms, pooled OLS; every covariance the
fast path offers.  Synthetic data (seeded): a unit test of numerical agreement.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import polygov.regression.fastfe as fastfe
import polygov.regression.panel as panel_mod
from polygov.regression import fit_panel

ATOL = 1e-10


@pytest.fixture(autouse=True)
def _tight_pyfixest(monkeypatch):
    from pyfixest.demeaners import MapDemeaner

    monkeypatch.setattr(panel_mod, "_PF_TOL", {"demeaner": MapDemeaner(fixef_tol=1e-14,
                                                                       fixef_maxiter=100_000)})


def _design(kind: str, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if kind == "balanced":
        ne, nt = 40, 8
        e, t = np.repeat(np.arange(ne), nt), np.tile(np.arange(nt), ne)
    elif kind in ("unbalanced", "singletons"):
        ne, nt = 60, 12
        pairs = pd.DataFrame({"e": rng.integers(0, ne, 500), "t": rng.integers(0, nt, 500)})
        pairs = pairs.drop_duplicates()
        if kind == "singletons":  # an entity seen once and a period seen once
            pairs = pd.concat([pairs, pd.DataFrame({"e": [ne, ne + 1], "t": [0, nt]})])
        e, t = pairs.e.to_numpy(), pairs.t.to_numpy()
    elif kind == "disconnected":  # entities 0-19 only in years 0-4, 20-39 only in 5-9
        e = np.repeat(np.arange(40), 5)
        t = np.tile(np.arange(5), 40) + 5 * (e >= 20)
    else:
        raise AssertionError(kind)
    n = len(e)
    a = rng.normal(size=e.max() + 1)[e]
    g = rng.normal(size=t.max() + 1)[t]
    d = pd.DataFrame({"iso3": [f"C{v:03d}" for v in e], "year": 2000 + t,
                      "x1": rng.normal(size=n) + 0.5 * a, "x2": rng.normal(size=n) + 0.3 * g,
                      "z": np.exp(rng.normal(size=n)), "grp": rng.choice(list("abc"), n)})
    d["region"] = d["iso3"].str[-1]
    d["y"] = d.x1 - 0.5 * d.x2 + a + g + rng.normal(size=n)
    return d.reset_index(drop=True)


def _both(d, formula, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fit_panel(d, formula, **kw)
        ref = fit_panel(d, formula, backend="pyfixest", **kw)
    return fast, ref


def _assert_same(fast, ref):
    assert fast.backend.startswith("numpy") and ref.backend.startswith("pyfixest")
    assert list(fast.params.index) == list(ref.params.index)
    np.testing.assert_allclose(fast.params, ref.params, atol=ATOL, rtol=0)
    np.testing.assert_allclose(fast.std_errors, ref.std_errors, atol=ATOL, rtol=0)
    np.testing.assert_allclose(fast.residuals, ref.residuals, atol=ATOL, rtol=0)
    for a in ("r2", "r2_within", "r2_adj"):
        assert getattr(fast, a) == pytest.approx(getattr(ref, a), abs=ATOL, nan_ok=True)
    assert fast.df_inference == ref.df_inference
    assert (fast.nobs, fast.n_entities, fast.n_periods, fast.n_clusters) == (
        ref.nobs, ref.n_entities, ref.n_periods, ref.n_clusters)


@pytest.mark.parametrize("kind", ["balanced", "unbalanced", "singletons", "disconnected"])
@pytest.mark.parametrize("effects", ["twoway", "entity", "none"])
@pytest.mark.parametrize("cov", ["classical", "robust", "cluster", "twoway_cluster"])
def test_fast_path_equals_pyfixest(kind, effects, cov):
    d = _design(kind)
    fast, ref = _both(d, "y ~ x1 + x2", effects=effects, cov=cov, min_clusters=2)
    _assert_same(fast, ref)


@pytest.mark.parametrize("formula", ["y ~ x1 + np.log(z) + C(grp)", "y ~ x1 * x2 + I(x1 ** 2)",
                                     "y ~ x1 + x2 + x1:C(grp)"])
@pytest.mark.parametrize("effects", ["twoway", "none"])
def test_fast_path_formulas_equal_pyfixest(formula, effects):
    fast, ref = _both(_design("unbalanced"), formula, effects=effects, cov="cluster")
    _assert_same(fast, ref)


@pytest.mark.parametrize("ssc", ["plm", "dummies", {"adj": False}, {"cluster_adj": False}])
def test_fast_path_ssc_equals_pyfixest_route(ssc):
    fast, ref = _both(_design("unbalanced"), "y ~ x1 + x2", cov="cluster", ssc=ssc)
    _assert_same(fast, ref)


def test_alternating_projections_fallback_equals_direct(monkeypatch):
    """Both fixed effects above DIRECT_MAX_LEVELS: the iterative route gives the same fit."""
    d = _design("unbalanced")
    direct = fit_panel(d, "y ~ x1 + x2")
    monkeypatch.setattr(fastfe, "DIRECT_MAX_LEVELS", 3)
    ap = fit_panel(d, "y ~ x1 + x2")
    np.testing.assert_allclose(ap.params, direct.params, atol=1e-10)
    np.testing.assert_allclose(ap.std_errors, direct.std_errors, atol=1e-10)


def test_collinear_with_fixed_effects_is_named_on_the_fast_path():
    d = _design("balanced")
    with pytest.raises(ValueError, match=r"'const_e' does not vary within 'iso3'"):
        fit_panel(d.assign(const_e=d.iso3.str[1:].astype(float)), "y ~ x1 + const_e")
    with pytest.raises(ValueError, match=r"'x1_twice' is a linear combination"):
        fit_panel(d.assign(x1_twice=2 * d.x1), "y ~ x1 + x1_twice")


def test_numpy_backend_refuses_what_it_cannot_do():
    d = _design("balanced")
    with pytest.raises(ValueError, match="backend='numpy'.*driscoll_kraay"):
        fit_panel(d, "y ~ x1", cov="driscoll_kraay", backend="numpy")
    with pytest.raises(ValueError, match=r"unknown backend 'numba'.*'auto', 'numpy', 'pyfixest'"):
        fit_panel(d, "y ~ x1", backend="numba")


def test_fast_path_does_not_import_pyfixest():
    """No JIT compile on the first fit: a fresh process fits without importing pyfixest."""
    code = ("import sys, numpy as np, pandas as pd\n"
            "from polygov.regression import fit_panel\n"
            "rng = np.random.default_rng(0)\n"
            "d = pd.DataFrame({'iso3': np.repeat([f'C{i}' for i in range(30)], 5),"
            " 'year': np.tile(range(2000, 2005), 30), 'x': rng.normal(size=150)})\n"
            "d['y'] = d.x + rng.normal(size=150)\n"
            "r = fit_panel(d, 'y ~ x', cov='cluster')\n"
            "print('pyfixest' in sys.modules, 'numba' in sys.modules, r.backend)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == ["False", "False"] and out[2] == "numpy"


def test_within_is_in_place_and_exact():
    rng = np.random.default_rng(3)
    e = rng.integers(0, 50, 400)
    t = rng.integers(0, 7, 400)
    M = rng.normal(size=(400, 2))
    before = M.copy()
    out = fastfe.within(M, [(e, 50), (t, 7)])
    assert out is M  # no copy per fixed effect
    # the result is the residual of OLS on entity and period dummies
    D = np.column_stack([np.eye(50)[e], np.eye(7)[t]])
    resid = before - D @ np.linalg.lstsq(D, before, rcond=None)[0]
    np.testing.assert_allclose(M, resid, atol=1e-12)


@pytest.mark.filterwarnings("ignore::polygov.regression.FewClustersWarning")  # 12 years: right, not the point
def test_sparse_count_table_route_equals_dense(monkeypatch):
    """A sparse panel (entities x periods far above the rows) uses a sparse count table."""
    from scipy import sparse

    d = _design("unbalanced")
    dense = fit_panel(d, "y ~ x1 + x2", cov="twoway_cluster", min_clusters=2)
    monkeypatch.setattr(fastfe, "_crosstab", lambda a, na, b, nb: sparse.csr_matrix(
        (np.ones(a.size), (a, b)), shape=(na, nb)))
    sp = fit_panel(d, "y ~ x1 + x2", cov="twoway_cluster", min_clusters=2)
    np.testing.assert_allclose(sp.params, dense.params, atol=1e-12)
    np.testing.assert_allclose(sp.std_errors, dense.std_errors, atol=1e-12)
