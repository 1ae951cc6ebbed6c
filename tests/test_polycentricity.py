"""Tests for polygov.polycentricity.

References: hand-computable cases (exact, 1e-12), an independent implementation
(``scipy.stats.entropy``; Herfindahl sums with NumPy on raw amounts, 1e-12),
the HFI codebook's coding direction (size of government: 10 = small), and the
definition of AER::Municipalities (``revenues`` are own-source, grants separate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from polygov.polycentricity import (
    CENTRE_INDICATORS,
    centre_scores,
    effective_number,
    fiscal_measures,
    flypaper,
    shannon_entropy,
)


# ----------------------------------------------------------------------- effective number
def test_hand_computable_cases():
    s = pd.DataFrame({"state": [1, 0.5, 1 / 3, 0.6, 10],
                      "market": [0, 0.5, 1 / 3, 0.3, 10],
                      "society": [0, 0, 1 / 3, 0.1, 0]}, index=list("abcde"))
    enc = effective_number(s)
    # 1/1, 1/(.25+.25), 1/(3/9), 1/(.36+.09+.01), amounts 10,10,0 -> 2
    np.testing.assert_allclose(enc, [1, 2, 3, 1 / 0.46, 2], rtol=1e-12)
    assert enc.name == "effective_number" and list(enc.index) == list("abcde")
    h = shannon_entropy(s)
    np.testing.assert_allclose(h, [0, np.log(2) / np.log(3), 1,
                                   -(0.6 * np.log(0.6) + 0.3 * np.log(0.3) + 0.1 * np.log(0.1))
                                   / np.log(3), np.log(2) / np.log(3)], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(shannon_entropy(s, normalise=False)[["b", "c"]],
                               [np.log(2), np.log(3)], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=4, max_size=4)
                .filter(lambda r: sum(r) > 1e-3), min_size=1, max_size=8))
def test_against_independent_implementations(rows):
    x = np.array(rows)
    enc = effective_number(x)
    hhi = ((x / x.sum(axis=1, keepdims=True)) ** 2).sum(axis=1)
    np.testing.assert_allclose(enc, 1 / hhi, rtol=1e-12)
    np.testing.assert_allclose(shannon_entropy(x), stats.entropy(x, axis=1) / np.log(4),
                               rtol=1e-9, atol=1e-12)
    assert ((enc >= 1 - 1e-12) & (enc <= 4 + 1e-12)).all()


def test_columns_and_missing_rule():
    s = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, np.nan], "label": ["x", "y"]})
    with pytest.raises(ValueError, match=r"1 missing share\(s\).*\(1, 'b'\).*missing='zero'"):
        effective_number(s, columns=["a", "b"])
    np.testing.assert_allclose(effective_number(s, columns=["a", "b"], missing="zero"), [2, 1])
    with pytest.raises(TypeError, match="'label'.*not numeric"):
        effective_number(s)


def test_key_columns_are_not_actors():
    """A numeric year used to count as an actor: {year: 2000, a: 1, b: 2} gave ~1.003."""
    d = pd.DataFrame({"iso3": ["AAA"], "year": [2000], "a": [1.0], "b": [2.0]})
    want = 1 / ((1 / 3) ** 2 + (2 / 3) ** 2)  # = 1.8, by hand
    assert want == pytest.approx(1.8)
    np.testing.assert_allclose(effective_number(d), [want], rtol=1e-12)
    np.testing.assert_allclose(effective_number(d[["year", "a", "b"]]), [1.8], rtol=1e-12)
    h = -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3)) / np.log(2)
    np.testing.assert_allclose(shannon_entropy(d), [h], rtol=1e-12)
    # explicit columns= still decide (a key column can be named deliberately)
    np.testing.assert_allclose(effective_number(d, columns=["year", "a"]),
                               [1 / ((2000 / 2001) ** 2 + (1 / 2001) ** 2)], rtol=1e-12)
    with pytest.raises(ValueError, match=r"need at least two actor columns, got \['a'\] "
                                         r"\(key columns \['iso3', 'year'\] are never actors\)"):
        effective_number(d[["iso3", "year", "a"]])
    with pytest.raises(TypeError, match="columns= must be a list of actor columns"):
        effective_number(d, columns="a")
    # one actor holding everything: entropy 0, not -0
    assert str(shannon_entropy(pd.DataFrame({"a": [1.0], "b": [0.0]})).iloc[0]) == "0.0"


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"non-negative.*row 'r2', column 'b' = -0\.5"):
        effective_number(pd.DataFrame({"a": [1, 1], "b": [0, -0.5]}, index=["r1", "r2"]))
    with pytest.raises(ValueError, match=r"1 row\(s\) have no observed share \(index \[1\]\)"):
        effective_number(pd.DataFrame({"a": [1, np.nan], "b": [1, np.nan]}))
    with pytest.raises(ValueError, match=r"1 row\(s\) sum to 0 \(index \['z'\]\)"):
        shannon_entropy(pd.DataFrame({"a": [1, 0], "b": [1, 0]}, index=["y", "z"]))
    with pytest.raises(ValueError, match="at least two actor columns"):
        effective_number(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ValueError, match="must be 2-D"):
        effective_number(np.array([0.5, 0.5]))
    with pytest.raises(KeyError, match="'markt'.*did you mean 'market'"):
        effective_number(pd.DataFrame({"market": [1], "state": [1]}), columns=["markt", "state"])


# ----------------------------------------------------------------------- centre scores
def test_indicator_table_documents_every_choice():
    t = CENTRE_INDICATORS
    assert set(t.centre) == {"society", "market", "state"}
    assert (t.loc[t.centre == "state", "direction"] == -1).all()
    assert (t.loc[t.centre != "state", "direction"] == 1).all()
    assert t.rationale.str.len().min() > 20
    assert set(t.loc[t.centre == "state", "code"]) == {
        "ef_government_consumption", "ef_government_transfers", "ef_government_enterprises"}


def _toy_hfi():
    codes = list(CENTRE_INDICATORS.code)
    row = dict.fromkeys(codes, 5.0)
    rows = [dict(row, iso3="AAA", year=2010), dict(row, iso3="BBB", year=2010)]
    d = pd.DataFrame(rows)
    # BBB: free society (10), free markets (8), tiny government (HFI 10 -> state dominance 0)
    for c in CENTRE_INDICATORS.code:
        centre = CENTRE_INDICATORS.set_index("code").loc[c, "centre"]
        d.loc[1, c] = {"society": 10.0, "market": 8.0, "state": 10.0}[centre]
    return d


def test_centre_scores_hand_computed():
    out = centre_scores(_toy_hfi())
    a, b = out.iloc[0], out.iloc[1]
    assert (a.society, a.market, a.state) == (5.0, 5.0, 5.0)
    assert a.effective_centres == pytest.approx(3) and a.balance == 1 and a.polycentricity == 1
    assert (b.society, b.market, b.state) == (10.0, 8.0, 0.0)  # state reversed: 10 - 10
    assert b.effective_centres == pytest.approx(1 / ((10 / 18) ** 2 + (8 / 18) ** 2))
    assert b.balance == pytest.approx(0.0)
    assert b.entropy == pytest.approx(stats.entropy([10, 8, 0]) / np.log(3))


def test_group_means_then_centre_mean_and_min_share():
    d = _toy_hfi().iloc[[0]].copy()
    d["pf_association_assembly"] = 10.0  # one of five association items: group mean 6
    d["pf_expression"] = 2.0  # expression group
    out = centre_scores(d)
    assert out.society.iloc[0] == pytest.approx((6.0 + 2.0) / 2)
    d.loc[:, "pf_expression"] = np.nan
    assert np.isnan(centre_scores(d).society.iloc[0])  # default: every group needed
    assert np.isnan(centre_scores(d).effective_centres.iloc[0])
    assert centre_scores(d, min_share=0.5).society.iloc[0] == pytest.approx(6.0)


def test_centre_scores_errors():
    d = _toy_hfi()
    with pytest.raises(KeyError, match="'ef_trade'"):
        centre_scores(d.drop(columns="ef_trade"))
    with pytest.raises(ValueError, match=r"0-10 scale.*\['ef_trade'\]"):
        centre_scores(d.assign(ef_trade=55.0))
    bad = CENTRE_INDICATORS[CENTRE_INDICATORS.centre != "state"]
    with pytest.raises(ValueError, match="cover exactly the centres"):
        centre_scores(d, indicators=bad)


def test_centre_scores_on_bundled_hfi():
    import polygov as pg

    hfi = pg.data.load("hfi")
    before = hfi.copy()
    out = centre_scores(hfi)
    pd.testing.assert_frame_equal(hfi, before)  # pure
    assert len(out) == len(hfi) and list(out.columns[:2]) == ["iso3", "year"]
    ok = out.dropna()
    assert len(ok) > 900
    assert ok[["society", "market", "state"]].stack().between(0, 10).all()
    assert ok.effective_centres.between(1, 3).all() and ok.balance.between(0, 1).all()
    # state dominance is the reversed HFI size-of-government area: strongly negatively related
    merged = hfi.merge(out, on=["iso3", "year"])
    assert merged[["state", "ef_government"]].corr().iloc[0, 1] < -0.5
    pd.testing.assert_frame_equal(out, centre_scores(hfi))  # deterministic


def test_documented_state_size_caveat_holds():
    """The numbers quoted in centre_scores' Notes, recomputed from the bundled HFI."""
    import polygov as pg

    out = centre_scores(pg.data.load("hfi")).dropna()
    y16 = out[out.year == 2016]
    assert len(y16) == 127
    r = y16[["effective_centres", "entropy", "balance", "polycentricity"]].corrwith(y16.state)
    assert round(r["effective_centres"], 2) == 0.89 and round(r["polycentricity"], 2) == 0.89
    assert round(r["entropy"], 2) == 0.84 and round(r["balance"], 2) == 0.68
    assert abs(y16[["society", "market"]].corrwith(y16.state)).max() < 0.05
    lowest = out.state < out[["society", "market"]].min(axis=1)
    assert round(lowest[out.year == 2016].mean(), 2) == 0.91 and round(lowest.mean(), 2) == 0.93
    r_eff = y16[["society", "market"]].corrwith(y16.effective_centres)
    assert round(r_eff["society"], 2) == -0.15 and round(r_eff["market"], 2) == -0.09
    doc = " ".join(centre_scores.__doc__.split())
    assert "r = 0.89" in doc and "r = 0.68" in doc and "91%" in doc and "93%" in doc
    assert "r = -0.15" in doc and "r = -0.09" in doc and "recommended" not in doc


def test_documented_balance_caveat_holds():
    """balance = 1 - (max - min)/10 is mostly the society-state gap reversed (HFI 2016)."""
    import polygov as pg

    out = centre_scores(pg.data.load("hfi")).dropna()
    y16 = out[out.year == 2016]
    s = y16[["society", "market", "state"]]
    # independent recomputation of the definition
    np.testing.assert_allclose(y16.balance, 1 - (s.max(axis=1) - s.min(axis=1)) / 10)
    assert round((s.idxmin(axis=1) == "state").mean(), 2) == 0.91
    assert round((s.idxmax(axis=1) == "society").mean(), 2) == 0.69
    assert round((s.idxmax(axis=1) == "market").mean(), 2) == 0.29
    gap = 1 - (y16.society - y16.state) / 10
    assert round(np.isclose(y16.balance, gap).mean(), 2) == 0.68
    r = {k: round(float(np.corrcoef(y16.balance, v)[0, 1]), 2) for k, v in
         {"gap": y16.society - y16.state, "society": y16.society, "market": y16.market,
          "state": y16.state}.items()}
    assert r == {"gap": -0.84, "society": -0.57, "market": -0.43, "state": 0.68}
    doc = " ".join(centre_scores.__doc__.split())
    for quoted in ("r = -0.84 with ``society - state``", "r = -0.57 with ``society``",
                   "r = -0.43 with ``market``", "r = 0.68 with ``state``", "69%", "29%",
                   "68% of the 2016"):
        assert quoted in doc, quoted


# ----------------------------------------------------------------------- municipalities
def test_fiscal_measures_hand_computed():
    d = pd.DataFrame({"expenditures": [10.0, 8.0], "revenues": [6.0, 8.0], "grants": [3.0, 0.0]})
    out = fiscal_measures(d)
    np.testing.assert_allclose(out.grant_dependence, [3 / 9, 0])
    np.testing.assert_allclose(out.grants_to_own, [0.5, 0])
    np.testing.assert_allclose(out.vertical_fiscal_imbalance, [0.4, 0])
    with pytest.raises(ValueError, match="negative expenditures/revenues/grants"):
        fiscal_measures(d.assign(grants=[-1.0, 0.0]))
    with pytest.raises(ValueError, match=r"revenues is 0 in 1 row"):
        fiscal_measures(d.assign(revenues=[6.0, 0.0], grants=[3.0, 1.0]))


def test_municipalities_measures_and_flypaper():
    import polygov as pg

    m = pg.data.load("municipalities")
    out = fiscal_measures(m)
    assert out.grant_dependence.between(0, 1).all()
    # identity: 1 - VFI = own revenue / spending
    np.testing.assert_allclose(1 - out.vertical_fiscal_imbalance, m.revenues / m.expenditures)
    fp = flypaper(m)
    assert fp.term.tolist() == ["grants", "revenues", "grants - revenues"]
    assert fp.loc[2, "estimate"] == pytest.approx(fp.loc[0, "estimate"] - fp.loc[1, "estimate"])
    # independent check of the difference's SE: reparametrise expenditures ~ g + (g + r)
    from polygov.regression import fit_panel

    alt = fit_panel(m.assign(total=m.grants + m.revenues), y="expenditures",
                    x=["grants", "total"], entity="municipality")
    assert fp.loc[2, "estimate"] == pytest.approx(alt.params["grants"], rel=1e-6)
    assert fp.loc[2, "std_error"] == pytest.approx(alt.std_errors["grants"], rel=1e-6)
    assert np.isfinite(fp[["estimate", "std_error", "p_value"]].to_numpy()).all()


def test_flypaper_vs_statsmodels_dummies():
    """Independent implementation: statsmodels OLS with municipality and year dummies.

    Estimates agree to 1e-8 (pyfixest demeans iteratively), classical SEs to 1e-6
    (relative); clustered SEs after the documented small-sample factor: statsmodels
    counts all K = 2 + 1 + 264 + 8 = 275 dummy-model parameters in (N-1)/(N-K), polygov
    counts the municipality effects nested in the clusters as one, K = 2 + 9 = 11.
    """
    import statsmodels.formula.api as smf

    import polygov as pg

    m = pg.data.load("municipalities")
    model = smf.ols("expenditures ~ grants + revenues + C(municipality) + C(year)", m)
    contrast = "grants - revenues = 0"
    for cov, fit_kw, factor in (
            ("classical", {}, 1.0),
            ("cluster", {"cov_type": "cluster",
                         "cov_kwds": {"groups": pd.factorize(m.municipality)[0]}},
             np.sqrt((len(m) - 275) / (len(m) - 11)))):
        ref = model.fit(**fit_kw)
        assert ref.df_model + 1 == 275
        fp = flypaper(m, cov=cov).set_index("term")
        for t in ("grants", "revenues"):
            assert fp.loc[t, "estimate"] == pytest.approx(ref.params[t], abs=1e-8)
            assert fp.loc[t, "std_error"] == pytest.approx(ref.bse[t] * factor, rel=1e-6)
        tt = ref.t_test(contrast)
        assert fp.loc["grants - revenues", "estimate"] == pytest.approx(
            float(tt.effect[0]), abs=1e-8)
        assert fp.loc["grants - revenues", "std_error"] == pytest.approx(
            float(tt.sd[0, 0]) * factor, rel=1e-6)
        if cov == "classical":  # same t distribution (N - 275 df): same p-value
            assert fp.loc["grants - revenues", "p_value"] == pytest.approx(
                float(tt.pvalue), rel=1e-6, abs=1e-12)
