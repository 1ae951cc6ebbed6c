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
    inds = list(denominators)
    if not inds:
        return data.copy(), []
    num = data[inds].to_numpy(dtype=float)
    den = data[[denominators[i] for i in inds]].to_numpy(dtype=float)
    res, recs = _divide(num, den, inds, denominators, scale, data.index)
    if data.columns.is_unique and data.index.is_unique:
        # the frame of ``out[inds] = res``, assembled at once from its columns: assigning
        # the divided columns one by one leaves a block per column, which slows every
        # later stage (same values and dtypes; tested)
        pos = {c: j for j, c in enumerate(inds)}
        out = pd.DataFrame({c: (res[:, pos[c]] if c in pos else col) for c, col in data.items()},
                           index=data.index, columns=data.columns)
    else:
        out = data.copy()
        out[inds] = res
    return out, recs


def _divide(num: np.ndarray, den: np.ndarray, inds: list, denominators: Mapping,
            scale: Mapping[str, float] | float, index) -> tuple[np.ndarray, list[dict]]:
    """The divided values (units x ``inds``) and the records of :func:`denominate`.

    ``num``/``den``: the indicators and their denominators as float arrays; ``index``
    labels the rows in the records.  One array operation per indicator (the same
    element-wise operations, in the same order, as dividing column by column).
    """
    bad = np.isnan(den) | (den == 0)
    ks = [scale.get(ind, 1.0) if isinstance(scale, Mapping) else scale for ind in inds]
    res = np.empty_like(num)
    for j, k in enumerate(ks):
        res[:, j] = np.where(bad[:, j], np.nan, num[:, j] / np.where(bad[:, j], 1.0, den[:, j]) * k)
    recs = []
    for j, ind in enumerate(inds):
        den_name, k = denominators[ind], ks[j]
        msg = f"divided by {den_name}" + (f" x {k:g}" if k != 1 else "")
        b = bad[:, j]
        if b.any() and (~np.isnan(num[b, j])).any():
            msg += f"; {int(b.sum())} rows with zero/missing {den_name} set missing " \
                   f"(index {_fmt(list(index[b]), 5)})"
        recs.append(dict(code=ind, action="denominated", reason=msg))
    return res, recs
