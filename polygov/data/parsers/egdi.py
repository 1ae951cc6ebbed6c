"""Parser for the UN E-Government Survey (EGDI, OSI, HCI, TII, EPI).

Three header schemes are recognised (all one row per UN member state):

``official``
    UN E-Government Knowledgebase Data Center ``EGOV_DATA_<year>.csv``:
    ``Survey Year, Country Name, E-Government Rank, E-Government Index,
    E-Participation Index, Online Service Index, Human Capital Index,
    Telecommunication Infrastructure Index``.
``edited``
    The same data with renamed headers (``Survey Year, Country, Rank, E_Index,
    E_Participation, Online_Service, Human_Capital, Tele_Infra[, Region]``), as
    in the public copy of the 2024 file; ``Region`` is ignored (it has errors).
``unu``
    UNU-EGOV's ISO3-coded re-packaging of the 2010-2018 surveys:
    ``country-code, country-name, e-gov-rank, e-gov-index, e-pat-index, osi,
    hci, tii`` (no year column: the year comes from ``edition`` or the file name).

Country names
-------------
The official files carry UN M49 names without codes, most with a trailing
space. Names are stripped and mapped with :data:`NAME_EXCEPTIONS` first, then
``polygov.countries`` (country_converter). For the 2010-2018 UNU files, whose
ISO3 codes are the publisher's, the name-based mapping agrees with the codes for
all 193 x 5 rows (checked in the tests), and the publisher's codes are used.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from ...errors import DataQualityWarning
from ._common import (
    check_args,
    fail,
    names_to_iso3,
    read_csv,
    reading,
    require_columns,
    to_numeric_strict,
)

__all__ = ["COLUMNS", "NAME_EXCEPTIONS", "PUBLISHED_OUT_OF_RANGE", "parse", "stack"]

#: UN names whose mapping is made explicit (ambiguous or unusual spellings).
NAME_EXCEPTIONS: dict[str, str] = {
    "Georgia (Country)": "GEO",
    "Türkiye": "TUR",
    "Republic of Korea": "KOR",
    "Democratic People's Republic of Korea": "PRK",
    "Congo": "COG",
    "Democratic Republic of the Congo": "COD",
    "Niger": "NER",
    "Dominica": "DMA",
    "Guinea": "GIN",
    "Micronesia (Federated States of)": "FSM",
}

COLUMNS = ["iso3", "year", "country", "egdi", "osi", "hci", "tii", "epi", "egdi_rank", "flag",
           "edition"]

#: Cells of the publisher's files that lie outside the indices' [0, 1] range, as published.
#: (survey year, ISO3, column) -> value. They are kept and flagged (``flag`` column and a
#: :class:`~polygov.errors.DataQualityWarning`), not refused: the 2003 Survey's Human
#: Capital Index exceeds 1 for Micronesia and Tuvalu (an error of the 2003 edition; HCI
#: is a weighted mean of literacy and enrolment ratios, and gross enrolment can exceed
#: 100%). Any other value outside [0, 1] is refused as corruption unless
#: ``out_of_range="flag"``.
PUBLISHED_OUT_OF_RANGE: dict[tuple[int, str, str], float] = {
    (2003, "FSM", "hci"): 1.422,
    (2003, "TUV", "hci"): 1.03,
}

_SCHEMES = {
    "official": {"Survey Year": "year", "Country Name": "country", "E-Government Rank": "egdi_rank",
                 "E-Government Index": "egdi", "E-Participation Index": "epi",
                 "Online Service Index": "osi", "Human Capital Index": "hci",
                 "Telecommunication Infrastructure Index": "tii"},
    "edited": {"Survey Year": "year", "Country": "country", "Rank": "egdi_rank",
               "E_Index": "egdi", "E_Participation": "epi", "Online_Service": "osi",
               "Human_Capital": "hci", "Tele_Infra": "tii"},
    "unu": {"country-code": "iso3", "country-name": "country", "e-gov-rank": "egdi_rank",
            "e-gov-index": "egdi", "e-pat-index": "epi", "osi": "osi", "hci": "hci", "tii": "tii"},
}
_VALUES = ["egdi", "osi", "hci", "tii", "epi", "egdi_rank"]


def _scheme(path: Path, columns) -> str:
    cols = [str(c).strip() for c in columns]
    for name, mapping in _SCHEMES.items():
        if all(c in cols for c in mapping):
            return name
    best = max(_SCHEMES, key=lambda k: sum(c in cols for c in _SCHEMES[k]))
    require_columns(path, cols, list(_SCHEMES[best]), f"UN E-Government Survey file ({best} "
                    "header scheme)")
    raise AssertionError  # pragma: no cover


def _check_members(path: Path, df: pd.DataFrame, year: int) -> None:
    """Refuse a survey file that lacks UN member states (truncated at a line break, filtered).

    The states required are those admitted before the survey year
    (:func:`polygov.countries.un_members`, from country_converter's admission years).
    """
    from ...countries import country_table, un_members

    t = country_table()
    members = set(un_members(before=year))
    missing = sorted(members - set(df["iso3"]))
    if missing:
        names = t.set_index("iso3").loc[missing, "country"].tolist()
        fail(path, f"incomplete Survey file: {len(df)} countries, {len(missing)} UN member "
                   f"state(s) missing: {missing[:10]} ({', '.join(names[:10])}"
                   f"{', …' if len(missing) > 10 else ''}). Every Survey covers all UN member "
                   "states; the file is truncated (cut at a line break?) or filtered: download "
                   "it again")


def parse(path: str | Path, *, edition: str | None = None,
          out_of_range: str = "raise") -> pd.DataFrame:
    """Parse one UN E-Government Survey file into a tidy ``iso3``-``year`` table.

    Parameters
    ----------
    path : path-like
        ``EGOV_DATA_<year>.csv`` (official or header-edited) or UNU-EGOV
        ``egdi-<year>.csv``.
    edition : str, optional
        Survey year (``"2022"``). Checked against the file's ``Survey Year``;
        required for UNU files unless the file name contains the year.
    out_of_range : {"raise", "flag"}
        What to do with an index value outside [0, 1] that is not one of the
        publisher's known values (:data:`PUBLISHED_OUT_OF_RANGE`, always kept
        and flagged): ``"raise"`` (default) refuses the file as corrupted;
        ``"flag"`` keeps it, flagged like the known ones.

    Returns
    -------
    DataFrame
        ``iso3``, ``year`` (survey year), ``country`` (UN name, stripped),
        ``egdi`` = mean(``osi``, ``hci``, ``tii``) as published, ``epi``
        (e-participation, not part of EGDI), ``egdi_rank`` (1 = best; ties
        occur), ``flag`` (missing, or the reason a value is kept although it
        is outside [0, 1], e.g. ``"hci=1.422 > 1 as published"``), ``edition``.
        All indices are on 0-1 (but see ``flag``) and comparable only within
        one survey edition. ``attrs["flags"]`` lists the flagged cells.

    Notes
    -----
    A file must hold one row per country with unique ISO3 codes and cover
    every state admitted to the UN before the survey year (a file cut at a line break is
    refused, naming the missing states); every name must map (otherwise :class:`~polygov.data.parsers.ParseError` lists the
    unmapped names). Missing values stay missing (UNU 2010 lacks ``hci`` for 10
    countries). EGDI is not the mean of its three parts in the early editions
    (2003, 2008, 2010: up to 100 rows off by more than 1e-3); the parser keeps
    the published EGDI.
    """
    path = check_args(path, edition)
    if out_of_range not in ("raise", "flag"):
        raise ValueError(f"out_of_range must be 'raise' or 'flag', got {out_of_range!r}")
    with reading(path, _WHAT):
        return _parse(path, edition, out_of_range)
    raise AssertionError  # pragma: no cover


_WHAT = "a UN E-Government Survey CSV"


def _parse(path: Path, edition: str | None, out_of_range: str) -> pd.DataFrame:
    raw = read_csv(path, _WHAT, dtype=str, keep_default_na=False, skipinitialspace=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    scheme = _scheme(path, raw.columns)
    df = raw[list(_SCHEMES[scheme])].rename(columns=_SCHEMES[scheme])
    df["country"] = df["country"].str.strip()
    df = to_numeric_strict(path, df, _VALUES, na_values=["", "NA", "nan"])
    ed_year = int(m.group(1)) if (m := re.match(r"(\d{4})", edition or "")) else None
    if scheme == "unu":
        fy = re.search(r"(20\d\d)", path.name)
        if fy and ed_year and int(fy.group(1)) != ed_year:
            fail(path, f"edition mismatch: edition {edition!r} requested but the file name says "
                       f"it is the {fy.group(1)} Survey (UNU-EGOV files have no year column)")
        year = ed_year or (int(fy.group(1)) if fy else None)
        if year is None:
            fail(path, "UNU-EGOV files have no survey-year column: pass edition='<year>'")
        df["year"] = year
        df["iso3"] = df["iso3"].str.strip().str.upper()
        exc_used = {}
    else:
        df = to_numeric_strict(path, df, ["year"])
        if df["year"].isna().any():
            fail(path, "rows without a Survey Year: the file is truncated or corrupted")
        df["year"] = df["year"].astype(int)
        df["iso3"], exc_used = names_to_iso3(df["country"], NAME_EXCEPTIONS)
        unmapped = sorted(df.loc[df["iso3"].isna(), "country"])
        if unmapped:
            fail(path, f"{len(unmapped)} country name(s) could not be mapped to ISO3: "
                       f"{unmapped[:10]}; add them to polygov.data.parsers.egdi.NAME_EXCEPTIONS")
    years = sorted(df["year"].unique())
    if len(years) != 1:
        fail(path, f"one survey year expected per file, found {years}")
    if ed_year is not None and years[0] != ed_year:
        fail(path, f"edition mismatch: edition {edition!r} requested but the file is the "
                   f"{years[0]} Survey")
    if not df["iso3"].str.fullmatch(r"[A-Z]{3}").all():
        fail(path, f"invalid ISO3 codes {sorted(set(df['iso3']))[:5]}")
    dup = df["iso3"].duplicated(keep=False)
    if dup.any():
        fail(path, f"country codes occur twice: {df.loc[dup, ['country', 'iso3']].to_dict('records')}")
    _check_members(path, df, years[0])
    df["flag"] = None
    flags = []
    for c in ("egdi", "osi", "hci", "tii", "epi"):
        bad = df[c].notna() & ~df[c].between(0, 1)
        known = pd.Series([PUBLISHED_OUT_OF_RANGE.get((years[0], i, c)) == v
                           for i, v in zip(df["iso3"], df[c], strict=True)], index=df.index)
        if (bad & ~known).any() and out_of_range == "raise":
            fail(path, f"{c} must lie in [0, 1]; {int((bad & ~known).sum())} value(s) outside, "
                       f"e.g. {df.loc[bad & ~known, ['country', c]].head(3).to_dict('records')}. "
                       "The file is corrupted, or pass out_of_range='flag' if the publisher's "
                       "file has these values")
        for i in df.index[bad]:
            why = "as published" if known[i] else "not a known published value"
            note = f"{c}={df.at[i, c]:g} {'> 1' if df.at[i, c] > 1 else '< 0'} {why}"
            df.at[i, "flag"] = note if df.at[i, "flag"] is None else f"{df.at[i, 'flag']}; {note}"
            flags.append({"iso3": df.at[i, "iso3"], "year": int(years[0]), "column": c,
                          "value": float(df.at[i, c]), "note": note})
    if flags:
        warnings.warn(f"E-Government Survey {years[0]}: {len(flags)} value(s) outside [0, 1] kept "
                      f"and flagged (column 'flag'): "
                      + ", ".join(f"{f['iso3']} {f['column']}={f['value']:g}" for f in flags[:10]),
                      DataQualityWarning, stacklevel=3)
    df["edition"] = edition if edition is not None else str(years[0])
    df.attrs["name_exceptions_used"] = exc_used
    df.attrs["flags"] = flags
    return df[COLUMNS].sort_values("iso3", ignore_index=True)


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack parsed survey editions into one panel (one row per iso3 and survey year).

    Raises ``ValueError`` when two frames hold the same survey year (two
    versions of one edition must not be pooled).
    """
    years = [int(f["year"].iloc[0]) for f in frames]
    dups = sorted({y for y in years if years.count(y) > 1})
    if dups:
        raise ValueError(f"survey year(s) {dups} appear in more than one frame; keep one "
                         "version per edition")
    out = pd.concat(frames, ignore_index=True).sort_values(["iso3", "year"], ignore_index=True)
    out.attrs = {"flags": [f for fr in frames for f in fr.attrs.get("flags", [])]}
    return out
