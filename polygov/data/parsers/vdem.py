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
``country_text_id`` is V-Dem's own code, ISO-like but not ISO 3166. Codes
that are valid ISO3 pass through when the unit's name maps to the same code
(a guard against historical units of the full dataset whose code happens to be
a valid ISO code; all 174 such units of v14 since 1970 pass); :data:`CODE_EXCEPTIONS` lists every other
code met in v14 (value ``None`` = not a country-level ISO unit: dropped with a
:class:`~polygov.errors.DataQualityWarning`). Note that V-Dem's ``VNM`` before
1976 is North Vietnam, ``YEM`` before 1990 is North Yemen and ``DEU`` before
1990 is West Germany (V-Dem's continuity rules); these rows keep the modern code.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from ...errors import DataQualityWarning
from ._common import (
    check_csv_complete,
    check_edition_years,
    fail,
    names_to_iso3,
    require_columns,
    to_numeric_strict,
)

__all__ = ["CODE_EXCEPTIONS", "VARIABLES", "parse", "variables"]

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

#: V-Dem country_text_id -> ISO3 for codes that are not current ISO 3166-1.
CODE_EXCEPTIONS: dict[str, tuple[str | None, str]] = {
    "XKX": ("XKX", "Kosovo: not in ISO 3166-1; XKX as used by the World Bank and EU"),
    "PSE": ("PSE", "Palestine/West Bank: ISO PSE (State of Palestine)"),
    "PSG": (None, "Palestine/Gaza (2007-): a second unit for PSE; no separate ISO code"),
    "ZZB": (None, "Zanzibar: part of Tanzania (TZA); no ISO code"),
    "SML": (None, "Somaliland: part of Somalia (SOM) in ISO 3166; no ISO code"),
    "DDR": ("DDR", "German Democratic Republic (to 1990): withdrawn ISO 3166-3 code DDR"),
    "YMD": ("YMD", "South Yemen (to 1990): withdrawn ISO 3166-3 code YMD"),
    "VDR": (None, "Republic of Vietnam (South, to 1975): no ISO code (ISO's withdrawn 'VDR' "
                  "was North Vietnam)"),
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


def _check_complete(path: Path, df: pd.DataFrame, version: int) -> None:
    """Refuse a file missing units in its last year (truncated at a line break, or filtered)."""
    last = int(df["year"].max())
    n_last = df.loc[df["year"] == last, "country_text_id"].nunique()
    need = UNITS_LAST_YEAR.get(version, MIN_UNITS_LAST_YEAR)
    if n_last < need:
        end = df.iloc[-1]
        fail(path, f"incomplete V-Dem file: only {n_last} unit(s) have data for {last}, the last "
                   f"year, but V-Dem v{version} covers at least {need}. The file ends with "
                   f"{end['country_name']} ({end['country_text_id']}) in {int(end['year'])}: it "
                   "is truncated or filtered. Download it again")


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

    Notes
    -----
    Units without an ISO3 code (:data:`CODE_EXCEPTIONS` value ``None``, and
    historical units not in ISO 3166) are dropped with a
    :class:`~polygov.errors.DataQualityWarning` naming them. Missing values
    stay missing (V-Dem codes many variables only in some years).

    A file is refused (:class:`~polygov.data.parsers.ParseError`) when fewer
    units have data in its last year than the version covers
    (:data:`UNITS_LAST_YEAR`, else :data:`MIN_UNITS_LAST_YEAR`): a download
    cut off at a line break parses otherwise.
    """
    path = Path(path)
    wanted = set(_ID) | set(VARIABLES) | set(extra or [])
    if path.suffix.lower() == ".rda":
        try:
            import pyreadr
        except ImportError as exc:
            raise ImportError("reading V-Dem .rda files needs pyreadr: pip install pyreadr "
                              "(or import the CSV instead)") from exc
        try:
            objs = pyreadr.read_r(str(path))
        except Exception as exc:
            fail(path, f"cannot be read as an R data file ({type(exc).__name__}: {exc})")
        raw = next(iter(objs.values()))
        raw = raw[[c for c in raw.columns if c in wanted]]
    else:
        with open(path, "rb") as fh:
            head = fh.read(2048)
        try:
            first = head.decode("utf-8-sig").splitlines()[0]
        except (UnicodeDecodeError, IndexError):
            fail(path, "is not a UTF-8 CSV file; is it the V-Dem country-year CSV?")
        if not all(c in first.replace('"', "").split(",") for c in _ID):
            fail(path, f"not a V-Dem country-year CSV: the header lacks {_ID}; it starts "
                       f"{first[:80]!r}")
        check_csv_complete(path)
        try:
            raw = pd.read_csv(path, usecols=lambda c: c in wanted, encoding="utf-8-sig",
                              dtype={"country_name": str, "country_text_id": str},
                              keep_default_na=False, na_values=[""], low_memory=False)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            fail(path, f"cannot be parsed as CSV ({type(exc).__name__}: {exc}); the file may "
                       "be truncated or corrupted")
    require_columns(path, raw.columns, _ID + REQUIRED + list(extra or []),
                    "V-Dem country-year file with the civil-society, rule-of-law, corruption "
                    "and local/regional government variables")
    values = [c for c in [*VARIABLES, *(extra or [])] if c in raw.columns]
    df = to_numeric_strict(path, raw, values + ["year"])
    if df["year"].isna().any() or df["country_text_id"].isna().any():
        fail(path, "rows without country_text_id or year; the file is truncated or corrupted")
    df["year"] = df["year"].astype(int)
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
    _check_complete(path, df, int(m.group(1)) if m else int(df["year"].max()) - 2009)
    from ...countries import known_codes

    known = known_codes()
    df["country_text_id"] = df["country_text_id"].str.strip()
    units = df.groupby("country_text_id")["country_name"].first()
    # a V-Dem code is taken as ISO3 only if the unit's name maps to the same code: this
    # guards against historical units whose code happens to be a valid ISO code
    by_name, _ = names_to_iso3(units, {})
    mapping, clash = {}, []
    for code, name in units.items():
        if code in CODE_EXCEPTIONS:
            mapping[code] = CODE_EXCEPTIONS[code][0]
        elif code in known and by_name[code] == code:
            mapping[code] = code
        else:
            mapping[code] = None
            if code in known:
                clash.append(f"{code} ({name}: its name maps to "
                             f"{by_name[code] or 'no ISO code'})")
    df["iso3"] = df["country_text_id"].map(mapping)
    dropped = units[[mapping[c] is None for c in units.index]]
    if len(dropped):
        shown = [f"{k} ({v})" for k, v in dropped.items()][:20]
        more = f", … ({len(dropped) - 20} more)" if len(dropped) > 20 else ""
        warnings.warn(
            f"V-Dem: {len(dropped)} unit(s) without an ISO3 code dropped "
            f"({int(df['iso3'].isna().sum())} rows): " + ", ".join(shown) + more
            + (f"; code/name clashes: {clash}" if clash else "")
            + "; see polygov.data.parsers.vdem.CODE_EXCEPTIONS",
            DataQualityWarning, stacklevel=2)
    df = df[df["iso3"].notna()]
    dup = df.duplicated(["iso3", "year"])
    if dup.any():
        fail(path, f"duplicated iso3-year rows after mapping: "
                   f"{df.loc[dup, ['iso3', 'year']].head(3).to_dict('records')}")
    df = df.rename(columns={"country_name": "country", "country_text_id": "vdem_code"})
    df["edition"] = edition if edition is not None else f"v{int(df['year'].max()) - 2009}"
    cols = ["iso3", "year", "country", "vdem_code", *values, "edition"]
    return df[cols].sort_values(["iso3", "year"], ignore_index=True)
