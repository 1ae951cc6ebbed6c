"""Building an index: stages, spec semantics, log, explain, panels, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import polygov.index as pi
from polygov.errors import DataQualityWarning

TABLE = pd.DataFrame(
    [("a", "P", 1, 1), ("b", "P", 3, -1), ("c", "Q", 1, 1), ("d", "Q", 1, 1),
     ("P", "I", 1, 1), ("Q", "I", 1, 1), ("I", None, 1, 1)],
    columns=["code", "parent", "weight", "direction"])


@pytest.fixture
def fw():
    return pi.framework_from_table(TABLE)


@pytest.fixture
def cross(rng):
    n = 12
    return pd.DataFrame({"iso3": [f"C{i:02d}" for i in range(n)],
                         "a": rng.normal(size=n), "b": rng.normal(size=n),
                         "c": rng.uniform(1, 5, n), "d": rng.uniform(size=n),
                         "region": ["x", "y", "z"] * 4})


def _mm(x):
    return 100 * (x - x.min()) / (x.max() - x.min())


def test_minmax_arithmetic_by_hand(fw, cross):
    res = pi.build(pi.IndexSpec(fw), cross)
    d = cross.set_index("iso3")
    a, b, c, e = _mm(d.a), _mm(-d.b), _mm(d.c), _mm(d.d)
    P = (1 * a + 3 * b) / 4
    Q = (c + e) / 2
    I_ = (P + Q) / 2
    agg = res.stages["aggregated"]
    np.testing.assert_allclose(agg["P"], P, rtol=1e-12)
    np.testing.assert_allclose(agg["I"], I_, rtol=1e-12)
    expect_rank = I_.rank(ascending=False, method="min")
    np.testing.assert_array_equal(res.ranks["I"], expect_rank)
    tidy = res.index_scores()
    assert list(tidy.columns) == ["iso3", "code", "name", "level", "score", "rank"]
    assert res.weights["b"] == pytest.approx(0.75)


def test_geometric_and_generalised(fw, cross):
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100}, aggregation="geometric")
    agg = pi.build(spec, cross).stages["aggregated"]
    d = cross.set_index("iso3")
    a, b = 1 + 99 * (_mm(d.a) / 100), 1 + 99 * (_mm(-d.b) / 100)
    np.testing.assert_allclose(agg["P"], np.exp((np.log(a) + 3 * np.log(b)) / 4), rtol=1e-12)
    spec = spec.replace(aggregation="generalised", aggregation_params={"p": 2},
                        normalisation_params={"lo": 1, "hi": 100})
    agg = pi.build(spec, cross).stages["aggregated"]
    np.testing.assert_allclose(agg["P"], np.sqrt((a ** 2 + 3 * b ** 2) / 4), rtol=1e-12)


def test_weights_keyed_by_code_not_position(fw, cross):
    spec = pi.IndexSpec(fw, weights={"d": 3.0, "a": 2.0})
    r1 = pi.build(spec, cross)
    # shuffle the framework rows and the data columns: identical result
    fw2 = pi.framework_from_table(TABLE.sample(frac=1, random_state=3))
    spec2 = pi.IndexSpec(fw2, weights={"a": 2.0, "d": 3.0})
    r2 = pi.build(spec2, cross[["d", "region", "c", "iso3", "b", "a"]])
    pd.testing.assert_series_equal(r1.stages["aggregated"]["I"], r2.stages["aggregated"]["I"])
    assert r1.weights["d"] == pytest.approx(0.75)
    with pytest.raises(KeyError, match="weights for unknown code"):
        pi.IndexSpec(fw, weights={"aa": 1})


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, -1.0, "2", None])
def test_spec_weights_must_be_finite_non_negative(fw, bad):
    # an infinite weight used to pass (inf >= 0) and gave all-NaN scores (inf / inf)
    with pytest.raises(ValueError, match="weights must be finite non-negative.*'a'"):
        pi.IndexSpec(fw, weights={"a": bad})


def test_overrides_really_apply(fw, cross):
    base = pi.build(pi.IndexSpec(fw), cross)
    spec = pi.IndexSpec(fw, overrides={"c": {"normalisation": "goalposts",
                                             "normalisation_params": {"lower": 0, "upper": 10,
                                                                      "scale": 100}},
                                       "a": {"direction": -1}})
    res = pi.build(spec, cross)
    n0, n1 = base.stages["normalised"], res.stages["normalised"]
    np.testing.assert_allclose(n1["c"], cross.set_index("iso3")["c"] * 10)
    np.testing.assert_allclose(n1["a"], 100 - n0["a"], atol=1e-9)
    pd.testing.assert_series_equal(n1["d"], n0["d"])
    with pytest.raises(KeyError, match="unknown override key"):
        pi.IndexSpec(fw, overrides={"c": {"normalization": "rank"}})
    with pytest.raises(KeyError, match="not an indicator"):
        pi.IndexSpec(fw, overrides={"P": {"normalisation": "rank"}})


def test_spec_is_immutable_and_build_pure(fw, cross):
    spec = pi.IndexSpec(fw, weights={"a": 2})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.normalisation = "rank"
    with pytest.raises(TypeError):
        spec.weights["a"] = 5
    before = cross.copy()
    pi.build(spec, cross)
    pd.testing.assert_frame_equal(cross, before)
    s2 = spec.replace(normalisation="rank")
    assert spec.normalisation == "minmax" and s2.normalisation == "rank"


def test_determinism(fw, cross):
    spec = pi.IndexSpec(fw, treatment="winsorise", imputation="em")
    x = cross.copy()
    x.loc[[1, 4], "a"] = np.nan
    r1, r2 = pi.build(spec, x), pi.build(spec, x)
    for k in r1.stages:
        pd.testing.assert_frame_equal(r1.stages[k], r2.stages[k])
    pd.testing.assert_frame_equal(r1.scores, r2.scores)
    pd.testing.assert_frame_equal(r1.log, r2.log)
    assert repr(r1) == repr(r2)


def test_ranks_from_unrounded_scores(fw):
    d = pd.DataFrame({"iso3": ["A", "B", "C"], "a": [1.0, 1.0 + 1e-9, 0.0],
                      "b": [0.0] * 3, "c": [1.0, 1.0, 0.0], "d": [1.0, 1.0, 0.0]})
    d["b"] = [1.0, 1.0, 2.0]
    res = pi.build(pi.IndexSpec(fw), d)
    r = res.ranks["I"]
    assert r["B"] == 1 and r["A"] == 2


def test_missing_values_available_case_and_coverage(fw, cross):
    x = cross.copy()
    x.loc[0, ["a", "b"]] = np.nan     # C00 has nothing in P
    x.loc[1, "c"] = np.nan            # C01 has half of Q
    res = pi.build(pi.IndexSpec(fw), x)
    agg = res.stages["aggregated"]
    assert np.isnan(agg.at["C00", "P"])
    assert agg.at["C00", "I"] == pytest.approx(agg.at["C00", "Q"])  # weight moves to Q
    assert agg.at["C01", "Q"] == pytest.approx(res.stages["normalised"].at["C01", "d"])
    res = pi.build(pi.IndexSpec(fw, min_coverage=0.6), x)
    assert np.isnan(res.stages["aggregated"].at["C01", "Q"])
    lg = res.log.query("stage == 'aggregate'")
    assert set(lg["iso3"]) == {"C00", "C01"} and "min_coverage" in lg["reason"].iloc[0]
    res = pi.build(pi.IndexSpec(fw, min_unit_coverage=0.6), x)
    assert "C00" not in res.stages["aggregated"].index
    assert res.log.query("stage == 'screen'")["iso3"].tolist() == ["C00"]


def test_indicator_with_no_data_is_refused_not_dropped(fw, cross):
    # was: 'b' all NaN -> P = a alone, b's weight silently moved to 'a'
    with pytest.raises(ValueError, match=r"'b' have no observed value.*exclude"):
        pi.build(pi.IndexSpec(fw), cross.assign(b=np.nan))
    # excluding it explicitly is the documented way: P is then 'a' alone, by hand
    res = pi.build(pi.IndexSpec(fw, exclude=("b",)), cross.assign(b=np.nan))
    np.testing.assert_allclose(res.stages["aggregated"]["P"], _mm(cross.set_index("iso3").a))


def test_indicator_missing_for_one_year_warns_and_logs(fw, rng):
    n = 6
    panel = pd.DataFrame({"iso3": [f"C{i}" for i in range(n)] * 2, "year": [2000] * n + [2001] * n,
                          "a": rng.normal(size=2 * n), "b": rng.normal(size=2 * n),
                          "c": rng.normal(size=2 * n), "d": rng.normal(size=2 * n)})
    panel.loc[panel.year == 2001, "c"] = np.nan
    with pytest.warns(DataQualityWarning, match=r"'c' in 2001"):
        res = pi.build(pi.IndexSpec(fw), panel)
    lg = res.log.query("action == 'indicator missing in year'")
    assert list(zip(lg.code, lg.year, strict=True)) == [("c", 2001)]
    # 2001: Q is d alone (min-max over both years of d), by hand
    d = panel.set_index(["iso3", "year"])["d"]
    np.testing.assert_allclose(res.stages["aggregated"].xs(2001, level="year")["Q"],
                               _mm(d).xs(2001, level="year"))


def test_explain_names_a_unit_removed_by_screening(fw, cross):
    x = cross.copy()
    x.loc[0, ["a", "b", "c"]] = np.nan          # C00 keeps 1 of 4 indicators
    res = pi.build(pi.IndexSpec(fw, min_unit_coverage=0.5), x)
    for code in ("I", "a"):
        with pytest.raises(KeyError, match=r"'C00' was removed .*min_unit_coverage screen "
                                           r"\(25% of indicators available < min_unit_coverage 50%\)"):
            res.explain("C00", code)
    with pytest.raises(KeyError, match=r"'C0' is not in the built index. Did you mean"):
        res.explain("C0", "I")


def test_explain_traces_numbers(fw, cross):
    res = pi.build(pi.IndexSpec(fw), cross)
    e = res.explain("C03", "b")
    assert list(e["step"][:5]) == ["raw", "denominated", "treated", "imputed", "normalised"]
    assert e["value"].iloc[0] == pytest.approx(cross.set_index("iso3").at["C03", "b"])
    assert "flipped" in e["note"].iloc[4]
    e = res.explain("C03", "P")
    comp = e.query("step == 'component'")
    assert (comp["value"] * comp["weight"]).sum() == pytest.approx(e["value"].iloc[-1])
    with pytest.raises(KeyError, match="not in the built index"):
        res.explain("XXX", "P")


def test_panel_normalises_across_years(fw, rng):
    rows = []
    for y in (2000, 2001):
        for i in range(6):
            rows.append(dict(iso3=f"C{i}", year=y, a=rng.normal() + 5 * (y - 2000),
                             b=rng.normal(), c=rng.uniform(1, 2), d=rng.uniform()))
    panel = pd.DataFrame(rows)
    res = pi.build(pi.IndexSpec(fw), panel)
    n = res.stages["normalised"]["a"]
    assert n.min() == 0 and n.max() == 100
    assert n.xs(2000, level="year").max() < 50 < n.xs(2001, level="year").min()
    # ranks within year
    for y in (2000, 2001):
        assert sorted(res.ranks["I"].xs(y, level="year")) == list(range(1, 7))
    with pytest.raises(ValueError, match="give year="):
        res.explain("C1", "a")
    assert res.explain("C1", "a", year=2001)["value"].iloc[0] == pytest.approx(
        panel.set_index(["iso3", "year"]).at[("C1", 2001), "a"])


def test_treatment_logged(fw, rng):
    n = 40
    d = pd.DataFrame({"iso3": [f"C{i:02d}" for i in range(n)], "a": rng.normal(size=n),
                      "b": rng.normal(size=n), "c": rng.normal(size=n), "d": rng.normal(size=n)})
    d.loc[0, "a"] = 50.0
    res = pi.build(pi.IndexSpec(fw, treatment="winsorise"), d)
    lg = res.log.query("stage == 'treat'")
    assert lg["code"].unique().tolist() == ["a"] and lg["iso3"].tolist() == ["C00"]
    assert lg["before"].iloc[0] == 50.0
    assert lg["after"].iloc[0] == pytest.approx(d["a"].iloc[1:].max())
    # per-indicator override switches it off
    res = pi.build(pi.IndexSpec(fw, treatment="winsorise", overrides={"a": {"treatment": "none"}}), d)
    assert res.log.query("stage == 'treat'").empty


def test_group_imputation_logged(fw, cross):
    x = cross.copy()
    x.loc[0, "c"] = np.nan
    res = pi.build(pi.IndexSpec(fw, imputation="group_mean", impute_by="region"), x)
    grp = x.loc[(x.region == "x") & x.c.notna(), "c"].mean()
    assert res.stages["imputed"].at["C00", "c"] == pytest.approx(grp)
    lg = res.log.query("stage == 'impute'")
    assert lg[["iso3", "code"]].values.tolist() == [["C00", "c"]]


def test_denominators(fw, cross):
    x = cross.assign(pop=np.arange(1.0, 13.0))
    x.loc[2, "pop"] = 0.0
    res = pi.build(pi.IndexSpec(fw, denominators={"c": "pop"}), x)
    den = res.stages["denominated"]["c"]
    assert den["C05"] == pytest.approx(x.c[5] / 6.0)
    assert np.isnan(den["C02"])
    assert "zero/missing pop" in res.log.query("stage == 'denominate'")["reason"].iloc[0]


def test_errors_name_the_problem(fw, cross):
    with pytest.raises(KeyError, match="'c'"):
        pi.build(pi.IndexSpec(fw), cross.drop(columns="c"))
    with pytest.raises(ValueError, match="duplicated keys"):
        pi.build(pi.IndexSpec(fw), pd.concat([cross, cross.head(1)]))
    with pytest.raises(ValueError, match="geometric mean needs positive values.*minmax with lo=1"):
        pi.build(pi.IndexSpec(fw, aggregation="geometric"), cross)
    with pytest.raises(ValueError, match="unknown normalisation 'minmx'.*Did you mean 'minmax'"):
        pi.IndexSpec(fw, normalisation="minmx")
    with pytest.raises(TypeError, match="not numeric"):
        pi.build(pi.IndexSpec(fw), cross.assign(a=cross["a"].astype(str)))
    with pytest.raises(ValueError, match="all values equal"):
        pi.build(pi.IndexSpec(fw), cross.assign(d=1.0))
    with pytest.raises(ValueError, match="group imputation needs by="):
        pi.build(pi.IndexSpec(fw, imputation="group_mean"), cross)


def test_copeland_counts_pairwise_wins(fw):
    d = pd.DataFrame({"iso3": ["A", "B", "C"], "a": [3.0, 2, 1], "b": [1.0, 2, 3],
                      "c": [3.0, 1, 2], "d": [3.0, 2, 1]})
    res = pi.build(pi.IndexSpec(fw, aggregation="copeland"), d)
    q = res.stages["aggregated"]["Q"]
    # Q = {c, d}: A beats B and C on both -> +2; B vs C split 1:1 -> tie
    assert q.tolist() == [2.0, -1.0, -1.0]


def test_distance_to_target_uses_framework_targets(shared_data):
    d = pd.read_csv(shared_data / "asem" / "asem_iData.csv")
    m = pd.read_csv(shared_data / "asem" / "asem_iMeta.csv")
    data, fw = pi.from_coinr(d, m)
    res = pi.build(pi.IndexSpec(fw, normalisation="distance_to_target"), data)
    n = res.stages["normalised"]
    tgt = fw.table.set_index("code")["target"]
    lpi = data.set_index("iso3")["LPI"]
    expect = ((lpi - lpi.min()) / (tgt["LPI"] - lpi.min())).clip(0, 1)
    np.testing.assert_allclose(n["LPI"], expect.reindex(n.index))
    # a "lower is better" indicator: the target is the good (low) end
    tar = data.set_index("iso3")["Tariff"]
    expect = ((tar.max() - tar) / (tar.max() - tgt["Tariff"])).clip(0, 1)
    np.testing.assert_allclose(n["Tariff"], expect.reindex(n.index))
    with pytest.raises(ValueError, match="needs a target"):
        pi.build(pi.IndexSpec(pi.framework_from_table(TABLE), normalisation="distance_to_target"),
                 pd.DataFrame({"iso3": ["A", "B"], "a": [1.0, 2], "b": [1.0, 2], "c": [1.0, 2],
                               "d": [1.0, 2]}))


def test_compare_builds(fw, cross):
    spec = pi.IndexSpec(fw, normalisation_params={"lo": 1, "hi": 100})
    a = pi.build(spec, cross)
    b = pi.build(spec.replace(aggregation="geometric", normalisation_params={"lo": 1, "hi": 100}),
                 cross)
    t = pi.compare({"arith": a, "geo": b})
    assert list(t.columns) == ["iso3", "rank_arith", "rank_geo", "shift_geo"]
    assert (t["shift_geo"] == t["rank_geo"] - t["rank_arith"]).all()
    assert t["rank_arith"].is_monotonic_increasing
    with pytest.raises(ValueError, match="at least two"):
        pi.compare([a])
