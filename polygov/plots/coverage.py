"""Coverage and missingness figures for the data tour."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..errors import check_columns, check_dataframe

__all__ = ["coverage_heatmap", "missingness_bars"]


def coverage_heatmap(data: pd.DataFrame, *, x: str = "year", y: str = "source", value: str = "countries",
                     ax=None, cmap: str = "viridis", annot: bool = True, fmt: str = "d"):
    """Heatmap of a coverage table in long form (e.g. countries with data per source and year).

    Parameters
    ----------
    data : DataFrame
        Long table with columns ``x``, ``y`` and ``value`` (one row per cell).
    """
    import seaborn as sns

    check_dataframe(data)
    check_columns(data, [x, y, value])
    grid = data.pivot(index=y, columns=x, values=value)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.28 * grid.shape[1] + 2), 0.5 * grid.shape[0] + 1.5))
    sns.heatmap(grid.fillna(0).astype(int) if fmt == "d" else grid, ax=ax, cmap=cmap, annot=annot, fmt=fmt,
                cbar_kws={"label": value.replace("_", " ")}, annot_kws={"fontsize": 7})
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    return ax


def missingness_bars(data: pd.DataFrame, *, x: str = "share", y: str = "indicator", ax=None,
                     color: str = "#2980b9"):
    """Horizontal bars of the non-missing share per indicator, sorted (lowest at the bottom)."""
    import seaborn as sns

    check_dataframe(data)
    check_columns(data, [x, y])
    d = data.sort_values(x, ascending=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.22 * len(d) + 1))
    sns.barplot(data=d, x=x, y=y, ax=ax, color=color, orient="h")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of country-years with data (0-1)")
    ax.set_ylabel("")
    return ax
