"""Regression helpers for testing polycentric-governance hypotheses.

Split like linearmodels: :mod:`.model` (estimation: :func:`fit_panel`,
:func:`fit_cross_section`), :mod:`.quantile` (:func:`fit_quantile`),
:mod:`.results` (frozen :class:`RegressionResults`),
:mod:`.covariance` (one registry of covariance estimators and their
small-sample corrections), :mod:`.table` (side-by-side tables),
:mod:`.marginal` (marginal effects over a moderator), :mod:`.diagnostics`
(Hausman test) and :mod:`.speccurve` (specification curves).
"""

from __future__ import annotations

from .covariance import COVARIANCES, covariance_names
from .diagnostics import hausman
from .marginal import marginal_effect
from .model import EFFECTS, FewClustersWarning, fit_cross_section, fit_panel
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
