""":func:`scan`: the monitor in one call (changes, then the decision rule)."""

from __future__ import annotations

import pandas as pd

from .change import changes
from .multiplicity import flag_declines

__all__ = ["scan"]


def scan(panel: pd.DataFrame, *, windows=(1, 3, 5), rule: str = "fdr", q: float = 0.10, alpha: float = 0.05,
         level: float = 0.90, rho: float = 0.0, family=("window", "year")) -> pd.DataFrame:
    """Run the monitor: :func:`~polygov.monitor.changes` then :func:`~polygov.monitor.flag_declines`.

    See both for the arguments.  Returns every change with ``q_value``, ``rule`` and
    ``flagged``.

    Examples
    --------
    >>> import polygov as pg
    >>> panel = pg.monitor.load_source("wgi")          # doctest: +SKIP
    >>> flags = pg.monitor.scan(panel)                 # doctest: +SKIP
    >>> flags[flags.flagged & (flags.window == 5)]     # doctest: +SKIP
    """
    ch = changes(panel, windows=windows, rho=rho)
    return flag_declines(ch, rule=rule, q=q, alpha=alpha, level=level, family=family)
