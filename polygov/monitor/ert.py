"""Set the monitor's episodes beside V-Dem's Episodes of Regime Transformation (ERT).

ERT v15 (Maerz et al. 2023; Edgell et al. 2020) flags an *autocratization episode*
from the point estimates of the electoral democracy index (``v2x_polyarchy``): a
one-year fall of at least 0.01 opens a potential episode, which is kept when the
total fall reaches 0.10; it closes after a tolerance of five years without a further
fall of 0.01, at a one-year rise of 0.03, or at a cumulative rise of 0.10 (the
defaults of ``ERT::get_eps``: ``start_incl = 0.01``, ``cum_incl = 0.1``,
``year_turn = 0.03``, ``cum_turn = 0.1``, ``tolerance = 5``).  The monitor runs on the
same index with V-Dem's 68 % intervals and its own, uncertainty-aware rules
(:func:`~polygov.monitor.episodes`).  :func:`compare_ert` counts the episode-years on
which they agree and names the episodes on which they do not, with a reason read off
the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe
from .episode import episode_years

__all__ = ["ERTComparison", "compare_ert", "ERT_TOTAL_DECLINE"]

#: ERT's default total decline for an autocratization episode (ERT codebook, v15).
ERT_TOTAL_DECLINE = 0.10


@dataclass(frozen=True, repr=False)
class ERTComparison:
    """Result of :func:`compare_ert`.

    Attributes
    ----------
    agreement : DataFrame
        Episode-years by status: ``status`` (``both``, ``monitor only``, ``ERT only``,
        ``neither``), ``country_years``, ``share``.
    cases : DataFrame
        One row per episode that the other method does not overlap at all:
        ``iso3``, ``source`` (``ERT`` or ``monitor``), ``start``, ``end``,
        ``depth`` (fall of the index from the year before ``start`` to ``end``),
        ``std_error``, ``statistic``, ``reason``; sorted by depth, deepest first.
    kappa : float
        Cohen's kappa of the two episode-year classifications.
    """

    agreement: pd.DataFrame
    cases: pd.DataFrame
    kappa: float

    def __repr__(self) -> str:
        a = self.agreement.set_index("status")["country_years"]
        return (f"ERTComparison(both={a.get('both', 0)}, monitor only={a.get('monitor only', 0)}, "
                f"ERT only={a.get('ERT only', 0)}, neither={a.get('neither', 0)}, kappa={self.kappa:.3f}, "
                f"{len(self.cases)} disagreement cases)")


def _depth(panel_idx: pd.DataFrame, iso3: str, start: int, end: int):
    """Fall from the last published year before ``start`` to ``end``, with its SE."""
    try:
        s = panel_idx.loc[iso3]
    except KeyError:
        return np.nan, np.nan
    before = s.loc[s.index < start]
    if before.empty or end not in s.index:
        return np.nan, np.nan
    pre = before.iloc[-1]
    last = s.loc[end]
    return float(pre["estimate"] - last["estimate"]), float(np.hypot(pre["std_error"], last["std_error"]))


def compare_ert(monitor_episodes: pd.DataFrame, ert: pd.DataFrame, panel: pd.DataFrame, *,
                indicator: str = "polyarchy", total_decline: float = ERT_TOTAL_DECLINE) -> ERTComparison:
    """Agreement of the monitor's episodes with ERT's autocratization episodes.

    Parameters
    ----------
    monitor_episodes : DataFrame
        Output of :func:`~polygov.monitor.episodes` on the ERT panel (confirmed
        episodes are used).
    ert : DataFrame
        ERT v15 (``pg.data.load("vdem_ert")``) with ``iso3``, ``year``,
        ``aut_ep``, ``aut_ep_start_year``, ``aut_ep_end_year``.
    panel : DataFrame
        The monitor panel the episodes came from (for depths and standard errors).
    indicator : str, default "polyarchy"
        Indicator of ``monitor_episodes`` and ``panel`` to compare.
    total_decline : float, default 0.10
        ERT's total-decline threshold, used to explain disagreements.

    Returns
    -------
    ERTComparison

    Notes
    -----
    Country-years compared: those of ``ert`` with a published index value (the
    panel's rows).  An episode-year is a year from an episode's start to its end,
    both included, in either method.  Reasons: an ERT episode the monitor misses is
    either "no likely decline" (no one-year fall reaches the monitor's onset
    probability: each year's change is within the margin of error) or "not
    significant" (a candidate whose total fall is not significant at the monitor's
    false-discovery rate); a monitor episode ERT misses is "below ERT's total" when
    its fall is under ``total_decline``, otherwise "ERT's year-on-year thresholds"
    (ERT's onset, stagnation or reversal rule split or ended it).
    """
    check_dataframe(monitor_episodes, name="monitor_episodes")
    check_dataframe(ert, name="ert")
    check_columns(ert, ["iso3", "year", "aut_ep", "aut_ep_start_year", "aut_ep_end_year"], name="ert")
    check_columns(monitor_episodes, ["iso3", "indicator", "start", "end", "confirmed"], name="monitor_episodes")
    p = panel.loc[panel["indicator"] == indicator]
    if p.empty:
        raise KeyError(f"indicator {indicator!r} is not in panel; available: "
                       f"{sorted(panel['indicator'].unique().tolist())}")
    me = monitor_episodes.loc[monitor_episodes["indicator"] == indicator]
    grid = p[["iso3", "year"]].drop_duplicates()
    e = ert[["iso3", "year", "aut_ep"]].drop_duplicates(["iso3", "year"])
    grid = grid.merge(e, on=["iso3", "year"], how="left")
    grid["ert"] = grid["aut_ep"].fillna(0).astype(int) == 1
    my = episode_years(me, confirmed_only=True)
    my_idx = pd.MultiIndex.from_frame(my[["iso3", "year"]])
    grid["mon"] = pd.MultiIndex.from_frame(grid[["iso3", "year"]]).isin(my_idx)
    status = np.select([grid["ert"] & grid["mon"], grid["mon"] & ~grid["ert"], grid["ert"] & ~grid["mon"]],
                       ["both", "monitor only", "ERT only"], "neither")
    order = ["both", "monitor only", "ERT only", "neither"]
    counts = pd.Series(status).value_counts().reindex(order, fill_value=0)
    agreement = pd.DataFrame({"status": order, "country_years": counts.to_numpy(),
                              "share": counts.to_numpy() / counts.sum()})
    n = len(grid)
    po = (grid["ert"] == grid["mon"]).mean()
    pe = grid["ert"].mean() * grid["mon"].mean() + (1 - grid["ert"].mean()) * (1 - grid["mon"].mean())
    kappa = float((po - pe) / (1 - pe)) if n and pe < 1 else float("nan")

    pidx = p.set_index(["iso3", "year"]).sort_index()
    mon_set = set(zip(my["iso3"], my["year"], strict=True))
    ert_set = set(zip(grid.loc[grid["ert"], "iso3"], grid.loc[grid["ert"], "year"], strict=True))
    cases = []
    eps = ert.loc[ert["aut_ep"] == 1, ["iso3", "aut_ep_start_year", "aut_ep_end_year"]].drop_duplicates()
    for iso, s, t in eps.itertuples(index=False):
        s, t = int(s), int(t)
        if any((iso, y) in mon_set for y in range(s, t + 1)):
            continue
        d, se = _depth(pidx, iso, s, t)
        cand = me.loc[(me["iso3"] == iso) & (me["start"] <= t) & (me["end"] >= s)]
        if len(cand):
            c = cand.iloc[0]
            reason = (f"not significant: the monitor's candidate {int(c['start'])}-{int(c['end'])} fell "
                      f"{c['depth']:.3f} (SE {c['std_error']:.3f}), q = {c['q_value']:.2f}")
        else:
            reason = "no likely decline: no one-year fall reached the monitor's onset probability"
        cases.append((iso, "ERT", s, t, d, se, reason))
    for r in me.loc[me["confirmed"].astype(bool)].itertuples(index=False):
        if any((r.iso3, y) in ert_set for y in range(int(r.start), int(r.end) + 1)):
            continue
        if r.depth < total_decline:
            reason = f"below ERT's total: fell {r.depth:.3f} < {total_decline:.2f}, yet significant (q = {r.q_value:.3f})"
        else:
            reason = (f"ERT's year-on-year thresholds: fell {r.depth:.3f} >= {total_decline:.2f}, but ERT's "
                      "onset, stagnation or reversal rule split or ended it")
        cases.append((r.iso3, "monitor", int(r.start), int(r.end), float(r.depth), float(r.std_error), reason))
    cases = pd.DataFrame(cases, columns=["iso3", "source", "start", "end", "depth", "std_error", "reason"])
    cases["statistic"] = cases["depth"] / cases["std_error"]
    cases = cases[["iso3", "source", "start", "end", "depth", "std_error", "statistic", "reason"]]
    cases = cases.sort_values(["depth", "iso3"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    return ERTComparison(agreement=agreement, cases=cases, kappa=kappa)
