"""UN E-Government Survey parser on the real files (../shared/data/egdi) and damaged copies.

Reference values
----------------
- egdi/PROVENANCE.md: 193 UN member states in every edition; EGDI =
  mean(OSI, HCI, TII) within 7e-5 (2022) and 4e-5 (2024); UNU 2010 has hci
  missing for 10 countries.
- Published (UN E-Government Survey 2022, Table of EGDI): Denmark first with
  EGDI 0.9717; Republic of Korea third with 0.9529. Survey 2024: Denmark first.
- Independent name check: for 2010-2018 UNU-EGOV publishes ISO3 codes; mapping
  its country names through polygov gives exactly those codes.
"""

from __future__ import annotations

import pandas as pd
import pytest

from polygov.data.parsers import ParseError, egdi
from polygov.data.parsers._common import names_to_iso3

UNU_YEARS = (2010, 2012, 2014, 2016, 2018)


@pytest.fixture(scope="module")
def editions(shared_data):
    out = {y: egdi.parse(shared_data / f"egdi/unu-egov/egdi-{y}.csv", edition=str(y))
           for y in UNU_YEARS}
    out[2022] = egdi.parse(shared_data / "egdi/EGOV_DATA_2022.csv", edition="2022")
    out[2024] = egdi.parse(shared_data / "egdi/EGOV_DATA_2024.csv", edition="2024")
    return out


def test_every_edition_has_193_states(editions):
    for year, df in editions.items():
        assert list(df.columns) == egdi.COLUMNS
        assert len(df) == 193 and df["iso3"].nunique() == 193, year
        assert (df["year"] == year).all()
    assert editions[2010]["hci"].isna().sum() == 10
    sets = {y: frozenset(d["iso3"]) for y, d in editions.items()}
    assert len(set(sets.values())) == 1  # the same 193 states in every edition


def test_published_values_2022_2024(editions):
    e22 = editions[2022].set_index("iso3")
    assert e22.loc["DNK", "egdi"] == pytest.approx(0.9717) and e22.loc["DNK", "egdi_rank"] == 1
    assert e22.loc["KOR", "egdi"] == pytest.approx(0.9529) and e22.loc["KOR", "egdi_rank"] == 3
    assert editions[2024].set_index("iso3").loc["DNK", "egdi_rank"] == 1


@pytest.mark.parametrize("year,tol", [(2022, 7e-5), (2024, 4e-5)])
def test_egdi_is_mean_of_components(editions, year, tol):
    d = editions[year]
    assert (d[["osi", "hci", "tii"]].mean(axis=1) - d["egdi"]).abs().max() <= tol


def test_name_mapping_reproduces_unu_codes(shared_data):
    for y in UNU_YEARS:
        raw = pd.read_csv(shared_data / f"egdi/unu-egov/egdi-{y}.csv")
        iso, _ = names_to_iso3(raw["country-name"].str.strip(), egdi.NAME_EXCEPTIONS)
        assert (iso == raw["country-code"]).all(), raw.loc[iso != raw["country-code"]]


def test_official_names_stripped_and_exceptions_used(editions):
    e22 = editions[2022]
    assert not e22["country"].str.endswith(" ").any()
    assert e22.set_index("iso3").loc["GEO", "country"] == "Georgia (Country)"
    assert e22.attrs["name_exceptions_used"]["Türkiye"] == "TUR"


def test_stack_and_duplicate_edition(editions):
    panel = egdi.stack(list(editions.values()))
    assert len(panel) == 193 * 7 and not panel.duplicated(["iso3", "year"]).any()
    with pytest.raises(ValueError, match=r"survey year\(s\) \[2022\] appear in more than one"):
        egdi.stack([editions[2022], editions[2022]])


def test_wrong_edition_and_missing_year(shared_data, tmp_path):
    with pytest.raises(ParseError, match="edition '2024' requested but the file is the 2022 Survey"):
        egdi.parse(shared_data / "egdi/EGOV_DATA_2022.csv", edition="2024")
    p = tmp_path / "unu.csv"
    p.write_bytes((shared_data / "egdi/unu-egov/egdi-2014.csv").read_bytes())
    with pytest.raises(ParseError, match="pass edition='<year>'"):
        egdi.parse(p)


def test_truncated_corrupted_wrong_columns(shared_data, tmp_path):
    raw = (shared_data / "egdi/EGOV_DATA_2022.csv").read_bytes()
    p = tmp_path / "EGOV_DATA_2022.csv"
    p.write_bytes(raw[: len(raw) // 2])  # cut mid-row
    with pytest.raises(ParseError, match="truncated"):
        egdi.parse(p)
    p.write_bytes(b"\r\n".join(raw.split(b"\r\n")[:60]) + b"\r\n")  # cut at a row boundary
    with pytest.raises(ParseError, match="incomplete Survey file: 59 countries, 134 UN member.*truncated"):
        egdi.parse(p)
    p.write_bytes(raw.replace(b"0.85670", b"0.8S670", 1))
    with pytest.raises(ParseError, match=r"column 'egdi' has 1 non-numeric value\(s\) \['0.8S670'\]"):
        egdi.parse(p)
    p.write_bytes(raw.replace(b"0.85670", b"85.670", 1))
    with pytest.raises(ParseError, match=r"egdi must lie in \[0, 1\]"):
        egdi.parse(p)
    p.write_bytes(raw.replace(b"Online Service Index", b"OSI", 1))
    with pytest.raises(ParseError, match=r"\['Online Service Index'\] missing"):
        egdi.parse(p)
    p.write_bytes(raw.replace(b'"Ireland "', b'"Atlantis "', 1))
    with pytest.raises(ParseError, match=r"could not be mapped to ISO3: \['Atlantis'\]"):
        egdi.parse(p)


@pytest.mark.parametrize("file, edition", [("egdi/EGOV_DATA_2024.csv", "2024"),
                                           ("egdi/unu-egov/egdi-2018.csv", "2018")])
def test_truncated_at_a_line_break_names_missing_states(shared_data, tmp_path, file, edition):
    # 193 rows (UN member states) in alphabetical order; 90% of the lines keeps 173
    lines = (shared_data / file).read_bytes().splitlines(keepends=True)
    p = tmp_path / f"egdi-{edition}.csv"
    p.write_bytes(b"".join(lines[: int(len(lines) * 0.9)]))
    with pytest.raises(ParseError, match=r"incomplete Survey file: 173 countries, 20 UN member "
                                         r"state\(s\) missing: \['KNA', 'LCA'.*St. Kitts and Nevis"):
        egdi.parse(p, edition=edition)


def test_required_members_match_the_real_surveys(editions):
    # the states a survey must cover (admitted to the UN before the survey year, from
    # country_converter) are exactly those with an EGDI in each real file: 192 in 2010
    # (UNU's 2010 file lists South Sudan with every value empty), 193 from 2012
    from polygov.countries import un_members

    for year, df in editions.items():
        scored = set(df.loc[df["egdi"].notna(), "iso3"])
        assert set(un_members(before=year)) == scored, year
    assert len(un_members(before=2010)) == 192


def test_south_sudan_not_required_before_it_joined(shared_data, tmp_path):
    # South Sudan joined the UN in July 2011: a 2010 Survey without it is complete
    raw = pd.read_csv(shared_data / "egdi/unu-egov/egdi-2010.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "egdi-2010.csv"
    raw[raw["country-code"] != "SSD"].to_csv(p, index=False)
    assert len(egdi.parse(p, edition="2010")) == 192
    p = tmp_path / "egdi-2012.csv"
    raw[raw["country-code"] != "SSD"].to_csv(p, index=False)
    with pytest.raises(ParseError, match=r"missing: \['SSD'\] \(South Sudan\)"):
        egdi.parse(p, edition="2012")


OFFICIAL = "egdi/official_2003_2024"
SURVEYS = (2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024)


@pytest.fixture(scope="module")
def official(shared_data):
    import warnings

    from polygov.errors import DataQualityWarning

    out = {}
    for y in SURVEYS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out[y] = egdi.parse(shared_data / f"{OFFICIAL}/EGOV_DATA_{y}.csv", edition=str(y))
        out[y].attrs["warnings"] = [str(w.message) for w in caught
                                    if issubclass(w.category, DataQualityWarning)]
    return out


def test_every_official_edition_keeps_every_row(shared_data, official):
    import csv

    for y, df in official.items():
        with open(shared_data / f"{OFFICIAL}/EGOV_DATA_{y}.csv", newline="", encoding="utf-8") as fh:
            n_raw = sum(1 for _ in csv.DictReader(fh))  # independent read
        assert len(df) == n_raw == 193, y
        assert df["iso3"].nunique() == 193 and (df["year"] == y).all()


def test_2003_hci_above_one_kept_and_flagged(official):
    d = official[2003].set_index("iso3")
    assert d.loc["FSM", "hci"] == 1.422 and d.loc["TUV", "hci"] == 1.03
    assert d.loc["FSM", "flag"] == "hci=1.422 > 1 as published"
    assert d["flag"].notna().sum() == 2
    assert [(f["iso3"], f["column"]) for f in official[2003].attrs["flags"]] == [("FSM", "hci"),
                                                                              ("TUV", "hci")]
    assert official[2003].attrs["warnings"] == [
        "E-Government Survey 2003: 2 value(s) outside [0, 1] kept and flagged (column 'flag'): "
        "FSM hci=1.422, TUV hci=1.03"]
    for y in SURVEYS[1:]:
        assert official[y]["flag"].isna().all() and not official[y].attrs["warnings"], y
    panel = egdi.stack(list(official.values()))
    assert len(panel) == 193 * 12 and len(panel.attrs["flags"]) == 2


def test_official_copies_agree_with_the_other_files(editions, official):
    # the 2022 and 2024 Data Center files held separately, and UNU-EGOV's 2010-2018 files
    cols = ["egdi", "osi", "hci", "tii", "epi"]
    for y in (2010, 2012, 2014, 2016, 2018, 2022, 2024):
        a = official[y].set_index("iso3")[cols]
        b = editions[y].set_index("iso3")[cols].loc[a.index]
        both = a.notna() & b.notna()
        assert ((a - b).abs()[both].max().max()) <= 1e-12, y  # equal (float repr) where both have one
        assert both.sum().sum() >= 949, y  # 965 cells; UNU 2010 lacks SSD, 10 hci, 3 tii


def test_unknown_out_of_range_refused_or_flagged(shared_data, tmp_path):
    raw = (shared_data / f"{OFFICIAL}/EGOV_DATA_2004.csv").read_bytes()
    i = raw.index(b'"Ireland ",')
    line = raw[i:raw.index(b"\n", i)]
    hci = line.split(b",")[5]
    p = tmp_path / "EGOV_DATA_2004.csv"
    p.write_bytes(raw.replace(line, line.replace(b"," + hci + b",", b",1.5,", 1)))
    with pytest.raises(ParseError, match=r"hci must lie in \[0, 1\]; 1 value\(s\) outside.*"
                                         r"out_of_range='flag'"):
        egdi.parse(p)
    from polygov.errors import DataQualityWarning

    with pytest.warns(DataQualityWarning, match=r"IRL hci=1.5"):
        d = egdi.parse(p, out_of_range="flag").set_index("iso3")
    assert d.loc["IRL", "flag"] == "hci=1.5 > 1 not a known published value"
    with pytest.raises(ValueError, match="out_of_range must be 'raise' or 'flag', got 'keep'"):
        egdi.parse(p, out_of_range="keep")
