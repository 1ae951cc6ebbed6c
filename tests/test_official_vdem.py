"""V-Dem parser on the real v14 subset (../shared/data/vdem) and on damaged copies.

Reference values
----------------
- vdem/PROVENANCE.md: 9,170 rows, 182 country_text_id, 1970-2023. Every row
  is kept (issue 11; before: 9,060, the 110 rows of PSG, ZZB, SML and VDR were
  dropped): those four units keep V-Dem's codes, DDR/YMD/XKX/PSE as before.
  Row counts per year equal the raw file's (read independently with the csv
  module).
- China 2022 (V-Dem v14): v2x_rule 0.244, v2x_corr 0.465, v2xcs_ccsi 0.05.
- China 2022 population e_wb_pop = 1,412,175,000, equal to WDI SP.POP.TOTL in
  the independent WDI extract (checked in test_official_wdi.py).
- Directions: the sign of each variable's correlation with v2x_rule over all
  country-years must equal its documented direction (codebook); threshold |r| > 0.3.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from polygov.data.parsers import ParseError, vdem
from polygov.errors import DataQualityWarning

CSV = "vdem/vdemlite_v14_1970-2023.csv"


@pytest.fixture(scope="module")
def v14(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # nothing dropped, nothing to warn
        return vdem.parse(shared_data / CSV, edition="v14-lite")


@pytest.fixture(scope="module")
def raw_rows(shared_data):
    import csv

    with open(shared_data / CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return pd.DataFrame([(r["country_text_id"], int(r["year"])) for r in rows],
                        columns=["code", "year"])


def test_every_row_kept(v14, raw_rows):
    assert len(raw_rows) == 9_170
    assert len(v14) == len(raw_rows)
    assert v14["vdem_code"].nunique() == raw_rows["code"].nunique() == 182
    per_year = v14.groupby("year").size()
    pd.testing.assert_series_equal(per_year, raw_rows.groupby("year").size(), check_names=False)
    kept = set(zip(v14["vdem_code"], v14["year"], strict=True))
    assert kept == set(zip(raw_rows["code"], raw_rows["year"], strict=True))


def test_shape_codes_and_years(v14):
    assert v14["iso3"].nunique() == 182
    assert (v14["year"].min(), v14["year"].max()) == (1970, 2023)
    assert not v14.duplicated(["iso3", "year"]).any()
    assert {"DDR", "YMD", "XKX", "PSE"} <= set(v14["iso3"])
    units = v14.groupby("iso3").agg(n=("year", "size"), first=("year", "min"), last=("year", "max"))
    # the four units the parser used to drop, with V-Dem's own codes (110 rows in all)
    assert units.loc[["PSG", "SML", "VDR", "ZZB"], "n"].tolist() == [17, 33, 6, 54]
    assert units.loc["VDR", "last"] == 1975 and units.loc["PSG", "first"] == 2007
    assert (v14["iso3"] == v14["vdem_code"]).all()  # every V-Dem code is its own key in v14
    assert v14.attrs["code_mapping"]["VDR"] == "VDR"
    assert v14.loc[v14.iso3 == "DDR", "year"].max() == 1990
    assert set(vdem.REQUIRED) <= set(v14.columns)
    assert (v14["edition"] == "v14-lite").all()


def test_kept_units_are_known_to_countries(v14):
    from polygov import countries

    countries.validate_iso3(v14["iso3"])  # raises on an unknown code
    names = countries.country_names(["VDR", "ZZB", "SML", "PSG"]).tolist()
    assert names == ["South Vietnam", "Zanzibar", "Somaliland", "Palestine/Gaza"]


def test_unit_codes_rules():
    rep = vdem.unit_codes(pd.Series({"CHN": "China", "VDR": "Republic of Vietnam",
                                     "SAU": "Kingdom of Saxony", "QQQ": "Atlantis"}))
    rep = rep.set_index("vdem_code")
    assert rep["rule"].to_dict() == {"CHN": "iso3", "VDR": "exception", "SAU": "clash",
                                     "QQQ": "unknown"}
    assert rep["iso3"].isna().tolist() == [False, False, True, True]


def test_published_values_china(v14):
    row = v14[(v14.iso3 == "CHN") & (v14.year == 2022)].iloc[0]
    assert row["v2x_rule"] == pytest.approx(0.244)
    assert row["v2x_corr"] == pytest.approx(0.465)
    assert row["v2xcs_ccsi"] == pytest.approx(0.05)
    assert row["e_wb_pop"] == 1_412_175_000


@pytest.mark.parametrize("code", [c for c, v in vdem.VARIABLES.items() if v[2] != 0])
def test_documented_direction_matches_data(v14, code):
    r = v14[code].corr(v14["v2x_rule"]) if code != "v2x_rule" else 1.0
    direction = vdem.VARIABLES[code][2]
    assert r * direction > 0.3, f"{code}: r={r:.2f} with v2x_rule, documented direction {direction}"


def test_variables_table():
    t = vdem.variables()
    assert list(t.columns) == ["code", "label", "scale", "direction"]
    assert t.set_index("code").loc["v2x_corr", "direction"] == -1
    assert t.set_index("code").loc["v2csreprss", "direction"] == 1


def test_rda_equals_csv(shared_data, v14):
    pytest.importorskip("pyreadr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        rda = vdem.parse(shared_data / "vdem/vdemlite.rda", edition="v14-lite")
    pd.testing.assert_frame_equal(rda, v14, check_dtype=False)


def test_wrong_edition(shared_data):
    with pytest.raises(ParseError, match=r"edition mismatch: V-Dem .*'v13' should end in 2022"):
        vdem.parse(shared_data / CSV, edition="v13")


def test_missing_variable_and_bad_values(shared_data, tmp_path):
    raw = pd.read_csv(shared_data / CSV, nrows=400)
    p = tmp_path / "vdem.csv"
    raw.drop(columns=["v2x_corr"]).to_csv(p, index=False)
    with pytest.raises(ParseError, match=r"\['v2x_corr'\] missing"):
        vdem.parse(p)
    bad = raw.copy()
    bad.loc[3, "v2x_rule"] = 7.5
    bad.to_csv(p, index=False)
    with pytest.raises(ParseError, match=r"v2x_rule should lie in \[0, 1\].*7\.5"):
        vdem.parse(p)
    bad = raw.astype({"v2xcs_ccsi": object})
    bad.loc[5, "v2xcs_ccsi"] = "0,41"
    bad.to_csv(p, index=False)
    with pytest.raises(ParseError, match=r"column 'v2xcs_ccsi' has 1 non-numeric value\(s\) \['0,41'\]"):
        vdem.parse(p)


def test_truncated_and_not_vdem(shared_data, tmp_path):
    raw = (shared_data / CSV).read_bytes()
    p = tmp_path / "vdem.csv"
    p.write_bytes(raw[:1_000_003])
    with pytest.raises(ParseError, match="truncated"):
        vdem.parse(p)
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ParseError, match="not a V-Dem country-year CSV"):
        vdem.parse(p)


@pytest.mark.parametrize("frac", [0.5, 0.99])
def test_truncated_at_a_line_break(shared_data, tmp_path, frac):
    # a cut at a line break leaves a well-formed CSV; the unit count of the last year
    # (179 in v14, V-Dem Democracy Report 2024) exposes it
    lines = (shared_data / CSV).read_bytes().splitlines(keepends=True)
    p = tmp_path / "vdem.csv"
    p.write_bytes(b"".join(lines[: int(len(lines) * frac)]))
    with pytest.raises(ParseError, match=r"vdem.csv: incomplete V-Dem file: only \d+ unit\(s\) have "
                                         r"data for 2023, .* v14 covers at least 179"):
        vdem.parse(p, edition="v14-lite")


def test_historical_code_clashing_with_iso_is_dropped(shared_data, tmp_path, monkeypatch):
    monkeypatch.setattr(vdem, "UNITS_LAST_YEAR", {})  # a 200-row excerpt: skip the unit count
    monkeypatch.setattr(vdem, "MIN_UNITS_LAST_YEAR", 1)
    raw = pd.read_csv(shared_data / CSV, nrows=200)  # Mexico and Suriname rows
    fake = raw[raw.country_text_id == "MEX"].head(3).assign(country_name="Kingdom of Saxony",
                                                           country_text_id="SAU")
    p = tmp_path / "vdem.csv"
    pd.concat([raw, fake]).to_csv(p, index=False)
    with pytest.warns(DataQualityWarning, match=r"1 unit\(s\) without a polygov country code dropped "
                                                r"\(3 rows\).*clashes: \['SAU \(Kingdom of Saxony: "
                                                r"its name maps to no ISO code\)'\]"):
        out = vdem.parse(p)
    assert "SAU" not in set(out["iso3"]) and "MEX" in set(out["iso3"])
