"""Data layer: bundled real datasets, the harmonised country-year panel, and
(on request) official sources fetched into a local cache.

Bundled (offline): :func:`catalog`, :func:`load`, :func:`codebook`,
:func:`provenance`, :func:`panel`, :func:`coverage`, :func:`indicators`,
:func:`load_wvs_microdata`.
"""

from __future__ import annotations

from .bundled import (
    DataIntegrityError,
    catalog,
    codebook,
    data_dir,
    load,
    load_wvs_microdata,
    provenance,
)
from .panel import DEFAULT_SOURCES, PANEL_SOURCES, coverage, indicators, panel

__all__ = [
    "DEFAULT_SOURCES",
    "PANEL_SOURCES",
    "DataIntegrityError",
    "catalog",
    "codebook",
    "coverage",
    "data_dir",
    "indicators",
    "load",
    "load_wvs_microdata",
    "panel",
    "provenance",
]
