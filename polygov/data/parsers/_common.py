"""Helpers shared by the official-data parsers (errors, country mapping, checks)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["ParseError", "check_csv_complete", "check_edition_years", "fail", "names_to_iso3", "require_columns",
           "to_numeric_strict", "xlsx_sheets"]

_ISO3 = re.compile(r"^[A-Z]{3}$")


class ParseError(ValueError):
    """A file does not have the layout, content or edition its parser expects.

    Raised before anything is returned, so a failed parse never yields a
    partially loaded table.
    """


def fail(path: str | Path, msg: str) -> None:
    """Raise :class:`ParseError` prefixed with the file name."""
    raise ParseError(f"{Path(path).name}: {msg}")


def require_columns(path, columns: Iterable[str], required: Iterable[str], what: str) -> None:
    """Raise :class:`ParseError` naming the required columns missing from ``columns``."""
    have = [str(c) for c in columns]
    missing = [c for c in required if c not in have]
    if missing:
        fail(path, f"not a {what}: column(s) {missing} missing; the file has {have[:12]}"
                   f"{' …' if len(have) > 12 else ''}. Is it the right file, and complete?")


def to_numeric_strict(path, frame: pd.DataFrame, columns: Iterable[str],
                      na_values: Iterable[str] = ()) -> pd.DataFrame:
    """Convert ``columns`` to float; unparseable cells raise naming column, row and value."""
    out = frame.copy()
    na = set(na_values)
    for col in columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(float)
            continue
        s = s.where(~s.astype(str).str.strip().isin(na | {""}), None)
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            ex = s[bad].head(5).tolist()
            rows = list(s[bad].index[:5])
            fail(path, f"column {col!r} has {int(bad.sum())} non-numeric value(s) {ex} "
                       f"(rows {rows}); expected numbers or the missing-value codes "
                       f"{sorted(na)}. The file may be corrupted or of another layout.")
        out[col] = num.astype(float)
    return out


def check_edition_years(path, years: pd.Series, edition: str | None, expected_last: int | None,
                        what: str) -> None:
    """Raise if the last data year does not match the requested edition."""
    if edition is None or expected_last is None or years.empty:
        return
    last = int(years.max())
    if last != expected_last:
        fail(path, f"edition mismatch: {what} edition {edition!r} should end in {expected_last}, "
                   f"but this file's data run to {last}. It is probably another edition; pass the "
                   "right edition= or register it with new_edition=True.")


def names_to_iso3(names: pd.Series, exceptions: dict[str, str | None]) -> tuple[pd.Series, dict]:
    """Map country names to ISO3: ``exceptions`` first, then polygov.countries / coco.

    Returns the mapped Series (``None`` where unmapped) and a dict of the names
    that used an exception (name -> code).
    """
    uniq = sorted(set(names.dropna().astype(str)))
    used = {n: exceptions[n] for n in uniq if n in exceptions}
    rest = [n for n in uniq if n not in exceptions]
    mapping: dict[str, str | None] = dict(used)
    if rest:
        mapping.update(_convert(rest))
    return names.map(lambda n: mapping.get(str(n)) if pd.notna(n) else None), used


def _convert(names: list[str]) -> dict[str, str | None]:
    try:  # the package's own harmonisation layer, when present
        from ...countries import mapping_report
    except ImportError:  # pragma: no cover - fallback before polygov.countries existed
        import country_converter as coco

        logging.getLogger("country_converter").setLevel(logging.ERROR)
        out = coco.CountryConverter().convert(names, to="ISO3", not_found=None)
        out = [out] if isinstance(out, str) else out
        return {n: (c if isinstance(c, str) and _ISO3.match(c) else None)
                for n, c in zip(names, out, strict=True)}
    rep = mapping_report(names)
    return dict(zip(rep["name"], rep["iso3"].where(rep["iso3"].notna(), None), strict=True))


def check_csv_complete(path, encoding: str = "utf-8-sig") -> None:
    """Raise if the last record of a CSV file has fewer fields than its header.

    A download cut off mid-way usually ends inside a row; pandas would silently
    pad that row with missing values. Only the first line and the file's last
    64 KiB are read.
    """
    import csv
    import io

    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        first = fh.readline()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    try:
        head_txt = first.decode(encoding)
        tail_txt = tail.decode(encoding, errors="replace")
    except UnicodeDecodeError:
        fail(path, f"first line is not valid {encoding} text; is this the right file?")
    header = next(csv.reader(io.StringIO(head_txt)), [])
    lines = [ln for ln in tail_txt.splitlines() if ln.strip()]
    if not lines:
        return
    last = next(csv.reader(io.StringIO(lines[-1])), [])
    if len(last) < len(header):
        fail(path, f"the last row has {len(last)} fields but the header has {len(header)}: "
                   "the file is truncated (incomplete download?). Download it again")


#: xlsx reader: ``"auto"`` (python-calamine when installed, else openpyxl),
#: ``"calamine"`` or ``"openpyxl"``. The two give identical values (tested).
XLSX_ENGINE = "auto"


def _engine() -> str:
    if XLSX_ENGINE != "auto":
        return XLSX_ENGINE
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def xlsx_sheets(path) -> dict[str, list[tuple]]:
    """Read every sheet of an xlsx file as lists of row tuples (empty cells = ``None``).

    python-calamine (Rust) reads the 3 MB WGI workbook about 5x faster than
    openpyxl; openpyxl is the fallback. Numbers come back as float or int,
    text as str.
    """
    path = Path(path)
    if _engine() == "calamine":
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
            return {name: [tuple(None if v == "" else v for v in row)
                           for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
                    for name in wb.sheet_names}
        except Exception as exc:  # CalamineError, zip errors
            fail(path, f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}); "
                       "the file is probably truncated or corrupted: download it again")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError, InvalidFileException
        fail(path, f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}); "
                   "the file is probably truncated or corrupted: download it again")
    try:
        return {name: [tuple(r) for r in wb[name].iter_rows(values_only=True)]
                for name in wb.sheetnames}
    finally:
        wb.close()


def read_text_csv(path: str | Path, what: str) -> pd.DataFrame:
    """Read a complete UTF-8 (BOM allowed) CSV as strings, or fail naming the file and layout."""
    check_csv_complete(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        fail(path, f"cannot be read as {what} ({type(exc).__name__}: {exc})")
