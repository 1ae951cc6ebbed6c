"""Country harmonisation: ISO 3166-1 alpha-3 codes, names, regions and peer groups.

Name matching is done by ``country_converter`` (coco, Stadler 2017), whose
regular expressions cover the usual spellings ("Korea, Rep.", "Viet Nam",
"Cote d'Ivoire" ...).  polygov adds a small, documented table of exceptions
(:data:`EXCEPTIONS`) for names coco misses or maps wrongly in our sources —
historical entities, sub-national survey samples and source-specific codes — and
every conversion can report how each name was resolved (:func:`mapping_report`).

Regions come from coco's UN M49 classification (``continent``, ``un_region``).
Peer groups (:data:`PEER_GROUPS`) are explicit ISO3 lists with a documented
definition each.

The World Bank's income classification for fiscal year 2025 is bundled
(dataset ``wb_class``, from the World Bank's CLASS.xlsx), so
:func:`income_groups` works offline; a newer classification can be fetched on
request (``polygov data fetch wb_class``) and read with
``income_groups(edition=...)``.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterable

import pandas as pd

from .errors import DataQualityWarning, as_year, close_matches

__all__ = [
    "EXCEPTIONS",
    "PEER_GROUPS",
    "PEER_GROUP_DEFINITIONS",
    "country_names",
    "country_table",
    "income_groups",
    "known_codes",
    "mapping_report",
    "peer_group",
    "to_iso3",
    "un_members",
    "validate_iso3",
]

_ISO3 = re.compile(r"^[A-Z]{3}$")

#: Names (or source codes) that country_converter misses or maps wrongly in the
#: sources polygov uses.  Value ``None`` means "not a country-level unit: drop
#: with a report".  Each entry carries the reason.
EXCEPTIONS: dict[str, tuple[str | None, str]] = {
    "Central Afr. Rep.": ("CAF", "HFI abbreviation of Central African Republic"),
    "BRD": ("BRB", "HFI 2018 codes Barbados as 'BRD' instead of ISO 'BRB'"),
    "Serbia and Montenegro": ("SCG", "state union 2003-2006; withdrawn ISO 3166-1 code SCG (ISO 3166-3)"),
    "Yugoslavia": ("YUG", "historical; withdrawn ISO 3166-1 code YUG"),
    "Czechoslovakia": ("CSK", "historical; withdrawn ISO 3166-1 code CSK (coco maps it to CZE)"),
    "USSR": ("SUN", "historical; withdrawn ISO 3166-1 code SUN"),
    "Soviet Union": ("SUN", "historical; withdrawn ISO 3166-1 code SUN"),
    "East Germany": ("DDR", "historical; withdrawn ISO 3166-1 code DDR"),
    "Kosovo": ("XKX", "not in ISO 3166-1; XKX is the user-assigned code used by the World Bank and EU"),
    "North Ireland": (None, "WVS sample of Northern Ireland, part of GBR: not a country-level unit"),
    "Northern Ireland": (None, "part of GBR: not a country-level unit"),
    "Northern Cyprus": (None, "not an ISO 3166 entity; coco would wrongly map it to CYP"),
    "Channel Islands": (None, "Crown dependencies without one ISO code (GGY, JEY)"),
    # V-Dem's units without a current ISO code keep V-Dem's own code (HISTORICAL_CODES)
    "German Democratic Republic": ("DDR", "historical (1949-1990); withdrawn ISO 3166-1 code DDR"),
    "South Yemen": ("YMD", "historical (to 1990); withdrawn ISO 3166-1 code YMD (coco maps it to YEM)"),
    "Republic of Vietnam": ("VDR", "South Vietnam (to 1975), V-Dem's code VDR; not ISO 3166-3's VDR, which "
                                   "was North Vietnam (coco finds no match)"),
    "Palestine/British Mandate": ("PSB", "V-Dem unit 1918-1948, V-Dem's code (coco maps it to PSE)"),
    "Palestine/Gaza": ("PSG", "V-Dem unit (Gaza, 1948-), V-Dem's code; ISO PSE covers West Bank and Gaza"),
    "Somaliland": ("SML", "V-Dem unit, V-Dem's code; part of SOM in ISO 3166 (coco maps it to SOM)"),
    "Zanzibar": ("ZZB", "V-Dem unit, V-Dem's code; part of TZA in ISO 3166"),
}

#: Codes accepted by :func:`validate_iso3` although not current ISO 3166-1: historical
#: states and the units a bundled source codes on its own.  Official parsers emit ANT
#: (WGI, to 2009) and YMD (V-Dem, to 1990); the bundled V-Dem extracts (``vdem``,
#: ``vdem_ert``) keep V-Dem's own code for every unit without an ISO code (PSB, PSG,
#: SML, VDR, ZZB), and ``wb_class`` keeps the World Bank's CHI.  Beware: V-Dem's VDR
#: is the Republic of Vietnam (South Vietnam, to 1975), while ISO 3166-3's withdrawn
#: VDR was North Vietnam (which V-Dem codes VNM).
HISTORICAL_CODES = {"SCG": "Serbia and Montenegro", "YUG": "Yugoslavia", "CSK": "Czechoslovakia",
                    "SUN": "USSR", "DDR": "East Germany", "XKX": "Kosovo",
                    "ANT": "Netherlands Antilles (former)", "YMD": "South Yemen / Yemen PDR",
                    "VDR": "South Vietnam",  # Republic of Vietnam to 1975 (V-Dem code)
                    "PSB": "Palestine (British Mandate)",  # 1918-1948 (V-Dem code)
                    "PSG": "Palestine/Gaza",  # V-Dem code; ISO PSE covers both parts
                    "SML": "Somaliland",  # V-Dem code; part of SOM in ISO 3166
                    "ZZB": "Zanzibar",  # V-Dem code; part of TZA in ISO 3166
                    "CHI": "Channel Islands"}  # World Bank code; GGY and JEY in ISO 3166

PEER_GROUPS: dict[str, tuple[str, ...]] = {
    "BRICS": ("BRA", "RUS", "IND", "CHN", "ZAF"),
    "G20": ("ARG", "AUS", "BRA", "CAN", "CHN", "FRA", "DEU", "IND", "IDN", "ITA", "JPN", "KOR",
            "MEX", "RUS", "SAU", "ZAF", "TUR", "GBR", "USA"),
    "East Asia": ("CHN", "HKG", "JPN", "KOR", "MAC", "MNG", "PRK", "TWN"),
    "East Asia & Pacific": (),  # filled from coco's UN M49 regions below
    "OECD": (),  # filled from coco below
    "China peers": ("CHN", "BRA", "RUS", "IND", "ZAF", "IDN", "MYS", "THA", "VNM", "MEX", "TUR",
                    "KOR", "JPN"),
}

PEER_GROUP_DEFINITIONS: dict[str, str] = {
    "BRICS": "The five BRICS members of 2010-2023 (Brazil, Russia, India, China, South Africa).",
    "G20": "The 19 member countries of the G20 (the EU and African Union, also members, are not countries).",
    "East Asia": "UN M49 sub-region Eastern Asia.",
    "East Asia & Pacific": (
        "UN M49 sub-regions Eastern Asia, South-eastern Asia, Australia and New Zealand, Melanesia, "
        "Micronesia and Polynesia: an M49 approximation of the World Bank's East Asia & Pacific region "
        "(which also has no Central Asia)."
    ),
    "OECD": "OECD members as listed by country_converter (38 members, accession up to 2021).",
    "China peers": (
        "polygov's course comparison set: the other BRICS, large East and South-East Asian "
        "economies (Indonesia, Malaysia, Thailand, Viet Nam, Korea, Japan) and two large "
        "upper-middle-income reformers (Mexico, Turkey)."
    ),
}

_EAP_M49 = {"Eastern Asia", "South-eastern Asia", "Australia and New Zealand", "Melanesia",
            "Micronesia", "Polynesia"}


_COCO_STR = ("name_short", "name_official", "regex", "ISO2", "ISO3", "continent", "UNregion",
             "EXIO1", "EXIO2", "EXIO3", "WIOD")
_COCO_INT = ("ISOnumeric", "UNcode", "FAOcode", "GBDcode", "EURO", "UN", "UNmember", "obsolete",
             "GEOnumeric")


@functools.lru_cache(maxsize=1)
def _coco():
    """coco's converter on its own table, read so that Namibia's ISO2 code "NA" stays a string.

    country_converter 1.3 reads its table with pandas' default missing-value strings
    (which include "NA") and then converts; under pandas 3 that turns Namibia's ISO2
    code into a missing value and ``CountryConverter()`` fails.  Reading the table
    here with only empty cells as missing gives the identical table under pandas 2.
    """
    import country_converter as coco
    from country_converter.country_converter import COUNTRY_DATA_FILE

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    table = pd.read_csv(COUNTRY_DATA_FILE, sep="\t", encoding="utf-8", keep_default_na=False,
                        na_values=[""], dtype=dict.fromkeys(_COCO_STR, str))
    table = table.astype({c: "Int64" for c in _COCO_INT if c in table.columns})
    return coco.CountryConverter(country_data=table)


@functools.lru_cache(maxsize=1)
def country_table() -> pd.DataFrame:
    """Return one row per country or territory known to polygov.

    Returns
    -------
    DataFrame
        Columns: ``iso3``, ``country`` (short English name), ``country_official``,
        ``continent``, ``un_region`` (UN M49 sub-region), ``un_member`` (bool),
        ``un_admission`` (year of UN admission, ``Int64``, missing for
        non-members; coco's ``UNmember``, e.g. South Sudan 2011, Montenegro
        2006, Switzerland 2002; Serbia 2000, the admission of the Federal
        Republic of Yugoslavia that it continues), ``oecd`` (bool), ``g20`` (bool, the 19 member countries), ``eu`` (bool),
        ``brics`` (bool).  Historical entities (:data:`HISTORICAL_CODES`) are
        appended with ``continent`` etc. missing.
    """
    d = _coco().data
    t = pd.DataFrame({
        "iso3": d["ISO3"].astype(str),
        "country": d["name_short"].astype(str),
        "country_official": d["name_official"].astype(str),
        "continent": d["continent"],
        "un_region": d["UNregion"],
        "un_member": d["UNmember"].notna().to_numpy(),
        "un_admission": pd.array(d["UNmember"], dtype="Int64"),
        "oecd": d["OECD"].notna().to_numpy(),
        "eu": d["EU"].notna().to_numpy(),
    })
    t["g20"] = t["iso3"].isin(PEER_GROUPS["G20"])
    t["brics"] = t["iso3"].isin(PEER_GROUPS["BRICS"])
    hist = pd.DataFrame({"iso3": list(HISTORICAL_CODES), "country": list(HISTORICAL_CODES.values()),
                         "country_official": list(HISTORICAL_CODES.values())})
    hist = hist[~hist["iso3"].isin(t["iso3"])]
    for col in ("un_member", "oecd", "eu", "g20", "brics"):
        hist[col] = False
    hist["un_admission"] = pd.array([pd.NA] * len(hist), dtype="Int64")
    t = pd.concat([t, hist], ignore_index=True).sort_values("iso3", ignore_index=True)
    return t


def un_members(before: int | None = None) -> list[str]:
    """Return the sorted ISO3 codes of UN member states.

    Parameters
    ----------
    before : int, optional
        Only states admitted in an earlier year (``un_admission < before``): the
        members a publication of year ``before`` can be expected to cover. By
        default, all current members (193).

    Examples
    --------
    >>> len(un_members()), "SSD" in un_members(before=2011), "SSD" in un_members(before=2012)
    (193, False, True)
    """
    t = country_table()
    t = t[t["un_member"]]
    if before is not None:
        t = t[t["un_admission"] < as_year(before, name="before")]
    return sorted(t["iso3"])


def _groups() -> dict[str, tuple[str, ...]]:
    t = country_table()
    groups = dict(PEER_GROUPS)
    groups["OECD"] = tuple(t.loc[t["oecd"], "iso3"])
    groups["East Asia & Pacific"] = tuple(t.loc[t["un_region"].isin(_EAP_M49), "iso3"])
    return groups


def peer_group(name: str) -> list[str]:
    """Return the sorted ISO3 codes of a peer group.

    Parameters
    ----------
    name : str
        One of ``PEER_GROUPS`` (case-insensitive): ``"BRICS"``, ``"G20"``,
        ``"East Asia"``, ``"East Asia & Pacific"``, ``"OECD"``, ``"China peers"``.
        See :data:`PEER_GROUP_DEFINITIONS` for each definition.
    """
    groups = _groups()
    lookup = {k.lower(): k for k in groups}
    key = lookup.get(str(name).lower())
    if key is None:
        near = close_matches(str(name), groups)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"unknown peer group {name!r}; available: {sorted(groups)}.{hint}")
    return sorted(groups[key])


def _resolve(name: str, source: str | None) -> tuple[str | None, str, str]:
    """Return (iso3 or None, method, note) for one name."""
    if name in EXCEPTIONS:
        code, why = EXCEPTIONS[name]
        return code, "exception", why
    if _ISO3.match(name) and name in known_codes():
        return name, "iso3", "already an ISO3 code"
    kwargs = {"src": source} if source else {}
    out = _coco().convert([name], to="ISO3", not_found=None, **kwargs)
    out = out[0] if isinstance(out, list) and len(out) == 1 else out
    if isinstance(out, str) and out in known_codes():
        return out, "country_converter", ""
    return None, "unmapped", "no match in country_converter or polygov.countries.EXCEPTIONS"


@functools.lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Return every country code polygov knows: ISO 3166-1 alpha-3 plus historical codes.

    The one list every module checks codes against (``country_table()["iso3"]``:
    country_converter's ISO3 codes and :data:`HISTORICAL_CODES`). Use
    :func:`validate_iso3` to raise naming the unknown codes instead.

    Examples
    --------
    >>> {"CHN", "CSK"} <= known_codes(), "ZZZ" in known_codes()
    (True, False)
    """
    return frozenset(country_table()["iso3"])


@functools.lru_cache(maxsize=4096)
def _resolve_cached(name: str, source: str | None) -> tuple[str | None, str, str]:
    return _resolve(name, source)


def mapping_report(names: Iterable[str], *, source: str | None = None) -> pd.DataFrame:
    """Report how each distinct name resolves to an ISO3 code.

    Returns
    -------
    DataFrame
        ``name``, ``iso3`` (missing when unmapped or deliberately dropped),
        ``method`` (``"country_converter"``, ``"iso3"``, ``"exception"`` or
        ``"unmapped"``), ``note`` (the reason for an exception).
    """
    uniq = sorted({str(n) for n in names if not pd.isna(n)})
    rows = [(n, *_resolve_cached(n, source)) for n in uniq]
    return pd.DataFrame(rows, columns=["name", "iso3", "method", "note"])


def to_iso3(names: Iterable[str] | pd.Series, *, source: str | None = None,
            errors: str = "raise") -> pd.Series:
    """Convert country names (or codes) to ISO 3166-1 alpha-3 codes.

    Parameters
    ----------
    names : iterable of str
        Country names in any common spelling, or codes.
    source : str, optional
        A country_converter classification to read ``names`` as (e.g. ``"ISO2"``,
        ``"name_short"``); by default coco guesses.
    errors : {"raise", "coerce"}
        ``"raise"`` (default) raises ``KeyError`` listing every name that does not
        map; ``"coerce"`` returns missing values for them and emits a
        :class:`~polygov.errors.DataQualityWarning` with the list.  Names that
        :data:`EXCEPTIONS` marks as not country-level (e.g. "Northern Ireland")
        always come back missing, with the warning.

    Returns
    -------
    Series of str (object dtype), aligned with ``names``.

    Examples
    --------
    >>> to_iso3(["China", "Viet Nam", "Korea, Rep."]).tolist()
    ['CHN', 'VNM', 'KOR']
    """
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    if isinstance(names, str):
        raise TypeError("names must be a list or Series of names, not a single string; wrap it in a list")
    ser = pd.Series(names) if not isinstance(names, pd.Series) else names
    rep = mapping_report(ser.dropna().astype(str), source=source).set_index("name")
    unmapped = rep.index[rep["method"] == "unmapped"].tolist()
    dropped = rep.index[(rep["method"] == "exception") & rep["iso3"].isna()].tolist()
    if unmapped and errors == "raise":
        raise KeyError(
            f"{len(unmapped)} name(s) could not be mapped to ISO3: {unmapped[:20]}; add them to "
            "polygov.countries.EXCEPTIONS or pass errors='coerce' to drop them with a warning"
        )
    if unmapped or dropped:
        warnings.warn(
            f"{len(unmapped) + len(dropped)} name(s) have no country-level ISO3 code and were set "
            f"to missing: {sorted(unmapped + dropped)}",
            DataQualityWarning,
            stacklevel=2,
        )
    # None, never NaN, for a missing code, in an object Series (pandas 3's str dtype, which
    # rep["iso3"] and Series.map give, holds NaN instead)
    mapping = {k: v for k, v in rep["iso3"].items() if not pd.isna(v)}
    return pd.Series([mapping.get(str(n)) if not pd.isna(n) else None for n in ser], index=ser.index,
                     dtype=object, name="iso3")


def validate_iso3(codes: Iterable[str], *, name: str = "iso3") -> None:
    """Raise ``ValueError`` naming every code that is not a known ISO3 (or historical) code."""
    known = known_codes()
    bad = sorted({str(c) for c in codes if str(c) not in known})
    if bad:
        hints = {b: close_matches(b, known, n=1) for b in bad[:5]}
        raise ValueError(
            f"unknown country code(s) in {name}: {bad[:20]}; expected ISO 3166-1 alpha-3 codes "
            f"(e.g. 'CHN'). Close matches: {hints}. Convert names with polygov.countries.to_iso3"
        )


def country_names(iso3: Iterable[str] | pd.Series) -> pd.Series:
    """Return short English country names for ISO3 codes (unknown codes raise ``ValueError``)."""
    ser = pd.Series(iso3) if not isinstance(iso3, pd.Series) else iso3
    validate_iso3(ser.dropna())
    lookup = country_table().set_index("iso3")["country"]
    return ser.map(lookup).rename("country")


def income_groups(*, edition: str | None = None) -> pd.DataFrame:
    """The World Bank's income classification, bundled (FY2025) or fetched.

    Parameters
    ----------
    edition : str, optional
        ``None`` (default): the bundled classification for fiscal year 2025
        (1 July 2024, GNI per capita 2023), no download needed. An edition of the
        fetch registry (e.g. ``"current"``): the file fetched with
        ``polygov data fetch wb_class`` (or imported with ``polygov data import
        wb_class PATH``), so a newer classification wins when asked for.

    Returns
    -------
    DataFrame
        ``iso3``, ``country`` (World Bank name), ``region`` (World Bank region),
        ``income_group`` (``"Low income"``, ``"Lower middle income"``, ``"Upper
        middle income"``, ``"High income"``; missing = unclassified),
        ``lending_category`` (IDA, IBRD, Blend or missing), ``edition``.  The
        bundled table has all 218 economies of CLASS.xlsx, the Channel Islands
        (``CHI``) and Kosovo (``XKX``) included.

    Raises
    ------
    FileNotFoundError
        When ``edition`` is given and that file has not been fetched or imported
        (the message says how).

    Examples
    --------
    >>> ig = income_groups().set_index("iso3")
    >>> ig.loc["CHN", "income_group"], len(ig)
    ('Upper middle income', 218)
    """
    if edition is None:
        from .data.bundled import load  # lazy: polygov.data imports this module

        out = load("wb_class").rename(columns={"economy": "country"})
        out["edition"] = "FY2025 (bundled)"
        out.attrs["source"] = "wb_class"
        return out
    from .data import fetch  # lazy: no import circle countries <-> data.fetch

    return fetch.read("wb_class", edition=edition)
