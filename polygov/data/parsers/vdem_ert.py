"""Parser for V-Dem's Episodes of Regime Transformation (ERT) dataset, v15 and later.

ERT (Maerz et al. 2023; Lührmann and Lindberg 2019; Wilson et al. 2022) is the
V-Dem Institute's country-year file of regimes, regime spells and episodes of
democratization and autocratization, built from the V-Dem Country-Year
dataset (ERT 15.0 from V-Dem v15, 1900-2024). It is the one V-Dem file here
with the **measurement interval** of the electoral democracy index:
``v2x_polyarchy_codelow`` / ``_codehigh`` bound V-Dem's 68% highest-posterior
density interval.

Layout
------
``ert.csv`` from the ``vdeminstitute/ERT`` R package (``inst/ert.csv``): an
unnamed first column with R's row numbers (``""``, 1..n), then
``country_id, country_text_id, country_name, year`` and the variables of
:data:`VARIABLES`; all strings quoted; missing = bare ``NA``.

The parser keeps **every row** (19,678 in v15) and V-Dem's column names. Units
are keyed by :func:`polygov.data.parsers.vdem.unit_codes`: V-Dem's
``country_text_id`` where it is the unit's ISO3 code, otherwise the documented
code of :data:`polygov.data.parsers.vdem.CODE_EXCEPTIONS` (e.g. ``VDR`` Republic
of Vietnam, ``ZZB`` Zanzibar, ``PSB`` Palestine/British Mandate, ``DDR``).

References
----------
Maerz, S. F., A. Edgell, M. C. Wilson, S. Hellmeier and S. I. Lindberg (2023).
"Episodes of regime transformation". *Journal of Peace Research* 61(6).
Edgell, A. B. et al. (2025). *Episodes of Regime Transformation Dataset and
Codebook, v15*. V-Dem Institute. https://github.com/vdeminstitute/ERT
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import (
    check_args,
    check_edition_years,
    fail,
    read_csv,
    reading,
    require_columns,
    to_numeric_strict,
)

__all__ = ["UNITS_LAST_YEAR", "VARIABLES", "parse", "variables"]

_I01, _REG, _YEAR, _BIN, _TRI, _ID = "0-1", "0-3", "year", "0/1", "-1/0/1", "id"

#: ERT v15 variables, in the file's order: name -> (label, kind). Kinds: ``0-1``
#: interval index; ``0-3`` the Regimes of the World classes; ``year`` a calendar
#: year; ``0/1`` dummy; ``-1/0/1`` direction of change; ``0-4`` / ``0-6`` coded
#: categories; ``id`` a text identifier ``<code>_<first year>_<last year>``.
#: Definitions: ERT codebook v15 (``inst/ERT_codebook_v15.pdf``).
VARIABLES: dict[str, tuple[str, str]] = {
    "v2x_regime": ("Regimes of the World: 0 closed autocracy, 1 electoral autocracy, "
                   "2 electoral democracy, 3 liberal democracy", _REG),
    "v2x_polyarchy": ("Electoral democracy index (V-Dem point estimate)", _I01),
    "v2x_polyarchy_codelow": ("Electoral democracy index, lower bound of the 68% HPD interval",
                              _I01),
    "v2x_polyarchy_codehigh": ("Electoral democracy index, upper bound of the 68% HPD interval",
                               _I01),
    "reg_start_year": ("First year of the regime spell", _YEAR),
    "reg_end_year": ("Last year of the regime spell", _YEAR),
    "reg_id": ("Regime spell identifier", _ID),
    "reg_type": ("Regime type of the spell: 0 autocracy, 1 democracy", _BIN),
    "reg_trans": ("Regime transition (-1 to autocracy, 0 none, 1 to democracy)", _TRI),
    "dem_founding_elec": ("Year of the founding election of the democratic spell", _YEAR),
    "aut_founding_elec": ("Year of the founding election of the autocratic spell", _YEAR),
    "row_regch_event": ("Change of Regimes-of-the-World class (-1 down, 0 none, 1 up)", _TRI),
    "row_regch_censored": ("Regimes-of-the-World change censored (1 = at the end of the data)",
                           _BIN),
    "dem_ep": ("Democratization episode (1 = country-year in an episode)", _BIN),
    "dem_ep_id": ("Democratization episode identifier", _ID),
    "dem_ep_start_year": ("First year of the democratization episode", _YEAR),
    "dem_ep_end_year": ("Last year of the democratization episode", _YEAR),
    "dem_pre_ep_year": ("Year before a democratization episode", _BIN),
    "dem_ep_termination": ("How the democratization episode ended (ERT codes 0-4)", "0-4"),
    "dem_ep_prch": ("Democratization episode with a regime change (ERT codebook)", _BIN),
    "dem_ep_ptr": ("Democratization episode phase (ERT codebook)", _BIN),
    "dem_ep_subdep": ("Democratization sub-type: democratic deepening (ERT codebook)", _BIN),
    "dem_ep_outcome": ("Outcome of the democratization episode (ERT codes 0-6)", "0-6"),
    "dem_ep_outcome_agg": ("Outcome of the democratization episode, aggregated (0-4)", "0-4"),
    "dem_ep_censored": ("Democratization episode censored (ongoing at the end of the data)", _BIN),
    "aut_ep": ("Autocratization episode (1 = country-year in an episode)", _BIN),
    "aut_ep_id": ("Autocratization episode identifier", _ID),
    "aut_ep_start_year": ("First year of the autocratization episode", _YEAR),
    "aut_ep_end_year": ("Last year of the autocratization episode", _YEAR),
    "aut_pre_ep_year": ("Year before an autocratization episode", _BIN),
    "aut_ep_termination": ("How the autocratization episode ended (ERT codes 0-4)", "0-4"),
    "aut_ep_prch": ("Autocratization episode with a regime change (ERT codebook)", _BIN),
    "aut_ep_pbr": ("Autocratization episode phase (ERT codebook)", _BIN),
    "aut_ep_subreg": ("Autocratization sub-type: regression in autocracy (ERT codebook)", _BIN),
    "aut_ep_outcome": ("Outcome of the autocratization episode (ERT codes 0-6)", "0-6"),
    "aut_ep_outcome_agg": ("Outcome of the autocratization episode, aggregated (0-4)", "0-4"),
    "aut_ep_censored": ("Autocratization episode censored (ongoing at the end of the data)", _BIN),
}

_ALLOWED = {_REG: {0, 1, 2, 3}, _BIN: {0, 1}, _TRI: {-1, 0, 1}, "0-4": set(range(5)),
            "0-6": set(range(7))}
_KEYS = ["country_text_id", "country_name", "year"]

#: Units with data in the last year of each ERT version, as published (v15: 179 in 2024).
#: A file with fewer is truncated or filtered, even when it was cut at a line break.
UNITS_LAST_YEAR: dict[int, int] = {15: 179}
#: Lower bound for versions not in :data:`UNITS_LAST_YEAR`.
MIN_UNITS_LAST_YEAR = 170
_WHAT = "the V-Dem ERT dataset (ert.csv)"


def variables() -> pd.DataFrame:
    """Return :data:`VARIABLES` as a table: ``name``, ``label``, ``kind``."""
    return pd.DataFrame([(k, *v) for k, v in VARIABLES.items()], columns=["name", "label", "kind"])


def parse(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Parse V-Dem's ERT ``ert.csv`` into a tidy ``iso3``-``year`` panel, every row kept.

    Parameters
    ----------
    path : path-like
        ``ert.csv`` of the ``vdeminstitute/ERT`` package (v15 or later).
    edition : str, optional
        ``"v15"`` etc.; a label ``vN…`` is checked against the last data year
        (ERT N is built from V-Dem vN, which covers data to 2009 + N).

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country`` (V-Dem's ``country_name``), ``vdem_code``
        (``country_text_id``), then the variables of :data:`VARIABLES` under
        V-Dem's names, and ``edition``. Indices are floats; years, dummies and
        coded categories are nullable integers (``Int64``); identifiers text.
        ``attrs["code_mapping"]`` maps each ``vdem_code`` to its ``iso3``.

    Notes
    -----
    Checks, each raising :class:`~polygov.data.parsers.ParseError` naming the
    file: the layout (the 37 variables of v15), numbers where numbers belong
    (``NA`` = missing; a decimal comma or any text is refused naming the
    column), the domains (``v2x_regime`` in 0-3, dummies 0/1, indices in
    [0, 1] with ``codelow <= v2x_polyarchy <= codehigh``, whole years,
    identifiers ``<code>_<year>_<year>`` of the row's own unit), one row per
    unit and year, and completeness: the last record has every field, R's row
    numbers run 1..n without a gap, and the last year has data for every unit
    of the version (:data:`UNITS_LAST_YEAR`, else :data:`MIN_UNITS_LAST_YEAR`).
    A file in another encoding (UTF-16 ...) is refused as well.
    """
    path = check_args(path, edition)
    with reading(path, _WHAT):
        return _parse(path, edition)
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None) -> pd.DataFrame:
    text = {c: str for c in ["", "Unnamed: 0", *_KEYS[:2], "reg_id", "dem_ep_id", "aut_ep_id"]}
    raw = read_csv(path, _WHAT, dtype=text, keep_default_na=False, na_values=["NA"],
                   low_memory=False)
    require_columns(path, raw.columns, _KEYS + list(VARIABLES), "V-Dem ERT file (ert.csv)")
    df = raw.copy()
    rowno = df.columns[0]
    if rowno in ("", "Unnamed: 0"):  # R's row names: 1..n in order, a gap means lost rows
        num = pd.to_numeric(df[rowno], errors="coerce")
        expect = np.arange(1, len(df) + 1)
        if num.isna().any() or not np.array_equal(num.to_numpy(), expect):
            at = int(np.argmax(num.isna().to_numpy() | (num.to_numpy() != expect)))
            fail(path, f"incomplete ERT file: the row numbers of the first column should run "
                       f"1..{len(df)} but row {at + 1} is numbered {df[rowno].iloc[at]!r}: rows "
                       "were removed or the file was edited. Download it again")
    na = ["NA", ""]
    for c in _KEYS[:2]:
        if df[c].isna().any() or df[c].str.strip().isin(na).any():
            fail(path, f"rows without {c}; the file is truncated or corrupted")
    ids = [c for c, (_, kind) in VARIABLES.items() if kind == _ID]
    nums = [c for c in VARIABLES if c not in ids]
    df = to_numeric_strict(path, df, ["year", *nums], na_values=na)
    for c in ids:
        df[c] = df[c].where(df[c].notna() & ~df[c].fillna("").str.strip().isin(na), None)
    _check_domains(path, df, ids)
    df["year"] = df["year"].astype(int)
    m = re.match(r"v(\d+)", edition or "")
    check_edition_years(path, df["year"], edition, 2009 + int(m.group(1)) if m else None,
                        "V-Dem ERT (version N covers data to 2009+N)")
    version = int(m.group(1)) if m else int(df["year"].max()) - 2009
    from .vdem import check_last_year_units

    check_last_year_units(path, df, version, UNITS_LAST_YEAR.get(version, MIN_UNITS_LAST_YEAR),
                          "ERT", at_least=False)
    dup = df.duplicated(["country_text_id", "year"])
    if dup.any():
        fail(path, f"{int(dup.sum())} duplicated unit-year rows, e.g. "
                   f"{df.loc[dup, ['country_text_id', 'year']].head(3).to_dict('records')}")
    from .vdem import key_units

    df = key_units(path, df, "V-Dem ERT")
    mapping = df.attrs.pop("code_mapping")
    for c in nums:
        if VARIABLES[c][1] != _I01:
            df[c] = df[c].astype("Int64")
    df = df.rename(columns={"country_name": "country", "country_text_id": "vdem_code"})
    df["edition"] = edition if edition is not None else f"v{version}"
    out = df[["iso3", "year", "country", "vdem_code", *VARIABLES, "edition"]]
    out = out.sort_values(["iso3", "year"], ignore_index=True)
    out.attrs["code_mapping"] = mapping
    return out


def _check_domains(path: Path, df: pd.DataFrame, ids: list[str]) -> None:
    def bad_values(col: str, bad: pd.Series, expected: str) -> None:
        if bad.any():
            fail(path, f"{col} should be {expected} but has {int(bad.sum())} value(s) outside, e.g. "
                       f"{df.loc[bad, col].head(3).tolist()} (rows {list(df.index[bad][:3])})")

    yr = df["year"]
    bad_values("year", yr.isna() | (yr % 1 != 0) | ~yr.between(1789, 2100),
               "a whole year within 1789-2100")
    for c, (_, kind) in VARIABLES.items():
        s = df[c]
        if kind == _I01:
            bad_values(c, s.notna() & ~s.between(0, 1), "within [0, 1]")
        elif kind == _YEAR:
            bad_values(c, s.notna() & ((s % 1 != 0) | ~s.between(1789, 2100)),
                       "a whole year within 1789-2100")
        elif kind in _ALLOWED:
            bad_values(c, s.notna() & ~s.isin(_ALLOWED[kind]),
                       f"one of {sorted(_ALLOWED[kind])}")
    lo, mid, hi = (df[f"v2x_polyarchy{s}"] for s in ("_codelow", "", "_codehigh"))
    bad_values("v2x_polyarchy", (lo > mid) | (mid > hi),
               "within its interval [v2x_polyarchy_codelow, v2x_polyarchy_codehigh]")
    for c in ids:
        s = df[c]
        ok = s.isna() | s.fillna("").str.fullmatch(r"[A-Z]{3}_\d{4}_\d{4}")
        bad_values(c, ~ok, "an identifier <code>_<first year>_<last year> such as 'MEX_1900_1995'")
        own = s.isna() | (s.str[:3] == df["country_text_id"])
        bad_values(c, ~own, "an identifier of the row's own unit (country_text_id)")
