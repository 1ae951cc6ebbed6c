"""The Gaussian posterior of the latent score given the source parameters, and percentile ranks.

Exact for the one-factor model: with parameters fixed, the latent score of a country
has a normal posterior whose mean and variance have closed forms (Woodbury identity).
"""

from __future__ import annotations

import numpy as np

__all__ = ["percentile_rank"]


def _posterior(y, mask, a, b, psi):
    """Posterior mean/variance of g and per-row log-likelihood.

    Arrays: ``y``, ``mask`` (G, N, K) with zeros where missing; ``a``, ``b``,
    ``psi`` (G, K).  Uses the Woodbury identity, so the cost is O(G·N·K).
    """
    r = (y - a[:, None, :]) * mask
    prec_k = b * b / psi  # (G, K)
    prec = 1.0 + np.einsum("gnk,gk->gn", mask, prec_k)
    s = np.einsum("gnk,gk->gn", r, b / psi)
    var = 1.0 / prec
    mean = s * var
    # log N(y_O; a_O, b b' + diag psi) = -1/2 [n log 2pi + sum log psi + log prec
    #                                          + sum r^2/psi - s^2/prec]
    n_obs = mask.sum(axis=2)
    quad = np.einsum("gnk,gk->gn", r * r, 1.0 / psi) - s * s * var
    logdet = np.einsum("gnk,gk->gn", mask, np.log(psi)) + np.log(prec)
    ll = -0.5 * (n_obs * np.log(2 * np.pi) + logdet + quad)
    return mean, var, ll


def percentile_rank(values, reference, *, own=None) -> np.ndarray:
    """Percentile rank of each value among the ``reference`` point estimates (0-100).

    ``100 · #{i : reference_i < value} / (n − 1)``, where ``n`` is the number
    of reference values; when ``own`` (each value's own point estimate, itself
    one of ``reference``) is given, that country is not counted, so the rank
    is the share of the *other* n − 1 countries below the value.  For a
    country's own estimate this is the WGI's percentile rank (0 for the
    lowest, 100 for the highest; tied estimates share the lower rank).
    :func:`ucm` uses it with ``own`` for ``pr_low``/``pr_high``, the ranks of
    the interval bounds.

    Validated against the published WGI 2024 Update (``wgidataset.xlsx``):
    from its ``estimate`` and ``stddev`` columns this reproduces ``pctrank``
    exactly for every untied estimate and ``pctrankupper`` exactly with the
    WGI's z = 1.64; ``pctranklower`` is one rank step lower in the WGI
    (it subtracts the country itself even though its own estimate lies above
    its lower bound), so ``pr_low`` here is one step above (or equal where
    the WGI clips at 0).
    """
    ref = np.sort(np.asarray(reference, dtype=float))
    n = ref.size
    vals = np.asarray(values, dtype=float)
    if n < 2:
        return np.full(vals.shape, np.nan)
    below = np.searchsorted(ref, vals, side="left").astype(float)
    if own is not None:
        below -= np.asarray(own, dtype=float) < vals
    return np.clip(100.0 * below / (n - 1), 0.0, 100.0)
