"""An early-warning monitor of governance that reads the margins of error.

The paper asks for the "monitoring" of social operation (Liu, on multi-center
governance): seeing early where governance deteriorates.  The monitor takes any
estimates with their uncertainty, computes every unit's change over windows of 1, 3
and 5 years with its standard error and the probability of a decline, decides which
declines are significant while controlling the false-discovery rate over the whole
family of units x indicators (Benjamini-Hochberg), finds episodes of sustained
deterioration, and writes a report.

Layout (one module per step)::

    inputs        from_std_error, from_interval, from_draws, from_ucm, load_source
    change        changes                     every change, its SE and P(decline)
    multiplicity  flag_declines, bh_qvalues   FDR, unadjusted and non-overlap rules
    pipeline      scan                        changes + rule in one call
    episode       episodes, episode_years     sustained deterioration
    ert           compare_ert                 beside V-Dem's ERT episodes
    simulate      simulate_rules              power and realised FDR of the rules
    report        write_report                the HTML report
    cli           the ``polygov monitor`` command
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule that defines it (loaded on first use, so ``polygov --help`` stays fast)
_NAMES = {
    "PANEL_COLUMNS": "inputs", "SOURCES": "inputs", "WGI_DIMENSIONS": "inputs", "from_draws": "inputs",
    "from_interval": "inputs", "from_std_error": "inputs", "from_ucm": "inputs", "load_source": "inputs",
    "CHANGE_COLUMNS": "change", "changes": "change",
    "RULES": "multiplicity", "bh_qvalues": "multiplicity", "flag_declines": "multiplicity",
    "scan": "pipeline",
    "EPISODE_COLUMNS": "episode", "episode_years": "episode", "episodes": "episode",
    "ERTComparison": "ert", "compare_ert": "ert",
    "WGI_SE_QUANTILES": "simulate", "simulate_rules": "simulate",
    "write_report": "report",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'polygov.monitor' has no attribute {name!r}; available: {', '.join(__all__)}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"cli", "inputs", "change", "multiplicity", "pipeline", "episode", "ert",
                                  "simulate", "report"})
