"""Variance-based global sensitivity analysis (Sobol indices) of a composite index.

Runs of Saltelli's sample are evaluated by the engine of :mod:`polygov.index.engine`;
the indices are estimated with SALib (imported when :func:`sobol` is called).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import check_in
from ._check import check_bool, check_int
from .engine import _check_levels, _loo_candidates, _noisy_weights, _setup, check_common
from .spec import IndexSpec
from .uncertainty import UncertaintyResult, _finish

__all__ = ["sobol", "SensitivityResult", "FACTORS", "MIN_BASE"]

#: Smallest base sample accepted by :func:`sobol` (a power of two).
MIN_BASE = 8


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Result of :func:`sobol`.

    Attributes
    ----------
    indices : DataFrame
        One row per uncertain factor: ``factor, S1, S1_conf, ST, ST_conf`` (first-order and
        total-effect Sobol indices of the output, with bootstrap half-widths).
    unit_indices : DataFrame or None
        Per unit and factor (``unit, factor, S1, ST``; ``unit`` labelled as the columns of
        ``UncertaintyResult.ranks``) when ``per_unit=True``.
    samples : DataFrame
        The SALib sample (one row per model run, columns = factors in [0, 1)) with the
        options each run used and the output ``y``.
    uncertainty : UncertaintyResult
        Rank intervals over all runs.
    output : str
        What ``y`` is.
    """

    indices: pd.DataFrame
    unit_indices: pd.DataFrame | None
    samples: pd.DataFrame
    uncertainty: UncertaintyResult
    output: str

    def __repr__(self) -> str:
        return f"SensitivityResult(factors={list(self.indices['factor'])}, runs={len(self.samples)})"


FACTORS = ("normalisation", "aggregation", "weights", "imputation", "treatment", "leave_one_out")


def sobol(spec: IndexSpec, data: pd.DataFrame, *, n_base: int = 1024, seed=None,
          factors: Sequence[str] = ("normalisation", "aggregation", "weights", "leave_one_out"),
          normalisations: Sequence | None = None, aggregations: Sequence | None = None,
          imputations: Sequence[str] | None = None, treatments: Sequence | None = None,
          weight_noise: float = 0.25,
          noise_levels: Sequence[int] | None = None, n_weight_sets: int = 100,
          code: str | None = None, per_unit: bool = False, num_resamples: int = 100,
          conf_level: float = 0.95, n_jobs: int = 1, progress: bool | None = None,
          batch_size: int | None = None) -> SensitivityResult:
    """Variance-based global sensitivity analysis (Sobol first-order and total indices).

    Every uncertain choice is a factor ``u`` uniform on [0, 1) mapped to one of its
    ``K`` alternatives by ``floor(K u)`` (Saisana, Saltelli & Tarantola 2005):

    - ``normalisation``, ``aggregation``, ``imputation``, ``treatment``: the alternatives as in
      :func:`uncertainty` (``copeland`` and ``bod`` aggregations are computed draw by draw,
      power means vectorised; see :func:`uncertainty`);
    - ``weights``: one of ``n_weight_sets`` weight vectors drawn with the noise of
      :func:`uncertainty` (set 0 = the nominal weights);
    - ``leave_one_out``: none or one eligible indicator left out.

    The sample is Saltelli's extension of the Sobol sequence (``SALib.sample.sobol``,
    ``n_base * (k + 2)`` runs for ``k`` factors); indices are estimated with
    ``SALib.analyze.sobol`` (Saltelli 2010 / Jansen estimators, bootstrap intervals).

    Parameters
    ----------
    n_base : int
        Base sample size N: a power of two, at least :data:`MIN_BASE` (8). Saltelli's
        sample is balanced only for powers of two; other sizes are refused (SALib merely
        warns, and the indices are then meaningless).
    n_weight_sets : int
        Number (>= 1) of weight vectors the ``weights`` factor chooses from.
    factors : list of str
        Subset of ``normalisation, aggregation, weights, imputation, treatment, leave_one_out``.
    per_unit : bool
        Also estimate indices for each unit's rank (slower: one analysis per unit).
    Other parameters as :func:`uncertainty`.

    Returns
    -------
    SensitivityResult
        Output ``y`` of a run: the mean absolute rank shift of all units from their
        nominal ranks (COINr's summary measure of rank change).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    check_common(spec, data, seed=seed, weight_noise=weight_noise, n_jobs=n_jobs,
                 progress=progress, batch_size=batch_size, code=code)
    if isinstance(factors, str) or not isinstance(factors, Sequence):
        raise TypeError(f"factors must be a list of factor names from {list(FACTORS)}, got {factors!r}")
    factors = list(factors)
    for f in factors:
        check_in(f, FACTORS, name="sensitivity factor")
    # Saltelli's scheme needs a power of two; SALib only warns (and S1 came out as -0.71 for
    # n_base=3), so polygov refuses instead
    n_base = check_int(n_base, "n_base", minimum=MIN_BASE, power_of_two=True)
    n_weight_sets = check_int(n_weight_sets, "n_weight_sets", minimum=1)
    num_resamples = check_int(num_resamples, "num_resamples", minimum=1)
    per_unit = check_bool(per_unit, "per_unit")
    from ..errors import check_unit_interval

    conf_level = check_unit_interval(conf_level, "conf_level", 0.95)
    _check_levels(spec, noise_levels)
    if len(set(factors)) != len(factors) or not factors:
        raise ValueError(f"factors must be distinct and non-empty, got {factors}")
    if "imputation" in factors and imputations is None:
        raise ValueError("factor 'imputation' needs imputations=[...] (e.g. ['none', 'em'])")
    if "treatment" in factors and treatments is None:
        raise ValueError("factor 'treatment' needs treatments=[...] (e.g. ['none', 'winsorise'])")
    eng = _setup(spec, data, normalisations if "normalisation" in factors else
                 [(spec.normalisation, dict(spec.normalisation_params))],
                 aggregations if "aggregation" in factors else [spec.aggregation],
                 imputations if "imputation" in factors else None, code,
                 treatments if "treatment" in factors else None)
    rng = np.random.default_rng(seed)
    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    X = sobol_sample.sample(problem, n_base, calc_second_order=False,
                            seed=int(rng.integers(2**31)))
    n = len(X)
    X = np.clip(X, 0.0, np.nextafter(1.0, 0.0))

    def pick(f, k):
        return (np.floor(X[:, factors.index(f)] * k).astype(int) if f in factors
                else np.zeros(n, dtype=int))

    imp = pick("imputation", len(eng.imps))
    trt = pick("treatment", len(eng.trts))
    norm = pick("normalisation", len(eng.norms))
    agg = pick("aggregation", len(eng.aggs))
    w0 = _noisy_weights(spec, rng, 1, 0.0, None)[0]
    if "weights" in factors:
        sets = _noisy_weights(spec, rng, n_weight_sets, weight_noise, noise_levels)
        sets[0] = w0
        W = sets[pick("weights", n_weight_sets)]
    else:
        W = np.repeat(w0[None, :], n, axis=0)
    omitted = np.array([""] * n, dtype=object)
    if "leave_one_out" in factors:
        cands = _loo_candidates(spec, eng)
        j = pick("leave_one_out", len(cands) + 1)
        for i, c in enumerate(cands):
            sel = j == i + 1
            W[sel, eng.pos[c]] = 0.0
            omitted[sel] = c
    ua = _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size)
    nominal_rank = ua.summary.set_index(list(eng.index.names))["nominal_rank"].reindex(eng.index)
    R = ua.ranks.to_numpy()
    y = np.nanmean(np.abs(R - nominal_rank.to_numpy()[None, :]), axis=1)
    seed_a = int(rng.integers(2**31))
    Si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                               conf_level=conf_level, seed=seed_a)
    idx = pd.DataFrame({"factor": factors, "S1": Si["S1"], "S1_conf": Si["S1_conf"],
                        "ST": Si["ST"], "ST_conf": Si["ST_conf"]})
    unit_idx = None
    if per_unit:
        rows = []
        for j, u in enumerate(ua.ranks.columns):
            yu = R[:, j]
            if np.isnan(yu).any() or np.var(yu) == 0:
                for f in factors:
                    rows.append(dict(unit=u, factor=f, S1=0.0 if np.var(np.nan_to_num(yu)) == 0
                                     else np.nan, ST=0.0 if np.var(np.nan_to_num(yu)) == 0 else np.nan))
                continue
            s = sobol_analyze.analyze(problem, yu, calc_second_order=False, num_resamples=2,
                                      seed=seed_a)
            for fi, f in enumerate(factors):
                rows.append(dict(unit=u, factor=f, S1=s["S1"][fi], ST=s["ST"][fi]))
        unit_idx = pd.DataFrame(rows)
    samples = pd.DataFrame(X, columns=[f"u_{f}" for f in factors])
    samples = pd.concat([samples, ua.draws.drop(columns=["draw"])], axis=1)
    samples["y"] = y
    return SensitivityResult(indices=idx, unit_indices=unit_idx, samples=samples, uncertainty=ua,
                             output="mean absolute rank shift from the nominal ranks")

