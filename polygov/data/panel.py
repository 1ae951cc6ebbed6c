"""One tidy country-year panel from the bundled country-level sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..countries import country_names
from ..errors import as_year, check_columns, check_keys
from .bundled import _resource, codebook, load

__all__ = ["PANEL_SOURCES", "coverage", "indicators", "panel"]

#: Bundled sources that are country-year panels and can be joined on (iso3, year).
PANEL_SOURCES = ("hfi", "gapminder", "pwt", "wvs_bribe", "wdi_gdp",
                 "wgi", "vdem", "vdem_ert", "egdi", "hdr", "wdi")
#: The default of :func:`panel`: the teaching panels, as before the standard sources were bundled.
DEFAULT_SOURCES = ("hfi", "gapminder", "pwt", "wvs_bribe", "wdi_gdp")
_ID_COLS = {"iso3", "year", "country"}
#: Identifier columns of a source that are not indicators: left out of the panel (its
#: ``country`` column is polygov's name for every source).
_SOURCE_ID_COLS = {"vdem": {"country_name", "country_id"}, "vdem_ert": {"country_name", "country_id"}}
#: Sources that are not country-year panels, and how to use them instead.
_NOT_PANELS = {"wb_class": "one classification per economy (FY2025): merge it on iso3, e.g. "
                           "polygov.countries.income_groups()",
               "sowc": "a cross-section: merge it on iso3",
               "asem": "COINr's example (one year, uCode): use polygov.index.from_coinr",
               "asem_meta": "a framework table, not data",
               "municipalities": "Swedish municipalities, keyed by municipality and year"}


def panel(sources: Sequence[str] = DEFAULT_SOURCES, *,
          columns: Mapping[str, Sequence[str]] | None = None,
          years: tuple[int, int] | None = None,
          how: str = "outer") -> pd.DataFrame:
    """Join bundled country-year sources on (``iso3``, ``year``).

    Parameters
    ----------
    sources : sequence of str
        Panel datasets to join, any of :data:`PANEL_SOURCES` (default: the
        teaching panels ``hfi``, ``gapminder``, ``pwt``, ``wvs_bribe``,
        ``wdi_gdp``).  The standard governance sources ``wgi``, ``vdem``,
        ``vdem_ert``, ``egdi``, ``hdr`` and ``wdi`` join the same way; which
        columns each brings is listed under Notes.
    columns : mapping, optional
        ``{source: [columns]}`` to keep only some indicators of a source
        (default: all of them). A list, not a string; key columns (``iso3``,
        ``year``, ``country``) are always included and may not be listed.
    years : (int, int), optional
        Inclusive range of years to keep (first, last); each an integer, a
        whole-number float (``2010.0``) or a string of digits (``"2010"``).
    how : {"outer", "inner"}
        ``"outer"`` keeps every country-year present in any source; ``"inner"``
        only those present in all.

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country`` (polygov's short name), then the indicator
        columns of each source in order.  A column name that occurs in more than
        one of the joined sources (e.g. ``region``, ``life_expectancy``; ``hci``
        in ``egdi`` and ``wdi_gdp``; ``v2x_polyarchy`` and ``v2x_regime`` in
        ``vdem`` and ``vdem_ert``) is prefixed with its source
        (``gapminder_region``, ``egdi_hci``, ``vdem_ert_v2x_polyarchy``); a name
        found in one source only keeps the publisher's name.
        ``result.attrs["renamed"]`` maps prefixed names back,
        ``result.attrs["sources"]`` maps every column to its source,
        ``result.attrs["coverage"]`` is the coverage report (one row per source:
        ``source``, ``rows`` (its country-years in the panel), ``countries``,
        ``year_min``, ``year_max``, ``only_here`` (country-years no other joined
        source has)) and ``result.attrs["units"]`` names every code in the panel
        that is not a current ISO 3166-1 code (``iso3``, ``country``,
        ``sources``, ``years``): historical states and units a publisher codes
        on its own keep their own codes (V-Dem: DDR German Democratic Republic,
        YMD South Yemen, VDR Republic of Vietnam, PSG, SML, ZZB; WGI: ANT
        Netherlands Antilles; XKX Kosovo) and are never merged into a modern
        state.

    Notes
    -----
    Columns each source brings (all of them unless ``columns`` says otherwise):

    * ``wgi``: ``{d}_estimate``, ``{d}_std_error``, ``{d}_n_sources``,
      ``{d}_percentile_rank``, ``{d}_pr_low``, ``{d}_pr_high`` for ``d`` in
      ``va, pv, ge, rq, rl, cc``;
    * ``vdem``: the V-Dem variables under their V-Dem names (``v2xcs_ccsi``,
      ``v2x_rule`` ...; V-Dem's ``country_name`` and ``country_id`` are left
      out);
    * ``vdem_ert``: ``v2x_regime``, ``v2x_polyarchy`` with ``_codelow`` /
      ``_codehigh``, ``reg_*``, ``dem_ep*``, ``aut_ep*``;
    * ``egdi``: ``egdi``, ``osi``, ``hci``, ``tii``, ``epi``, ``rank`` (survey
      years only);
    * ``hdr``: ``hdi``, ``le``, ``eys``, ``mys``, ``gnipc``, ``ihdi``,
      ``coef_ineq``, ``loss``, ``ineq_*``, ``gdi``, ``gii``, ``phdi`` ... (HDR's
      short names: ``le`` is life expectancy, distinct from Gapminder's
      ``life_expectancy``, so neither is renamed);
    * ``wdi``: ``gdppc_ppp``, ``gdppc_usd``, ``gdp_ppp``, ``gdp_usd``,
      ``gov_consumption_gdp``, ``population``.

    Each source is checked for unique (iso3, year) keys before the join and the
    result is checked again, so no row is ever duplicated silently.  Not panels
    (refused with a hint): ``wb_class`` (merge :func:`polygov.countries.income_groups`
    on ``iso3``), ``sowc``, ``asem``, ``asem_meta``, ``municipalities``.

    Examples
    --------
    >>> p = panel(["wgi", "egdi"], columns={"wgi": ["ge_estimate"], "egdi": ["egdi"]})
    >>> list(p.columns)
    ['iso3', 'year', 'country', 'ge_estimate', 'egdi']
    >>> int(p.attrs["coverage"].set_index("source").loc["egdi", "rows"])
    2316
    """
    if isinstance(sources, str):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise ValueError("sources is empty; pass at least one of " + ", ".join(PANEL_SOURCES))
    for s in sources:
        _resource(s)  # unknown name -> KeyError with close matches
        if s not in PANEL_SOURCES:
            hint = f" ({_NOT_PANELS[s]})" if s in _NOT_PANELS else ""
            raise ValueError(f"dataset {s!r} is not a country-year panel{hint}; panel sources are "
                             f"{list(PANEL_SOURCES)}")
    twice = sorted({s for s in sources if sources.count(s) > 1})
    if twice:
        raise ValueError(f"source(s) {twice} listed more than once in sources {sources}; list each once")
    if how not in ("outer", "inner"):
        raise ValueError(f"how must be 'outer' or 'inner', got {how!r}")
    columns = _check_columns_arg(columns, sources)
    years = _check_years(years)
    frames = {}
    for s in sources:
        df = load(s)
        keep = [c for c in df.columns if c not in _ID_COLS | _SOURCE_ID_COLS.get(s, set())]
        if s in columns:
            keep = check_columns(df, list(columns[s]), name=f"dataset {s!r}")
        frames[s] = df[["iso3", "year", *keep]]
        check_keys(frames[s], name=f"dataset {s!r}")
    counts: dict[str, int] = {}
    for f in frames.values():
        for c in f.columns[2:]:
            counts[c] = counts.get(c, 0) + 1
    renamed, origin = {}, {}
    out = None
    for s, f in frames.items():
        ren = {c: f"{s}_{c}" for c in f.columns[2:] if counts[c] > 1}
        renamed.update({v: k for k, v in ren.items()})
        f = f.rename(columns=ren)
        origin.update({c: s for c in f.columns[2:]})
        out = f if out is None else out.merge(f, on=["iso3", "year"], how=how, validate="one_to_one")
    if years is not None:
        lo, hi = years
        out = out[(out["year"] >= lo) & (out["year"] <= hi)]
        if out.empty:
            raise ValueError(f"no country-year of {sources} falls in years {years}")
    out = out.sort_values(["iso3", "year"], ignore_index=True)
    check_keys(out, name="joined panel")
    # one new block (insert into a frame merged from many sources is fragmented: PerformanceWarning)
    names = pd.DataFrame({"country": country_names(out["iso3"]).to_numpy()}, index=out.index)
    out = pd.concat([out[["iso3", "year"]], names, out.iloc[:, 2:]], axis=1)
    out.attrs["renamed"] = renamed
    out.attrs["sources"] = origin
    out.attrs["coverage"] = _source_coverage(out, frames)
    out.attrs["units"] = _non_iso_units(out, frames)
    return out


def _source_coverage(out: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per joined source: its country-years in the panel and those no other source has."""
    keys = out.set_index(["iso3", "year"]).index
    present = {s: keys.isin(f.set_index(["iso3", "year"]).index) for s, f in frames.items()}
    n_present = sum(present.values())
    rows = []
    for s, mask in present.items():
        sub = out.loc[mask]
        rows.append({"source": s, "rows": int(mask.sum()), "countries": int(sub["iso3"].nunique()),
                     "year_min": int(sub["year"].min()) if mask.any() else None,
                     "year_max": int(sub["year"].max()) if mask.any() else None,
                     "only_here": int((mask & (n_present == 1)).sum())})
    return pd.DataFrame(rows)


def _non_iso_units(out: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The codes in the panel that are not current ISO 3166-1 codes, with their sources and years."""
    from ..countries import HISTORICAL_CODES

    rows = []
    for code in sorted(set(out["iso3"]) & set(HISTORICAL_CODES)):
        yrs = out.loc[out["iso3"] == code, "year"]
        srcs = [s for s, f in frames.items() if (f["iso3"] == code).any()]
        rows.append({"iso3": code, "country": HISTORICAL_CODES[code], "sources": ", ".join(srcs),
                     "years": f"{int(yrs.min())}-{int(yrs.max())}"})
    return pd.DataFrame(rows, columns=["iso3", "country", "sources", "years"])


def _check_columns_arg(columns, sources: list[str]) -> dict[str, list[str]]:
    """Validate ``panel(columns=...)``: a mapping source -> list of indicator columns."""
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise TypeError(f"columns must be a mapping {{source: [column, ...]}}, got "
                        f"{type(columns).__name__}; e.g. columns={{'hfi': ['pf_rol']}}")
    unknown = [s for s in columns if s not in sources]
    if unknown:
        raise KeyError(f"columns given for source(s) {unknown} that are not in sources {sources}")
    out = {}
    for s, cols in columns.items():
        if isinstance(cols, str):
            raise TypeError(f"columns[{s!r}] must be a list of column names, got the string "
                            f"{cols!r}; write columns={{{s!r}: [{cols!r}]}}")
        if not isinstance(cols, Sequence):
            raise TypeError(f"columns[{s!r}] must be a list of column names, got "
                            f"{type(cols).__name__}")
        cols = list(cols)
        keys = [c for c in cols if c in _ID_COLS]
        if keys:
            raise ValueError(f"columns[{s!r}] lists the key column(s) {keys}; the panel always has "
                             f"iso3, year and country: list only indicator columns")
        twice = sorted({c for c in cols if cols.count(c) > 1})
        if twice:
            raise ValueError(f"columns[{s!r}] lists {twice} more than once")
        out[s] = cols
    return out


def _check_years(years) -> tuple[int, int] | None:
    """Validate ``panel(years=...)``: two whole-number years (:func:`~polygov.errors.as_year`), first <= last."""
    if years is None:
        return None
    if isinstance(years, str) or not isinstance(years, Sequence) or len(years) != 2:
        raise ValueError(f"years must be (first, last), two integers, got {years!r}")
    lo, hi = as_year(years[0], name="years[0]"), as_year(years[1], name="years[1]")
    if lo > hi:
        raise ValueError(f"years must be (first, last) with first <= last, got {tuple(years)}")
    return lo, hi


def indicators(data: pd.DataFrame) -> pd.DataFrame:
    """Metadata of every indicator column of a panel made by :func:`panel`.

    Returns
    -------
    DataFrame
        ``column``, ``source``, ``original``, ``label``, ``unit``, ``direction``,
        ``dimension``.
    """
    origin = data.attrs.get("sources")
    if not origin:
        raise ValueError("data has no attrs['sources']: pass a DataFrame returned by polygov.data.panel()")
    renamed = data.attrs.get("renamed", {})
    rows = []
    books = {}
    for col, src in origin.items():
        if col not in data.columns:
            continue
        books.setdefault(src, codebook(src).set_index("column"))
        orig = renamed.get(col, col)
        b = books[src].loc[orig]
        rows.append({"column": col, "source": src, "original": orig, "label": b["label"], "unit": b["unit"],
                     "direction": b["direction"], "dimension": b["dimension"]})
    return pd.DataFrame(rows)


def coverage(data: pd.DataFrame, *, columns: Sequence[str] | None = None,
             by: str | None = None) -> pd.DataFrame:
    """Non-missing coverage of a country-year panel.

    Parameters
    ----------
    data : DataFrame
        A tidy panel with ``iso3`` and ``year``.
    columns : sequence of str, optional
        Indicator columns (default: every column but iso3, year, country).
    by : {None, "year", "iso3"}
        ``None``: one row per indicator; ``"year"`` or ``"iso3"``: the share of
        non-missing values of each indicator per year or per country.

    Returns
    -------
    DataFrame
        An empty ``data`` raises ``ValueError`` (its shares are undefined).
        With ``by=None``: ``indicator``, ``countries``, ``year_min``, ``year_max``,
        ``non_missing`` (cells), ``cells`` (countries x years in the panel),
        ``share`` (non_missing / rows of the panel).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError("data has no rows: the coverage of an empty panel is undefined (shares "
                         "would be 0/0); check the filter that produced it")
    check_keys(data, ["iso3", "year"])
    cols = [c for c in data.columns if c not in _ID_COLS] if columns is None else check_columns(data, columns)
    if by is None:
        rows = []
        for c in cols:
            ok = data[c].notna()
            sub = data.loc[ok]
            rows.append({
                "indicator": c, "countries": int(sub["iso3"].nunique()),
                "year_min": int(sub["year"].min()) if ok.any() else None,
                "year_max": int(sub["year"].max()) if ok.any() else None,
                "non_missing": int(ok.sum()), "cells": int(len(data)),
                "share": float(ok.mean()),
            })
        return pd.DataFrame(rows)
    if by not in ("year", "iso3"):
        raise ValueError(f"by must be None, 'year' or 'iso3', got {by!r}")
    return data.groupby(by)[cols].agg(lambda s: s.notna().mean())
