"""The EM fit of the unobserved-components model: EM steps, SQUAREM acceleration,
starting values, the analytic score and the observed-information covariance.

Arrays are stacked over G blocks (groups of rows fitted separately), so one call fits
every year (or every bootstrap replicate) at once.
"""

from __future__ import annotations

import numpy as np

from .posterior import _posterior

_MIN_SOURCES = 3
_MIN_OBS = 3  # a source needs this many observed values in a block to be used there
_PSI_FLOOR = 1e-8  # floor for the standardised noise variance (Heywood cases)
_HEYWOOD = 1e-4  # warn when a standardised noise variance falls below this


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


def _em(y, mask, row_ok, *, max_iter, tol, start=None):
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
    theta = _start(y, mask, row_ok) if start is None else start.copy()
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

