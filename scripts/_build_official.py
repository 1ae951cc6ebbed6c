"""Builders of the bundled extracts of the standard governance sources (issue 11).

Used by ``scripts/build_data.py``; not part of the library.  Each ``build_<name>``
takes a :class:`Sources` (where the publishers' files are) and the output folder
and returns the dataset's ``datapackage.json`` resource.  Every source file is
checked against a pinned sha256 before it is read (:data:`PINNED`, which must
agree with ``polygov.data.sources`` wherever that registry pins the same file).

Readers here are deliberately plain: every row of every publisher's file is
kept (the V-Dem parser of polygov 0.x dropped 110 rows of units without an ISO
code, the CLASS parser dropped the Channel Islands, the EGDI parser refused the
2003 edition for its HCI values above 1).  ``ert.csv`` and the V-Dem v16
codebook are read directly here because polygov has no parser for them yet
(``polygov.data.parsers.vdem_ert`` / ``vdem_codebook`` are being written).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from polygov import countries
from polygov.data.parsers._common import CSV_EXACT_FLOATS

# --------------------------------------------------------------------- inputs

#: sha256 of every publisher's file the extracts are derived from, by path under the
#: reference layout (``wgi/2024_update/wgidataset.xlsx`` ...).  Values copied from the
#: PROVENANCE.md of each folder and re-computed when the extracts were first built.
PINNED: dict[str, str] = {
    "wgi/2024_update/wgidataset.xlsx": "fc73c938c6aaecb9de544c8f3dcaf4a4d42ea851c526310eed4be32e8e63984d",
    "vdem/vdemlite_v14_1970-2023.csv": "3da0dfce875d3620010b92d0d7a1607b0b611fab7c350fe822c7b1e1d566aea3",
    "vdem/ert_v15/ert.csv": "39c6ca13363765ec4acf2d4c51052ed531bb49c91937924e0250d5384ad7fa4d",
    "vdem/v16_codebook/codebook_v16.csv": "7ad41855e8d0a3a291526754df25846ed17af3515ba3b2808774a479577e754e",
    **{f"egdi/official_2003_2024/EGOV_DATA_{y}.csv": s for y, s in {
        "2003": "df7991cb21cc115b5ca2baa94d62058768d8e91dd3c5ea7d4b8ea8a415cff886",
        "2004": "7c1a2e5928e6f8b800c85944c4d8d02c45659f2cc7b642e5b49f892d65b3409a",
        "2005": "a93f9db6414af5c021852208dea567eb191fc12429d0de3a2f5bfed8532f16fe",
        "2008": "c88570e731a42f165d691fa2323948924258416120fed5eaac6767f7f5d02003",
        "2010": "f996e342806c5d36c7a54c7951e8bf8edcc4ecf6fc6323da88958ff34071ad08",
        "2012": "0900b7e476befda83eb349a6c05109a46f0fdff3dd32b9d4eb2df6f06bcab98a",
        "2014": "420c0bb5c8e5a8bc1efd6d1c149c6a265535e0ffc52745356a543f8de327c2ed",
        "2016": "b74d87b00c42063d1ec83bead020705e02d226a5997df032cd09f9a4e9afc791",
        "2018": "1615c13c1b2fde36a617e814b15d701a749c275c651a451cb9a243f8602109c5",
        "2020": "0f37907ecbc7b6e11cc096a5b55b350308b3864ce822f7278a88cd63913d1d45",
        "2022": "2c27f1bbe33d121a13b0664b89442b974f63ab77760633686597b808b78fc61b",
        "2024": "1f5fd05dcf1fb484dc888a54b5c560c5d297865c756b96aa96b2d41069945a6e",
    }.items()},
    "hdr/HDR23-24_Composite_indices_complete_time_series.csv":
        "7085032f67b682250de74488c74d2f7b9b674e3abc256ad1b008d4dac724056f",
    "class/CLASS_FY2025.xlsx": "0544a4e7f3d0fffccf5772142eb4a306fb185ad7d82529e9899ea46f29f90c27",
    "wdi/wb_wdi_2024.csv": "91a3bc5053ca2fe3bdf93536a38f981e8788a43108699fc200f203402f7e7cb6",
    "asem/asem_iData.csv": "db10d0e0dbc88398b7d0ca9c2bd8a375dfbb3961948cb8f740c2dbfeda6e4a32",
    "asem/asem_iMeta.csv": "fa472b65a089b678b126406b96310f8fa9270362e5e9a424575f9af6fd5d4bef",
}

#: reference path -> (fetch-registry source, edition) where polygov.data.fetch can cache it
CACHE_EDITIONS: dict[str, tuple[str, str]] = {
    "wgi/2024_update/wgidataset.xlsx": ("wgi", "2024"),
    "vdem/vdemlite_v14_1970-2023.csv": ("vdem", "v14-lite"),
    "hdr/HDR23-24_Composite_indices_complete_time_series.csv": ("hdr", "2023-24"),
    "class/CLASS_FY2025.xlsx": ("wb_class", "current"),
    "wdi/wb_wdi_2024.csv": ("wdi", "bipa-2024"),
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _registry_sha(rel: str) -> str | None:
    """The sha256 ``polygov.data.sources`` pins for this file, if it pins one."""
    from polygov.data import sources

    if rel not in CACHE_EDITIONS:
        return None
    name, ed = CACHE_EDITIONS[rel]
    src = sources.SOURCES.get(name)
    if src is None or ed not in src.editions:
        return None
    return src.editions[ed].sha256


@dataclass(frozen=True)
class Sources:
    """Where the publishers' files are: a folder in the reference layout, or the polygov cache."""

    official: Path | None = None  # None = polygov cache (polygov.data.fetch.cached)

    def path(self, rel: str) -> Path:
        """Return the verified file ``rel``; raise SystemExit naming it when absent or changed."""
        if self.official is not None:
            p = Path(self.official) / rel
            if not p.is_file():
                raise SystemExit(f"build_data: {rel} not found under {self.official}")
        else:
            if rel not in CACHE_EDITIONS:
                raise SystemExit(f"build_data: {rel} is not in polygov's fetch registry; "
                                 "pass --official DIR (a folder holding the publishers' files)")
            from polygov.data import fetch

            p = fetch.cached(*CACHE_EDITIONS[rel])
            if p is None:
                name, ed = CACHE_EDITIONS[rel]
                raise SystemExit(f"build_data: {name} edition {ed} is not cached; run "
                                 f"`polygov data fetch {name} --edition {ed}` or `polygov data import`")
        want = PINNED[rel]
        reg = _registry_sha(rel)
        if reg is not None and reg != want:
            raise SystemExit(f"build_data: the fetch registry pins {rel} as {reg[:16]}… but the build "
                             f"expects {want[:16]}…: update PINNED in scripts/_build_official.py")
        got = sha256(p)
        if got != want:
            raise SystemExit(f"build_data: {p} has sha256 {got[:16]}…, expected {want[:16]}… "
                             "(the pinned publisher's file); refusing to build from a changed file")
        return p


# --------------------------------------------------------------------- helpers
def _src(rel: str, note: str = "") -> dict:
    out = {"path": rel, "sha256": PINNED[rel]}
    if note:
        out["note"] = note
    return out


def _int_if_whole(df: pd.DataFrame, cols) -> pd.DataFrame:
    """Cast float columns whose values are all whole numbers to nullable Int64."""
    df = df.copy()
    for c in cols:
        s = df[c]
        if pd.api.types.is_float_dtype(s) and s.notna().any() and (s.dropna() == np.floor(s.dropna())).all():
            df[c] = s.astype("Int64")
    return df


def _years_cov(df: pd.DataFrame) -> dict:
    by_year = df.groupby("year")["iso3"].nunique()
    return {"economies_per_year": {str(int(k)): int(v) for k, v in by_year.items()}}


def _nonmissing(df: pd.DataFrame, cols) -> int:
    return int(df[list(cols)].notna().sum().sum())


# ------------------------------------------------------------------------ WGI
WGI_DIMS = {"va": "Voice and Accountability",
            "pv": "Political Stability and Absence of Violence/Terrorism",
            "ge": "Government Effectiveness", "rq": "Regulatory Quality", "rl": "Rule of Law",
            "cc": "Control of Corruption"}
WGI_FIELDS = {
    "estimate": ("estimate of governance (standard normal units, about -2.5 to 2.5)", "standard normal units", 1),
    "std_error": ("standard error of the estimate", "standard normal units", None),
    "n_sources": ("number of data sources the estimate is based on", "count", None),
    "percentile_rank": ("percentile rank among all economies (0 = lowest, 100 = highest)", "percentile 0-100", 1),
    "pr_low": ("lower bound of the 90% confidence interval of the percentile rank", "percentile 0-100", 1),
    "pr_high": ("upper bound of the 90% confidence interval of the percentile rank", "percentile 0-100", 1),
}


def build_wgi(src: Sources, write, field) -> dict:
    from polygov.data.parsers import wgi as pw

    rel = "wgi/2024_update/wgidataset.xlsx"
    long = pw.parse(src.path(rel), edition="2024")
    wide = long.pivot(index=["iso3", "year"], columns="indicator", values=list(WGI_FIELDS))
    cols = [f"{d}_{f}" for d in WGI_DIMS for f in WGI_FIELDS]
    wide.columns = [f"{d}_{f}" for f, d in wide.columns]
    df = wide[cols].reset_index().sort_values(["iso3", "year"], ignore_index=True)
    df["year"] = df["year"].astype(int)
    df = _int_if_whole(df, [f"{d}_n_sources" for d in WGI_DIMS])
    fields = [field("iso3", df["iso3"], "ISO 3166-1 alpha-3 code (WGI 'code'; ANT = Netherlands Antilles, "
                    "XKX = Kosovo)"), field("year", df["year"], "Year of the data")]
    for d, dname in WGI_DIMS.items():
        for f, (lab, unit, direc) in WGI_FIELDS.items():
            fields.append(field(f"{d}_{f}", df[f"{d}_{f}"], f"{dname}: {lab}", unit, direc, dname))
    fname, sha = write(df, "wgi")
    recoded = [{"source_code": k, "iso3": v} for k, v in sorted(pw.CODE_EXCEPTIONS.items())]
    per_year = long.dropna(subset=["estimate"]).groupby("year").size()
    return {
        "name": "wgi",
        "title": "Worldwide Governance Indicators, 2024 Update (1996-2023, 214 economies, six dimensions)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "World Bank, Development Research Group (D. Kaufmann and A. Kraay)",
        "url": "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        "edition": "WGI 2024 Update (released September 2024; data 1996-2023)",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "citation": ("Kaufmann, D. and Kraay, A. (2024). Worldwide Governance Indicators, 2024 Update "
                     "(www.govindicators.org). Method: Kaufmann, D., Kraay, A. and Mastruzzi, M. (2010). "
                     "The Worldwide Governance Indicators: Methodology and Analytical Issues. World Bank "
                     "Policy Research Working Paper 5430."),
        "obtained": "wgidataset.xlsx downloaded from the World Bank (official URL of the WGI data page)",
        "source_files": [_src(rel)],
        "transformations": [
            "read with polygov.data.parsers.wgi (sheet 'Sheet1', missing '..' -> empty)",
            "long table (one row per economy, year and indicator; 32,100 rows) pivoted wide: one row per "
            "iso3-year, columns <dimension>_<field>; no value changed, every row kept (5,350 iso3-years, "
            "including those where an economy has no estimate that year)",
            "WGI's own codes replaced by ISO 3166-1 codes (see country_codes): "
            + ", ".join(f"{k} -> {v}" for k, v in sorted(pw.CODE_EXCEPTIONS.items())),
            "WGI columns renamed: code -> iso3, stddev -> std_error, nsource -> n_sources, pctrank -> "
            "percentile_rank, pctranklower -> pr_low, pctrankupper -> pr_high; countryname, codeindyr "
            "dropped (names come from polygov.countries)",
            "n_sources written as integers; other numbers in Python's shortest round-trip form (the "
            "xlsx doubles exactly)",
        ],
        "can_say": ("Perceptions-based estimates of six dimensions of governance for up to 214 economies, "
                    "1996, 1998, 2000 and every year 2002-2023, with standard errors: whether two countries "
                    "(or two years) differ by more than the margin of error."),
        "cannot_say": ("Estimates are relative (mean 0, sd 1 across economies each year), so a world-wide "
                       "improvement does not show; values aggregate expert and survey perceptions, not "
                       "outcomes; there are no data for 1997, 1999 and 2001; the 2025 revision recomputed "
                       "the history, so values differ from newer releases."),
        "country_codes": recoded,
        "notes": {"estimates_per_year": {str(int(k)): int(v) for k, v in per_year.items()}},
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ----------------------------------------------------------------------- V-Dem
#: The V-Dem variables bundled (issue 11's list, grouped as the issue groups them,
#: plus the others polygov's V-Dem parser reads).
VDEM_GROUPS: dict[str, list[str]] = {
    "civil society": ["v2xcs_ccsi", "v2cseeorgs", "v2csreprss", "v2cscnsult", "v2csprtcpt", "v2x_cspart"],
    "deliberation and consultation": ["v2dlconslt", "v2dlengage", "v2x_delibdem"],
    "participation": ["v2x_partip", "v2x_partipdem"],
    "local and regional government": ["v2xel_locelec", "v2xel_regelec", "v2ellocpwr", "v2ellocgov",
                                      "v2elreggov", "v2elrgpwr", "v2x_feduni"],
    "rule of law and administration": ["v2x_rule", "v2xcl_rol", "v2clrspct", "v2cltrnslw", "v2exrescon"],
    "corruption": ["v2x_corr", "v2x_pubcorr", "v2x_execorr", "v2x_neopat"],
    "accountability": ["v2x_accountability", "v2x_horacc", "v2x_diagacc", "v2x_veracc"],
    "freedoms and regime": ["v2x_freexp_altinf", "v2x_frassoc_thick", "v2x_civlib", "v2x_regime",
                            "v2x_polyarchy", "v2x_libdem", "v2x_egaldem"],
    "background": ["e_gdppc", "e_wb_pop"],
}
#: higher = worse for these (V-Dem codes corruption and neopatrimonialism upwards)
VDEM_NEGATIVE = {"v2x_corr", "v2x_pubcorr", "v2x_execorr", "v2x_neopat"}
VDEM_NEUTRAL = {"e_gdppc", "e_wb_pop"}
#: codebook section from the tag's prefix (the chapters of the V-Dem codebook)
VDEM_SECTIONS = [
    ("v2xcs_", "Civil society (index)"), ("v2xel_", "Elections (index)"), ("v2xcl_", "Civil liberty (index)"),
    ("v2x_", "V-Dem indices"), ("v2cs", "Civil society"), ("v2dl", "Deliberation"), ("v2el", "Elections"),
    ("v2cl", "Civil liberty"), ("v2ex", "The executive"), ("v2ju", "The judiciary"), ("v2lg", "The legislature"),
    ("v2me", "The media"), ("v2ps", "Political parties"), ("v2st", "Sovereignty and state"),
    ("e_", "Background factors (other sources)"),
]
#: V-Dem units that have no ISO 3166 code: they keep V-Dem's own code as iso3
VDEM_OWN_CODES = {"PSB": "Palestine/British Mandate", "PSG": "Palestine/Gaza", "SML": "Somaliland",
                  "VDR": "Republic of Vietnam (South Vietnam)", "ZZB": "Zanzibar",
                  "DDR": "German Democratic Republic", "YMD": "South Yemen"}


def vdem_unit(tag: str, scale: str) -> str:
    """A short unit for the schema from the codebook's scale text (kept in full as ``scale``)."""
    if tag == "v2x_regime":
        return "ordinal 0-3 (0 closed autocracy ... 3 liberal democracy)"
    if tag == "e_gdppc":
        return "thousands of 2011 international $ (Fariss et al. estimates)"
    if tag == "e_wb_pop":
        return "persons"
    if scale.startswith("Dichotomous"):
        return "0/1"
    if "(0-1)" in scale and "unbounded" not in scale:
        return "index 0-1"
    if "unbounded" in scale:
        return "latent scale (normalised, unbounded; about -2.5 to 2.5)"
    if "measurement model" in scale:
        return "latent scale (Bayesian IRT point estimate, unbounded; about -5 to 5)"
    return scale


def vdem_section(tag: str) -> str:
    for prefix, sec in VDEM_SECTIONS:
        if tag.startswith(prefix):
            return sec
    return ""


def _vdem_codebook(src: Sources) -> pd.DataFrame:
    rel = "vdem/v16_codebook/codebook_v16.csv"
    cb = pd.read_csv(src.path(rel), dtype=str, keep_default_na=False)
    return cb.drop_duplicates("tag").set_index("tag")


def _vdem_units(df: pd.DataFrame) -> list[dict]:
    """The country-code report: every V-Dem code that is not a current ISO 3166-1 code."""
    t = countries.country_table().set_index("iso3")
    rows = []
    for code, g in df.groupby("iso3"):
        if code in VDEM_OWN_CODES or code not in t.index or pd.isna(t.at[code, "continent"]):
            rows.append({"code": code, "name": str(g["country_name"].iloc[0]),
                         "years": [int(g["year"].min()), int(g["year"].max())], "rows": int(len(g)),
                         "note": "V-Dem's own code kept (no current ISO 3166-1 code); listed in "
                                 "polygov.countries.HISTORICAL_CODES"})
    return rows


_CONTINUITY = ("V-Dem's continuity rules: DEU before 1990 is West Germany (the GDR is DDR), VNM before 1976 "
               "is North Vietnam (the Republic of Vietnam is VDR), YEM before 1990 is North Yemen (South "
               "Yemen is YMD); SRB covers Yugoslavia and Serbia and Montenegro, RUS the Soviet Union and CZE "
               "Czechoslovakia in the years before they broke up; these rows keep V-Dem's codes, so a join with another source on iso3 "
               "matches the modern state's code to its V-Dem predecessor.")


def build_vdem(src: Sources, write, field) -> dict:
    rel = "vdem/vdemlite_v14_1970-2023.csv"
    variables = [v for vs in VDEM_GROUPS.values() for v in vs]
    raw = pd.read_csv(src.path(rel), usecols=["country_name", "country_text_id", "country_id", "year", *variables],
                      dtype={"country_name": str, "country_text_id": str}, keep_default_na=False,
                      na_values=[""], encoding="utf-8", **CSV_EXACT_FLOATS)
    df = raw.rename(columns={"country_text_id": "iso3"})
    df = df[["iso3", "year", "country_name", "country_id", *variables]]
    df["year"] = df["year"].astype(int)
    df = _int_if_whole(df, ["v2x_regime"])
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    unknown = sorted(set(df["iso3"]) - countries.known_codes())
    if unknown:
        raise SystemExit(f"vdem: codes unknown to polygov.countries: {unknown}")
    cb = _vdem_codebook(src)
    group_of = {v: g for g, vs in VDEM_GROUPS.items() for v in vs}
    fields = [field("iso3", df["iso3"], "Country code: V-Dem country_text_id (ISO 3166-1 alpha-3 where one "
                    "exists; V-Dem's own code for units without one)"),
              field("year", df["year"], "Year"),
              field("country_name", df["country_name"], "Country name as published by V-Dem"),
              field("country_id", df["country_id"], "V-Dem numeric country id")]
    for v in variables:
        r = cb.loc[v]
        direc = 0 if v in VDEM_NEUTRAL else (-1 if v in VDEM_NEGATIVE else 1)
        f = field(v, df[v], r["name"], vdem_unit(v, r["scale"]), direc, group_of[v])
        f.update({"question": r["question"], "scale": r["scale"], "section": vdem_section(v),
                  "codebook": "V-Dem v16 codebook (applied to v14 data)"})
        fields.append(f)
    fname, sha = write(df, "vdem")
    units = _vdem_units(df)
    return {
        "name": "vdem",
        "title": "V-Dem v14 country-year: civil society, consultation, participation, local government, "
                 "rule of law, corruption, accountability and regime indices, 1970-2023",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "V-Dem Institute, University of Gothenburg",
        "url": "https://v-dem.net/data/the-v-dem-dataset/",
        "edition": ("V-Dem Country-Year dataset v14 (March 2024), 1970-2023, as subset by the vdemlite R "
                    "package (E. Teitelbaum, commit a992948); variable descriptions from the V-Dem v16 "
                    "codebook (the v14 codebook was not available offline)"),
        "licenses": [{"name": "CC-BY-SA-4.0", "path": "https://creativecommons.org/licenses/by-sa/4.0/"}],
        "license_note": ("V-Dem data are licensed CC BY-SA 4.0 (Attribution-ShareAlike). This derived file "
                         "is therefore also CC BY-SA 4.0: anything you derive from it and share must carry "
                         "the same licence. The rest of polygov's code and data keep their own licences."),
        "citation": ("Coppedge, M., Gerring, J., Knutsen, C. H., Lindberg, S. I., Teorell, J., et al. (2024). "
                     "V-Dem [Country-Year/Country-Date] Dataset v14. Varieties of Democracy (V-Dem) Project. "
                     "https://doi.org/10.23696/mcwt-fr58. Pemstein, D., et al. (2024). The V-Dem Measurement "
                     "Model. V-Dem Working Paper No. 21, 9th ed."),
        "obtained": ("vdemlite_v14_1970-2023.csv: lossless CSV conversion of vdemlite.rda (eteitelbaum/vdemlite "
                     "commit a992948), itself a subset of vdemdata::vdem v14"),
        "source_files": [_src(rel), _src("vdem/v16_codebook/codebook_v16.csv",
                                         "variable name, question and scale of every bundled variable")],
        "transformations": [
            f"{len(variables)} of the file's 293 variables kept (listed in the schema), with V-Dem's own names",
            "country_text_id renamed iso3 and kept as published for every unit, including the "
            f"{len(units)} without a current ISO 3166-1 code (see country_codes); every row kept "
            f"({len(df)} rows)",
            "rows sorted by iso3, year; v2x_regime written as an integer; other numbers in Python's shortest "
            "round-trip form (the values exactly)",
            "labels, questions and scales from the V-Dem v16 codebook (codebook_v16.csv); section from the "
            "tag's prefix, following the codebook's chapters; direction: +1 except the corruption and "
            "neopatrimonialism indices (higher = more corrupt: -1) and the background series (0)",
        ],
        "country_codes": units,
        "continuity": _CONTINUITY,
        "can_say": ("Expert-coded (Bayesian IRT) assessments of civil-society space and consultation, "
                    "deliberation, participation, elected local and regional government, rule of law and "
                    "impartial administration, corruption and accountability for 182 units, 1970-2023."),
        "cannot_say": ("Point estimates only: the measurement-model intervals (_codelow/_codehigh) are not in "
                       "this subset (see vdem_ert for the electoral democracy index with intervals); latent "
                       "indicators (v2cs*, v2dl*, v2el*, v2cl*, v2ex*) are unbounded and comparable across "
                       "countries and years only through V-Dem's model; the v2x_corr family runs the other "
                       "way (higher = more corrupt); labels come from the v16 codebook, which may word a "
                       "question slightly differently from v14."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ----------------------------------------------------------------------- ERT
ERT_LABELS = {
    "country_name": ("Country name as published by V-Dem", ""),
    "country_id": ("V-Dem numeric country id", ""),
    "v2x_regime": ("Regimes of the World (0 closed autocracy, 1 electoral autocracy, 2 electoral democracy, "
                   "3 liberal democracy)", "ordinal 0-3"),
    "v2x_polyarchy": ("Electoral democracy index (point estimate)", "index 0-1"),
    "v2x_polyarchy_codelow": ("Electoral democracy index, lower bound of the 68% highest posterior density "
                              "interval", "index 0-1"),
    "v2x_polyarchy_codehigh": ("Electoral democracy index, upper bound of the 68% highest posterior density "
                               "interval", "index 0-1"),
    "reg_start_year": ("First year of the regime spell", "year"),
    "reg_end_year": ("Last year of the regime spell", "year"),
    "reg_id": ("Regime spell id (country_startyear_endyear)", ""),
    "reg_type": ("Regime type of the spell (0 autocracy, 1 democracy)", "binary"),
    "reg_trans": ("Regime transition in this year (-1 to autocracy, 0 none, 1 to democracy)", "ordinal -1..1"),
    "dem_founding_elec": ("Year of the democratic founding election (where one took place)", "year"),
    "aut_founding_elec": ("Year of the autocratic founding election (where one took place)", "year"),
    "row_regch_event": ("Regime change event recorded in this year", "binary"),
    "row_regch_censored": ("Regime change censored (ongoing at the end of the data)", "binary"),
}
_EP = {"ep": "in an episode (1) or not (0)", "ep_id": "episode id", "ep_start_year": "first year of the episode",
       "ep_end_year": "last year of the episode", "pre_ep_year": "year before the episode started (1 = yes)",
       "ep_termination": "how the episode ended (ERT codebook code)",
       "ep_prch": "episode with a regime change from the start type", "ep_ptr": "phase of transition",
       "ep_pbr": "phase of breakdown", "ep_subdep": "deepening within democracy",
       "ep_subreg": "regression within autocracy", "ep_outcome": "outcome of the episode (ERT codebook code)",
       "ep_outcome_agg": "aggregated outcome of the episode (ERT codebook code)",
       "ep_censored": "episode censored (ongoing at the end of the data)"}


def _ert_label(col: str) -> tuple[str, str]:
    if col in ERT_LABELS:
        return ERT_LABELS[col]
    m = re.fullmatch(r"(dem|aut)_(.+)", col)
    if m and m.group(2) in _EP:
        kind = "democratisation" if m.group(1) == "dem" else "autocratisation"
        return f"{kind.capitalize()} episode: {_EP[m.group(2)]}", ""
    return col, ""


def build_vdem_ert(src: Sources, write, field) -> dict:
    rel = "vdem/ert_v15/ert.csv"
    raw = pd.read_csv(src.path(rel), keep_default_na=False, na_values=["NA"], encoding="utf-8",
                      **CSV_EXACT_FLOATS, dtype={"country_text_id": str, "country_name": str, "reg_id": str,
                             "dem_ep_id": str, "aut_ep_id": str})
    raw = raw.drop(columns=[raw.columns[0]])  # R row names (1..19678)
    df = raw.rename(columns={"country_text_id": "iso3"})
    rest = [c for c in df.columns if c not in ("iso3", "year", "country_name", "country_id")]
    df = df[["iso3", "year", "country_name", "country_id", *rest]]
    df = _int_if_whole(df, [c for c in rest if not c.startswith("v2x_polyarchy")])
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    unknown = sorted(set(df["iso3"]) - countries.known_codes())
    if unknown:
        raise SystemExit(f"vdem_ert: codes unknown to polygov.countries: {unknown}")
    fields = [field("iso3", df["iso3"], "Country code: V-Dem country_text_id (ISO 3166-1 alpha-3 where one "
                    "exists; V-Dem's own code for units without one)"), field("year", df["year"], "Year")]
    for c in df.columns[2:]:
        lab, unit = _ert_label(c)
        direc = 1 if c.startswith("v2x_") else None
        fields.append(field(c, df[c], lab, unit, direc, "regime" if c.startswith(("v2x", "reg", "row")) else
                            ("democratisation episodes" if c.startswith("dem") else
                             ("autocratisation episodes" if c.startswith("aut") else ""))))
    fname, sha = write(df, "vdem_ert")
    units = _vdem_units(df)
    return {
        "name": "vdem_ert",
        "title": "V-Dem Episodes of Regime Transformation (ERT) v15: regime type, electoral democracy index "
                 "with its interval, regime spells and episodes, 1900-2024",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "V-Dem Institute, University of Gothenburg (ERT R package, vdeminstitute/ERT)",
        "url": "https://github.com/vdeminstitute/ERT",
        "edition": "ERT 15.0 (March 2025), built from the V-Dem Country-Year dataset v15 (data to 2024)",
        "licenses": [{"name": "CC-BY-SA-4.0", "path": "https://creativecommons.org/licenses/by-sa/4.0/"}],
        "license_note": ("Built from V-Dem data (CC BY-SA 4.0), so this derived file is CC BY-SA 4.0 too; "
                         "the ERT R package's code is GPL-3."),
        "citation": ("Maerz, S. F., Edgell, A. B., Krusell, J., Maxwell, L. and Hellmeier, S. (2025). ERT: "
                     "Episodes of Regime Transformation dataset, version 15.0 (R package and data), V-Dem "
                     "Institute, https://github.com/vdeminstitute/ERT. Definitions: Maerz, S. F. et al. (2023), "
                     "Journal of Peace Research, doi:10.1177/00223433231168192; Wilson, M. C. et al. (2022), "
                     "Political Science Research and Methods. Data: Coppedge, M. et al. (2025). V-Dem "
                     "Country-Year Dataset v15."),
        "obtained": "inst/ert.csv of vdeminstitute/ERT, commit fa95b8b (2025-03-19)",
        "source_files": [_src(rel)],
        "transformations": [
            "the unnamed R row-name column dropped; country_text_id renamed iso3 and kept as published for "
            f"every unit (every row kept: {len(df)} rows), including the {len(units)} without a current "
            "ISO 3166-1 code (see country_codes)",
            "rows sorted by iso3, year; columns whose values are all whole numbers written as integers; "
            "v2x_polyarchy and its bounds in Python's shortest round-trip form (the values exactly)",
            "read directly (missing = 'NA'); polygov has no ERT parser yet",
        ],
        "country_codes": units,
        "continuity": _CONTINUITY,
        "can_say": ("Regime type (Regimes of the World) and the electoral democracy index with V-Dem's 68% "
                    "measurement intervals for 183 units, 1900-2024, and when democratisation and "
                    "autocratisation episodes began, ended and how: the one bundled source with V-Dem's own "
                    "measurement uncertainty."),
        "cannot_say": ("Nothing on civil society, local government, rule of law or corruption (see vdem); "
                       "v15 values differ slightly from the v14 values in vdem, as every V-Dem release "
                       "re-estimates the history; episode codes follow the ERT codebook (not bundled)."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ----------------------------------------------------------------------- EGDI
EGDI_YEARS = ("2003", "2004", "2005", "2008", "2010", "2012", "2014", "2016", "2018", "2020", "2022", "2024")
EGDI_COLS = {"E-Government Index": "egdi", "Online Service Index": "osi", "Human Capital Index": "hci",
             "Telecommunication Infrastructure Index": "tii", "E-Participation Index": "epi",
             "E-Government Rank": "rank"}


def read_egdi_edition(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype={"Country Name": str}, keep_default_na=False, na_values=[""],
                      encoding="utf-8", **CSV_EXACT_FLOATS)
    raw["Country Name"] = raw["Country Name"].str.strip()
    return raw


def build_egdi(src: Sources, write, field) -> dict:
    frames, files = [], []
    for y in EGDI_YEARS:
        rel = f"egdi/official_2003_2024/EGOV_DATA_{y}.csv"
        raw = read_egdi_edition(src.path(rel))
        files.append(_src(rel))
        if set(raw["Survey Year"]) != {int(y)} or len(raw) != 193:
            raise SystemExit(f"egdi {y}: expected 193 rows of survey year {y}")
        frames.append(raw)
    raw = pd.concat(frames, ignore_index=True)
    names = sorted(raw["Country Name"].unique())
    rep = countries.mapping_report(names)
    bad = rep[rep["iso3"].isna()]
    if len(bad):
        raise SystemExit(f"egdi: names without an ISO3 code: {bad['name'].tolist()}")
    iso = dict(zip(rep["name"], rep["iso3"], strict=True))
    df = pd.DataFrame({"iso3": raw["Country Name"].map(iso), "year": raw["Survey Year"].astype(int),
                       "country": raw["Country Name"]})
    for k, v in EGDI_COLS.items():
        df[v] = raw[k]
    df = _int_if_whole(df, ["rank"])
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    if df.duplicated(["iso3", "year"]).any():
        raise SystemExit("egdi: two names map to one iso3 in one edition")
    # EGDI against the mean of its three parts, per edition (measured, recorded)
    dev = (df["egdi"] - df[["osi", "hci", "tii"]].mean(axis=1)).abs()
    off = {str(int(y)): {"max_abs_egdi_minus_mean": round(float(g.max()), 5),
                         "rows_off_by_more_than_0.001": int((g > 1e-3).sum())}
           for y, g in dev.groupby(df["year"])}
    hci_hi = df.loc[df["hci"] > 1, ["iso3", "year", "hci"]]
    hci_txt = ", ".join(f"{r.iso3} {r.year}: {r.hci}" for r in hci_hi.itertuples())
    zero = df[(df["egdi"] == 0)]
    meta = {
        "egdi": ("E-Government Development Index (published; in principle the mean of OSI, HCI and TII)",
                 "index 0-1", 1),
        "osi": ("Online Service Index", "index 0-1", 1),
        "hci": ("Human Capital Index (UN DESA's, not the World Bank's)", "index 0-1 (2003: up to 1.422)", 1),
        "tii": ("Telecommunication Infrastructure Index", "index 0-1", 1),
        "epi": ("E-Participation Index (not part of the EGDI)", "index 0-1", 1),
        "rank": ("E-Government rank in the survey (1 = best; ties shared)", "rank", -1),
    }
    fields = [field("iso3", df["iso3"], "ISO 3166-1 alpha-3 code (from the UN name with polygov.countries)"),
              field("year", df["year"], "Survey year (the edition, not the year of the underlying data)"),
              field("country", df["country"], "Country name as published (trailing spaces stripped)")]
    for c, (lab, unit, d) in meta.items():
        f = field(c, df[c], lab, unit, d, "e-government")
        fields.append(f)
    next(f for f in fields if f["name"] == "hci")["flag"] = (
        f"HCI above 1 in the 2003 edition, kept as published: {hci_txt}. The 2003 HCI was not capped at 1; "
        "treat those values with care (the index is defined on 0-1 from 2004).")
    fname, sha = write(df, "egdi")
    early = {y: v for y, v in off.items() if v["rows_off_by_more_than_0.001"] > 0}
    return {
        "name": "egdi",
        "title": "UN E-Government Survey, all 12 editions 2003-2024: EGDI, OSI, HCI, TII, EPI and rank "
                 "(193 UN member states each)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "United Nations Department of Economic and Social Affairs (UN DESA), Division for "
                     "Public Institutions and Digital Government",
        "url": "https://publicadministration.un.org/egovkb/en-us/Data-Center",
        "edition": "E-Government Surveys 2003, 2004, 2005, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022, 2024",
        "licenses": [{"name": "UN terms of use: attribution required; provided for research, education and "
                              "planning purposes (no explicit open licence)",
                      "path": "https://www.un.org/en/about-us/terms-of-use"}],
        "citation": ("United Nations Department of Economic and Social Affairs (2003-2024). United Nations "
                     "E-Government Survey, editions 2003 to 2024. New York: United Nations. Data: UN "
                     "E-Government Knowledgebase, Data Center."),
        "obtained": ("the twelve EGOV_DATA_<year>.csv files of the UN E-Government Knowledgebase Data Center, "
                     "as held in LazaroDamasceno/Dissertacao-Mestrado commit bf1bf6c (LF line endings; the "
                     "2022 file converted to CRLF equals the official download byte for byte)"),
        "source_files": files,
        "transformations": [
            "twelve editions stacked; year = 'Survey Year' (the edition)",
            "country names stripped of trailing spaces and mapped to ISO3 with polygov.countries "
            "(all 193 names of every edition mapped; the name kept in 'country')",
            "columns renamed: E-Government Index -> egdi, Online Service Index -> osi, Human Capital Index "
            "-> hci, Telecommunication Infrastructure Index -> tii, E-Participation Index -> epi, "
            "E-Government Rank -> rank (integer; missing where the survey gives none)",
            "no value changed: the 2003 HCI values above 1 and the zeros of states not assessed are kept",
            "rows sorted by iso3, year",
        ],
        "notes": {
            "egdi_vs_mean_of_components": off,
            "egdi_vs_mean_summary": (
                "EGDI is not the mean of OSI, HCI and TII in the early editions: "
                + "; ".join(f"{y}: max |EGDI - mean| = {v['max_abs_egdi_minus_mean']}, "
                            f"{v['rows_off_by_more_than_0.001']} rows off by > 0.001" for y, v in early.items())
                + ". Do not recompute the EGDI from its parts for those editions."),
            "zero_rows": (f"{len(zero)} rows have EGDI 0 (states not assessed or without a portal, e.g. "
                          "South Sudan before it existed); kept as published"),
        },
        "can_say": ("How far each UN member state's online services, telecommunication infrastructure and "
                    "human capital support e-government, relative to the other states in each survey, "
                    "2003-2024, and e-participation (from 2003)."),
        "cannot_say": ("Values are normalised within each edition, so levels are not comparable across "
                       "editions (a falling score can mean others improved); the published EGDI equals the "
                       "mean of OSI, HCI and TII only from 2014 (see notes); no data between editions; rank "
                       "ties are shared."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ------------------------------------------------------------------------ HDR
HDR_META = {
    "hdi": ("Human Development Index", "index 0-1", 1, "HDI"),
    "le": ("Life expectancy at birth", "years", 1, "HDI"),
    "eys": ("Expected years of schooling", "years", 1, "HDI"),
    "mys": ("Mean years of schooling (adults 25+)", "years", 1, "HDI"),
    "gnipc": ("Gross national income per capita", "2017 PPP $", 1, "HDI"),
    "ihdi": ("Inequality-adjusted HDI", "index 0-1", 1, "IHDI"),
    "coef_ineq": ("Coefficient of human inequality", "percent", -1, "IHDI"),
    "loss": ("Overall loss of HDI due to inequality", "percent", -1, "IHDI"),
    "ineq_le": ("Inequality in life expectancy", "percent", -1, "IHDI"),
    "ineq_edu": ("Inequality in education", "percent", -1, "IHDI"),
    "ineq_inc": ("Inequality in income", "percent", -1, "IHDI"),
    "gdi": ("Gender Development Index (female HDI / male HDI)", "ratio", 0, "GDI"),
    "hdi_f": ("HDI, female", "index 0-1", 1, "GDI"), "hdi_m": ("HDI, male", "index 0-1", 1, "GDI"),
    "le_f": ("Life expectancy at birth, female", "years", 1, "GDI"),
    "le_m": ("Life expectancy at birth, male", "years", 1, "GDI"),
    "eys_f": ("Expected years of schooling, female", "years", 1, "GDI"),
    "eys_m": ("Expected years of schooling, male", "years", 1, "GDI"),
    "mys_f": ("Mean years of schooling, female", "years", 1, "GDI"),
    "mys_m": ("Mean years of schooling, male", "years", 1, "GDI"),
    "gni_pc_f": ("GNI per capita, female", "2017 PPP $", 1, "GDI"),
    "gni_pc_m": ("GNI per capita, male", "2017 PPP $", 1, "GDI"),
    "gii": ("Gender Inequality Index", "index 0-1", -1, "GII"),
    "mmr": ("Maternal mortality ratio", "deaths per 100,000 live births", -1, "GII"),
    "abr": ("Adolescent birth rate", "births per 1,000 women aged 15-19", -1, "GII"),
    "se_f": ("Population with at least some secondary education, female", "percent of 25+", 1, "GII"),
    "se_m": ("Population with at least some secondary education, male", "percent of 25+", 1, "GII"),
    "pr_f": ("Share of seats in parliament, female", "percent", 1, "GII"),
    "pr_m": ("Share of seats in parliament, male", "percent", 0, "GII"),
    "lfpr_f": ("Labour force participation rate, female", "percent of 15+", 1, "GII"),
    "lfpr_m": ("Labour force participation rate, male", "percent of 15+", 1, "GII"),
    "phdi": ("Planetary pressures-adjusted HDI", "index 0-1", 1, "PHDI"),
    "diff_hdi_phdi": ("Difference between HDI and PHDI", "percent", -1, "PHDI"),
    "co2_prod": ("Carbon dioxide emissions per capita (production)", "tonnes", -1, "PHDI"),
    "mf": ("Material footprint per capita", "tonnes", -1, "PHDI"),
    "pop_total": ("Population", "millions", 0, "population"),
}


def read_hdr(path: Path) -> pd.DataFrame:
    """The HDR composite-indices CSV, long: iso3, year, one column per HDR_META prefix (countries only)."""
    raw = pd.read_csv(path, encoding="latin-1", dtype={"iso3": str}, keep_default_na=False,
                      na_values=["", "NaN"], **CSV_EXACT_FLOATS)
    rows = raw[~raw["iso3"].str.startswith("ZZ")]
    parts = []
    for p in HDR_META:
        cols = [c for c in raw.columns if re.fullmatch(rf"{re.escape(p)}_(\d{{4}})", c)]
        s = rows.set_index("iso3")[cols]
        s.columns = [int(c.rsplit("_", 1)[1]) for c in cols]
        parts.append(s.stack(future_stack=True).rename(p))
    out = pd.concat(parts, axis=1).rename_axis(["iso3", "year"]).reset_index()
    return out


def build_hdr(src: Sources, write, field) -> dict:
    rel = "hdr/HDR23-24_Composite_indices_complete_time_series.csv"
    path = src.path(rel)
    df = read_hdr(path).sort_values(["iso3", "year"], ignore_index=True)
    df["year"] = df["year"].astype(int)
    unknown = sorted(set(df["iso3"]) - countries.known_codes())
    if unknown:
        raise SystemExit(f"hdr: codes unknown to polygov.countries: {unknown}")
    raw = pd.read_csv(path, encoding="latin-1", usecols=["iso3"])
    aggregates = sorted(raw.loc[raw["iso3"].str.startswith("ZZ"), "iso3"])
    fields = [field("iso3", df["iso3"], "ISO 3166-1 alpha-3 code (HDR iso3)"), field("year", df["year"], "Year")]
    for c, (lab, unit, d, dim) in HDR_META.items():
        fields.append(field(c, df[c], lab, unit, d, dim))
    fname, sha = write(df, "hdr")
    return {
        "name": "hdr",
        "title": "UNDP Human Development Report 2023/24: HDI and components, IHDI and inequality, GDI, GII, "
                 "PHDI, 1990-2022 (195 countries)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "United Nations Development Programme (UNDP), Human Development Report Office",
        "url": "https://hdr.undp.org/data-center/documentation-and-downloads",
        "edition": "HDR 2023/2024 composite indices complete time series (March 2024), data 1990-2022",
        "licenses": [{"name": "CC-BY-3.0-IGO", "path": "https://creativecommons.org/licenses/by/3.0/igo/"}],
        "citation": ("UNDP (United Nations Development Programme) (2024). Human Development Report 2023/2024: "
                     "Breaking the gridlock. New York. Data: HDR23-24_Composite_indices_complete_time_series.csv."),
        "obtained": ("HDR23-24_Composite_indices_complete_time_series.csv (official URL hdr.undp.org/sites/default/"
                     "files/2023-24_HDR/...), copy in antonsadeq/Data-Visualization commit fde7e54; its "
                     "uploader edited three cells (the names of PRK and KOR and KOR's hdicode), none of "
                     "which is bundled; every value column equals an independent copy"),
        "source_files": [_src(rel)],
        "transformations": [
            f"the {len(aggregates)} aggregate rows (iso3 starting ZZ: {', '.join(aggregates)}) dropped: "
            "countries only",
            "wide <indicator>_<year> columns reshaped long (split on the last underscore): one row per "
            "iso3-year 1990-2022 for every country (rows with all values missing kept)",
            f"{len(HDR_META)} time-series indicators kept; the single-year columns (hdi_rank_2022, gii_rank_2022, "
            "rankdiff_hdi_phdi_2022, gdi_group_2022) and country, hdicode, region dropped",
            "read as Latin-1; empty cells and the one literal 'NaN' (RWA diff_hdi_phdi_1994) read as "
            "missing; numbers in Python's shortest round-trip form (the values exactly)",
        ],
        "can_say": ("Human development (health, education, income) for 195 countries 1990-2022 in one "
                    "consistent back-calculated series, with inequality-adjusted HDI (2010-2022), gender "
                    "gaps and planetary pressures."),
        "cannot_say": ("UNDP recomputes the whole series every release, so values differ from earlier reports; "
                       "IHDI and its inequality measures exist only from 2010; components are rounded, so "
                       "HDI recomputed from them matches within about 0.002; not a governance measure."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ------------------------------------------------------------------- CLASS
def build_wb_class(src: Sources, write, field) -> dict:
    rel = "class/CLASS_FY2025.xlsx"
    raw = pd.read_excel(src.path(rel), sheet_name="List of economies", dtype=str, engine="openpyxl")
    raw = raw.rename(columns=lambda c: str(c).strip())
    df = pd.DataFrame({"iso3": raw["Code"].str.strip(), "economy": raw["Economy"].str.strip(),
                       "region": raw["Region"], "income_group": raw["Income group"],
                       "lending_category": raw["Lending category"]})
    df = df.sort_values("iso3", ignore_index=True)
    unknown = sorted(set(df["iso3"]) - countries.known_codes())
    if unknown:
        raise SystemExit(f"wb_class: codes unknown to polygov.countries: {unknown}")
    fields = [field("iso3", df["iso3"], "World Bank economy code (ISO 3166-1 alpha-3; CHI = Channel Islands, "
                    "XKX = Kosovo)"),
              field("economy", df["economy"], "Economy name as published by the World Bank"),
              field("region", df["region"], "World Bank region"),
              field("income_group", df["income_group"], "Income group for fiscal year 2025 (GNI per capita "
                    "2023, Atlas method): Low, Lower middle, Upper middle, High income; missing = "
                    "unclassified (Venezuela)"),
              field("lending_category", df["lending_category"], "World Bank lending category (IDA, IBRD, "
                    "Blend); missing for economies that do not borrow")]
    fname, sha = write(df, "wb_class")
    counts = df["income_group"].fillna("(unclassified)").value_counts().to_dict()
    return {
        "name": "wb_class",
        "title": "World Bank country classification by income and lending category, FY2025 (218 economies)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "World Bank, Development Data Group",
        "url": "https://datahelpdesk.worldbank.org/knowledgebase/articles/906519-world-bank-country-and-lending-groups",
        "edition": ("CLASS.xlsx for fiscal year 2025: classification of 1 July 2024 based on 2023 GNI per "
                    "capita (the later FY2025 re-issue with Suriname as Blend)"),
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "citation": "World Bank (2024). World Bank Country and Lending Groups, fiscal year 2025 (CLASS.xlsx).",
        "obtained": ("CLASS.xlsx re-saved by a third party (AlvaroMillanRuiz/NLP_BDS commit 855fca2); cell values "
                     "checked against six other public copies"),
        "source_files": [_src(rel)],
        "transformations": [
            "sheet 'List of economies' read; every economy row kept (218, including the Channel Islands, CHI)",
            "columns renamed: Code -> iso3, Economy -> economy, Region -> region, Income group -> income_group, "
            "Lending category -> lending_category; blank cells -> missing",
            "sheets 'compositions' and 'Notes' not bundled; rows sorted by iso3",
            "no year column: the file is one classification (FY2025, 1 July 2024); key iso3",
        ],
        "notes": {"income_groups": counts},
        "can_say": "Which income group, region and lending category the World Bank assigned each economy for FY2025.",
        "cannot_say": ("One year's classification: thresholds and groups change every 1 July (use "
                       "`polygov data fetch wb_class` for a newer file); a country's group in an earlier year "
                       "may differ (the historical classification OGHIST is not bundled)."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3"]},
    }


# ------------------------------------------------------------------------ WDI
WDI_META = {
    "gdppc_ppp": ("GDP per capita, PPP (NY.GDP.PCAP.PP.CD)", "current international $", 1),
    "gdppc_usd": ("GDP per capita (NY.GDP.PCAP.CD)", "current US$", 1),
    "gdp_ppp": ("GDP, PPP (NY.GDP.MKTP.PP.CD)", "current international $", 0),
    "gdp_usd": ("GDP (NY.GDP.MKTP.CD)", "current US$", 0),
    "gov_consumption_gdp": ("General government final consumption expenditure (NE.CON.GOVT.ZS)",
                            "percent of GDP", 0),
    "population": ("Population, total (SP.POP.TOTL)", "persons", 0),
}


WDI_IDS = {"NY.GDP.PCAP.PP.CD": "gdppc_ppp", "NY.GDP.PCAP.CD": "gdppc_usd", "NY.GDP.MKTP.PP.CD": "gdp_ppp",
           "NY.GDP.MKTP.CD": "gdp_usd", "NE.CON.GOVT.ZS": "gov_consumption_gdp", "SP.POP.TOTL": "population"}


def build_wdi(src: Sources, write, field) -> dict:
    from polygov.data.parsers import wdi as pw

    rel = "wdi/wb_wdi_2024.csv"
    # which economies are countries: polygov's WDI parser (it drops the aggregates)
    parsed = pw.parse(src.path(rel), edition="bipa-2024")
    keep = set(parsed["iso3"])
    # the values: read here with correctly rounded float parsing (the parser's pandas
    # default parser lands some long decimals one ulp off)
    raw = pd.read_csv(src.path(rel), encoding="utf-8-sig", keep_default_na=False, na_values={"value": ["NA"]},
                      dtype={"cty_iso": str, "ind_id": str}, **CSV_EXACT_FLOATS)
    sub = raw[raw["cty_iso"].isin(keep)]
    df = sub.pivot(index=["cty_iso", "date"], columns="ind_id", values="value").rename(columns=WDI_IDS)
    df = df.rename_axis(["iso3", "year"]).reset_index()[["iso3", "year", *WDI_META]]
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    df["year"] = df["year"].astype(int)
    df = _int_if_whole(df, ["population"])
    dropped = sorted(set(raw["cty_iso"]) - keep)
    fields = [field("iso3", df["iso3"], "ISO 3166-1 alpha-3 code (WDI cty_iso)"), field("year", df["year"], "Year")]
    for c, (lab, unit, d) in WDI_META.items():
        fields.append(field(c, df[c], lab, unit, d))
    fname, sha = write(df, "wdi")
    return {
        "name": "wdi",
        "title": "World Bank WDI extract: GDP per capita (PPP), GDP, government consumption and population, "
                 "2018-2022 (countries only)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "World Bank, World Development Indicators (extract made for the Blavatnik Index of Public "
                     "Administration 2024)",
        "url": "https://data.worldbank.org",
        "edition": "WDI as served by the World Bank API on 2024-06-06, years 2018-2022",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "citation": ("World Bank (2024). World Development Indicators: NY.GDP.PCAP.PP.CD, NY.GDP.PCAP.CD, "
                     "NY.GDP.MKTP.PP.CD, NY.GDP.MKTP.CD, NE.CON.GOVT.ZS, SP.POP.TOTL. Washington, DC. Extract: "
                     "blavatnik-index/bipa2024_sourcedata, data_raw/WB_WDI_2024/wb_wdi_2024.csv (commit 088271d)."),
        "obtained": "wb_wdi_2024.csv, a flattened World Bank API v2 extract (accessed 2024-06-06)",
        "source_files": [_src(rel)],
        "transformations": [
            f"economies ({df['iso3'].nunique()}: the countries and the Channel Islands, CHI) as "
            "polygov.data.parsers.wdi keeps them; values read from the file (missing = "
            "'NA'; Namibia keyed by its ISO code NAM, not its API id 'NA')",
            f"aggregates dropped (countries only): {len(dropped)} codes or blank keys, e.g. "
            f"{', '.join(str(d) for d in dropped[:12])} …",
            "long (one row per indicator) reshaped wide: one row per iso3-year; population written as an "
            "integer; rows sorted by iso3, year",
        ],
        "can_say": "Income (PPP and US$), the size of government consumption and population, 2018-2022, for "
                   "the World Bank's economies.",
        "cannot_say": ("Five years of one WDI vintage (later releases revise GDP); government consumption is "
                       "only one part of public spending (no transfers or investment)."),
        "coverage": None,
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ----------------------------------------------------------------------- ASEM
def build_asem(src: Sources, write, field) -> list[dict]:
    common = {
        "publisher": "European Commission, Joint Research Centre (ASEM Sustainable Connectivity Portal); "
                     "example data of the COINr R package",
        "url": "https://github.com/bluefoxr/COINr",
        "edition": "COINr 1.1.14 example data (ASEM_iData, ASEM_iMeta), commit b968203",
        "licenses": [{"name": "MIT (COINr package data)",
                      "path": "https://github.com/bluefoxr/COINr/blob/master/LICENSE"}],
        "citation": ("Becker, W., Caperna, G., Del Sorbo, M., Norlén, H., Papadimitriou, E. and Saisana, M. "
                     "(2022). COINr: An R package for developing composite indicators. Journal of Open Source "
                     "Software, 7(78), 4567. Data: European Commission JRC, ASEM Sustainable Connectivity "
                     "Portal."),
        "obtained": "exported from COINr's ASEM_iData and ASEM_iMeta with R's write.csv (no values changed)",
    }
    out = []
    rel = "asem/asem_iData.csv"
    d = pd.read_csv(src.path(rel), dtype={"uName": str, "uCode": str}, **CSV_EXACT_FLOATS)
    d = d.sort_values("uCode", ignore_index=True)
    fields = [field(c, d[c], {"uName": "Country name", "uCode": "ISO 3166-1 alpha-3 code",
                              "Time": "Year of the data"}.get(c, c)) for c in d.columns]
    fname, sha = write(d, "asem")
    out.append({"name": "asem", "title": "ASEM Sustainable Connectivity: 51 countries x 49 indicators (COINr "
                "example iData)", "path": fname, "format": "csv", "compression": "gz", "sha256": sha, **common,
                "source_files": [_src(rel)],
                "transformations": ["rows sorted by uCode; numbers in Python's shortest round-trip form; "
                                    "COINr's column names kept so polygov.index.from_coinr reads it as is",
                                    "the framework table is the separate dataset 'asem_meta'"],
                "can_say": "COINr's worked composite-indicator example: connectivity and sustainability of the "
                           "51 ASEM countries (2018 data).",
                "cannot_say": "A teaching example: one year, 51 countries; not a governance measure.",
                "coverage": None, "schema": {"fields": fields, "primaryKey": ["uCode"]}})
    rel = "asem/asem_iMeta.csv"
    m = pd.read_csv(src.path(rel), **CSV_EXACT_FLOATS, dtype={"iCode": str, "iName": str, "Parent": str, "Type": str,
                                           "Unit": str, "Denominator": str})
    fields = [field(c, m[c], c) for c in m.columns]
    fname, sha = write(m, "asem_meta")
    out.append({"name": "asem_meta", "title": "ASEM Sustainable Connectivity: framework table (COINr example "
                "iMeta: levels, directions, weights, parents)", "path": fname, "format": "csv",
                "compression": "gz", "sha256": sha, **common, "source_files": [_src(rel)],
                "transformations": ["none (row order kept); numbers in Python's shortest round-trip form"],
                "can_say": "The 4-level framework of the ASEM index: indicator codes, names, directions, "
                           "weights, units, targets, denominators and parents.",
                "cannot_say": "Metadata only; join with the 'asem' dataset.",
                "coverage": None, "schema": {"fields": fields, "primaryKey": ["iCode"]}})
    return out


BUILDERS = {"wgi": build_wgi, "vdem": build_vdem, "vdem_ert": build_vdem_ert, "egdi": build_egdi,
            "hdr": build_hdr, "wb_class": build_wb_class, "wdi": build_wdi, "asem": build_asem}
