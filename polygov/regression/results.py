"""Frozen results objects returned by :func:`fit_panel` and :func:`fit_cross_section`.

A :class:`RegressionResults` holds only plain pandas/NumPy values (no backend
objects), so it pickles, compares and prints the same way whatever library
estimated it.  Its ``repr`` is deterministic (no timestamps, no object ids),
which keeps notebook outputs stable under nbval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import check_unit_interval  # noqa: F401 - re-exported for the regression modules

__all__ = ["RegressionResults"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]



@dataclass(frozen=True, repr=False, eq=False)
class RegressionResults:
    """Estimates, covariance and fit statistics of one linear regression.

    Attributes
    ----------
    params : pandas.Series
        Coefficient estimates, indexed by term.
    cov : pandas.DataFrame
        Covariance matrix of ``params`` (after the documented small-sample
        correction, see :mod:`polygov.regression.covariance`).
    dependent : str
        Name of the dependent variable.
    model : str
        ``"panel"`` or ``"cross_section"``.
    estimator : str
        ``"pooled"``, ``"entity"``, ``"twoway"``, ``"random"`` (panel),
        ``"OLS"``/``"WLS"`` (cross-section) or ``"quantile q=0.1"``
        (:func:`fit_quantile`).
    cov_type : str
        Covariance registry name (``"cluster"``...).
    df_inference : float or None
        Degrees of freedom of the t distribution used for p-values and
        intervals (None = standard normal).
    nobs : int
        Observations used.
    r2, r2_within, r2_adj : float
        R² (of the full model, fixed effects included), within R² (NaN for
        pooled and cross-section models) and adjusted R².  For random-effects
        models ``r2`` is the R² of the GLS (quasi-demeaned) regression
        (linearmodels' ``rsquared``), not comparable with the others; tables
        and the summary label it ``R² (RE, GLS)`` / ``R2 (GLS)``.
    n_entities, n_periods : int or None
        Distinct entities and periods in the estimation sample.
    clusters : tuple of str
        Cluster variables (empty unless clustered).
    n_clusters : tuple of int
        Number of clusters per cluster variable.
    fixed_effects : tuple of str
        Columns absorbed as fixed effects.
    sd : pandas.Series
        Standard deviations (ddof=1) of the dependent variable and of every
        regressor over the estimation sample, for :meth:`standardised`.
    backend : str
        Library that did the estimation.
    formula : str
        The model formula (dependent ~ regressors).
    theta, sigma2_u, sigma2_e : float
        Random effects only (NaN otherwise): the quasi-demeaning weight
        ``theta = 1 - sqrt(sigma2_e / (sigma2_e + T_i sigma2_u))`` (its mean over
        entities in an unbalanced panel, where it varies with ``T_i``), and the
        Swamy-Arora estimates of the variance of the entity effect (``sigma2_u``)
        and of the idiosyncratic error (``sigma2_e``), as linearmodels'
        ``variance_decomposition``/``theta`` and R plm's ``ercomp``.
    theta_by_entity : pandas.Series or None
        Random effects only: ``theta`` of every entity.
    fitted_values, residuals : pandas.Series or None
        Fitted values ``y_hat`` and residuals ``y - y_hat`` of every
        observation in the estimation sample, indexed like the rows of the
        data passed to the fitting function (rows dropped by the missing-data
        rule are absent).  For fixed-effects models the fitted values include
        the estimated fixed effects; for random effects they are ``x'b`` (the
        residuals then hold the composite error ``u_i + e_it``).  For WLS they
        are unweighted (``y - x'b``).
    """

    params: pd.Series
    cov: pd.DataFrame
    dependent: str
    model: str
    estimator: str
    cov_type: str
    df_inference: float | None
    nobs: int
    r2: float
    r2_within: float = float("nan")
    r2_adj: float = float("nan")
    n_entities: int | None = None
    n_periods: int | None = None
    clusters: tuple[str, ...] = ()
    n_clusters: tuple[int, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    sd: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    backend: str = ""
    formula: str = ""
    notes: tuple[str, ...] = ()
    fitted_values: pd.Series | None = None
    residuals: pd.Series | None = None
    theta: float = float("nan")
    sigma2_u: float = float("nan")
    sigma2_e: float = float("nan")
    theta_by_entity: pd.Series | None = None
    #: patsy DesignInfo of the right-hand side (cross-section models), used by predict();
    #: not pickled (patsy cannot pickle it), so predict() needs the original object
    _design_info: object = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_design_info"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: pd.DataFrame) -> pd.Series:
        """Predicted values ``x'b`` for the rows of ``newdata``.

        Available for cross-section models (:func:`fit_cross_section`,
        :func:`fit_quantile`); panel models offer :attr:`fitted_values` for
        their estimation sample only (predicting out of sample would need the
        estimated fixed effects).  The right-hand side of the formula is rebuilt on
        ``newdata`` with the estimation sample's coding (the same categories of
        ``C(...)`` terms, the same reference level), so ``newdata`` needs every
        column the right-hand side uses but not the dependent variable.

        Parameters
        ----------
        newdata : pandas.DataFrame
            Rows to predict for (e.g. the estimation data, or a grid).

        Returns
        -------
        pandas.Series
            Named ``"predicted"``, indexed like ``newdata``; NaN where a
            numeric regressor is missing.

        Raises
        ------
        ValueError
            Panel models (use :attr:`fitted_values`), results restored from a
            pickle, or a category of a ``C(...)`` term that the estimation
            sample did not have.
        KeyError
            A column of the right-hand side missing from ``newdata``.

        Notes
        -----
        Validated against statsmodels' ``results.predict(newdata)`` in the tests.
        """
        from ..errors import check_columns, check_dataframe

        if self.model != "cross_section":
            raise ValueError(
                f"predict() is available for cross-section models only, not for a {self.model} "
                f"model ({self.estimator}); use .fitted_values for the estimation sample")
        if self._design_info is None:
            raise ValueError(
                "predict() needs the model's design, which is not kept when results are pickled; "
                "refit the model (fit_cross_section/fit_quantile) to predict")
        check_dataframe(newdata, name="newdata")
        import patsy

        from .formula import parse_model

        di = self._design_info
        check_columns(newdata, parse_model(self.formula, None, None)[2], name="newdata")
        try:
            if isinstance(di, patsy.DesignInfo):
                (X,) = patsy.build_design_matrices([di], newdata,
                                                   NA_action=patsy.NAAction(NA_types=[]))
                names = list(di.column_names)
            else:  # formulaic ModelSpec (statsmodels' other formula engine)
                X = di.get_model_matrix(newdata, na_action="ignore")
                names = [str(c) for c in X.columns]
        except Exception as exc:
            raise ValueError(
                f"cannot build the regressors of {self.formula!r} on newdata: {exc}. Categories "
                "of C(...) terms must be among those of the estimation sample") from exc
        X = np.asarray(X, dtype=float)
        beta = self.params.reindex(names).to_numpy()
        return pd.Series(X @ beta, index=newdata.index, name="predicted")

    # ------------------------------------------------------------------ basics
    @property
    def std_errors(self) -> pd.Series:
        """Standard errors (square roots of the covariance diagonal)."""
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(self.cov.to_numpy()))
        return pd.Series(se, index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        """t statistics ``estimate / std_error``."""
        return (self.params / self.std_errors).rename("statistic")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from the t (or normal) reference distribution."""
        from scipy import stats

        t = np.abs(self.tstats.to_numpy())
        p = 2 * (stats.t.sf(t, self.df_inference) if self.df_inference else stats.norm.sf(t))
        return pd.Series(p, index=self.params.index, name="p_value")

    def _crit(self, level: float) -> float:
        check_unit_interval(level, "level", 0.95)
        from scipy import stats

        q = 0.5 + level / 2
        return float(stats.t.ppf(q, self.df_inference) if self.df_inference else stats.norm.ppf(q))

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals: DataFrame with columns ``ci_low``, ``ci_high`` indexed by term."""
        c = self._crit(level)
        se = self.std_errors
        return pd.DataFrame({"ci_low": self.params - c * se, "ci_high": self.params + c * se})

    @property
    def n_params(self) -> int:
        return int(self.params.size)

    # ------------------------------------------------------------------ tidy
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term.

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``estimate``, ``std_error``, ``statistic``,
            ``p_value``, ``ci_low``, ``ci_high``.
        """
        ci = self.conf_int(level)
        out = pd.DataFrame({
            "term": self.params.index.astype(str),
            "estimate": self.params.to_numpy(),
            "std_error": self.std_errors.to_numpy(),
            "statistic": self.tstats.to_numpy(),
            "p_value": self.pvalues.to_numpy(),
            "ci_low": ci["ci_low"].to_numpy(),
            "ci_high": ci["ci_high"].to_numpy(),
        })
        return out[TIDY_COLUMNS]

    def standardised(self, level: float = 0.95) -> pd.DataFrame:
        """Standardised ("beta") coefficients.

        ``beta_j * sd(x_j) / sd(y)``, with standard deviations (ddof=1) of the
        raw variables over the estimation sample (not of the within-transformed
        data), as Stata's ``beta`` option.  Standard errors and intervals are
        scaled by the same factor; statistics and p-values are unchanged.
        The intercept is dropped.

        Returns
        -------
        pandas.DataFrame
            The :meth:`tidy` columns for the standardised coefficients.
        """
        tidy = self.tidy(level)
        tidy = tidy[tidy["term"] != "Intercept"].reset_index(drop=True)
        missing = [t for t in tidy["term"] if t not in self.sd.index]
        if missing:
            raise ValueError(f"no standard deviation stored for term(s) {missing}")
        sd_y = float(self.sd[self.dependent])
        if not np.isfinite(sd_y) or sd_y == 0:
            raise ValueError(f"dependent variable {self.dependent!r} has zero variance; "
                             "standardised coefficients are undefined")
        factor = self.sd[tidy["term"]].to_numpy() / sd_y
        for col in ("estimate", "std_error", "ci_low", "ci_high"):
            tidy[col] = tidy[col] * factor
        return tidy

    # ------------------------------------------------------------------ display
    @property
    def effects_label(self) -> str:
        return {"pooled": "none", "entity": "entity", "twoway": "entity + time",
                "random": "random (entity)"}.get(self.estimator, "none")

    @property
    def cov_label(self) -> str:
        from .covariance import COVARIANCES

        base = COVARIANCES[self.cov_type].label if self.cov_type in COVARIANCES else self.cov_type
        if self.clusters:
            base += " by " + " & ".join(
                f"{c} ({g})" for c, g in zip(self.clusters, self.n_clusters, strict=False))
        return base

    def summary_frame(self) -> pd.DataFrame:
        """Key facts of the fit as a one-column DataFrame (used by the repr)."""
        rows = {
            "dependent": self.dependent,
            "model": f"{self.model} / {self.estimator}",
            "formula": self.formula,
            "fixed effects": ", ".join(self.fixed_effects) or "none",
            "covariance": self.cov_label,
            "N": self.nobs,
            ("R2 (GLS)" if self.estimator == "random" else "R2"): _fmt_num(self.r2),
            "R2 within": _fmt_num(self.r2_within),
        }
        if self.n_entities is not None:
            rows["entities"] = self.n_entities
        if self.n_periods is not None:
            rows["periods"] = self.n_periods
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    def __repr__(self) -> str:
        head = self.summary_frame()["value"]
        lines = [f"RegressionResults({self.model}, {self.estimator}, backend={self.backend})"]
        lines += [f"  {k:<14}{v}" for k, v in head.items()]
        tidy = self.tidy()
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            body = tidy.to_string(index=False, float_format=lambda v: f"{v:.6g}")
        lines.append(body)
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = self.summary_frame().to_html(header=False)
        return head + self.tidy().to_html(index=False, float_format=lambda v: f"{v:.4g}")


def _fmt_num(x: float) -> str:
    return "NaN" if x is None or not np.isfinite(x) else f"{x:.4f}"
