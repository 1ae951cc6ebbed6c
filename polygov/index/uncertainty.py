"""Monte Carlo uncertainty analysis of a composite index (rank intervals over draws).

The draws are evaluated by the vectorised engine of :mod:`polygov.index.engine`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import PolygovWarning
from ._check import check_bool, check_int
from .build import _stages, rank_frame
from .engine import (
    _agg_label,
    _check_levels,
    _label,
    _loo_candidates,
    _noisy_weights,
    _run,
    _setup,
    check_common,
)
from .normalise import NORMALISERS
from .spec import IndexSpec

__all__ = ["uncertainty", "UncertaintyResult"]


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Result of :func:`uncertainty` (and the uncertainty part of :func:`sobol`).

    Attributes
    ----------
    summary : DataFrame
        One row per unit (country, or country-year for a panel), sorted by nominal rank:

        - ``iso3`` (and ``year`` for a panel);
        - ``nominal_score``, ``nominal_rank``: the index built with the nominal spec;
        - ``median_rank``, ``mean_rank``, ``rank_q05``, ``rank_q95``: over all draws (ranks are
          comparable whatever the normalisation);
        - ``score_q05``, ``score_q95``: 5% and 95% quantiles of the score over the draws that
          used the spec's *own* normalisation (same method and parameters) only, so that they
          are on the scale of ``nominal_score``; pooling draws normalised by min-max 1-100 and
          by z-scores with mean 10 would mix two scales.  NaN when no draw used the nominal
          normalisation (e.g. ``normalisations=`` does not include it); use ``ranks``, or
          ``scores`` filtered by ``draws['normalisation']``, instead;
        - ``n_missing``: draws in which the unit existed but had no score;
        - ``n_draws``: draws in which the unit existed.  It is smaller than the number of
          draws only when screening (``min_unit_coverage``) keeps different units under
          different imputation/treatment alternatives: as in COINr, a unit screened out in
          a draw is left empty there (NaN score and rank; the other units are ranked
          without it), and its rank summaries cover the draws in which it exists.
    draws : DataFrame
        One row per draw: ``draw, imputation, treatment, normalisation, aggregation, omitted``
        (plus the ``*_id`` of each alternative).
    weights : DataFrame
        Draws x nodes: the (unnormalised) weights each draw used; an omitted indicator has 0.
    scores, ranks : DataFrame
        Draws x units, row ``d`` = draw ``d``.  Columns are the ISO3 codes for a cross-section
        and ``"ISO3_YEAR"`` strings (e.g. ``"CHN_2016"``) for a panel, so
        ``scores["CHN_2016"]`` is China's 2016 score in every draw.  Ranks are within each year
        (1 = best, ties share the lowest rank); they are whole numbers stored as floats because
        NaN marks a unit without a score in a draw (an integer dtype could not hold it, and a
        nullable one would make ``to_numpy()`` an object array).  Scores of draws with
        different normalisations are on different scales: compare them within a normalisation.
    code : str
        The code analysed (default the index).
    """

    summary: pd.DataFrame
    draws: pd.DataFrame
    weights: pd.DataFrame
    scores: pd.DataFrame
    ranks: pd.DataFrame
    code: str
    spec: IndexSpec
    _alts: Mapping[str, Any]

    def spec_for(self, draw: int) -> IndexSpec:
        """The IndexSpec of one draw (``build(result.spec_for(d), data)`` reproduces it)."""
        row = self.draws.iloc[int(draw)]
        name, params = self._alts["normalisations"][int(row["normalisation_id"])]
        agg = self._alts["aggregations"][int(row["aggregation_id"])]
        tname, tparams = self._alts["treatments"][int(row["treatment_id"])]
        w = {k: float(v) for k, v in self.weights.iloc[int(draw)].items()}
        omitted = row["omitted"]
        excl = () if omitted == "" else (omitted,)
        w = {k: v for k, v in w.items() if k not in excl}
        return self.spec.replace(normalisation=name, normalisation_params=params, aggregation=agg,
                                 imputation=row["imputation"], treatment=tname,
                                 treatment_params=tparams, weights=w, exclude=excl)

    def __repr__(self) -> str:
        return (f"UncertaintyResult(code={self.code!r}, draws={len(self.draws)}, "
                f"units={len(self.summary)})")



def _full_params(name: str, params: Mapping) -> dict:
    """A normaliser's parameters with its defaults filled in (to compare alternatives)."""
    import inspect

    out = {k: p.default for k, p in inspect.signature(NORMALISERS[name]).parameters.items()
           if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}
    out.update(params)
    return {k: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            for k, v in out.items()}


def _nominal_norm_id(eng, spec) -> int | None:
    """Position of the spec's own normalisation among the alternatives (None if absent)."""
    want = (spec.normalisation, _full_params(spec.normalisation, spec.normalisation_params))
    for k, (name, params) in enumerate(eng.norms):
        if (name, _full_params(name, params)) == want:
            return k
    return None


def _summarise(eng, spec, data, scores, ranks, code, norm, variant):
    # the nominal index: build()'s stages (sharing the engine's prepared data and normalised
    # columns), without build's tidy table; only the analysed code is ranked (rank_frame
    # ranks each column on its own)
    stages = _stages(spec, data, cache=eng.prep_cache, norm_cache=eng.norm_cache, lean=True)[0]
    agg = stages["aggregated"][[code]]
    nom = agg[code].reindex(eng.index)
    nom_rank = rank_frame(agg)[code].reindex(eng.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # the three rank quantiles from one partition of the ranks (each quantile is the
        # same interpolation between the same order statistics as when asked alone)
        r50, r05, r95 = _q(ranks, [0.5, 0.05, 0.95])
        summ = pd.DataFrame({
            "nominal_score": nom.to_numpy(),
            "nominal_rank": nom_rank.to_numpy(),
            "median_rank": r50,
            "mean_rank": np.nanmean(ranks, axis=0),
            "rank_q05": r05,
            "rank_q95": r95,
        }, index=eng.index).reset_index()
        # scores are comparable only between draws normalised the same way: quantiles over the
        # draws that used the nominal normalisation (NaN if none did)
        k = _nominal_norm_id(eng, spec)
        same = scores[norm == k] if k is not None else scores[:0]
        s05, s95 = _q(same, [0.05, 0.95]) if len(same) else (np.nan, np.nan)
        summ["score_q05"], summ["score_q95"] = s05, s95
    # units screened out under a draw's imputation/treatment do not exist in that draw
    exists = np.ones(scores.shape, dtype=bool)
    for m, rows in eng.rows.items():
        if rows is not None:
            absent = np.ones(eng.U, dtype=bool)
            absent[rows] = False
            exists[np.ix_(variant == m, absent)] = False
    failed = np.isnan(scores) & exists & ~np.isnan(nom.to_numpy())[None, :]
    if failed.any():
        n = int(failed.any(axis=1).sum())
        warnings.warn(f"{n} draws gave missing scores for units scored in the nominal index "
                      "(e.g. min_coverage after leaving an indicator out); they are excluded from "
                      "those units' intervals and counted in summary['n_missing']",
                      PolygovWarning, stacklevel=3)
    summ["n_missing"] = (np.isnan(scores) & exists).sum(axis=0)
    summ["n_draws"] = exists.sum(axis=0)
    return summ.sort_values(["nominal_rank"], kind="stable").reset_index(drop=True)


def _q(a: np.ndarray, q) -> np.ndarray:
    """Column quantiles ignoring NaN (fast path when there is none); ``q`` a float or a list
    (then one row per quantile)."""
    bad = np.isnan(a)
    if not bad.any():
        return np.quantile(a, q, axis=0)
    out = np.quantile(np.where(bad, np.nan, a), q, axis=0)
    cols = bad.any(axis=0)
    out[..., cols] = np.nanquantile(a[:, cols], q, axis=0)
    return out


def _unit_labels(index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return [f"{a}_{b}" for a, b in index]
    return list(index)


def uncertainty(spec: IndexSpec, data: pd.DataFrame, *, n_draws: int = 1000, seed=None,
                normalisations: Sequence | None = None, aggregations: Sequence | None = None,
                weight_noise: float = 0.25, noise_levels: Sequence[int] | None = None,
                imputations: Sequence[str] | None = None, treatments: Sequence | None = None,
                leave_one_out: bool = False, code: str | None = None, n_jobs: int = 1,
                progress: bool | None = None, batch_size: int | None = None) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis: rank intervals under alternative methodologies.

    Each draw independently and uniformly picks one alternative of every varied choice,
    and multiplies every perturbed weight by a ``Uniform(1 - weight_noise, 1 + weight_noise)``
    factor (COINr's ``get_noisy_weights``).

    Parameters
    ----------
    spec : IndexSpec
        The nominal specification (its per-indicator overrides apply in every draw).
    data : DataFrame
        As for :func:`build`.
    n_draws : int
    seed : int or Generator, optional
    normalisations : list, optional
        Alternatives as names or ``(name, params)`` pairs.  Default: min-max to 1-100 and
        z-scores with mean 10, sd 2 (COINr's sensitivity vignette).
    aggregations : list, optional
        Aggregator names (or per-level mappings such as ``{2: "copeland", 3: "arithmetic"}``)
        from ``arithmetic, geometric, harmonic, generalised, copeland, bod``.  Default
        arithmetic and geometric.  Power means are vectorised over draws; an alternative
        using ``copeland`` or ``bod`` at any level is computed draw by draw (see Notes).
    weight_noise : float
        Half-width of the multiplicative uniform weight noise (0 = fixed weights).
    noise_levels : list of int, optional
        Levels whose weights are perturbed (default: every node except the root); each
        must be a level of the framework below the index (1 = indicators), else ValueError.
    imputations : list of str, optional
        Imputation alternatives (default: the spec's own only).
    treatments : list, optional
        Outlier-treatment alternatives: ``"none"``, ``"winsorise"`` or
        ``("winsorise", {"winmax": 3})`` (default: the spec's own only).
    leave_one_out : bool
        If True, each draw leaves out one indicator (uniformly among those whose parent
        keeps at least one other component) or none, with equal probability.
    code : str, optional
        The code whose ranks are analysed (default the index).  An indicator works too:
        its normalised score then varies with the normalisation, treatment and imputation
        alternatives only (weights and aggregation do not reach it).
    n_jobs : int
        Number of joblib workers (batches of ``batch_size`` draws; each batch is vectorised;
        default batch size ``75,000 // n_units``).
        With a Dask/Ray joblib backend active, batches go to the cluster.
    progress : bool, optional
        tqdm progress bar; default shown only for large runs.

    Returns
    -------
    UncertaintyResult

    Notes
    -----
    Draws are generated up front from ``seed``, so results do not depend on ``n_jobs``
    or ``batch_size``.  A draw that leaves a unit without a score (possible only with
    ``min_coverage`` > 0) is counted in ``summary['n_missing']`` and reported with a warning.
    The fixed cost is small: the data stages run once per distinct setting (loading and
    key checks once; imputation once per imputation alternative; each treatment variant
    reuses the imputed, screened table, the indicators that pass the skew/kurtosis rule
    and one winsorisation walk per indicator, and keeps the treated values only, not
    the per-point audit records a draw never shows), normalised columns are shared
    between variants, and draws are evaluated grouped by (variant, normalisation,
    aggregation), an aggregate whose weights do not vary within a group being computed
    once.  Measured on COINr's ASEM sensitivity example (51 units, 49 indicators;
    winsorisation limit 1-5, two normalisations, pillar weight noise, two aggregations;
    ``python benchmarks/bench_index.py --issue15 --repeat 7``) on a shared 2-core machine,
    CPU seconds: set-up 0.03 s, 100 draws 0.04 s (COINr: 8.0 s), 10,000 draws 0.14 s,
    Sobol with 1,024 base samples 0.12 s; one :func:`build` of the nominal spec 0.03 s.

    Screening (``min_unit_coverage``) may keep different units under different
    imputation/treatment alternatives.  As in COINr, a unit screened out in a draw is left
    empty there (NaN score and rank, the others ranked without it);
    ``summary['n_draws']`` counts the draws in which each unit exists, and its rank
    summaries use those draws only.

    Copeland and BoD alternatives (or a spec that uses them) are not power means: their
    draws are aggregated one by one with the same aggregator functions as :func:`build`,
    which gives identical scores at the cost of one aggregator call per aggregate and
    draw.  Draws that share their relevant weights are computed once, so that
    weight-free BoD is computed once per data variant, normalisation and left-out
    indicator.  Measured on the HFI 2016 cross-section governance index (162 countries,
    14 indicators, 3 pillars, 2 cores): 1,000 draws with Copeland about 3-6 s (the
    aggregator's pairwise comparisons dominate, ``n_jobs=2`` halves it) and 1,000 BoD draws
    about 0.3 s (1.5 s with ``leave_one_out=True``, 15 left-out patterns; all units' linear
    programmes are solved as one), against 0.1 s for arithmetic/geometric
    (``benchmarks/bench_index.py``).  On the whole HFI panel (1,458 country-years, Copeland
    and BoD within each year; ``bench_index.py --panel``): 1,000 Copeland draws about 23 s,
    1,000 BoD draws about 2 s (14 s with ``leave_one_out=True``), one BoD build about 1 s.
    BoD needs complete, non-negative normalised data: give ``imputations`` (or impute in
    the spec).

    Examples
    --------
    >>> import polygov as pg, polygov.index as pi
    >>> hfi = pg.data.load("hfi").query("year == 2016")
    >>> spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})
    >>> ua = pi.uncertainty(spec, hfi, n_draws=2000, seed=1, leave_one_out=True)
    >>> ua.summary[["iso3", "nominal_rank", "median_rank", "rank_q05", "rank_q95"]].head()  # doctest: +SKIP
    >>> build(ua.spec_for(0), hfi)   # draw 0 rebuilt from its recorded parameters  # doctest: +SKIP
    """
    check_common(spec, data, seed=seed, weight_noise=weight_noise, n_jobs=n_jobs,
                 progress=progress, batch_size=batch_size, code=code)
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    leave_one_out = check_bool(leave_one_out, "leave_one_out")
    _check_levels(spec, noise_levels)
    eng = _setup(spec, data, normalisations, aggregations, imputations, code, treatments)
    rng = np.random.default_rng(seed)
    imp = rng.integers(len(eng.imps), size=n_draws)
    norm = rng.integers(len(eng.norms), size=n_draws)
    agg = rng.integers(len(eng.aggs), size=n_draws)
    trt = rng.integers(len(eng.trts), size=n_draws)
    W = _noisy_weights(spec, rng, n_draws, weight_noise, noise_levels)
    omitted = np.array([""] * n_draws, dtype=object)
    if leave_one_out:
        cands = _loo_candidates(spec, eng)
        pick = rng.integers(len(cands) + 1, size=n_draws)
        for j, c in enumerate(cands):
            sel = pick == j + 1
            W[sel, eng.pos[c]] = 0.0
            omitted[sel] = c
    return _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size)


def _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size):
    variant = imp * len(eng.trts) + trt
    scores = _run(eng, variant, norm, agg, W, n_jobs, progress, batch_size)
    ranks = eng.rank(scores)
    units = _unit_labels(eng.index)
    draws = pd.DataFrame({
        "draw": np.arange(len(imp)),
        "imputation": np.array(eng.imps, dtype=object)[imp],
        "treatment": np.array([_label(*t) for t in eng.trts], dtype=object)[trt],
        "normalisation": np.array([_label(*n) for n in eng.norms], dtype=object)[norm],
        "aggregation": np.array([_agg_label(a) for a in eng.aggs], dtype=object)[agg],
        "omitted": omitted,
        "normalisation_id": norm,
        "aggregation_id": agg,
        "treatment_id": trt,
    })
    summ = _summarise(eng, spec, data, scores, ranks, eng.code, norm, variant)
    return UncertaintyResult(
        summary=summ, draws=draws,
        weights=pd.DataFrame(W, columns=eng.nodes),
        scores=pd.DataFrame(scores, columns=units), ranks=pd.DataFrame(ranks, columns=units),
        code=eng.code, spec=spec,
        _alts={"normalisations": eng.norms, "aggregations": eng.aggs, "treatments": eng.trts})


