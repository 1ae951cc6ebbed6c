"""polygov.countries: ISO3 harmonisation, exceptions, peer groups."""

import pandas as pd
import pytest

from polygov import countries
from polygov.errors import DataQualityWarning


def test_common_spellings_map_to_iso3():
    names = ["China", "Viet Nam", "Vietnam", "Korea, Rep.", "South Korea", "Russian Federation",
             "Cote d'Ivoire", "Congo, Dem. Rep.", "United States"]
    got = countries.to_iso3(names).tolist()
    assert got == ["CHN", "VNM", "VNM", "KOR", "KOR", "RUS", "CIV", "COD", "USA"]


def test_exceptions_are_applied_and_reported():
    rep = countries.mapping_report(["Central Afr. Rep.", "Serbia and Montenegro", "China"])
    rep = rep.set_index("name")
    assert rep.loc["Central Afr. Rep.", "iso3"] == "CAF"
    assert rep.loc["Serbia and Montenegro", "iso3"] == "SCG"
    assert rep.loc["Serbia and Montenegro", "method"] == "exception"
    assert rep.loc["China", "method"] == "country_converter"


def test_not_country_level_names_are_dropped_with_a_warning():
    with pytest.warns(DataQualityWarning, match="Northern Cyprus"):
        got = countries.to_iso3(["Cyprus", "Northern Cyprus"], errors="coerce")
    assert got.tolist() == ["CYP", None]


def test_unknown_name_raises_naming_it():
    with pytest.raises(KeyError, match="Atlantis"):
        countries.to_iso3(["China", "Atlantis"])


def test_single_string_is_rejected():
    with pytest.raises(TypeError, match="list or Series"):
        countries.to_iso3("China")


def test_series_index_is_preserved():
    s = pd.Series(["China", "India"], index=[10, 20])
    assert countries.to_iso3(s).index.tolist() == [10, 20]


def test_peer_groups():
    assert countries.peer_group("BRICS") == ["BRA", "CHN", "IND", "RUS", "ZAF"]
    g20 = countries.peer_group("g20")
    assert len(g20) == 19 and "CHN" in g20 and "DEU" in g20
    # the G20 countries are a subset of country_converter's G20 classification (which adds EU members)
    table = countries.country_table().set_index("iso3")
    assert table.loc[g20, "g20"].all()
    oecd = countries.peer_group("OECD")
    assert len(oecd) == 38 and "CHN" not in oecd
    eap = countries.peer_group("East Asia & Pacific")
    assert {"CHN", "IDN", "AUS", "FJI"} <= set(eap) and "IND" not in eap


def test_unknown_peer_group():
    with pytest.raises(KeyError, match="unknown peer group 'BRIX'.*available"):
        countries.peer_group("BRIX")


def test_country_names_and_validation():
    assert countries.country_names(["CHN", "SCG"]).tolist() == ["China", "Serbia and Montenegro"]
    with pytest.raises(ValueError, match="unknown country code.*'ZZZ'"):
        countries.country_names(["CHN", "ZZZ"])


def test_income_groups_offline_from_the_bundled_file(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYGOV_CACHE", str(tmp_path))  # an empty cache: nothing fetched
    ig = countries.income_groups()
    assert len(ig) == 218 and ig["iso3"].is_unique
    assert list(ig.columns) == ["iso3", "country", "region", "income_group", "lending_category", "edition"]
    got = ig.set_index("iso3")["income_group"]
    # FY2025 (1 July 2024): values stated in the World Bank's announcement of that date
    assert got["CHN"] == "Upper middle income" and got["RUS"] == "High income"
    assert got["DZA"] == "Upper middle income" and pd.isna(got["VEN"])
    assert "CHI" in got.index  # the Channel Islands are kept
    assert ig["income_group"].value_counts().to_dict() == {
        "High income": 86, "Upper middle income": 54, "Lower middle income": 51, "Low income": 26}


def test_income_groups_fetched_edition_needs_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYGOV_CACHE", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="wb_class"):
        countries.income_groups(edition="current")


def test_unknown_three_letter_code_is_not_taken_as_iso3():
    with pytest.raises(KeyError, match="ZZZ"):
        countries.to_iso3(["ZZZ"])


def test_historical_codes_of_official_parsers_have_names():
    # withdrawn ISO 3166-3 codes: ANT Netherlands Antilles (dissolved 2010), YMD South Yemen (to 1990)
    got = countries.country_names(["ANT", "YMD", "DDR"]).tolist()
    assert got == ["Netherlands Antilles (former)", "South Yemen / Yemen PDR", "East Germany"]


@pytest.mark.parametrize("parser, file, edition", [
    ("wgi", "wgi/2024_update/wgidataset.csv", "2024-csv"),  # same codes as the 2024 xlsx
    ("wgi", "wgi/2023_update/wgidataset.xlsx", "2023"),
    ("wgi", "wgi/2023_update_wdi_bulk/WGIData.csv", "2023-wdi"),
    ("vdem", "vdem/vdemlite_v14_1970-2023.csv", "v14-lite"),
    ("egdi", "egdi/EGOV_DATA_2022.csv", "2022"),
    ("egdi", "egdi/EGOV_DATA_2024.csv", "2024"),
    *[("egdi", f"egdi/unu-egov/egdi-{y}.csv", y) for y in ("2010", "2012", "2014", "2016", "2018")],
    ("hdr", "hdr/HDR23-24_Composite_indices_complete_time_series.csv", "2023-24"),
    ("wdi", "wdi/wb_wdi_2024.csv", "bipa-2024"),
])
def test_every_code_an_official_parser_emits_is_known(shared_data, parser, file, edition):
    import warnings

    from polygov.data.parsers import get_parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        codes = set(get_parser(parser).parse(shared_data / file, edition=edition)["iso3"])
    assert codes - set(countries.country_table()["iso3"]) == set()
    countries.country_names(sorted(codes))  # raises on an unknown code


# UN admission dates (un.org, "Growth in United Nations membership"): Switzerland 10 Sep 2002,
# Timor-Leste 27 Sep 2002, Montenegro 28 Jun 2006, South Sudan 14 Jul 2011; membership 189
# at the end of 2000, 191 at the end of 2002, 192 at the end of 2006, 193 since 2011.
@pytest.mark.parametrize("iso3, admitted", [("SSD", 2011), ("MNE", 2006), ("TLS", 2002),
                                            ("CHE", 2002), ("CHN", 1945)])
def test_un_admission_years(iso3, admitted):
    t = countries.country_table().set_index("iso3")
    assert t.loc[iso3, "un_admission"] == admitted
    assert iso3 not in countries.un_members(before=admitted)
    assert iso3 in countries.un_members(before=admitted + 1)


def test_un_members_counts_and_non_members():
    counts = {y: len(countries.un_members(before=y)) for y in (2001, 2003, 2007, 2012)}
    assert counts == {2001: 189, 2003: 191, 2007: 192, 2012: 193}
    assert len(countries.un_members()) == 193
    t = countries.country_table().set_index("iso3")
    assert t.loc[["TWN", "PSE", "VAT", "CSK"], "un_admission"].isna().all()  # never (or not) members
    assert countries.un_members(before=2012.0) == countries.un_members(before="2012")
    with pytest.raises(TypeError, match="before must be an integer such as 2016"):
        countries.un_members(before="2011x")


def test_known_codes_is_the_one_list_of_codes():
    known = countries.known_codes()
    assert isinstance(known, frozenset)
    assert {"CHN", "XKX", "CSK", "ANT", "YMD"} <= known  # current, World Bank user code, historical
    assert not {"ZZZ", "chn", "SCG "} & known
    assert known == frozenset(countries.country_table()["iso3"])
    with pytest.raises(ValueError, match=r"unknown country code\(s\) in peers: \['ZZZ'\]"):
        countries.validate_iso3(["CHN", "ZZZ"], name="peers")


def test_vdem_units_without_iso_code_keep_vdem_codes():
    got = countries.to_iso3(["Republic of Vietnam", "German Democratic Republic", "South Yemen",
                             "Somaliland", "Zanzibar", "Palestine/Gaza", "Palestine/British Mandate"])
    assert got.tolist() == ["VDR", "DDR", "YMD", "SML", "ZZB", "PSG", "PSB"]
    rep = countries.mapping_report(["Republic of Vietnam"])
    assert rep.loc[0, "method"] == "exception" and "North Vietnam" in rep.loc[0, "note"]
    countries.validate_iso3(["VDR", "PSB", "PSG", "SML", "ZZB", "CHI"])  # known: no error
    assert countries.country_names(["CHI"]).tolist() == ["Channel Islands"]
