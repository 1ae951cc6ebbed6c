"""Tests for polygov.monitor: inputs, changes, decision rules, episodes, ERT, report, CLI.

Reference values and tolerances
-------------------------------
- BH q-values: identical (1e-12) to statsmodels' ``multipletests(method="fdr_bh")``.
- Changes: hand-computed from two published WGI rows (exact to 1e-12).
- ERT comparison on the official ERT v15 file (shared_data): Cohen's kappa between
  the monitor's confirmed episodes and ERT's autocratization episodes > 0.5, and
  every ERT episode deeper than 0.3 (e.g. Hungary 2006-2024) is also the monitor's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import polygov.monitor as mon
from polygov.cli import main

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def wgi_wide(shared_data):
    """The WGI 2024 Update in the schema of pg.data.load('wgi') (wide iso3-year)."""
    from polygov.data.parsers import wgi

    long = wgi.parse(shared_data / "wgi" / "2024_update" / "wgidataset.xlsx")
    vals = ["estimate", "std_error", "n_sources", "percentile_rank", "pr_low", "pr_high"]
    w = long.pivot_table(index=["iso3", "year"], columns="indicator", values=vals, dropna=False)
    w.columns = [f"{ind}_{v}" for v, ind in w.columns]
    return w.reset_index()


@pytest.fixture(scope="module")
def ert(shared_data):
    """ERT v15 in the schema of pg.data.load('vdem_ert') (V-Dem names plus iso3, year)."""
    e = pd.read_csv(shared_data / "vdem" / "ert_v15" / "ert.csv", low_memory=False)
    return e.rename(columns={"country_text_id": "iso3"}).drop(columns=[e.columns[0]])


def _toy_panel():
    rows = []
    for iso, path in {"AAA": [0.0, -0.5, -1.0, -1.5, -2.0, -2.0], "BBB": [0.0, 0.1, 0.0, 0.1, 0.0, 0.1],
                      "CCC": [1.0, 1.0, 1.0, 0.2, 0.2, 1.0]}.items():
        for t, v in enumerate(path):
            rows.append((iso, "x", 2000 + t, v, 0.1))
    return pd.DataFrame(rows, columns=mon.PANEL_COLUMNS)


# --------------------------------------------------------------------------- inputs


def test_from_std_error_and_interval_agree():
    d = pd.DataFrame({"iso3": ["A", "A", "B"], "year": [2000, 2001, 2000], "e": [0.1, 0.2, 0.3],
                      "s": [0.2, 0.2, 0.4]})
    p1 = mon.from_std_error(d, columns={"x": ("e", "s")})
    z = stats.norm.ppf(0.84)
    d2 = d.assign(lo=d.e - z * d.s, hi=d.e + z * d.s)
    p2 = mon.from_interval(d2, columns={"x": ("e", "lo", "hi")}, coverage=0.68)
    pd.testing.assert_frame_equal(p1, p2)
    assert list(p1.columns) == mon.PANEL_COLUMNS


def test_from_draws_mean_and_sd(rng):
    draws = pd.DataFrame({"iso3": "A", "year": np.repeat([2000, 2001], 500), "draw": np.tile(range(500), 2),
                          "value": np.r_[rng.normal(1, 0.5, 500), rng.normal(0, 0.2, 500)]})
    p = mon.from_draws(draws)
    assert p["indicator"].unique().tolist() == ["value"]
    np.testing.assert_allclose(p["std_error"], draws.groupby("year")["value"].std(), rtol=1e-12)


def test_from_ucm_uses_posterior(rng):
    import polygov.latent as lt

    n = 60
    g = rng.standard_normal((n, 2))
    rows = []
    for t in range(2):
        for i in range(n):
            rows.append({"iso3": f"C{i:02d}", "year": 2000 + t,
                         **{f"s{k}": g[i, t] + rng.normal(0, 0.5) for k in range(3)}})
    res = lt.ucm(pd.DataFrame(rows), sources=["s0", "s1", "s2"], pooled=True)
    p = mon.from_ucm(res, indicator="gov")
    assert len(p) == 2 * n and set(p["indicator"]) == {"gov"}
    np.testing.assert_allclose(np.sort(p["std_error"]), np.sort(res.scores["std_error"]))


def test_input_errors():
    d = pd.DataFrame({"iso3": ["A"], "year": [2000], "e": [0.1], "s": [-0.2]})
    with pytest.raises(ValueError, match="standard errors must be positive"):
        mon.from_std_error(d, columns={"x": ("e", "s")})
    with pytest.raises(KeyError, match="nope"):
        mon.from_std_error(d, columns={"x": ("e", "nope")})
    with pytest.raises(TypeError, match="pair"):
        mon.from_std_error(d, columns={"x": "e"})
    with pytest.raises(ValueError, match="coverage"):
        mon.from_interval(d, columns={"x": ("e", "e", "s")}, coverage=68)
    with pytest.raises(KeyError, match="unknown source 'wgj'.*Did you mean 'wgi'"):
        mon.load_source("wgj", data=d)
    with pytest.raises(KeyError, match=r"unknown indicator\(s\) \['gee'\].*available"):
        mon.load_source("wgi", indicators=["gee"], data=d)
    with pytest.raises(TypeError, match="UCMResult"):
        mon.from_ucm(d)


# --------------------------------------------------------------------------- changes and rules


def test_changes_by_hand():
    p = _toy_panel()
    ch = mon.changes(p, windows=[1, 3])
    r = ch.query("iso3 == 'AAA' and window == 3 and year == 2004").iloc[0]
    assert r["estimate"] == pytest.approx(-1.5, abs=1e-12)
    assert r["std_error"] == pytest.approx(np.sqrt(0.02), abs=1e-12)
    assert r["prob_decline"] == pytest.approx(stats.norm.cdf(1.5 / np.sqrt(0.02)), abs=1e-12)
    assert r["p_value"] + r["prob_decline"] == pytest.approx(1.0)
    # counts: 3 units, 6 years -> 5 one-year and 3 three-year changes each
    assert (ch["window"] == 1).sum() == 15 and (ch["window"] == 3).sum() == 9
    # rho narrows the SE
    ch2 = mon.changes(p, windows=[1], rho=0.5)
    assert (ch2["std_error"] < ch.loc[ch.window == 1, "std_error"].to_numpy()).all()


def test_changes_are_pure_and_deterministic():
    p = _toy_panel()
    before = p.copy()
    a = mon.changes(p)
    b = mon.changes(p)
    pd.testing.assert_frame_equal(p, before)
    pd.testing.assert_frame_equal(a, b)


def test_changes_errors():
    with pytest.raises(ValueError, match="windows must be positive integers"):
        mon.changes(_toy_panel(), windows=[0])
    with pytest.raises(ValueError, match="rho must be in"):
        mon.changes(_toy_panel(), rho=1.0)
    with pytest.raises(KeyError, match="std_error"):
        mon.changes(_toy_panel().drop(columns="std_error"))


def test_bh_matches_statsmodels(rng):
    from statsmodels.stats.multitest import multipletests

    p = rng.uniform(size=500) ** 3
    g = rng.integers(0, 4, 500)
    q = mon.bh_qvalues(p, g)
    for k in range(4):
        ref = multipletests(p[g == k], method="fdr_bh")[1]
        np.testing.assert_allclose(q[g == k], ref, atol=1e-12)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mon.bh_qvalues([0.1, 1.2])


def test_rules_one_sided_and_ordered():
    ch = mon.changes(_toy_panel(), windows=[1, 3])
    f = {r: mon.flag_declines(ch, rule=r) for r in mon.RULES}
    for r, out in f.items():
        assert not out.loc[out["estimate"] >= 0, "flagged"].any(), r  # increases never flagged
    # AAA falls 0.5 a year with SE 0.14: every rule flags it; BBB's wiggles: none does
    for out in f.values():
        assert out.query("iso3 == 'AAA' and window == 1 and year <= 2004")["flagged"].all()
        assert not out.query("iso3 == 'BBB'")["flagged"].any()
    # non-overlap is stricter than the unadjusted one-sided test
    assert (f["non_overlap"]["flagged"] <= f["unadjusted"]["flagged"]).all()
    with pytest.raises(ValueError, match="unknown rule 'fdrr'"):
        mon.flag_declines(ch, rule="fdrr")


def test_non_overlap_is_fixed_cut_at_2_33():
    # equal SEs: non-overlap of 90% intervals <=> z < -2 * 1.645 / sqrt(2)
    z = np.linspace(-4, 0, 401)
    ch = pd.DataFrame({"estimate": z * np.sqrt(2), "p_value": stats.norm.cdf(z), "level_from": 0.0,
                       "level_to": z * np.sqrt(2), "se_from": 1.0, "se_to": 1.0, "window": 1, "year": 2000})
    f = mon.flag_declines(ch, rule="non_overlap")
    cut = -2 * stats.norm.ppf(0.95) / np.sqrt(2)
    assert cut == pytest.approx(-2.326, abs=1e-3)
    np.testing.assert_array_equal(f["flagged"].to_numpy(), z < cut)


# --------------------------------------------------------------------------- episodes


def test_episodes_rules():
    ep = mon.episodes(_toy_panel(), p_onset=0.6, tolerance=1, q=0.10)
    a = ep.query("iso3 == 'AAA'").iloc[0]
    assert (a["start"], a["end"], a["pre_year"]) == (2001, 2004, 2000)
    assert a["depth"] == pytest.approx(2.0) and bool(a["confirmed"]) and bool(a["censored"])
    c = ep.query("iso3 == 'CCC'").iloc[0]
    assert (c["start"], c["end"]) == (2003, 2003) and not bool(c["censored"])
    assert ep.query("iso3 == 'BBB'")["confirmed"].sum() == 0
    yrs = mon.episode_years(ep)
    assert set(yrs.query("iso3 == 'AAA'")["year"]) == {2001, 2002, 2003, 2004}
    # a min_depth above the fall rejects it
    assert not mon.episodes(_toy_panel(), min_depth=2.5)["confirmed"].any()
    with pytest.raises(ValueError, match="tolerance must be a non-negative integer"):
        mon.episodes(_toy_panel(), tolerance=-1)


# --------------------------------------------------------------------------- real data


def test_wgi_monitor_runs_on_the_world(wgi_wide):
    panel = mon.load_source("wgi", data=wgi_wide)
    assert set(panel["indicator"]) == set(mon.WGI_DIMENSIONS)
    flags = mon.scan(panel)
    assert set(flags["window"]) == {1, 3, 5}
    # the WGI's biennial years: no one-year change ends in 1998, 2000 or 2002
    assert not flags.query("window == 1")["year"].isin([1998, 2000, 2002]).any()
    # a published change: China, government effectiveness 2022 -> 2023
    w = wgi_wide.set_index(["iso3", "year"])
    r = flags.query("iso3 == 'CHN' and indicator == 'ge' and window == 1 and year == 2023").iloc[0]
    assert r["estimate"] == pytest.approx(w.loc[("CHN", 2023), "ge_estimate"] - w.loc[("CHN", 2022), "ge_estimate"])
    # the FDR rule flags fewer than the unadjusted one, and only declines
    un = mon.scan(panel, rule="unadjusted")
    assert 0 < flags["flagged"].sum() < un["flagged"].sum()
    # Myanmar after the 2021 coup: a flagged 3-year fall in voice and accountability
    assert flags.query("iso3 == 'MMR' and indicator == 'va' and window == 3 and year == 2023")["flagged"].all()


def test_ert_comparison(ert):
    panel = mon.load_source("vdem_ert", data=ert)
    ep = mon.episodes(panel)
    cmp = mon.compare_ert(ep, ert, panel)
    a = cmp.agreement.set_index("status")["country_years"]
    assert a.sum() == len(panel)
    assert a["both"] > a["monitor only"] and a["both"] > a["ERT only"]
    assert cmp.kappa > 0.5
    # the deep, well-known autocratisations are found by both
    for iso, year in [("HUN", 2015), ("VEN", 2005), ("TUR", 2016), ("NIC", 2010)]:
        yrs = mon.episode_years(ep).query("iso3 == @iso")["year"]
        assert year in set(yrs), iso
    assert set(cmp.cases["source"]) <= {"ERT", "monitor"}
    assert cmp.cases["reason"].str.len().gt(10).all()
    assert "kappa" in repr(cmp)


# --------------------------------------------------------------------------- report and CLI


def test_report_writes_self_contained_html(wgi_wide, tmp_path):
    path = mon.write_report("wgi", "CHN", tmp_path, data=wgi_wide, indicators=["ge", "va"], progress=False)
    html = path.read_text()
    assert path.name == "monitor_wgi_CHN.html"
    assert html.count("data:image/png;base64,") >= 5
    for part in ("Trajectories", "Flagged declines", "Peer comparison (China peers)", "World overview",
                 "Provenance"):
        assert part in html
    assert "http://" not in html and "https://" not in html.replace("https://www", "")


def test_report_errors(wgi_wide, tmp_path):
    with pytest.raises(KeyError, match="unknown country 'CHM' for source 'wgi'.*Did you mean 'KHM'"):
        mon.write_report("wgi", "CHM", tmp_path, data=wgi_wide, progress=False)
    with pytest.raises(KeyError, match="unknown indicator"):
        mon.write_report("wgi", "CHN", tmp_path, data=wgi_wide, indicators=["xx"], progress=False)


def test_cli_unknown_source(capsys, tmp_path):
    rc = main(["monitor", "report", "--source", "wgj", "--country", "CHN", "--out", str(tmp_path), "--quiet"])
    assert rc == 2
    assert "unknown source 'wgj'" in capsys.readouterr().err


def test_cli_help_lists_monitor(capsys):
    with pytest.raises(SystemExit):
        main(["monitor", "report", "--help"])
    out = capsys.readouterr().out
    assert "--country" in out and "wgi" in out


# --------------------------------------------------------------------------- plots


def test_monitor_plots_return_axes():
    from polygov.plots import monitor as pm

    p = _toy_panel()
    flags = mon.scan(p, windows=[1])
    ax = pm.trajectory_plot(p, iso3=["AAA", "BBB"], indicator="x", flags=flags, names=False)
    assert ax.get_ylabel().startswith("x") and len(ax.lines) == 2
    ax = pm.peer_change_plot(flags, indicator="x", window=1, year=2002, names=False)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "AAA"  # sorted, largest fall first
    ax = pm.flag_overview_plot(flags, window=1)
    assert len(ax.patches) == 1
    with pytest.raises(KeyError, match="indicator 'y' is not in data"):
        pm.trajectory_plot(p, iso3="AAA", indicator="y")
    with pytest.raises(KeyError, match=r"no rows for \['ZZZ'\]"):
        pm.trajectory_plot(p, iso3="ZZZ", indicator="x")
