"""One key-validation step for every function that takes a country-year frame.

Country-year data are identified by an entity key (``iso3`` by default) and a
time key (``year``).  Small slips in those keys silently change results: a
lower-case ``iso3`` in one year splits each country in two, years mixing the
string ``"2016"`` and the integer ``2016`` double the periods, a frame stacked
twice doubles N and shrinks standard errors by √2.  :func:`normalise_keys` is
the single place where polygov checks keys; every public function that takes a
panel or a cross-section calls it before doing anything else.

The rule (documented once, here)
--------------------------------
Normalised, with a :class:`~polygov.errors.KeyNormalisationWarning` that counts
and names the rows:

* entity codes that are strings lose surrounding white space; ISO 3166-1
  alpha-3 codes (a key column named ``iso3``, in any case) are upper-cased;
* years stored as whole-number floats (``2016.0``) or digit strings
  (``"2016"``) become integers.

Refused, with a ``ValueError`` naming the column and the first offending rows:

* missing keys, empty entity strings, years that are not whole numbers
  (``2016.5``, ``"20x6"``, ``True``);
* entity columns mixing strings and numbers;
* duplicated keys (after normalisation, so ``"CHN"``/``"chn"`` in one year are
  caught), unless ``unique=False``.

Key columns are recognised whatever their case: a ``Year`` column is the time
key when ``time="year"`` is asked for and no exact ``year`` column exists
(:func:`resolve_key`), and :func:`key_like_columns` lists columns that look like
keys, so that no function counts them as data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import DataQualityWarning, check_dataframe

__all__ = [
    "KEY_NAMES",
    "KeyNormalisationWarning",
    "key_like_columns",
    "normalise_keys",
    "resolve_key",
]

#: Column names (compared case-insensitively) that polygov treats as keys, never as data.
KEY_NAMES: frozenset[str] = frozenset({
    "iso3", "iso", "iso_code", "country", "country_name", "countryname", "country_code",
    "code", "year", "time", "date", "period", "wave", "id", "unit", "entity", "region",
})


class KeyNormalisationWarning(DataQualityWarning):
    """Key values were normalised (case, white space, year type); the message counts the rows."""


def _rows(data: pd.DataFrame, mask: np.ndarray, cols: Sequence[str], limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = data.iloc[idx[:limit]][list(cols)]
    def py(v):
        return v.item() if isinstance(v, np.generic) else v

    recs = [f"row {py(data.index[i])!r}: " + ", ".join(f"{c}={py(shown.iloc[j][c])!r}" for c in cols)
            for j, i in enumerate(idx[:limit])]
    more = f" … ({len(idx) - limit} more)" if len(idx) > limit else ""
    return "; ".join(recs) + more


def resolve_key(data: pd.DataFrame, name: str, *, role: str = "key", required: bool = True
                ) -> str | None:
    """Return the column of ``data`` that is the key ``name``, matching case-insensitively.

    An exact match wins.  Otherwise one column whose name equals ``name`` when
    both are lower-cased is accepted (``Year`` for ``year``); two such columns
    (``Year`` and ``YEAR``) are ambiguous and refused.

    Raises
    ------
    KeyError
        When ``required`` and no column matches; names the key and the columns there are.
    ValueError
        When several columns match up to case.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"the {role} column name must be a non-empty string, got {name!r}")
    if name in data.columns:
        return name
    hits = [c for c in data.columns if isinstance(c, str) and c.lower() == name.lower()]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ValueError(f"{role} column {name!r} is ambiguous: data has {hits}, which differ only in "
                         "case; rename or drop all but one")
    if required:
        from .errors import close_matches

        near = close_matches(name, [str(c) for c in data.columns])
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise KeyError(f"{role} column {name!r} not found in data (columns: "
                       f"{', '.join(map(repr, list(data.columns)[:12]))}){hint}")
    return None


def key_like_columns(data: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    """Columns of ``data`` whose lower-cased name is a key name (:data:`KEY_NAMES`) or in ``extra``."""
    names = KEY_NAMES | {str(e).lower() for e in extra}
    return [c for c in data.columns if str(c).lower() in names]


def _normalise_time(col: pd.Series, name: str, data: pd.DataFrame) -> tuple[pd.Series, int]:
    """Return integer years and the number of values changed, or raise naming the rows."""
    if pd.api.types.is_bool_dtype(col):
        raise ValueError(f"time key {name!r} is boolean; expected whole-number years such as 2016")
    if pd.api.types.is_integer_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        return col.astype("int64"), 0
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    values = np.asarray(uniques, dtype=object)
    out = np.empty(len(values), dtype="int64")
    bad = np.zeros(len(values), dtype=bool)
    changed_u = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)):
            bad[i] = True
        elif isinstance(v, (int, np.integer)):
            out[i] = int(v)
        elif isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
            out[i] = int(v)
            changed_u[i] = True
        elif isinstance(v, str) and v.strip().lstrip("-").isdigit():
            out[i] = int(v.strip())
            changed_u[i] = True
        else:
            bad[i] = True
    if bad.any():
        rows = bad[codes]
        raise ValueError(
            f"time key {name!r} must hold whole-number years (integers, 2016.0 or '2016'); "
            f"{int(rows.sum())} row(s) do not: {_rows(data, rows, [name])}")
    # a float column of whole numbers is a storage choice, not a slip
    changed = 0 if pd.api.types.is_float_dtype(col) else int(changed_u[codes].sum())
    return pd.Series(out[codes], index=col.index, name=col.name), changed


def _normalise_entity(col: pd.Series, name: str, data: pd.DataFrame, iso: bool
                      ) -> tuple[pd.Series, int]:
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    values = np.asarray(uniques, dtype=object)
    is_str = np.array([isinstance(v, str) for v in values], dtype=bool)
    if not is_str.any():
        return col, 0
    if not is_str.all():
        rows = ~is_str[codes]
        raise ValueError(
            f"entity key {name!r} mixes strings and other types ({int(rows.sum())} non-string "
            f"row(s): {_rows(data, rows, [name])}); use one type for every row")
    new = np.array([v.strip() for v in values], dtype=object)
    empty = np.array([v == "" for v in new], dtype=bool)
    if empty.any():
        rows = empty[codes]
        raise ValueError(f"entity key {name!r} has {int(rows.sum())} empty value(s): "
                         f"{_rows(data, rows, [name])}")
    if iso:
        new = np.array([v.upper() for v in new], dtype=object)
    changed = int((new != values)[codes].sum())
    if not changed:
        return col, 0
    out = pd.Series(new[codes], index=col.index, name=col.name)
    # keep the column's own dtype (pandas 3 string dtypes differ only in their missing marker)
    return (out if col.dtype == object else out.astype(col.dtype)), changed


def normalise_keys(data: pd.DataFrame, *, entity: str | None = "iso3", time: str | None = "year",
                   unique: bool = True, name: str = "data", require_time: bool = True
                   ) -> pd.DataFrame:
    """Return ``data`` with checked, normalised key columns; refuse keys that cannot be fixed.

    Parameters
    ----------
    data : DataFrame
        A tidy country-year (or country) frame. Never modified.
    entity, time : str or None
        Key column names, matched case-insensitively (see :func:`resolve_key`); a
        case-variant column (``Year``) is renamed to the asked-for name in the
        result. ``None`` skips that key.
    unique : bool
        Refuse duplicated keys (default).  With ``time=None`` the entity alone
        must be unique.
    name : str
        How ``data`` is called in messages (e.g. the calling function's argument).
    require_time : bool
        When ``False`` a missing time column is allowed (cross-sections).

    Returns
    -------
    DataFrame
        The same rows in the same order; a copy only when something changed.

    Notes
    -----
    The rules are listed in the module docstring.  Every change is reported by
    one :class:`KeyNormalisationWarning` per key column with the count of rows.
    """
    check_dataframe(data, name=name)
    if not isinstance(unique, bool):
        raise TypeError(f"unique must be True or False, got {unique!r}")
    out = data
    keys: list[str] = []
    renames: dict[str, str] = {}
    for role, key, required in (("entity", entity, True), ("time", time, require_time)):
        if key is None:
            continue
        col = resolve_key(data, key, role=f"{role} key", required=required)
        if col is None:
            continue
        if col != key:
            if key in data.columns:  # pragma: no cover - resolve_key returns exact matches first
                raise ValueError(f"{name} has both {col!r} and {key!r}")
            renames[col] = key
        keys.append(key)
    if renames:
        out = out.rename(columns=renames)
    missing = out[keys].isna().to_numpy().any(axis=1) if keys else np.zeros(len(out), bool)
    if missing.any():
        raise ValueError(f"{name} has {int(missing.sum())} row(s) with missing key values in "
                         f"{keys}: {_rows(out, missing, keys)}; every row needs its keys")
    for key in keys:
        if key == time:
            new, changed = _normalise_time(out[key], key, out)
        else:
            new, changed = _normalise_entity(out[key], key, out, iso=key.lower() == "iso3")
        if changed or new.dtype != out[key].dtype:
            if out is data:
                out = data.copy()
            out[key] = new
        if changed:
            warnings.warn(f"{name}: normalised {changed} value(s) of key {key!r} "
                          f"({'to integer years' if key == time else 'white space/case of codes'})",
                          KeyNormalisationWarning, stacklevel=3)
    if unique and keys:
        dup = out.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            raise ValueError(
                f"{name} has {int(dup.sum())} row(s) with duplicated keys {keys} (after normalising "
                f"case, white space and year types): {_rows(out, dup, keys)}; each key must "
                "identify one row — drop the duplicates or aggregate them first")
    return out
