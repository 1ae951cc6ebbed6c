"""Helpers shared by the official-data parsers (errors, country mapping, checks)."""

from __future__ import annotations

import contextlib
import csv
import logging
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ParseError", "check_csv_complete", "check_edition_years", "check_encoding", "fail",
           "names_to_iso3", "check_args", "read_csv", "sniff_text", "reading", "require_columns", "to_numeric_strict",
           "xlsx_sheets"]

_ISO3 = re.compile(r"^[A-Z]{3}$")


class ParseError(ValueError):
    """A file does not have the layout, content or edition its parser expects.

    Raised before anything is returned, so a failed parse never yields a
    partially loaded table.
    """



#: ``pd.read_csv`` options that read numbers correctly rounded, as ``float()`` does. pandas 2's
#: default converter lands some long decimals one ulp off, so it needs
#: ``float_precision="round_trip"``; pandas 3 rounds correctly by default and deprecates the option.
CSV_EXACT_FLOATS: dict = ({"float_precision": "round_trip"}
                          if int(pd.__version__.split(".")[0]) < 3 else {})

def fail(path: str | Path, msg: str) -> None:
    """Raise :class:`ParseError` prefixed with the file name."""
    raise ParseError(f"{Path(path).name}: {msg}")


#: Exceptions that reading a damaged or foreign file can raise from the csv module,
#: pandas, numpy, zipfile or the xlsx readers. :func:`reading` turns them into
#: :class:`ParseError`; errors about the *path* (``OSError``: missing file, no
#: permission), ``MemoryError`` and ``ImportError`` pass through unchanged.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,  # UnicodeDecodeError, pandas ParserError / EmptyDataError, json errors
    csv.Error,  # "line contains NUL", "field larger than field limit"
    LookupError,  # KeyError / IndexError from a layout that is not the expected one
    TypeError,  # e.g. comparing text with numbers in a corrupted column
    AttributeError,  # e.g. the ``.str`` accessor on a column that is not text
    ArithmeticError,  # OverflowError from an absurd number
    zipfile.BadZipFile,
    struct.error,
    EOFError,
)


@contextlib.contextmanager
def reading(path: str | Path, what: str) -> Iterator[None]:
    """Context manager every parser reads its file in: failures become :class:`ParseError`.

    A damaged, truncated or foreign file makes the csv module, pandas or an xlsx
    reader raise all kinds of exceptions (``_csv.Error: line contains NUL`` for a
    UTF-16 file, ``KeyError`` for a missing sheet part ...). Inside this block they
    are re-raised as :class:`ParseError` naming the file, what it was read as and
    the original error (chained, so the traceback keeps it). :class:`ParseError`
    itself, ``OSError`` (the path is wrong), ``MemoryError`` and ``ImportError``
    pass through.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> with reading(p, "a test file"):
    ...     int("0,5")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ParseError: x.csv: cannot be read as a test file (ValueError: ...)
    """
    try:
        yield
    except ParseError:
        raise
    except DATA_ERRORS as exc:
        raise ParseError(f"{Path(path).name}: cannot be read as {what} ({type(exc).__name__}: "
                         f"{str(exc)[:300]}). The file is damaged, truncated, or not the expected "
                         "file; download it again") from exc


def check_args(path, edition) -> Path:
    """Validate the two arguments every ``parse`` takes; return ``path`` as a :class:`Path`.

    ``path`` must be a string or path-like naming an existing file (``TypeError``
    / ``FileNotFoundError`` otherwise); ``edition`` a string or ``None``.
    """
    import os

    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got "
                        f"{type(path).__name__} {path!r}")
    if edition is not None and not isinstance(edition, str):
        raise TypeError(f"edition must be a string such as '2024' or 'v14' (or None), got "
                        f"{type(edition).__name__} {edition!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file" +
                                (" (it is a directory)" if path.is_dir() else ""))
    return path


_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


def check_encoding(path: str | Path, data: bytes, encodings: Iterable[str], what: str) -> str:
    """Return the first of ``encodings`` that decodes ``data``; refuse anything else.

    One check for every text file the parsers read. A file is refused with
    :class:`ParseError` naming the file and the problem when it

    - starts with a UTF-16 or UTF-32 byte-order mark, or contains NUL bytes
      (UTF-16/32 without a mark, or a binary file): the publishers' CSVs are
      8-bit text;
    - is a zip or xlsx container, gzip, or HTML (an error page saved as the file);
    - decodes in none of ``encodings``;
    - uses ``;`` rather than ``,`` as the field separator (a re-save with a
      European locale, which also turns decimal points into commas).
    """
    encodings = tuple(encodings)
    allowed = " or ".join(e.replace("utf-8-sig", "UTF-8") for e in encodings)
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            fail(path, f"is encoded as {name}, but {what} is {allowed} text; re-save it as "
                       "UTF-8 (or download the publisher's file again)")
    head = data[:512].lstrip().lower()
    if data[:2] == b"PK":
        fail(path, f"is a zip/xlsx container, not {what}: unzip it first or pass the CSV inside")
    if data[:2] == b"\x1f\x8b":
        fail(path, f"is gzip-compressed, not {what}: decompress it first")
    if b"\x00" in data:
        fail(path, f"contains NUL bytes: it is UTF-16/UTF-32 text without a byte-order mark or a "
                   f"binary file, not {what} ({allowed} text). Download the file again")
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<!--")):
        fail(path, f"is an HTML/XML page, not {what}: the download returned an error or login "
                   "page; download the file again from the publisher")
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            err = exc
            continue
        first = text.split("\n", 1)[0]
        if ";" in first and "," not in first:
            fail(path, f"uses ';' as the field separator (first line {first[:80]!r}): it was "
                       "re-saved with a European locale, which also writes decimal commas. Use "
                       "the publisher's comma-separated file")
        return enc
    fail(path, f"is not {allowed} text ({err}); {what} is expected. Is it the right file?")
    raise AssertionError  # pragma: no cover


def sniff_text(path: str | Path, what: str, encodings: Iterable[str] = ("utf-8-sig",)) -> str:
    """Check a text file's encoding from its first MiB and last 64 KiB; return the encoding.

    The sample is enough for the byte-order marks, NUL bytes and foreign formats
    :func:`check_encoding` refuses, without reading a file of several hundred MB
    twice; a decoding error further inside is reported by :func:`reading`.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if not head.strip():
        fail(path, f"is empty; {what} expected. Download it again")
    if size > len(head) and b"\n" in head:  # do not cut a multi-byte character
        head = head[: head.rindex(b"\n") + 1]
    if b"\x00" in tail and not head.startswith(tuple(_BOMS)):
        head = head + b"\x00"
    return check_encoding(path, head, encodings, what)


def read_csv(path: str | Path, what: str, *, encodings: Iterable[str] = ("utf-8-sig",),
             **kwargs) -> pd.DataFrame:
    """Read a publisher's CSV through the common checks, or raise :class:`ParseError`.

    The encoding is checked (:func:`sniff_text`), the last record must be
    complete (:func:`check_csv_complete`), and any error of the CSV reader is
    reported by :func:`reading`. ``kwargs`` go to :func:`pandas.read_csv`;
    numbers are read correctly rounded, as ``float()`` does (:data:`CSV_EXACT_FLOATS`).
    """
    path = Path(path)
    enc = sniff_text(path, what, encodings)
    check_csv_complete(path, encoding=enc)
    kwargs.update(CSV_EXACT_FLOATS)
    with reading(path, what):
        return pd.read_csv(path, encoding=enc, **kwargs)
    raise AssertionError  # pragma: no cover


def require_columns(path, columns: Iterable[str], required: Iterable[str], what: str) -> None:
    """Raise :class:`ParseError` naming the required columns missing from ``columns``."""
    have = [str(c) for c in columns]
    missing = [c for c in required if c not in have]
    if missing:
        fail(path, f"not a {what}: column(s) {missing} missing; the file has {have[:12]}"
                   f"{' …' if len(have) > 12 else ''}. Is it the right file, and complete?")


def to_numeric_strict(path, frame: pd.DataFrame, columns: Iterable[str],
                      na_values: Iterable[str] = ()) -> pd.DataFrame:
    """Convert ``columns`` to float; unparseable cells raise naming column, row and value.

    Missing are only empty cells and the codes in ``na_values``; any other text
    (a decimal comma ``'0,41'``, ``'n/a'``, a stray letter) and infinite values
    raise :class:`ParseError` naming the column, the rows and the values. Text
    is converted with Python's correctly rounded ``float``, so every value equals
    the nearest double to the publisher's decimal.
    """
    out = frame.copy()
    na = set(na_values)
    for col in columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(float)
            continue
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():  # only the declared missing-value codes (and empty cells) may be missing
            txt = s[bad].astype(str).str.strip()
            bad.loc[txt.index[txt.isin(na | {""})]] = False
        bad |= np.isinf(num.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            ex = s[bad].head(5).tolist()
            rows = list(s[bad].index[:5])
            comma = s[bad].astype(str).str.strip().str.fullmatch(r"[-+]?\d*,\d+").any()
            hint = (" Decimal commas ('0,5'): the file was re-saved with a European locale; "
                    "use the publisher's file, which writes decimal points." if comma else
                    " The file may be corrupted or of another layout.")
            fail(path, f"column {col!r} has {int(bad.sum())} non-numeric value(s) {ex} "
                       f"(rows {rows}); expected numbers or the missing-value codes "
                       f"{sorted(na)}.{hint}")
        # pandas' own text-to-float conversion is not correctly rounded: for long decimals
        # it lands one ulp off (3 of the 7,354 values of the WDI extract, 172 of 178,230 in
        # WGIData.csv). Python's float() is correctly rounded: use it for every text cell.
        is_text = s.map(lambda v: isinstance(v, str)).astype(bool) & num.notna()
        if is_text.any():
            num = num.astype(float)
            num[is_text] = [float(v) for v in s[is_text]]
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
    # object dtype with None for unmapped names (pandas 3 would otherwise give a str column with NaN)
    return pd.Series([mapping.get(str(n)) if pd.notna(n) else None for n in names],
                     index=names.index, name=names.name, dtype=object), used


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
    return {n: (c if isinstance(c, str) else None)  # None, never NaN, for unmapped names
            for n, c in zip(rep["name"], rep["iso3"], strict=True)}


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
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] != b"PK":
        what = ("UTF-16/32 text" if magic[:2] in (b"\xff\xfe", b"\xfe\xff") else
                "an old binary .xls workbook" if magic == b"\xd0\xcf\x11\xe0" else
                "text or another format" if magic else "an empty file")
        fail(path, f"is not an xlsx workbook (an xlsx file is a zip container starting with "
                   f"'PK'); it looks like {what}. Download the publisher's .xlsx again")
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
        with reading(path, "an Excel workbook"):
            return {name: [tuple(r) for r in wb[name].iter_rows(values_only=True)]
                    for name in wb.sheetnames}
    finally:
        wb.close()
    raise AssertionError  # pragma: no cover


def read_text_csv(path: str | Path, what: str) -> pd.DataFrame:
    """Read a complete UTF-8 (BOM allowed) CSV as strings, or fail naming the file and layout."""
    return read_csv(path, what, dtype=str, keep_default_na=False)
