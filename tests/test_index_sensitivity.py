"""Uncertainty and Sobol sensitivity analysis (vectorised engine vs. rebuilding the index)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import polygov.index as pi
from polygov.errors import PolygovWarning

TABLE = pd.DataFrame(
    [("a", "P", 1), ("b", "P", 2), ("c", "P", 1), ("d", "Q", 1), ("e", "Q", 1), ("f", "I", 1),
     ("P", "I", 2), ("Q", "I", 1), ("I", None, 1)], columns=["code", "parent", "weight"])


@pytest.fixture
def setup(rng):
    fw = pi.framework_from_table(TABLE)
    n = 25
    d = pd.DataFrame({c: rng.gamma(2.0, size=n) for c in "abcdef"})
    d.insert(0, "iso3", [f"U{i:02d}" for i in range(n)])
    d.loc[[2, 5], "b"] = np.nan
    d.loc[7, ["d", "e"]] = np.nan
    d.loc[0, "a"] = 60.0          # an outlier, so that treatment alternatives matter
    return fw, d


def _check_draws(ua, data, draws):
    for k in draws:
        res = pi.build(ua.spec_for(k), data)
        got = res.stages["aggregated"][ua.code].to_numpy()
        np.testing.assert_allclose(ua.scores.iloc[k].to_numpy(), got, rtol=1e-10, atol=1e-10)
        np.testing.assert_array_equal(ua.ranks.iloc[k].to_numpy(), res.ranks[ua.code].to_numpy())


@pytest.mark.parametrize("aggs", [("arithmetic", "geometric", "harmonic"),
                                  ({2: "geometric", 3: "arithmetic"}, "generalised")])
def test_engine_matches_rebuild(setup, aggs):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100},
                        aggregation_params={"p": 0.5})
    ua = pi.uncertainty(spec, d, n_draws=40, seed=3, aggregations=aggs,
                        normalisations=[("minmax", {"lo": 1, "hi": 100}),
                                        ("zscore", {"mean": 10, "sd": 2}), "rank"],
                        imputations=["none", "mean", "em"], leave_one_out=True,
                        treatments=["none", ("winsorise", {"winmax": 2})])
    assert set(ua.draws["treatment"]) == {"none", "winsorise(winmax=2)"}
    treated = pi.build(spec.replace(treatment="winsorise", treatment_params={"winmax": 2}), d)
    assert not treated.log.query("stage == 'treat'").empty
    assert set(ua.draws["omitted"]) - {""} <= set("abcdef")
    _check_draws(ua, d, range(0, 40, 3))


def _check_draws_exact(ua, data, draws):
    """Draws using Copeland or BoD anywhere take the per-draw path, which calls build's own
    aggregators: bitwise-equal scores.  Power-mean draws: as _check_draws."""
    for k in draws:
        res = pi.build(ua.spec_for(k), data)
        got, want = ua.scores.iloc[k].to_numpy(), res.stages["aggregated"][ua.code].to_numpy()
        if re.search("copeland|bod", ua.draws.at[k, "aggregation"]):
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
        np.testing.assert_array_equal(ua.ranks.iloc[k].to_numpy(), res.ranks[ua.code].to_numpy())


@pytest.mark.parametrize("aggs,imps,kw", [
    # Copeland copes with gaps (no imputation needed); min_coverage applies as in build
    (("arithmetic", "copeland", {2: "copeland", 3: "arithmetic"}), ["none", "mean"],
     {"min_coverage": 0.6}),
    # BoD needs complete data; the spec's own aggregation is bod, with share bounds
    (("bod", {2: "bod", 3: "arithmetic"}, {2: "harmonic", 3: "copeland"}, "geometric"),
     ["mean", "em"], {"aggregation_params": {"lower": 0.1}}),
])
def test_engine_matches_rebuild_copeland_bod(setup, aggs, imps, kw):
    # was: ValueError "copeland aggregation cannot be vectorised over draws"
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100}, imputation=imps[0],
                        aggregation=aggs[0], **kw)
    import contextlib

    gaps = (pytest.warns(PolygovWarning, match="draws gave missing scores") if "min_coverage" in kw
            else contextlib.nullcontext())
    with gaps:
        ua = pi.uncertainty(spec, d, n_draws=20, seed=7, aggregations=aggs, imputations=imps,
                            normalisations=[("minmax", {"lo": 1, "hi": 100}), "rank"],
                            treatments=["none", ("winsorise", {"winmax": 2})], leave_one_out=True)
    assert set(ua.draws["aggregation_id"]) == set(range(len(aggs)))
    assert (ua.draws["omitted"] != "").any() and ua.scores.notna().any(axis=1).all()
    _check_draws_exact(ua, d, range(20))
    # the nominal spec (copeland/bod at the top) is summarised too
    nominal = pi.build(spec, d)
    s = ua.summary.set_index("iso3")
    np.testing.assert_array_equal(s["nominal_rank"].reindex(nominal.ranks.index),
                                  nominal.ranks["I"])


def test_bod_draws_ignore_weights(setup):
    # BoD gives every unit its own most favourable weights: the framework weights (and their
    # noise) cannot move a BoD score, only the data variant and a left-out indicator can
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100}, imputation="mean")
    ua = pi.uncertainty(spec, d, n_draws=200, seed=2, aggregations=["bod"], weight_noise=0.5,
                        normalisations=[("minmax", {"lo": 1, "hi": 100})], leave_one_out=True)
    assert ua.weights["a"].nunique() == 200 - (ua.draws["omitted"] == "a").sum() + 1
    for _, grp in ua.scores.groupby(ua.draws["omitted"].to_numpy()):
        assert len(grp.drop_duplicates()) == 1
    np.testing.assert_allclose(ua.scores.max(axis=1), 100, rtol=1e-9)  # a unit on the frontier
    _check_draws_exact(ua, d, [0, 1, 2])


def test_panel_copeland_bod_within_year(rng):
    # Copeland and BoD compare the units of one year only (build.aggregate_frame)
    fw = pi.framework_from_table(TABLE)
    d = pd.DataFrame({c: rng.gamma(2.0, size=30) for c in "abcdef"})
    d.insert(0, "year", np.repeat([2015, 2016], 15))
    d.insert(0, "iso3", [f"U{i:02d}" for i in range(15)] * 2)
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    ua = pi.uncertainty(spec, d, n_draws=16, seed=3, aggregations=["copeland", "bod"],
                        normalisations=[("minmax", {"lo": 1, "hi": 100})])
    _check_draws_exact(ua, d, range(16))
    cop = ua.scores[(ua.draws["aggregation"] == "copeland").to_numpy()]
    bod = ua.scores[(ua.draws["aggregation"] == "bod").to_numpy()]
    assert len(cop) and len(bod)
    # 15 units a year: a Copeland score is at most 14 wins in magnitude (not 29 if pooled)
    assert cop.abs().to_numpy().max() <= 14
    for y in ("2015", "2016"):
        np.testing.assert_allclose(bod.filter(like=y).max(axis=1), 100, rtol=1e-9)  # per year


def test_sobol_with_copeland_alternative(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    sa = pi.sobol(spec, d, n_base=256, seed=5, factors=["normalisation", "aggregation", "weights"],
                  aggregations=["arithmetic", "copeland"],
                  normalisations=[("minmax", {"lo": 1, "hi": 100}), "rank"])
    ix = sa.indices.set_index("factor")
    assert len(sa.samples) == 256 * 5
    assert set(sa.samples["aggregation"]) == {"arithmetic", "copeland"}
    # first-order indices are shares of variance: in [0, 1] up to their bootstrap half-width
    assert ((ix["S1"] >= -ix["S1_conf"]) & (ix["S1"] <= 1 + ix["S1_conf"])).all(), ix
    assert ix["S1"].sum() <= 1 + ix["S1_conf"].sum()
    assert ix.at["aggregation", "ST"] > 0.05                # compensatory or not matters
    cop = np.flatnonzero((sa.samples["aggregation"] == "copeland").to_numpy())
    _check_draws_exact(sa.uncertainty, d, cop[:3])


def test_engine_matches_rebuild_with_coverage_and_subindex(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100}, min_coverage=0.6)
    with pytest.warns(PolygovWarning, match="draws gave missing scores"):
        ua = pi.uncertainty(spec, d, n_draws=30, seed=5, leave_one_out=True)
    _check_draws(ua, d, range(0, 30, 4))
    assert ua.summary["n_missing"].sum() > 0
    ua = pi.uncertainty(spec, d, n_draws=10, seed=5, code="Q")
    assert ua.code == "Q"
    _check_draws(ua, d, range(10))


def test_panel_ranks_within_year(rng):
    from polygov.data import load

    hfi = load("hfi").query("year >= 2014")
    spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})
    ua = pi.uncertainty(spec, hfi, n_draws=12, seed=1)
    assert {"iso3", "year", "median_rank", "rank_q05", "rank_q95"} <= set(ua.summary.columns)
    _check_draws(ua, hfi, [0, 5, 11])


def test_reproducible_and_independent_of_jobs(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    a = pi.uncertainty(spec, d, n_draws=300, seed=11, leave_one_out=True)
    import joblib

    # threads keep the test fast; the loky process backend runs the same code path
    with joblib.parallel_config(backend="threading"):
        b = pi.uncertainty(spec, d, n_draws=300, seed=11, leave_one_out=True, n_jobs=2,
                           batch_size=70)
    pd.testing.assert_frame_equal(a.ranks, b.ranks)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    c = pi.uncertainty(spec, d, n_draws=300, seed=12)
    assert not a.weights.equals(c.weights)


def test_weight_noise_recorded(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    ua = pi.uncertainty(spec, d, n_draws=500, seed=1, weight_noise=0.25, noise_levels=[2])
    ratio = ua.weights / pd.Series(spec.node_weights())
    assert ratio[["P", "Q"]].min().min() >= 0.75 and ratio[["P", "Q"]].max().max() <= 1.25
    assert (ratio[["a", "b", "I"]] == 1).all().all()
    lo, hi = ua.summary["rank_q05"], ua.summary["rank_q95"]
    assert (lo <= ua.summary["median_rank"]).all() and (ua.summary["median_rank"] <= hi).all()


@pytest.mark.parametrize("levels", [[4], [0], [3], ["2"], 7])
def test_unknown_noise_levels_refused(setup, levels):
    # was: an unknown level (this framework has levels 1-3; 3 is the index) silently left
    # every weight fixed
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    with pytest.raises(ValueError, match=r"unknown noise level.*expected one of 1, 2"):
        pi.uncertainty(spec, d, n_draws=5, noise_levels=levels)
    with pytest.raises(ValueError, match=r"unknown noise level"):
        pi.sobol(spec, d, n_base=8, factors=["weights"], noise_levels=levels)
    ua = pi.uncertainty(spec, d, n_draws=20, seed=1, noise_levels=1)  # a single int is a level
    ratio = ua.weights / pd.Series(spec.node_weights())
    assert (ratio[["P", "Q", "I"]] == 1).all().all() and (ratio["a"] != 1).all()


def test_uncertainty_of_an_indicator(setup):
    # was: "min() arg is an empty sequence"
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    ua = pi.uncertainty(spec, d, n_draws=30, seed=2, code="b", leave_one_out=True,
                        normalisations=[("minmax", {"lo": 1, "hi": 100}), "rank"])
    assert set(ua.draws["omitted"]) == {""}
    # min-max and rank are both monotone: the ranks of 'b' never move; scores by hand
    b = d.set_index("iso3")["b"]
    mm = 1 + 99 * (b - b.min()) / (b.max() - b.min())
    np.testing.assert_allclose(ua.summary.set_index("iso3")["nominal_score"].reindex(b.index), mm)
    seen = ua.summary.dropna(subset=["nominal_score"])      # 'b' is missing for two units
    assert len(seen) == 23 and (seen["rank_q05"] == seen["rank_q95"]).all()
    _check_draws(ua, d, range(0, 30, 7))


@pytest.mark.parametrize("kw,match", [({"n_base": 0}, "n_base must be a power of two >= 8"),
                                      ({"n_base": 1}, "n_base must be a power of two >= 8"),
                                      ({"n_weight_sets": 0}, "n_weight_sets must be >= 1"),
                                      ({"n_weight_sets": 2.5}, "n_weight_sets must be a whole number")])
def test_sobol_sizes_validated(setup, kw, match):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    with pytest.raises((ValueError, TypeError), match=match):
        pi.sobol(spec, d, factors=["weights"], **kw)


def test_progress_bar(setup, capsys):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    pi.uncertainty(spec, d, n_draws=50, seed=1, progress=True, batch_size=10)
    assert "draws" in capsys.readouterr().err


def test_errors(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw)
    with pytest.raises(ValueError, match="needs positive normalised values.*zscore"):
        pi.uncertainty(spec, d, n_draws=5, normalisations=["zscore"])
    with pytest.raises(ValueError, match=r"'minmax' \(treatment 'none'\) gives values <= 0 for 6 indicator\(s\): "
                                         r"'a' \(min 0\).* and 1 more\. Fix: normalise by min-max "
                                         r"to 1-100.*drop the geometric"):
        pi.uncertainty(spec, d, n_draws=5, normalisations=["minmax"])
    # was: "copeland aggregation cannot be vectorised over draws"; BoD still needs complete
    # data, and the error says which alternative, normalisation and imputation met the gaps
    with pytest.raises(ValueError, match=r"alternative 'bod' failed at 'P' \(bod\) with "
                                         r"normalisation 'minmax\(lo=1, hi=100\)', imputation "
                                         r"'none'.*gaps.*impute first"):
        pi.uncertainty(spec, d, n_draws=5, aggregations=["bod"],
                       normalisations=[("minmax", {"lo": 1, "hi": 100})])
    with pytest.raises(ValueError, match="unknown sensitivity factor 'weight'"):
        pi.sobol(spec, d, n_base=8, factors=["weight"])
    with pytest.raises(ValueError, match="needs imputations="):
        pi.sobol(spec, d, n_base=8, factors=["imputation"])



def test_nonpositive_error_names_indicator_and_suggests_fixes(rng):
    # one indicator with a far outlier: z-scores with mean 10, sd 2 (the default alternative)
    # go below zero for it alone, as the unwinsorised HFI ef_regulation_business_start does
    fw = pi.framework_from_table(TABLE)
    n = 60
    d = pd.DataFrame({c: rng.gamma(2.0, size=n) for c in "abcdef"})
    d.insert(0, "iso3", [f"U{i:02d}" for i in range(n)])
    d.loc[0, "d"] = -1000.0
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    z = pi.build(spec.replace(normalisation="zscore", normalisation_params={"mean": 10, "sd": 2}), d)
    low = z.stages["normalised"]["d"].min()
    assert low < 0 and (z.stages["normalised"][list("abcef")] > 0).all().all()
    with pytest.raises(ValueError, match=(
            r"'geometric' needs positive normalised values, but normalisation "
            r"'zscore\(mean=10, sd=2\)' \(treatment 'none'\) gives values <= 0 for 1 "
            rf"indicator\(s\): 'd' \(min {low:.3g}\)\. Fix: winsorise.*treatment='winsorise'.*"
            r"\('minmax', \{'lo': 1, 'hi': 100\}\).*raise the z-score mean")) as err:
        pi.uncertainty(spec, d, n_draws=5, seed=1)
    # the suggested z-score mean really works
    mean = int(re.search(r"'mean': (\d+)", str(err.value)).group(1))
    assert mean > 10 - low
    pi.uncertainty(spec, d, n_draws=5, seed=1,
                   normalisations=[("minmax", {"lo": 1, "hi": 100}), ("zscore", {"mean": mean, "sd": 2})])


def test_score_quantiles_use_only_nominal_normalisation(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})   # ints; alternative floats
    ua = pi.uncertainty(spec, d, n_draws=200, seed=4, leave_one_out=True)
    same = (ua.draws["normalisation"] == "minmax(lo=1, hi=100)").to_numpy()
    assert 0 < same.sum() < len(same)
    s = ua.summary.set_index("iso3")
    own = ua.scores[same]
    np.testing.assert_allclose(s["score_q05"], own.quantile(0.05).reindex(s.index), rtol=1e-12)
    np.testing.assert_allclose(s["score_q95"], own.quantile(0.95).reindex(s.index), rtol=1e-12)
    assert not np.allclose(s["score_q05"], ua.scores.quantile(0.05).reindex(s.index))
    # on the nominal scale: min-max 1-100
    assert s["score_q05"].min() >= 1 and s["score_q95"].max() <= 100
    # the spec's normalisation with default params (min-max 0-100) matches the explicit alternative
    ua0 = pi.uncertainty(pi.IndexSpec(fw), d, n_draws=30, seed=4, aggregations=["arithmetic"],
                         normalisations=[("minmax", {"lo": 0, "hi": 100}), "rank"])
    assert ua0.summary["score_q05"].notna().all()
    # ... and when no draw uses the nominal normalisation the score quantiles are NaN
    ua1 = pi.uncertainty(pi.IndexSpec(fw), d, n_draws=30, seed=4)
    assert ua1.summary[["score_q05", "score_q95"]].isna().all().all()
    assert ua1.summary["rank_q05"].notna().all()


def test_panel_score_columns_are_iso3_year(rng):
    fw = pi.framework_from_table(TABLE)
    d = pd.DataFrame({c: rng.gamma(2.0, size=30) for c in "abcdef"})
    d.insert(0, "year", np.repeat([2015, 2016], 15))
    d.insert(0, "iso3", [f"U{i:02d}" for i in range(15)] * 2)
    ua = pi.uncertainty(pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100}), d,
                        n_draws=20, seed=1)
    assert list(ua.scores.columns[:3]) == ["U00_2015", "U00_2016", "U01_2015"]
    assert list(ua.ranks.columns) == list(ua.scores.columns)
    r = ua.ranks.to_numpy()
    assert (r == np.round(r)).all() and r.max() == 15        # whole ranks within each year


def test_sobol_inert_factor_has_zero_indices(setup):
    # two identical normalisation alternatives: the factor cannot matter (COINr's own test)
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    sa = pi.sobol(spec, d, n_base=256, seed=2, factors=["normalisation", "aggregation", "weights"],
                  normalisations=[("minmax", {"lo": 1, "hi": 100})] * 2)
    ix = sa.indices.set_index("factor")
    assert ix.at["normalisation", "ST"] == 0 and abs(ix.at["normalisation", "S1"]) < 1e-12
    assert ix.at["aggregation", "ST"] > 0.05
    assert len(sa.samples) == 256 * (3 + 2)


def test_sobol_single_factor_explains_everything(setup):
    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    sa = pi.sobol(spec, d, n_base=512, seed=4, factors=["aggregation", "weights"],
                  weight_noise=0.0, per_unit=True)
    ix = sa.indices.set_index("factor")
    # weights do not vary (noise 0): all variance is the aggregation's
    assert ix.at["weights", "ST"] == 0
    assert ix.at["aggregation", "S1"] == pytest.approx(1, abs=0.05)
    assert ix.at["aggregation", "ST"] == pytest.approx(1, abs=0.05)
    assert set(sa.unit_indices["factor"]) == {"aggregation", "weights"}
    # reproducible
    sb = pi.sobol(spec, d, n_base=512, seed=4, factors=["aggregation", "weights"], weight_noise=0.0)
    pd.testing.assert_frame_equal(sa.indices, sb.indices)


def test_sobol_matches_exact_decomposition_for_discrete_factors(setup):
    """Two discrete factors with 2 and 3 equally likely options: the exact first-order and
    total indices follow from enumerating the 6 rebuilt indices; SALib's estimates agree."""
    import itertools

    fw, d = setup
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    norms = [("minmax", {"lo": 1, "hi": 100}), ("zscore", {"mean": 10, "sd": 2}), "rank"]
    aggs = ["arithmetic", "harmonic"]
    nominal = pi.build(spec, d).ranks["I"].to_numpy()
    Y = np.zeros((3, 2))
    for (i, nm), (j, ag) in itertools.product(enumerate(norms), enumerate(aggs)):
        name, params = (nm, {}) if isinstance(nm, str) else nm
        r = pi.build(spec.replace(normalisation=name, normalisation_params=params,
                                  aggregation=ag), d).ranks["I"].to_numpy()
        Y[i, j] = np.mean(np.abs(r - nominal))
    V = Y.var()
    exact_S1 = {"normalisation": Y.mean(axis=1).var() / V, "aggregation": Y.mean(axis=0).var() / V}
    exact_ST = {"normalisation": Y.var(axis=0).mean() / V, "aggregation": Y.var(axis=1).mean() / V}
    sa = pi.sobol(spec, d, n_base=4096, seed=3, factors=["normalisation", "aggregation"],
                  normalisations=norms, aggregations=aggs)
    ix = sa.indices.set_index("factor")
    for f in ("normalisation", "aggregation"):
        assert ix.at[f, "S1"] == pytest.approx(exact_S1[f], abs=0.02)
        assert ix.at[f, "ST"] == pytest.approx(exact_ST[f], abs=0.02)
