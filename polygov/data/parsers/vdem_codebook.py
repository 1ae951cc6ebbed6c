"""Reader for the V-Dem codebook as distributed in the ``vdemdata`` R package (v16).

The V-Dem Institute's ``vdemdata`` package ships its codebook as an R data
frame (``data/codebook.RData``, object ``codebook``): one row per variable with
the fields ``name, vartype, tag, projectmanager, question, clarification,
responses, scale, notes, crosscoder_aggregation, cy_aggregation, datarelease,
years, convergence`` (781 variables in v16). :func:`read` takes that file (with
``pyreadr``) or its CSV conversion and returns one tidy row per variable: what
``polygov.data.codebook("vdem")`` shows for each V-Dem variable.

Sections
--------
The R codebook has no section field. :func:`read` derives ``section`` from the
variable tag, following V-Dem's naming convention (codebook, "Variable naming"):
``v2`` = V-Dem, ``v3`` = Historical V-Dem, then a two-letter survey code
(``el`` elections, ``cs`` civil society, ``cl`` civil liberty, ``ju`` judiciary
…, :data:`AREAS`); ``v2x``/``v2x<area>_`` are the indices (``v2x_`` the
democracy indices and their components, ``v2xcs_`` the civil society index …);
``e_`` variables come from other sources; ``country_*``, ``year`` and the like
are identifiers. ``section`` is therefore polygov's grouping, close to but not a
copy of the chapters of the PDF codebook.

References
----------
Coppedge, M. et al. (2026). *V-Dem Codebook v16*. Varieties of Democracy (V-Dem)
Project. Maerz, S. F. et al. (2026). *vdemdata: an R package to load, explore and
work with the most recent V-Dem and V-Party datasets*, version 16.0.
https://github.com/vdeminstitute/vdemdata
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ...errors import close_matches
from ._common import check_args, fail, read_csv, reading, require_columns

__all__ = ["AREAS", "COLUMNS", "SHA256", "VARTYPES", "lookup", "read", "scale_type", "section"]

#: The codebook files of the vdemdata package this reader was written against:
#: file name -> sha256 (``codebook.RData`` is the Institute's file, byte for byte;
#: ``codebook_v16.csv`` its conversion with pyreadr and pandas, no value changed).
SHA256: dict[str, str] = {
    "codebook.RData": "2840d879cb9071b1f742f5f18c5373518a586ac90454b58dbf5f4309077f0700",
    "codebook_v16.csv": "7ad41855e8d0a3a291526754df25846ed17af3515ba3b2808774a479577e754e",
}

#: V-Dem survey codes (the two letters after ``v2``/``v3``/``v2x``) -> area.
AREAS: dict[str, str] = {
    "el": "Elections", "ms": "Elections", "fs": "Elections", "as": "Elections",
    "tt": "Elections", "ps": "Political parties", "lp": "Political parties",
    "sl": "Political parties", "tl": "Political parties", "pa": "Political parties",
    "pas": "Political parties", "dd": "Direct democracy", "ex": "The executive",
    "lg": "The legislature", "eq": "The legislature", "dl": "Deliberation",
    "ju": "The judiciary", "cl": "Civil liberty", "se": "Civil liberty",
    "st": "The state", "sv": "Sovereignty", "cs": "Civil society", "me": "The media",
    "pe": "Political equality", "eg": "Egalitarian democracy", "np": "Neopatrimonialism",
    "ca": "Academic space", "ed": "Education", "edvd": "Education", "te": "Education",
    "re": "Regimes", "sm": "Digital society",
}

#: V-Dem variable types (codebook, "Types of variables").
VARTYPES: dict[str, str] = {
    "A": "factual, coded by project managers and research assistants",
    "A*": "factual, coded by project managers and research assistants (identifier or "
          "V-Dem-specific construct)",
    "A,C": "factual (A) and expert-coded (C) parts",
    "B": "factual, coded by country coordinators",
    "C": "evaluative, coded by country experts (measurement model)",
    "D": "index, aggregated from other V-Dem variables",
    "E": "from other sources (external data)",
}

_IDENTIFIERS = {"country_name", "country_text_id", "country_id", "year", "historical_date",
                "project", "historical", "histname", "codingstart", "codingend",
                "codingstart_contemp", "codingstart_hist", "codingend_contemp", "codingend_hist",
                "gapstart", "gapend", "gap_index", "COWcode"}

#: Output columns, in order.
COLUMNS = ["name", "label", "question", "clarification", "responses", "scale", "scale_type",
           "section", "vartype", "vartype_label", "years", "data_release", "cy_aggregation",
           "crosscoder_aggregation", "notes", "convergence", "project_manager", "order"]

_RENAME = {"tag": "name", "name": "label", "projectmanager": "project_manager",
           "datarelease": "data_release"}
_REQUIRED = ["name", "vartype", "tag", "question", "scale"]
#: Variables in the v16 codebook; a file with fewer than :data:`MIN_VARIABLES` is refused.
N_VARIABLES = {16: 781}
MIN_VARIABLES = 500
_WHAT = "the V-Dem codebook (vdemdata codebook.RData or its CSV)"


def section(tag: str) -> str:
    """Return polygov's section of a V-Dem variable from its tag (module docstring).

    Examples
    --------
    >>> section("v2cseeorgs"), section("v2xcs_ccsi"), section("v2x_polyarchy")
    ('Civil society', 'Indices: civil society', 'Indices: democracy and components')
    >>> section("v3elsuffrage"), section("e_gdppc"), section("country_text_id")
    ('Historical V-Dem: elections', 'Other sources', 'Identifiers')
    """
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a V-Dem variable name (str), got {tag!r}")
    if tag in _IDENTIFIERS:
        return "Identifiers"
    if tag.startswith("e_"):
        return "Other sources"
    if tag.startswith("v2x_"):
        return "Indices: democracy and components"
    m = re.match(r"v2x([a-z]+)_", tag)
    if m:
        area = AREAS.get(m.group(1))
        return f"Indices: {area.lower()}" if area else "Indices"
    m = re.match(r"v([23])([a-z]{2})", tag)
    if m and m.group(2) in AREAS:
        area = AREAS[m.group(2)]
        return area if m.group(1) == "2" else f"Historical V-Dem: {area.lower()}"
    return "Other"


def scale_type(scale: str | None) -> str:
    """Classify V-Dem's free-text ``scale`` into a short type.

    Returns one of ``"interval 0-1"``, ``"latent (measurement model)"``,
    ``"ordinal"``, ``"dichotomous"``, ``"share 0-1"`` (mean of a dichotomised
    variable), ``"interval"``, ``"nominal"``, ``"numeric"``, ``"text"`` or
    ``"other"`` (also for a missing scale).

    Examples
    --------
    >>> scale_type("Interval, from low to high (0-1).")
    'interval 0-1'
    >>> scale_type("Ordinal, converted to interval by the measurement model.")
    'latent (measurement model)'
    """
    if scale is None or (isinstance(scale, float) and pd.isna(scale)):
        return "other"
    s = str(scale).strip().lower()
    if "converted to interval by the measurement model" in s or "latent variable" in s:
        return "latent (measurement model)"
    if s.startswith("interval") and "(0-1)" in s:
        return "interval 0-1"
    if s.startswith("mean-aggregated"):
        return "share 0-1"
    for key, kind in (("ordinal", "ordinal"), ("dichotomous", "dichotomous"),
                      ("binary", "dichotomous"), ("yes/no", "dichotomous"),
                      ("series of dichotomous", "dichotomous"), ("interval", "interval"),
                      ("continuous", "interval"), ("nominal", "nominal"), ("numeric", "numeric"),
                      ("text", "text")):
        if s.startswith(key):
            return kind
    return "other"


def read(path: str | Path, *, version: int | None = None) -> pd.DataFrame:
    """Read the V-Dem codebook: one row per variable.

    Parameters
    ----------
    path : path-like
        ``codebook.RData`` of the ``vdemdata`` R package (needs ``pyreadr``), or
        its CSV conversion (``codebook_v16.csv``).
    version : int, optional
        Codebook version (e.g. ``16``); when given and listed in
        :data:`N_VARIABLES`, the number of variables must match.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``name`` (the V-Dem tag, e.g. ``v2cseeorgs``),
        ``label`` (V-Dem's short name), ``question``, ``clarification``,
        ``responses`` (the answer categories of ordinal items), ``scale`` (V-Dem's
        text), ``scale_type`` (:func:`scale_type`), ``section`` (:func:`section`),
        ``vartype`` and ``vartype_label`` (:data:`VARTYPES`), ``years`` (coverage,
        e.g. ``"1789-2025"``), ``data_release``, ``cy_aggregation`` (how the
        country-year value is formed), ``crosscoder_aggregation``, ``notes``,
        ``convergence``, ``project_manager``, ``order`` (position in the file).
        Sorted by ``name``; text stripped; missing fields are missing.

    Notes
    -----
    Refused with :class:`~polygov.data.parsers.ParseError` naming the file: a
    file without the codebook's fields, with duplicated or malformed tags, with
    fewer than :data:`MIN_VARIABLES` variables (truncated), or damaged /
    wrongly encoded.
    """
    path = check_args(path, None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise TypeError(f"version must be an integer such as 16 (or None), got {version!r}")
    with reading(path, _WHAT):
        return _read(path, version)
    raise AssertionError  # pragma: no cover


def _read(path: Path, version: int | None) -> pd.DataFrame:
    if path.suffix.lower() in (".rdata", ".rda"):
        from .vdem import read_rdata

        objs = read_rdata(path, "the V-Dem codebook")
        if "codebook" not in objs:
            fail(path, f"the R data file has no object 'codebook' (it has {list(objs)})")
        raw = objs["codebook"]
    else:
        raw = read_csv(path, _WHAT, dtype=str, keep_default_na=False, na_values=[""])
    require_columns(path, raw.columns, _REQUIRED, "V-Dem codebook")
    df = raw.copy()
    for c in df.columns:
        df[c] = df[c].map(lambda v: v.strip() if isinstance(v, str) else v)
        df[c] = df[c].where(df[c].notna() & (df[c] != ""), None)
    tags = df["tag"]
    bad = tags.isna() | ~tags.fillna("").str.fullmatch(r"[A-Za-z][A-Za-z0-9_]*")
    if bad.any():
        fail(path, f"{int(bad.sum())} malformed variable tag(s), e.g. "
                   f"{tags[bad].head(3).tolist()} (rows {list(tags.index[bad][:3])})")
    dup = tags.duplicated()
    if dup.any():
        fail(path, f"duplicated variable tag(s) {sorted(set(tags[dup]))[:5]}")
    exact = version in N_VARIABLES
    need = N_VARIABLES[version] if exact else MIN_VARIABLES
    if (len(df) != need) if exact else (len(df) < need):
        has = f"v{version} codebook has" if exact else "codebook has at least"
        fail(path, f"incomplete codebook: {len(df)} variables, but the {has} {need}. The file "
                   "is truncated or filtered (or another version): download it again")
    df["order"] = range(1, len(df) + 1)
    df = df.rename(columns=_RENAME)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = None
    df["scale_type"] = df["scale"].map(scale_type)
    df["section"] = df["name"].map(section)
    df["vartype_label"] = df["vartype"].map(lambda v: VARTYPES.get(v) if v else None)
    return df[COLUMNS].sort_values("name", ignore_index=True)


def lookup(codebook: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Return the codebook rows of ``names`` (in that order); unknown names raise ``KeyError``.

    Examples
    --------
    ``lookup(read(path), ["v2xcs_ccsi", "v2x_rule"])[["name", "question", "scale"]]``
    """
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not isinstance(codebook, pd.DataFrame) or "name" not in codebook.columns:
        raise TypeError("codebook must be the DataFrame returned by vdem_codebook.read")
    idx = codebook.set_index("name")
    missing = [n for n in names if n not in idx.index]
    if missing:
        hints = {m: close_matches(str(m), idx.index, n=2) for m in missing[:5]}
        raise KeyError(f"variable(s) {missing} not in the V-Dem codebook; close matches: {hints}")
    return idx.loc[names].reset_index()
