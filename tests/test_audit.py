"""Statistical audit: reference implementations pingouin and factor_analyzer.

Tolerance: 1e-6 (the brief), on real data (HFI 2016 legal-system indicators and the
ASEM connectivity pillars) and on simulated data with missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import polygov.audit as au
import polygov.index as pi

LEGAL = ["ef_legal_judicial", "ef_legal_courts", "ef_legal_protection", "ef_legal_integrity",
         "ef_legal_enforcement", "ef_legal_police"]


@pytest.fixture(scope="module")
def legal():
    from polygov.data import load

    return load("hfi").query("year == 2016")[LEGAL].reset_index(drop=True)


@pytest.fixture(scope="module")
def asem(shared_data):
    d = pd.read_csv(shared_data / "asem" / "asem_iData.csv")
    m = pd.read_csv(shared_data / "asem" / "asem_iMeta.csv")
    data, fw = pi.from_coinr(d, m)
    return data, fw


def test_cronbach_alpha_matches_pingouin(legal):
    pg = pytest.importorskip("pingouin")
    ours = au.cronbach_alpha(legal)
    ref, _ = pg.cronbach_alpha(legal)                         # pairwise default
    assert ours.at[0, "alpha_raw"] == pytest.approx(ref, abs=1e-6)
    ours = au.cronbach_alpha(legal, nan_policy="listwise")
    ref, _ = pg.cronbach_alpha(legal, nan_policy="listwise")
    assert ours.at[0, "alpha_raw"] == pytest.approx(ref, abs=1e-6)
    # standardised alpha = raw alpha of z-scored items (complete cases)
    z = legal.dropna()
    z = (z - z.mean()) / z.std()
    ref_std, _ = pg.cronbach_alpha(z)
    assert ours.at[0, "alpha_std"] == pytest.approx(ref_std, abs=1e-6)


def test_kmo_and_bartlett_match_factor_analyzer(legal, asem):
    fa = pytest.importorskip("factor_analyzer")
    data, fw = asem
    blocks = [legal.dropna(), data[list(fw.children("P2P"))].dropna()]
    for x in blocks:
        per, overall = fa.calculate_kmo(x)
        ours = au.kmo(x)
        np.testing.assert_allclose(ours["kmo"].iloc[:-1], per, atol=1e-6)
        assert ours.at["overall", "kmo"] == pytest.approx(overall, abs=1e-6)
        stat, p = fa.calculate_bartlett_sphericity(x)
        b = au.bartlett(x)
        assert b.at[0, "statistic"] == pytest.approx(stat, abs=1e-6)
        assert b.at[0, "p_value"] == pytest.approx(p, abs=1e-6)
        assert b.at[0, "df"] == x.shape[1] * (x.shape[1] - 1) / 2


def test_pca_variance(legal):
    x = legal.dropna()
    pv = au.pca_variance(x)
    ev = np.linalg.eigvalsh(x.corr())[::-1]
    np.testing.assert_allclose(pv["eigenvalue"], ev, atol=1e-10)
    assert pv["cumulative"].iloc[-1] == pytest.approx(1)
    assert pv["variance_share"].iloc[0] > 0.5        # one dominant "rule of law" factor


def test_describe_flags_coinr_rule(rng):
    x = pd.DataFrame({"ok": rng.normal(size=50), "skewed": np.r_[rng.normal(size=49), 40.0]})
    x.loc[3, "ok"] = np.nan
    d = au.describe(x)
    assert d.at["skewed", "outlier_flag"] and not d.at["ok", "outlier_flag"]
    assert d.at["ok", "n_missing"] == 1 and d.at["ok", "availability"] == pytest.approx(0.98)
    assert list(d.columns[:4]) == ["n", "n_missing", "availability", "mean"]


def test_audit_of_asem(asem):
    data, fw = asem
    res = pi.build(pi.IndexSpec(fw), data)
    a = au.audit(res)
    assert set(a) == {"describe", "availability", "blocks", "components", "correlations", "pca"}
    comp = a["components"]
    # TBTs (technical barriers to trade) correlates negatively with its pillar in the ASEM data
    assert comp.set_index("code").at["TBTs", "flag"] == "negative"
    assert (comp.query("flag == 'negative'")["r_parent"] < 0).all()
    blocks = a["blocks"].set_index("code")
    assert blocks.loc["ConEcFin", "alpha_std"] > 0.8
    av = a["availability"]
    assert av.shape == (51, 1 + len(fw.aggregates)) and av["all"].between(0, 1).all()
    cm = au.correlation_matrix(res, levels=(1, 2), within="Conn")
    assert "Physical" in cm.columns and "LPI" in cm.columns and "Social" not in cm.columns


def test_errors_named():
    with pytest.raises(ValueError, match="more complete rows"):
        au.kmo(pd.DataFrame({"a": [1.0, 2], "b": [2.0, 1], "c": [1.0, 1]}))
    with pytest.raises(KeyError, match="'zz'"):
        au.cronbach_alpha(pd.DataFrame({"a": [1.0, 2]}), columns=["a", "zz"])
    with pytest.raises(ValueError, match="nan_policy"):
        au.cronbach_alpha(pd.DataFrame({"a": [1.0, 2], "b": [1.0, 3]}), nan_policy="drop")


@pytest.fixture
def three(rng):
    return pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])


@pytest.mark.parametrize("f", [au.kmo, au.bartlett, au.pca_variance])
def test_constant_column_named(three, f):
    # was: bare LinAlgError from kmo()/pca_variance(), NaN statistic from bartlett()
    with pytest.raises(ValueError, match=r"column\(s\) 'c' have zero variance.*1\.0"):
        f(three.assign(c=1.0))
    if f is au.pca_variance:
        with pytest.raises(ValueError, match=r"'c' have zero variance"):
            f(three.assign(c=1.0), nan_policy="pairwise")


@pytest.mark.parametrize("f", [au.kmo, au.bartlett])
def test_collinear_columns_named(three, f):
    # was: pinv-based KMO values and a huge Bartlett statistic with p = 0, silently
    with pytest.raises(ValueError, match=r"singular.*'a', 'b', 'c' are exactly collinear"):
        f(three.assign(c=2 * three.a - three.b))
    with pytest.raises(ValueError, match=r"singular.*'a', 'c' are exactly collinear"):
        f(three.assign(c=three.a).assign(d=np.arange(30.0) ** 2))


def test_pca_collinear_is_a_zero_eigenvalue(three):
    # a singular matrix is a valid PCA input: numpy's eigenvalues of the correlation matrix
    x = three.assign(c=2 * three.a - three.b)
    ev = au.pca_variance(x)["eigenvalue"].to_numpy()
    ref = np.sort(np.linalg.eigvalsh(np.corrcoef(x.to_numpy(), rowvar=False)))[::-1]
    np.testing.assert_allclose(ev, ref, atol=1e-12)
    assert abs(ev[-1]) < 1e-12
