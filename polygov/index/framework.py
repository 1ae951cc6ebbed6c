"""The hierarchical framework of a composite index: indicator -> ... -> index.

A framework is a table with one row per node (indicator or aggregate):

========== =============================================================
code       unique identifier of the node (an indicator column name for leaves)
parent     code of the node it feeds into; empty for the root (the index)
weight     weight of the node within its parent (relative; rescaled per parent)
direction  +1 if higher raw values are better, -1 if lower values are better
name       optional human-readable label
========== =============================================================

Levels are computed, not declared: indicators (leaves) are level 1 and an
aggregate is one level above its highest child, so a tree of any depth and
any shape works.  COINr's ``iMeta`` table (columns ``iCode``, ``Parent``,
``Weight``, ``Direction``, ``Level``, ``Type``) is recognised and translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import _fmt, check_dataframe, close_matches

__all__ = ["Framework", "framework_from_table", "from_coinr"]

_COINR_MAP = {"iCode": "code", "Parent": "parent", "Weight": "weight",
              "Direction": "direction", "iName": "name"}
_KNOWN = {"code", "parent", "weight", "direction", "name", "level", "denominator",
          "target", "unit", "type", "label", "description", "source", "notes"}


@dataclass(frozen=True, eq=False)
class Framework:
    """A validated index hierarchy (immutable).  Build one with :func:`framework_from_table`.

    Attributes
    ----------
    table : DataFrame
        Columns ``code, parent, weight, direction, name, level`` (plus ``denominator``
        and ``target`` when given), one row per node, indicators first.
    """

    table: pd.DataFrame
    _children: Mapping[str, tuple[str, ...]] = field(repr=False, default=None)
    _parents: Mapping[str, str | None] = field(repr=False, default=None)
    _levels: Mapping[str, int] = field(repr=False, default=None)

    # -- structure ----------------------------------------------------------
    @cached_property
    def _derived(self) -> dict:
        """Structure read from ``table`` once (the framework is immutable); copies are handed out."""
        t = self.table
        lvl = t["level"]
        return {
            "codes": tuple(t["code"]),
            "indicators": tuple(t.loc[lvl == 1, "code"]),
            "aggregates": tuple(t.loc[lvl > 1].sort_values("level", kind="stable")["code"]),
            "root": str(t.loc[t["parent"].isna(), "code"].iloc[0]),
            "n_levels": int(lvl.max()),
            "weights": dict(zip(t["code"], t["weight"].astype(float), strict=True)),
            "directions": dict(zip(t.loc[lvl == 1, "code"],
                                   t.loc[lvl == 1, "direction"].astype(int), strict=True)),
        }

    @property
    def codes(self) -> list[str]:
        return list(self._derived["codes"])

    @property
    def indicators(self) -> list[str]:
        """Leaf codes (the data columns), in table order."""
        return list(self._derived["indicators"])

    @property
    def aggregates(self) -> list[str]:
        """Aggregate codes ordered bottom-up (level 2 first), so each is built after its children."""
        return list(self._derived["aggregates"])

    @property
    def root(self) -> str:
        return self._derived["root"]

    @property
    def n_levels(self) -> int:
        return self._derived["n_levels"]

    def children(self, code: str) -> tuple[str, ...]:
        self._check_code(code)
        return self._children.get(code, ())

    def parent(self, code: str) -> str | None:
        self._check_code(code)
        return self._parents[code]

    def level(self, code: str) -> int:
        self._check_code(code)
        return self._levels[code]

    def weights(self) -> dict[str, float]:
        """Nominal weight of every node (keyed by code)."""
        return dict(self._derived["weights"])

    def directions(self) -> dict[str, int]:
        return dict(self._derived["directions"])

    def direction(self, code: str) -> int:
        """Direction (+1/-1) of one indicator (no copy of the whole mapping)."""
        try:
            return self._derived["directions"][code]
        except KeyError:
            self._check_code(code)
            raise KeyError(f"code {code!r} is an aggregate; only indicators have a direction") from None

    def leaves_under(self, code: str) -> list[str]:
        """All indicators below ``code`` (itself if it is an indicator)."""
        kids = self.children(code)
        if not kids:
            return [code]
        out: list[str] = []
        for k in kids:
            out.extend(self.leaves_under(k))
        return out

    def ancestors(self, code: str) -> list[str]:
        out, p = [], self.parent(code)
        while p is not None:
            out.append(p)
            p = self.parent(p)
        return out

    def names(self) -> dict[str, str]:
        return dict(zip(self.table["code"], self.table["name"], strict=True))

    def without(self, codes) -> Framework:
        """A new framework with the indicators ``codes`` removed (aggregates left empty are removed too)."""
        codes = [codes] if isinstance(codes, str) else list(codes)
        bad = [c for c in codes if c not in self.indicators]
        if bad:
            raise KeyError(f"cannot remove {_fmt(bad)}: not indicators of this framework "
                           f"(indicators: {_fmt(self.indicators, 8)})")
        t = self.table.loc[~self.table["code"].isin(codes)].copy()
        while True:
            agg = t.loc[t["level"] > 1, "code"]
            empty = [a for a in agg if not (t["parent"] == a).any()]
            if not empty:
                break
            t = t.loc[~t["code"].isin(empty)]
        return framework_from_table(t.drop(columns=["level"]))

    def _check_code(self, code: str) -> None:
        if code not in self._levels:
            from ..errors import close_matches

            near = close_matches(code, self.table["code"])
            hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
            raise KeyError(f"code {code!r} is not in the framework ({len(self.table)} nodes).{hint}")

    def __repr__(self) -> str:
        return (f"Framework(root={self.root!r}, levels={self.n_levels}, "
                f"indicators={len(self.indicators)}, aggregates={len(self.aggregates)})")


_DIRECTION_WORDS = {"+": 1, "-": -1}


def _parse_directions(t: pd.DataFrame) -> pd.Series:
    """Map the ``direction`` column to +1/-1, refusing anything else by code and value.

    Accepted: the numbers 1 and -1 (also as strings "1", "+1", "-1", "1.0") and the
    strings "+" and "-".  A missing value (NaN/None/blank) is read as +1 on an
    aggregate row only (COINr leaves aggregates' direction empty); on an indicator row
    it is an error, since a silent +1 would rank a "lower is better" indicator backwards.
    """
    is_parent = t["code"].isin(set(t["parent"].dropna()))
    out, bad = [], []
    for c, d, agg in zip(t["code"], t["direction"], is_parent, strict=True):
        if isinstance(d, str):
            d = d.strip()
        if d is None or d == "" or (not isinstance(d, str) and pd.isna(d)):
            if agg:
                out.append(1)
                continue
            bad.append(f"{c}={d!r}")
            out.append(np.nan)
            continue
        if isinstance(d, str) and d in _DIRECTION_WORDS:
            out.append(_DIRECTION_WORDS[d])
            continue
        if isinstance(d, bool):
            v = np.nan
        else:
            try:
                v = float(d)
            except (TypeError, ValueError):
                v = np.nan
        if v not in (1.0, -1.0):
            bad.append(f"{c}={d!r}")
        out.append(v)
    if bad:
        raise ValueError(f"direction must be +1 or -1 (as numbers, or the strings '+'/'-'); bad: {_fmt(bad)}. "
                         "Use -1 for indicators where lower raw values are better; a missing "
                         "direction is only allowed on aggregate rows")
    return pd.Series(out, index=t.index)


def framework_from_table(table: pd.DataFrame, *, code: str = "code", parent: str = "parent",
                         weight: str = "weight", direction: str = "direction") -> Framework:
    """Validate a framework table and return a :class:`Framework`.

    Parameters
    ----------
    table : DataFrame
        One row per node.  COINr ``iMeta`` tables are accepted as they are: rows of
        ``Type`` "Group"/"Denominator"/"Other" are dropped, and ``iCode, Parent,
        Weight, Direction, iName, Denominator, Target`` are renamed.
    code, parent, weight, direction : str
        Column names, when they differ from the defaults.  ``weight`` and ``direction``
        columns are optional (default 1 and +1).  Directions must be 1 or -1 (numbers or
        numeric strings); the strings "+" and "-" are read as +1 and -1.  A missing
        direction is read as +1 on aggregate rows only; anything else ("neg", a blank
        on an indicator, 0, 2) raises naming the code and value.

    Returns
    -------
    Framework

    Raises
    ------
    ValueError
        Unknown columns (a misspelt ``weight`` would otherwise be ignored), duplicated codes, a parent that is not a code (orphan), a cycle, more than one
        root, negative weights, all-zero weights among siblings, a direction that is not
        1/-1 (or "+"/"-"), or a missing direction on an indicator row.
    KeyError
        Missing ``code``/``parent`` columns.

    Notes
    -----
    Levels: indicators (nodes without children) are level 1; an aggregate's level
    is 1 + the highest level among its children.
    """
    check_dataframe(table, name="framework table")
    t = table.copy()
    if "iCode" in t.columns and code not in t.columns:
        if "Type" in t.columns:
            t = t.loc[t["Type"].isin(["Indicator", "Aggregate"])]
        t = t.rename(columns={**_COINR_MAP, "Denominator": "denominator", "Target": "target"})
        t = t.drop(columns=[c for c in ("Level", "Type", "Unit") if c in t.columns])
        t = t.rename(columns={c: c.lower() for c in t.columns if c.lower() in _KNOWN})
    else:
        t = t.rename(columns={code: "code", parent: "parent", weight: "weight",
                              direction: "direction"})
    missing = [c for c in ("code", "parent") if c not in t.columns]
    if missing:
        raise KeyError(f"framework table lacks column(s) {_fmt(missing)}; it has {_fmt(t.columns)}. "
                       "Pass code=/parent= to name them.")
    unknown = [c for c in t.columns if c not in _KNOWN]
    if unknown:
        hints = {u: close_matches(u, _KNOWN) for u in unknown}
        hint = "; ".join(f"{u!r} -> did you mean {h[0]!r}?" for u, h in hints.items() if h)
        raise ValueError(
            f"framework table has unknown column(s) {_fmt(unknown)}; known columns are "
            f"{_fmt(sorted(_KNOWN), 20)}. {hint + ' ' if hint else ''}Rename or drop them "
            "(a misspelt 'weight' or 'direction' column would otherwise be silently ignored)")
    t["code"] = t["code"].astype(str)
    # object dtype with None for the root (pandas 3's string dtype would turn None into NaN)
    t["parent"] = pd.Series([None if pd.isna(v) or str(v) == "" else str(v) for v in t["parent"]],
                            index=t.index, dtype=object)
    if "weight" not in t.columns:
        t["weight"] = 1.0
    if "direction" not in t.columns:
        t["direction"] = 1
    if "name" not in t.columns:
        t["name"] = t["code"]
    t["name"] = t["name"].fillna(t["code"]).astype(str)
    t["weight"] = pd.to_numeric(t["weight"], errors="coerce")
    t["direction"] = _parse_directions(t)

    dup = t["code"][t["code"].duplicated()].unique()
    if len(dup):
        raise ValueError(f"framework table has duplicated codes {_fmt(dup)}; each node needs one row")
    codes = set(t["code"])
    orphans = t.loc[t["parent"].notna() & ~t["parent"].isin(codes), ["code", "parent"]]
    if len(orphans):
        pairs = [f"{c}->{p}" for c, p in orphans.itertuples(index=False)]
        raise ValueError(f"orphan node(s): parent not in the framework: {_fmt(pairs)}; "
                         "add a row for each parent or fix the spelling")
    roots = list(t.loc[t["parent"].isna(), "code"])
    if len(roots) != 1:
        raise ValueError(f"a framework needs exactly one root (a node with no parent); found "
                         f"{len(roots)}: {_fmt(roots)}. Add a common parent (the index) row")
    parent_of = dict(zip(t["code"], t["parent"], strict=True))
    for c in t["code"]:
        seen, p = {c}, parent_of[c]
        while p is not None:
            if p in seen:
                raise ValueError(f"cycle in the framework: {c!r} is its own ancestor via {p!r}")
            seen.add(p)
            p = parent_of[p]
    bad_w = t.loc[t["weight"].isna() | (t["weight"] < 0) | ~np.isfinite(t["weight"]), ["code", "weight"]]
    if len(bad_w):
        raise ValueError(f"weights must be finite and non-negative; bad: "
                         f"{_fmt([f'{c}={w}' for c, w in bad_w.itertuples(index=False)])}")
    t["direction"] = t["direction"].astype(int)
    children: dict[str, list[str]] = {}
    for c, p in zip(t["code"], t["parent"], strict=True):
        if p is not None:
            children.setdefault(p, []).append(c)
    wmap = dict(zip(t["code"], t["weight"], strict=True))
    for p, kids in children.items():
        if sum(wmap[k] for k in kids) == 0:
            raise ValueError(f"all weights of the children of {p!r} are zero ({_fmt(kids)}); "
                             "at least one must be positive")
    level: dict[str, int] = {}

    def _lvl(c: str) -> int:
        if c not in level:
            kids = children.get(c, [])
            level[c] = 1 if not kids else 1 + max(_lvl(k) for k in kids)
        return level[c]

    t["level"] = [_lvl(c) for c in t["code"]]
    keep = ["code", "parent", "weight", "direction", "name", "level"]
    extra = [c for c in ("denominator", "target") if c in t.columns]
    t = t[keep + extra].sort_values("level", kind="stable").reset_index(drop=True)
    kids = MappingProxyType({p: tuple(v) for p, v in children.items()})
    return Framework(table=t, _children=kids,
                     _parents=MappingProxyType(dict(zip(t["code"], t["parent"], strict=True))),
                     _levels=MappingProxyType({c: int(v) for c, v in zip(t["code"], t["level"],
                                                                          strict=True)}))


def from_coinr(idata: pd.DataFrame, imeta: pd.DataFrame) -> tuple[pd.DataFrame, Framework]:
    """Translate COINr's ``iData``/``iMeta`` tables into (tidy data, Framework).

    ``uCode`` becomes ``iso3`` and ``uName`` ``country``; ``Time`` becomes ``year`` only
    when it varies (a panel); group and denominator columns are kept as they are.
    """
    d = idata.rename(columns={"uCode": "iso3", "uName": "country"})
    if "Time" in d.columns:
        d = d.rename(columns={"Time": "year"}) if d["Time"].nunique() > 1 else d.drop(columns="Time")
    return d, framework_from_table(imeta)
