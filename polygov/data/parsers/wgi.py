"""Parser for the World Bank Worldwide Governance Indicators (WGI).

Three layouts are recognised from the file itself:

``long``
    2024 Update ``wgidataset.xlsx`` (one sheet; ``codeindyr, code, countryname,
    year, indicator, estimate, stddev, nsource, pctrank, pctranklower,
    pctrankupper``; missing = ``..``) and its CSV export (UTF-8 with BOM).
``legacy``
    2023 Update (and earlier) multi-sheet workbook: one sheet per indicator,
    a year row above a field row (``Country/Territory, Code, Estimate, StdErr,
    NumSrc, Rank, Lower, Upper`` repeated per year); missing = ``#N/A``.
``wdi``
    DataBank bulk ``WGIData.csv``: ``Country Name, Country Code, Indicator
    Name, Indicator Code, 1996, …`` with series ``CC.EST``, ``CC.STD.ERR``,
    ``CC.NO.SRC``, ``CC.PER.RNK``, ``CC.PER.RNK.LOWER``, ``CC.PER.RNK.UPPER``.

Country codes
-------------
WGI workbooks use World Bank codes that are not ISO 3166-1; they are mapped by
:data:`CODE_EXCEPTIONS` (the DataBank layout already uses the ISO-style codes).
``ANT`` (Netherlands Antilles, dissolved 2010, withdrawn ISO code) is kept as
``ANT``; ``XKX`` (Kosovo) is the user-assigned code used by the World Bank.

Editions
--------
Every row carries an ``edition`` column. WGI vintages revise history (the 2022
``ge`` estimates differ by up to 0.095 between the 2023 and 2024 Updates), so
:func:`to_wide` refuses a frame that mixes editions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._common import (
    ParseError,
    check_args,
    check_edition_years,
    fail,
    read_csv,
    read_text_csv,
    reading,
    require_columns,
    sniff_text,
    to_numeric_strict,
    xlsx_sheets,
)

__all__ = ["CODE_EXCEPTIONS", "COLUMNS", "DATABANK_SERIES", "INDICATORS", "parse", "sniff_layout", "to_wide"]

#: WGI indicator codes and names (all oriented so that higher = better governance).
INDICATORS = {
    "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "ge": "Government Effectiveness",
    "rq": "Regulatory Quality",
    "rl": "Rule of Law",
    "cc": "Control of Corruption",
}

#: WGI workbook code -> ISO 3166-1 alpha-3 (or the World Bank's user code for Kosovo).
CODE_EXCEPTIONS = {
    "ADO": "AND",  # Andorra
    "ROM": "ROU",  # Romania
    "ZAR": "COD",  # Congo, Dem. Rep.
    "TMP": "TLS",  # Timor-Leste
    "WBG": "PSE",  # West Bank and Gaza
    "KSV": "XKX",  # Kosovo (not in ISO 3166-1; XKX as used by the World Bank)
}

#: Output columns, in order.
COLUMNS = ["iso3", "country", "year", "indicator", "estimate", "std_error", "n_sources",
           "percentile_rank", "pr_low", "pr_high", "edition"]

_VALUES = ["estimate", "std_error", "n_sources", "percentile_rank", "pr_low", "pr_high"]
_LONG = {"code": "iso3", "countryname": "country", "stddev": "std_error", "nsource": "n_sources",
         "pctrank": "percentile_rank", "pctranklower": "pr_low", "pctrankupper": "pr_high"}
_LEGACY_FIELDS = {"Estimate": "estimate", "StdErr": "std_error", "NumSrc": "n_sources",
                  "Rank": "percentile_rank", "Lower": "pr_low", "Upper": "pr_high"}
_LEGACY_SHEETS = {"voiceandaccountability": "va", "politicalstabilitynoviolence": "pv",
                  "governmenteffectiveness": "ge", "regulatoryquality": "rq",
                  "ruleoflaw": "rl", "controlofcorruption": "cc"}
_WDI_FIELDS = {"EST": "estimate", "STD.ERR": "std_error", "NO.SRC": "n_sources",
               "PER.RNK": "percentile_rank", "PER.RNK.LOWER": "pr_low",
               "PER.RNK.UPPER": "pr_high"}
_WDI_ID = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]

#: Economies covered by each WGI Update (keyed by the update's year), as published.
ECONOMIES: dict[int, int] = {2023: 214, 2024: 214}
#: Lower bound for updates not in :data:`ECONOMIES` (every update since 2002 covers 200+).
MIN_ECONOMIES = 200


def sniff_layout(path: str | Path) -> str:
    """Return ``"long"``, ``"legacy"`` or ``"wdi"`` from the file's content."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"PK":  # xlsx (zip container): read the sheet names only
        import html
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                book = z.read("xl/workbook.xml").decode("utf-8")
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            fail(path, f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}); "
                       "the file is probably truncated or corrupted: download it again")
        names = [html.unescape(n) for n in re.findall(r'<sheet\b[^>]*?\bname="([^"]*)"', book)]
        if any(re.sub(r"\s+", "", n).lower() in _LEGACY_SHEETS for n in names):
            return "legacy"
        return "long"  # the header row is checked when the sheet is read
    enc = sniff_text(path, "a WGI file (xlsx workbook or UTF-8 CSV)")
    text = head.decode(enc, errors="replace")
    first = text.splitlines()[0] if text else ""
    if first.startswith("codeindyr"):
        return "long"
    if first.replace('"', "").startswith(",".join(_WDI_ID)):
        return "wdi"
    fail(path, f"unrecognised WGI layout; first line {first[:80]!r}. Expected the 2024 long "
               "layout (codeindyr, code, …), the legacy workbook or DataBank WGIData.csv")
    raise AssertionError  # pragma: no cover


def parse(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Parse a WGI file into a tidy long panel.

    Parameters
    ----------
    path : path-like
        ``wgidataset.xlsx`` (2024 long or legacy multi-sheet), its CSV export,
        or DataBank ``WGIData.csv``.
    edition : str, optional
        Edition label written into the ``edition`` column. A label starting
        with a year (``"2024"``, ``"2023-wdi"``) is checked against the data:
        the WGI "<Y> Update" ends in year Y-1. By default the label is inferred
        as last data year + 1.

    Returns
    -------
    DataFrame
        One row per economy × year × indicator: ``iso3``, ``country``, ``year``,
        ``indicator`` (``va pv ge rq rl cc``), ``estimate`` (about N(0,1) across
        economies, higher = better), ``std_error``, ``n_sources``,
        ``percentile_rank`` (0-100), ``pr_low``/``pr_high`` (90% interval of
        the rank), ``edition``.

    Notes
    -----
    Rows whose six values are all missing (economies not covered that year)
    are kept, so the panel is balanced (214 × 25 × 6 = 32,100 rows in the 2024
    Update). A file whose economy x year x indicator grid is incomplete, or
    that covers fewer economies than its update (:data:`ECONOMIES`, else
    :data:`MIN_ECONOMIES`), is refused as truncated. A DataBank file must hold
    all 36 series (:data:`DATABANK_SERIES`) for every economy: when some
    economies lack series others have, it is refused as truncated; when every
    economy has the same subset (e.g. an estimates-only export), it is refused
    as a subset export, naming the missing series, because the panel always
    carries all six measures. The margin of error of an estimate is
    ``1.645 * std_error`` for a 90% interval.

    Validated against: the 2023 legacy workbook and the DataBank layout of the
    same update agree to 1e-12; published 2022 values for China.

    A damaged, foreign or wrongly encoded file raises
    :class:`~polygov.data.parsers.ParseError` naming the file and the problem.
    """
    path = check_args(path, edition)
    with reading(path, "a WGI file"):
        return _parse(path, edition)
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None) -> pd.DataFrame:
    layout = sniff_layout(path)
    if layout == "long":
        out = _parse_long(path)
    elif layout == "legacy":
        out = _parse_legacy(path)
    else:
        out = _parse_wdi(path)
    out["iso3"] = out["iso3"].astype(str).str.strip().replace(CODE_EXCEPTIONS)
    bad = sorted(set(out.loc[~out["iso3"].str.fullmatch(r"[A-Z]{3}"), "iso3"]))
    if bad:
        fail(path, f"invalid country codes {bad[:10]}; expected 3-letter World Bank codes")
    badind = sorted(set(out["indicator"]) - set(INDICATORS))
    if badind:
        fail(path, f"unknown indicator code(s) {badind}; expected {list(INDICATORS)}")
    dup = out.duplicated(["iso3", "year", "indicator"])
    if dup.any():
        fail(path, f"{int(dup.sum())} duplicated iso3-year-indicator rows, e.g. "
                   f"{out.loc[dup, ['iso3', 'year', 'indicator']].head(3).to_dict('records')}")
    m = re.match(r"(\d{4})", edition or "")
    check_edition_years(path, out["year"], edition, int(m.group(1)) - 1 if m else None,
                        "WGI (the '<Y> Update' covers data to Y-1)")
    update = int(m.group(1)) if m else int(out["year"].max()) + 1
    need = ECONOMIES.get(update, MIN_ECONOMIES)
    n_econ = out["iso3"].nunique()
    if n_econ < need:
        fail(path, f"incomplete WGI file: {n_econ} economies, but the {update} Update covers "
                   f"{need}. The file is truncated (cut at a line break?) or filtered: download it again")
    out["edition"] = edition if edition is not None else str(int(out["year"].max()) + 1)
    return out[COLUMNS].sort_values(["iso3", "year", "indicator"], ignore_index=True)


def _parse_long(path: Path) -> pd.DataFrame:
    opts = dict(na_values=[".."], keep_default_na=False, dtype={"code": str, "countryname": str})
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = _read_xlsx_sheet(path, opts["na_values"])
        else:
            raw = read_csv(path, "the WGI long-layout CSV", **opts)
    except ParseError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        fail(path, f"cannot be read as the WGI long layout ({type(exc).__name__}: {exc})")
    require_columns(path, raw.columns, ["code", "countryname", "year", "indicator", "estimate",
                                        "stddev", "nsource", "pctrank", "pctranklower",
                                        "pctrankupper"], "WGI long-layout file")
    df = raw.rename(columns=_LONG)
    df = to_numeric_strict(path, df, _VALUES + ["year"], na_values=[".."])
    if df["year"].isna().any():
        fail(path, f"{int(df['year'].isna().sum())} rows have no year; the file is truncated?")
    df["year"] = df["year"].astype(int)
    df["indicator"] = df["indicator"].astype(str).str.strip().str.lower()
    _check_balanced(path, df)
    return df


def _read_xlsx_sheet(path: Path, na_values) -> pd.DataFrame:
    sheets = xlsx_sheets(path)
    rows = next(iter(sheets.values()), [])
    if not rows:
        fail(path, "the first sheet is empty")
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    df = pd.DataFrame(rows[1:], columns=header).dropna(how="all")
    return df.mask(df.isin(list(na_values)))


def _check_balanced(path: Path, df: pd.DataFrame) -> None:
    # the official long file is a complete economy x year x indicator grid; a truncated
    # file (cut mid-way) is not, and we refuse it rather than return part of it
    n = df.groupby(["indicator", "year"]).size()
    if n.nunique() > 1 or df["indicator"].nunique() != len(INDICATORS):
        short = n[n < n.max()].head(3).to_dict()
        fail(path, f"incomplete WGI table: {df['indicator'].nunique()} indicator(s); economies per "
                   f"indicator-year vary ({short} vs {n.max()}). The file looks truncated: "
                   "download it again")
    years = sorted(df["year"].unique())
    per_ind = df.groupby("indicator")["year"].agg(lambda y: [int(v) for v in sorted(set(years) - set(y))])
    gaps = per_ind[per_ind.map(len) > 0]
    if len(gaps):
        fail(path, f"incomplete WGI table: indicator(s) {list(gaps.index)} lack year(s) "
                   f"{gaps.iloc[0][:5]} that the others have. The file looks truncated (cut at a "
                   "line break?): download it again")


def _parse_legacy(path: Path) -> pd.DataFrame:
    sheets = xlsx_sheets(path)
    frames, seen = [], {}
    for name, rows in sheets.items():
        code = _LEGACY_SHEETS.get(re.sub(r"\s+", "", name).lower())
        if code is None:
            continue
        seen[code] = name
        frames.append(_legacy_sheet(path, rows, code, name))
    missing = [c for c in _LEGACY_SHEETS.values() if c not in seen]
    if missing:
        fail(path, f"legacy WGI workbook lacks the sheet(s) for {missing}; found {list(sheets)}")
    return pd.concat(frames, ignore_index=True)


def _legacy_sheet(path: Path, rows: list[tuple], code: str, name: str) -> pd.DataFrame:
    years_row = None
    header = None
    start = 0
    for i, row in enumerate(rows[:40]):
        if (row and len(row) > 2 and "Estimate" in row and years_row is not None
                and len(years_row) > 2 and isinstance(years_row[2], (int, float))):
            header, start = row, i + 1
            break
        years_row = row
    if header is None or years_row is None:
        fail(path, f"sheet {name!r}: no 'Country/Territory, Code, Estimate …' header row found "
                   "in the first 40 rows")
    cols, year = [], None
    for j, field in enumerate(header):
        if j < 2 or (field is None and j >= len(years_row)):
            continue
        if years_row[j] not in (None, ""):
            year = int(years_row[j])
        if field not in _LEGACY_FIELDS or year is None:
            fail(path, f"sheet {name!r}: unexpected header cell {field!r} at column {j + 1}")
        cols.append((year, _LEGACY_FIELDS[field]))
    data = [r[: 2 + len(cols)] for r in rows[start:]
            if r is not None and len(r) >= 2 and r[1] not in (None, "")]
    if not data:
        fail(path, f"sheet {name!r} has no data rows")
    short = [r[1] for r in data if len(r) < 2 + len(cols)]
    if short:
        fail(path, f"sheet {name!r}: rows {short[:5]} have fewer cells than the header")
    body = pd.DataFrame([r[2:] for r in data], columns=pd.MultiIndex.from_tuples(cols))
    body = body.mask(body.isin(["#N/A"]))
    ids = pd.DataFrame({"country": [r[0] for r in data], "iso3": [r[1] for r in data]})
    long = body.stack(level=0, future_stack=True)
    long.index = long.index.set_names(["row", "year"])
    long = long.reset_index()
    long = long.join(ids, on="row").drop(columns="row")
    long = to_numeric_strict(path, long, [c for c in _VALUES if c in long], na_values=["#N/A"])
    long["indicator"] = code
    long["year"] = long["year"].astype(int)
    return long


def _parse_wdi(path: Path) -> pd.DataFrame:
    raw = read_text_csv(path, "DataBank CSV")
    raw = raw.loc[:, ~raw.columns.str.startswith("Unnamed")]
    require_columns(path, raw.columns, _WDI_ID, "DataBank WGIData.csv")
    years = [c for c in raw.columns if c not in _WDI_ID]
    if not years or not all(re.fullmatch(r"\d{4}", c) for c in years):
        fail(path, f"year columns expected after {_WDI_ID}, found {years[:5]}")
    split = raw["Indicator Code"].str.extract(r"^([A-Z]{2})\.(.+)$")
    unknown = sorted(set(raw.loc[~split[1].isin(_WDI_FIELDS), "Indicator Code"]))
    if unknown:
        fail(path, f"unknown WGI series {unknown[:5]}; expected e.g. 'CC.EST', 'RL.STD.ERR'")
    _check_databank_series(path, raw)
    long = raw.assign(indicator=split[0].str.lower(), field=split[1].map(_WDI_FIELDS)).melt(
        id_vars=["Country Name", "Country Code", "indicator", "field"], value_vars=years,
        var_name="year")
    wide = long.pivot_table(index=["Country Code", "Country Name", "indicator", "year"],
                            columns="field", values="value", aggfunc="first").reset_index()
    wide.columns.name = None
    require_columns(path, wide.columns, _VALUES, "DataBank WGIData.csv (all six fields)")
    wide = wide.rename(columns={"Country Code": "iso3", "Country Name": "country"})
    wide = to_numeric_strict(path, wide, _VALUES, na_values=[""])
    wide["year"] = wide["year"].astype(int)
    _check_balanced(path, wide)
    return wide


#: The 36 DataBank series a WGIData.csv must hold for every economy (6 indicators x 6 fields).
DATABANK_SERIES = [f"{i.upper()}.{f}" for i in INDICATORS for f in _WDI_FIELDS]


def _check_databank_series(path: Path, raw: pd.DataFrame) -> None:
    # Every economy must carry all 36 series. Two ways to fall short, told apart:
    # - some economies lack series that others have: the file was cut (truncated);
    # - every economy has the same subset: a deliberate DataBank subset export
    #   (e.g. estimates only). The tidy panel promises all six measures of all six
    #   indicators (COLUMNS), so a subset is refused too, naming what is required.
    series = set(DATABANK_SERIES)
    have = raw.groupby("Country Code", sort=False)["Indicator Code"].agg(frozenset)
    union = frozenset().union(*have)
    short = have[have.map(len) < len(union)]
    if len(short):
        code = short.index[0]
        fail(path, f"incomplete DataBank file: {len(short)} economy(ies) lack some of the "
                   f"{len(union)} WGI series, e.g. {code} lacks "
                   f"{sorted(union - short.iloc[0])[:6]} that other economies have. The file is "
                   "truncated: download it again")
    missing = [s for s in DATABANK_SERIES if s not in union]
    if missing:
        fail(path, f"subset DataBank export: every economy has the same {len(union)} of the "
                   f"{len(series)} WGI series; missing {missing}. The WGI panel needs all "
                   f"{len(series)} series (estimate, std. error, number of sources, percentile "
                   f"rank and its bounds for va pv ge rq rl cc): {DATABANK_SERIES}. Export them "
                   "all from DataBank, or use the bulk WGIData.csv")


def to_wide(data: pd.DataFrame, *, value: str = "estimate") -> pd.DataFrame:
    """Pivot the long WGI panel to one column per indicator (``iso3``, ``year``, ``va`` …).

    Raises ``ValueError`` when ``data`` mixes editions: WGI updates revise the
    whole history, so values from two updates must not share a panel.
    """
    from ...errors import check_columns, check_in

    check_columns(data, ["iso3", "year", "indicator", value, "edition"])
    check_in(value, _VALUES, name="WGI value column")
    eds = sorted(data["edition"].dropna().unique())
    if len(eds) > 1:
        raise ValueError(f"WGI data mix editions {eds}; each update revises all years, so "
                         "compare editions side by side instead of pooling: filter "
                         "data[data.edition == ...] first")
    out = data.pivot(index=["iso3", "year"], columns="indicator", values=value)
    out.columns.name = None
    return out.reset_index()[["iso3", "year", *[c for c in INDICATORS if c in out.columns]]]
