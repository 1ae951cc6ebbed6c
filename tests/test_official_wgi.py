"""WGI parser on the real World Bank files (../shared/data/wgi) and on damaged copies.

Reference values and tolerances
-------------------------------
- Row counts and coverage: wgi/PROVENANCE.md (2024 Update: 32,100 rows,
  214 economies, 1996-2023; non-missing estimates 1,146 in 1996 and 1,269 in 2023).
- China, rule of law, 2022: 2024 Update estimate -0.0422 and percentile rank
  52.83 (World Bank WGI 2024 Update, as published in wgidataset.xlsx and shown
  rounded to -0.04 / 52.8 in its CSV export); 2023 Update estimate -0.0414.
- The legacy 2023 workbook and DataBank WGIData.csv hold the same update: they
  must agree to 1e-12 (float32-stored values printed to 15 digits).
- 2022 government effectiveness is revised between updates: median |diff|
  0.0006, max 0.095 (PROVENANCE.md).
- The CSV export is the xlsx rounded to 2 dp (estimate) and 1 dp (ranks; Excel
  rounding can differ by 0.1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polygov.data.parsers import ParseError, wgi


@pytest.fixture(scope="module")
def wgi2024(shared_data):
    return wgi.parse(shared_data / "wgi/2024_update/wgidataset.xlsx", edition="2024")


@pytest.fixture(scope="module")
def wgi2024csv(shared_data):
    return wgi.parse(shared_data / "wgi/2024_update/wgidataset.csv", edition="2024-csv")


@pytest.fixture(scope="module")
def wgi2023(shared_data):
    return wgi.parse(shared_data / "wgi/2023_update/wgidataset.xlsx", edition="2023")


@pytest.fixture(scope="module")
def wgi2023wdi(shared_data):
    return wgi.parse(shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv", edition="2023-wdi")


def _cell(df, iso3, year, ind, col="estimate"):
    return df.loc[(df.iso3 == iso3) & (df.year == year) & (df.indicator == ind), col].item()


def test_2024_update_shape_and_coverage(wgi2024):
    assert list(wgi2024.columns) == wgi.COLUMNS
    assert len(wgi2024) == 32_100
    assert wgi2024["iso3"].nunique() == 214
    years = sorted(wgi2024["year"].unique())
    assert years[0] == 1996 and years[-1] == 2023 and len(years) == 25
    assert not {1997, 1999, 2001} & set(years)
    per_year = wgi2024.dropna(subset=["estimate"]).groupby("year").size()
    assert per_year[1996] == 1_146 and per_year[2023] == 1_269
    assert set(wgi2024["indicator"]) == set(wgi.INDICATORS)
    assert (wgi2024["edition"] == "2024").all()
    assert wgi2024[["estimate", "std_error", "n_sources"]].dtypes.eq(float).all()


def test_non_iso_codes_mapped(wgi2024):
    codes = set(wgi2024["iso3"])
    for old, new in wgi.CODE_EXCEPTIONS.items():
        assert old not in codes and new in codes
    assert wgi2024.loc[wgi2024.iso3 == "COD", "country"].iloc[0].startswith("Congo, Dem")
    assert wgi2024["iso3"].str.fullmatch(r"[A-Z]{3}").all()


def test_published_values_china_rule_of_law(wgi2024, wgi2023, wgi2024csv):
    assert _cell(wgi2024, "CHN", 2022, "rl") == pytest.approx(-0.0422, abs=5e-5)
    assert _cell(wgi2024, "CHN", 2022, "rl", "percentile_rank") == pytest.approx(52.83, abs=5e-3)
    assert _cell(wgi2024, "CHN", 2022, "rl", "n_sources") == 10
    assert _cell(wgi2024csv, "CHN", 2022, "rl") == -0.04
    assert _cell(wgi2023, "CHN", 2022, "rl") == pytest.approx(-0.0414, abs=5e-5)


def test_legacy_workbook_equals_databank_layout(wgi2023, wgi2023wdi):
    a = wgi2023.set_index(["iso3", "year", "indicator"]).sort_index()
    b = wgi2023wdi.set_index(["iso3", "year", "indicator"]).sort_index()
    assert a.index.equals(b.index) and len(a) == 214 * 24 * 6
    for col in ["estimate", "std_error", "n_sources", "percentile_rank", "pr_low", "pr_high"]:
        assert (a[col].isna() == b[col].isna()).all(), col
        np.testing.assert_allclose(a[col], b[col], atol=1e-12, equal_nan=True, err_msg=col)


def test_csv_export_is_rounded_xlsx(wgi2024, wgi2024csv):
    a = wgi2024.set_index(["iso3", "year", "indicator"])
    b = wgi2024csv.set_index(["iso3", "year", "indicator"]).loc[a.index]
    assert (a["estimate"].isna() == b["estimate"].isna()).all()
    assert np.nanmax(np.abs(a["estimate"] - b["estimate"])) <= 0.005 + 1e-9
    assert np.nanmax(np.abs(a["percentile_rank"] - b["percentile_rank"])) <= 0.15


def test_vintages_revise_history(wgi2024, wgi2023):
    ge = [d[(d.indicator == "ge") & (d.year == 2022)].set_index("iso3")["estimate"]
          for d in (wgi2023, wgi2024)]
    diff = (ge[1] - ge[0]).abs().dropna()
    assert diff.median() == pytest.approx(0.0006, abs=3e-4)
    assert diff.max() == pytest.approx(0.095, abs=2e-3)


def test_to_wide_refuses_mixed_editions(wgi2024, wgi2023):
    wide = wgi.to_wide(wgi2024)
    assert list(wide.columns) == ["iso3", "year", *wgi.INDICATORS]
    assert len(wide) == 214 * 25
    mixed = pd.concat([wgi2024, wgi2023])
    with pytest.raises(ValueError, match=r"mix editions \['2023', '2024'\]"):
        wgi.to_wide(mixed)


# ------------------------------------------------------------ damaged and wrong files

def test_wrong_edition_refused(shared_data):
    with pytest.raises(ParseError, match="edition mismatch.*'2023'.*run to 2023"):
        wgi.parse(shared_data / "wgi/2024_update/wgidataset.csv", edition="2023")
    with pytest.raises(ParseError, match="edition mismatch.*'2024'.*run to 2022"):
        wgi.parse(shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv", edition="2024")


def test_truncated_csv(shared_data, tmp_path):
    raw = (shared_data / "wgi/2024_update/wgidataset.csv").read_bytes()
    cut = tmp_path / "wgidataset.csv"
    cut.write_bytes(raw[: len(raw) // 2])  # cut mid-row
    with pytest.raises(ParseError, match="truncated"):
        wgi.parse(cut)
    lines = raw.splitlines(keepends=True)
    cut.write_bytes(b"".join(lines[:20_001]))  # cut at a row boundary
    with pytest.raises(ParseError, match="incomplete WGI table.*truncated"):
        wgi.parse(cut)


def test_truncated_long_csv_at_indicator_year_boundary(shared_data, tmp_path):
    # rows run year by year, indicator by indicator (214 economies each): cutting after a
    # whole block leaves equal counts per indicator-year, but va lacks the last year
    lines = (shared_data / "wgi/2024_update/wgidataset.csv").read_bytes().splitlines(keepends=True)
    assert len(lines) == 1 + 214 * 25 * 6
    cut = tmp_path / "wgidataset.csv"
    cut.write_bytes(b"".join(lines[: 1 + 214 * (6 * 10 + 5)]))  # 1996-2008, then 2009 cc..rq
    with pytest.raises(ParseError, match=r"wgidataset.csv: incomplete WGI table: indicator\(s\) "
                                         r"\['va'\] lack year\(s\) \[2009\]"):
        wgi.parse(cut, edition="2024-csv")


@pytest.mark.parametrize("rows, what", [
    (7704 // 2, r"107 economies, but the 2023 Update covers 214"),
    (7704 - 10, r"1 economy\(ies\) lack some of the 36 WGI series, e.g. ZWE lacks \['RL.PER.RNK'"),
])
def test_truncated_databank_at_a_line_break(shared_data, tmp_path, rows, what):
    # WGIData.csv: 36 series rows per economy, 214 economies; cut at a line break
    lines = (shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv").read_bytes().splitlines(keepends=True)
    cut = tmp_path / "WGIData.csv"
    cut.write_bytes(b"".join(lines[: 1 + rows]))
    with pytest.raises(ParseError, match="WGIData.csv: incomplete .*" + what):
        wgi.parse(cut, edition="2023-wdi")


def _databank_rows(shared_data, keep):
    # the real WGIData.csv, keeping the header and the series rows for which keep(code) holds
    lines = (shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv").read_bytes().splitlines(keepends=True)
    return lines[:1] + [ln for ln in lines[1:] if keep(ln.split(b'","')[3].decode())]


def test_databank_subset_export_refused_naming_required_series(shared_data, tmp_path):
    # every economy has the same 6 series (estimates only): a deliberate subset, not a
    # truncation; the panel carries all six measures, so it is refused listing all 36
    sub = tmp_path / "WGIData.csv"
    sub.write_bytes(b"".join(_databank_rows(shared_data, lambda c: c.endswith(".EST"))))
    with pytest.raises(ParseError) as exc:
        wgi.parse(sub, edition="2023-wdi")
    msg = str(exc.value)
    assert "subset DataBank export: every economy has the same 6 of the 36 WGI series" in msg
    assert "truncated" not in msg
    required = [f"{i}.{f}" for i in ("VA", "PV", "GE", "RQ", "RL", "CC")
                for f in ("EST", "STD.ERR", "NO.SRC", "PER.RNK", "PER.RNK.LOWER", "PER.RNK.UPPER")]
    assert all(f"'{s}'" in msg for s in required)
    assert "missing ['VA.STD.ERR', 'VA.NO.SRC'" in msg  # 30 missing, named in order
    # a subset of whole indicators (control of corruption only) is a subset too
    sub.write_bytes(b"".join(_databank_rows(shared_data, lambda c: c.startswith("CC."))))
    with pytest.raises(ParseError, match=r"same 6 of the 36 WGI series; missing \['VA.EST'"):
        wgi.parse(sub, edition="2023-wdi")


def test_databank_inconsistent_subset_is_truncated(shared_data, tmp_path):
    # estimates only, but one economy (AFG, the first) also lacks CC.EST: inconsistent
    rows = _databank_rows(shared_data, lambda c: c.endswith(".EST"))
    assert rows[1].startswith(b'"Afghanistan","AFG","Control of Corruption: Estimate","CC.EST"')
    sub = tmp_path / "WGIData.csv"
    sub.write_bytes(b"".join(rows[:1] + rows[2:]))
    with pytest.raises(ParseError, match=r"1 economy\(ies\) lack some of the 6 WGI series, e.g. "
                                         r"AFG lacks \['CC.EST'\] that other economies have\. "
                                         r"The file is truncated"):
        wgi.parse(sub, edition="2023-wdi")


def test_truncated_xlsx(shared_data, tmp_path):
    raw = (shared_data / "wgi/2024_update/wgidataset.xlsx").read_bytes()
    cut = tmp_path / "wgidataset.xlsx"
    cut.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ParseError, match="truncated or corrupted"):
        wgi.parse(cut)


def test_bad_bytes_and_wrong_columns(shared_data, tmp_path):
    text = (shared_data / "wgi/2024_update/wgidataset.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("CHNrl2022,CHN,China,2022,rl,-0.04",
                                "CHNrl2022,CHN,China,2022,rl,-0;04", 1), encoding="utf-8")
    with pytest.raises(ParseError, match=r"column 'estimate' has 1 non-numeric value\(s\) \['-0;04'\]"):
        wgi.parse(bad)
    bad.write_text(text.replace("pctrankupper", "pct_rank_upper", 1), encoding="utf-8")
    with pytest.raises(ParseError, match=r"column\(s\) \['pctrankupper'\] missing"):
        wgi.parse(bad)
    bad.write_bytes(b"\x00\xff\xfe garbage")
    with pytest.raises(ParseError, match=r"bad.csv: contains NUL bytes.*not a WGI file \(xlsx "
                                         r"workbook or UTF-8 CSV\)"):
        wgi.parse(bad)
    bad.write_bytes(text.encode("utf-16"))  # issue 14: a UTF-16 export
    with pytest.raises(ParseError, match=r"bad.csv: is encoded as UTF-16 \(little-endian\)"):
        wgi.parse(bad)


def test_legacy_missing_sheet(shared_data, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "RuleofLaw"
    ws = wb.active
    ws.append([None, None, 2021, 2021, 2021, 2021, 2021, 2021])
    ws.append(["Country/Territory", "Code", "Estimate", "StdErr", "NumSrc", "Rank", "Lower",
               "Upper"])
    ws.append(["China", "CHN", -0.1, 0.16, 10, 50.0, 40.0, 57.0])
    p = tmp_path / "legacy.xlsx"
    wb.save(p)
    with pytest.raises(ParseError, match=r"lacks the sheet\(s\) for \['va', 'pv', 'ge', 'rq', 'cc'\]"):
        wgi.parse(p)


def _small_long_xlsx(shared_data, path):
    """The 2022-2023 rows of the 2024 Update re-written as a long-layout xlsx ('..' = missing)."""
    import openpyxl

    raw = pd.read_csv(shared_data / "wgi/2024_update/wgidataset.csv", encoding="utf-8-sig",
                      keep_default_na=False, dtype=str)
    raw = raw[raw["year"].isin(["2022", "2023"])]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(raw.columns))
    for row in raw.itertuples(index=False):
        ws.append([v if (v == ".." or i < 5 and i != 3) else float(v) for i, v in enumerate(row)])
    wb.save(path)
    return path


@pytest.mark.parametrize("which", ["long", "legacy"])
def test_xlsx_engines_agree(shared_data, monkeypatch, tmp_path, which):
    # python-calamine (fast path) and openpyxl (fallback) must give identical frames
    pytest.importorskip("python_calamine")
    from polygov.data.parsers import _common

    path = (_small_long_xlsx(shared_data, tmp_path / "long.xlsx") if which == "long"
            else shared_data / "wgi/2023_update/wgidataset.xlsx")
    frames = {}
    for engine in ("calamine", "openpyxl"):
        monkeypatch.setattr(_common, "XLSX_ENGINE", engine)
        frames[engine] = wgi.parse(path)
    assert len(frames["openpyxl"]) == (214 * 2 * 6 if which == "long" else 214 * 24 * 6)
    pd.testing.assert_frame_equal(frames["calamine"], frames["openpyxl"])


def test_databank_values_are_correctly_rounded(shared_data, wgi2023wdi):
    # every value equals Python's (correctly rounded) float of the publisher's text; pandas'
    # default converter lands 172 of these 178,230 long decimals one ulp off
    import csv

    fields = {"EST": "estimate", "STD.ERR": "std_error", "NO.SRC": "n_sources",
              "PER.RNK": "percentile_rank", "PER.RNK.LOWER": "pr_low",
              "PER.RNK.UPPER": "pr_high"}
    with open(shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv", newline="",
              encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    got = wgi2023wdi.set_index(["iso3", "year", "indicator"])
    n = 0
    for r in rows:
        ind, field = r["Indicator Code"].split(".", 1)
        iso = wgi.CODE_EXCEPTIONS.get(r["Country Code"], r["Country Code"])
        for y, v in r.items():
            if y and y.isdigit() and v != "":
                assert got.at[(iso, int(y), ind.lower()), fields[field]] == float(v), (iso, y, ind)
                n += 1
    assert n == 178_230
