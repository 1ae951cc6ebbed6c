"""Issue 14 for polygov.index, polygov.audit and polygov.polycentricity.

Each case failed (or gave a silently wrong result) before this change:

* keys: lower-case ``iso3`` in one year of the HFI split each country in two (324 units
  instead of 162); years mixing ``"2016"`` and ``2016`` doubled the periods;
  ``effective_number`` counted a capitalised ``Year`` column as an actor;
* silent wrong results: ``correlation_weights`` with a constant component gave equal
  weights with numpy warnings; ``sobol(n_base=3)`` gave S1 = -0.71 (SALib's warning was
  suppressed);
* unclear errors: ``IndexSpec(min_coverage="0.5")``, ``min_coverage=None``, an unknown
  normalisation parameter (accepted by IndexSpec, failing in build), ``winmax="five"``,
  ``uncertainty(n_draws="10")``, ``n_draws=10.5``, ``seed="abc"``, ``audit(None)``;
* parity with R: psych's pairwise KMO/Bartlett and cov2cor standardised alpha;
  COINr's "unit screened out in a draw is empty in that draw".

Property tests (Hypothesis) then show that random bad values of every numeric/choice
argument of IndexSpec, build, uncertainty, sobol and audit give a TypeError, ValueError or
KeyError naming the argument, never a raw numpy/pandas error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polygov.audit as au
import polygov.index as pi
import polygov.polycentricity as pc
from polygov.keys import KeyNormalisationWarning


@pytest.fixture(scope="module")
def hfi():
    from polygov.data import load

    return load("hfi")


@pytest.fixture(scope="module")
def hfi16(hfi):
    return hfi.query("year == 2016").reset_index(drop=True)


@pytest.fixture(scope="module")
def gov():
    return pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------
def test_lower_case_iso3_in_one_year_does_not_split_countries(hfi, gov):
    two = hfi.query("year in (2015, 2016)").reset_index(drop=True)
    messy = two.copy()
    sel = messy["year"] == 2016
    messy.loc[sel, "iso3"] = messy.loc[sel, "iso3"].str.lower()
    clean = pi.build(gov, two)
    with pytest.warns(KeyNormalisationWarning, match="normalised 162 value"):
        res = pi.build(gov, messy)
    n_units = res.stages["aggregated"].index.get_level_values("iso3").nunique()
    assert n_units == 162                      # was 324: 'chn' and 'CHN' were two units
    pd.testing.assert_frame_equal(res.stages["aggregated"], clean.stages["aggregated"])


def test_years_mixing_strings_and_integers_are_one_period(hfi16, gov):
    messy = hfi16.copy()
    messy["year"] = messy["year"].astype(object)
    messy.loc[messy.index[::2], "year"] = "2016"
    with pytest.warns(KeyNormalisationWarning, match="integer years"):
        res = pi.build(gov, messy)
    assert res.stages["aggregated"].index.get_level_values("year").unique().tolist() == [2016]
    pd.testing.assert_frame_equal(res.stages["aggregated"],
                                  pi.build(gov, hfi16).stages["aggregated"])


def test_duplicated_keys_after_case_normalisation_are_refused(hfi16, gov):
    d = pd.concat([hfi16, hfi16.head(1).assign(iso3=lambda x: x["iso3"].str.lower())])
    with pytest.warns(KeyNormalisationWarning), pytest.raises(ValueError, match="duplicated keys"):
        pi.build(gov, d)


def test_uncertainty_normalises_keys_too(hfi16, gov):
    messy = hfi16.assign(iso3=hfi16["iso3"].str.lower())
    with pytest.warns(KeyNormalisationWarning):
        ua = pi.uncertainty(gov, messy, n_draws=20, seed=1)
    assert len(ua.summary) == 162 and ua.summary["iso3"].str.isupper().all()


def test_effective_number_ignores_key_columns_whatever_their_case():
    d = pd.DataFrame({"ISO3": ["A", "B"], "Year": [2016, 2016], "state": [1.0, 1.0],
                      "market": [1.0, 3.0]})
    got = pc.effective_number(d)
    np.testing.assert_allclose(got, [2.0, 1 / (0.25 ** 2 + 0.75 ** 2)])   # Year was an actor
    np.testing.assert_allclose(pc.shannon_entropy(d), pc.shannon_entropy(d[["state", "market"]]))
    # a key the library cannot guess is declared
    d2 = d.rename(columns={"Year": "fiscal_cycle"})
    np.testing.assert_allclose(pc.effective_number(d2, keys=["fiscal_cycle"]), got)
    with pytest.raises(TypeError, match="keys= must be a list"):
        pc.effective_number(d2, keys="fiscal_cycle")


def test_audit_functions_skip_capitalised_key_columns(hfi16):
    cols = ["ef_legal_judicial", "ef_legal_courts", "ef_legal_protection"]
    d = hfi16[["iso3", "year", *cols]].rename(columns={"year": "Year"})
    assert list(au.describe(d).index) == cols


# ---------------------------------------------------------------------------------------------
# silent wrong results
# ---------------------------------------------------------------------------------------------
def test_correlation_weights_refuse_a_constant_component(hfi16):
    fw = pi.hfi_governance_framework()
    norm = pi.build(pi.IndexSpec(fw), hfi16).stages["normalised"].copy()
    kid = fw.children(fw.aggregates[0])[0]
    norm[kid] = 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no numpy warning either
        with pytest.raises(ValueError, match=f"'{kid}' are constant"):
            pi.correlation_weights(norm, fw)
        with pytest.raises(ValueError, match=f"'{kid}' are constant"):
            pi.pca_weights(norm, fw)
    norm[kid] = np.nan
    with pytest.raises(ValueError, match=f"'{kid}' have no observed value"):
        pi.correlation_weights(norm, fw)


@pytest.mark.parametrize("n", [3, 12, 100, 4, 0, -8])
def test_sobol_refuses_a_base_sample_that_is_not_a_power_of_two(hfi16, gov, n):
    with pytest.raises(ValueError, match="n_base must be a power of two"):
        pi.sobol(gov, hfi16, n_base=n, seed=1)


def test_sobol_accepts_powers_of_two_without_salib_warning(hfi16, gov):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        sa = pi.sobol(gov, hfi16, n_base=8, seed=1, factors=["normalisation", "weights"])
    assert len(sa.samples) == 8 * 4


# ---------------------------------------------------------------------------------------------
# unclear errors (the cases of the issue)
# ---------------------------------------------------------------------------------------------
def test_issue_cases_name_the_argument(hfi16, gov):
    fw = gov.framework
    with pytest.raises(TypeError, match="min_coverage must be a number"):
        pi.IndexSpec(fw, min_coverage="0.5")
    with pytest.raises(TypeError, match="min_coverage must be a number"):
        pi.IndexSpec(fw, min_coverage=None)
    with pytest.raises(KeyError, match=r"unknown normalisation_params key\(s\) 'sd' for 'minmax'; "
                                       r"valid: 'lo', 'hi'"):
        pi.IndexSpec(fw, normalisation_params={"lo": 1, "sd": 2})
    with pytest.raises(KeyError, match="did you mean 'lo'"):
        pi.IndexSpec(fw, normalisation_params={"low": 1})
    with pytest.raises(KeyError, match="must give 'lower', 'upper'"):
        pi.IndexSpec(fw, normalisation="goalposts")
    with pytest.raises(TypeError, match=r"treatment_params\['winmax'\] must be an integer"):
        pi.IndexSpec(fw, treatment="winsorise", treatment_params={"winmax": "five"})
    with pytest.raises(TypeError, match=r"n_draws must be an integer, got '10'.*n_draws=10\)"):
        pi.uncertainty(gov, hfi16, n_draws="10")
    with pytest.raises(TypeError, match="n_draws must be a whole number, got 10.5"):
        pi.uncertainty(gov, hfi16, n_draws=10.5)
    with pytest.raises(TypeError, match="seed must be None, a non-negative integer"):
        pi.uncertainty(gov, hfi16, n_draws=10, seed="abc")
    with pytest.raises(TypeError, match="result must be an IndexResult"):
        au.audit(None)
    with pytest.raises(KeyError, match="unknown normalisation alternative 'zscore' params"):
        pi.uncertainty(gov, hfi16, n_draws=5, normalisations=[("zscore", {"lo": 1})])
    with pytest.raises(TypeError, match=r"imputations must be a list.*\['mean'\]"):
        pi.uncertainty(gov, hfi16, n_draws=5, imputations="mean")


BAD_NUMBERS = st.one_of(st.text(max_size=4), st.none(), st.booleans(),
                        st.floats(allow_nan=True, allow_infinity=True).filter(
                            lambda v: not (np.isfinite(v) and float(v).is_integer())),
                        st.lists(st.integers(), max_size=2), st.just(np.nan), st.just(-1),
                        st.just(10**9))


def _named(exc_info, name):
    assert exc_info.type in (TypeError, ValueError, KeyError)
    assert name in str(exc_info.value), str(exc_info.value)


SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(arg=st.sampled_from(["min_coverage", "min_unit_coverage"]), v=BAD_NUMBERS)
def test_indexspec_coverage_property(gov, arg, v):
    if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1:
        return
    with pytest.raises((TypeError, ValueError)) as e:
        pi.IndexSpec(gov.framework, **{arg: v})
    _named(e, arg)


@SETTINGS
@given(key=st.sampled_from(["lo", "hi"]), v=st.one_of(st.text(max_size=3), st.none(),
                                                         st.booleans(), st.just(np.inf)))
def test_indexspec_params_property(gov, key, v):
    with pytest.raises((TypeError, ValueError)) as e:
        pi.IndexSpec(gov.framework, normalisation_params={key: v})
    _named(e, key)


@SETTINGS
@given(key=st.sampled_from(["winmax", "skew_thresh", "kurt_thresh", "fallback"]),
       v=st.one_of(st.text(max_size=3), st.none(), st.booleans(), st.just(2.5), st.just(np.nan)))
def test_indexspec_treatment_property(gov, key, v):
    if key in ("skew_thresh", "kurt_thresh") and v == 2.5:
        return
    with pytest.raises((TypeError, ValueError)) as e:
        pi.IndexSpec(gov.framework, treatment="winsorise", treatment_params={key: v})
    _named(e, key)


@SETTINGS
@given(name=st.text(min_size=1, max_size=8))
def test_indexspec_choices_property(gov, name):
    for arg, reg in (("normalisation", pi.NORMALISERS), ("aggregation", pi.AGGREGATORS),
                     ("imputation", pi.IMPUTERS)):
        if name in reg:
            continue
        with pytest.raises((TypeError, ValueError)) as e:
            pi.IndexSpec(gov.framework, **{arg: name})
        _named(e, arg)


@SETTINGS
@given(arg=st.sampled_from(["n_draws", "seed", "weight_noise", "n_jobs", "batch_size",
                            "leave_one_out", "progress"]), v=BAD_NUMBERS)
def test_uncertainty_arguments_property(hfi16, gov, arg, v):
    ok = {"seed": lambda x: x is None or (isinstance(x, int) and not isinstance(x, bool) and x >= 0),
          "batch_size": lambda x: x is None or (isinstance(x, int) and not isinstance(x, bool)
                                                and x >= 1),
          "progress": lambda x: x is None or isinstance(x, bool),
          "leave_one_out": lambda x: isinstance(x, bool),
          "n_jobs": lambda x: isinstance(x, int) and not isinstance(x, bool) and x != 0,
          "n_draws": lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 1,
          "weight_noise": lambda x: (isinstance(x, int | float) and not isinstance(x, bool)
                                     and 0 <= x < 1)}
    if ok[arg](v):
        return
    kw = {"n_draws": 3, arg: v}
    with pytest.raises((TypeError, ValueError)) as e:
        pi.uncertainty(gov, hfi16, **kw)
    _named(e, arg)


@SETTINGS
@given(arg=st.sampled_from(["n_base", "n_weight_sets", "num_resamples", "conf_level"]),
       v=BAD_NUMBERS)
def test_sobol_arguments_property(hfi16, gov, arg, v):
    if arg == "n_weight_sets" and v == 10**9:
        return
    kw = {"n_base": 8, arg: v}
    if arg == "num_resamples" and v == 10**9:
        return
    if arg == "conf_level" and isinstance(v, float) and 0 < v < 1:
        return  # a valid confidence level (a probability), not a bad value
    with pytest.raises((TypeError, ValueError)) as e:
        pi.sobol(gov, hfi16, **kw)
    _named(e, arg)


@SETTINGS
@given(v=st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just(pd.DataFrame())))
def test_audit_and_build_property(gov, v):
    with pytest.raises(TypeError) as e:
        au.audit(v)
    _named(e, "result")
    with pytest.raises((TypeError, ValueError)) as e:
        pi.build(gov, v)
    _named(e, "data")


# ---------------------------------------------------------------------------------------------
# parity with R's psych (pairwise) and COINr (screened units empty in a draw)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gappy(hfi16):
    cols = ["ef_legal_judicial", "ef_legal_courts", "ef_legal_protection", "ef_legal_integrity",
            "ef_legal_enforcement"]
    return hfi16[cols].reset_index(drop=True)


def _hand_kmo(R):
    inv = np.linalg.inv(R)
    P = -inv / np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    R0, P0 = R.copy(), P.copy()
    np.fill_diagonal(R0, 0)
    np.fill_diagonal(P0, 0)
    return (R0 ** 2).sum() / ((R0 ** 2).sum() + (P0 ** 2).sum())


def test_kmo_bartlett_pairwise_follow_psych(gappy):
    assert gappy.isna().any().any() and len(gappy.dropna()) < len(gappy)
    # psych: r <- cor(x, use = "pairwise"); KMO from solve(r); Bartlett with n = nrow(x)
    R = np.empty((gappy.shape[1],) * 2)
    for i, a in enumerate(gappy.columns):
        for j, b in enumerate(gappy.columns):
            both = gappy[[a, b]].dropna() if a != b else gappy[[a]].dropna()
            R[i, j] = 1.0 if a == b else np.corrcoef(both[a], both[b])[0, 1]
    ours = au.kmo(gappy, missing="pairwise").at["overall", "kmo"]
    assert ours == pytest.approx(_hand_kmo(R), abs=1e-12)
    n, k = gappy.shape
    stat = -np.log(np.linalg.det(R)) * (n - 1 - (2 * k + 5) / 6)
    b = au.bartlett(gappy, missing="pairwise")
    assert b.at[0, "statistic"] == pytest.approx(stat, rel=1e-10) and b.at[0, "n"] == n
    # listwise (the default) differs on gappy data, and both agree on complete data
    assert au.kmo(gappy).at["overall", "kmo"] != pytest.approx(ours, abs=1e-6)
    full = gappy.dropna()
    assert au.kmo(full, missing="pairwise").at["overall", "kmo"] == pytest.approx(
        au.kmo(full).at["overall", "kmo"], abs=1e-12)
    fa = pytest.importorskip("factor_analyzer")
    assert au.kmo(full, missing="pairwise").at["overall", "kmo"] == pytest.approx(
        fa.calculate_kmo(full.to_numpy())[1], abs=1e-10)
    with pytest.raises(ValueError, match="unknown missing 'both'"):
        au.kmo(gappy, missing="both")


def test_standardised_alpha_cov2cor_follows_psych(gappy):
    C = gappy.cov().to_numpy()                 # pairwise covariances, as psych::alpha
    sd = np.sqrt(np.diag(C))                   # each item's variance over all its values
    R = C / np.outer(sd, sd)
    k = len(R)
    std_alpha = (1 - k / R.sum()) * (k / (k - 1))          # psych's alpha.std
    got = au.cronbach_alpha(gappy, std_from="cov2cor").at[0, "alpha_std"]
    assert got == pytest.approx(std_alpha, abs=1e-12)
    assert au.cronbach_alpha(gappy).at[0, "alpha_std"] != pytest.approx(std_alpha, abs=1e-9)
    full = gappy.dropna()
    assert au.cronbach_alpha(full, std_from="cov2cor").at[0, "alpha_std"] == pytest.approx(
        au.cronbach_alpha(full).at[0, "alpha_std"], abs=1e-12)


def test_uncertainty_leaves_units_screened_out_in_a_draw_empty(hfi16):
    """COINr: imputation alternatives under screening keep different units; a unit screened
    out in a draw is empty there (was: ValueError 'alternatives kept different units')."""
    spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100},
                        impute_first=True, min_unit_coverage=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ua = pi.uncertainty(spec, hfi16, n_draws=60, seed=1, imputations=["none", "mean"])
    s = ua.summary.set_index("iso3")
    n_none = int((ua.draws["imputation"] == "none").sum())
    kept_always = pi.build(spec, hfi16).stages["aggregated"].index.get_level_values("iso3")
    assert len(s) == 162
    assert (s.loc[list(kept_always), "n_draws"] == 60).all()
    dropped = s.index.difference(kept_always)
    assert len(dropped) > 0 and (s.loc[dropped, "n_draws"] == 60 - n_none).all()
    assert (s["n_missing"] == 0).all()
    for d in range(6):
        r = pi.build(ua.spec_for(d), hfi16).stages["aggregated"]["governance"]
        row = ua.scores.iloc[d]
        labels = [f"{i}_{y}" for i, y in r.index]
        np.testing.assert_allclose(row[labels].to_numpy(), r.to_numpy(), rtol=1e-12)
        assert row.notna().sum() == len(r)                  # the others are empty
        ranks = ua.ranks.iloc[d][labels]
        assert sorted(ranks.astype(int)) == list(range(1, len(r) + 1))
    # rank summaries use only the draws in which a unit exists
    lab = f"{dropped[0]}_2016"
    assert s.at[dropped[0], "median_rank"] == ua.ranks[lab].dropna().median()
