"""Model-choice diagnostics for panel regressions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .results import RegressionResults

__all__ = ["hausman"]


def hausman(fixed: RegressionResults, random: RegressionResults) -> pd.DataFrame:
    """Hausman (1978) test of fixed against random effects.

    Under the null that the entity effects are uncorrelated with the
    regressors both estimators are consistent and random effects is
    efficient; a large statistic favours fixed effects.

    Parameters
    ----------
    fixed : RegressionResults
        Entity (or two-way) fixed-effects fit, ``cov="classical"``.
    random : RegressionResults
        Random-effects fit of the same model, ``cov="classical"``.

    Returns
    -------
    pandas.DataFrame
        One row: ``statistic``, ``df``, ``p_value``, ``terms`` (the slopes
        compared, comma-separated).

    Notes
    -----
    ``H = (b_FE - b_RE)' (V_FE - V_RE)^-1 (b_FE - b_RE)``, chi-squared with as
    many degrees of freedom as common slope terms.  The classical covariances
    are required because the variance difference is only guaranteed positive
    semi-definite under the null with the efficient (classical) RE covariance;
    with robust or clustered errors use a regression-based (Mundlak) test
    instead.  A pseudo-inverse is used if ``V_FE - V_RE`` is singular.

    Validated against R ``plm::phtest`` on the Grunfeld data (published
    chisq = 2.3304, df = 2, p-value = 0.3119).
    """
    for name, r in (("fixed", fixed), ("random", random)):
        if not isinstance(r, RegressionResults):
            raise TypeError(f"{name} must be a RegressionResults, got {type(r).__name__}")
    if fixed.estimator not in ("entity", "twoway"):
        raise ValueError(f"fixed must be a fixed-effects fit (effects='entity' or 'twoway'), got "
                         f"estimator {fixed.estimator!r}")
    if random.estimator != "random":
        raise ValueError(f"random must be a random-effects fit (effects='random'), got estimator "
                         f"{random.estimator!r}")
    bad = [f"{n}: cov={r.cov_type!r}" for n, r in (("fixed", fixed), ("random", random))
           if r.cov_type != "classical"]
    if bad:
        raise ValueError("the Hausman test needs classical covariances (cov='classical'); got "
                         + ", ".join(bad))
    terms = [t for t in fixed.params.index if t in random.params.index and t != "Intercept"]
    if not terms:
        raise ValueError("the two fits share no slope terms to compare")
    d = (fixed.params[terms] - random.params[terms]).to_numpy()
    v = fixed.cov.loc[terms, terms].to_numpy() - random.cov.loc[terms, terms].to_numpy()
    h = float(d @ np.linalg.pinv(v) @ d)
    k = len(terms)
    from scipy import stats

    return pd.DataFrame([{"statistic": h, "df": k, "p_value": float(stats.chi2.sf(h, k)),
                          "terms": ", ".join(terms)}])
