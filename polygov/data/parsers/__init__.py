"""Parsers turning official data files into tidy ``iso3``-``year`` tables.

One module per source (``wgi``, ``vdem``, ``vdem_ert``, ``egdi``, ``hdr``,
``wdi``, ``wb_class``), each exposing ``parse(path, *, edition=None) -> DataFrame``;
``vdem_codebook.read`` reads the V-Dem codebook (one row per variable).
Every parser reads its file inside :func:`._common.reading` and through
:func:`._common.read_csv` / :func:`._common.xlsx_sheets`, so a damaged, wrongly
encoded or foreign file raises :class:`ParseError` naming the file and the
problem, never a raw ``csv``/pandas/zip error.
Parsers read the layout from the file itself, raise :class:`ParseError` (a
``ValueError``) naming the file and the problem, and never return a partially
loaded table.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._common import ParseError

__all__ = ["ParseError", "get_parser"]

_NAMES = ("wgi", "vdem", "vdem_ert", "egdi", "hdr", "wdi", "wb_class")


def get_parser(name: str) -> ModuleType:
    """Return the parser module for source ``name``."""
    if name not in _NAMES:
        raise KeyError(f"no parser called {name!r}; available: {list(_NAMES)}")
    return importlib.import_module(f"{__name__}.{name}")
