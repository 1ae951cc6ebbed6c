"""The shared key-validation step (polygov.keys.normalise_keys) and its properties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polygov.keys import KeyNormalisationWarning, key_like_columns, normalise_keys, resolve_key


def _panel():
    return pd.DataFrame({"iso3": ["CHN", "IND", "CHN", "IND"], "year": [2015, 2015, 2016, 2016],
                         "x": [1.0, 2.0, 3.0, 4.0]})


def test_valid_panel_is_returned_unchanged_and_not_copied():
    d = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = normalise_keys(d)
    assert out is d


def test_lower_case_iso3_in_one_year_is_upper_cased_with_a_warning():
    d = _panel()
    d.loc[d.year == 2016, "iso3"] = ["chn", " ind"]
    with pytest.warns(KeyNormalisationWarning, match=r"normalised 2 value\(s\) of key 'iso3'"):
        out = normalise_keys(d)
    assert out["iso3"].nunique() == 2
    assert d.loc[2, "iso3"] == "chn"  # input untouched


def test_mixed_string_and_integer_years_become_one_period():
    d = _panel().astype({"year": object})
    d.loc[2, "year"] = "2016"
    with pytest.warns(KeyNormalisationWarning, match="integer years"):
        out = normalise_keys(d)
    assert out["year"].tolist() == [2015, 2015, 2016, 2016]
    assert out["year"].dtype == np.int64


def test_duplicates_created_by_case_are_refused_naming_rows():
    d = pd.concat([_panel(), _panel().assign(iso3=lambda f: f.iso3.str.lower())], ignore_index=True)
    with pytest.raises(ValueError, match=r"8 row\(s\) with duplicated keys \['iso3', 'year'\].*row 0"):
        with pytest.warns(KeyNormalisationWarning):
            normalise_keys(d)


def test_stacked_cross_section_is_refused():
    d = pd.DataFrame({"iso3": ["CHN", "IND"], "y": [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicated keys"):
        normalise_keys(pd.concat([d, d]), time=None)


@pytest.mark.parametrize("bad", [2016.5, "20x6", True, None])
def test_bad_years_are_refused_naming_the_row(bad):
    d = _panel().astype({"year": object})
    d.loc[3, "year"] = bad
    with pytest.raises(ValueError, match=r"row 3"):
        normalise_keys(d)


def test_capitalised_key_columns_are_recognised_and_renamed():
    d = _panel().rename(columns={"year": "Year", "iso3": "ISO3"})
    out = normalise_keys(d)
    assert list(out.columns) == ["iso3", "year", "x"]
    assert resolve_key(d, "year") == "Year"
    assert key_like_columns(d) == ["ISO3", "Year"]


def test_ambiguous_case_variants_are_refused():
    d = _panel().assign(Year=2000)
    assert resolve_key(d, "year") == "year"  # exact match wins
    d2 = d.drop(columns="year").assign(YEAR=2001)
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_key(d2, "year")


def test_missing_key_column_is_named():
    with pytest.raises(KeyError, match="time key column 'year' not found"):
        normalise_keys(_panel().drop(columns="year"))


def test_entity_mixing_types_is_refused():
    d = _panel().astype({"iso3": object})
    d.loc[1, "iso3"] = 356
    with pytest.raises(ValueError, match="mixes strings and other types"):
        normalise_keys(d)


def test_non_iso_entities_keep_their_case():
    d = pd.DataFrame({"municipality": ["Ale", "ALE"], "year": [1980, 1980]})
    out = normalise_keys(d, entity="municipality")
    assert out["municipality"].tolist() == ["Ale", "ALE"]


# --- properties -------------------------------------------------------------------------------

codes = st.sampled_from(["CHN", "IND", "BRA", "RUS", "ZAF", "USA", "DEU"])
spellings = st.sampled_from(["upper", "lower", "space", "title"])
year_forms = st.sampled_from(["int", "float", "str"])


def _spell(code: str, how: str) -> str:
    return {"upper": code, "lower": code.lower(), "space": f" {code} ", "title": code.title()}[how]


def _year(y: int, how: str):
    return {"int": y, "float": float(y), "str": str(y)}[how]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(codes, st.integers(1990, 2025), spellings, year_forms), min_size=1,
                max_size=40))
def test_property_normalised_keys_equal_canonical_keys(rows):
    """Whatever the spelling of codes and years, the result either equals the canonical keys
    (same rows, same order) or is refused because the canonical keys repeat."""
    d = pd.DataFrame({"iso3": [_spell(c, s) for c, _, s, _ in rows],
                      "year": pd.Series([_year(y, f) for _, y, _, f in rows], dtype=object),
                      "v": np.arange(len(rows), dtype=float)})
    canon = pd.DataFrame({"iso3": [c for c, *_ in rows], "year": [y for _, y, *_ in rows]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KeyNormalisationWarning)
        if canon.duplicated().any():
            with pytest.raises(ValueError, match="duplicated keys"):
                normalise_keys(d)
            return
        out = normalise_keys(d)
    assert out["iso3"].tolist() == canon["iso3"].tolist()
    assert out["year"].tolist() == canon["year"].tolist()
    assert out["v"].tolist() == d["v"].tolist()
