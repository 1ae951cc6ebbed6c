"""Warning classes and small validation helpers shared by all polygov modules.

Every public function validates its input with these helpers so that error
messages have one shape: what was wrong, the offending values, what was
expected, and (where there is one) how to fix it.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "PolygovWarning",
    "DataQualityWarning",
    "ImputationWarning",
    "ConvergenceWarning",
    "as_year",
    "check_columns",
    "check_dataframe",
    "check_in",
    "check_unit_interval",
    "check_keys",
    "check_numeric",
    "close_matches",
]


class PolygovWarning(UserWarning):
    """Base class of every warning polygov emits."""


class DataQualityWarning(PolygovWarning):
    """Something in the data is unusual but was handled by a documented rule."""


class ImputationWarning(PolygovWarning):
    """Values were imputed; the message says how many and where."""


class ConvergenceWarning(PolygovWarning):
    """An iterative estimator stopped before meeting its tolerance."""


def close_matches(name: str, options: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` entries of ``options`` that look like ``name``."""
    opts = [str(o) for o in options]
    hits = difflib.get_close_matches(str(name), opts, n=n, cutoff=0.5)
    if not hits:
        low = str(name).lower()
        hits = [o for o in opts if low in o.lower()][:n]
    return hits


def _fmt(values: Iterable, limit: int = 10) -> str:
    vals = list(values)
    shown = ", ".join(repr(v) for v in vals[:limit])
    if len(vals) > limit:
        shown += f", … ({len(vals) - limit} more)"
    return shown


def as_year(value: object, *, name: str = "year") -> int:
    """Return ``value`` as an ``int`` year, or raise ``TypeError`` naming the parameter.

    Accepts an integer (also a numpy integer), a float holding a whole number
    (``2016.0``, as a year read from a float column comes) and a string of digits
    (``"2016"``, as typed in a text box). Refuses booleans, fractional or
    non-finite numbers (``2016.5``, ``nan``) and other strings (``"20x6"``).

    Examples
    --------
    >>> as_year(2016), as_year(2016.0), as_year(" 2016 ")
    (2016, 2016, 2016)
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer such as 2016, got the boolean {bool(value)!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise TypeError(f"{name} must be an integer such as 2016 (or a whole-number float, or a string "
                    f"of digits), got {value!r} of type {type(value).__name__}")


def check_dataframe(data: object, *, name: str = "data") -> pd.DataFrame:
    """Raise ``TypeError`` unless ``data`` is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise ValueError(f"{name} is empty (shape {data.shape}); nothing to work on")
    return data


def check_columns(data: pd.DataFrame, columns: Sequence[str] | str, *, name: str = "data") -> list[str]:
    """Raise ``KeyError`` naming every column of ``columns`` missing from ``data``."""
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        hints = []
        for m in missing:
            near = close_matches(m, data.columns)
            if near:
                hints.append(f"{m!r} -> did you mean {', '.join(map(repr, near))}?")
        hint = (" " + "; ".join(hints)) if hints else ""
        raise KeyError(
            f"column(s) {_fmt(missing)} not found in {name}; it has {len(data.columns)} columns "
            f"({_fmt(data.columns, 8)}).{hint}"
        )
    return cols


def check_numeric(data: pd.DataFrame, columns: Sequence[str], *, name: str = "data",
                  allow_nan: bool = True) -> None:
    """Raise ``TypeError``/``ValueError`` naming non-numeric or non-finite columns."""
    _numeric_values(data, columns, name=name, allow_nan=allow_nan)


def _numeric_values(data: pd.DataFrame, columns: Sequence[str], *, name: str = "data",
                    allow_nan: bool = True) -> np.ndarray:
    """:func:`check_numeric`, returning the checked columns as one float array (rows x columns)."""
    if data.columns.is_unique:     # the dtypes of all columns at once (not a Series each)
        dtypes = dict(zip(data.columns, data.dtypes, strict=True))
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(dtypes[c])]
    else:
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise TypeError(
            f"column(s) {_fmt(bad)} of {name} are not numeric (dtypes: "
            f"{_fmt([str(data[c].dtype) for c in bad])}); convert them with pd.to_numeric first"
        )
    arr = data[list(columns)].to_numpy(dtype=float)
    if np.isinf(arr).any():
        cols = [c for c in columns if np.isinf(data[c].to_numpy(dtype=float)).any()]
        raise ValueError(f"column(s) {_fmt(cols)} of {name} contain infinite values")
    if not allow_nan and np.isnan(arr).any():
        cols = [c for c in columns if data[c].isna().any()]
        raise ValueError(
            f"column(s) {_fmt(cols)} of {name} contain missing values; impute or drop them first"
        )
    return arr


def check_in(value: object, allowed: Iterable, *, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``, listing the valid set."""
    allowed = list(allowed)
    if value not in allowed:
        near = close_matches(str(value), [str(a) for a in allowed])
        hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
        raise ValueError(f"unknown {name} {value!r}; expected one of {_fmt(allowed, 20)}.{hint}")


def check_keys(data: pd.DataFrame, keys: Sequence[str] = ("iso3", "year"), *,
               name: str = "data") -> None:
    """Raise ``ValueError`` if the key columns have missing or duplicated values."""
    keys = check_columns(data, keys, name=name)
    if data[keys].isna().any().any():
        bad = data.loc[data[keys].isna().any(axis=1), keys].head(5)
        raise ValueError(f"{name} has missing values in key columns {keys}: {bad.to_dict('records')}")
    dup = data.duplicated(keys, keep=False)
    if dup.any():
        rows = data.loc[dup, keys].drop_duplicates().head(5).to_dict("records")
        raise ValueError(
            f"{name} has {int(dup.sum())} rows with duplicated keys {keys}, e.g. {rows}; "
            "each key must identify one row"
        )


def check_unit_interval(value: object, name: str, example: float) -> float:
    """Return ``value`` as a float strictly between 0 and 1, or raise naming ``name``.

    Used for confidence levels (``level=0.95``, not 95) and significance levels
    (``alpha=0.05``, not 5): a percentage passed by mistake gave NaN bands or
    called every estimate significant.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                       np.floating)):
        raise TypeError(f"{name} must be a number strictly between 0 and 1 (e.g. "
                        f"{name}={example}), got {value!r} of type {type(value).__name__}")
    if not 0 < value < 1:
        hint = (f"; it looks like a percentage: use {name}={value / 100:g}"
                if 1 < value < 100 else "")
        raise ValueError(f"{name} must be strictly between 0 and 1 (e.g. {name}={example}), "
                         f"got {value!r}{hint}")
    return float(value)
