"""V-Dem ERT v15 parser on the real file (vdem/ert_v15/ert.csv) and damaged copies.

Reference values
----------------
- vdem/ert_v15/PROVENANCE.md: 19,678 country-years, 183 units, 1900-2024,
  179 units in 2024; 42 columns (R row numbers + 41 variables); missing = NA;
  sha256 39c6ca13…fa4d (the V-Dem Institute's inst/ert.csv, ERT 15.0).
- Every cell of the parsed table equals the cell read independently with the
  csv module (all 19,678 x 37 variables, exact: V-Dem writes 3 decimals and
  both readers parse the same text).
- China 2020 (ERT v15): v2x_regime 0 (closed autocracy), v2x_polyarchy 0.075
  with the 68% interval [0.07, 0.079].
"""

from __future__ import annotations

import csv
import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from polygov.data.parsers import ParseError, vdem_ert
from polygov.errors import DataQualityWarning

FILE = "vdem/ert_v15/ert.csv"


@pytest.fixture(scope="module")
def raw_text(shared_data):
    return (shared_data / FILE).read_bytes()


@pytest.fixture(scope="module")
def raw(shared_data):
    with open(shared_data / FILE, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.fixture(scope="module")
def ert(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # nothing dropped
        return vdem_ert.parse(shared_data / FILE, edition="v15")


def test_every_row_kept(ert, raw):
    assert len(raw) == len(ert) == 19_678
    assert ert["vdem_code"].nunique() == raw["country_text_id"].nunique() == 183
    assert (ert["year"].min(), ert["year"].max()) == (1900, 2024)
    per_year = ert.groupby("year").size()
    expected = raw.groupby(raw["year"].astype(int)).size()
    pd.testing.assert_series_equal(per_year, expected, check_names=False)
    assert per_year.loc[2024] == 179
    assert not ert.duplicated(["iso3", "year"]).any()


def test_columns_keep_vdem_names(ert, raw):
    assert list(ert.columns) == ["iso3", "year", "country", "vdem_code", *vdem_ert.VARIABLES,
                                 "edition"]
    assert list(vdem_ert.VARIABLES) == list(raw.columns[5:])  # the file's own order
    assert {"v2x_regime", "v2x_polyarchy", "v2x_polyarchy_codelow", "v2x_polyarchy_codehigh",
            "reg_id", "dem_ep", "aut_ep", "aut_ep_outcome"} <= set(ert.columns)
    assert str(ert["dem_ep"].dtype) == "Int64" and ert["v2x_polyarchy"].dtype == float
    assert (ert["edition"] == "v15").all()
    assert list(vdem_ert.variables().columns) == ["name", "label", "kind"]


def test_every_cell_equals_the_raw_file(ert, raw):
    r = raw.sort_values(["country_text_id", "year"], key=lambda s: s if s.name != "year"
                        else s.astype(int), ignore_index=True)
    e = ert.sort_values(["vdem_code", "year"], ignore_index=True)
    assert (e["vdem_code"] == r["country_text_id"]).all()
    assert (e["year"] == r["year"].astype(int)).all()
    assert (e["country"] == r["country_name"]).all()
    n = 0
    for c, (_, kind) in vdem_ert.VARIABLES.items():
        if kind == "id":
            assert e[c].fillna("NA").tolist() == r[c].tolist(), c
        else:
            expect = np.array([np.nan if v == "NA" else float(v) for v in r[c]])
            got = e[c].astype(float).to_numpy()
            assert np.array_equal(got, expect, equal_nan=True), c
        n += len(r)
    assert n == 19_678 * 37


def test_china_2020_equals_the_raw_cell(ert, raw):
    cell = raw[(raw.country_text_id == "CHN") & (raw.year == "2020")].iloc[0]
    row = ert[(ert.iso3 == "CHN") & (ert.year == 2020)].iloc[0]
    assert row["v2x_polyarchy"] == float(cell["v2x_polyarchy"]) == 0.075
    assert (row["v2x_polyarchy_codelow"], row["v2x_polyarchy_codehigh"]) == (0.07, 0.079)
    assert row["v2x_regime"] == 0


def test_interval_brackets_the_estimate(ert):
    d = ert.dropna(subset=["v2x_polyarchy"])
    assert len(d) == 19_678 - 80
    assert (d["v2x_polyarchy_codelow"] <= d["v2x_polyarchy"]).all()
    assert (d["v2x_polyarchy"] <= d["v2x_polyarchy_codehigh"]).all()


def test_historical_and_non_iso_units_keep_their_codes(ert):
    from polygov import countries

    units = ert.groupby("iso3")["year"].agg(["min", "max", "size"])
    assert units.loc["PSB"].tolist() == [1918, 1948, 31]
    assert units.loc["VDR", "max"] == 1975 and units.loc["DDR", "max"] == 1990
    assert {"PSG", "ZZB", "SML", "YMD", "XKX"} <= set(units.index)
    countries.validate_iso3(ert["iso3"])
    assert ert.attrs["code_mapping"]["PSB"] == "PSB"


def test_source_registered_with_the_files_checksum(shared_data):
    from polygov.data import sources

    ed = sources.get_source("vdem_ert").edition_info("v15")
    assert ed.sha256 == hashlib.sha256((shared_data / FILE).read_bytes()).hexdigest()
    assert ed.url.startswith("https://raw.githubusercontent.com/vdeminstitute/ERT/")
    assert sources.get_source("vdem_ert").parser == "vdem_ert"


def test_wrong_edition(shared_data):
    with pytest.raises(ParseError, match=r"edition mismatch: V-Dem ERT .*'v14' should end in 2023"):
        vdem_ert.parse(shared_data / FILE, edition="v14")


def _line(raw_text: bytes, key: bytes) -> tuple[int, int]:
    i = raw_text.index(key)
    start = raw_text.rindex(b"\n", 0, i) + 1
    return start, raw_text.index(b"\n", i)


def test_truncated(raw_text, tmp_path):
    p = tmp_path / "ert.csv"
    p.write_bytes(raw_text[: len(raw_text) // 2])  # cut mid-row
    with pytest.raises(ParseError, match="truncated"):
        vdem_ert.parse(p)
    lines = raw_text.splitlines(keepends=True)
    p.write_bytes(b"".join(lines[: int(len(lines) * 0.9)]))  # cut at a line break
    with pytest.raises(ParseError, match=r"ert.csv: incomplete ERT file: only \d+ unit\(s\) have "
                                         r"data for 2024, .* ERT v15 covers 179"):
        vdem_ert.parse(p, edition="v15")
    p.write_bytes(b"".join(lines[:500] + lines[501:]))  # one row removed in the middle
    with pytest.raises(ParseError, match=r"row numbers .* should run 1..19677 but row 500 is "
                                         r"numbered '501'"):
        vdem_ert.parse(p)


@pytest.mark.parametrize("old, new, match", [
    (b',0.075,0.07,0.079,', b',"0,075",0.07,0.079,',
     r"column 'v2x_polyarchy' has 1 non-numeric value\(s\) \['0,075'\].*Decimal commas"),
    (b',0.075,0.07,0.079,', b',0.075,0.08,0.079,',
     r"v2x_polyarchy should be within its interval"),
    (b'2020,0,0.075', b'2020,7,0.075', r"v2x_regime should be one of \[0, 1, 2, 3\].*\[7\.0\]"),
    (b'"CHN_1900_2024"', b'"IND_1900_2024"', r"reg_id should be an identifier of the row's own"),
])
def test_corrupted_cells_refused_by_column(raw_text, tmp_path, old, new, match):
    s, e = _line(raw_text, b'"CHN","China",2020,')
    row = raw_text[s:e]
    assert old in row
    p = tmp_path / "ert.csv"
    p.write_bytes(raw_text[:s] + row.replace(old, new, 1) + raw_text[e:])
    with pytest.raises(ParseError, match=match):
        vdem_ert.parse(p)


def test_wrong_file_and_arguments(shared_data, tmp_path):
    with pytest.raises(ParseError, match=r"not a V-Dem ERT file .*\['country_text_id'"):
        vdem_ert.parse(shared_data / "egdi/official_2003_2024/EGOV_DATA_2003.csv")
    with pytest.raises(TypeError, match="edition must be a string"):
        vdem_ert.parse(shared_data / FILE, edition=15)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        vdem_ert.parse(tmp_path / "nothing.csv")
