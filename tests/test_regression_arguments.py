"""Issue 14, unclear errors: every regression entry point checks its arguments up front.

Property: a bad value of any argument gives a TypeError, ValueError or KeyError that is
raised by polygov itself (the innermost frame of the traceback is a polygov module, never
numpy, pandas, pyfixest, statsmodels or linearmodels) and whose message names the
argument (or, for a column that does not exist, the column).  Values are drawn from a
pool of wrong types and out-of-range values; a value that is valid for an argument is
skipped.  Synthetic data (seeded).
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import polygov.regression as reg

POOL = [5, -3, 0, 2.5, "bad", "", None, [1], ["a", "b", "c"], {"a": 1}, np.array([1, 2]), True,
        object(), float("nan"), b"y ~ x1", ("x1",), {"x1": "1"}, {"x1": True}, {"x1": [1, -1]},
        {"x1": None}, {"fixef_k": "nope"}]


def _data():
    rng = np.random.default_rng(11)
    n_e, n_t = 30, 6
    d = pd.DataFrame({"iso3": np.repeat([f"C{i:02d}" for i in range(n_e)], n_t),
                      "year": np.tile(range(2000, 2000 + n_t), n_e),
                      "x1": rng.normal(size=n_e * n_t), "x2": rng.normal(size=n_e * n_t),
                      "w": rng.uniform(1, 2, n_e * n_t), "g": rng.choice(list("ab"), n_e * n_t)})
    d["y"] = d.x1 - d.x2 + rng.normal(size=len(d))
    d["z"] = d["x1"] * d["x2"]
    return d


DATA = _data()
CS = DATA[DATA.year == 2000]


def _panel(**kw):
    base = {"formula": "y ~ x1 + x2"}
    base.update(kw)
    if "y" in kw or "x" in kw:
        base.pop("formula")
        base.setdefault("y", "y")
        base.setdefault("x", ["x1"])
    return reg.fit_panel(DATA, **base)


def _speccurve(**kw):
    base = {"outcomes": ["y"], "treatments": ["x1"], "on_error": "raise"}
    base.update(kw)
    return reg.specification_curve(DATA, **base)


def _marginal(**kw):
    res = reg.fit_cross_section(CS, "y ~ x1 * x2")
    base = {"results": res, "x": "x1", "z": "x2", "values": [0.0, 1.0]}
    base.update(kw)
    return reg.marginal_effect(**base)


ENTRY = {
    "fit_panel": (_panel, {
        "formula": [], "y": [], "x": [("x1",)], "entity": [], "time": [], "effects": [], "cov": [],
        "cluster": [None, ("x1",)], "lags": [None], "leads": [None], "bandwidth": [None],
        "min_clusters": [5], "repeated_cross_section": [True], "ssc": [None],
        "backend": [], "n_draws": "skip", "seed": "skip"}),
    "fit_cross_section": (lambda **kw: reg.fit_cross_section(CS, **{"formula": "y ~ x1", **kw}), {
        "formula": [], "weights": [None], "cov": [], "cluster": [None], "min_clusters": [5],
        "keys": [None, ("x1",)]}),
    "fit_quantile": (lambda **kw: reg.fit_quantile(CS, **{"formula": "y ~ x1", **kw}), {
        "formula": [], "q": [], "cov": [], "max_iter": [5], "keys": [None, ("x1",)]}),
    "specification_curve": (_speccurve, {
        "outcomes": [("x1",)], "treatments": [("x1",)], "controls": [None], "samples": [None, {"x1": None}],
        "estimators": [], "entity": [], "time": [], "cov": [], "level": [], "standardise": [True],
        "on_error": []}),
    "marginal_effect": (_marginal, {
        "results": [], "x": [], "z": [], "values": [5, -3, 0, 2.5, True, [1], np.array([1, 2])],
        "n": [5], "level": []}),
}
CASES = [(f, p) for f, (_, params) in ENTRY.items() for p, ok in params.items() if ok != "skip"]
FOREIGN = ("numpy", "pandas", "pyfixest", "statsmodels", "linearmodels", "formulaic", "patsy",
           "scipy")


def _raised_by_polygov(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1].filename if frames else ""
    return last


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), value_index=st.integers(0, len(POOL) - 1))
def test_bad_argument_values_give_clear_errors(case, value_index):
    func_name, param = case
    func, params = ENTRY[func_name]
    value = POOL[value_index]
    ok = params[param]
    assume(not any(value is v or (type(value) is type(v) and _eq(value, v)) for v in ok))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            func(**{param: value})
        except (TypeError, ValueError, KeyError) as exc:
            where = _raised_by_polygov(exc)
            assert f"{os.sep}polygov{os.sep}" in where and not any(
                f"{os.sep}{lib}{os.sep}" in where for lib in FOREIGN), (
                f"{func_name}({param}={value!r}) raised from {where}: {exc!r}")
            msg = str(exc)
            parts = list(value) if isinstance(value, (list, tuple, dict)) else []
            assert (param.rstrip("s") in msg or repr(value) in msg or str(value) in msg
                    or any(repr(v) in msg for v in parts)), (
                f"{func_name}({param}={value!r}): message does not name it: {msg}")
            return
    # accepted: only when the value is a sensible one the pool happens to contain
    pytest.fail(f"{func_name}({param}={value!r}) was accepted")


def _eq(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    try:
        return bool(a == b)
    except Exception:
        return False
