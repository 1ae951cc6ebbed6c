"""The frozen result of :func:`polygov.latent.ucm`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["UCMResult"]


@dataclass(frozen=True, repr=False)
class UCMResult:
    """Frozen result of :func:`ucm`.

    Attributes
    ----------
    scores : DataFrame
        One row per country(-year) with ``iso3``, the group column (``year``
        unless ``by`` said otherwise; absent when ``by=None``), ``estimate``
        (posterior mean of the latent score g), ``std_error`` (posterior
        standard deviation), ``ci_low``, ``ci_high`` (``level`` interval,
        estimate ± z·std_error), ``n_sources`` (sources used for that row),
        ``percentile_rank``, ``pr_low``, ``pr_high`` (0-100; see
        :func:`percentile_rank`).
    params : DataFrame
        One row per source (and group unless ``pooled``): ``source`` (a
        column, or the name of a composite made with ``groups``),
        ``members`` (the columns behind it, comma-separated), ``direction``
        (+1/-1; for a composite the members' common direction, 0 if they
        differ), ``n_obs`` (values used; 0 where the source was too
        sparse in that group), ``alpha``, ``alpha_se``, ``beta``,
        ``beta_se``, ``sigma2``, ``sigma2_se``, ``error_var``,
        ``signal_to_noise``, ``reliability``, ``weight`` (see :func:`ucm`
        Notes for the formulas; ``*_se`` are asymptotic standard errors from
        the observed information).
    fit : DataFrame
        One row per fitted block (group, or ``"pooled"``): ``n_countries``,
        ``loglik``, ``n_iter``, ``converged``.
    loglik : float
        Maximised log-likelihood, summed over fitted blocks.
    converged : bool
        Whether every block met the tolerance.
    n_iter : int
        EM iterations of the slowest block.
    sources, directions, level, by, pooled, dropped
        The inputs, recorded; ``sources`` are the sources fitted (a composite
        counts once, by its group name); ``dropped`` lists the ``iso3`` (or
        ``"iso3 year"``) rows removed because they had no source.
    members : DataFrame
        One row per input column: ``source`` (the fitted source it belongs
        to), ``member`` (the column), ``direction``.
    """

    scores: pd.DataFrame
    params: pd.DataFrame
    fit: pd.DataFrame
    loglik: float
    converged: bool
    n_iter: int
    sources: tuple[str, ...]
    directions: tuple[int, ...]
    level: float
    by: str | None
    pooled: bool
    dropped: tuple[str, ...] = ()
    members: pd.DataFrame | None = None

    def __repr__(self) -> str:
        n_groups = 1 if self.by is None else self.scores[self.by].nunique()
        mode = "pooled" if self.pooled else ("per " + self.by if self.by else "cross-section")
        n_comp = 0
        if self.members is not None:
            n_comp = int((self.members.groupby("source", sort=False).size() > 1).sum())
        comp = f" ({n_comp} composite)" if n_comp else ""
        return (
            f"UCMResult({len(self.scores)} rows, {n_groups} group(s), "
            f"{len(self.sources)} sources{comp}, {mode}, level={self.level:g}, "
            f"loglik={self.loglik:.4f}, converged={self.converged}, n_iter={self.n_iter}, "
            f"dropped={len(self.dropped)})"
        )

    def tidy(self) -> pd.DataFrame:
        """Return a copy of :attr:`scores`."""
        return self.scores.copy()

    def conf_int(self) -> pd.DataFrame:
        """Return the ``ci_low``/``ci_high`` columns with their keys."""
        keys = ["iso3"] + ([self.by] if self.by else [])
        return self.scores[keys + ["ci_low", "ci_high"]].copy()

