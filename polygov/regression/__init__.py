"""Regression helpers for testing polycentric-governance hypotheses.

Split like linearmodels: :mod:`.model` (estimation: :func:`fit_panel`,
:func:`fit_cross_section`), :mod:`.results` (frozen :class:`RegressionResults`),
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
from .results import RegressionResults
from .speccurve import specification_curve, specification_summary
from .table import RegressionTable, regression_table

__all__ = [
    "COVARIANCES",
    "EFFECTS",
    "FewClustersWarning",
    "RegressionResults",
    "RegressionTable",
    "covariance_names",
    "fit_cross_section",
    "fit_panel",
    "hausman",
    "marginal_effect",
    "regression_table",
    "specification_curve",
    "specification_summary",
]
