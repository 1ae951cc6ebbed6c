"""Simulation study: power and realised false-discovery rate of the three decision rules.

A labelled simulation with known truth (synthetic data by design): units x indicators
with published-size standard errors, a share ``prevalence`` of which truly declined.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import check_unit_interval
from .multiplicity import bh_qvalues

__all__ = ["simulate_rules", "WGI_SE_QUANTILES"]

#: Deciles (10 %, 20 %, ..., 90 %) of the standard errors published in the WGI 2024 Update
#: (all six dimensions, 1996-2023; computed from ``wgidataset.xlsx`` by
#: ``tests/test_monitor_simulation.py::test_wgi_se_quantiles_match_published``).
WGI_SE_QUANTILES = (0.14, 0.15, 0.17, 0.19, 0.21, 0.22, 0.24, 0.28, 0.35)


def simulate_rules(*, prevalence: Iterable[float] = (0.02, 0.05, 0.10, 0.20, 0.30), n_units: int = 200,
                   n_indicators: int = 6, se: Iterable[float] = WGI_SE_QUANTILES,
                   effect: tuple[float, float] = (1.0, 4.0), q: float = 0.10, alpha: float = 0.05,
                   level: float = 0.90, n_reps: int = 200, seed=None) -> pd.DataFrame:
    """Power and realised false-discovery rate of the FDR, unadjusted and non-overlap rules.

    Each replication draws, for ``n_units x n_indicators`` tests, two years' standard
    errors from ``se`` (with replacement), a true change that is 0 or, for a share
    ``prevalence`` of tests, a decline of ``u`` standard errors of the change with
    ``u ~ Uniform(effect)``, and estimates with normal errors.  The three rules of
    :func:`~polygov.monitor.flag_declines` are applied to the one-sided p-values
    (the FDR rule over the whole family).

    Parameters
    ----------
    prevalence : iterable of float
        Shares of true declines, each in (0, 1).
    n_units, n_indicators : int
        Size of the family (default 200 x 6, about the WGI's).
    se : iterable of float
        Standard errors to draw from (default: deciles of the WGI's published ones).
    effect : (float, float)
        Range of the true declines in units of the change's standard error.
    q, alpha, level : float
        As in :func:`~polygov.monitor.flag_declines`.
    n_reps : int
        Replications per scenario.
    seed : int or Generator, optional

    Returns
    -------
    DataFrame
        One row per prevalence x rule: ``prevalence``, ``rule``, ``power`` (mean
        share of true declines flagged), ``fdr`` (mean false-discovery proportion,
        0 when nothing is flagged), ``fdr_mc_se`` (its Monte Carlo standard error),
        ``flagged`` (mean number of flags), ``true_declines`` (mean number),
        ``n_reps``.

    Notes
    -----
    Realised FDR is the mean over replications of V / max(R, 1), V false flags out of R
    flags (Benjamini and Hochberg 1995).  Under independence BH's FDR equals
    ``(1 - prevalence) q`` exactly, below ``q``.  The non-overlap rule is a
    fixed cut (about z > 2.33 with equal SEs), so its FDR rises as declines get
    rarer.
    """
    prev = [float(p) for p in prevalence]
    if not prev or any(not 0 < p < 1 for p in prev):
        raise ValueError(f"prevalence values must lie in (0, 1); got {prev}")
    se = np.asarray(list(se), dtype=float)
    if se.size == 0 or (se <= 0).any():
        raise ValueError("se must be a non-empty list of positive standard errors")
    lo, hi = effect
    if not 0 <= lo <= hi:
        raise ValueError(f"effect must be a range (low, high) with 0 <= low <= high; got {effect}")
    for name, v in (("n_units", n_units), ("n_indicators", n_indicators), ("n_reps", n_reps)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}")
    q = check_unit_interval(q, "q", 0.10)
    alpha = check_unit_interval(alpha, "alpha", 0.05)
    level = check_unit_interval(level, "level", 0.90)
    rng = np.random.default_rng(seed)
    m = n_units * n_indicators
    zl = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for p in prev:
        s0 = rng.choice(se, size=(n_reps, m))
        s1 = rng.choice(se, size=(n_reps, m))
        sd = np.sqrt(s0**2 + s1**2)
        true = rng.random((n_reps, m)) < p
        delta = np.where(true, -rng.uniform(lo, hi, (n_reps, m)) * sd, 0.0)
        x0 = rng.normal(0.0, s0)
        x1 = delta + rng.normal(0.0, s1)
        z = (x1 - x0) / sd
        pval = special.ndtr(z)
        qv = bh_qvalues(pval.ravel(), np.repeat(np.arange(n_reps), m)).reshape(n_reps, m)
        decisions = {
            "fdr": qv <= q,
            "unadjusted": pval <= alpha,
            "non_overlap": x1 + zl * s1 < x0 - zl * s0,
        }
        n_true = true.sum(axis=1)
        for rule, flag in decisions.items():
            r = flag.sum(axis=1)
            v = (flag & ~true).sum(axis=1)
            fdp = v / np.maximum(r, 1)
            power = (flag & true).sum(axis=1) / np.maximum(n_true, 1)
            rows.append({"prevalence": p, "rule": rule, "power": power[n_true > 0].mean(),
                         "fdr": fdp.mean(), "fdr_mc_se": fdp.std(ddof=1) / np.sqrt(n_reps),
                         "flagged": r.mean(), "true_declines": n_true.mean(), "n_reps": n_reps})
    return pd.DataFrame(rows)
