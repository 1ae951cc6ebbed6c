"""UNDP HDR composite indices parser on the real 2023/24 file (../shared/data/hdr).

Reference values
----------------
- hdr/PROVENANCE.md: 206 rows = 195 countries + 11 aggregates (ZZ*), 1990-2022,
  Latin-1 encoded.
- Published (HDR 2023/24, Table 1): HDI 2022 Switzerland 0.967 (rank 1),
  Norway 0.966 (rank 2), Republic of Korea 0.929, China 0.788.
- The HDI formula with the 2023/24 goalposts reproduces the published HDI: all
  2022 values within 0.0005 (rounding), and 1990-2022 all but 4 of the
  country-years, the worst 0.0021 (PROVENANCE.md check).
"""

from __future__ import annotations

import pytest

from polygov.data.parsers import ParseError, hdr

FILE = "hdr/HDR23-24_Composite_indices_complete_time_series.csv"


@pytest.fixture(scope="module")
def h(shared_data):
    return hdr.parse(shared_data / FILE, edition="2023-24")


def test_shape_aggregates_removed(h):
    assert h["iso3"].nunique() == 195
    assert len(h) == 195 * 33
    assert (h["year"].min(), h["year"].max()) == (1990, 2022)
    assert not h["iso3"].str.startswith("ZZ").any()
    assert list(h.columns) == ["iso3", "year", "country", "hdicode", "region", *hdr.DEFAULT_INDICATORS,
                               "edition"]
    assert not h.duplicated(["iso3", "year"]).any()


def test_latin1_names(h):
    names = set(h["country"])
    assert "Côte d'Ivoire" in names and "Türkiye" in names


@pytest.mark.parametrize("iso3,value", [("CHE", 0.967), ("NOR", 0.966), ("KOR", 0.929),
                                        ("CHN", 0.788)])
def test_published_hdi_2022(h, iso3, value):
    assert h.loc[(h.iso3 == iso3) & (h.year == 2022), "hdi"].item() == pytest.approx(value, abs=5e-4)


def test_hdi_formula_reproduces_published(h):
    diff = (hdr.hdi_formula(h) - h["hdi"]).abs().dropna()
    last = diff[h.loc[diff.index, "year"] == 2022]
    assert last.max() <= 5e-4
    assert (diff > 5e-4).sum() == 4 and diff.max() == pytest.approx(0.0021, abs=1e-4)


def test_other_indicators_and_unknown(shared_data):
    g = hdr.parse(shared_data / FILE, indicators=["gii", "phdi", "gni_pc_f"])
    assert {"gii", "phdi", "gni_pc_f"} <= set(g.columns)
    assert g["edition"].iloc[0] == "2023"  # inferred: report year = last data year + 1
    with pytest.raises(ParseError, match=r"indicator\(s\) \['hdi_x'\] not in the file"):
        hdr.parse(shared_data / FILE, indicators=["hdi_x"])


def test_wrong_edition(shared_data):
    with pytest.raises(ParseError, match="edition mismatch: HDR edition '2021-22' should end in 2021.*run to 2022"):
        hdr.parse(shared_data / FILE, edition="2021-22")


def test_truncated_and_corrupted(shared_data, tmp_path):
    raw = (shared_data / FILE).read_bytes()
    p = tmp_path / "hdr.csv"
    p.write_bytes(raw[: len(raw) // 2])  # cut mid-row
    with pytest.raises(ParseError, match="truncated"):
        hdr.parse(p)
    p.write_bytes(b"\r\n".join(raw.split(b"\r\n")[:150]) + b"\r\n")  # cut at a row boundary
    with pytest.raises(ParseError, match="'ZZK.WORLD'.*missing.*truncated"):
        hdr.parse(p)
    i = raw.index(b"NOR,")
    line_end = raw.index(b"\r\n", i)
    row = raw[i:line_end].replace(b"0.966", b"O.966", 1)
    p.write_bytes(raw[:i] + row + raw[line_end:])
    with pytest.raises(ParseError, match=r"column 'hdi_20\d\d' has 1 non-numeric value\(s\) \['O.966'\]"):
        hdr.parse(p)
    p.write_bytes(raw.replace(b"iso3,country", b"code,country", 1))
    with pytest.raises(ParseError, match=r"\['iso3'\] missing"):
        hdr.parse(p)


def test_utf16_file_refused_naming_file_and_encoding(shared_data, tmp_path):
    # issue 14: a UTF-16 HDR file gave an uncaught _csv.Error ("line contains NUL")
    p = tmp_path / "hdr.csv"
    p.write_bytes((shared_data / FILE).read_bytes().decode("cp1252").encode("utf-16"))
    with pytest.raises(ParseError, match=r"^hdr.csv: is encoded as UTF-16 \(little-endian\)"):
        hdr.parse(p, edition="2023-24")
    p.write_bytes((shared_data / FILE).read_bytes().decode("cp1252").encode("utf-16-le"))
    with pytest.raises(ParseError, match=r"^hdr.csv: contains NUL bytes"):
        hdr.parse(p)
