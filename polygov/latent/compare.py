"""Comparisons that use the margins of error: is A better than B, did a country change,
how many pairwise comparisons are informative at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import check_unit_interval, close_matches
from .result import UCMResult

__all__ = ["prob_greater", "significant_change", "share_non_overlapping"]


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
