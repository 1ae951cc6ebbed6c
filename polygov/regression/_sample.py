"""The estimation sample shared by the panel and cross-section fits.

Missing-data rule (listwise deletion after lags/leads), the check of formula
terms for non-finite values, cluster counts and warnings, panel keys, lags and
leads, the clustered small-sample ``K`` (fixed effects nested in clusters), and
the diagnosis of regressors collinear with the fixed effects.  Used by
:mod:`.panel`, :mod:`.cross_section`, :mod:`.fastfe` and :mod:`.quantile`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import PolygovWarning
from .formula import FORMULA_NAMESPACE

#: Below this many clusters a FewClustersWarning is emitted (Cameron & Miller 2015
#: report clustered errors biased downwards with fewer than ~30-50 clusters).
WARN_CLUSTERS = 30


class FewClustersWarning(PolygovWarning):
    """Clustered standard errors rest on few clusters and may be too small."""


def _normalise_shifts(spec: Mapping[str, int | Sequence[int]] | None, kind: str
                      ) -> dict[str, list[int]]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise TypeError(f"{kind}= must be a dict {{column: int or list of ints}}, "
                        f"e.g. {{'pf_association': [1, 2]}}; got {type(spec).__name__}")
    out: dict[str, list[int]] = {}
    for col, ks in spec.items():
        if not isinstance(col, str):
            raise TypeError(f"{kind}= keys must be column names, got {col!r}")
        if isinstance(ks, (int, np.integer)) and not isinstance(ks, (bool, np.bool_)):
            ks = [ks]
        elif isinstance(ks, (list, tuple, range, np.ndarray)):
            ks = list(ks)
        else:
            raise TypeError(f"{kind} for {col!r} must be a positive integer or a list of them "
                            f"(e.g. {{{col!r}: [1, 2]}}), got {ks!r}")
        bad = [k for k in ks if isinstance(k, (bool, np.bool_))
               or not isinstance(k, (int, np.integer)) or k < 1]
        if bad or not ks:
            raise ValueError(f"{kind} for {col!r} must be positive integers, got {ks!r}")
        out[str(col)] = sorted({int(k) for k in ks})
    return out


def _cluster_vars(spec, cluster, entity: str, time: str) -> tuple[str, ...]:
    n = spec.n_cluster_vars
    if n == 0:
        if cluster is not None:
            raise ValueError(f"cluster= is only used with cov='cluster' or 'twoway_cluster', "
                             f"not cov={spec.name!r}")
        return ()
    if cluster is None:
        return (entity,) if n == 1 else (entity, time)
    cl = (cluster,) if isinstance(cluster, str) else tuple(cluster)
    if len(cl) != n:
        raise ValueError(
            f"cov={spec.name!r} needs {n} cluster variable(s), got {len(cl)}: {list(cl)}")
    return cl


def _check_clusters(df: pd.DataFrame, clusters: Sequence[str], min_clusters: int,
                    label: str = "clusters", codes: dict | None = None) -> tuple[int, ...]:
    counts = []
    for c in clusters:
        g = int(codes[c][1]) if codes and c in codes else int(df[c].nunique())
        counts.append(g)
        if g < 2 or g < min_clusters:
            if label == "periods":
                what = "Driscoll-Kraay errors need many periods (they treat periods as clusters)"
                fix = "Use cov='cluster' (by entity)"
            else:
                what = "clustered standard errors need many clusters"
                fix = "Use cov='robust', cluster on a finer variable"
            raise ValueError(
                f"only {g} {label} in {c!r} in the estimation sample (min_clusters={min_clusters}); "
                f"{what} (at least ~30-50 for reliable inference, Cameron & Miller 2015). {fix}, "
                f"or pass min_clusters={max(g, 2)} to accept it knowingly")
        if g < WARN_CLUSTERS:
            warnings.warn(
                f"only {g} {label} in {c!r}: clustered standard errors with fewer than "
                f"{WARN_CLUSTERS} clusters tend to be too small (Cameron & Miller 2015); "
                "read p-values with caution (a wild cluster bootstrap is the usual remedy)",
                FewClustersWarning, stacklevel=3)
    return tuple(counts)


def _missing(col: pd.Series) -> np.ndarray:
    """Boolean mask of missing values (fast path for float columns)."""
    if col.dtype.kind == "f":
        return np.isnan(col.to_numpy())
    if col.dtype.kind in "iub":
        return np.zeros(len(col), dtype=bool)
    return col.isna().to_numpy()


def _listwise(df: pd.DataFrame, cols: Sequence[str], name: str, return_mask: bool = False):
    """Drop rows with a missing value in ``cols``; raise if a column or the result is empty."""
    masks = {c: _missing(df[c]) for c in cols}
    counts = {c: int(m.sum()) for c, m in masks.items()}
    all_missing = [c for c in cols if counts[c] == len(df)]
    if all_missing:
        raise ValueError(
            f"column(s) {all_missing} of {name} are missing in every one of the {len(df)} rows "
            "(after selecting the sample); choose other variables or another sample")
    any_na = np.zeros(len(df), dtype=bool)
    for m in masks.values():
        any_na |= m
    keep = ~any_na
    n_drop = int(any_na.sum())
    if n_drop == len(df):
        miss = {c: v for c, v in counts.items() if v}
        raise ValueError(
            f"no row of {name} has all of {list(cols)} observed (missing counts: {miss}); "
            "the variables never overlap - choose variables observed in the same rows")
    if n_drop:  # .loc already copied; the shallow copy detaches it (no SettingWithCopyWarning)
        df = df.loc[keep].copy(deep=False)
    return (df, n_drop, keep) if return_mask else (df, n_drop)


def _row_labels(df: pd.DataFrame, rows: np.ndarray, keys: Sequence[str]) -> list:
    """Up to five labels of the rows in ``rows`` (key-column tuples, else index labels)."""
    keys = [k for k in keys if k in df.columns]
    sub = df.iloc[np.flatnonzero(rows)[:5]]
    if keys:
        return [tuple(r) if len(keys) > 1 else r[0] for r in sub[keys].itertuples(index=False)]
    return sub.index.tolist()


def _check_finite_terms(df: pd.DataFrame, rhs: str, complete: np.ndarray,
                        keys: Sequence[str]) -> None:
    """Raise if a right-hand-side factor is infinite, or NaN in a complete row.

    Every factor of ``rhs`` is evaluated with formulaic on ``df`` (all rows, before the
    listwise drop): plain numeric columns directly, expressions such as ``np.log(z)`` or
    ``I(x**2)`` as formulaic evaluates them.  A value of +-inf anywhere, or a NaN in a row
    where every raw variable of the model is observed (``complete``: the formula itself
    created it, e.g. ``np.log`` of a negative value), would otherwise be dropped silently
    by the estimation library, which would then fit another sample than the one polygov
    describes.
    """
    from .formula import plain_terms

    plain = plain_terms(rhs)
    factors: dict[str, bool] = {}  # expression -> is a plain column lookup
    if plain is not None and all(t in df.columns for t in plain):
        factors = dict.fromkeys(plain, True)  # no formulaic import for a plain a + b + c
        terms = []
    else:
        from formulaic import Formula

        terms = Formula(rhs)
    for term in terms:
        for fa in term.factors:
            method = getattr(fa.eval_method, "value", str(fa.eval_method))
            # C(...) gives 0/1 dummies (finite): skip it rather than build a dense
            # n x levels matrix
            if method != "literal" and not re.match(r"^C\(", str(fa.expr)):
                factors.setdefault(str(fa.expr), method == "lookup")
    problems = []
    for expr, lookup in factors.items():
        if lookup:
            if expr not in df.columns or not pd.api.types.is_numeric_dtype(df[expr]):
                continue
            vals = df[expr].to_numpy(dtype=float)[:, None]
            if np.isfinite(vals).all():
                continue
        else:
            from formulaic import model_matrix

            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = model_matrix(f"0 + {expr}", df, na_action="ignore",
                                  context=FORMULA_NAMESPACE)
            vals = np.column_stack([pd.to_numeric(mm[c], errors="coerce").to_numpy(dtype=float)
                                    for c in mm.columns]) if len(mm.columns) else None
            if vals is None or len(vals) != len(df):
                continue  # pragma: no cover - formulaic keeps every row with na_action="ignore"
        bad = np.isinf(vals).any(axis=1) | (np.isnan(vals).any(axis=1) & complete)
        if bad.any():
            n_inf = int(np.isinf(vals).any(axis=1).sum())
            kind = ("infinite" if n_inf == int(bad.sum()) else
                    "NaN" if n_inf == 0 else "infinite or NaN")
            problems.append(f"{expr!r} is {kind} in {int(bad.sum())} row(s), e.g. "
                            f"{_row_labels(df, bad, keys)}")
    if problems:
        raise ValueError(
            "formula term(s) with non-finite values: " + "; ".join(problems) + ". The "
            "estimation library would drop these rows silently; fix the data (replace or "
            "drop the infinite values) or the transformation (drop non-positive values "
            "before np.log, or use np.log1p for a variable with zeros)")


def _check_library_sample(n_lib: int, n_passed: int, library: str) -> None:
    """Guard: the library must fit exactly the rows polygov passed (and described)."""
    if int(n_lib) != int(n_passed):
        raise RuntimeError(
            f"{library} estimated the model on {int(n_lib)} rows but polygov passed "
            f"{int(n_passed)} complete rows: it dropped rows itself (non-finite values "
            "created by the formula?), so the sample sizes, clusters and corrections would "
            "describe the wrong sample. Please report this with the formula")


def _n_pairs(a: np.ndarray, n_a: int, b: np.ndarray, n_b: int) -> int:
    """Number of distinct (a, b) code pairs (a bitmap count when the grid is small)."""
    key = a.astype(np.int64) * n_b + b
    if n_a * n_b <= 2**26:
        return int(np.count_nonzero(np.bincount(key, minlength=n_a * n_b)))
    return int(pd.unique(key).size)


def _check_unique_keys(e_codes: np.ndarray, n_e: int, t_codes: np.ndarray, n_t: int,
                       df: pd.DataFrame, entity: str, time: str) -> None:
    if _n_pairs(e_codes, n_e, t_codes, n_t) == len(e_codes):
        return
    key = e_codes.astype(np.int64) * n_t + t_codes
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    rows = df.loc[dup, [entity, time]].drop_duplicates().head(5).to_dict("records")
    raise ValueError(
        f"data has {int(dup.sum())} rows with duplicated ({entity!r}, {time!r}) keys, "
        f"e.g. {rows}; a panel needs one row per entity and period (aggregate first, pass "
        "the right entity=/time= columns, or, for a repeated cross-section such as survey "
        "respondents in country-waves, pass repeated_cross_section=True)")


def _add_shifts(df: pd.DataFrame, shifts: dict[str, list[int]], sign: int, suffix: str,
                entity: str, time: str) -> list[str]:
    """Add lag (sign=+1) or lead (sign=-1) columns matched on (entity, time -/+ k)."""
    if not shifts:
        return []
    if not pd.api.types.is_numeric_dtype(df[time]):
        raise TypeError(f"lags/leads need a numeric time column; {time!r} has dtype "
                        f"{df[time].dtype}")
    idx = pd.MultiIndex.from_arrays([df[entity].to_numpy(), df[time].to_numpy()])
    new = []
    for col, ks in shifts.items():
        s = pd.Series(df[col].to_numpy(dtype=float), index=idx)
        for k in ks:
            name = f"{col}_{suffix}{k}"
            target = pd.MultiIndex.from_arrays([df[entity].to_numpy(),
                                                df[time].to_numpy() - sign * k])
            df[name] = s.reindex(target).to_numpy()
            new.append(name)
    return new


def _term_sds(df: pd.DataFrame, dependent: str, terms: Sequence[str], rhs: str) -> pd.Series:
    """Sample standard deviations (ddof=1) of the dependent variable and each model term."""
    def _sd(col: pd.Series) -> float:
        v = col.to_numpy(dtype=float)
        return float(np.std(v, ddof=1)) if not np.isnan(v).any() else float(col.std())

    sd = {dependent: _sd(df[dependent])}
    plain = [t for t in terms if t in df.columns]
    for t in plain:
        sd[t] = _sd(df[t]) if pd.api.types.is_numeric_dtype(df[t]) else np.nan
    other = [t for t in terms if t not in df.columns and t != "Intercept"]
    if other:
        try:
            from formulaic import model_matrix

            mm = model_matrix(rhs, df, context=FORMULA_NAMESPACE)
            for t in other:
                if t in mm.columns:
                    sd[t] = float(np.std(np.asarray(mm[t], dtype=float), ddof=1))
        except Exception:  # pragma: no cover - standardisation is optional
            pass
    return pd.Series(sd, dtype=float)


def _nw_bandwidth(n_periods: int) -> int:
    return max(1, int(np.floor(4 * (n_periods / 100) ** (2 / 9))))


def _check_within_variation(df: pd.DataFrame, dependent: str, ecodes: np.ndarray, entity: str) -> None:
    """Raise when the outcome is constant within every entity: entity effects absorb all of it."""
    y = df[dependent].to_numpy(dtype=float)
    n = np.bincount(ecodes)
    mean = np.bincount(ecodes, weights=y) / np.where(n > 0, n, 1)
    dev = y - mean[ecodes]
    scale = max(1.0, float(np.nanmax(np.abs(y)))) if len(y) else 1.0
    if len(y) and float(np.nanmax(np.abs(dev))) <= 1e-12 * scale:
        raise ValueError(
            f"the dependent variable {dependent!r} does not vary within any {entity!r} in the estimation "
            f"sample ({len(y)} rows, {int((n > 0).sum())} entities): entity fixed effects absorb all of it, "
            "so there is nothing to explain. Use effects='none', or a sample with change over time"
        )


def _warn_negative_variance(vc: np.ndarray, names: Sequence[str], cov: str) -> None:
    bad = [n for n, v in zip(names, np.diag(vc), strict=False) if v < 0]
    if bad:
        warnings.warn(
            f"the {cov} covariance matrix has negative variances for {bad} (two-way clustering "
            "V_a + V_b - V_ab is not guaranteed positive semi-definite); their standard errors "
            "are NaN. Cluster on one dimension or use cov='driscoll_kraay'",
            PolygovWarning, stacklevel=4)


def fe_cols(effects: str, entity: str, time: str) -> list[str]:
    """Columns absorbed as fixed effects for an ``effects`` option."""
    return {"none": [], "entity": [entity], "twoway": [entity, time]}.get(effects, [])


def _is_nested(f: np.ndarray, n_f: int, c: np.ndarray, n_c: int) -> bool:
    """True if every level of the fixed effect (codes ``f``) lies inside a single cluster."""
    if n_f < n_c:  # every cluster holds at least one level of a nested effect
        return False
    return _n_pairs(f, n_f, c, n_c) == n_f


def _cluster_dof_k(df: pd.DataFrame, k: int, fes: Sequence[str], clusters: Sequence[str],
                   codes: dict | None = None, fixef_k: str = "nested") -> int:
    """Number of parameters K in the clustered small-sample factor (N-1)/(N-K).

    ``fixef_k="nested"`` (default): ``K = k + sum(levels of FE) - (n_fe - 1) - sum(levels
    of nested FE) + n_nested``: fixed effects nested in a cluster variable count as one
    parameter each (fixest's ``fixef.K = "nested"``; Stata ``xtreg, fe vce(cluster)``).
    ``"none"``: ``K = k`` (R plm ``vcovHC(type = "sss")``); ``"full"``: ``K = k +
    sum(levels of FE) - (n_fe - 1)`` (OLS with dummies).
    """
    if not fes or fixef_k == "none":
        return k
    codes = dict(codes or {})
    for col in {*fes, *clusters}:
        if col not in codes:
            cc, uu = pd.factorize(df[col])
            codes[col] = (cc, len(uu))
    levels = {f: int(codes[f][1]) for f in fes}
    k_fe = sum(levels.values()) - (len(fes) - 1)
    if fixef_k == "full":
        return k + k_fe
    nested = [f for f in fes if any(
        f == c or _is_nested(codes[f][0], codes[f][1], codes[c][0], codes[c][1])
        for c in clusters)]
    return k + k_fe - sum(levels[f] for f in nested) + len(nested)


def _diagnose_collinear(df, terms, effects, entity, time, force=False) -> str | None:
    """Explain which regressors are collinear with the fixed effects (or each other)."""
    reasons = []
    for t in terms:
        if t not in df.columns or not pd.api.types.is_numeric_dtype(df[t]):
            if force:
                reasons.append(f"{t!r} is a linear combination of the other regressors")
            continue
        if effects in ("entity", "twoway", "random") and df.groupby(entity)[t].nunique().max() <= 1:
            reasons.append(f"{t!r} does not vary within {entity!r}, so it is collinear with the "
                           f"entity fixed effects")
        elif effects == "twoway" and df.groupby(time)[t].nunique().max() <= 1:
            reasons.append(f"{t!r} does not vary within {time!r}, so it is collinear with the "
                           f"time fixed effects")
        elif df[t].nunique() <= 1 and effects != "random":
            reasons.append(f"{t!r} is constant in the estimation sample")
        elif force:
            reasons.append(f"{t!r} is a linear combination of the other regressors and the "
                           "fixed effects")
    if not reasons:
        return None
    shown = "; ".join(reasons[:5]) + (f"; ... ({len(reasons) - 5} more)" if len(reasons) > 5 else "")
    fe_hit = any("fixed effects" in r and "does not vary" in r for r in reasons)
    hint = (" Drop them, or use effects='none'/'random' to estimate time-invariant effects"
            if fe_hit else " Drop one of each collinear set")
    return "regressor(s) collinear with the fixed effects or each other: " + shown + "." + hint


def panel_keys(data: pd.DataFrame, entity: str, time: str, *, unique: bool, name: str = "data"
               ) -> tuple[pd.DataFrame, str, str, int]:
    """Check and normalise the panel keys with :func:`polygov.keys.normalise_keys`.

    Rows whose entity or time key is missing are dropped (fit_panel's documented
    missing-data rule) and counted; the rest go through the shared key step, applied to
    the *distinct* key values so that a million-row panel costs one ``pd.factorize``
    per key (``normalise_keys`` on every row takes seconds): codes differing only in case
    or white space become one entity, ``"2016"``/``2016.0`` one period, with a
    :class:`~polygov.keys.KeyNormalisationWarning` counting the rows.  Duplicated keys
    (after normalising) raise ``normalise_keys``' own error naming the rows, unless
    ``unique=False``.

    Returns
    -------
    (frame, entity, time, n_dropped, (entity codes, n), (time codes, n))
        The frame (a copy only when a key changed), the resolved key column names, the
        number of rows dropped for a missing key, and the integer codes of the keys.
    """
    from ..keys import KeyNormalisationWarning, normalise_keys, resolve_key

    ecol = resolve_key(data, entity, role="entity key")
    tcol = resolve_key(data, time, role="time key")
    if ecol == tcol:
        raise ValueError(f"entity= and time= name the same column {ecol!r}; a panel needs two "
                         "different key columns")
    out = data
    if ecol != entity or tcol != time:
        out = out.rename(columns={ecol: entity, tcol: time})
    raw = {}
    for key in (entity, time):
        col = out[key]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        raw[key] = (col, *pd.factorize(col))  # missing keys get code -1
    miss = (raw[entity][1] < 0) | (raw[time][1] < 0)
    n_drop = int(miss.sum())
    if n_drop == len(out):
        raise ValueError(f"every row of {name} misses {entity!r} or {time!r}; nothing to fit")
    if n_drop:
        out = out.loc[~miss]
    new_cols = {}
    final = {}
    for key, is_time in ((entity, False), (time, True)):
        col, codes, uniq = raw[key]
        if n_drop:
            codes = codes[~miss]
        if is_time and pd.api.types.is_integer_dtype(col):
            final[key] = codes, len(uniq)
            continue
        small = pd.DataFrame({key: np.asarray(uniq, dtype=object)})
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                norm = normalise_keys(small, entity=None if is_time else key,
                                      time=key if is_time else None, unique=False, name=name)
        except ValueError:
            # the message must name the rows of the caller's frame: redo it on every row
            normalise_keys(out[[key]], entity=None if is_time else key,
                           time=key if is_time else None, unique=False, name=name)
            raise  # pragma: no cover - the full check raises first
        for w in caught:
            if not issubclass(w.category, KeyNormalisationWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        nv = norm[key].to_numpy()
        orig = small[key].to_numpy()
        if is_time:
            float_col = pd.api.types.is_float_dtype(col)
            changed_u = np.array([isinstance(v, str) or (isinstance(v, (float, np.floating))
                                                        and not float_col) for v in orig],
                                 dtype=bool)
        else:
            changed_u = np.asarray(nv != orig, dtype=bool)
        remap, nv_unique = pd.factorize(nv)  # "chn" and "CHN" become one code
        final[key] = remap[codes], len(nv_unique)
        if changed_u.any() or nv.dtype != col.dtype:
            new_cols[key] = nv[codes]
        if changed_u.any():
            n_rows = int(np.bincount(codes, minlength=len(uniq))[changed_u].sum())
            warnings.warn(f"{name}: normalised {n_rows} value(s) of key {key!r} "
                          f"({'to integer years' if is_time else 'white space/case of codes'})",
                          KeyNormalisationWarning, stacklevel=3)
    if new_cols:
        out = out.copy(deep=False)
        for k, v in new_cols.items():
            out[k] = v
    for key in (entity, time):
        c, m = final[key]
        if n_drop and np.bincount(c, minlength=m).min() == 0:  # levels only the dropped rows had
            c, u = pd.factorize(c)
            final[key] = c, len(u)
    (e, ne), (t, nt) = final[entity], final[time]
    if unique and _n_pairs(e, ne, t, nt) != len(out):
        try:
            normalise_keys(out[[entity, time]], entity=entity, time=time, name=name)
        except ValueError as exc:
            raise ValueError(f"{exc}. A panel needs one row per entity and period: pass the "
                             "right entity=/time= columns, or, for a repeated cross-section "
                             "such as survey respondents in country-waves, "
                             "pass repeated_cross_section=True") from None
    return out, entity, time, n_drop, final[entity], final[time]


#: Columns looked for as the time key of a cross-section (the first present is used).
CROSS_SECTION_TIME_KEYS = ("year", "wave", "period", "time", "date")


def cross_section_keys(data: pd.DataFrame, keys, name: str = "data") -> pd.DataFrame:
    """The key check of a cross-section (``keys="auto"``, a list of columns, or None).

    ``"auto"``: when ``data`` has an ``iso3`` column (any case), the rows must be unique on
    ``iso3`` plus the first time-like column present (:data:`CROSS_SECTION_TIME_KEYS`), or on
    ``iso3`` alone; codes and years are normalised by :func:`polygov.keys.normalise_keys`.
    Frames without ``iso3`` (individual respondents, simulated data) are not checked.
    A list names the key columns (entity first, then an optional time key); ``None``
    switches the check off (e.g. several respondents per country).
    """
    from ..keys import normalise_keys, resolve_key

    if keys is None:
        return data
    if isinstance(keys, str) and keys == "auto":
        ent = resolve_key(data, "iso3", required=False)
        if ent is None:
            return data
        tim = next((resolve_key(data, t, required=False) for t in CROSS_SECTION_TIME_KEYS
                    if resolve_key(data, t, required=False) is not None), None)
        return normalise_keys(data, entity="iso3", time=tim, name=name)
    if isinstance(keys, str) or not isinstance(keys, Sequence) or not 1 <= len(keys) <= 2 \
            or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"keys must be 'auto', None, or a list of one or two key column names "
                        f"(entity, then time), got {keys!r}")
    return normalise_keys(data, entity=keys[0], time=keys[1] if len(keys) == 2 else None,
                          name=name)


def check_regressor_types(data: pd.DataFrame, variables: Sequence[str],
                          categorical: Sequence[str], name: str = "data") -> None:
    """Raise a TypeError naming a text/object regressor used outside ``C(...)``."""
    for v in variables:
        if v in categorical or v not in data.columns:
            continue
        col = data[v]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        ex = col.dropna().astype(str).unique()[:3].tolist()
        raise TypeError(
            f"regressor {v!r} of {name} has dtype {col.dtype} (values such as {ex}), not numbers; "
            f"for a categorical variable write C({v}) in the formula (one dummy per category "
            f"but the first), or convert the column with pd.to_numeric")
