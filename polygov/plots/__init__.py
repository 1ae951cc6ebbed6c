"""Figures for polygov results, seaborn style: ``data=``, column names, ``ax=``; each returns the Axes.

Plot functions never fit anything: pass them the tidy output of the library.
Submodules: :mod:`~polygov.plots.theme` (theme, country colours, source notes),
:mod:`~polygov.plots.coverage` (data coverage), and one module per library area
(``index``, ``latent``, ``regression``, ``widgets``), loaded lazily.  Every plot
function is also available here by name (``pg.plots.rank_interval_plot``).
"""

from __future__ import annotations

import importlib
from typing import Any

from .theme import (
    CHINA_COLOUR,
    COUNTRY_COLOURS,
    COUNTRY_LINESTYLES,
    OKABE_ITO,
    OTHER_COLOUR,
    country_linestyle,
    country_palette,
    set_theme,
    source_note,
)

_LAZY = {"coverage", "index", "latent", "monitor", "regression", "widgets"}
#: plot function -> submodule that defines it
_FUNCTIONS = {
    "coverage_heatmap": "coverage", "missingness_bars": "coverage",
    "rank_interval_plot": "index", "sensitivity_bars": "index", "correlation_heatmap": "index",
    "score_bars": "index",
    "score_intervals": "latent", "score_trends": "latent", "source_reliability": "latent",
    "coef_plot": "regression", "marginal_effect_plot": "regression",
    "specification_curve_plot": "regression",
    "trajectory_plot": "monitor", "peer_change_plot": "monitor", "flag_overview_plot": "monitor",
    "peer_band_plot": "widgets", "rank_shift_plot": "widgets",
}

__all__ = ["CHINA_COLOUR", "COUNTRY_COLOURS", "COUNTRY_LINESTYLES", "OKABE_ITO", "OTHER_COLOUR",
           "country_linestyle", "country_palette", "set_theme", "source_note",
           *sorted(_LAZY), *sorted(_FUNCTIONS)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    if name in _FUNCTIONS:
        func = getattr(importlib.import_module(f"{__name__}.{_FUNCTIONS[name]}"), name)
        globals()[name] = func
        return func
    raise AttributeError(f"module 'polygov.plots' has no attribute {name!r}; available: {', '.join(__all__)}")


def __dir__() -> list[str]:
    return sorted(__all__)
