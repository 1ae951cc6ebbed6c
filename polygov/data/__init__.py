"""Data layer: bundled real datasets, the harmonised country-year panel, and
(on request) official sources fetched into a local cache.

Bundled (offline): :func:`catalog`, :func:`load`, :func:`codebook`,
:func:`provenance`, :func:`panel`, :func:`coverage`, :func:`indicators`,
:func:`load_wvs_microdata`.  Besides the teaching datasets, the standard
governance sources are bundled as published: ``wgi`` (WGI 2024), ``vdem`` (V-Dem
v14, CC BY-SA 4.0), ``vdem_ert`` (V-Dem ERT v15, CC BY-SA 4.0), ``egdi`` (UN
E-Government Survey 2003-2024), ``hdr`` (UNDP HDR 2023/24), ``wb_class``
(World Bank income groups FY2025), ``wdi`` (WDI 2018-2022), and COINr's ASEM
example (``asem``, ``asem_meta``).
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
