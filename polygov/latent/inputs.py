"""Input checks and preparation for :func:`polygov.latent.ucm`: directions, provider groups
(composite sources) and sources too sparse to use."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, close_matches
from .em import _MIN_OBS, _MIN_SOURCES


def _exclude_sparse(df: pd.DataFrame, sources: list[str], *, by: str | None) -> pd.DataFrame:
    """Blank sources with fewer than three values in a block; require three usable sources."""
    if by is None:
        counts = df[sources].count().to_frame("all").T
    else:
        counts = df.groupby(by, sort=True)[sources].count()
    sparse = counts < _MIN_OBS
    if not sparse.to_numpy().any():
        return df
    out = df.copy()
    notes = []
    for grp, row in sparse.iterrows():
        cols = [s for s in sources if row[s]]
        if not cols:
            continue
        if by is not None:
            out.loc[out[by] == grp, cols] = np.nan
        else:
            out[cols] = np.nan
        where = f" in {by} {grp}" if by is not None else ""
        usable = [s for s in sources if not row[s]]
        if len(usable) < _MIN_SOURCES:
            raise ValueError(
                f"only {len(usable)} source(s) {usable} have at least {_MIN_OBS} observed values"
                f"{where}; ucm needs {_MIN_SOURCES} (too sparse: "
                f"{ {s: int(counts.loc[grp, s]) for s in cols} }); drop that {by or 'fit'} "
                "or add sources"
            )
        notes.append(", ".join(f"{s}{where} ({int(counts.loc[grp, s])} values)" for s in cols))
    warnings.warn(
        f"source(s) with fewer than {_MIN_OBS} observed values were not used where too sparse: "
        f"{'; '.join(notes[:20])}{' …' if len(notes) > 20 else ''}; their params are NaN there",
        DataQualityWarning,
        stacklevel=3,
    )
    return out


def _check_directions(directions, sources) -> dict[str, int]:
    if directions is None:
        return dict.fromkeys(sources, 1)
    if isinstance(directions, Mapping):
        unknown = [k for k in directions if k not in sources]
        if unknown:
            raise KeyError(
                f"directions given for {unknown}, which are not in sources {list(sources)}"
            )
        dirs = {s: directions.get(s, 1) for s in sources}
    else:
        directions = list(directions)
        if len(directions) != len(sources):
            raise ValueError(
                f"directions has {len(directions)} entries but there are {len(sources)} sources "
                f"{list(sources)}; pass one +1/-1 per source or a dict keyed by source"
            )
        dirs = dict(zip(sources, directions, strict=True))
    bad = {k: v for k, v in dirs.items() if v not in (1, -1)}
    if bad:
        raise ValueError(f"directions must be +1 or -1; got {bad}")
    return {k: int(v) for k, v in dirs.items()}


def _check_groups(groups, sources: list[str], keys: list[str]) -> list[tuple[str, list[str]]]:
    """Validate ``groups``; return the fitted sources as ``(name, members)`` in ``sources`` order."""
    if groups is None:
        return [(s, [s]) for s in sources]
    if not isinstance(groups, Mapping):
        raise TypeError(
            f"groups must be a dict mapping a provider name to its source columns, e.g. "
            f"{{'wjp': ['pf_rol_procedural', 'pf_rol_civil']}}; got {type(groups).__name__}"
        )
    owner: dict[str, str] = {}
    clean: dict[str, list[str]] = {}
    for name, members in groups.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"groups keys must be non-empty strings (the composite's name); got {name!r}")
        if isinstance(members, str) or not isinstance(members, Sequence | set | frozenset | tuple):
            raise TypeError(
                f"groups[{name!r}] must be a list of source columns, got {members!r}"
                + (f"; write [{members!r}]" if isinstance(members, str) else "")
            )
        members = list(members)
        if not members:
            raise ValueError(f"groups[{name!r}] is empty; list at least one source column")
        dup = sorted({m for m in members if members.count(m) > 1})
        if dup:
            raise ValueError(f"groups[{name!r}] lists {dup} more than once")
        unknown = [m for m in members if m not in sources]
        if unknown:
            hints = []
            for m in unknown:
                near = close_matches(m, sources)
                if near:
                    hints.append(f"{m!r} -> did you mean {', '.join(map(repr, near))}?")
            raise KeyError(
                f"groups[{name!r}] lists {unknown}, which are not in sources {sources}; every "
                "grouped column must also be listed in sources" + (" " + "; ".join(hints) if hints else "")
            )
        for m in members:
            if m in owner:
                raise ValueError(
                    f"source {m!r} is in two groups, {owner[m]!r} and {name!r}; a column can "
                    "belong to one provider only"
                )
            owner[m] = name
        clean[name] = members
    for name, members in clean.items():
        if name in keys:
            raise ValueError(f"group name {name!r} is a key column of data ({keys}); rename the group")
        if name in sources and (name not in members or len(members) > 1):
            raise ValueError(
                f"group name {name!r} is also a source column"
                + ("" if name in members else f" (not a member of group {name!r})")
                + "; name the composite differently from the columns, e.g. "
                f"{name + '_composite'!r}"
            )
    fitted: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for s in sources:
        name = owner.get(s, s)
        if name not in seen:
            seen.add(name)
            fitted.append((name, clean.get(name, [s]) if s in owner else [s]))
    return fitted


def _combine(df: pd.DataFrame, fitted, *, block: str | None) -> pd.DataFrame:
    """One column per fitted source: a group of several columns becomes the mean of its
    members' values standardised within ``block`` (``None``: over all rows); a column with
    fewer than three values in a block is set aside there (with a warning)."""
    keys = [c for c in df.columns if c not in {m for _, ms in fitted for m in ms}]
    out = df[keys].copy()
    notes = []
    for name, members in fitted:
        if len(members) == 1:
            out[name] = df[members[0]]
            continue
        x = df[members]
        grp = x.groupby(df[block], sort=True) if block is not None else x.groupby(np.zeros(len(x)))
        n = grp.transform("count")
        mu = grp.transform("mean")
        sd = grp.transform(lambda v: v.std(ddof=0))
        sparse = (n < _MIN_OBS) & x.notna()
        if sparse.to_numpy().any():
            for m in members:
                if sparse[m].any():
                    where = (f" in {block} {sorted(df.loc[sparse[m], block].unique().tolist())}"
                             if block is not None else "")
                    notes.append(f"{m} of group {name!r}{where}")
            x = x.mask(sparse)
        flat = (n >= _MIN_OBS) & ~(sd > 1e-12 * np.maximum(1.0, mu**2))
        if flat.to_numpy().any():
            bad = {m: (sorted(df.loc[flat[m], block].unique().tolist()) if block else "all rows")
                   for m in members if flat[m].any()}
            raise ValueError(
                f"member(s) of group {name!r} have no variance (every country has the same "
                f"value): {bad}; a constant carries no information: drop it from the group"
            )
        out[name] = ((x - mu) / sd).mean(axis=1, skipna=True)
    if notes:
        warnings.warn(
            f"group member(s) with fewer than {_MIN_OBS} observed values cannot be standardised "
            f"and were left out of their composite there: {'; '.join(notes[:20])}"
            f"{' …' if len(notes) > 20 else ''}",
            DataQualityWarning,
            stacklevel=3,
        )
    return out
