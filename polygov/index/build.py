"""Build an index: a pure function of (spec, data) returning every stage.

Stages, in order (each kept in ``result.stages``):

``raw`` -> ``denominated`` -> ``screened`` -> ``treated`` -> ``imputed`` ->
``normalised`` -> ``aggregated`` (normalised indicators plus every aggregate).
With ``IndexSpec(impute_first=True)`` the order is COINr's (``build_example_coin``):
``raw`` -> ``denominated`` -> ``imputed`` -> ``screened`` -> ``treated`` -> ...
``stages["prepared"]`` is always the table that is normalised.

Data are a cross-section (one row per ``iso3``) or a country-year panel (``iso3``,
``year``).  With a panel, treatment, imputation and normalisation pool all years of
an indicator (so a score of 60 means the same in 2008 and 2016), aggregation is
row-wise, and ranks (and Copeland scores) are computed within each year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import (
    DataQualityWarning,
    _fmt,
    _numeric_values,
    check_columns,
    check_dataframe,
    close_matches,
)
from ..keys import normalise_keys
from .aggregate import AGGREGATORS, _power_mean_values, aggregator_kwargs, builtin_power
from .denominate import _divide as _denominate_values
from .impute import impute
from .normalise import NORMALISERS, normalise
from .normalise import minmax as _minmax
from .normalise import zscore as _zscore
from .spec import IndexSpec
from .treat import _fails as _treat_fails
from .treat import _treated_values, _WinsorPath, treat_series

__all__ = ["build", "compare", "IndexResult"]

_BUILTIN_NORMALISERS = {"minmax": _minmax, "zscore": _zscore}

_LOG_COLS = ["stage", "iso3", "year", "code", "action", "before", "after", "reason"]


@dataclass(frozen=True, eq=False)
class IndexResult:
    """The frozen result of :func:`build`.

    Attributes
    ----------
    spec : IndexSpec
    stages : mapping name -> DataFrame
        Wide frames indexed by ``iso3`` (or ``iso3, year``), one column per code.
    scores : DataFrame
        Tidy: ``iso3, [year], code, name, level, score, rank`` for every indicator
        (normalised score) and aggregate.  Ranks: 1 = best, ties share the lowest rank,
        computed from unrounded scores within each code (and year).
    ranks : DataFrame
        Wide ranks (same index as ``stages``; one column per code).
    weights : Series
        Effective weight of each node within its parent (sums to 1 per parent).
    log : DataFrame
        ``stage, iso3, year, code, action, before, after, reason``: every changed value.
    """

    spec: IndexSpec
    stages: Mapping[str, pd.DataFrame]
    scores: pd.DataFrame
    ranks: pd.DataFrame
    weights: pd.Series
    log: pd.DataFrame

    @property
    def keys(self) -> list[str]:
        return list(self.stages["raw"].index.names)

    def index_scores(self) -> pd.DataFrame:
        """Scores and ranks of the top-level index only (tidy)."""
        return self.scores.loc[self.scores["code"] == self.spec.framework.root].reset_index(drop=True)

    def level(self, level: int) -> pd.DataFrame:
        """Wide scores of all codes at ``level`` (1 = normalised indicators)."""
        t = self.spec.framework.table
        codes = list(t.loc[t["level"] == level, "code"])
        if not codes:
            raise ValueError(f"no level {level}; levels are 1..{self.spec.framework.n_levels}")
        return self.stages["aggregated"][codes]

    def explain(self, iso3: str, code: str, year: int | None = None) -> pd.DataFrame:
        """Trace one number back to the raw data.

        For an indicator: its value at each stage, with the direction, the normaliser and
        every log entry.  For an aggregate: each child's score, effective weight and
        contribution, the aggregator and the result.

        Returns
        -------
        DataFrame with columns ``step, code, value, weight, note``.
        """
        fw = self.spec.framework
        fw._check_code(code)
        key = self._key(iso3, year)
        rows = []
        if code in fw.indicators:
            order = (("raw", "denominated", "imputed", "treated", "normalised") if self.spec.impute_first
                     else ("raw", "denominated", "treated", "imputed", "normalised"))
            for stage in order:
                df = self.stages[stage]
                if key in df.index and code in df.columns:
                    note = ""
                    if stage == "normalised":
                        d = self.spec.indicator_setting(code, "direction")
                        note = (f"direction {d:+d}{' (flipped: lower raw is better)' if d < 0 else ''}; "
                                f"{self.spec.indicator_setting(code, 'normalisation')}"
                                f"{dict(self.spec.indicator_setting(code, 'normalisation_params'))}")
                    rows.append(dict(step=stage, code=code, value=float(df.at[key, code]),
                                     weight=np.nan, note=note))
            lg = self.log
            sel = (lg["code"] == code) & (lg["iso3"] == iso3)
            if "year" in self.keys:
                sel &= lg["year"] == key[1]
            for r in lg.loc[sel].itertuples():
                rows.append(dict(step=f"log:{r.stage}", code=code, value=r.after, weight=np.nan,
                                 note=f"{r.action}: {r.reason}"))
        else:
            agg = self.stages["aggregated"]
            kids = fw.children(code)
            w = self.weights.reindex(list(kids))
            vals = agg.loc[key, list(kids)].astype(float)
            avail = vals.notna()
            wa = w.where(avail, 0.0)
            wa = wa / wa.sum() if wa.sum() > 0 else wa
            for k in kids:
                rows.append(dict(step="component", code=k, value=float(vals[k]),
                                 weight=float(wa[k]),
                                 note="missing: weight moved to the others" if not avail[k] else ""))
            name = self.spec.aggregator_for(code)
            rows.append(dict(step="aggregate", code=code, value=float(agg.at[key, code]),
                             weight=float(self.weights.get(code, np.nan)),
                             note=f"{name} aggregation of {int(avail.sum())}/{len(kids)} components"))
        return pd.DataFrame(rows, columns=["step", "code", "value", "weight", "note"])

    def _key(self, iso3, year):
        idx = self.stages["aggregated"].index
        if "year" in self.keys:
            years = idx.get_level_values("year").unique()
            if year is None and len(years) == 1:
                year = years[0]
            if year is None:
                raise ValueError(f"this is a panel ({len(years)} years, {years.min()}-"
                                 f"{years.max()}): give year= as well")
            key = (iso3, year)
        else:
            key = iso3
        if key not in idx:
            if key in self.stages["raw"].index:
                why = self.log.loc[(self.log["action"] == "unit dropped") & (self.log["iso3"] == iso3)]
                if "year" in self.keys:
                    why = why.loc[why["year"] == key[1]]
                reason = why["reason"].iloc[0] if len(why) else "screening"
                raise KeyError(f"unit {key!r} was removed before normalisation by the "
                               f"min_unit_coverage screen ({reason}); lower min_unit_coverage "
                               "to keep it")
            units = idx.get_level_values("iso3").unique() if "year" in self.keys else idx
            near = close_matches(str(iso3), units)
            hint = f" Did you mean {', '.join(map(repr, near))}?" if near and iso3 not in units else ""
            raise KeyError(f"unit {key!r} is not in the built index.{hint}")
        return key

    def __repr__(self) -> str:
        n = len(self.stages["aggregated"])
        return f"IndexResult({n} rows, root={self.spec.framework.root!r}, {len(self.log)} log entries)"


# ---------------------------------------------------------------------------
def _key_columns(data: pd.DataFrame) -> list[str]:
    check_columns(data, ["iso3"])
    return ["iso3", "year"] if "year" in data.columns else ["iso3"]


def _log_rows(recs, stage, keys, index_to_key, code=None):
    out = []
    for r in recs:
        k = index_to_key(r["index"]) if "index" in r else (None, None)
        out.append(dict(stage=stage, iso3=k[0], year=k[1], code=r.get("code", code),
                        action=r.get("action", ""), before=r.get("before", np.nan),
                        after=r.get("after", np.nan), reason=r.get("reason", "")))
    return out


def _load(spec: IndexSpec, data: pd.DataFrame, *, stages: bool = True) -> tuple:
    """Validate ``data`` and return the keyed table, its key columns and the first stages.

    ``stages=False`` (the sensitivity engine's :func:`prepare_arrays`): the ``raw`` and
    ``denominated`` stage frames are not made (the returned stages are empty).
    """
    check_dataframe(data)
    data = normalise_keys(data, entity="iso3", time="year", require_time=False)
    keys = _key_columns(data)
    # (normalise_keys has already refused missing and duplicated keys, with its own message)
    fw = spec.framework
    inds = fw.indicators
    check_columns(data, inds, name="data (framework indicators)")
    X = _numeric_values(data, inds)          # checked, as floats, in the rows' order
    extra = []
    if spec.denominators:
        extra += list(set(spec.denominators.values()))
    if spec.impute_by is not None:
        extra += [spec.impute_by] if isinstance(spec.impute_by, str) else list(spec.impute_by)
    extra = [c for c in dict.fromkeys(extra) if c not in keys and c not in inds]
    check_columns(data, extra)
    # the table keyed and sorted as ``data[keys + inds + extra].set_index(keys).sort_index()``
    # (the same index: set and sorted from the key columns alone), with the indicators as
    # one float block beside the other columns: every later stage selects them, and a frame
    # with a block per column (as many loaders make) slows each selection; the values are
    # those of each column as float, which every stage takes anyway
    order = (data[keys].assign(**{"__row": np.arange(len(data))}).set_index(keys)
             .sort_index()["__row"])
    index, pos = order.index, order.to_numpy()
    X = X[pos]
    d = data[extra].take(pos).set_axis(index, axis=0)
    want = stages
    stages: dict[str, pd.DataFrame] = ({"raw": pd.DataFrame(X.copy(), index=index, columns=inds)}
                                       if want else {})
    log: list[dict] = []
    if spec.denominators:   # denominate()'s operations, on the indicator block
        dens = dict(spec.denominators)
        dinds = list(dens)
        need = dinds + list(set(dens.values()))
        if not set(need) <= set(inds) | set(extra):    # denominate()'s check on the keyed table
            check_columns(pd.DataFrame(columns=inds + extra), need, name="data (denominators)")
        cols = [inds.index(c) for c in dinds]
        den = np.column_stack([X[:, inds.index(v)] if v in inds
                               else d[v].to_numpy(dtype=float) for v in
                               (dens[c] for c in dinds)]) if dinds else np.empty((len(d), 0))
        res, recs = _denominate_values(X[:, cols], den, dinds, dens, 1.0, index)
        X = X.copy(order="F")
        X[:, cols] = res
        log += [dict(stage="denominate", iso3=None, year=None, code=r["code"], action=r["action"],
                     before=np.nan, after=np.nan, reason=r["reason"]) for r in recs]
    new = pd.DataFrame(X, index=index, columns=inds)
    d = pd.concat([new, d], axis=1) if extra else new
    if want:
        stages["denominated"] = d[inds].astype(float)
    return d, keys, stages, log


def _tokey_for(keys):
    if len(keys) == 2:
        def tokey(ix):
            return ix
    else:
        def tokey(ix):
            return (ix, None)
    return tokey


def prepare(spec: IndexSpec, data: pd.DataFrame, *, cache: dict | None = None
            ) -> tuple[dict, list[dict], list[str]]:
    """Run the stages before normalisation. Returns (stages, log records, key columns).

    ``stages["prepared"]`` is the table to normalise: the imputed table in the default
    order, the treated one with ``spec.impute_first``.

    ``cache`` (private to the sensitivity engine): a dict kept across calls on the *same*
    data and framework; each step's result is stored under the settings it depends on
    (the steps before it and its own), so variants that differ only in, say, the
    winsorisation limit share the loading, imputation and screening work.
    """
    return _prepare(spec, data, {} if cache is None else cache, lean=False)


def prepare_arrays(spec: IndexSpec, data: pd.DataFrame, *, cache: dict
                   ) -> tuple[pd.Index, np.ndarray]:
    """``prepare(spec, data)[0]["prepared"]`` as ``(index, values)``, without the audit trail.

    The sensitivity engine's path (private): the same steps, cached under keys of their
    own in ``cache``, but no stage frames or log records are made (the treatment step
    keeps only the treated values of each indicator, read from one shared winsorisation
    walk per indicator), and when treatment is the last step the prepared table is never
    assembled as a DataFrame.  Values are bitwise those of :func:`prepare` (tested in
    ``tests/test_index_fastpaths.py``).
    """
    return _prepare(spec, data, cache, lean=True)


def _prepare(spec: IndexSpec, data: pd.DataFrame, cache: dict, *, lean: bool):
    if lean:       # a full load (with its stage frames) serves too
        if "load" not in cache and "load (no stages)" not in cache:
            cache["load (no stages)"] = _load(spec, data, stages=False)
        load = cache.get("load") or cache["load (no stages)"]
    else:
        if "load" not in cache:
            cache["load"] = _load(spec, data)
        load = cache["load"]
    d, keys, stages0, log0 = load
    tokey = _tokey_for(keys)
    fw = spec.framework
    inds = fw.indicators
    stages = dict(stages0)
    log: list[dict] = list(log0)

    def screen(d):
        out_log = []
        cover = d[inds].notna().mean(axis=1)
        drop = cover < spec.min_unit_coverage
        if drop.any():
            for ix in d.index[drop]:
                k = tokey(ix)
                out_log.append(dict(stage="screen", iso3=k[0], year=k[1], code=None,
                                    action="unit dropped", before=np.nan, after=np.nan,
                                    reason=f"{cover[ix]:.0%} of indicators available < "
                                           f"min_unit_coverage {spec.min_unit_coverage:.0%}"))
            d = d.loc[~drop]
        if d.empty:
            raise ValueError(f"no unit meets min_unit_coverage={spec.min_unit_coverage}")
        if lean:              # the check only (the engine keeps no stage frames)
            _check_empty_indicators(spec, d[inds])
            return d, {}, out_log
        st = d[inds].astype(float)
        _check_empty_indicators(spec, st)
        return d, {"screened": st}, out_log

    def treated_columns(d, prefix, with_log: bool):
        """``{position: treated values}`` of the indicators the treatment changes (+ records).

        Per-indicator results are shared between variants with the same input table (e.g.
        winsorisation limits 1..5): an indicator that passes the skew/kurtosis rule is the
        same whatever the limit, so it is checked once (on the array), and one
        winsorisation walk per indicator serves every limit.
        """
        out_log = []
        cols = {}
        akey = ("array", prefix)
        if akey not in cache:
            cache[akey] = d[inds].to_numpy(dtype=float)
        X = cache[akey]
        # the per-indicator keys hold a token standing for the (long) prefix, so that each
        # lookup does not hash the whole prefix again
        prefix = cache.setdefault(("prefix token", prefix), object())
        ov = spec.overrides
        g_method, g_params = spec.treatment, spec.treatment_params
        g_pt = tuple(sorted(g_params.items()))
        for j, c in enumerate(inds):
            if c in ov:
                method = spec.indicator_setting(c, "treatment")
                params = spec.indicator_setting(c, "treatment_params")
                pt = tuple(sorted(params.items()))
            else:               # the global setting (looked up once, not per indicator)
                method, params, pt = g_method, g_params, g_pt
            if method == "none":
                continue
            key = ("treat1", prefix, c, method, pt)
            hit = cache.get(key)
            if hit is None and not with_log:
                hit = cache.get(("treat1v", prefix, c, method, pt))
            if hit is None and method == "winsorise":
                sk = (params.get("skew_thresh", 2.0), params.get("kurt_thresh", 3.5))
                pkey = ("passes", prefix, c, *sk)
                if pkey not in cache:
                    cache[pkey] = not _treat_fails(X[:, j], *sk)
                if cache[pkey]:
                    hit = (None, [])        # unchanged
            if hit is None:
                # treat in the aligned direction-free raw scale; winsorisation is symmetric
                extra = {}
                if method == "winsorise":
                    # one winsorisation walk per indicator, shared by every winmax
                    wkey = ("walk", prefix, c, *sk)
                    if wkey not in cache:
                        cache[wkey] = _WinsorPath(d[c], *sk)
                    extra["_path"] = cache[wkey]
                if with_log or not extra:
                    xc = extra["_path"].x if extra else d[c]     # the walk holds d[c] already
                    y, recs = treat_series(xc, method=method, **dict(params), **extra)
                    hit = (y.to_numpy(dtype=float),
                           _log_rows([{**r, "code": c} for r in recs], "treat", keys, tokey))
                    cache[key] = hit
                else:                   # the values alone (the engine's variants)
                    hit = (_treated_values(extra["_path"], **dict(params)), None)
                    cache[("treat1v", prefix, c, method, pt)] = hit
            else:
                cache.setdefault(key if with_log else ("treat1v", prefix, c, method, pt), hit)
            if hit[0] is not None:
                cols[j] = hit[0]
            if with_log:
                out_log.extend(hit[1])
        return X, cols, out_log

    def treat(d, prefix):
        X, cols, out_log = treated_columns(d, prefix, with_log=True)
        if cols:
            d = _with_columns(d, inds, X, cols)
        return d, {"treated": d[inds].astype(float)}, out_log

    def treat_lean(d, prefix):
        X, cols, _ = treated_columns(d, prefix, with_log=False)
        T = X
        if cols:
            T = X.copy()
            for j, y in cols.items():
                T[:, j] = y
        if steps[-1] is treat_lean:      # the last step: the engine takes the array
            return (d.index, T), {}, []
        return (_with_columns(d, inds, X, cols) if cols else d), {}, []

    def impute_(d):
        out_log = []
        if spec.imputation != "none":
            d, recs = impute(d, columns=inds, method=spec.imputation, by=spec.impute_by)
            if not lean:
                out_log.extend(_log_rows(recs, "impute", keys, tokey))
        return d, ({} if lean else {"imputed": d[inds].astype(float)}), out_log

    def treat_key():
        g = (spec.treatment, tuple(sorted(dict(spec.treatment_params).items())))
        ov = spec.overrides
        return ("treat", tuple((c, *((spec.indicator_setting(c, "treatment"),
                                      tuple(sorted(dict(spec.indicator_setting(
                                          c, "treatment_params")).items())))
                                     if c in ov else g))
                               for c in inds))

    def lean_treat_key():
        return (*treat_key(), "values")

    # lean steps keep no stage frames or records: their results are cached under their own
    # keys, so that a full prepare() on the same cache never takes them for its own
    mode = ("values",) if lean else ()
    keyers = {screen: lambda: ("screen", spec.min_unit_coverage, tuple(spec.node_weights().items()),
                               *mode),
              treat: treat_key, treat_lean: lean_treat_key,
              impute_: lambda: ("impute", spec.imputation, spec.impute_by, *mode)}
    tr = treat_lean if lean else treat
    steps = (impute_, screen, tr) if spec.impute_first else (screen, tr, impute_)
    prefix: tuple = ()
    for step in steps:
        before, prefix = prefix, prefix + (keyers[step](),)
        hit = cache.get(prefix)
        if hit is None:
            hit = cache[prefix] = step(d, before) if step in (treat, treat_lean) else step(d)
        d, st, lg = hit
        stages.update(st)
        log += lg
    if lean:
        if isinstance(d, tuple):
            index, X = d
        else:
            akey = ("array", prefix)
            if akey not in cache:
                cache[akey] = d[inds].to_numpy(dtype=float)
            index, X = d.index, cache[akey]
        if "year" in keys:       # the panel check warns about empty years (cross-sections: no-op)
            _check_empty_years(spec, pd.DataFrame(X, index=index, columns=inds))
        return index, X
    stages["prepared"] = d[inds].astype(float)
    log += _check_empty_years(spec, stages["prepared"])
    return stages, log, keys


def _with_columns(d: pd.DataFrame, inds: list[str], X: np.ndarray, cols: dict) -> pd.DataFrame:
    """``d`` with the indicator columns ``X`` (and column positions ``cols`` replaced)."""
    T = X.copy()
    for j, y in cols.items():
        T[:, j] = y
    # one float block for the indicators (column-by-column assignment would split
    # the frame into a block per column and slow every later selection)
    new = pd.DataFrame(T, index=d.index, columns=inds)
    rest = [e for e in d.columns if e not in new.columns]
    if rest:       # the other columns joined at once (not one setitem each)
        new = pd.concat([new, d[rest]], axis=1)
    return new[list(d.columns)]


def _check_empty_indicators(spec: IndexSpec, x: pd.DataFrame) -> None:
    """Refuse an indicator (not excluded) with no observed value at all.

    An indicator that is entirely missing cannot be "a component with missing values":
    the per-unit rule (weights rescaled over the available components, ``min_coverage``)
    would drop it for every unit and quietly move its weight to its siblings.
    """
    w = spec.node_weights()
    allna = x.isna().all()
    empty = [c for c in x.columns if w.get(c, 1.0) > 0 and allna[c]]
    if empty:
        raise ValueError(
            f"indicator(s) {_fmt(empty)} have no observed value in the data ({len(x)} rows "
            "after min_unit_coverage screening); their weight would silently move to the other "
            "components. Supply the data, or drop them with spec.replace(exclude=[...]) "
            "(or framework.without([...]))")


def _check_empty_years(spec: IndexSpec, x: pd.DataFrame) -> list[dict]:
    """Warn about (and log) an indicator still missing for every unit of a year after imputation.

    In a panel such an indicator is kept (it counts in the other years), but that year's
    aggregates rest on the other components, so each (indicator, year) is named.
    """
    if "year" not in (x.index.names or []):
        return []
    w = spec.node_weights()
    active = [c for c in x.columns if w.get(c, 1.0) > 0]
    miss = x[active].isna().groupby(level="year").all()
    if len(miss) < 2 or not miss.to_numpy().any():
        return []
    import warnings

    recs, parts = [], []
    for c in active:
        years = list(miss.index[miss[c]])
        if not years:
            continue
        parts.append(f"{c!r} in {_fmt(years, 8)}")
        parent = spec.framework.parent(c)
        for y in years:
            recs.append(dict(stage="screen", iso3=None, year=y, code=c,
                             action="indicator missing in year", before=np.nan, after=np.nan,
                             reason=f"no unit has a value in {y} (after imputation); its weight "
                                    f"moves to the other components of {parent!r} that year"))
    warnings.warn(f"indicator(s) missing for every unit of some years: {'; '.join(parts)}. "
                  "Those years' aggregates rest on the other components (see result.log, "
                  "action 'indicator missing in year')", DataQualityWarning, stacklevel=4)
    return recs


def _normalise_fast(spec: IndexSpec, x: pd.DataFrame, cache: dict | None = None
                    ) -> np.ndarray | None:
    """Plain min-max or z-scores of every indicator on one array, or None (use the registry).

    Used when no indicator has an override.  The floating-point operations are those of
    :func:`polygov.index.normalise.minmax`/``zscore`` in the same order, and the z-score's
    mean and standard deviation come from the same pandas reductions on the same values,
    so the result is bitwise equal to normalising each column through the registry
    (tested in ``tests/test_index_speed.py``).  Constant columns and invalid parameters
    return None, so the registry raises its own message.

    ``cache`` (private to the sensitivity engine): a dict kept across calls; a column
    whose (method, parameters, direction-aligned values) were normalised before is
    taken from it, so data variants that differ in a few indicators (winsorisation
    limits) normalise only those.  The cached column is the same computation on the same
    bytes, hence bitwise equal.
    """
    if not _fast_normalisable(spec):
        return None
    return _normalise_fast_array(spec, x[spec.framework.indicators].to_numpy(dtype=float), cache)


def _fast_normalisable(spec: IndexSpec) -> bool:
    """Whether :func:`_normalise_fast` may apply (plain built-in min-max/z-scores, no overrides)."""
    name = spec.normalisation
    if spec.overrides or name not in ("minmax", "zscore"):
        return False
    if NORMALISERS[name] is not _BUILTIN_NORMALISERS[name]:   # a user replaced the function
        return False
    params = dict(spec.normalisation_params)
    if name == "minmax":
        return not (set(params) - {"lo", "hi"}) and params.get("hi", 100.0) > params.get("lo", 0.0)
    return not (set(params) - {"mean", "sd"})


def _normalise_fast_array(spec: IndexSpec, X: np.ndarray, cache: dict | None = None
                          ) -> np.ndarray | None:
    """:func:`_normalise_fast` of the indicator values ``X`` (units x indicators, in
    framework order); the caller has checked :func:`_fast_normalisable`."""
    name = spec.normalisation
    inds = spec.framework.indicators
    params = dict(spec.normalisation_params)
    fw = spec.framework
    if name == "minmax":
        lo, hi = params.get("lo", 0.0), params.get("hi", 100.0)
    else:
        mean, sd = params.get("mean", 0.0), params.get("sd", 1.0)
    out = np.empty(X.shape, order="F")      # column-major, as a frame's to_numpy()
    tag = (name, *((lo, hi) if name == "minmax" else (mean, sd)))
    for j, c in enumerate(inds):
        v = np.ascontiguousarray(X[:, j])
        if fw.direction(c) == -1:
            v = -v
        if cache is not None:
            ckey = (tag, v.tobytes())
            hit = cache.get(ckey)
            if hit is not None:
                out[:, j] = hit
                continue
        ok = ~np.isnan(v)
        if not ok.any():
            out[:, j] = np.nan
            continue
        mn, mx = v[ok].min(), v[ok].max()
        if mn == mx:
            return None
        if name == "minmax":
            out[:, j] = lo + (hi - lo) * (v - mn) / (mx - mn)
        else:
            mu, sigma = _mean_std(v)
            out[:, j] = mean + sd * (v - mu) / sigma
        if cache is not None:
            cache[ckey] = out[:, j].copy()
    return out


def _mean_std(v: np.ndarray) -> tuple[float, float]:
    """``Series(v).mean()`` and ``Series(v).std(ddof=1)`` of a float64 array, computed as
    pandas' ``nanops.nanmean``/``nanvar`` compute them (NaN set to 0 in a copy, a pairwise
    ``sum`` over the whole array divided by the count; the two-pass variance), without
    their per-call overhead.  Bitwise equal to the Series reductions (tested); when
    bottleneck is installed and enabled (pandas then hands ``std`` to it) the reductions
    themselves are called instead.
    """
    if not _own_reductions():
        return _series_mean(v), _series_std(v)
    mask = np.isnan(v)
    n_miss = int(mask.sum())
    values = np.where(mask, 0.0, v) if n_miss else v
    count = np.float64(v.size - n_miss)
    total = values.sum(dtype=np.float64)
    mean = total / count if count > 0 else np.nan
    if count <= 1:
        return mean, np.nan
    sqr = (total / count - values) ** 2
    if n_miss:
        np.putmask(sqr, mask, 0)
    return mean, np.sqrt(sqr.sum(dtype=np.float64) / (count - np.float64(1)))


try:  # the reductions Series.mean()/Series.std(ddof=1) delegate to, called on the same array
    from pandas.core import nanops as _nanops

    def _series_mean(v):
        return _nanops.nanmean(v, skipna=True)

    def _series_std(v):
        return _nanops.nanstd(v, skipna=True, ddof=1)

    def _own_reductions() -> bool:       # read at each call: pd.set_option may change it
        return not getattr(_nanops, "_USE_BOTTLENECK", True)
except ImportError:  # pragma: no cover - a pandas without the module: go through a Series
    def _series_mean(v):
        return pd.Series(v).mean()

    def _series_std(v):
        return pd.Series(v).std(ddof=1)

    def _own_reductions() -> bool:
        return False


def normalise_frame(spec: IndexSpec, x: pd.DataFrame, cache: dict | None = None) -> pd.DataFrame:
    """Normalise every indicator column of ``x`` with its (possibly overridden) settings."""
    fast = _normalise_fast(spec, x, cache)
    if fast is not None:
        return pd.DataFrame(fast, index=x.index, columns=spec.framework.indicators)
    out = {}
    for c in spec.framework.indicators:
        method = spec.indicator_setting(c, "normalisation")
        ov = spec.overrides.get(c, {})
        if "normalisation_params" in ov:
            params = dict(ov["normalisation_params"])
        elif "normalisation" in ov:
            params = {}
        else:
            params = dict(spec.normalisation_params)
        if method == "distance_to_target" and "target" not in params:
            params["target"] = _framework_target(spec, c)
        out[c] = normalise(x[c], method, direction=spec.indicator_setting(c, "direction"), **params)
    return pd.DataFrame(out, index=x.index)


def _framework_target(spec: IndexSpec, code: str) -> float:
    t = spec.framework.table.set_index("code")
    if "target" not in t.columns or pd.isna(t.at[code, "target"]):
        raise ValueError(f"distance_to_target for {code!r} needs a target: give "
                         "normalisation_params={'target': ...} (per indicator via overrides) or a "
                         "'target' column in the framework table (COINr iMeta 'Target')")
    return float(t.at[code, "target"])


def effective_weights(spec: IndexSpec) -> pd.Series:
    """Node weights rescaled to sum to one within each parent (excluded nodes get 0)."""
    fw = spec.framework
    w = spec.node_weights()
    out = {}
    for p in fw.aggregates:
        kids = fw.children(p)
        tot = sum(w[k] for k in kids)
        if tot <= 0:
            raise ValueError(f"all weights of the components of {p!r} are zero after overrides/"
                             f"exclusions ({_fmt(kids)}); keep at least one")
        for k in kids:
            out[k] = w[k] / tot
    out[fw.root] = 1.0
    return pd.Series(out, dtype=float).reindex(fw.codes)


def check_share_bound_parents(spec: IndexSpec) -> None:
    """Refuse BoD share bounds (mappings) on components whose parent is not BoD-aggregated.

    Only checked when some aggregate of ``spec`` uses ``bod`` (otherwise the bounds are
    unused, as ``p`` is without ``generalised``): a bound on a component of an
    arithmetic aggregate would otherwise be silently ignored.
    """
    fw = spec.framework
    bod_aggs = {a for a in fw.aggregates if spec.aggregator_for(a) == "bod"}
    if not bod_aggs:
        return
    for k in ("lower", "upper"):
        v = spec.aggregation_params.get(k)
        if isinstance(v, Mapping):
            bad = [c for c in v if fw.parent(c) not in bod_aggs]
            if bad:
                raise ValueError(
                    f"BoD share bound {k!r} names {_fmt(bad)}, whose parent(s) "
                    f"{_fmt(sorted({fw.parent(c) for c in bad}))} are not aggregated with bod "
                    f"(bod aggregates: {_fmt(sorted(bod_aggs))}); bound their components instead")


def aggregate_frame(spec: IndexSpec, norm: pd.DataFrame, weights: pd.Series | None = None
                    ) -> tuple[pd.DataFrame, list[dict]]:
    """Aggregate normalised indicators up the tree; returns wide scores for every code.

    Each aggregator receives a DataFrame of its components (rows = ``norm.index``) built
    from one column-major array, the memory layout of a frame of Series (so its
    reductions round the same way), and the components' weights as a Series.  Scores are
    carried up the tree as arrays and the wide frame is assembled once.
    """
    fw = spec.framework
    w = effective_weights(spec) if weights is None else weights
    wd = dict(zip(w.index, w.to_numpy(dtype=float), strict=True))
    index = norm.index
    n = len(index)
    inds = fw.indicators
    N = norm[inds].to_numpy(dtype=float)
    vals = {c: N[:, j] for j, c in enumerate(inds)}
    log: list[dict] = []
    panel = isinstance(index, pd.MultiIndex)
    params = dict(spec.aggregation_params)
    check_share_bound_parents(spec)
    for a in fw.aggregates:
        kids = [k for k in fw.children(a) if wd[k] > 0]
        X = np.empty((n, len(kids)), order="F")
        for j, k in enumerate(kids):
            X[:, j] = vals[k]
        name = spec.aggregator_for(a)
        f = AGGREGATORS[name]
        kw = aggregator_kwargs(name, params, kids)
        p = builtin_power(name, kw)
        if p is not None and spec.min_coverage == 0:
            # polygov's own power means on the array itself (the same operations on the
            # same column-major values as through the frame)
            try:
                vals[a] = _power_mean_values(X, np.array([wd[k] for k in kids]), p, index, kids)
            except ValueError as e:
                raise ValueError(f"aggregate {a!r} ({name} aggregation): {e.args[0]}") from e
            continue
        cols = pd.Index(kids)
        x = pd.DataFrame(X, index=index, columns=cols)
        wk = pd.Series([wd[k] for k in kids], index=cols, dtype=float)
        try:
            if name in ("copeland", "bod") and panel:
                s = pd.concat([f(g, wk, **kw) for _, g in x.groupby(level="year")]
                              ).reindex(x.index)
            else:
                s = f(x, wk, **kw)
        except (ValueError, KeyError, TypeError) as e:
            msg = e.args[0] if e.args else str(e)
            raise type(e)(f"aggregate {a!r} ({name} aggregation): {msg}") from e
        if not s.index.equals(index):      # a plug-in aggregator may reorder its rows
            s = s.reindex(index)
        if spec.min_coverage > 0:
            share = x.notna().mean(axis=1)
            low = (share < spec.min_coverage) & s.notna()
            for ix in x.index[low]:
                k = ix if panel else (ix, None)
                log.append(dict(stage="aggregate", iso3=k[0], year=k[1], code=a,
                                action="set missing", before=float(s[ix]), after=np.nan,
                                reason=f"{share[ix]:.0%} of components available < "
                                       f"min_coverage {spec.min_coverage:.0%}"))
            s = s.where(~(share < spec.min_coverage))
        vals[a] = s.to_numpy(dtype=float)
    codes = fw.codes
    out = np.empty((n, len(codes)), order="F")
    for j, c in enumerate(codes):
        out[:, j] = vals[c]
    return pd.DataFrame(out, index=index, columns=codes), log


def rank_frame(wide: pd.DataFrame) -> pd.DataFrame:
    """Rank every column (1 = highest), within years for panels; ties share the lowest rank."""
    if isinstance(wide.index, pd.MultiIndex) and "year" in wide.index.names:
        r = wide.groupby(level="year").rank(ascending=False, method="min")
    else:
        r = wide.rank(ascending=False, method="min")
    return r


def build(spec: IndexSpec, data: pd.DataFrame) -> IndexResult:
    """Build the composite index described by ``spec`` from ``data``.

    Parameters
    ----------
    spec : IndexSpec
    data : DataFrame
        Tidy: ``iso3`` (and ``year`` for a panel) plus one numeric column per framework
        indicator (and the denominator/grouping columns the spec names).

    Returns
    -------
    IndexResult

    Raises
    ------
    KeyError
        An indicator of the framework (or a denominator/grouping column) is not in ``data``.
    ValueError
        Duplicated ``iso3``/``year`` keys; geometric/harmonic aggregation of values <= 0;
        a constant indicator under min-max/z-score normalisation; an indicator (not
        excluded) with no observed value at all.

    Warns
    -----
    DataQualityWarning
        In a panel, an indicator missing for every unit of some year (named with the
        years; each logged as ``indicator missing in year``).

    Notes
    -----
    Missing data: with ``imputation="none"`` a unit's aggregate is the weighted mean of
    its available components (weights rescaled), and missing when fewer than
    ``min_coverage`` of them are available.  That rule is for units missing some
    values; an indicator missing for every unit is an error (exclude it explicitly), and
    one missing for every unit of a year is kept with a warning and a log entry per year.
    Ranks are computed from unrounded scores.

    Validated against: the Human Freedom Index 2018 (economic freedom from its five
    areas; personal freedom; human freedom) and UNDP's HDI (goalposts + geometric
    mean), see ``tests/test_index_references.py``.

    Examples
    --------
    >>> import polygov as pg, polygov.index as pi
    >>> hfi = pg.data.load("hfi").query("year == 2016")
    >>> spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})
    >>> res = pi.build(spec, hfi)
    >>> res.index_scores().nsmallest(3, "rank")[["iso3", "score", "rank"]]  # doctest: +SKIP
    >>> res.explain("NZL", "governance")                                      # doctest: +SKIP
    """
    if not isinstance(spec, IndexSpec):
        raise TypeError(f"spec must be an IndexSpec, got {type(spec).__name__}")
    return _build(spec, data)


def _stages(spec: IndexSpec, data: pd.DataFrame, *, cache: dict | None = None,
            norm_cache: dict | None = None, lean: bool = False
            ) -> tuple[dict, list[dict], list[str], pd.Series]:
    """Every stage up to ``aggregated``: (stages, log records, key columns, weights).

    The part of :func:`build` that the sensitivity engine's nominal index needs (no tidy
    table, no ranks of every code); ``cache``/``norm_cache`` as in :func:`prepare` and
    :func:`_normalise_fast`.  ``lean=True`` (the engine): the data stages come from
    :func:`prepare_arrays`, so only ``prepared``, ``normalised`` and ``aggregated`` are
    returned, and the log holds the aggregation's records only.
    """
    if lean:
        index, X = prepare_arrays(spec, data, cache={} if cache is None else cache)
        stages = {"prepared": pd.DataFrame(X, index=index, columns=spec.framework.indicators)}
        log, keys = [], list(index.names)
    else:
        stages, log, keys = prepare(spec, data, cache=cache)
    norm = normalise_frame(spec, stages["prepared"], norm_cache)
    stages["normalised"] = norm
    inds = spec.framework.indicators

    def values(x):       # the indicator columns as floats (no selection when already in order)
        return (x if list(x.columns) == inds else x[inds]).to_numpy(dtype=float)

    left = np.isnan(values(norm)) & ~np.isnan(values(stages["prepared"]))
    if left.any():
        import warnings

        bad = [c for c, b in zip(inds, left.any(axis=0), strict=True) if b]
        warnings.warn(f"normalisation produced missing values for observed data in {bad}",
                      DataQualityWarning, stacklevel=3)
    weights = effective_weights(spec)
    agg, alog = aggregate_frame(spec, norm, weights)
    log += alog
    stages["aggregated"] = agg
    return stages, log, keys, weights


def _build(spec: IndexSpec, data: pd.DataFrame, *, cache: dict | None = None) -> IndexResult:
    """:func:`build` with prepare()'s step cache (shared with the sensitivity engine)."""
    stages, log, keys, weights = _stages(spec, data, cache=cache)
    agg = stages["aggregated"]
    ranks = rank_frame(agg)
    fw = spec.framework
    n_rows, n_codes = agg.shape
    tidy = agg.index.to_frame(index=False).loc[np.repeat(np.arange(n_rows), n_codes)]
    tidy = tidy.reset_index(drop=True)
    tidy["code"] = np.tile(np.asarray(agg.columns, dtype=object), n_rows)
    tidy["score"] = agg.to_numpy(dtype=float).ravel()
    tidy["rank"] = ranks[list(agg.columns)].to_numpy(dtype=float).ravel()
    lv = fw.table.set_index("code")
    tidy.insert(len(keys) + 1, "name", tidy["code"].map(lv["name"]))
    tidy.insert(len(keys) + 2, "level", tidy["code"].map(lv["level"]).astype(int))
    log_df = pd.DataFrame(log, columns=_LOG_COLS)
    frozen = MappingProxyType(dict(stages))
    return IndexResult(spec=spec, stages=frozen, scores=tidy, ranks=ranks, weights=weights,
                       log=log_df)


def compare(results: Mapping[str, IndexResult] | list, *, code: str | None = None) -> pd.DataFrame:
    """Compare the ranks of ``code`` across several builds (COINr's ``compare_coins_multi``).

    Parameters
    ----------
    results : mapping label -> IndexResult, or a list (labelled ``0, 1, ...``)
        The first one is the base.
    code : str, optional
        Code to compare (default the root of the first result).

    Returns
    -------
    DataFrame: key columns, ``rank_<label>`` for each result, and for every result after
    the first ``shift_<label>`` (its rank minus the base rank; negative = moved up).
    """
    if not isinstance(results, Mapping):
        results = {str(i): r for i, r in enumerate(results)}
    if len(results) < 2:
        raise ValueError(f"compare needs at least two results, got {len(results)}")
    labels = list(results)
    base = results[labels[0]]
    code = base.spec.framework.root if code is None else code
    cols = {}
    for lab in labels:
        r = results[lab]
        if code not in r.ranks.columns:
            raise KeyError(f"code {code!r} is not in result {lab!r}")
        cols[f"rank_{lab}"] = r.ranks[code]
    out = pd.DataFrame(cols)
    for lab in labels[1:]:
        out[f"shift_{lab}"] = out[f"rank_{lab}"] - out[f"rank_{labels[0]}"]
    return out.sort_values(f"rank_{labels[0]}", kind="stable").reset_index()
