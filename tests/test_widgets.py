"""Tests of polygov.widgets: the pure functions behind the widgets, and the widgets driven from Python.

References and tolerances
-------------------------
* ``governance_ranking`` is checked against an independent NumPy computation of
  the same index (min-max over the complete cases of the year, weighted
  arithmetic or geometric mean, ranks 1 = best): scores agree to 1e-9.
* ``fit_choice`` with two-way fixed effects is checked against OLS with one
  dummy per country and per year (``numpy.linalg.lstsq``): slope to 1e-8.
* ``peer_bands`` is checked against ``numpy.quantile`` (linear) per year: 1e-12.

Widgets are built with ``debounce=0`` (synchronous) unless the test is about
debouncing; outputs are read from the widgets' own attributes (HTML values,
PNG bytes, ``result``), as a student would see them.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import time

import numpy as np
import pandas as pd
import pytest
import scipy.stats

ipywidgets = pytest.importorskip("ipywidgets")

import polygov as pg  # noqa: E402
import polygov.widgets as pw  # noqa: E402
from polygov.widgets._core import figure_png, new_figure  # noqa: E402

GOV = list(pw.GOVERNANCE_INDICATORS)  # the sample: countries with all five observed
BASE = list(pw.DEFAULT_INDICATORS)  # the baseline index: four that do not overlap


@pytest.fixture(scope="module")
def hfi() -> pd.DataFrame:
    return pg.data.load("hfi")


@pytest.fixture(scope="module")
def reg_data() -> pd.DataFrame:
    return pw.explorer_data()


@pytest.fixture(scope="module")
def profile_data() -> pd.DataFrame:
    return pw.country_profile_data()


def _reference_ranking(hfi, year, weights, aggregation="arithmetic", lo=0.0, hi=100.0):
    """Independent index: min-max over complete cases, weighted mean, ranks (1 = best)."""
    d = hfi.loc[hfi["year"] == year, ["iso3", *GOV]].dropna().set_index("iso3")
    x = d[list(weights)].astype(float)
    norm = lo + (hi - lo) * (x - x.min()) / (x.max() - x.min())
    w = np.array(list(weights.values()), dtype=float)
    w = w / w.sum()
    if aggregation == "arithmetic":
        s = norm.to_numpy() @ w
    else:
        s = np.exp(np.log(norm.to_numpy()) @ w)
    s = pd.Series(s, index=d.index)
    return s, s.rank(ascending=False, method="min").astype(int)


# ---------------------------------------------------------------------------------------------
# debouncing
# ---------------------------------------------------------------------------------------------
def test_debouncer_zero_wait_is_synchronous():
    hits = []
    d = pw.Debouncer(lambda: hits.append(1), wait=0)
    d()
    d()
    assert hits == [1, 1] and not d.pending


def test_debouncer_collapses_a_burst_with_a_timer():
    hits = []
    d = pw.Debouncer(lambda: hits.append(time.monotonic()), wait=0.05)
    for _ in range(10):
        d()
    assert hits == [] and d.pending
    deadline = time.monotonic() + 2
    while not hits and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(hits) == 1 and d.calls == 1 and not d.pending


def test_debouncer_uses_the_running_event_loop_and_flush_and_cancel():
    hits = []

    async def main():
        d = pw.Debouncer(lambda: hits.append(1), wait=0.05)
        for _ in range(5):
            d()
        assert isinstance(d._handle, asyncio.TimerHandle)
        await asyncio.sleep(0.2)
        assert hits == [1]
        d()
        d.flush()  # runs the pending call at once
        assert hits == [1, 1] and not d.pending
        d()
        d.cancel()
        await asyncio.sleep(0.1)
        assert hits == [1, 1]

    asyncio.run(main())


def test_debouncer_rejects_negative_wait():
    with pytest.raises(ValueError, match="debounce wait must be >= 0"):
        pw.Debouncer(lambda: None, wait=-1)


# ---------------------------------------------------------------------------------------------
# index builder
# ---------------------------------------------------------------------------------------------
def test_effective_weights_rescale_and_refuse_empty_choices():
    w = pw.effective_weights({"a": 1.0, "b": 3.0, "c": 9.0}, ["a", "b"])
    assert w == pytest.approx({"a": 0.25, "b": 0.75})
    with pytest.raises(pw.NoDataError, match="no indicator is selected"):
        pw.effective_weights({"a": 1.0}, [])
    with pytest.raises(pw.NoDataError, match="all weights of the selected indicators"):
        pw.effective_weights({"a": 0.0, "b": 0.0}, ["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        pw.effective_weights({"a": -1.0, "b": 1.0}, ["a", "b"])


@pytest.mark.parametrize("aggregation, lo", [("arithmetic", 0.0), ("geometric", 1.0)])
def test_governance_ranking_matches_an_independent_computation(hfi, aggregation, lo):
    weights = {"ef_legal": 0.1, "pf_rol": 0.4, "ef_regulation_business_bribes": 0.5}
    res = pw.governance_ranking(hfi, year=2014, indicators=list(weights), weights=weights,
                                normalisation="minmax", normalisation_params={"lo": lo, "hi": 100},
                                aggregation=aggregation)
    ref, ref_rank = _reference_ranking(hfi, 2014, weights, aggregation, lo=lo)
    got = res.set_index("iso3")
    assert set(got.index) == set(ref.index)
    np.testing.assert_allclose(got["score"].reindex(ref.index), ref, atol=1e-9)
    assert (got["rank"].reindex(ref.index).astype(int) == ref_rank).all()
    base, base_rank = _reference_ranking(hfi, 2014, dict.fromkeys(BASE, 1.0))
    np.testing.assert_allclose(got["baseline_score"].reindex(base.index), base, atol=1e-9)
    assert (got["rank_shift"] == got["baseline_rank"] - got["rank"]).all()
    assert res.attrs["weights"] == pytest.approx({k: v for k, v in weights.items()})
    assert list(res["rank"]) == sorted(res["rank"])  # best first


def test_governance_ranking_is_pure_and_deterministic(hfi):
    before = hfi.copy()
    a = pw.governance_ranking(hfi, year=2016)
    b = pw.governance_ranking(hfi, year=2016)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(hfi, before)
    assert (a["rank_shift"] == 0).all()  # the default choice *is* the baseline


@pytest.mark.parametrize("scale", [0.01, 3.7, 250.0])
def test_only_relative_weights_matter(hfi, scale):
    w = {"ef_legal": 0.2, "pf_rol": 0.05, "ef_regulation": 0.4,
         "ef_regulation_business_bureaucracy": 0.1, "ef_regulation_business_bribes": 0.25}
    a = pw.governance_ranking(hfi, year=2012, weights=w)
    b = pw.governance_ranking(hfi, year=2012, weights={k: scale * v for k, v in w.items()})
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_each_widget_is_a_view_over_one_pure_call(hfi, profile_data):
    ib = pw.IndexBuilder(hfi, debounce=0)
    with ib.batch():
        ib.weights["ef_legal"].value = 0.9
        ib.aggregation.value = "harmonic mean"
        ib.normalisation.value = "min-max 1-100"
        ib.year.value = 2010
    pd.testing.assert_frame_equal(ib.result, pw.governance_ranking(hfi, **ib.arguments()))
    cp = pw.CountryProfile(profile_data, debounce=0, country="BRA", peer_group="G20")
    pd.testing.assert_frame_equal(cp.result, pw.peer_bands(profile_data, **cp.arguments()))


def test_code_reproduces_the_screen(hfi, reg_data, profile_data):
    ib = pw.IndexBuilder(hfi, debounce=0)
    ib.weights["pf_rol"].value = 0.05
    got = eval(ib.code("hfi"), {"pw": pw, "hfi": hfi})  # noqa: S307 - our own generated call
    pd.testing.assert_frame_equal(got, ib.result)
    rx = pw.RegressionExplorer(reg_data, debounce=0, effects="entity", controls=["fertility"])
    got = eval(rx.code(), {"pw": pw, "data": reg_data})  # noqa: S307
    pd.testing.assert_series_equal(got.params, rx.result.params)
    cp = pw.CountryProfile(profile_data, debounce=0)
    got = eval(cp.code(), {"pw": pw, "data": profile_data})  # noqa: S307
    pd.testing.assert_frame_equal(got, cp.result)


def test_governance_ranking_empty_year(hfi):
    with pytest.raises(pw.NoDataError, match="no data for year 1990"):
        pw.governance_ranking(hfi, year=1990)


def test_governance_ranking_year_as_text_or_of_a_wrong_type(hfi):
    ref = pw.governance_ranking(hfi, year=2016)
    pd.testing.assert_frame_equal(pw.governance_ranking(hfi, year="2016"), ref)
    pd.testing.assert_frame_equal(pw.governance_ranking(hfi, year=np.int64(2016)), ref)
    pd.testing.assert_frame_equal(pw.governance_ranking(hfi, year=2016.0), ref)
    for bad in ("twenty", 2016.5, None, True):
        with pytest.raises(TypeError, match="year must be an integer such as 2016"):
            pw.governance_ranking(hfi, year=bad)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_governance_ranking_names_a_weight_that_is_not_finite(hfi, bad):
    w = dict.fromkeys(GOV, 1.0) | {"ef_legal": bad}
    with pytest.raises(ValueError, match=r"weight\(s\) of 'ef_legal' are not finite"):
        pw.governance_ranking(hfi, year=2016, weights=w)
    with pytest.raises(ValueError, match="the weight of 'pf_rol' must be a number"):
        pw.governance_ranking(hfi, year=2016, weights=dict.fromkeys(GOV, 1.0) | {"pf_rol": "x"})


def test_governance_ranking_refuses_duplicated_country_years(hfi):
    dup = pd.concat([hfi, hfi[(hfi["iso3"] == "CHN") & (hfi["year"] == 2016)]], ignore_index=True)
    with pytest.raises(ValueError, match=r"duplicated keys.*'iso3': 'CHN', 'year': 2016"):
        pw.governance_ranking(dup, year=2016)


def _strong_on(hfi, year, code):
    """The country whose normalised `code` most exceeds its mean normalised other indicators."""
    d = hfi.loc[hfi["year"] == year, ["iso3", *GOV]].dropna().set_index("iso3")
    n = (d - d.min()) / (d.max() - d.min())
    gap = n[code] - n.drop(columns=code).mean(axis=1)
    return gap.idxmax()


def test_raising_a_weight_raises_the_rank_of_a_country_strong_on_it(hfi):
    w = pw.IndexBuilder(hfi, year=2016, debounce=0)
    code = "ef_regulation_business_bribes"
    iso = _strong_on(hfi, 2016, code)
    rank0 = int(w.result.set_index("iso3").at[iso, "rank"])
    plot0, table0 = w.plot.value, w.ranking.value
    w.weights[code].value = 0.6  # the other three follow: 0.25 -> 0.4 / 3 each
    rank1 = int(w.result.set_index("iso3").at[iso, "rank"])
    assert rank1 < rank0, (iso, rank0, rank1)
    assert w.plot.value != plot0 and w.ranking.value != table0
    # the displayed weights are the sliders' and sum to 100%
    shown = [float(re.search(r"<b>(\d+)%</b>", w.weight_labels[c].value).group(1)) for c in BASE]
    assert shown == [60.0 if c == code else 13.0 for c in BASE]
    assert "excluded" in w.weight_labels["ef_regulation"].value
    # and the widget shows exactly the pure function's result
    ref, _ = _reference_ranking(hfi, 2016, {c: (0.6 if c == code else 0.4 / 3) for c in BASE})
    np.testing.assert_allclose(w.result.set_index("iso3")["score"].reindex(ref.index), ref,
                               atol=1e-9)
    assert w.result.set_index("iso3").at[iso, "rank_shift"] == rank0 - rank1


def test_index_builder_empty_choice_shows_a_message_not_a_traceback(hfi):
    w = pw.IndexBuilder(hfi, debounce=0)
    n0 = w.n_updates
    with w.batch():
        for cb in w.include.values():
            cb.value = False
        assert w.n_updates == n0  # held until the end of the batch
    assert w.n_updates == n0 + 1
    assert w.result is None
    assert "no indicator is selected" in w.message.value
    assert "polygov-message" in w.message.value and "Traceback" not in w.message.value
    assert w.ranking.value == "" and w.plot.value == b""
    assert all("excluded" in lab.value for lab in w.weight_labels.values())
    assert all(s.disabled for s in w.weights.values())
    w.include["pf_rol"].value = True
    assert w.error is None and w.message.value == ""
    assert len(w.result) > 100


def _positive_reference(hfi, year, weights, label, aggregation):
    """Independent geometric/harmonic index on the strictly positive scale of each menu choice."""
    d = hfi.loc[hfi["year"] == year, ["iso3", *GOV]].dropna().set_index("iso3")
    x = d[list(weights)].to_numpy(float)
    if label in ("min-max 0-100", "min-max 1-100", "z-score"):  # 1-100 by min-max
        v = 1 + 99 * (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    elif label == "percentile rank":  # ranks 1..n, ties averaged
        v = np.column_stack([scipy.stats.rankdata(col, method="average") for col in x.T])
    else:  # goalposts 0-10 onto 1-100: 1 + 99 x / 10
        v = 1 + 9.9 * x
    w = np.array(list(weights.values()), dtype=float)
    w = w / w.sum()
    s = np.exp(np.log(v) @ w) if aggregation == "geometric" else 1 / ((1 / v) @ w)
    s = pd.Series(s, index=d.index)
    return s, s.rank(ascending=False, method="min").astype(int)


def test_all_twenty_menu_combinations_give_a_ranking(hfi):
    w = pw.IndexBuilder(hfi, year=2016, debounce=0)
    n = len(hfi.loc[hfi["year"] == 2016, GOV].dropna())
    for norm in pw.NORMALISATIONS:
        for agg, key in pw.AGGREGATIONS.items():
            with w.batch():
                w.normalisation.value = norm
                w.aggregation.value = agg
            assert w.error is None, (norm, agg, w.error)
            assert len(w.result) == n and list(w.result["rank"])[:1] == [1]
            substituted = key in ("geometric", "harmonic") and norm != "min-max 1-100"
            assert ("strictly positive values" in w.message.value) == substituted, (norm, agg)
            assert bool(w.notes) == substituted and w.warnings == []
            pd.testing.assert_frame_equal(w.result, pw.governance_ranking(hfi, **w.arguments()))
    # called directly, the pure function still refuses a zero with the geometric mean
    with pytest.raises(ValueError, match="geometric mean needs positive values"):
        pw.governance_ranking(hfi, year=2016, aggregation="geometric")


@pytest.mark.parametrize("aggregation", ["geometric", "harmonic"])
@pytest.mark.parametrize("label", list(pw.NORMALISATIONS))
def test_geometric_and_harmonic_ranks_match_numpy(hfi, label, aggregation):
    w = pw.IndexBuilder(hfi, year=2016, debounce=0)
    with w.batch():
        w.weights["pf_rol"].value = 0.4  # the other three: 0.2 each
        w.normalisation.value = label
        w.aggregation.value = {v: k for k, v in pw.AGGREGATIONS.items()}[aggregation]
    weights = {c: (0.4 if c == "pf_rol" else 0.2) for c in BASE}
    ref, ref_rank = _positive_reference(hfi, 2016, weights, label, aggregation)
    got = w.result.set_index("iso3")
    np.testing.assert_allclose(got["score"].reindex(ref.index), ref, rtol=1e-9)
    assert (got["rank"].reindex(ref.index).astype(int) == ref_rank).all()


def test_weight_sliders_stay_normalised(hfi):
    w = pw.IndexBuilder(hfi, year=2016, debounce=0)
    legal, rol, bur, bri = BASE

    def vals():
        return [w.weights[c].value for c in BASE]

    assert vals() == pytest.approx([0.25] * 4)
    assert w.weights["ef_regulation"].disabled and not w.include["ef_regulation"].value
    n0 = w.n_updates
    w.weights["pf_rol"].value = 0.7  # the others shrink in proportion: 0.1 each
    assert vals() == pytest.approx([0.1, 0.7, 0.1, 0.1])
    assert w.n_updates == n0 + 1  # one recomputation per move, not one per rescaled slider
    w.weights[legal].value = 0.3  # others (0.7, 0.1, 0.1) -> x 0.7 / 0.9
    assert vals() == pytest.approx([0.3, 0.7 * 7 / 9, 0.7 / 9, 0.7 / 9])
    w.weights[bur].value = 1.0  # all the weight: the others drop to 0
    assert vals() == pytest.approx([0, 0, 1, 0])
    w.weights[bur].value = 0.25  # the others are all 0: they share the rest equally
    assert vals() == pytest.approx([0.25] * 4)
    assert w.result.attrs["weights"] == pytest.approx(dict.fromkeys(BASE, 0.25))
    # unticking rescales the rest; ticking again restores the previous weights
    w.weights[bri].value = 0.4  # others 0.2
    w.include[bri].value = False
    assert vals()[:3] == pytest.approx([1 / 3] * 3)
    assert sum(w.arguments()["weights"].values()) == pytest.approx(1)
    assert "excluded" in w.weight_labels[bri].value
    w.include[bri].value = True
    assert vals() == pytest.approx([0.2] * 3 + [0.4])
    # a lone indicator carries all the weight
    with w.batch():
        for c in BASE[1:]:
            w.include[c].value = False
    assert w.weights[legal].value == pytest.approx(1.0)
    w.weights[legal].value = 0.3
    assert w.weights[legal].value == pytest.approx(1.0) and w.error is None
    # in a batch, every move rescales at once and the index is recomputed once at the end
    w2 = pw.IndexBuilder(hfi, year=2016, debounce=0)
    n0 = w2.n_updates
    with w2.batch():
        w2.weights[bri].value = 1.0
        w2.weights[rol].value = 0.1
    assert [w2.weights[c].value for c in BASE] == pytest.approx([0, 0.1, 0, 0.9])
    assert w2.n_updates == n0 + 1
    shown = [float(re.search(r"<b>(\d+)%</b>", w2.weight_labels[c].value).group(1)) for c in BASE]
    assert shown == [0, 10, 0, 90]


def test_default_index_does_not_double_count(hfi):
    assert "ef_regulation" not in pw.DEFAULT_INDICATORS
    assert pw.overlap_note(pw.DEFAULT_INDICATORS) is None
    note = pw.overlap_note(["ef_regulation", "ef_regulation_business_bribes"])
    assert "Bribes & favouritism is already inside Regulation" in note and "twice" in note
    res = pw.governance_ranking(hfi, year=2016, indicators=GOV)
    assert "counts them twice" in res.attrs["overlap"]
    assert pw.governance_ranking(hfi, year=2016).attrs["overlap"] is None
    w = pw.IndexBuilder(hfi, year=2016, debounce=0)
    assert w.notes == []
    w.include["ef_regulation"].value = True
    assert any("twice" in n for n in w.notes)
    assert w.arguments()["indicators"] == ["ef_legal", "pf_rol", "ef_regulation",
                                           "ef_regulation_business_bureaucracy",
                                           "ef_regulation_business_bribes"]


def test_index_builder_peer_group_and_focus(hfi):
    w = pw.IndexBuilder(hfi, debounce=0, peer_group="BRICS")
    assert "Peer group: BRICS" in w.ranking.value
    for name in ("Brazil", "India", "South Africa"):
        assert name in w.ranking.value
    assert "Japan" not in w.ranking.value
    w.peer_group.value = "East Asia"
    assert "Japan" in w.ranking.value
    assert re.search(r"China</b>: rank <b>\d+</b> of \d+", w.ranking.value)
    w.focus.value = "IND"
    assert re.search(r"India</b>: rank <b>\d+</b>", w.ranking.value)
    y16 = hfi[hfi["year"] == 2016]
    unranked = y16.loc[y16[GOV].isna().any(axis=1), "iso3"].iloc[0]  # an indicator missing
    w.focus.value = unranked
    assert "is not ranked in 2016" in w.ranking.value and w.error is None


def test_index_builder_debounces_a_burst_of_slider_moves(hfi):
    w = pw.IndexBuilder(hfi, debounce=0.1)
    n0 = w.n_updates
    for v in (0.1, 0.2, 0.3, 0.4):
        w.weights["pf_rol"].value = v
    assert w.n_updates == n0  # nothing recomputed during the burst
    deadline = time.monotonic() + 5
    while w.n_updates == n0 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert w.n_updates == n0 + 1
    assert w.arguments()["weights"]["pf_rol"] == pytest.approx(0.4)
    w.weights["pf_rol"].value = 0.9
    w.update()  # forced synchronous refresh
    assert w.n_updates == n0 + 2 and not w._debouncer.pending


def test_index_builder_rejects_bad_construction(hfi):
    with pytest.raises(ValueError, match="peer group"):
        pw.IndexBuilder(hfi, peer_group="Nowhere", debounce=0)
    with pytest.raises(KeyError, match="ef_legal"):
        pw.IndexBuilder(hfi.drop(columns="ef_legal"), debounce=0)


# ---------------------------------------------------------------------------------------------
# regression explorer
# ---------------------------------------------------------------------------------------------
def _n_effects(w) -> int:
    return int(re.search(r'polygov-n-effects">(\d+)<', w.summary.value).group(1))


def test_fixed_effects_choice_changes_the_reported_number_of_effects(reg_data):
    w = pw.RegressionExplorer(reg_data, debounce=0, effects="none")
    assert _n_effects(w) == 0 and "Entity FE" in w.table.value
    w.effects.value = "entity"
    n_ent = w.result.n_entities
    assert _n_effects(w) == n_ent
    w.effects.value = "twoway"
    assert _n_effects(w) == n_ent + w.result.n_periods - 1
    assert w.result.fixed_effects == ("iso3", "year")
    w.effects.value = "random"
    assert _n_effects(w) == 0 and "random country intercepts" in w.summary.value
    w.effects.value = "twoway"
    png = w.plot.value
    assert "Society centre" in w.table.value
    w.measure.value = "market"
    assert w.plot.value != png and "Market centre" in w.table.value


def test_default_measure_is_the_society_score_not_balance(reg_data):
    """balance is mostly 1 - (society - state)/10 on the HFI: not a default, not 'recommended'."""
    w = pw.RegressionExplorer(reg_data, debounce=0)
    assert w.measure.value == "society" and list(w.result.params.index) == ["society"]
    assert next(iter(pw.POLYCENTRICITY_MEASURES)) == "society"
    assert "recommended" not in pw.POLYCENTRICITY_MEASURES["balance"]
    assert "society" in pw.CountryProfile(pw.country_profile_data(), debounce=0).dimensions.value
    # the reason, recomputed with NumPy from the centre scores (2016): state lowest, society
    # highest in most country-years, so balance falls as society - state grows
    d = reg_data.loc[reg_data["year"] == 2016, ["society", "market", "state", "balance"]].dropna()
    s = d[["state", "market", "society"]].to_numpy()
    assert len(d) == 127
    assert np.mean(s.argmin(axis=1) == 0) == pytest.approx(0.913, abs=0.001)
    assert np.mean(s.argmax(axis=1) == 2) == pytest.approx(0.693, abs=0.001)
    gap = d["society"].to_numpy() - d["state"].to_numpy()
    assert np.corrcoef(d["balance"], gap)[0, 1] == pytest.approx(-0.844, abs=0.001)
    assert np.corrcoef(d["balance"], d["society"])[0, 1] == pytest.approx(-0.573, abs=0.001)


def test_two_way_estimate_matches_ols_with_dummies(reg_data):
    res = pw.fit_choice(reg_data, outcome="ef_legal", measure="polycentricity",
                        controls=["log_population"], effects="twoway", cov="classical")
    d = reg_data.dropna(subset=["ef_legal", "polycentricity", "log_population"])
    X = pd.concat([d[["polycentricity", "log_population"]],
                   pd.get_dummies(d["iso3"], dtype=float),
                   pd.get_dummies(d["year"], drop_first=True, dtype=float)], axis=1)
    beta = np.linalg.lstsq(X.to_numpy(float), d["ef_legal"].to_numpy(float), rcond=None)[0]
    assert res.params["polycentricity"] == pytest.approx(beta[0], abs=1e-8)
    assert res.params["log_population"] == pytest.approx(beta[1], abs=1e-8)
    assert res.nobs == len(d)


def test_widget_shows_the_same_fit_as_the_pure_call(reg_data):
    w = pw.RegressionExplorer(reg_data, debounce=0)
    w.controls.value = ("log_population", "fertility")
    direct = pw.fit_choice(reg_data, **w.arguments())
    pd.testing.assert_series_equal(w.result.params, direct.params)
    assert int(re.search(r'polygov-nobs">(\d+)<', w.summary.value).group(1)) == direct.nobs


def test_regression_empty_choice_shows_a_message(reg_data):
    w = pw.RegressionExplorer(reg_data, debounce=0)
    w.outcome.value = "infant_mortality"  # Gapminder ends in 2015
    w.years.value = (2016, 2016)
    assert w.result is None
    assert "no country-year has all of" in w.message.value
    assert "Nothing to show for this choice" in w.message.value
    assert w.table.value == "" and w.plot.value == b""
    w.years.value = (2008, 2016)
    assert w.error is None and w.result.nobs > 500


def test_regression_invalid_choices_show_the_library_message(reg_data):
    w = pw.RegressionExplorer(reg_data, debounce=0)
    w.controls.value = ("log_gdp_pc",)  # to 2011, when HFI's rule of law is constant within countries
    assert "does not change within any country" in w.error
    w.effects.value = "none"
    assert w.error is None
    w.cluster.value = "year"
    assert re.search(r"only \d+ clusters in 'year'", w.error)
    w.cluster.value = "region"  # 10 regions: a fit, with a warning shown as a note
    assert w.error is None and any("clusters in 'region'" in n for n in w.warnings)
    assert "Note" in w.message.value
    w.cov.value = "robust"
    assert w.cluster.disabled and w.result.cov_type == "robust"
    w.cov.value = "driscoll_kraay"  # a few years are a few "clusters": refused by default...
    assert re.search(r"only \d periods in 'year'", w.error)
    w.few_clusters.value = True  # ...and accepted knowingly, with the warning as a note
    assert w.error is None and w.result.cov_type == "driscoll_kraay"
    assert any("fewer than 30 clusters" in n for n in w.warnings)


def test_an_unexpected_error_is_named_in_the_widget(reg_data, monkeypatch):
    w = pw.RegressionExplorer(reg_data, debounce=0)

    def boom():
        raise RuntimeError("backend exploded")

    monkeypatch.setattr(w, "_compute", boom)
    w.update()
    assert w.error == "RuntimeError: backend exploded"
    assert "Unexpected error" in w.message.value and w.table.value == ""


def test_pinning_models_adds_columns(reg_data):
    w = pw.RegressionExplorer(reg_data, debounce=0)
    w.pin.click()
    w.effects.value = "none"
    assert "pinned 1" in w.table.value and "current" in w.table.value
    frame = pg.regression.regression_table(dict(w.pinned) | {"current": w.result}, format="frame")
    assert list(frame.columns) == ["pinned 1", "current"]
    w.clear.click()
    assert "pinned 1" not in w.table.value


# ---------------------------------------------------------------------------------------------
# country profile
# ---------------------------------------------------------------------------------------------
def test_peer_bands_match_numpy_quantiles(profile_data):
    peers = pg.countries.peer_group("BRICS")
    res = pw.peer_bands(profile_data, iso3="CHN", peers=peers, dimensions=["pf_rol", "ef_legal"],
                        band=(0.25, 0.75))
    others = profile_data[profile_data["iso3"].isin(set(peers) - {"CHN"})]
    for (dim, year), r in res.set_index(["dimension", "year"]).iterrows():
        v = others.loc[others["year"] == year, dim].dropna().to_numpy()
        assert r["n_peers"] == len(v) == 4
        assert r["peer_low"] == pytest.approx(np.quantile(v, 0.25), abs=1e-12)
        assert r["peer_median"] == pytest.approx(np.median(v), abs=1e-12)
        assert r["peer_high"] == pytest.approx(np.quantile(v, 0.75), abs=1e-12)
        own = profile_data.loc[(profile_data["iso3"] == "CHN") & (profile_data["year"] == year), dim]
        assert r["value"] == pytest.approx(float(own.iloc[0]))
        assert r["peer_share_below"] == pytest.approx(float((v < own.iloc[0]).mean()))


def test_peer_bands_refuses_unknown_peer_codes_and_warns_about_absent_ones(profile_data):
    with pytest.raises(ValueError, match=r"unknown country code\(s\) in peers: \['XXX'\]"):
        pw.peer_bands(profile_data, iso3="CHN", peers=["XXX", "IND"], dimensions=["pf_rol"])
    with pytest.raises(TypeError, match="peers must be a list of ISO3 codes"):
        pw.peer_bands(profile_data, iso3="CHN", peers="IND", dimensions=["pf_rol"])
    # a real code with no row in the data (Macao is not in the HFI): left out, with a warning
    with pytest.warns(pg.errors.DataQualityWarning, match=r"not in the data.*\['MAC'\]"):
        res = pw.peer_bands(profile_data, iso3="CHN", peers=["MAC", "IND", "BRA"],
                            dimensions=["pf_rol"])
    assert (res["n_peers"] == 2).all()
    ref = profile_data.loc[profile_data["iso3"].isin(["IND", "BRA"])].groupby("year")["pf_rol"]
    np.testing.assert_allclose(res["peer_median"], ref.median().to_numpy(), atol=1e-12)


def test_peer_bands_refuses_duplicated_country_years(profile_data):
    dup = pd.concat([profile_data, profile_data.iloc[[0]]], ignore_index=True)
    iso, year = profile_data.iloc[0][["iso3", "year"]]
    with pytest.raises(ValueError, match=rf"duplicated keys.*'iso3': '{iso}', 'year': {year}"):
        pw.peer_bands(dup, iso3=iso, peers=None, dimensions=["pf_rol"])


def test_country_profile_reacts_to_the_country_and_the_band(profile_data):
    w = pw.CountryProfile(profile_data, debounce=0)
    assert w.error is None and "China" in w.summary.value
    png, summ = w.plot.value, w.summary.value
    w.country.value = "IND"
    assert w.plot.value != png and w.summary.value != summ
    r0 = w.result.copy()
    w.band.value = (0.25, 0.75)
    r1 = w.result
    assert (r1["peer_high"] - r1["peer_low"]).mean() < (r0["peer_high"] - r0["peer_low"]).mean()
    w.peer_group.value = "all countries"
    assert w.result["n_peers"].max() > 100


def test_country_profile_empty_choices_show_messages(profile_data):
    w = pw.CountryProfile(profile_data, debounce=0)
    w.dimensions.value = ()
    assert "no dimension is selected" in w.message.value and w.plot.value == b""
    counts = profile_data.groupby("iso3")["state"].count()
    iso = counts.index[counts == 0][0]  # a country without any state-dominance score
    with w.batch():
        w.dimensions.value = ("state",)
        w.country.value = iso
    assert f"{iso} has no observation on ['state']" in w.error
    assert "Nothing to show" in w.message.value
    w.dimensions.value = ("state", "pf_rol")
    assert w.error is None and "no data for this country" in w.summary.value


# ---------------------------------------------------------------------------------------------
# plots and packaging
# ---------------------------------------------------------------------------------------------
def test_plot_helpers_return_axes_and_render(hfi, reg_data):
    from polygov.plots.widgets import peer_band_plot, rank_shift_plot

    rk = pw.governance_ranking(hfi, year=2016, weights={c: i + 1.0 for i, c in enumerate(GOV)})
    fig, axes = new_figure(nrows=1, ncols=3)
    ax = rank_shift_plot(rk.head(8), highlight=["NZL"], ax=axes[0, 0])
    assert ax is axes[0, 0] and ax.get_xlabel() == "rank (1 = best)"
    assert ax.get_xlim()[0] > ax.get_xlim()[1]  # rank 1 on the right
    w = pw.RegressionExplorer(reg_data, debounce=0, measure="balance", effects="entity")
    assert w.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
    band = pw.peer_bands(pw.country_profile_data(), iso3="CHN", peers=None, dimensions=["pf_rol"])
    peer_band_plot(band, ax=axes[0, 2], ylabel="0-10")
    assert axes[0, 2].get_ylabel() == "0-10"
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_ipywidgets_raises_an_import_error_naming_the_extra(monkeypatch):
    saved = {k: v for k, v in sys.modules.items() if k.startswith("polygov.widgets")}
    for k in saved:
        monkeypatch.delitem(sys.modules, k)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    try:
        with pytest.raises(ImportError, match=r"pip install ipywidgets.*polygov\[widgets\]"):
            importlib.import_module("polygov.widgets")
    finally:
        for k in [k for k in sys.modules if k.startswith("polygov.widgets")]:
            del sys.modules[k]
        sys.modules.update(saved)
