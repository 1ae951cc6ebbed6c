""":func:`ucm`: fit the unobserved-components model and return latent scores with margins of error."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import (
    ConvergenceWarning,
    DataQualityWarning,
    check_columns,
    check_dataframe,
    check_in,
    check_keys,
    check_numeric,
    check_unit_interval,
)
from .em import _HEYWOOD, _MIN_SOURCES, _covariance, _em
from .inputs import _check_directions, _check_groups, _combine, _exclude_sparse
from .posterior import _posterior, percentile_rank
from .result import UCMResult
from .uncertainty import bootstrap_posterior, pool_by_pattern

__all__ = ["ucm"]


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
    param_uncertainty: str | None = None,
    n_boot: int = 200,
    seed=None,
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
    param_uncertainty : {None, "bootstrap"}, default None
        ``None``: the intervals treat the estimated source parameters as known (as
        the WGI do).  ``"bootstrap"``: propagate the parameters' own uncertainty by
        a parametric bootstrap (``n_boot`` refits on data simulated from the fit,
        same missing cells): ``std_error`` becomes the square root of the mean
        the bias-corrected parametric-bootstrap mean squared prediction error of
        the plug-in posterior mean (pooled over rows of a group that observe the
        same sources),
        and the intervals and percentile-rank intervals widen accordingly;
        ``estimate`` stays the plug-in posterior mean.  See
        :mod:`polygov.latent.uncertainty`.
    n_boot : int, default 200
        Bootstrap replicates for ``param_uncertainty="bootstrap"``.
    seed : int or Generator, optional
        Seed of the bootstrap.

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
    uncertainty is ignored, as in the WGI, unless ``param_uncertainty="bootstrap"``.  Percentile ranks are computed
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
    check_in(param_uncertainty, (None, "bootstrap"), name="param_uncertainty")
    if param_uncertainty is not None and (not isinstance(n_boot, int | np.integer) or n_boot < 2):
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot!r}")
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
    if param_uncertainty == "bootstrap":
        _, _, mse, g1_boot, _ = bootstrap_posterior(Z, M, row_ok, a, b, psi, n_boot=int(n_boot),
                                           rng=np.random.default_rng(seed), max_iter=max_iter,
                                           tol=max(tol, 1e-5))
        # bias-corrected parametric-bootstrap MSE (see polygov.latent.uncertainty)
        pvar = np.maximum(pool_by_pattern(mse + pvar - g1_boot, M, row_ok), pvar)
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
