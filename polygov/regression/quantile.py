"""Linear quantile regression on a cross-section: :func:`fit_quantile` (statsmodels ``QuantReg``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ConvergenceWarning, check_columns, check_dataframe, check_in, check_numeric
from ._sample import _listwise, check_regressor_types, cross_section_keys
from .cross_section import _collinear_exog_message
from .formula import categorical_columns, parse_model, statsmodels_design, statsmodels_eval_env
from .results import RegressionResults

__all__ = ["fit_quantile", "QUANTILE_COVARIANCES"]

#: ``cov=`` options of :func:`fit_quantile` (statsmodels ``QuantReg.fit(vcov=...)``).
QUANTILE_COVARIANCES = ("robust", "iid")


def fit_quantile(
    data: pd.DataFrame,
    formula: str,
    *,
    q: float = 0.5,
    cov: str = "robust",
    max_iter: int = 1000,
    keys: str | list | None = "auto",
) -> RegressionResults:
    """Fit a linear quantile regression (Koenker & Bassett 1978) on a cross-section.

    The ``q``-th conditional quantile of the dependent variable is modelled as
    ``x'b_q``; ``b_q`` minimises the check loss ``sum_i rho_q(y_i - x_i'b)`` with
    ``rho_q(u) = u (q - 1[u < 0])``.  ``q=0.5`` is median regression; a low
    ``q`` such as 0.1 gives a lower envelope ("frontier") of the data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (e.g. country).
    formula : str
        ``"y ~ x1 + x2"`` (patsy syntax, as in :func:`fit_cross_section`).
    q : float, default 0.5
        Quantile, strictly between 0 and 1.
    cov : {"robust", "iid"}
        Covariance of the estimates: ``"robust"`` is the Koenker-Machado
        sandwich with a kernel estimate of the error density at the quantile
        (Epanechnikov kernel, Hall-Sheather bandwidth; valid under
        heteroskedasticity), ``"iid"`` assumes identically distributed errors.
        Both as statsmodels ``QuantReg.fit(vcov=...)``.
    max_iter : int, default 1000
        Iterations of the iteratively reweighted least-squares solver; if they
        run out a :class:`polygov.errors.ConvergenceWarning` is emitted.
    keys : "auto", list of str or None
        Key check, as in :func:`fit_cross_section`.

    Returns
    -------
    RegressionResults
        ``model="cross_section"``, ``estimator="quantile q=<q>"``, ``cov_type``
        ``"quantreg_robust"`` or ``"quantreg_iid"``; ``params``,
        ``std_errors``, ``tidy()``, ``fitted_values``, ``residuals`` and
        ``predict(newdata)`` as for :func:`fit_cross_section`.  ``r2`` and
        ``r2_adj`` are NaN (the R² of least squares has no meaning here); the
        Koenker-Machado pseudo R² is given in ``notes``.

    Notes
    -----
    Missing data: listwise deletion over the formula's variables (count in
    ``notes``).  Inference uses Student t with ``N - k`` degrees of freedom, as
    statsmodels.  Collinear regressors raise a ``ValueError`` naming them.

    Validated against statsmodels ``smf.quantreg(formula, data).fit(q=q)``
    (estimates, standard errors, predictions) in the tests; at ``q=0.5`` the
    estimates also minimise the sum of absolute residuals (checked against
    ``scipy.optimize.linprog`` on the LP form).

    Examples
    --------
    >>> import polygov as pg
    >>> res = pg.regression.fit_quantile(d, "log_u5 ~ log_gdp_pc", q=0.1)  # doctest: +SKIP
    >>> res.predict(grid)                                                   # doctest: +SKIP
    """
    import statsmodels
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import IterationLimitWarning

    check_dataframe(data)
    if isinstance(q, bool) or not isinstance(q, (int, float, np.integer, np.floating)):
        raise TypeError(f"q must be a number strictly between 0 and 1, got {q!r}")
    if not 0 < q < 1:
        raise ValueError(f"q must be a quantile strictly between 0 and 1 (e.g. q=0.5 for the "
                         f"median, q=0.1 for a lower envelope), got {q!r}")
    if not isinstance(cov, str):
        raise TypeError(f"cov must be a string, one of {list(QUANTILE_COVARIANCES)}; got {cov!r}")
    check_in(cov, QUANTILE_COVARIANCES, name="quantile-regression covariance (cov)")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"max_iter must be a positive integer, got {max_iter!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    dependent, rhs, rhs_vars = parse_model(formula, None, None)
    cols = list(dict.fromkeys([dependent, *rhs_vars]))
    check_columns(data, cols)
    data = cross_section_keys(data, keys)
    check_numeric(data, [dependent])
    check_regressor_types(data, rhs_vars, categorical_columns(rhs))
    df, n_drop = _listwise(data[cols].copy(), cols, "data")
    notes: tuple[str, ...] = ((f"{n_drop} row(s) with missing values dropped (listwise)",)
                              if n_drop else ())
    f = f"{dependent} ~ {rhs}"
    model = smf.quantreg(f, data=df, eval_env=statsmodels_eval_env())
    names = [str(n) for n in model.exog_names]
    X = np.asarray(model.exog, dtype=float)
    if X.shape[1] > X.shape[0] or np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(_collinear_exog_message(X, names))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(q=float(q), vcov=cov, max_iter=int(max_iter))
    for w in caught:
        if issubclass(w.category, IterationLimitWarning):
            warnings.warn(f"quantile regression (q={q:g}) did not converge in max_iter="
                          f"{max_iter} iterations; raise max_iter", ConvergenceWarning,
                          stacklevel=2)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    params = pd.Series(np.asarray(res.params, dtype=float), index=names, name="estimate")
    covm = pd.DataFrame(np.asarray(res.cov_params(), dtype=float), index=names, columns=names)
    yv = np.asarray(model.endog, dtype=float)
    fitted = X @ params.to_numpy()
    rows = model.data.row_labels
    sd = {dependent: float(np.std(yv, ddof=1))}
    sd.update(zip(names, np.std(X, axis=0, ddof=1).tolist(), strict=True))
    notes = (*notes, f"pseudo R2 (Koenker-Machado) = {float(res.prsquared):.4f}")
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="cross_section",
        estimator=f"quantile q={q:g}", cov_type=f"quantreg_{cov}",
        df_inference=float(res.df_resid), nobs=int(X.shape[0]), r2=float("nan"),
        r2_adj=float("nan"), sd=pd.Series(sd, dtype=float),
        backend=f"statsmodels {statsmodels.__version__}", formula=f, notes=notes,
        fitted_values=pd.Series(fitted, index=rows, name="fitted"),
        residuals=pd.Series(yv - fitted, index=rows, name="residual"),
        _design_info=statsmodels_design(model))
