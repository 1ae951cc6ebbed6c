"""Parser for the V-Dem Country-Year dataset (v14 and later), selected variables.

Reads the official *Country-Year Full+Others* CSV (thousands of columns; only
the variables in :data:`VARIABLES` are loaded, selected by name) or the
vdemlite subset (CSV, or the original ``.rda`` when ``pyreadr`` is installed).

Variables and their direction
-----------------------------
``direction`` says which way is *better governance / more polycentric*:
+1 = higher is better, -1 = higher is worse (reverse-coded relative to WGI).
Check against the V-Dem v14 codebook; the empirical sign of each variable's
correlation with ``v2x_rule`` in 1970-2023 agrees with the direction given.

=================  ==================================================  ========  =========
code               meaning                                             scale     direction
=================  ==================================================  ========  =========
v2xcs_ccsi         core civil society index                            0-1       +1
v2cseeorgs         CSO entry and exit (state control of CSOs; high =   latent    +1
                   unconstrained)
v2csreprss         CSO repression (high = *no* repression; the name    latent    +1
                   reads negative but the scale is not reversed)
v2csprtcpt         CSO participatory environment                       latent    +1
v2cscnsult         CSO consultation by policymakers                    latent    +1
v2x_cspart         civil society participation index                   0-1       +1
v2x_partip         participatory component index                       0-1       +1
v2x_partipdem      participatory democracy index                       0-1       +1
v2x_rule           rule of law index                                   0-1       +1
v2xcl_rol          equality before the law and individual liberty      0-1       +1
v2x_corr           political corruption index (high = MORE corrupt)    0-1       -1
v2x_execorr        executive corruption index (high = more corrupt)    0-1       -1
v2x_pubcorr        public sector corruption index (high = more         0-1       -1
                   corrupt)
v2x_neopat         neopatrimonial rule index (high = more              0-1       -1
                   neopatrimonial)
v2xel_locelec      local government index (elected, powerful local     0-1       +1
                   government)
v2xel_regelec      regional government index                           0-1       +1
v2ellocpwr         local offices' power relative to central offices    latent    +1
v2elrgpwr          regional offices' power relative to central         latent    +1
v2x_feduni         division of power index (federalism/unitarism)      0-1       +1
v2x_polyarchy      electoral democracy index                           0-1       +1
v2x_libdem         liberal democracy index                             0-1       +1
v2x_accountability accountability index                                latent    +1
v2x_horacc         horizontal accountability index                     latent    +1
v2x_veracc         vertical accountability index                       latent    +1
v2x_diagacc        diagonal accountability index                       latent    +1
e_gdppc            GDP per capita (thousands, 2011 $; Fariss et al.)   level     0
e_wb_pop           population (World Bank)                             count     0
=================  ==================================================  ========  =========

"latent" = unbounded Bayesian IRT point estimate (about -4 to 4); "0-1" =
aggregated index. Before combining ``v2x_corr`` with WGI ``cc`` (higher = less
corruption), flip its sign (``1 - v2x_corr``).

Country codes
-------------
``country_text_id`` is V-Dem's own code, ISO-like but not ISO 3166. Every unit
of the file is kept (no row is dropped), keyed by :func:`unit_codes`:

1. codes listed in :data:`CODE_EXCEPTIONS` get the code given there, with the
   reason: Kosovo ``XKX`` (World Bank/EU user code), Palestine/West Bank ``PSE``,
   the historical states ``DDR`` and ``YMD`` (withdrawn ISO 3166-3 codes), and
   units with no ISO code of their own that keep **V-Dem's code** (registered
   in :data:`polygov.countries.HISTORICAL_CODES`): the Republic of Vietnam
   ``VDR`` (South Vietnam to 1975; ISO 3166-3's withdrawn ``VDR`` was *North*
   Vietnam, so the code means what V-Dem means by it), Zanzibar ``ZZB`` (in ISO's
   user-assigned range), Somaliland ``SML``, Palestine/Gaza ``PSG`` and
   Palestine/British Mandate ``PSB`` (ERT, 1918-1948);
2. any other code that is a known ISO3 code passes through when the unit's name
   maps to the same code (a guard against historical units of the full dataset
   whose code happens to be a valid ISO code; all 174 such units of v14 since
   1970 pass);
3. anything else (historical units of the full dataset before 1900, or a code
   clashing with an ISO code) has no polygov key: those rows are dropped with
   a :class:`~polygov.errors.DataQualityWarning` naming them. No unit of the
   vdemlite v14 subset or of ERT v15 falls here.

Note that V-Dem's ``VNM`` before 1976 is North Vietnam, ``YEM`` before 1990 is
North Yemen and ``DEU`` before 1990 is West Germany (V-Dem's continuity rules);
these rows keep the modern code. The code each unit got, and why, is in the
result's ``attrs["code_mapping"]``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from ...errors import DataQualityWarning
from ._common import (
    check_args,
    check_edition_years,
    fail,
    names_to_iso3,
    read_csv,
    reading,
    require_columns,
    sniff_text,
    to_numeric_strict,
)

__all__ = ["CODE_EXCEPTIONS", "VARIABLES", "parse", "unit_codes", "variables"]

#: code -> (label, scale, direction)
VARIABLES: dict[str, tuple[str, str, int]] = {
    "v2xcs_ccsi": ("Core civil society index", "0-1", 1),
    "v2cseeorgs": ("CSO entry and exit (high = unconstrained)", "latent", 1),
    "v2csreprss": ("CSO repression (high = no repression)", "latent", 1),
    "v2csprtcpt": ("CSO participatory environment", "latent", 1),
    "v2cscnsult": ("CSO consultation", "latent", 1),
    "v2x_cspart": ("Civil society participation index", "0-1", 1),
    "v2x_partip": ("Participatory component index", "0-1", 1),
    "v2x_partipdem": ("Participatory democracy index", "0-1", 1),
    "v2x_rule": ("Rule of law index", "0-1", 1),
    "v2xcl_rol": ("Equality before the law and individual liberty index", "0-1", 1),
    "v2x_corr": ("Political corruption index (high = MORE corrupt)", "0-1", -1),
    "v2x_execorr": ("Executive corruption index (high = more corrupt)", "0-1", -1),
    "v2x_pubcorr": ("Public sector corruption index (high = more corrupt)", "0-1", -1),
    "v2x_neopat": ("Neopatrimonial rule index (high = more neopatrimonial)", "0-1", -1),
    "v2xel_locelec": ("Local government index", "0-1", 1),
    "v2xel_regelec": ("Regional government index", "0-1", 1),
    "v2ellocpwr": ("Local offices relative power", "latent", 1),
    "v2elrgpwr": ("Regional offices relative power", "latent", 1),
    "v2x_feduni": ("Division of power index", "0-1", 1),
    "v2x_polyarchy": ("Electoral democracy index", "0-1", 1),
    "v2x_libdem": ("Liberal democracy index", "0-1", 1),
    "v2x_accountability": ("Accountability index", "latent", 1),
    "v2x_horacc": ("Horizontal accountability index", "latent", 1),
    "v2x_veracc": ("Vertical accountability index", "latent", 1),
    "v2x_diagacc": ("Diagonal accountability index", "latent", 1),
    "e_gdppc": ("GDP per capita (thousands, Fariss et al.)", "level", 0),
    "e_wb_pop": ("Population (World Bank)", "count", 0),
}

#: The civil-society, rule-of-law, corruption and local/regional variables a
#: file must contain to be accepted.
REQUIRED = ["v2xcs_ccsi", "v2cseeorgs", "v2csreprss", "v2csprtcpt", "v2x_partip", "v2x_rule",
            "v2x_corr", "v2xel_locelec", "v2xel_regelec"]

#: V-Dem country_text_id -> (polygov code, reason) for codes that are not current ISO
#: 3166-1 codes of the same unit. Every code here is in polygov.countries.known_codes().
CODE_EXCEPTIONS: dict[str, tuple[str | None, str]] = {
    "XKX": ("XKX", "Kosovo: not in ISO 3166-1; XKX as used by the World Bank and EU"),
    "PSE": ("PSE", "Palestine/West Bank: ISO PSE (State of Palestine)"),
    "PSG": ("PSG", "Palestine/Gaza (1948-1967, 2007-): V-Dem's own code, kept; ISO has one code "
                   "(PSE) for the State of Palestine"),
    "PSB": ("PSB", "Palestine/British Mandate (1918-1948): V-Dem's own code, kept"),
    "ZZB": ("ZZB", "Zanzibar: part of Tanzania (TZA) in ISO 3166; V-Dem's code (in ISO's "
                   "user-assigned range ZZA-ZZZ), kept"),
    "SML": ("SML", "Somaliland: part of Somalia (SOM) in ISO 3166; V-Dem's own code, kept"),
    "DDR": ("DDR", "German Democratic Republic (to 1990): withdrawn ISO 3166-3 code DDR"),
    "YMD": ("YMD", "South Yemen (to 1990): withdrawn ISO 3166-3 code YMD"),
    "VDR": ("VDR", "Republic of Vietnam (South, to 1975): V-Dem's code, kept. ISO 3166-3's "
                   "withdrawn 'VDR' was North Vietnam, which V-Dem codes as VNM"),
}

_ID = ["country_name", "country_text_id", "year"]

#: Units (``country_text_id``) with data in the last year of each version, as
#: published (v14: the 179 units of the Democracy Report 2024, data for 2023). A file
#: with fewer is truncated or filtered, even when it was cut at a line break.
UNITS_LAST_YEAR: dict[int, int] = {14: 179}
#: Lower bound for versions not in :data:`UNITS_LAST_YEAR` (every version since v10
#: covers more than 170 units in its last year).
MIN_UNITS_LAST_YEAR = 170


def variables() -> pd.DataFrame:
    """Return :data:`VARIABLES` as a table: ``code``, ``label``, ``scale``, ``direction``."""
    return pd.DataFrame([(k, *v) for k, v in VARIABLES.items()],
                        columns=["code", "label", "scale", "direction"])


def check_last_year_units(path: Path, df: pd.DataFrame, version: int, need: int, what: str, *,
                          at_least: bool = True) -> None:
    """Refuse a V-Dem-layout file missing units in its last year (truncated at a line break, or
    filtered): ``need`` units must have data in the last year. Shared by V-Dem and ERT."""
    last = int(df["year"].max())
    n_last = df.loc[df["year"] == last, "country_text_id"].nunique()
    if n_last < need:
        end = df.iloc[-1]
        fail(path, f"incomplete {what} file: only {n_last} unit(s) have data for {last}, the last "
                   f"year, but {what} v{version} covers {'at least ' if at_least else ''}{need}. "
                   "The file ends with "
                   f"{end['country_name']} ({end['country_text_id']}) in {int(end['year'])}: it "
                   "is truncated or filtered. Download it again")


def read_rdata(path: Path, what: str) -> dict:
    """The objects of an R data file (``.rda``/``.RData``) via pyreadr, or a clear error.

    A missing pyreadr raises ``ImportError`` naming the package and the CSV alternative; an
    unreadable file raises :class:`ParseError` naming it. Shared by the V-Dem readers.
    """
    try:
        import pyreadr
    except ImportError as exc:
        raise ImportError(f"reading {what} from an R data file needs pyreadr: pip install pyreadr "
                          "(or read the CSV instead)") from exc
    try:
        return pyreadr.read_r(str(path))
    except Exception as exc:
        fail(path, f"cannot be read as an R data file ({type(exc).__name__}: {exc})")
    raise AssertionError  # pragma: no cover - fail() raises


def unit_codes(units: pd.Series) -> pd.DataFrame:
    """Key V-Dem units: one row per ``country_text_id`` with the polygov code and the rule used.

    Parameters
    ----------
    units : Series
        Unit name (``country_name``) indexed by V-Dem's ``country_text_id``.

    Returns
    -------
    DataFrame
        ``vdem_code``, ``country``, ``iso3`` (missing when the unit has no polygov
        key), ``rule`` (``"exception"``, ``"iso3"``, ``"clash"`` or ``"unknown"``)
        and ``note``. The rules are described in the module docstring.
    """
    from ...countries import known_codes

    known = known_codes()
    by_name, _ = names_to_iso3(units, {})
    rows = []
    for code, name in units.items():
        if code in CODE_EXCEPTIONS:
            iso, note = CODE_EXCEPTIONS[code]
            rows.append((code, name, iso, "exception", note))
        elif code in known and by_name[code] == code:
            rows.append((code, name, code, "iso3", "V-Dem code is the unit's ISO3 code"))
        elif code in known:
            rows.append((code, name, None, "clash",
                         f"its name maps to {by_name[code] or 'no ISO code'}"))
        else:
            rows.append((code, name, None, "unknown", "not a code known to polygov.countries"))
    return pd.DataFrame(rows, columns=["vdem_code", "country", "iso3", "rule", "note"])


def key_units(path: Path, df: pd.DataFrame, what: str) -> pd.DataFrame:
    """Add ``iso3`` to a V-Dem frame (``country_text_id``, ``country_name``) by :func:`unit_codes`.

    Units without a key are dropped with a :class:`~polygov.errors.DataQualityWarning`;
    a duplicated ``iso3``-``year`` after keying raises :class:`ParseError`. The
    mapping is returned in ``attrs["code_mapping"]`` (code -> polygov code).
    """
    df = df.copy()
    df["country_text_id"] = df["country_text_id"].str.strip()
    units = df.groupby("country_text_id")["country_name"].first()
    rep = unit_codes(units).set_index("vdem_code")
    df["iso3"] = df["country_text_id"].map(rep["iso3"])
    dropped = rep[rep["iso3"].isna()]
    if len(dropped):
        shown = [f"{k} ({v})" for k, v in dropped["country"].items()][:20]
        more = f", … ({len(dropped) - 20} more)" if len(dropped) > 20 else ""
        clash = [f"{k} ({r.country}: {r.note})" for k, r in dropped.iterrows() if r.rule == "clash"]
        warnings.warn(
            f"{what}: {len(dropped)} unit(s) without a polygov country code dropped "
            f"({int(df['iso3'].isna().sum())} rows): " + ", ".join(shown) + more
            + (f"; code/name clashes: {clash}" if clash else "")
            + "; see polygov.data.parsers.vdem.CODE_EXCEPTIONS",
            DataQualityWarning, stacklevel=3)
    df = df[df["iso3"].notna()]
    dup = df.duplicated(["iso3", "year"])
    if dup.any():
        fail(path, f"duplicated iso3-year rows after mapping: "
                   f"{df.loc[dup, ['iso3', 'year']].head(3).to_dict('records')}")
    df.attrs["code_mapping"] = {k: v for k, v in rep["iso3"].items()}
    return df


_WHAT = "a V-Dem country-year file"


def parse(path: str | Path, *, edition: str | None = None,
          extra: list[str] | None = None) -> pd.DataFrame:
    """Parse a V-Dem country-year file into a tidy ``iso3``-``year`` panel.

    Parameters
    ----------
    path : path-like
        Official Country-Year CSV, the vdemlite CSV, or ``vdemlite.rda``.
    edition : str, optional
        ``"v14"`` etc.; a label ``vN…`` is checked against the last data year
        (version N covers data to 2009 + N, e.g. v14 to 2023).
    extra : list of str, optional
        More V-Dem variables to keep, by name.

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country``, ``vdem_code``, then every variable of
        :data:`VARIABLES` present in the file (plus ``extra``), and ``edition``.
        ``attrs["code_mapping"]`` maps each ``vdem_code`` to its ``iso3``.

    Notes
    -----
    Every row of the file is kept: all 9,170 rows (182 units) of the vdemlite v14
    subset. Non-ISO and historical units keep their own codes (module docstring,
    :data:`CODE_EXCEPTIONS`). Only units polygov cannot key (none in v14-lite) are
    dropped, with a :class:`~polygov.errors.DataQualityWarning` naming them.
    Missing values stay missing (V-Dem codes many variables only in some years).

    A file is refused (:class:`~polygov.data.parsers.ParseError`) when fewer
    units have data in its last year than the version covers
    (:data:`UNITS_LAST_YEAR`, else :data:`MIN_UNITS_LAST_YEAR`): a download
    cut off at a line break parses otherwise. A file in another encoding, with
    decimal commas, or damaged in any other way is refused naming the file and
    the problem.
    """
    path = check_args(path, edition)
    if extra is not None and (isinstance(extra, str)
                              or not all(isinstance(c, str) for c in extra)):
        raise TypeError(f"extra must be a list of V-Dem variable names, got {extra!r}")
    with reading(path, _WHAT):
        return _parse(path, edition, list(extra or []))
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None, extra: list[str]) -> pd.DataFrame:
    wanted = set(_ID) | set(VARIABLES) | set(extra)
    if path.suffix.lower() == ".rda":
        objs = read_rdata(path, "V-Dem")
        if not objs:
            fail(path, "the R data file holds no data frame")
        raw = next(iter(objs.values()))
        raw = raw[[c for c in raw.columns if c in wanted]]
    else:
        enc = sniff_text(path, "a V-Dem country-year CSV")
        with open(path, "rb") as fh:
            first = fh.readline(1 << 16).decode(enc, errors="replace")
        if not all(c in first.strip().replace('"', "").split(",") for c in _ID):
            fail(path, f"not a V-Dem country-year CSV: the header lacks {_ID}; it starts "
                       f"{first[:80]!r}")
        raw = read_csv(path, "a V-Dem country-year CSV", usecols=lambda c: c in wanted,
                       dtype={"country_name": str, "country_text_id": str},
                       keep_default_na=False, na_values=[""], low_memory=False)
    require_columns(path, raw.columns, _ID + REQUIRED + extra,
                    "V-Dem country-year file with the civil-society, rule-of-law, corruption "
                    "and local/regional government variables")
    values = [c for c in [*VARIABLES, *extra] if c in raw.columns]
    df = to_numeric_strict(path, raw, values + ["year"])
    if (df["year"].isna().any() or df["country_text_id"].isna().any()
            or df["country_name"].isna().any()):
        fail(path, "rows without country_text_id, country_name or year; the file is truncated "
                   "or corrupted")
    if not df["year"].between(1789, 2100).all() or (df["year"] % 1 != 0).any():
        fail(path, f"year must be a whole number within 1789-2100; found "
                   f"{df.loc[~df['year'].between(1789, 2100) | (df['year'] % 1 != 0), 'year'].head(3).tolist()}")
    df["year"] = df["year"].astype(int)
    df["country_text_id"] = df["country_text_id"].astype(str)
    df["country_name"] = df["country_name"].astype(str)
    m = re.match(r"v(\d+)", edition or "")
    check_edition_years(path, df["year"], edition, 2009 + int(m.group(1)) if m else None,
                        "V-Dem (version N covers data to 2009+N)")
    # index variables must lie in [0, 1]: a corrupted column shows up here
    for c in values:
        if VARIABLES.get(c, ("", ""))[1] == "0-1":
            bad = df[c].notna() & ~df[c].between(0, 1)
            if bad.any():
                fail(path, f"{c} should lie in [0, 1] but has {int(bad.sum())} value(s) outside, "
                           f"e.g. {df.loc[bad, c].head(3).tolist()}")
    version = int(m.group(1)) if m else int(df["year"].max()) - 2009
    check_last_year_units(path, df, version, UNITS_LAST_YEAR.get(version, MIN_UNITS_LAST_YEAR),
                          "V-Dem")
    df = key_units(path, df, "V-Dem")
    mapping = df.attrs.pop("code_mapping")
    df = df.rename(columns={"country_name": "country", "country_text_id": "vdem_code"})
    df["edition"] = edition if edition is not None else f"v{int(df['year'].max()) - 2009}"
    cols = ["iso3", "year", "country", "vdem_code", *values, "edition"]
    out = df[cols].sort_values(["iso3", "year"], ignore_index=True)
    out.attrs["code_mapping"] = mapping
    return out
