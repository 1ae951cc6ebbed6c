"""Figures for polygov results, seaborn style: ``data=``, column names, ``ax=``; each returns the Axes.

Plot functions never fit anything: pass them the tidy output of the library.
Submodules: :mod:`~polygov.plots.theme` (theme, country colours, source notes),
:mod:`~polygov.plots.coverage` (data coverage), and one module per library area
(``index``, ``latent``, ``regression``), loaded lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

from .theme import COUNTRY_COLOURS, OTHER_COLOUR, country_palette, set_theme, source_note

_LAZY = {"coverage", "index", "latent", "regression", "polycentricity"}

__all__ = ["COUNTRY_COLOURS", "OTHER_COLOUR", "country_palette", "set_theme", "source_note", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'polygov.plots' has no attribute {name!r}")
