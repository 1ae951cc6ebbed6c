"""WDI parser on the real API extract (../shared/data/wdi), its JSON layout, and damaged copies.

Reference values
----------------
- wdi/PROVENANCE.md: 7,980 rows = 266 API economies/aggregates x 5 years (2018-2022)
  x 6 series; Namibia's API id is "NA" (30 rows); 626 missing values.
- 217 World Bank economies remain after removing aggregates, all kept (issue
  11; before: 216, CHI was dropped): CHI (Channel Islands) keeps the World
  Bank's code, which polygov.countries knows.
- China's 2022 population (SP.POP.TOTL) 1,412,175,000 = V-Dem v14 e_wb_pop
  (an independent copy of the same WDI series).

The JSON tests build an API v2 response from the CSV's own records (a layout
test: same values, the API's nesting), so both readers must give equal frames.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from polygov.data.parsers import ParseError, wdi

FILE = "wdi/wb_wdi_2024.csv"


@pytest.fixture(scope="module")
def w(shared_data):
    return wdi.parse(shared_data / FILE, edition="bipa-2024")


@pytest.fixture(scope="module")
def raw(shared_data):
    return pd.read_csv(shared_data / FILE, encoding="utf-8-sig", keep_default_na=False,
                       na_values={"value": ["NA"]})


def test_shape_countries_years(w, raw):
    assert len(raw) == 7_980 and raw["value"].isna().sum() == 626
    assert w["iso3"].nunique() == 217 and len(w) == 217 * 5
    assert (w["year"].min(), w["year"].max()) == (2018, 2022)
    assert set(wdi.INDICATOR_NAMES.values()) <= set(w.columns)
    assert not set(w["iso3"]) & (wdi.AGGREGATES | {""})
    assert {"XKX", "NAM", "CHN", "USA", "CHI"} <= set(w["iso3"])
    # every economy row of the file is kept: all non-aggregate records, one per series
    econ = raw[(raw["cty_iso"] != "") & ~raw["cty_iso"].isin(wdi.AGGREGATES)]
    assert len(econ) == len(w) * 6


def test_namibia_kept(w, raw):
    assert (raw["cty_id"] == "NA").sum() == 30
    nam = w[w.iso3 == "NAM"]
    assert len(nam) == 5 and nam["country"].eq("Namibia").all()
    assert nam["population"].notna().all()


def test_known_value_matches_vdem_copy(w):
    chn = w[(w.iso3 == "CHN") & (w.year == 2022)].iloc[0]
    assert chn["population"] == 1_412_175_000
    # per-capita GDP is GDP / population within rounding
    assert chn["gdppc_usd"] == pytest.approx(chn["gdp_usd"] / chn["population"], rel=1e-6)


def _as_api_json(raw: pd.DataFrame, *, pages=1) -> list:
    recs = [{"indicator": {"id": r.ind_id, "value": r.ind_nm},
             "country": {"id": r.cty_id, "value": r.cty_nm}, "countryiso3code": r.cty_iso,
             "date": str(r.date), "value": None if pd.isna(r.value) else r.value,
             "unit": "", "obs_status": "", "decimal": int(r.decimal)} for r in raw.itertuples()]
    meta = {"page": 1, "pages": pages, "per_page": len(recs), "total": len(recs) * pages,
            "sourceid": "2", "lastupdated": "2024-06-06"}
    return [meta, recs]


def test_api_json_layout_equals_csv(raw, w, tmp_path):
    p = tmp_path / "wdi_api.json"
    p.write_text(json.dumps(_as_api_json(raw)), encoding="utf-8")
    j = wdi.parse(p, edition="bipa-2024")
    pd.testing.assert_frame_equal(j, w)


def test_api_json_errors(raw, tmp_path):
    p = tmp_path / "wdi_api.json"
    p.write_text(json.dumps(_as_api_json(raw.head(50), pages=3)))
    with pytest.raises(ParseError, match="page 1 of 3"):
        wdi.parse(p)
    p.write_text(json.dumps(_as_api_json(raw))[:5000])
    with pytest.raises(ParseError, match="not valid JSON.*truncated"):
        wdi.parse(p)
    p.write_text(json.dumps([{"message": [{"id": "120", "key": "Invalid value"}]}]))
    with pytest.raises(ParseError, match="the API returned an error"):
        wdi.parse(p)


def test_csv_corrupted_truncated_wrong_columns(shared_data, tmp_path):
    data = (shared_data / FILE).read_bytes()
    p = tmp_path / "wdi.csv"
    p.write_bytes(data[: len(data) // 2 + 7])
    with pytest.raises(ParseError, match="truncated"):
        wdi.parse(p)
    p.write_bytes(data.replace(b",1185137703650.99,", b",1.185.137.703.650,", 1))
    with pytest.raises(ParseError, match=r"column 'value' has 1 non-numeric value\(s\) \['1.185.137.703.650'\]"):
        wdi.parse(p)
    p.write_bytes(data.replace(b'"cty_iso"', b'"iso"', 1))
    with pytest.raises(ParseError, match=r"\['cty_iso'\] missing"):
        wdi.parse(p)


def test_truncated_at_a_line_break(shared_data, tmp_path):
    # 6 series x 266 economies x 5 years, series after series: a cut at a line break
    lines = (shared_data / FILE).read_bytes().splitlines(keepends=True)
    p = tmp_path / "wdi.csv"
    p.write_bytes(b"".join(lines[: 1 + 1330 * 3 + 700]))  # mid-way through the 4th series
    with pytest.raises(ParseError, match=r"wdi.csv: incomplete WDI extract: series "
                                         r"\['NY.GDP.PCAP.PP.CD'\] have \[700\] of the 266 economies x 5 years"):
        wdi.parse(p, edition="bipa-2024")
    p.write_bytes(b"".join(lines[: 1 + 1330 * 3]))  # after the 3rd series: a complete grid
    with pytest.raises(ParseError, match=r"edition 'bipa-2024' has the series .* but "
                                         r"\['NY.GDP.PCAP.PP.CD', 'NE.CON.GOVT.ZS', 'SP.POP.TOTL'\] are missing"):
        wdi.parse(p, edition="bipa-2024")


def test_wrong_edition(shared_data):
    # the "api" edition requests 1990:2023 (sources.py); this extract has 2018-2022
    with pytest.raises(ParseError, match=r"edition mismatch: WDI edition 'api' covers 1990-2023, "
                                         r"but this file has the years 2018-2022"):
        wdi.parse(shared_data / FILE, edition="api")


def test_editions_match_the_source_registry():
    from urllib.parse import parse_qs, urlsplit

    from polygov.data.sources import SOURCES

    url = urlsplit(SOURCES["wdi"].editions["api"].url)
    series = url.path.rsplit("/", 1)[-1].split(";")
    lo, hi = parse_qs(url.query)["date"][0].split(":")
    assert wdi.EDITIONS["api"] == {"series": tuple(series), "years": (int(lo), int(hi))}
    assert set(wdi.EDITIONS) <= set(SOURCES["wdi"].editions)


def test_unknown_code_dropped_with_warning(raw, tmp_path):
    from polygov.errors import DataQualityWarning

    bad = raw.copy()
    bad.loc[bad.cty_iso == "AFE", "cty_iso"] = "AFX"  # an aggregate code not in AGGREGATES
    p = tmp_path / "wdi.csv"
    bad.to_csv(p, index=False, na_rep="NA")  # the publisher writes missing values as NA
    with pytest.warns(DataQualityWarning, match=r"1 code\(s\) neither a country .* dropped: "
                                                r"\['AFX \(Africa Eastern and Southern\)'\]"):
        out = wdi.parse(p, edition="bipa-2024")
    assert "AFX" not in set(out["iso3"]) and out["iso3"].nunique() == 217


def test_every_value_equals_the_publishers_text(w, shared_data):
    # all 5,940 values of the kept economies equal Python's correctly rounded float of the
    # file's text (pandas' default converter is one ulp off for 3 of them)
    import csv

    inv = {v: k for k, v in wdi.INDICATOR_NAMES.items()}
    with open(shared_data / FILE, newline="", encoding="utf-8-sig") as fh:
        text = {(r["cty_iso"], int(r["date"]), r["ind_id"]): r["value"] for r in csv.DictReader(fh)}
    n = 0
    for r in w.itertuples(index=False):
        for col, code in inv.items():
            raw = text[(r.iso3, r.year, code)]
            v = getattr(r, col)
            assert (raw == "NA" and pd.isna(v)) or v == float(raw), (r.iso3, r.year, code)
            n += raw != "NA"
    assert n == 5_940
