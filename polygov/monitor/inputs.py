"""Input adapters: turn published estimates and their uncertainty into the monitor's panel.

The monitor works on one tidy *long* table, the **monitor panel**, with one row per
unit x indicator x year and the columns ``iso3``, ``indicator``, ``year``,
``estimate`` and ``std_error`` (the standard deviation of the estimate's error).  Every
adapter below returns such a table, sorted by ``indicator, iso3, year``:

- :func:`from_std_error`: estimates with standard errors (the WGI);
- :func:`from_interval`: estimates with interval bounds of a stated coverage (V-Dem's
  ``_codelow``/``_codehigh`` are 68 % intervals);
- :func:`from_draws`: posterior or simulation draws;
- :func:`from_ucm`: polygov's own latent scores (:func:`polygov.latent.ucm`).

:func:`load_source` builds the panel of a bundled source (``"wgi"``, ``"vdem_ert"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import (
    check_columns,
    check_dataframe,
    check_numeric,
    check_unit_interval,
    close_matches,
)

__all__ = [
    "PANEL_COLUMNS",
    "SOURCES",
    "WGI_DIMENSIONS",
    "from_std_error",
    "from_interval",
    "from_draws",
    "from_ucm",
    "load_source",
]

PANEL_COLUMNS = ["iso3", "indicator", "year", "estimate", "std_error"]

#: The six WGI dimensions, in the WGI's order, with their labels.
WGI_DIMENSIONS = {
    "va": "Voice and accountability",
    "pv": "Political stability and absence of violence",
    "ge": "Government effectiveness",
    "rq": "Regulatory quality",
    "rl": "Rule of law",
    "cc": "Control of corruption",
}

#: Sources :func:`load_source` knows: bundled dataset name, what the monitor reads from it.
SOURCES = {
    "wgi": "World Bank Worldwide Governance Indicators: the six dimensions' estimates with "
           "their standard errors (pg.data.load('wgi'), wide: {d}_estimate, {d}_std_error)",
    "vdem_ert": "V-Dem Episodes of Regime Transformation v15: the electoral democracy index "
                "v2x_polyarchy with its 68 % interval v2x_polyarchy_codelow/_codehigh",
}


def _check_mapping(columns, name: str, width: int, example: str) -> dict:
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError(f"{name} must be a non-empty dict mapping an indicator name to {example}; "
                        f"got {type(columns).__name__}")
    out = {}
    for ind, cols in columns.items():
        if isinstance(cols, str) or len(cols) != width:
            raise TypeError(f"{name}[{ind!r}] must be {example}; got {cols!r}")
        out[str(ind)] = tuple(cols)
    return out


def _finish(frames: list[pd.DataFrame], unit: str, time: str) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={unit: "iso3", time: "year"})
    out = out.dropna(subset=["estimate", "std_error"])
    bad = out["std_error"] <= 0
    if bad.any():
        rows = out.loc[bad, ["iso3", "indicator", "year"]].head(5).to_dict("records")
        raise ValueError(f"standard errors must be positive; {int(bad.sum())} are not, e.g. {rows}")
    dup = out.duplicated(["iso3", "indicator", "year"])
    if dup.any():
        rows = out.loc[dup, ["iso3", "indicator", "year"]].head(5).to_dict("records")
        raise ValueError(f"{int(dup.sum())} duplicated unit x indicator x year rows, e.g. {rows}; "
                         "pass one row per unit and year")
    out["year"] = out["year"].astype(int)
    out["estimate"] = out["estimate"].astype(float)
    out["std_error"] = out["std_error"].astype(float)
    return out[PANEL_COLUMNS].sort_values(["indicator", "iso3", "year"], kind="mergesort").reset_index(drop=True)


def from_std_error(data: pd.DataFrame, *, columns: Mapping[str, tuple[str, str]],
                   unit: str = "iso3", time: str = "year") -> pd.DataFrame:
    """Monitor panel from estimates and their standard errors.

    Parameters
    ----------
    data : DataFrame
        Wide unit-year table, e.g. the WGI with ``ge_estimate`` and ``ge_std_error``.
    columns : dict
        ``{indicator: (estimate_column, std_error_column)}``.
    unit, time : str
        Key columns (renamed to ``iso3`` and ``year``).

    Returns
    -------
    DataFrame
        The monitor panel (``iso3``, ``indicator``, ``year``, ``estimate``,
        ``std_error``).  Missing-data rule: rows where the estimate or its standard
        error is missing are dropped.

    Raises
    ------
    KeyError
        A column is missing (named).
    ValueError
        A non-positive standard error, or duplicated unit-years.
    """
    check_dataframe(data)
    columns = _check_mapping(columns, "columns", 2, "a pair (estimate, std_error)")
    need = [c for pair in columns.values() for c in pair]
    check_columns(data, [unit, time, *need])
    check_numeric(data, need)
    frames = []
    for ind, (est, se) in columns.items():
        f = data[[unit, time, est, se]].rename(columns={est: "estimate", se: "std_error"})
        f.insert(1, "indicator", ind)
        frames.append(f)
    return _finish(frames, unit, time)


def from_interval(data: pd.DataFrame, *, columns: Mapping[str, tuple[str, str, str]], coverage: float,
                  unit: str = "iso3", time: str = "year") -> pd.DataFrame:
    """Monitor panel from point estimates and interval bounds with a known coverage.

    The standard error is recovered as ``(high - low) / (2 z)``, with
    ``z = Φ⁻¹((1 + coverage) / 2)``: for V-Dem's 68 % intervals z ≈ 0.994, so the
    interval's half-width is almost exactly one standard error.

    Parameters
    ----------
    data : DataFrame
        Wide unit-year table.
    columns : dict
        ``{indicator: (estimate_column, low_column, high_column)}``, e.g.
        ``{"polyarchy": ("v2x_polyarchy", "v2x_polyarchy_codelow", "v2x_polyarchy_codehigh")}``.
    coverage : float
        Coverage of the intervals, in (0, 1) (V-Dem: 0.68; WGI: 0.90).
    unit, time : str
        Key columns.

    Returns
    -------
    DataFrame
        The monitor panel.

    Notes
    -----
    V-Dem's intervals are quantiles of posterior draws and need not be symmetric
    around the point estimate (the posterior median); the recovered standard error is
    the normal one with the same width.  Rows with a missing estimate or bound are
    dropped; a bound on the wrong side (``low > high``) raises.
    """
    check_dataframe(data)
    columns = _check_mapping(columns, "columns", 3, "a triple (estimate, low, high)")
    cov = check_unit_interval(coverage, "coverage", 0.68)
    z = stats.norm.ppf(0.5 + cov / 2)
    need = [c for t in columns.values() for c in t]
    check_columns(data, [unit, time, *need])
    check_numeric(data, need)
    frames = []
    for ind, (est, lo, hi) in columns.items():
        width = data[hi] - data[lo]
        wrong = width < 0
        if wrong.any():
            rows = data.loc[wrong, [unit, time, lo, hi]].head(5).to_dict("records")
            raise ValueError(f"{lo!r} is above {hi!r} in {int(wrong.sum())} rows, e.g. {rows}")
        f = pd.DataFrame({unit: data[unit], time: data[time], "indicator": ind,
                          "estimate": data[est], "std_error": width / (2 * z)})
        frames.append(f)
    return _finish(frames, unit, time)


def from_draws(data: pd.DataFrame, *, value: str = "value", draw: str = "draw",
               indicator: str | None = None, unit: str = "iso3", time: str = "year") -> pd.DataFrame:
    """Monitor panel from posterior or simulation draws (long: one row per key and draw).

    ``estimate`` is the mean of the draws, ``std_error`` their standard deviation
    (``ddof=1``).

    Parameters
    ----------
    data : DataFrame
        Long table with ``unit``, ``time``, ``draw``, ``value`` and, if there are
        several indicators, an ``indicator`` column.
    value, draw : str
        Column names of the drawn value and the draw number.
    indicator : str, optional
        Name of the indicator column; when ``None`` and no ``indicator`` column
        exists, the indicator is named after ``value``.

    Notes
    -----
    Summarising draws by mean and SD keeps the monitor's normal approximation; the
    correlation of a unit's draws across years is not used (so a change's
    standard error assumes independent errors, as for the other inputs).  Fewer than
    two draws for a key raises.
    """
    check_dataframe(data)
    ind_col = indicator if indicator is not None else ("indicator" if "indicator" in data.columns else None)
    keys = [unit, time] + ([ind_col] if ind_col else [])
    check_columns(data, keys + [draw, value])
    check_numeric(data, [value])
    g = data.groupby(keys, sort=False)[value]
    out = g.agg(["mean", "std", "count"]).reset_index()
    few = out["count"] < 2
    if few.any():
        rows = out.loc[few, keys].head(5).to_dict("records")
        raise ValueError(f"{int(few.sum())} keys have fewer than two draws, e.g. {rows}")
    out = out.rename(columns={"mean": "estimate", "std": "std_error"})
    if ind_col is None:
        out["indicator"] = value
    elif ind_col != "indicator":
        out = out.rename(columns={ind_col: "indicator"})
    return _finish([out], unit, time)


def from_ucm(result, *, indicator: str = "latent") -> pd.DataFrame:
    """Monitor panel from a :func:`polygov.latent.ucm` fit (its ``estimate`` and ``std_error``).

    The fit must be by year (``by="year"``).  Fit with ``pooled=True`` so that the
    scores share one scale over time; per-year fits re-standardise every year, so a
    change is then relative to the world (as in the WGI).
    """
    from ..latent import UCMResult

    if not isinstance(result, UCMResult):
        raise TypeError(f"result must be a UCMResult from polygov.latent.ucm, got {type(result).__name__}")
    if result.by is None:
        raise ValueError("from_ucm needs a fit over time (ucm(..., by='year')); this one is a cross-section")
    sc = result.scores[["iso3", result.by, "estimate", "std_error"]].copy()
    sc.insert(1, "indicator", indicator)
    return _finish([sc], "iso3", result.by)


def _wgi_panel(data: pd.DataFrame, indicators) -> pd.DataFrame:
    cols = {d: (f"{d}_estimate", f"{d}_std_error") for d in indicators}
    return from_std_error(data, columns=cols)


def load_source(source: str, *, indicators=None, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Monitor panel of a bundled source.

    Parameters
    ----------
    source : {"wgi", "vdem_ert"}
        ``"wgi"``: the six WGI dimensions with their standard errors
        (``pg.data.load("wgi")``: wide, ``iso3, year, {d}_estimate, {d}_std_error, ...``).
        ``"vdem_ert"``: V-Dem's electoral democracy index with its 68 % interval,
        from the ERT v15 file (``pg.data.load("vdem_ert")``), indicator ``"polyarchy"``.
    indicators : list of str, optional
        Subset of indicators (WGI: ``va pv ge rq rl cc``; ERT: ``polyarchy``).
    data : DataFrame, optional
        The source's table, if already loaded (same schema as the bundled file);
        default: load it with :func:`polygov.data.load`.

    Raises
    ------
    KeyError
        Unknown source or indicator (the allowed ones are listed).
    """
    if source not in SOURCES:
        near = close_matches(str(source), SOURCES)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"unknown source {source!r}; the monitor knows {sorted(SOURCES)}.{hint}")
    allowed = list(WGI_DIMENSIONS) if source == "wgi" else ["polyarchy"]
    if indicators is None:
        indicators = allowed
    if isinstance(indicators, str):
        indicators = [indicators]
    bad = [i for i in indicators if i not in allowed]
    if bad:
        raise KeyError(f"unknown indicator(s) {bad} for source {source!r}; available: {allowed}")
    if data is None:
        from ..data import load

        data = load(source)
    if source == "wgi":
        return _wgi_panel(data, indicators)
    return from_interval(
        data, columns={"polyarchy": ("v2x_polyarchy", "v2x_polyarchy_codelow", "v2x_polyarchy_codehigh")},
        coverage=0.68)


def _as_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Validate a monitor panel."""
    check_dataframe(panel, name="panel")
    check_columns(panel, PANEL_COLUMNS, name="panel")
    check_numeric(panel, ["estimate", "std_error"], name="panel")
    if not np.isfinite(panel[["estimate", "std_error"]].to_numpy(dtype=float)).all():
        raise ValueError("panel has missing or infinite estimate/std_error values; build it with "
                         "from_std_error/from_interval/from_draws/from_ucm, which drop them")
    return panel
