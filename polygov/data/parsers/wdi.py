"""Parser for World Bank World Development Indicators (WDI) API extracts.

Two layouts are recognised:

``json``
    The Indicators API v2 response (``…?format=json``): a two-element list
    ``[metadata, records]`` where each record has ``indicator.id``,
    ``country.id`` (2-character API id), ``countryiso3code``, ``date``,
    ``value``. A response split over several pages is refused (only one page
    would be loaded); fetch with a large ``per_page``.
``csv``
    The flattened API fields as written by R (``ind_id, ind_nm, cty_id,
    cty_nm, cty_iso, date, value, unit, obs_sttus, decimal``), UTF-8 with BOM,
    missing = bare ``NA``.

Namibia's API id is the string ``"NA"``: the parser never applies pandas'
default missing-value list to text columns and keys countries on the ISO3
field (``NAM``). Regional and income aggregates (:data:`AGGREGATES`, and the
income-group rows with an empty ISO3 field) are removed. Every economy is
kept, ``CHI`` (Channel Islands, a World Bank economy without one ISO code,
registered in :data:`polygov.countries.HISTORICAL_CODES`) included.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd

from ...errors import DataQualityWarning
from ._common import (
    check_args,
    fail,
    read_text_csv,
    reading,
    require_columns,
    sniff_text,
    to_numeric_strict,
)

__all__ = ["AGGREGATES", "EDITIONS", "INDICATOR_NAMES", "parse"]

#: World Bank aggregate codes (regions, income and lending groups, demographic
#: dividend groups, small states ...), as served by the API in 2024.
AGGREGATES = frozenset("""
AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU FCS HIC HPC IBD IBT IDA IDB IDX INX LAC LCN
LDC LIC LMC LMY LTE MEA MIC MNA NAC OED OSS PRE PSS PST SAS SSA SSF SST TEA TEC TLA TMN TSA
TSS UMC WLD
""".split())

#: Non-ISO World Bank economies dropped from the ISO3 panel, with the reason. Empty: the
#: Channel Islands (CHI) are kept under the World Bank's code since polygov knows it.
DROPPED_ECONOMIES: dict[str, str] = {}

#: WDI series code -> snake_case column name.
INDICATOR_NAMES = {
    "NY.GDP.MKTP.CD": "gdp_usd",
    "NY.GDP.MKTP.PP.CD": "gdp_ppp",
    "NY.GDP.PCAP.CD": "gdppc_usd",
    "NY.GDP.PCAP.PP.CD": "gdppc_ppp",
    "NE.CON.GOVT.ZS": "gov_consumption_gdp",
    "SP.POP.TOTL": "population",
}

#: Series and years of the known editions (see :mod:`polygov.data.sources`: the
#: ``api`` URL requests these series for 1990:2023). Other labels are not checked.
EDITIONS: dict[str, dict] = {
    "api": {"series": tuple(INDICATOR_NAMES), "years": (1990, 2023)},
    "bipa-2024": {"series": tuple(INDICATOR_NAMES), "years": (2018, 2022)},
}

_CSV = ["ind_id", "cty_id", "cty_nm", "cty_iso", "date", "value"]


def _colname(code: str) -> str:
    return INDICATOR_NAMES.get(code, re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_"))


def _from_json(path: Path) -> pd.DataFrame:
    sniff_text(path, "a World Bank API JSON response")
    try:
        payload = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(path, f"is not valid JSON ({type(exc).__name__}: {exc}); the download was probably "
                   "truncated: fetch it again")
    if isinstance(payload, list) and payload and isinstance(payload[0], dict) \
            and "message" in payload[0]:
        fail(path, f"the API returned an error instead of data: {payload[0]['message']}")
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)
            and isinstance(payload[1], list)):
        fail(path, "not a World Bank API v2 JSON response ([metadata, records] expected)")
    meta, records = payload
    pages = int(meta.get("pages", 1) or 1)
    if pages > 1:
        fail(path, f"holds page {meta.get('page')} of {pages} of the API response only; request "
                   f"all {meta.get('total')} records at once (per_page >= total)")
    if int(meta.get("total", len(records)) or 0) != len(records):
        fail(path, f"metadata announce {meta.get('total')} records but the file has "
                   f"{len(records)}: incomplete download")
    try:
        rows = [{"ind_id": r["indicator"]["id"], "cty_id": r["country"]["id"],
                 "cty_nm": r["country"]["value"], "cty_iso": r.get("countryiso3code") or "",
                 "date": r["date"], "value": r["value"]} for r in records]
    except (KeyError, TypeError) as exc:
        fail(path, f"record without the expected fields ({exc}); is it an indicator query?")
    return pd.DataFrame(rows, columns=_CSV)


def _from_csv(path: Path) -> pd.DataFrame:
    raw = read_text_csv(path, "CSV")
    require_columns(path, raw.columns, _CSV, "WDI API extract in CSV layout")
    return raw[_CSV]


def _check_complete(path: Path, df: pd.DataFrame, edition: str | None) -> None:
    """The API returns every economy x year of every series (missing = null): check that grid."""
    series = sorted(df["ind_id"].unique())
    years = sorted(df["date"].unique())
    econ = df["cty_id"].unique()
    if len(df) != len(series) * len(years) * len(econ):
        n = df.groupby("ind_id").size()
        short = n[n < len(years) * len(econ)]
        fail(path, f"incomplete WDI extract: series {list(short.index)[:6]} have "
                   f"{short.tolist()[:6]} of the {len(econ)} economies x {len(years)} years = "
                   f"{len(years) * len(econ)} rows every complete series has. The file is "
                   "truncated (cut at a line break?): download it again")
    spec = EDITIONS.get(edition or "")
    if spec is None:
        return
    missing = [c for c in spec["series"] if c not in series]
    if missing:
        fail(path, f"incomplete WDI extract: edition {edition!r} has the series "
                   f"{list(spec['series'])} but {missing} are missing; the file is truncated "
                   "or another extract: download it again")
    lo, hi = spec["years"]
    if years != list(range(lo, hi + 1)):
        fail(path, f"edition mismatch: WDI edition {edition!r} covers {lo}-{hi}, but this file "
                   f"has the years {int(years[0])}-{int(years[-1])} ({len(years)} years). Pass "
                   "the right edition= or register the file with new_edition=True")


def parse(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Parse a WDI API extract (JSON or flattened CSV) into a tidy ``iso3``-``year`` panel.

    Parameters
    ----------
    path : path-like
        API v2 JSON response or the flattened CSV.
    edition : str, optional
        Edition label; for the labels in :data:`EDITIONS` (``"api"``,
        ``"bipa-2024"``) the series and years are checked.

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country``, one column per series (named by
        :data:`INDICATOR_NAMES`, else the code in snake_case: ``gdp_usd``,
        ``gdp_ppp``, ``gdppc_usd``, ``gdppc_ppp``, ``gov_consumption_gdp``,
        ``population``), ``edition``. Countries only.

    Notes
    -----
    Missing values (``NA`` / JSON ``null``) stay missing; a cell that is
    neither a number nor a missing code raises, naming the column and value.
    The API returns every economy x year of every series requested, so a file
    whose series x economy x year grid is incomplete is refused as truncated;
    for the editions in :data:`EDITIONS` every series and year must be there.
    Codes that are neither aggregates nor countries known to
    :func:`polygov.countries.country_table` are dropped with a
    :class:`~polygov.errors.DataQualityWarning` naming them.
    """
    path = check_args(path, edition)
    with reading(path, "a WDI API extract (JSON or CSV)"):
        return _parse(path, edition)
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None) -> pd.DataFrame:
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    df = _from_json(path) if head[:1] in (b"[", b"{") else _from_csv(path)
    df = to_numeric_strict(path, df, ["value", "date"], na_values=["NA", "", "null", "None"])
    if df["date"].isna().any():
        fail(path, "rows without a year (date); the file is truncated or corrupted")
    df["date"] = df["date"].astype(int)
    dup = df.duplicated(["cty_id", "date", "ind_id"])
    if dup.any():
        fail(path, f"duplicated country-year-series rows, e.g. "
                   f"{df.loc[dup, ['cty_id', 'date', 'ind_id']].head(3).to_dict('records')}")
    _check_complete(path, df, edition)
    iso = df["cty_iso"].fillna("").astype(str).str.strip()
    keep = (iso != "") & ~iso.isin(AGGREGATES) & ~iso.isin(DROPPED_ECONOMIES)
    df = df[keep].assign(iso3=iso[keep])
    bad = sorted(set(df.loc[~df["iso3"].str.fullmatch(r"[A-Z]{3}"), "iso3"]))
    if bad:
        fail(path, f"unexpected country codes {bad[:10]}")
    from ...countries import known_codes

    unknown = sorted(set(df["iso3"]) - known_codes())
    if unknown:
        names = df[df["iso3"].isin(unknown)].groupby("iso3")["cty_nm"].first()
        warnings.warn(f"WDI: {len(unknown)} code(s) neither a country known to polygov.countries "
                      f"nor a listed World Bank aggregate dropped: "
                      f"{[f'{c} ({n})' for c, n in names.items()][:20]}; add aggregates to "
                      "polygov.data.parsers.wdi.AGGREGATES", DataQualityWarning, stacklevel=2)
        df = df[~df["iso3"].isin(unknown)]
    if df.empty:
        fail(path, "no country rows (only aggregates or nothing at all)")
    wide = df.pivot(index=["iso3", "date"], columns="ind_id", values="value")
    wide.columns = [_colname(c) for c in wide.columns]
    wide = wide.reset_index().rename(columns={"date": "year"})
    names = df.groupby("iso3")["cty_nm"].first()
    wide.insert(2, "country", wide["iso3"].map(names))
    wide["edition"] = edition if edition is not None else "unknown"
    return wide.sort_values(["iso3", "year"], ignore_index=True)
