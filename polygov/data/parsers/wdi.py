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
income-group rows with an empty ISO3 field) are removed; ``CHI`` (Channel
Islands, a World Bank economy without one ISO code) is removed too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ._common import fail, read_text_csv, require_columns, to_numeric_strict

__all__ = ["AGGREGATES", "INDICATOR_NAMES", "parse"]

#: World Bank aggregate codes (regions, income and lending groups, demographic
#: dividend groups, small states ...), as served by the API in 2024.
AGGREGATES = frozenset("""
AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU FCS HIC HPC IBD IBT IDA IDB IDX INX LAC LCN
LDC LIC LMC LMY LTE MEA MIC MNA NAC OED OSS PRE PSS PST SAS SSA SSF SST TEA TEC TLA TMN TSA
TSS UMC WLD
""".split())

#: Non-ISO World Bank economies dropped from the ISO3 panel, with the reason.
DROPPED_ECONOMIES = {"CHI": "Channel Islands: Crown dependencies without one ISO code (GGY, JEY)"}

#: WDI series code -> snake_case column name.
INDICATOR_NAMES = {
    "NY.GDP.MKTP.CD": "gdp_usd",
    "NY.GDP.MKTP.PP.CD": "gdp_ppp",
    "NY.GDP.PCAP.CD": "gdppc_usd",
    "NY.GDP.PCAP.PP.CD": "gdppc_ppp",
    "NE.CON.GOVT.ZS": "gov_consumption_gdp",
    "SP.POP.TOTL": "population",
}

_CSV = ["ind_id", "cty_id", "cty_nm", "cty_iso", "date", "value"]


def _colname(code: str) -> str:
    return INDICATOR_NAMES.get(code, re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_"))


def _from_json(path: Path) -> pd.DataFrame:
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


def parse(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Parse a WDI API extract (JSON or flattened CSV) into a tidy ``iso3``-``year`` panel.

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
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    df = _from_json(path) if head[:1] in (b"[", b"{") else _from_csv(path)
    df = to_numeric_strict(path, df, ["value", "date"], na_values=["NA", "", "null", "None"])
    if df["date"].isna().any():
        fail(path, "rows without a year (date); the file is truncated or corrupted")
    df["date"] = df["date"].astype(int)
    iso = df["cty_iso"].fillna("").astype(str).str.strip()
    keep = (iso != "") & ~iso.isin(AGGREGATES) & ~iso.isin(DROPPED_ECONOMIES)
    df = df[keep].assign(iso3=iso[keep])
    bad = sorted(set(df.loc[~df["iso3"].str.fullmatch(r"[A-Z]{3}"), "iso3"]))
    if bad:
        fail(path, f"unexpected country codes {bad[:10]}")
    if df.empty:
        fail(path, "no country rows (only aggregates or nothing at all)")
    dup = df.duplicated(["iso3", "date", "ind_id"])
    if dup.any():
        fail(path, f"duplicated country-year-series rows, e.g. "
                   f"{df.loc[dup, ['iso3', 'date', 'ind_id']].head(3).to_dict('records')}")
    wide = df.pivot(index=["iso3", "date"], columns="ind_id", values="value")
    wide.columns = [_colname(c) for c in wide.columns]
    wide = wide.reset_index().rename(columns={"date": "year"})
    names = df.groupby("iso3")["cty_nm"].first()
    wide.insert(2, "country", wide["iso3"].map(names))
    wide["edition"] = edition if edition is not None else "unknown"
    return wide.sort_values(["iso3", "year"], ignore_index=True)
