"""Denomination: divide indicators by a size variable (per capita, per GDP, per area)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import _fmt, check_columns

__all__ = ["denominate"]


def denominate(data: pd.DataFrame, *, denominators: Mapping[str, str],
               scale: Mapping[str, float] | float = 1.0) -> tuple[pd.DataFrame, list[dict]]:
    """Return ``data`` with each ``indicator`` divided by its denominator column.

    Parameters
    ----------
    denominators : mapping indicator -> denominator column (e.g. ``{"Flights": "Population"}``)
    scale : float or mapping indicator -> float
        Multiplier after division (e.g. 1000 for "per 1,000 people").

    Returns
    -------
    (DataFrame, list of dict)
        The new frame and one log record per indicator (``code, action, reason``).

    Notes
    -----
    A zero or missing denominator gives a missing value (reported), never ``inf``.
    """
    check_columns(data, list(denominators) + list(set(denominators.values())),
                  name="data (denominators)")
    out = data.copy()
    recs = []
    for ind, den in denominators.items():
        d = data[den].astype(float)
        bad = d.isna() | (d == 0)
        k = scale.get(ind, 1.0) if isinstance(scale, Mapping) else scale
        out[ind] = np.where(bad, np.nan, data[ind].astype(float) / d.where(~bad, 1.0) * k)
        msg = f"divided by {den}" + (f" x {k:g}" if k != 1 else "")
        if bad.any() and data.loc[bad, ind].notna().any():
            msg += f"; {int(bad.sum())} rows with zero/missing {den} set missing " \
                   f"(index {_fmt(list(data.index[bad]), 5)})"
        recs.append(dict(code=ind, action="denominated", reason=msg))
    return out, recs
