"""Latent governance scores with margins of error: the unobserved-components model.

Governance is never observed directly; every source (survey, expert rating,
indicator) is a noisy signal of it.  :func:`ucm` combines the sources with the
unobserved-components model (UCM) of the World Bank's Worldwide Governance
Indicators (Kaufmann, Kraay and Mastruzzi 2010) and returns, for every
country(-year), the posterior mean of the latent score, its posterior standard
deviation (the "margin of error"), a confidence interval, the number of
sources used and a percentile rank with its interval.

Helpers answer the questions a margin of error is for:
:func:`prob_greater` (is A really better than B?), :func:`significant_change`
(did a country really change?) and :func:`share_non_overlapping` (how many
pairwise comparisons are informative at all?).  :func:`residual_correlation`
checks the model's assumption of independent errors, and ``ucm(...,
groups=...)`` combines several columns of one provider into one source, as
the WGI do with multi-question sources.

References
----------
Kaufmann, D., Kraay, A. and Mastruzzi, M. (2010). The Worldwide Governance
Indicators: Methodology and Analytical Issues. World Bank Policy Research
Working Paper 5430.  Kaufmann, D. and Kraay, A. (2024). Worldwide Governance
Indicators, 2024 Update: methodology note (www.govindicators.org).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .errors import (
    ConvergenceWarning,
    DataQualityWarning,
    check_columns,
    check_dataframe,
    check_in,
    check_keys,
    check_numeric,
    check_unit_interval,
    close_matches,
)

__all__ = [
    "UCMResult",
    "ucm",
    "prob_greater",
    "significant_change",
    "share_non_overlapping",
    "percentile_rank",
    "residual_correlation",
]

_MIN_SOURCES = 3
_MIN_OBS = 3  # a source needs this many observed values in a block to be used there
_PSI_FLOOR = 1e-8  # floor for the standardised noise variance (Heywood cases)
_HEYWOOD = 1e-4  # warn when a standardised noise variance falls below this


# --------------------------------------------------------------------------- result


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


# --------------------------------------------------------------------------- engine


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


def _em_step(y, mask, row_ok, n_k, theta):
    """One EM update of ``theta = [a, b, log psi]`` (G, 3K); also returns loglik(theta)."""
    K = y.shape[2]
    a, b, psi = theta[:, :K], theta[:, K:2 * K], np.exp(theta[:, 2 * K:])
    mean, var, ll_rows = _posterior(y, mask, a, b, psi)
    ll = np.where(row_ok, ll_rows, 0.0).sum(axis=1)
    # M step: regress y_k on (1, g) using E[g], E[g^2] over the rows that observe k
    eg = mean[:, :, None] * mask
    s1 = eg.sum(axis=1)
    s2 = np.einsum("gn,gnk->gk", mean**2 + var, mask)
    sy = (y * mask).sum(axis=1)
    syg = (y * eg).sum(axis=1)
    active = n_k > 0  # a source not used in a block keeps a = 0, b = 0, psi = 1 there
    n_safe = np.where(active, n_k, 1.0)
    det = np.where(active, n_k * s2 - s1 * s1, 1.0)
    b_new = np.where(active, (n_k * syg - s1 * sy) / det, 0.0)
    a_new = (sy - b_new * s1) / n_safe
    # psi = average E[(y - a - b g)^2 | y]
    resid = (y - a_new[:, None, :] - b_new[:, None, :] * mean[:, :, None]) * mask
    psi_new = ((resid**2).sum(axis=1) + b_new**2 * np.einsum("gn,gnk->gk", var, mask)) / n_safe
    psi_new = np.where(active, np.maximum(psi_new, _PSI_FLOOR), 1.0)
    return np.concatenate([a_new, b_new, np.log(psi_new)], axis=1), ll


def _loglik(y, mask, row_ok, theta):
    K = y.shape[2]
    _, _, ll_rows = _posterior(y, mask, theta[:, :K], theta[:, K:2 * K], np.exp(theta[:, 2 * K:]))
    return np.where(row_ok, ll_rows, 0.0).sum(axis=1)


def _score(y, mask, theta):
    """Gradient of the log-likelihood w.r.t. ``theta = [a, b, log psi]`` (G, 3K).

    By Fisher's identity it equals the posterior expectation of the
    complete-data score, which is available in closed form.
    """
    K = y.shape[2]
    a, b, psi = theta[:, :K], theta[:, K:2 * K], np.exp(theta[:, 2 * K:])
    mean, var, _ = _posterior(y, mask, a, b, psi)
    r = (y - a[:, None, :]) * mask
    e = r - b[:, None, :] * mean[:, :, None] * mask  # E[y - a - b g] on observed cells
    ga = e.sum(axis=1) / psi
    eg2 = np.einsum("gn,gnk->gk", mean**2 + var, mask)
    gb = ((r * mean[:, :, None]).sum(axis=1) - b * eg2) / psi
    n_k = mask.sum(axis=1)
    ee2 = (e * e).sum(axis=1) + b**2 * np.einsum("gn,gnk->gk", var, mask)
    glp = -0.5 * n_k + 0.5 * ee2 / psi  # d/d log psi
    return np.concatenate([ga, gb, glp], axis=1)


def _covariance(y, mask, theta, step=1e-5):
    """Inverse observed information of ``theta`` per block, by central differences of the
    analytic score (NaN where the information is singular, e.g. a Heywood case, and for
    sources not used in a block)."""
    G, P = theta.shape
    active = np.tile(mask.sum(axis=1) > 0, 3)  # (G, 3K)
    hess = np.empty((G, P, P))
    for i in range(P):
        d = np.zeros(P)
        d[i] = step
        hess[:, :, i] = (_score(y, mask, theta + d) - _score(y, mask, theta - d)) / (2 * step)
    info = -0.5 * (hess + np.transpose(hess, (0, 2, 1)))
    cov = np.full((G, P, P), np.nan)
    for g in range(G):
        act = np.flatnonzero(active[g])
        sub = info[g][np.ix_(act, act)]
        try:
            w = np.linalg.eigvalsh(sub)
            if w.min() > 1e-10 * max(w.max(), 1.0):
                cov[g][np.ix_(act, act)] = np.linalg.inv(sub)
        except np.linalg.LinAlgError:  # pragma: no cover - defensive
            pass
    return cov


def _start(y, mask, row_ok):
    """Starting values from the leading eigenvector of the pairwise correlations."""
    G, _, K = y.shape
    b = np.full((G, K), 0.7)
    for g in range(G):
        m = mask[g][row_ok[g]]
        yy = y[g][row_ok[g]]
        cnt = m.T @ m
        c = (yy.T @ yy) / np.maximum(cnt, 1)
        c = np.where(cnt >= 3, c, 0.0)
        np.fill_diagonal(c, 1.0)
        w, v = np.linalg.eigh(c)
        lead = v[:, -1] * np.sqrt(max(w[-1], 1e-6))
        lead = lead if lead.sum() >= 0 else -lead
        b[g] = np.clip(lead, 0.05, 0.95)
    active = mask.sum(axis=1) > 0
    b = np.where(active, b, 0.0)
    psi = np.where(active, np.maximum(1.0 - b**2, 0.05), 1.0)
    return np.concatenate([np.zeros((G, K)), b, np.log(psi)], axis=1)


def _natural(theta, K):
    return np.concatenate([theta[:, :2 * K], np.exp(theta[:, 2 * K:])], axis=1)


def _em(y, mask, row_ok, *, max_iter, tol):
    """EM with SQUAREM acceleration, vectorised over G stacked blocks.

    ``y`` is standardised per block and source (zeros where missing).  EM for
    the one-factor model converges linearly and very slowly when one source
    is much more precise than the others; SQUAREM (Varadhan and Roland 2008,
    scheme S3, with a monotonicity safeguard: a step that lowers the
    likelihood is replaced by the plain EM step) restores fast convergence.
    ``n_iter`` counts EM-map evaluations.  Returns a, b, psi (G, K),
    per-block loglik (G,), iterations (G,), converged (G,).
    """
    G, _, K = y.shape
    n_k = mask.sum(axis=1)
    theta = _start(y, mask, row_ok)
    n_iter = np.zeros(G, dtype=int)
    done = np.zeros(G, dtype=bool)
    ll_old = np.full(G, -np.inf)
    evals = 0
    while evals < max_iter:
        act = ~done
        ys, ms, ok, nk = y[act], mask[act], row_ok[act], n_k[act]
        th0 = theta[act]
        th1, ll0 = _em_step(ys, ms, ok, nk, th0)
        th2, _ = _em_step(ys, ms, ok, nk, th1)
        r = th1 - th0
        v = th2 - th1 - r
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = -np.sqrt((r * r).sum(axis=1) / (v * v).sum(axis=1))
        alpha = np.where(np.isfinite(alpha), np.clip(alpha, -100.0, -1.0), -1.0)[:, None]
        th_acc = th0 - 2 * alpha * r + alpha**2 * v
        th_acc, ll_acc = _em_step(ys, ms, ok, nk, th_acc)  # stabilising EM step
        th_em, ll_em = _em_step(ys, ms, ok, nk, th2)
        good = np.isfinite(ll_acc) & np.all(np.isfinite(th_acc), axis=1) & (ll_acc >= ll_em - 1e-12)
        th_new = np.where(good[:, None], th_acc, th_em)
        ll_new = np.where(good, ll_acc, ll_em)  # loglik of the point the last step started from
        evals += 4
        # convergence on the natural scale (a, b, psi): near a Heywood boundary log psi keeps
        # drifting while psi itself has stopped moving
        delta = np.abs(_natural(th_new, K) - _natural(th0, K)).max(axis=1)
        conv = (delta < tol) & (np.abs(ll_new - ll0) < tol * (1.0 + np.abs(ll_new)))
        idx = np.flatnonzero(act)
        theta[idx] = th_new
        ll_old[idx] = ll_new
        n_iter[idx[conv]] = evals
        done[idx[conv]] = True
        if done.all():
            break
    n_iter[~done] = evals
    ll = _loglik(y, mask, row_ok, theta)
    a, b, psi = theta[:, :K], theta[:, K:2 * K], np.exp(theta[:, 2 * K:])
    return a, b, psi, ll, n_iter, done


# --------------------------------------------------------------------------- public


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


def _exclude_sparse(df: pd.DataFrame, sources: list[str], *, by: str | None) -> pd.DataFrame:
    """Blank sources with fewer than three values in a block; require three usable sources."""
    if by is None:
        counts = df[sources].count().to_frame("all").T
    else:
        counts = df.groupby(by, sort=True)[sources].count()
    sparse = counts < _MIN_OBS
    if not sparse.to_numpy().any():
        return df
    out = df.copy()
    notes = []
    for grp, row in sparse.iterrows():
        cols = [s for s in sources if row[s]]
        if not cols:
            continue
        if by is not None:
            out.loc[out[by] == grp, cols] = np.nan
        else:
            out[cols] = np.nan
        where = f" in {by} {grp}" if by is not None else ""
        usable = [s for s in sources if not row[s]]
        if len(usable) < _MIN_SOURCES:
            raise ValueError(
                f"only {len(usable)} source(s) {usable} have at least {_MIN_OBS} observed values"
                f"{where}; ucm needs {_MIN_SOURCES} (too sparse: "
                f"{ {s: int(counts.loc[grp, s]) for s in cols} }); drop that {by or 'fit'} "
                "or add sources"
            )
        notes.append(", ".join(f"{s}{where} ({int(counts.loc[grp, s])} values)" for s in cols))
    warnings.warn(
        f"source(s) with fewer than {_MIN_OBS} observed values were not used where too sparse: "
        f"{'; '.join(notes[:20])}{' …' if len(notes) > 20 else ''}; their params are NaN there",
        DataQualityWarning,
        stacklevel=3,
    )
    return out


def _check_directions(directions, sources) -> dict[str, int]:
    if directions is None:
        return dict.fromkeys(sources, 1)
    if isinstance(directions, Mapping):
        unknown = [k for k in directions if k not in sources]
        if unknown:
            raise KeyError(
                f"directions given for {unknown}, which are not in sources {list(sources)}"
            )
        dirs = {s: directions.get(s, 1) for s in sources}
    else:
        directions = list(directions)
        if len(directions) != len(sources):
            raise ValueError(
                f"directions has {len(directions)} entries but there are {len(sources)} sources "
                f"{list(sources)}; pass one +1/-1 per source or a dict keyed by source"
            )
        dirs = dict(zip(sources, directions, strict=True))
    bad = {k: v for k, v in dirs.items() if v not in (1, -1)}
    if bad:
        raise ValueError(f"directions must be +1 or -1; got {bad}")
    return {k: int(v) for k, v in dirs.items()}


def _check_groups(groups, sources: list[str], keys: list[str]) -> list[tuple[str, list[str]]]:
    """Validate ``groups``; return the fitted sources as ``(name, members)`` in ``sources`` order."""
    if groups is None:
        return [(s, [s]) for s in sources]
    if not isinstance(groups, Mapping):
        raise TypeError(
            f"groups must be a dict mapping a provider name to its source columns, e.g. "
            f"{{'wjp': ['pf_rol_procedural', 'pf_rol_civil']}}; got {type(groups).__name__}"
        )
    owner: dict[str, str] = {}
    clean: dict[str, list[str]] = {}
    for name, members in groups.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"groups keys must be non-empty strings (the composite's name); got {name!r}")
        if isinstance(members, str) or not isinstance(members, Sequence | set | frozenset | tuple):
            raise TypeError(
                f"groups[{name!r}] must be a list of source columns, got {members!r}"
                + (f"; write [{members!r}]" if isinstance(members, str) else "")
            )
        members = list(members)
        if not members:
            raise ValueError(f"groups[{name!r}] is empty; list at least one source column")
        dup = sorted({m for m in members if members.count(m) > 1})
        if dup:
            raise ValueError(f"groups[{name!r}] lists {dup} more than once")
        unknown = [m for m in members if m not in sources]
        if unknown:
            hints = []
            for m in unknown:
                near = close_matches(m, sources)
                if near:
                    hints.append(f"{m!r} -> did you mean {', '.join(map(repr, near))}?")
            raise KeyError(
                f"groups[{name!r}] lists {unknown}, which are not in sources {sources}; every "
                "grouped column must also be listed in sources" + (" " + "; ".join(hints) if hints else "")
            )
        for m in members:
            if m in owner:
                raise ValueError(
                    f"source {m!r} is in two groups, {owner[m]!r} and {name!r}; a column can "
                    "belong to one provider only"
                )
            owner[m] = name
        clean[name] = members
    for name, members in clean.items():
        if name in keys:
            raise ValueError(f"group name {name!r} is a key column of data ({keys}); rename the group")
        if name in sources and (name not in members or len(members) > 1):
            raise ValueError(
                f"group name {name!r} is also a source column"
                + ("" if name in members else f" (not a member of group {name!r})")
                + "; name the composite differently from the columns, e.g. "
                f"{name + '_composite'!r}"
            )
    fitted: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for s in sources:
        name = owner.get(s, s)
        if name not in seen:
            seen.add(name)
            fitted.append((name, clean.get(name, [s]) if s in owner else [s]))
    return fitted


def _combine(df: pd.DataFrame, fitted, *, block: str | None) -> pd.DataFrame:
    """One column per fitted source: a group of several columns becomes the mean of its
    members' values standardised within ``block`` (``None``: over all rows); a column with
    fewer than three values in a block is set aside there (with a warning)."""
    keys = [c for c in df.columns if c not in {m for _, ms in fitted for m in ms}]
    out = df[keys].copy()
    notes = []
    for name, members in fitted:
        if len(members) == 1:
            out[name] = df[members[0]]
            continue
        x = df[members]
        grp = x.groupby(df[block], sort=True) if block is not None else x.groupby(np.zeros(len(x)))
        n = grp.transform("count")
        mu = grp.transform("mean")
        sd = grp.transform(lambda v: v.std(ddof=0))
        sparse = (n < _MIN_OBS) & x.notna()
        if sparse.to_numpy().any():
            for m in members:
                if sparse[m].any():
                    where = (f" in {block} {sorted(df.loc[sparse[m], block].unique().tolist())}"
                             if block is not None else "")
                    notes.append(f"{m} of group {name!r}{where}")
            x = x.mask(sparse)
        flat = (n >= _MIN_OBS) & ~(sd > 1e-12 * np.maximum(1.0, mu**2))
        if flat.to_numpy().any():
            bad = {m: (sorted(df.loc[flat[m], block].unique().tolist()) if block else "all rows")
                   for m in members if flat[m].any()}
            raise ValueError(
                f"member(s) of group {name!r} have no variance (every country has the same "
                f"value): {bad}; a constant carries no information: drop it from the group"
            )
        out[name] = ((x - mu) / sd).mean(axis=1, skipna=True)
    if notes:
        warnings.warn(
            f"group member(s) with fewer than {_MIN_OBS} observed values cannot be standardised "
            f"and were left out of their composite there: {'; '.join(notes[:20])}"
            f"{' …' if len(notes) > 20 else ''}",
            DataQualityWarning,
            stacklevel=3,
        )
    return out


def ucm(
    data: pd.DataFrame,
    *,
    sources: Sequence[str],
    directions: Sequence[int] | Mapping[str, int] | None = None,
    by: str | None = "year",
    pooled: bool = False,
    level: float = 0.90,
    max_iter: int = 5000,
    tol: float = 1e-7,
    on_empty: str = "raise",
    groups: Mapping[str, Sequence[str]] | None = None,
) -> UCMResult:
    """Fit the unobserved-components model and return latent scores with margins of error.

    Parameters
    ----------
    data : DataFrame
        Tidy panel with ``iso3``, the ``by`` column (unless ``by=None``) and
        one numeric column per source.  Missing values (NaN) are allowed;
        infinite values are not.
    sources : sequence of str
        Source columns; at least three (see Notes).
    directions : sequence of +1/-1 or dict, optional
        Orientation of each source: −1 flips a source where higher means worse
        governance (e.g. a corruption-perception score) before fitting.
        Default: all +1.  Recorded in ``params['direction']``.
    by : str or None, default "year"
        Group column.  Each group is a separate cross-section with its own
        parameters (as the WGI fit each year separately) unless ``pooled``.
        ``None``: ``data`` is one cross-section keyed by ``iso3`` alone.
    pooled : bool, default False
        Fit one set of source parameters to all groups at once (g ~ N(0, 1)
        over all country-years); scores stay country-year specific and, unlike
        per-group fits, are on a common scale, so world-wide trends show.
    level : float, default 0.90
        Coverage of ``ci_low``/``ci_high`` (the WGI publish 90 % intervals).
    max_iter, tol : int, float
        EM stops when, in every group, the largest change of the standardised
        parameters and the relative change in log-likelihood are below ``tol``.
    on_empty : {"raise", "drop"}, default "raise"
        What to do with rows (countries, or country-years) that have none of
        the sources (after sources too sparse in a group are set aside):
        ``"raise"`` a ValueError naming them, or ``"drop"`` them with a
        :class:`~polygov.errors.DataQualityWarning` that names them (they are
        listed in ``result.dropped``).
    groups : dict of str -> list of str, optional
        Columns that come from one provider and so share its errors, e.g.
        ``{"wjp": ["pf_rol_procedural", "pf_rol_civil", "pf_rol_criminal"]}``.
        Each group becomes one composite source named by its key: its members
        (which must also be listed in ``sources``) are standardised within each
        fitted group of rows (each ``by`` value; all rows when ``pooled`` or
        ``by=None``) over their observed values (mean 0, SD 1, ``ddof=0``) and
        averaged over the members a country has.  A group of one column passes
        it through unchanged (renamed to the group's name).  Columns in no
        group are sources of their own.  ``n_sources`` then counts providers;
        ``params['members']`` and ``result.members`` list the columns behind
        each source.  See Notes and :func:`residual_correlation`.

    Returns
    -------
    UCMResult
        ``.scores`` (``iso3``, group, ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``n_sources``, ``percentile_rank``, ``pr_low``,
        ``pr_high``), ``.params``, ``.fit``, ``.loglik``, ``.converged``,
        ``.n_iter``.

    Raises
    ------
    ValueError
        Fewer than three sources (overall, after ``groups``, or usable in a
        group); a column in two ``groups``; a group member without variance; a source
        that is constant in a group (named with the group); non-finite values;
        rows with no observed source when ``on_empty="raise"`` (named).
    KeyError
        A missing column; a ``groups`` member that is not in ``sources``.
    TypeError
        ``groups`` not a dict of lists.

    Warns
    -----
    DataQualityWarning
        A source with fewer than three values in a group is not used in that
        group (named with the group; its params are NaN there); with
        ``on_empty="drop"``, rows with no observed source are dropped and
        listed; a source whose noise variance collapses to ~0 (Heywood case)
        is named; a group member with fewer than three values in a group of
        rows is left out of its composite there (named).
    ConvergenceWarning
        EM stopped at ``max_iter`` in some group.

    Notes
    -----
    Model (Kaufmann, Kraay and Mastruzzi 2010, eq. 1).  For country j and
    source k, after applying the direction,

    .. math:: y_{jk} = \\alpha_k + \\beta_k (g_j + \\varepsilon_{jk}),\\quad
              g_j \\sim N(0, 1),\\quad \\varepsilon_{jk} \\sim N(0, \\sigma_k^2),

    errors independent across sources and countries.  Equivalently
    ``y = alpha + beta·g + e`` with ``Var(e) = error_var = beta²·sigma2`` (the
    parametrisation used internally).  ``sigma2`` is the noise variance in
    units of the latent score; ``signal_to_noise = 1 / sigma2``;
    ``reliability = 1 / (1 + sigma2)`` = the share of the source's variance
    due to g (its squared correlation with g).

    Estimation: maximum likelihood by EM, vectorised over countries and over
    groups (all groups are stacked in one array and iterated together), on
    sources standardised within the block; parameters are transformed back to
    source units.  Missing sources contribute nothing to the likelihood
    (missing at random).  The sign of g is fixed so that the loadings sum to a
    positive number: apply ``directions`` so that every source points the
    same way.  A one-factor model needs three sources to identify the noise
    variances (two sources give 3 moments for 4 parameters), hence the minimum
    of three.

    Posterior for country j with observed sources O_j (exact, Gaussian):

    .. math:: E[g_j|y] = \\sum_{k\\in O_j} w_{jk} \\frac{y_{jk}-\\alpha_k}{\\beta_k},\\quad
              w_{jk} = \\frac{\\sigma_k^{-2}}{1 + \\sum_{m\\in O_j}\\sigma_m^{-2}},\\quad
              SD[g_j|y] = \\Big(1 + \\sum_{k\\in O_j}\\sigma_k^{-2}\\Big)^{-1/2}.

    ``params['weight']`` is w_k for a country observed by every source.
    Standard errors of the parameters (``alpha_se``, ``beta_se``,
    ``sigma2_se``) come from the inverse observed information (Hessian by
    central differences of the closed-form score, Fisher's identity) and the
    delta method; NaN when the information is singular.  The
    interval is ``estimate ± z_{(1+level)/2} · std_error``; parameter
    uncertainty is ignored, as in the WGI.  Percentile ranks are computed
    within each group by :func:`percentile_rank`.

    Missing-data rule: missing values are skipped (each country uses the
    sources it has; ``n_sources`` says how many).  A source with fewer than
    three values in a group (e.g. a survey that starts later) is not used in
    that group.  A row with no usable source has no information: by default
    it is an error naming the rows (filter them out, or pass
    ``on_empty="drop"`` to drop them with a
    :class:`~polygov.errors.DataQualityWarning` that lists them); a row with
    one source gets a score with a wide interval.

    Correlated errors and ``groups``.  The model assumes that sources err
    independently.  Several columns from one provider (the three World
    Justice Project sub-indices in the HFI, the questions of one survey)
    share the provider's errors; treated as separate sources, their
    agreement is mistaken for signal, they get too much weight and the
    margins of error are too narrow.  The WGI therefore average the questions
    of a multi-question source into one indicator per source before fitting
    (Kaufmann, Kraay and Mastruzzi 2010, section 3); ``groups`` does the same.
    A composite observed on only some of its members is noisier than one
    observed on all, which the model (one noise variance per source) does not
    see.  :func:`residual_correlation` shows which sources' residuals
    correlate and should be grouped.

    Validated against: simulations with known truth (correlation with the
    true latent ≥ 0.95, 90 % interval coverage within 88-92 % over 200
    replications, noise variances recovered); a brute-force numerical
    posterior by quadrature (agreement to 1e-8); a simulation in which three
    of six sources share an error component (ungrouped 90 % intervals cover
    0.47, grouped 0.88, as a correctly specified
    fit does at that sample size); see ``tests/test_latent.py``.

    Examples
    --------
    >>> import polygov as pg
    >>> hfi = pg.data.load("hfi")                                  # doctest: +SKIP
    >>> res = pg.latent.ucm(hfi, sources=["pf_rol_procedural", "pf_rol_civil",
    ...     "ef_legal_judicial", "ef_legal_courts", "ef_legal_protection"],
    ...     on_empty="drop")   # HFI has country-years with none of them  # doctest: +SKIP
    >>> res.scores.head()                                          # doctest: +SKIP
    """
    check_dataframe(data)
    if isinstance(sources, str):
        sources = [sources]
    sources = list(sources)
    if len(set(sources)) != len(sources):
        dup = sorted({s for s in sources if sources.count(s) > 1})
        raise ValueError(f"sources listed more than once: {dup}")
    keys = ["iso3"] + ([by] if by is not None else [])
    fitted = _check_groups(groups, sources, keys)
    if len(fitted) < _MIN_SOURCES:
        got = (f"{len(sources)} ({sources})" if groups is None else
               f"{len(fitted)} after grouping ({ {n: m for n, m in fitted} })")
        raise ValueError(
            f"ucm needs at least {_MIN_SOURCES} sources, got {got}: the "
            "latent score is what sources have in common, and with two sources the noise "
            "variances are not identified (3 moments, 4 parameters); add sources"
        )
    level = check_unit_interval(level, "level", 0.90)
    check_in(on_empty, ("raise", "drop"), name="on_empty")
    if max_iter < 1 or not tol > 0:
        raise ValueError(f"max_iter must be >= 1 and tol > 0; got max_iter={max_iter}, tol={tol}")
    check_columns(data, keys + sources)
    check_keys(
        data, keys,
        name="data" if by is not None else "data (by=None: one row per iso3; pass by='year' "
        "for a panel)",
    )
    check_numeric(data, sources)
    dirs = _check_directions(directions, sources)

    df = data[keys + sources].copy()
    for s in sources:
        df[s] = df[s].astype(float) * dirs[s]
    members = pd.DataFrame(
        [(n, m, dirs[m]) for n, ms in fitted for m in ms], columns=["source", "member", "direction"]
    )
    src_dir = {}
    for n, ms in fitted:
        d = {dirs[m] for m in ms}
        src_dir[n] = d.pop() if len(d) == 1 else 0
    src_members = {n: ", ".join(ms) for n, ms in fitted}
    sources = [n for n, _ in fitted]
    df = _combine(df, fitted, block=None if (by is None or pooled) else by)
    df = _exclude_sparse(df, sources, by=None if (by is None or pooled) else by)
    empty = df[sources].isna().all(axis=1)
    dropped: tuple[str, ...] = ()
    if empty.any():
        bad = df.loc[empty, keys]
        dropped = tuple(
            " ".join(str(v) for v in row) for row in bad.itertuples(index=False, name=None)
        )
        if on_empty == "raise":
            raise ValueError(
                f"{len(dropped)} row(s) have none of the {len(sources)} sources "
                f"({', '.join(sources[:6])}{' …' if len(sources) > 6 else ''}), so they have no "
                f"score: {', '.join(dropped[:20])}{' …' if len(dropped) > 20 else ''}. Drop them "
                "from data (e.g. data[data[sources].notna().any(axis=1)]) or pass "
                "on_empty='drop' to drop them with a warning"
            )
        warnings.warn(
            f"{len(dropped)} row(s) have none of the {len(sources)} sources and were dropped: "
            f"{', '.join(dropped[:20])}{' …' if len(dropped) > 20 else ''}",
            DataQualityWarning,
            stacklevel=2,
        )
        df = df.loc[~empty]
    if df.empty:
        raise ValueError("no row has any observed source")
    df = df.sort_values(keys, kind="mergesort").reset_index(drop=True)

    if by is None:
        group_of_row = np.zeros(len(df), dtype=int)
        group_labels = [None]
    else:
        codes, uniques = pd.factorize(df[by], sort=True)
        group_of_row = codes
        group_labels = list(uniques)
    block_of_row = np.zeros(len(df), dtype=int) if pooled else group_of_row
    block_labels = ["pooled"] if pooled else group_labels

    raw = df[sources].to_numpy(dtype=float)
    B, K = len(block_labels), len(sources)
    counts = np.bincount(block_of_row, minlength=B)
    N = int(counts.max())
    pos = np.zeros(len(df), dtype=int)
    for blk in range(B):  # position of each row within its block
        idx = np.flatnonzero(block_of_row == blk)
        pos[idx] = np.arange(idx.size)
    Y = np.zeros((B, N, K))
    M = np.zeros((B, N, K))
    Y[block_of_row, pos] = np.nan_to_num(raw)
    M[block_of_row, pos] = ~np.isnan(raw)
    row_ok = np.zeros((B, N), dtype=bool)
    row_ok[block_of_row, pos] = True

    # per block/source checks and standardisation
    n_k = M.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (Y * M).sum(axis=1) / n_k
        var = (((Y - mu[:, None, :]) * M) ** 2).sum(axis=1) / n_k
    for blk in range(B):
        where = "" if block_labels[blk] in (None, "pooled") else f" in {by} {block_labels[blk]}"
        flat = [s for k, s in enumerate(sources)
                if n_k[blk, k] > 0 and not var[blk, k] > 1e-12 * max(1.0, mu[blk, k] ** 2)]
        if flat:
            raise ValueError(
                f"source(s) {flat} have no variance{where} (every country has the same value, "
                f"e.g. {[float(mu[blk, sources.index(s)]) for s in flat]}); a constant carries no "
                "information about the latent score: drop it from sources"
            )
    used = n_k > 0
    mu = np.where(used, mu, 0.0)
    sd = np.where(used, np.sqrt(var), 1.0)
    Z = (Y - mu[:, None, :]) / sd[:, None, :] * M

    a, b, psi, ll, n_iter, done = _em(Z, M, row_ok, max_iter=max_iter, tol=tol)
    # fix the sign: loadings sum positive
    flip = np.where(b.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    b = b * flip
    mean, pvar, _ = _posterior(Z, M, a, b, psi)
    theta = np.concatenate([a, b, np.log(psi)], axis=1)
    cov = _covariance(Z, M, theta)
    var_a = cov[:, np.arange(K), np.arange(K)]
    var_b = cov[:, np.arange(K, 2 * K), np.arange(K, 2 * K)]
    var_lp = cov[:, np.arange(2 * K, 3 * K), np.arange(2 * K, 3 * K)]
    cov_blp = cov[:, np.arange(K, 2 * K), np.arange(2 * K, 3 * K)]
    # delta method for sigma2 = psi / b^2: gradient (-2 psi / b^3, psi / b^2) in (b, log psi)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b, d_lp = -2 * psi / b**3, psi / b**2
    var_s2 = d_b**2 * var_b + d_lp**2 * var_lp + 2 * d_b * d_lp * cov_blp

    if not done.all():
        bad = [str(block_labels[i]) for i in np.flatnonzero(~done)]
        warnings.warn(
            f"EM did not converge within max_iter={max_iter} (tol={tol:g}) for "
            + ("the pooled fit" if pooled or by is None else f"{by} {', '.join(bad)}")
            + "; raise max_iter or loosen tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    heyw = np.argwhere(psi / (b**2 + psi) < _HEYWOOD)
    if heyw.size:
        names = sorted({f"{sources[k]}" + ("" if block_labels[g] in (None, "pooled")
                                            else f" ({by} {block_labels[g]})") for g, k in heyw})
        warnings.warn(
            f"noise variance of {', '.join(names)} collapsed to ~0 (Heywood case): the latent "
            "score is then almost that source alone and its margin of error is ~0; check for "
            "a source that is a copy or aggregate of the others",
            DataQualityWarning,
            stacklevel=2,
        )

    # ---- scores
    est = mean[block_of_row, pos]
    se = np.sqrt(pvar[block_of_row, pos])
    z = stats.norm.ppf(0.5 + level / 2)
    scores = df[keys].copy()
    scores["estimate"] = est
    scores["std_error"] = se
    scores["ci_low"] = est - z * se
    scores["ci_high"] = est + z * se
    scores["n_sources"] = M[block_of_row, pos].sum(axis=1).astype(int)
    pr = np.empty(len(df))
    prl = np.empty(len(df))
    prh = np.empty(len(df))
    for grp in range(len(group_labels)):
        idx = np.flatnonzero(group_of_row == grp)
        ref = est[idx]
        pr[idx] = percentile_rank(ref, ref)
        prl[idx] = percentile_rank(est[idx] - z * se[idx], ref, own=ref)
        prh[idx] = percentile_rank(est[idx] + z * se[idx], ref, own=ref)
    scores["percentile_rank"] = pr
    scores["pr_low"] = prl
    scores["pr_high"] = prh

    # ---- params, back in source units: y = mu + sd*(a + b g + e)
    nan = np.where(used, 1.0, np.nan)  # parameters of a source not used in a block
    alpha = (mu + sd * a) * nan
    beta = sd * b * nan
    error_var = sd**2 * psi * nan
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = psi / b**2 * nan
    rows = []
    for blk in range(B):
        inv = 1.0 / sigma2[blk]
        inv_total = np.nansum(inv)
        for k, s in enumerate(sources):
            rec = {} if block_labels[blk] in (None, "pooled") else {by: block_labels[blk]}
            rec.update(
                source=s,
                members=src_members[s],
                direction=src_dir[s],
                n_obs=int(n_k[blk, k]),
                alpha=alpha[blk, k],
                alpha_se=sd[blk, k] * np.sqrt(var_a[blk, k]),
                beta=beta[blk, k],
                beta_se=sd[blk, k] * np.sqrt(var_b[blk, k]),
                sigma2=sigma2[blk, k],
                sigma2_se=np.sqrt(var_s2[blk, k]),
                error_var=error_var[blk, k],
                signal_to_noise=inv[k],
                reliability=1.0 / (1.0 + sigma2[blk, k]),
                weight=inv[k] / (1.0 + inv_total),
            )
            rows.append(rec)
    params = pd.DataFrame(rows)
    fit = pd.DataFrame(
        {
            "block": [str(x) if x is not None else "all" for x in block_labels],
            "n_countries": counts,
            "loglik": ll,
            "n_iter": n_iter,
            "converged": done,
        }
    )
    return UCMResult(
        scores=scores,
        params=params,
        fit=fit,
        loglik=float(ll.sum()),
        converged=bool(done.all()),
        n_iter=int(n_iter.max()),
        sources=tuple(sources),
        directions=tuple(src_dir[s] for s in sources),
        level=float(level),
        by=by,
        pooled=bool(pooled),
        dropped=dropped,
        members=members,
    )


# --------------------------------------------------------------------------- helpers


def _row(result: UCMResult, iso3: str, year) -> pd.Series:
    sc = result.scores
    sel = sc["iso3"] == iso3
    where = f"iso3 {iso3!r}"
    if result.by is not None:
        if year is None:
            raise ValueError(
                f"result is by {result.by!r}; pass {result.by}=... (available: "
                f"{sorted(sc[result.by].unique().tolist())[:10]})"
            )
        groups = sc[result.by].unique().tolist()
        if year not in groups:
            same = [g for g in groups if str(g) == str(year)]
            hint = (f"; {result.by} values are {type(same[0]).__name__}s: pass "
                    f"{result.by}={same[0]!r}, not {year!r}" if same else "")
            shown = sorted(groups, key=str)
            raise KeyError(
                f"{result.by} {year!r} is not in the result ({len(groups)} {result.by}s: "
                f"{', '.join(map(repr, shown[:10]))}{' …' if len(shown) > 10 else ''}){hint}"
            )
        sel &= sc[result.by] == year
        where += f" in {result.by} {year!r}"
    hit = sc.loc[sel]
    if hit.empty:
        avail = sorted(sc["iso3"].unique().tolist())
        from .errors import close_matches

        near = close_matches(iso3, avail)
        hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
        dropped = " (it was dropped: no source)" if any(
            d.split(" ")[0] == iso3 for d in result.dropped) else ""
        raise KeyError(f"no score for {where}{dropped}.{hint}")
    return hit.iloc[0]


def prob_greater(result: UCMResult, a: str, b: str, *, year=None) -> float:
    """Probability that country ``a``'s latent governance exceeds country ``b``'s.

    ``P(g_a > g_b) = Φ((m_a − m_b) / sqrt(s_a² + s_b²))`` with posterior means
    m and standard deviations s from ``result.scores``.

    Notes
    -----
    Treats the two posteriors as independent normals.  Given the estimated
    parameters this is exact for two different countries (their errors are
    independent); it ignores the uncertainty in the parameters themselves and
    the correlation that shared parameter estimates induce, as the WGI's own
    comparisons do.
    """
    ra, rb = _row(result, a, year), _row(result, b, year)
    d = ra["estimate"] - rb["estimate"]
    s = np.hypot(ra["std_error"], rb["std_error"])
    return float(stats.norm.cdf(d / s))


def significant_change(result: UCMResult, iso3: str, year_from, year_to, *,
                       level: float = 0.90) -> pd.Series:
    """Test whether a country's latent score changed between two years.

    Returns a Series with ``estimate`` (change, to − from), ``std_error``,
    ``statistic`` (z), ``p_value`` (two-sided), ``ci_low``, ``ci_high`` and
    ``significant`` (p < 1 − level).

    Notes
    -----
    The two posteriors are treated as independent, ``se = sqrt(s_from² +
    s_to²)``.  A source's errors are usually positively correlated over time
    (same experts, same method); that makes the true standard error of a
    change smaller than this one, so the test is conservative, and the
    parameter uncertainty it ignores works the other way: read borderline
    cases with care.  Changes are meaningful on
    a common scale: with per-year fits each year is re-normalised to mean 0,
    SD 1, so a change is relative to the world; fit with ``pooled=True`` to
    keep world-wide trends.
    """
    if result.by is None:
        raise ValueError("significant_change needs a result fitted by year (by='year')")
    level = check_unit_interval(level, "level", 0.90)
    r0, r1 = _row(result, iso3, year_from), _row(result, iso3, year_to)
    d = r1["estimate"] - r0["estimate"]
    s = float(np.hypot(r0["std_error"], r1["std_error"]))
    zstat = d / s
    p = float(2 * stats.norm.sf(abs(zstat)))
    zc = stats.norm.ppf(0.5 + level / 2)
    return pd.Series(
        {
            "iso3": iso3,
            "year_from": year_from,
            "year_to": year_to,
            "estimate": float(d),
            "std_error": s,
            "statistic": float(zstat),
            "p_value": p,
            "ci_low": float(d - zc * s),
            "ci_high": float(d + zc * s),
            "significant": bool(p < 1 - level),
        }
    )


def share_non_overlapping(result: UCMResult, *, year=None) -> float:
    """Share of country pairs whose ``ci_low``–``ci_high`` intervals do not overlap.

    Computed over all unordered pairs of countries in ``year`` (or the whole
    cross-section when the result has no group).  Non-overlap of two 90 %
    intervals is a conservative test of a difference (it corresponds to a
    much higher confidence level than 90 % for the difference itself; see
    :func:`prob_greater`).
    """
    sc = result.scores
    if result.by is not None:
        if year is None:
            raise ValueError(f"result is by {result.by!r}; pass year=...")
        sc = sc.loc[sc[result.by] == year]
        if sc.empty:
            raise KeyError(
                f"no scores for {result.by} {year!r}; available: "
                f"{sorted(result.scores[result.by].unique().tolist())}"
            )
    lo = sc["ci_low"].to_numpy()
    hi = sc["ci_high"].to_numpy()
    n = lo.size
    if n < 2:
        raise ValueError(f"need at least two countries, got {n}")
    sep = (hi[:, None] < lo[None, :]) | (hi[None, :] < lo[:, None])
    iu = np.triu_indices(n, 1)
    return float(sep[iu].mean())


def residual_correlation(result: UCMResult, data: pd.DataFrame) -> pd.DataFrame:
    """Correlation of the sources' residuals, to see which sources share errors.

    The model says ``y_k = alpha_k + beta_k g + e_k`` with independent errors.
    For each row j observing sources k and l, the expected residual product
    given the data is

    .. math:: E[e_{jk} e_{jl} \\mid y] = \\hat e_{jk}\\hat e_{jl}
              + \\beta_k\\beta_l\\,\\mathrm{Var}[g_j \\mid y],\\qquad
              \\hat e_{jk} = y_{jk} - \\alpha_k - \\beta_k E[g_j \\mid y],

    (the quantity EM's M step averages).  The result is the correlation
    ``sum_j E[e_k e_l|y] / sqrt(sum_j E[e_k^2|y] · sum_j E[e_l^2|y])`` over the
    rows observing both, with residuals scaled by ``sqrt(error_var)`` of their
    group of rows and pooled over groups.  The ``Var[g|y]`` term removes the
    mechanical negative correlation that plugging in the estimate ``E[g|y]``
    alone would create.  ``alpha``, ``beta``, ``error_var`` come from
    ``result.params``, ``E[g|y]`` and ``Var[g|y]`` from ``result.scores``
    (``estimate``, ``std_error``²); ``y`` is rebuilt from ``data`` exactly as
    :func:`ucm` built it (directions applied, ``groups`` combined).  Returns a
    square DataFrame (index and columns: ``result.sources``) with 1 on the
    diagonal; NaN for a pair observed together in fewer than three rows.

    Notes
    -----
    Under the model the expectation of each off-diagonal value is zero (tower
    property: ``E[E[e_k e_l|y]] = E[e_k e_l] = 0``), so values stay near 0 up to
    sampling error.  A block of clearly positive values (say r > 0.2) marks
    sources that share something besides g, typically columns of one
    provider: combine them with ``ucm(..., groups=...)``.  A one-factor fit
    cannot say which of two clusters is "the" factor: when one provider's
    columns are many and precise, the factor follows them and the *other*
    sources show the positive block; read it as "these sources do not fit one
    factor with independent errors" and group by provider.  On the HFI
    (per-year fits) the three World Justice Project sub-indices correlate at
    0.52-0.60 and three of the four WEF survey items at 0.21-0.37.

    Parameters
    ----------
    result : UCMResult
        A fit from :func:`ucm`.
    data : DataFrame
        The data it was fitted on (at least its key and source columns for the
        fitted rows).

    Raises
    ------
    TypeError
        ``result`` is not a UCMResult.
    KeyError
        A column of the fit, or a fitted row, is missing from ``data`` (named).
    """
    if not isinstance(result, UCMResult):
        raise TypeError(f"result must be a UCMResult from ucm(), got {type(result).__name__}")
    check_dataframe(data)
    keys = ["iso3"] + ([result.by] if result.by is not None else [])
    if result.members is not None:
        mem = result.members
    else:  # pragma: no cover - results built by hand
        mem = pd.DataFrame({"source": result.sources, "member": result.sources,
                            "direction": result.directions})
    cols = mem["member"].tolist()
    check_columns(data, keys + cols)
    check_keys(data, keys)
    check_numeric(data, cols)
    df = result.scores[keys].merge(data[keys + cols], on=keys, how="left", indicator=True)
    missing = df["_merge"] == "left_only"
    if missing.any():
        rows = [" ".join(map(str, r)) for r in df.loc[missing, keys].itertuples(index=False)]
        raise KeyError(
            f"{len(rows)} fitted row(s) are not in data: {', '.join(rows[:10])}"
            f"{' …' if len(rows) > 10 else ''}; pass the data the result was fitted on"
        )
    df = df.drop(columns="_merge")
    for m, d in zip(mem["member"], mem["direction"], strict=True):
        df[m] = df[m].astype(float) * d
    fitted = [(s, grp["member"].tolist()) for s, grp in mem.groupby("source", sort=False)]
    block = None if (result.by is None or result.pooled) else result.by
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # already reported by ucm()
        y = _combine(df, fitted, block=block)
    src = list(result.sources)
    par = result.params
    if block is None:
        p = par.set_index("source")
        get = {c: np.broadcast_to(p[c].reindex(src).to_numpy(), (len(y), len(src)))
               for c in ("alpha", "beta", "error_var")}
    else:
        p = par.set_index([block, "source"])
        idx = pd.MultiIndex.from_arrays([np.repeat(y[block].to_numpy(), len(src)),
                                         np.tile(src, len(y))])
        get = {c: p[c].reindex(idx).to_numpy().reshape(len(y), len(src))
               for c in ("alpha", "beta", "error_var")}
    sc = result.scores
    est = sc["estimate"].to_numpy()[:, None]  # y has the rows of scores, in order
    pvar = (sc["std_error"].to_numpy() ** 2)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(get["error_var"])
        e = (y[src].to_numpy(dtype=float) - get["alpha"] - get["beta"] * est) / sd
        bs = get["beta"] / sd  # E[e_k e_l | y] = e_k e_l + bs_k bs_l Var[g | y]
    obs = np.isfinite(e)
    e0 = np.where(obs, e, 0.0)
    b0 = np.where(obs, bs, 0.0)
    cross = e0.T @ e0 + (b0 * pvar).T @ b0
    K = len(src)
    sq = np.where(obs, e0**2 + b0**2 * pvar, 0.0)  # per-row E[e_k^2 | y]
    ok = obs.astype(float)
    diag_kl = sq.T @ ok  # [k, l]: sum of E[e_k^2|y] over rows observing k and l
    n = ok.T @ ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cross / np.sqrt(diag_kl * diag_kl.T)
    out = np.where(n >= _MIN_OBS, out, np.nan)
    out[np.arange(K), np.arange(K)] = 1.0
    return pd.DataFrame(out, index=pd.Index(src, name="source"), columns=pd.Index(src, name="source"))
