"""Episodes of sustained deterioration, with rules that read the margins of error.

Rules (every threshold is an argument of :func:`episodes`):

1. **Onset.** An episode can start in year s when the change from the previous
   published year to s is a likely decline: ``P(decline) >= p_onset``.
2. **Continuation.** It goes on while another likely decline (``P(decline) >=
   p_onset``) follows within ``tolerance`` published years, and ends at the last
   likely decline before a stall of more than ``tolerance`` years, before a likely
   reversal (a one-year change with ``P(increase) >= p_reversal``), or at the end of
   the series (then ``censored=True``).
3. **Confirmation.** The episode's depth is the fall from the year before onset to
   the end year, ``x_{s-1} - x_end``, with standard error ``sqrt(s²_{s-1} + s²_end)``.
   Its one-sided p-value is adjusted by Benjamini-Hochberg over every candidate
   episode of the run (all units and indicators); an episode is confirmed when
   ``q_value <= q`` and ``depth >= min_depth``.

These mirror V-Dem's ERT rules (an onset of at least 0.01, a tolerance of five years
of stagnation, a one-year reversal of 0.03, a total decline of at least 0.10; Maerz et
al. 2023; defaults of ``ERT::get_eps``) with the fixed
point-estimate thresholds replaced by probabilities that use each year's published
uncertainty, and the total-decline threshold by a false-discovery-controlled test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import check_unit_interval
from .inputs import _as_panel
from .multiplicity import bh_qvalues

__all__ = ["episodes", "episode_years", "EPISODE_COLUMNS"]

EPISODE_COLUMNS = ["iso3", "indicator", "start", "end", "pre_year", "level_pre", "level_end", "depth",
                   "std_error", "statistic", "p_value", "q_value", "prob_decline", "n_years",
                   "censored", "confirmed"]


def _series_episodes(years, est, se, *, p_onset, p_reversal, tolerance):
    """Candidate episodes of one series: list of (i_pre, i_end, censored) indices."""
    d = np.diff(est)
    s = np.sqrt(se[1:] ** 2 + se[:-1] ** 2)
    p_dec = special.ndtr(-d / s)
    n = d.size
    out = []
    i = 0
    while i < n:
        if p_dec[i] < p_onset:
            i += 1
            continue
        start = i  # change index i is from year i to year i+1
        last = i
        j = i + 1
        while j < n:
            if 1.0 - p_dec[j] >= p_reversal:
                break
            if p_dec[j] >= p_onset:
                last = j
            elif j - last > tolerance:
                break
            j += 1
        censored = j >= n and (n - 1 - last) <= tolerance
        out.append((start, last + 1, censored))
        i = max(j, last + 1)
    return out


def episodes(panel: pd.DataFrame, *, p_onset: float = 0.6, p_reversal: float = 0.9, tolerance: int = 5,
             q: float = 0.10, min_depth: float = 0.0, confirmed_only: bool = False) -> pd.DataFrame:
    """Find episodes of sustained deterioration in every unit and indicator.

    Parameters
    ----------
    panel : DataFrame
        A monitor panel (``iso3``, ``indicator``, ``year``, ``estimate``, ``std_error``).
    p_onset : float, default 0.6
        Probability of a one-year decline that starts or extends an episode.
    p_reversal : float, default 0.9
        Probability of a one-year increase that ends an episode at once.
    tolerance : int, default 5
        Published years without a likely decline that an episode survives (V-Dem's
        ERT uses five).
    q : float, default 0.10
        False-discovery rate at which an episode's total decline is confirmed.
    min_depth : float, default 0.0
        Smallest total decline (in the indicator's units) of a confirmed episode.
    confirmed_only : bool, default False
        Return only confirmed episodes.

    Returns
    -------
    DataFrame
        One row per candidate episode: ``iso3``, ``indicator``, ``start`` (first
        year of decline), ``end`` (last year of decline), ``pre_year`` (year before
        onset), ``level_pre``, ``level_end``, ``depth`` (``level_pre - level_end``,
        positive for a fall), ``std_error``, ``statistic``, ``p_value``
        (one-sided), ``q_value`` (BH over all candidates), ``prob_decline``,
        ``n_years`` (``end - start + 1``), ``censored`` (still running at the end of
        the data) and ``confirmed``.

    Notes
    -----
    "Years" are consecutive *published* years of a unit: a gap in the data is
    bridged, not counted as a year.  The rules are listed in the module docstring.
    Treating a unit's errors as independent across years makes the one-year
    changes' standard errors conservative when errors are positively correlated
    over time (V-Dem's measurement model makes them so).
    """
    panel = _as_panel(panel)
    for name, v, ex in (("p_onset", p_onset, 0.6), ("p_reversal", p_reversal, 0.9)):
        check_unit_interval(v, name, ex)
    q = check_unit_interval(q, "q", 0.10)
    if not isinstance(tolerance, int | np.integer) or isinstance(tolerance, bool) or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative integer (years); got {tolerance!r}")
    if not np.isfinite(min_depth) or min_depth < 0:
        raise ValueError(f"min_depth must be >= 0; got {min_depth!r}")
    p = panel.sort_values(["indicator", "iso3", "year"], kind="mergesort")
    key = p["indicator"].astype(str) + "\x00" + p["iso3"].astype(str)
    codes, _ = pd.factorize(key, sort=False)
    bounds = np.r_[0, np.flatnonzero(np.diff(codes)) + 1, len(p)]
    yr = p["year"].to_numpy()
    est = p["estimate"].to_numpy(dtype=float)
    se = p["std_error"].to_numpy(dtype=float)
    iso = p["iso3"].to_numpy()
    ind = p["indicator"].to_numpy()
    rows = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a < 2:
            continue
        for i0, i1, cens in _series_episodes(yr[a:b], est[a:b], se[a:b], p_onset=p_onset,
                                             p_reversal=p_reversal, tolerance=tolerance):
            rows.append((iso[a], ind[a], yr[a + i0 + 1], yr[a + i1], yr[a + i0], est[a + i0], est[a + i1],
                         se[a + i0], se[a + i1], cens))
    cols = ["iso3", "indicator", "start", "end", "pre_year", "level_pre", "level_end", "se_pre", "se_end",
            "censored"]
    ep = pd.DataFrame(rows, columns=cols)
    if ep.empty:
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    ep["depth"] = ep["level_pre"] - ep["level_end"]
    ep["std_error"] = np.hypot(ep.pop("se_pre"), ep.pop("se_end"))
    ep["statistic"] = -ep["depth"] / ep["std_error"]
    ep["p_value"] = special.ndtr(ep["statistic"])
    ep["q_value"] = bh_qvalues(ep["p_value"].to_numpy())
    ep["prob_decline"] = 1.0 - ep["p_value"]
    ep["n_years"] = ep["end"] - ep["start"] + 1
    ep["confirmed"] = (ep["q_value"] <= q) & (ep["depth"] >= min_depth)
    ep = ep[EPISODE_COLUMNS]
    if confirmed_only:
        ep = ep.loc[ep["confirmed"]].reset_index(drop=True)
    return ep


def episode_years(episodes: pd.DataFrame, *, confirmed_only: bool = True) -> pd.DataFrame:
    """Expand episodes into one row per episode-year (``iso3``, ``indicator``, ``year``).

    Years from ``start`` to ``end`` inclusive (calendar years, so a gap in the data
    inside an episode counts as episode years).
    """
    ep = episodes
    if confirmed_only and "confirmed" in ep.columns:
        ep = ep.loc[ep["confirmed"].astype(bool)]
    if ep.empty:
        return pd.DataFrame({"iso3": pd.Series(dtype=str), "indicator": pd.Series(dtype=str),
                             "year": pd.Series(dtype=int)})
    n = (ep["end"] - ep["start"] + 1).to_numpy(dtype=int)
    out = pd.DataFrame({
        "iso3": np.repeat(ep["iso3"].to_numpy(), n),
        "indicator": np.repeat(ep["indicator"].to_numpy(), n),
        "year": np.concatenate([np.arange(s, e + 1) for s, e in zip(ep["start"], ep["end"], strict=True)]),
    })
    return out.drop_duplicates().reset_index(drop=True)
