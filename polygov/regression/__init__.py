"""Regression helpers for testing polycentric-governance hypotheses.

Split like linearmodels: :mod:`.panel` (:func:`fit_panel`), :mod:`.fastfe`
(its NumPy fixed-effects fast path), :mod:`.cross_section`
(:func:`fit_cross_section`), :mod:`.formula` (formula parsing and the safety
rule: formulas never run code), :mod:`._sample` (the estimation sample),
:mod:`.model` (compatibility re-exports), :mod:`.quantile` (:func:`fit_quantile`),
:mod:`.results` (frozen :class:`RegressionResults`),
:mod:`.covariance` (one registry of covariance estimators and their
small-sample corrections), :mod:`.table` (side-by-side tables),
:mod:`.marginal` (marginal effects over a moderator), :mod:`.diagnostics`
(Hausman test) and :mod:`.speccurve` (specification curves).
"""

from __future__ import annotations

from ._sample import FewClustersWarning
from .covariance import COVARIANCES, SSC, covariance_names
from .cross_section import fit_cross_section
from .diagnostics import hausman
from .formula import ALLOWED_FUNCTIONS, check_formula
from .marginal import marginal_effect
from .panel import EFFECTS, fit_panel
from .quantile import QUANTILE_COVARIANCES, fit_quantile
from .results import RegressionResults
from .speccurve import specification_curve, specification_summary
from .table import RegressionTable, regression_table

__all__ = [
    "COVARIANCES",
    "EFFECTS",
    "FewClustersWarning",
    "QUANTILE_COVARIANCES",
    "RegressionResults",
    "RegressionTable",
    "SSC",
    "ALLOWED_FUNCTIONS",
    "check_formula",
    "covariance_names",
    "fit_cross_section",
    "fit_panel",
    "fit_quantile",
    "hausman",
    "marginal_effect",
    "regression_table",
    "specification_curve",
    "specification_summary",
]
