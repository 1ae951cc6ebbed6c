"""Compatibility module: the panel and cross-section fits now live in single-purpose modules.

* :mod:`.panel` — :func:`fit_panel` (and its pyfixest / linearmodels routes);
* :mod:`.fastfe` — the NumPy fixed-effects fast path;
* :mod:`.cross_section` — :func:`fit_cross_section`;
* :mod:`.formula` — formula parsing and the safety rule;
* :mod:`._sample` — the estimation sample (missing data, keys, clusters, lags).

Every name that used to be importable from ``polygov.regression.model`` still is.
"""

from __future__ import annotations

from ._sample import (  # noqa: F401 - re-exported
    WARN_CLUSTERS,
    FewClustersWarning,
    _add_shifts,
    _check_clusters,
    _check_finite_terms,
    _check_library_sample,
    _check_unique_keys,
    _check_within_variation,
    _cluster_dof_k,
    _cluster_vars,
    _diagnose_collinear,
    _is_nested,
    _listwise,
    _missing,
    _n_pairs,
    _normalise_shifts,
    _nw_bandwidth,
    _row_labels,
    _term_sds,
    _warn_negative_variance,
    fe_cols,
)
from .cross_section import _collinear_exog_message, _ols, fit_cross_section  # noqa: F401
from .formula import parse_model as _parse_model  # noqa: F401
from .panel import EFFECTS, _fit_fixest, _fit_random, fit_panel  # noqa: F401

__all__ = ["fit_panel", "fit_cross_section", "FewClustersWarning", "EFFECTS"]
