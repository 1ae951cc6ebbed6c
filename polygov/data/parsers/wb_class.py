"""Parser for the World Bank country classification by income (``CLASS.xlsx``).

The official workbook's sheet ``List of economies`` has a header row with
``Economy, Code, Region, Income group, Lending category`` (older releases add
``Other (EMU or HIPC)`` and title rows above the header; the header is found by
its cells, not its position). Economies come first; aggregates (regions,
income and lending groups) follow with an empty ``Region`` and are removed.
``Income group`` may be empty for an economy (Venezuela has been unclassified
since 2021): it stays missing. Every economy of the sheet is kept (218 in
FY2025), under the World Bank's code: ``XKX`` (Kosovo, the user-assigned code
the World Bank and the EU use) and ``CHI`` (Channel Islands: the Crown
dependencies Guernsey ``GGY`` and Jersey ``JEY``, which the World Bank
classifies as one economy; ``CHI`` is registered in
:data:`polygov.countries.HISTORICAL_CODES` so that it joins other World Bank
data such as WDI).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._common import check_args, fail, reading, xlsx_sheets

__all__ = ["INCOME_GROUPS", "parse"]

INCOME_GROUPS = ("Low income", "Lower middle income", "Upper middle income", "High income")
_SHEET = "List of economies"
_HEAD = {"Economy": "country", "Code": "iso3", "Region": "region", "Income group": "income_group"}


def parse(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Parse ``CLASS.xlsx`` into one row per economy.

    Returns
    -------
    DataFrame
        ``iso3``, ``country``, ``region`` (World Bank region), ``income_group``
        (one of :data:`INCOME_GROUPS`, or missing), ``lending_category`` when
        present, ``edition``. One row per economy of the sheet (aggregates
        removed), ``CHI`` included.

    Notes
    -----
    A damaged or foreign file raises :class:`~polygov.data.parsers.ParseError`
    naming the file and the problem.
    """
    path = check_args(path, edition)
    with reading(path, "the World Bank CLASS.xlsx workbook"):
        return _parse(path, edition)
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None) -> pd.DataFrame:
    sheets = xlsx_sheets(path)
    if _SHEET not in sheets:
        fail(path, f"no sheet {_SHEET!r}; sheets are {list(sheets)}. Is it CLASS.xlsx?")
    rows = sheets[_SHEET]
    hdr_i = next((i for i, r in enumerate(rows[:30])
                  if r and all(h in [str(c).strip() if c is not None else "" for c in r]
                               for h in _HEAD)), None)
    if hdr_i is None:
        fail(path, f"sheet {_SHEET!r} has no header row with {list(_HEAD)} in its first 30 rows")
    header = [str(c).strip() if c is not None else f"_{j}" for j, c in enumerate(rows[hdr_i])]
    df = pd.DataFrame(rows[hdr_i + 1:], columns=header)
    cols = dict(_HEAD)
    if "Lending category" in header:
        cols["Lending category"] = "lending_category"
    df = df[list(cols)].rename(columns=cols)
    df = df[df["iso3"].notna()]
    for c in df.columns:
        df[c] = pd.Series([None if v is None or (isinstance(v, float) and v != v) else str(v).strip()
                           for v in df[c]], index=df.index, dtype=object)
        df[c] = df[c].replace({"": None, "..": None})
    df = df[df["region"].notna()]
    if df.empty:
        fail(path, "no economies found under the header row")
    bad = sorted(set(df.loc[~df["iso3"].str.fullmatch(r"[A-Z]{3}"), "iso3"]))
    if bad:
        fail(path, f"invalid economy codes {bad[:10]}")
    wrong = sorted(set(df["income_group"].dropna()) - set(INCOME_GROUPS))
    if wrong:
        fail(path, f"unknown income group(s) {wrong}; expected {list(INCOME_GROUPS)}")
    if df["iso3"].duplicated().any():
        fail(path, f"duplicated codes {sorted(df.loc[df['iso3'].duplicated(), 'iso3'])}")
    df["edition"] = edition if edition is not None else "unknown"
    front = ["iso3", "country", "region", "income_group"]
    return df[front + [c for c in df.columns if c not in front]].sort_values(
        "iso3", ignore_index=True)
