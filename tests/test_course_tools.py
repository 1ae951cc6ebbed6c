"""Tests of polygov.course_tools (self-checks and teaching computations).

Reference values: within-unit SDs against an independent computation with linearmodels'
absorbing demeaning is not needed here - the one-way case is checked against a NumPy
closed form, the two-way case against the residual SD of an OLS on unit and period dummies
(statsmodels-free: numpy lstsq), tolerance 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polygov.course_tools import SelfCheck, expected_false_positives, self_check, within_sd


def test_self_check_right_and_wrong_without_revealing():
    ok = self_check(0.2371, 0.237, tol=0.001, label="civic space")
    bad = self_check(0.30, 0.237, tol=0.001, label="civic space", hint="use the 2016 rows")
    assert isinstance(ok, SelfCheck) and bool(ok) and not bool(bad)
    assert repr(ok) == "Correct (civic space)."
    assert repr(bad).startswith("Not yet (civic space)") and "0.237" not in repr(bad)
    assert "2016 rows" in repr(bad)


def test_self_check_relative_vectors_and_unanswered():
    assert self_check([10.5, 20], [10, 20], tol=0.06, rel=True)
    assert not self_check([10.5, 20], [10, 20], tol=0.01, rel=True)
    assert not self_check(None, 1.0)
    assert not self_check(..., 1.0)
    assert not self_check(float("nan"), 1.0)


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(answer="0.2", expected=0.2), TypeError, "answer must be a number"),
    (dict(answer=0.2, expected=0.2, tol=-1), ValueError, "tol must be"),
    (dict(answer=[1, 2], expected=[1, 2, 3]), ValueError, "answer has shape"),
    (dict(answer=1, expected=float("nan")), ValueError, "expected must be finite"),
])
def test_self_check_validates(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        self_check(**kwargs)


@pytest.fixture
def panel(rng):
    units = np.repeat(np.arange(12), 7)
    years = np.tile(np.arange(2000, 2007), 12)
    x = rng.normal(size=units.size) + units * 3.0 + (years - 2000) * 0.5
    df = pd.DataFrame({"iso3": [f"C{u:02d}" for u in units], "year": years, "x": x})
    df.loc[[3, 40], "x"] = np.nan  # unbalanced
    return df


def test_within_sd_one_way_matches_numpy(panel):
    d = panel.dropna()
    dev = d["x"] - d.groupby("iso3")["x"].transform("mean")
    assert within_sd(panel, "x") == pytest.approx(float(np.std(dev.to_numpy(), ddof=1)), abs=1e-12)
    assert within_sd(panel, "x") < panel["x"].std() / 5  # most variation is between units


def test_within_sd_two_way_matches_dummy_regression(panel):
    d = panel.dropna()
    X = np.column_stack([pd.get_dummies(d["iso3"]).to_numpy(float),
                         pd.get_dummies(d["year"]).to_numpy(float)[:, 1:]])
    beta, *_ = np.linalg.lstsq(X, d["x"].to_numpy(), rcond=None)
    resid = d["x"].to_numpy() - X @ beta
    assert within_sd(panel, "x", time="year") == pytest.approx(float(np.std(resid, ddof=1)), abs=1e-9)


def test_within_sd_pure_and_validates(panel):
    before = panel.copy()
    within_sd(panel, "x", time="year")
    pd.testing.assert_frame_equal(panel, before)
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        within_sd(panel.to_numpy(), "x")
    with pytest.raises(KeyError, match=r"\['nope'\] not in data"):
        within_sd(panel, "nope")
    with pytest.raises(ValueError, match="need at least 2"):
        within_sd(panel.head(1), "x")


def test_expected_false_positives():
    assert expected_false_positives(141, 0.90) == pytest.approx(14.1)
    assert expected_false_positives(0, 0.95) == 0.0
    with pytest.raises(TypeError, match="n_tests must be an integer"):
        expected_false_positives(14.1, 0.9)
    with pytest.raises(ValueError, match="level must be a confidence level"):
        expected_false_positives(10, 90)
    with pytest.raises(ValueError, match="n_tests must be >= 0"):
        expected_false_positives(-1, 0.9)


def test_constant_composition_keeps_each_units_pillar_set():
    from polygov.course_tools import constant_composition

    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2008, 2009, 2010]], names=["iso3", "year"])
    p = pd.DataFrame({"p1": [1.0, 2, 3, 4, 5, 6, 7, 8, 9],
                      "p2": [10.0, 20, 30, 40, 50, 60, np.nan, np.nan, np.nan],
                      "p3": [np.nan, 5.0, 5.0, 1, 1, 1, 2, 2, 2]}, index=idx)
    before = p.copy()
    out = constant_composition(p)
    pd.testing.assert_frame_equal(p, before)
    # A gains p3 in 2009: its score stays the p1-p2 mean in every year
    np.testing.assert_allclose(out.loc["A", "score"], [5.5, 11, 16.5])
    assert list(out.loc["A", "n_pillars"]) == [2, 2, 2] and out.loc["A", "changed"].all()
    # B has all three every year; C never has p2: both unchanged
    np.testing.assert_allclose(out.loc["B", "score"], p.loc["B"].mean(axis=1))
    np.testing.assert_allclose(out.loc["C", "score"], p.loc["C", ["p1", "p3"]].mean(axis=1))
    assert not out.loc["B", "changed"].any() and not out.loc["C", "changed"].any()
    w = constant_composition(p, weights={"p1": 3, "p2": 1, "p3": 1})
    np.testing.assert_allclose(w.loc["A", "score"], (3 * p.loc["A", "p1"] + p.loc["A", "p2"]) / 4)
    with pytest.raises(KeyError, match="unit 'country' is not an index level"):
        constant_composition(p, unit="country")
    with pytest.raises(KeyError, match=r"unknown column\(s\) \['p9'\]"):
        constant_composition(p, weights={"p9": 1})
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        constant_composition(p, weights={"p1": -1})
    with pytest.raises(TypeError, match="pillars must be a pandas DataFrame"):
        constant_composition(p.to_numpy())
