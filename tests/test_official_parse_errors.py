"""Issue 14: every official-data parser refuses a damaged, foreign or wrongly encoded file
with ParseError naming the file and the problem, never a raw csv/pandas/zip error.

Inputs are the real publishers' files (through ``shared_data``) or excerpts of
them (the last years of V-Dem, ERT and WGI, a slice of the HDR table), written to
a temporary folder and then re-encoded or corrupted. The Hypothesis test draws
random corruptions (bytes flipped, inserted, deleted, a cut, a re-encoding, a
digit replaced by a decimal comma, a NUL or a quote) with a fixed seed
(``derandomize=True``); the property is that a parser either returns a table or
raises ``ParseError``.

Before (main at 53bd130): a UTF-16 HDR file raised ``_csv.Error: line contains
NUL``; a UTF-16 EGDI/WDI/WGI CSV a ``UnicodeDecodeError``-based message or a
pandas error depending on the parser.
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polygov.data.parsers import ParseError, get_parser, vdem_codebook
from polygov.data.parsers._common import DATA_ERRORS, reading


def _csv_rows(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def _write_rows(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buf.getvalue().encode(encoding)


def _last_years(data: bytes, year_col: str, first: int, renumber: bool = False) -> bytes:
    rows = _csv_rows(data.decode("utf-8-sig").encode("utf-8"))
    j = rows[0].index(year_col)
    keep = [r for r in rows[1:] if int(r[j]) >= first]
    if renumber:  # ERT: R row numbers 1..n in the first column
        keep = [[str(i + 1), *r[1:]] for i, r in enumerate(keep)]
    return _write_rows([rows[0], *keep])


def _hdr_slice(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    return b"\r\n".join(lines[:31] + [ln for ln in lines if ln.startswith(b"ZZ")]) + b"\r\n"


#: name -> (parser, file under shared_data, excerpt function or None, file name, kwargs)
CASES = {
    "egdi": ("egdi", "egdi/official_2003_2024/EGOV_DATA_2003.csv", None, "EGOV_DATA_2003.csv", {}),
    "wdi": ("wdi", "wdi/wb_wdi_2024.csv", None, "wb_wdi_2024.csv", {}),
    "wb_class": ("wb_class", "class/CLASS_FY2025.xlsx", None, "CLASS.xlsx", {}),
    "hdr": ("hdr", "hdr/HDR23-24_Composite_indices_complete_time_series.csv", _hdr_slice,
            "hdr.csv", {}),
    "wgi": ("wgi", "wgi/2024_update/wgidataset.csv", lambda b: _last_years(b, "year", 2022),
            "wgidataset.csv", {}),
    "vdem": ("vdem", "vdem/vdemlite_v14_1970-2023.csv", lambda b: _last_years(b, "year", 2022),
             "vdem.csv", {}),
    "vdem_ert": ("vdem_ert", "vdem/ert_v15/ert.csv",
                 lambda b: _last_years(b, "year", 2023, renumber=True), "ert.csv", {}),
    "vdem_codebook": (None, "vdem/v16_codebook/codebook_v16.csv", None, "codebook.csv", {}),
}

_CACHE: dict[str, bytes] = {}


def _source(shared_data: Path, name: str) -> bytes:
    if name not in _CACHE:
        _, file, excerpt, _, _ = CASES[name]
        data = (shared_data / file).read_bytes()
        _CACHE[name] = excerpt(data) if excerpt else data
    return _CACHE[name]


def _parse(name: str, path: Path):
    parser, _, _, _, kwargs = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if parser is None:
            return vdem_codebook.read(path, **kwargs)
        return get_parser(parser).parse(path, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_excerpts_parse(shared_data, tmp_path, name):
    # the unharmed inputs of the property test parse (so a corruption is what fails)
    p = tmp_path / CASES[name][3]
    p.write_bytes(_source(shared_data, name))
    assert len(_parse(name, p)) > 0


TEXT = [n for n in CASES if n != "wb_class"]


@pytest.mark.parametrize("encoding, match", [
    ("utf-16", r"is encoded as UTF-16 \(little-endian\)"),
    ("utf-16-be", r"contains NUL bytes: it is UTF-16/UTF-32 text without a byte-order mark"),
    ("utf-32", r"is encoded as UTF-32 \(little-endian\)"),
])
@pytest.mark.parametrize("name", TEXT)
def test_wrong_encoding_refused(shared_data, tmp_path, name, encoding, match):
    data = _source(shared_data, name)
    text = data.decode("cp1252" if name == "hdr" else "utf-8-sig")
    p = tmp_path / CASES[name][3]
    p.write_bytes(text.encode(encoding))
    with pytest.raises(ParseError, match=rf"^{p.name}: {match}"):
        _parse(name, p)


def test_utf16_hdr_the_issue_case(shared_data, tmp_path):
    # issue 14: "a UTF-16 HDR file: an uncaught _csv.Error"
    src = shared_data / CASES["hdr"][1]
    p = tmp_path / "HDR23-24_Composite_indices_complete_time_series.csv"
    p.write_bytes(src.read_bytes().decode("cp1252").encode("utf-16"))
    with pytest.raises(ParseError, match=r"HDR23-24_Composite_indices_complete_time_series.csv: is "
                                         r"encoded as UTF-16 \(little-endian\), but the HDR "
                                         r"composite indices time series \(CSV\) is UTF-8"):
        get_parser("hdr").parse(p, edition="2023-24")


@pytest.mark.parametrize("kind, content, match", [
    ("gzip", None, "is gzip-compressed"),
    ("html", b"<!DOCTYPE html><html><body>Error 404</body></html>\n", "is an HTML/XML page"),
    ("empty", b"", "is empty"),
    ("zip", b"PK\x03\x04" + b"\x00" * 40, "zip/xlsx container|cannot be opened as an Excel workbook"),
])
@pytest.mark.parametrize("name", TEXT)
def test_foreign_files_refused(shared_data, tmp_path, name, kind, content, match):
    p = tmp_path / CASES[name][3]
    p.write_bytes(gzip.compress(_source(shared_data, name)) if content is None else content)
    with pytest.raises(ParseError, match=rf"^{p.name}: .*({match})"):
        _parse(name, p)


@pytest.mark.parametrize("name", ["egdi", "hdr", "wgi", "vdem", "vdem_ert"])
def test_european_resave_refused(shared_data, tmp_path, name):
    # Excel with a European locale writes ';' separators and decimal commas
    data = _source(shared_data, name)
    enc = "cp1252" if name == "hdr" else "utf-8"
    rows = _csv_rows(data.decode("utf-8-sig").encode("utf-8") if enc == "utf-8" else data, enc)
    rows = [[c.replace(".", ",") if c.replace(".", "", 1).isdigit() else c for c in r]
            for r in rows]
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    p = tmp_path / CASES[name][3]
    p.write_bytes(buf.getvalue().encode(enc))
    with pytest.raises(ParseError, match=rf"^{p.name}: uses ';' as the field separator"):
        _parse(name, p)


@pytest.mark.parametrize("name", ["egdi", "wdi", "vdem_ert"])
def test_decimal_comma_cell_refused_by_column(shared_data, tmp_path, name):
    data = _source(shared_data, name)
    df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    col = {"egdi": "Human Capital Index", "wdi": "value", "vdem_ert": "v2x_polyarchy"}[name]
    i = int(df.index[df[col].str.fullmatch(r"\d+\.\d+")][3])
    df.loc[i, col] = df.loc[i, col].replace(".", ",")
    p = tmp_path / CASES[name][3]
    df.to_csv(p, index=False)
    expected = {"Human Capital Index": "hci"}.get(col, col)
    with pytest.raises(ParseError, match=rf"column '{expected}' has 1 non-numeric value.*Decimal commas"):
        _parse(name, p)


def test_xlsx_given_text_or_damage(shared_data, tmp_path):
    p = tmp_path / "CLASS.xlsx"
    p.write_bytes("Economy,Code\nChina,CHN\n".encode("utf-16"))
    with pytest.raises(ParseError, match=r"CLASS.xlsx: is not an xlsx workbook .* UTF-16/32 text"):
        _parse("wb_class", p)
    data = _source(shared_data, "wb_class")
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(ParseError, match=r"CLASS.xlsx: cannot be opened as an Excel workbook"):
        _parse("wb_class", p)


def test_reading_lets_path_errors_through(tmp_path):
    with pytest.raises(ParseError, match=r"x.csv: cannot be read as a test file \(KeyError"):
        with reading(tmp_path / "x.csv", "a test file"):
            {}["sheet"]
    with pytest.raises(FileNotFoundError):
        with reading(tmp_path / "x.csv", "a test file"):
            open(tmp_path / "missing.csv")
    assert not any(issubclass(OSError, e) for e in DATA_ERRORS)


@pytest.mark.parametrize("name", list(CASES))
def test_argument_errors_name_the_argument(shared_data, tmp_path, name):
    p = tmp_path / CASES[name][3]
    with pytest.raises(FileNotFoundError, match="is not a file"):
        _parse(name, p)
    with pytest.raises(TypeError, match="path must be a file path"):
        _parse(name, 3)  # type: ignore[arg-type]
    if CASES[name][0] is not None:
        with pytest.raises(TypeError, match="edition must be a string"):
            get_parser(CASES[name][0]).parse(shared_data / CASES[name][1], edition=2024)


# ----------------------------------------------------------------- property

_ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "cp437", "mac_roman",
              "latin-1"]
_TEXT_BYTES = list(b'0123456789.,-+eE" \n\r;:aZ_NA')
_byte = st.one_of(st.sampled_from(_TEXT_BYTES), st.integers(0, 255))  # mostly text-like
_corruption = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), _byte),
                                        min_size=1, max_size=20)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.floats(0, 1),
              st.one_of(st.binary(min_size=1, max_size=64),
                        st.text("0123456789.,-\"\n;abcNA", min_size=1, max_size=64).map(str.encode))),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 4000)),
    st.tuples(st.just("encode"), st.sampled_from(_ENCODINGS)),
    st.tuples(st.just("char"), st.floats(0, 1),
              st.sampled_from([b",", b"O", b"-", b'"', b"\n", b"\x00", b";", b"\r", b"\xff"])),
)


def _corrupt(data: bytes, op: tuple) -> bytes:
    kind = op[0]

    def at(f: float) -> int:
        return min(int(f * len(data)), max(len(data) - 1, 0))

    if kind == "flip":
        b = bytearray(data)
        for f, v in op[1]:
            if b:
                b[at(f)] = v
        return bytes(b)
    if kind == "truncate":
        return data[: at(op[1])]
    if kind == "insert":
        return data[: at(op[1])] + op[2] + data[at(op[1]):]
    if kind == "delete":
        return data[: at(op[1])] + data[at(op[1]) + op[2]:]
    if kind == "encode":
        return data.decode("utf-8-sig", errors="replace").encode(op[1], errors="replace")
    return data[: at(op[1])] + op[2] + data[at(op[1]) + 1:]  # "char": replace one byte


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(_corruption, min_size=1, max_size=3))
def test_random_damage_only_ever_raises_parse_error(shared_data, name, ops):
    data = _source(shared_data, name)
    for op in ops:
        data = _corrupt(data, op)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / CASES[name][3]
        p.write_bytes(data)
        try:
            out = _parse(name, p)
        except ParseError as exc:
            assert str(exc).startswith(f"{p.name}: "), str(exc)
        else:
            assert isinstance(out, pd.DataFrame)
