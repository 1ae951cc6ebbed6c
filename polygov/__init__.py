"""polygov: measure governance capacity and test polycentric governance theory.

Submodules are loaded lazily, so ``import polygov`` is fast and never touches
the network.  Use them as attributes::

    import polygov as pg
    hfi = pg.data.load("hfi")
    pg.countries.to_iso3(["China", "Viet Nam"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBMODULES = (
    "audit",
    "cli",
    "countries",
    "course",
    "course_tools",
    "data",
    "errors",
    "keys",
    "index",
    "latent",
    "monitor",
    "plots",
    "polycentricity",
    "regression",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'polygov' has no attribute {name!r}; available: {', '.join(__all__)}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from . import (  # noqa: F401
        audit,
        countries,
        data,
        index,
        latent,
        monitor,
        plots,
        polycentricity,
        regression,
        widgets,
    )
