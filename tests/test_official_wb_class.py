"""World Bank CLASS.xlsx parser: the real FY2025 file and a layout test.

Reference values
----------------
- class/PROVENANCE.md: FY2025 classification (1 July 2024, GNI 2023), 218
  economies (the held copy has the economy rows only); income groups High 86,
  Upper-middle 54, Lower-middle 51, Low 26, Venezuela unclassified. Every row
  is kept (issue 11; before: 217, the Channel Islands ``CHI`` were dropped).
- The layout tests build a workbook with the official layout (sheet "List of
  economies": Economy, Code, Region, Income group, Lending category; economies
  first, then aggregates with an empty Region; a "Groups" sheet) and a handful
  of rows whose classifications are those of the FY2025 release.
"""

from __future__ import annotations

import pytest

from polygov.data.parsers import ParseError, wb_class

ROWS = [
    ("Afghanistan", "AFG", "South Asia", "Low income", "IDA"),
    ("China", "CHN", "East Asia & Pacific", "Upper middle income", "IBRD"),
    ("Channel Islands", "CHI", "Europe & Central Asia", "High income", None),
    ("Kosovo", "XKX", "Europe & Central Asia", "Upper middle income", "IDA"),
    ("Namibia", "NAM", "Sub-Saharan Africa", "Upper middle income", "IBRD"),
    ("Venezuela, RB", "VEN", "Latin America & Caribbean", None, "IBRD"),
    (None, None, None, None, None),
    ("East Asia & Pacific", "EAS", None, None, None),
    ("World", "WLD", None, None, None),
]


def _workbook(path, rows=ROWS, sheet="List of economies", title_rows=0):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for _ in range(title_rows):
        ws.append(["World Bank list of economies (June 2024)"])
    ws.append(["Economy", "Code", "Region", "Income group", "Lending category"])
    for r in rows:
        ws.append(list(r))
    wb.create_sheet("Groups").append(["GroupCode", "GroupName", "CountryCode", "CountryName"])
    wb.save(path)
    return path


@pytest.mark.parametrize("title_rows", [0, 3])
def test_layout_economies_only(tmp_path, title_rows):
    df = wb_class.parse(_workbook(tmp_path / "CLASS.xlsx", title_rows=title_rows), edition="fy2025")
    assert list(df.columns) == ["iso3", "country", "region", "income_group", "lending_category",
                                "edition"]
    assert df["iso3"].tolist() == ["AFG", "CHI", "CHN", "NAM", "VEN", "XKX"]  # aggregates gone
    assert df.set_index("iso3").loc["NAM", "income_group"] == "Upper middle income"
    assert df.set_index("iso3")["income_group"].isna().loc["VEN"]


def test_layout_errors(tmp_path):
    with pytest.raises(ParseError, match="no sheet 'List of economies'"):
        wb_class.parse(_workbook(tmp_path / "a.xlsx", sheet="Sheet1"))
    bad = [*ROWS[:2], ("Utopia", "UTO", "Nowhere", "Very rich", None)]
    with pytest.raises(ParseError, match=r"unknown income group\(s\) \['Very rich'\]"):
        wb_class.parse(_workbook(tmp_path / "b.xlsx", rows=bad))
    p = _workbook(tmp_path / "c.xlsx")
    p.write_bytes(p.read_bytes()[:900])
    with pytest.raises(ParseError, match="truncated"):
        wb_class.parse(p)


def test_fetch_and_read_through_the_cache(tmp_path, monkeypatch):
    # the official URL replaced by a file:// URL to the layout-test workbook (no network)
    import dataclasses
    from types import MappingProxyType

    from polygov.data import fetch as F
    from polygov.data import sources as S

    monkeypatch.setenv(F.ENV_VAR, str(tmp_path / "cache"))
    book = _workbook(tmp_path / "CLASS.xlsx")
    src = S.SOURCES["wb_class"]
    ed = dataclasses.replace(src.editions["current"], url=book.as_uri())
    monkeypatch.setattr(S, "SOURCES", MappingProxyType(
        {**S.SOURCES, "wb_class": dataclasses.replace(src, editions=MappingProxyType({"current": ed}))}))
    with pytest.warns(F.UnverifiedDataWarning, match="wb_class edition 'current' has no pinned"):
        F.fetch("wb_class", progress=False)
    df = F.read("wb_class")
    assert df["iso3"].tolist() == ["AFG", "CHI", "CHN", "NAM", "VEN", "XKX"]
    assert (df["edition"] == "current").all() and df.attrs["source"] == "wb_class"
    assert "sha256: unknown until registered" in str(src)


FY2025 = "class/CLASS_FY2025.xlsx"


def test_real_fy2025_every_economy_kept(shared_data):
    import openpyxl

    df = wb_class.parse(shared_data / FY2025, edition="FY2025")
    wb = openpyxl.load_workbook(shared_data / FY2025, read_only=True)  # independent read
    rows = [r for r in wb["List of economies"].iter_rows(min_row=2, values_only=True) if r[2]]
    wb.close()
    assert len(df) == len(rows) == 218
    assert sorted(df["iso3"]) == sorted(r[1] for r in rows)
    assert df["income_group"].value_counts().to_dict() == {
        "High income": 86, "Upper middle income": 54, "Lower middle income": 51, "Low income": 26}
    chi = df.set_index("iso3").loc["CHI"]
    assert (chi["country"], chi["income_group"]) == ("Channel Islands", "High income")
    assert df.set_index("iso3")["income_group"].isna().loc["VEN"]
    from polygov import countries

    countries.validate_iso3(df["iso3"])  # CHI and XKX are known codes
