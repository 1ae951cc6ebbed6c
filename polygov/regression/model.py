"""Panel and cross-section linear models: :func:`fit_panel`, :func:`fit_cross_section`.

Backend choice
--------------
Fixed-effects and pooled panel models are estimated with **pyfixest**
(``feols``: alternating-projection demeaning in compiled code); one-way random
effects with **linearmodels** (``RandomEffects``, Swamy-Arora), which
pyfixest does not offer; cross-sections with **statsmodels** building the
design matrix (patsy formula, names, constant detection) and polygov solving
the least-squares problem itself (:func:`_ols`): statsmodels' ``fit`` computes a
full SVD pseudo-inverse, and the old rank check a second SVD, which dominated
the run time with many dummies; the estimates, covariances and R² agree with
statsmodels' to 1e-10 (``tests/test_regression_validation.py``).  Timings of
the previous and the current ``fit_cross_section`` (27 Nov 2026, 2 shared cores,
load 1-1.5; ``y ~ x1 + x2 + C(g)`` with 100 groups = 103 columns, HC1):
10,000 rows 0.11-0.18 s -> 0.06-0.08 s; 332,000 rows 7.1-9.0 s -> 1.7 s, of
which about 1.2 s is patsy building the dummies.  Under heavier load the SVDs
suffered most (course writers saw ~4 s and ~41 s; a run at load 2.2 of
``benchmarks/bench_regression.py --cross-section-only`` gave 0.48 -> 0.07 s and
11.8 -> 4.4 s).

Why pyfixest: on issue 5's benchmark (two-way fixed effects, errors clustered
by entity, 1,000,000 rows = 10,000 entities x 100 periods; 2 cores shared
with other jobs, load 3.5-6.6; ``benchmarks/bench_regression.py``, 27 Nov
2026, medians of 5 interleaved runs) three runs gave pyfixest called directly
0.87-2.31 s and ``fit_panel`` 0.93-1.94 s, a median ratio of 0.84, 1.09 and
1.06 (``fit_panel`` hands pyfixest integer entity codes and skips its data
copy and singleton search, which pays for polygov's own checks), while
linearmodels' ``PanelOLS`` took 43-44 s (up to 107 s in a busier run), 30-50
times slower.  The estimates agree to 4e-15; the clustered
standard errors differ by 0.5% raw, exactly the difference between the two
libraries' small-sample factors (linearmodels: ``N/(N - k - K_fe)`` counting
all 10,099 fixed-effect parameters, no ``G/(G-1)``; polygov: the fixest/Stata
rule in :mod:`polygov.regression.covariance`), 7e-19 after rescaling.
pyfixest also offers two-way clustering and Driscoll-Kraay errors natively.
One caveat found while validating: pyfixest 0.60's own count of fixed effects
nested in the clusters is not reliable with two fixed-effect dimensions (on
the Grunfeld data, with its default options, it uses ``K = k + 1`` for firm
and year effects with firm clusters instead of ``k + T``), so polygov applies
the ``(N-1)/(N-K)`` factor itself.

Missing-data rule
-----------------
Listwise deletion over every variable the model uses (dependent, regressors,
entity, time and cluster columns), *after* lags and leads are built from the
full panel.  The number of dropped rows is recorded in the results' ``notes``.
A variable that is missing everywhere, or a sample that ends up empty, raises a
``ValueError`` naming the columns and their missing counts.  Before the drop every
formula term is evaluated (formulaic) on the data: a value of +-inf, or a NaN the
formula itself created in a row whose variables are all observed (``np.log(0)``,
``np.log(-1)``), raises a ``ValueError`` naming the term and a few offending rows,
because the estimation libraries would otherwise drop those rows silently and the
reported sample (``nobs``, entities, clusters, small-sample factors) would be wrong.
As a guard, a library that fits another number of rows than polygov passed raises.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import (
    PolygovWarning,
    check_columns,
    check_dataframe,
    check_in,
    check_numeric,
)
from .covariance import get_covariance
from .results import RegressionResults

__all__ = ["fit_panel", "fit_cross_section", "FewClustersWarning", "EFFECTS"]

EFFECTS = ("none", "entity", "twoway", "random")
#: Below this many clusters a FewClustersWarning is emitted (Cameron & Miller 2015
#: report clustered errors biased downwards with fewer than ~30-50 clusters).
WARN_CLUSTERS = 30

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FewClustersWarning(PolygovWarning):
    """Clustered standard errors rest on few clusters and may be too small."""


# ---------------------------------------------------------------------------------------------
# parsing and checks
# ---------------------------------------------------------------------------------------------
def _parse_model(formula: str | None, y: str | None, x: Sequence[str] | str | None
                 ) -> tuple[str, str, list[str]]:
    """Return (dependent, rhs string, variables used on the right-hand side)."""
    if formula is not None and (y is not None or x is not None):
        raise TypeError("give either a formula ('y ~ x1 + x2') or y= and x=, not both")
    if formula is None:
        if y is None or x is None:
            raise TypeError("a model needs a formula such as 'y ~ x1 + x2', or both y= and x=")
        xs = [x] if isinstance(x, str) else list(x)
        if not xs:
            raise ValueError("x= is empty: give at least one regressor")
        if not isinstance(y, str):
            raise TypeError(f"y must be a column name (str), got {type(y).__name__}")
        return y, " + ".join(xs), xs
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(f"formula must look like 'y ~ x1 + x2' (one '~'), got {formula!r}")
    if "|" in formula:
        raise ValueError(
            f"formula {formula!r} contains '|': fixed effects are chosen with effects= "
            "('none', 'entity', 'twoway', 'random'), not in the formula")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not _IDENT.match(lhs):
        raise ValueError(
            f"the dependent variable must be a plain column name, got {lhs!r}; create the "
            "transformed column first (e.g. data.assign(log_y=np.log(data.y)))")
    if not rhs:
        raise ValueError(f"formula {formula!r} has no regressors on the right of '~'")
    from formulaic import Formula

    try:
        variables = sorted(Formula(f"{lhs} ~ {rhs}").required_variables - {lhs})
    except Exception as exc:  # formulaic's parse errors are varied
        raise ValueError(f"could not parse formula {formula!r}: {exc}") from exc
    variables = [str(v) for v in variables]
    return lhs, rhs, variables


def _normalise_shifts(spec: Mapping[str, int | Sequence[int]] | None, kind: str
                      ) -> dict[str, list[int]]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise TypeError(f"{kind}= must be a dict {{column: int or list of ints}}, "
                        f"e.g. {{'pf_association': [1, 2]}}; got {type(spec).__name__}")
    out: dict[str, list[int]] = {}
    for col, ks in spec.items():
        ks = [ks] if isinstance(ks, (int, np.integer)) else list(ks)
        bad = [k for k in ks if not isinstance(k, (int, np.integer)) or k < 1]
        if bad:
            raise ValueError(f"{kind} for {col!r} must be positive integers, got {bad}")
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
    from formulaic import Formula, model_matrix

    factors: dict[str, bool] = {}  # expression -> is a plain column lookup
    for term in Formula(rhs):
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
        else:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = model_matrix(f"0 + {expr}", df, na_action="ignore")
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
    sd = {dependent: float(df[dependent].std())}
    plain = [t for t in terms if t in df.columns]
    for t in plain:
        sd[t] = float(df[t].std()) if pd.api.types.is_numeric_dtype(df[t]) else np.nan
    other = [t for t in terms if t not in df.columns and t != "Intercept"]
    if other:
        try:
            from formulaic import model_matrix

            mm = model_matrix(rhs, df)
            for t in other:
                if t in mm.columns:
                    sd[t] = float(np.std(np.asarray(mm[t], dtype=float), ddof=1))
        except Exception:  # pragma: no cover - standardisation is optional
            pass
    return pd.Series(sd, dtype=float)


def _nw_bandwidth(n_periods: int) -> int:
    return max(1, int(np.floor(4 * (n_periods / 100) ** (2 / 9))))


# ---------------------------------------------------------------------------------------------
# fit_panel
# ---------------------------------------------------------------------------------------------
def fit_panel(
    data: pd.DataFrame,
    formula: str | None = None,
    *,
    y: str | None = None,
    x: Sequence[str] | str | None = None,
    entity: str = "iso3",
    time: str = "year",
    effects: str = "twoway",
    cov: str = "cluster",
    cluster: str | Sequence[str] | None = None,
    lags: Mapping[str, int | Sequence[int]] | None = None,
    leads: Mapping[str, int | Sequence[int]] | None = None,
    bandwidth: int | None = None,
    min_clusters: int = 10,
    repeated_cross_section: bool = False,
) -> RegressionResults:
    """Fit a linear panel model: pooled OLS, entity or two-way fixed effects, random effects.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy panel, one row per ``entity`` x ``time``.
    formula : str, optional
        ``"y ~ x1 + x2"``; right-hand side in formulaic/patsy syntax
        (``x1:x2`` interactions, ``C(group)``, ``np.log(x)``).  The dependent
        variable must be a column name.  Alternatively give ``y=`` and ``x=``.
    y, x : str, list of str, optional
        Dependent column and regressor columns (instead of ``formula``).
    entity, time : str
        Panel keys (default ``"iso3"``, ``"year"``).
    effects : {"twoway", "entity", "none", "random"}
        Two-way (entity and time) fixed effects, entity fixed effects, pooled
        OLS with an intercept, or one-way (entity) random effects
        (Swamy-Arora).
    cov : {"cluster", "classical", "robust", "twoway_cluster", "driscoll_kraay"}
        Covariance estimator; see :mod:`polygov.regression.covariance` for the
        small-sample corrections.
    cluster : str or pair of str, optional
        Cluster variable(s); default ``entity`` for ``"cluster"`` and
        ``(entity, time)`` for ``"twoway_cluster"``.
    lags, leads : dict, optional
        ``{"x": 1}`` or ``{"x": [1, 2]}`` adds regressors ``x_lag1``, ``x_lag2``
        (``x_lead1``...): the value of ``x`` for the same entity at
        ``time - k`` (``time + k``), matched on the time value, so gaps in the
        panel give missing lags rather than wrong ones.
    bandwidth : int, optional
        Driscoll-Kraay lag truncation ``L``; default ``floor(4 (T/100)^(2/9))``.
    min_clusters : int, default 10
        Fewer clusters (or, for Driscoll-Kraay, periods) than this raise a
        ``ValueError``; between ``min_clusters`` and 30 a
        :class:`FewClustersWarning` is emitted.
    repeated_cross_section : bool, default False
        Allow several rows per ``entity`` x ``time`` (a repeated cross-section,
        e.g. survey respondents nested in country-waves with ``entity="iso3"``,
        ``time="wave"``).  The fixed effects are still those of ``effects``
        (entity dummies for ``"entity"``; entity and period dummies for
        ``"twoway"``), estimated on the individual rows; errors are clustered by
        ``entity`` by default.  Lags/leads, ``effects="random"`` and
        ``cov="driscoll_kraay"`` need one row per entity and period and are
        refused.  Without this option duplicated keys raise a ``ValueError``.

    Returns
    -------
    RegressionResults
        ``params``, ``std_errors``, ``conf_int()``, ``tidy()``, ``r2``,
        ``r2_within``, ``nobs``, ``n_entities``, ``standardised()``.

    Raises
    ------
    KeyError
        Unknown columns (named, with close matches).
    ValueError
        A regressor collinear with the fixed effects (named, with the effect
        it is collinear with); too few clusters; an all-missing variable or an
        empty sample; duplicated panel keys; unknown ``effects``/``cov``; a
        formula term that is infinite, or NaN where its variables are observed
        (named, with a few offending entity/period keys).

    Notes
    -----
    Within R² is the R² of the within-transformed (demeaned) regression.
    Missing data: listwise deletion after lags/leads are built (module docstring).
    Singleton groups are kept (``fixef_rm="none"``), so ``nobs`` and the
    degrees of freedom match R ``plm`` and OLS with dummies.

    Validated against R ``plm`` output published for the Grunfeld data (pooled,
    within, two-way within, Swamy-Arora random effects; clustered errors from
    ``vcovHC(type = "sss")`` after the documented K conversion), statsmodels
    OLS with dummy variables (classical, HC1, clustered up to the documented
    factor), linearmodels ``PanelOLS``/``RandomEffects``, and hand-coded
    cluster, two-way-cluster and Driscoll-Kraay estimators; see
    ``tests/test_regression_validation.py``.

    Examples
    --------
    >>> import polygov as pg
    >>> hfi = pg.data.load("hfi")                                    # doctest: +SKIP
    >>> res = pg.regression.fit_panel(hfi, "pf_rol ~ pf_association",
    ...                               effects="twoway", cov="cluster")  # doctest: +SKIP
    >>> res.tidy()                                                   # doctest: +SKIP
    """
    check_dataframe(data)
    check_in(effects, EFFECTS, name="effects")
    spec = get_covariance(cov, model="random" if effects == "random" else "panel")
    if not isinstance(min_clusters, (int, np.integer)) or min_clusters < 2:
        raise ValueError(f"min_clusters must be an integer >= 2, got {min_clusters!r}")
    dependent, rhs, rhs_vars = _parse_model(formula, y, x)
    lag_spec = _normalise_shifts(lags, "lags")
    lead_spec = _normalise_shifts(leads, "leads")
    clusters = _cluster_vars(spec, cluster, entity, time)
    if repeated_cross_section:
        refused = [what for what, bad in (
            ("lags=/leads=", bool(lag_spec or lead_spec)),
            ("effects='random'", effects == "random"),
            ("cov='driscoll_kraay'", spec.name == "driscoll_kraay")) if bad]
        if refused:
            raise ValueError(
                f"repeated_cross_section=True (several rows per {entity!r} x {time!r}) cannot "
                f"be combined with {', '.join(refused)}: they need one row per entity and "
                "period; aggregate to entity-period means first, or use effects='entity'/"
                "'twoway'/'none' with cov='cluster'")

    shift_src = sorted(set(lag_spec) | set(lead_spec))
    predicted_shift_names = {f"{c}_lag{k}" for c, ks in lag_spec.items() for k in ks} | {
        f"{c}_lead{k}" for c, ks in lead_spec.items() for k in ks}
    needed_rhs = [v for v in rhs_vars if v not in predicted_shift_names]
    keys = [entity, time]
    cols = list(dict.fromkeys([dependent, *needed_rhs, *shift_src, *keys, *clusters]))
    check_columns(data, cols)
    numeric = list(dict.fromkeys([dependent, *shift_src] + ([] if formula else needed_rhs)))
    check_numeric(data, numeric)

    df = data[cols].copy(deep=False)  # data[cols] already copies; the shallow copy detaches it
    # panel keys: factorize once (missing keys get code -1) and reuse the codes everywhere
    e_codes, e_uniques = pd.factorize(df[entity])
    t_codes, t_uniques = pd.factorize(df[time])
    key_missing = (e_codes < 0) | (t_codes < 0)
    n_key_drop = int(key_missing.sum())
    if n_key_drop:
        if n_key_drop == len(df):
            raise ValueError(f"every row of data misses {entity!r} or {time!r}; nothing to fit")
        df = df.loc[~key_missing]
        e_codes, e_uniques = pd.factorize(df[entity])
        t_codes, t_uniques = pd.factorize(df[time])
    if not repeated_cross_section:
        _check_unique_keys(e_codes, len(e_uniques), t_codes, len(t_uniques), df, entity, time)

    shift_cols = _add_shifts(df, lag_spec, +1, "lag", entity, time)
    shift_cols += _add_shifts(df, lead_spec, -1, "lead", entity, time)
    for c in shift_cols:
        if c not in rhs_vars:
            rhs += f" + {c}"
            rhs_vars.append(c)
    model_cols = list(dict.fromkeys([dependent, *rhs_vars, *clusters]))
    model_cols = [c for c in model_cols if c not in keys]
    df_all = df
    df, n_drop, keep = _listwise(df, model_cols, "data", return_mask=True)
    if formula is not None:
        _check_finite_terms(df_all, rhs, keep, keys)
    if n_drop:
        e_codes, e_uniques = pd.factorize(e_codes[keep])
        t_codes, t_uniques = pd.factorize(t_codes[keep])
    n_drop += n_key_drop
    notes = (f"{n_drop} row(s) with missing values dropped (listwise)",) if n_drop else ()

    n_entities = int(len(e_uniques))
    n_periods = int(len(t_uniques))
    codes = {entity: (e_codes, n_entities), time: (t_codes, n_periods)}

    if spec.name == "driscoll_kraay":
        _check_clusters(df, [time], min_clusters, label="periods", codes=codes)
        n_clusters: tuple[int, ...] = ()
        bw = _nw_bandwidth(n_periods) if bandwidth is None else int(bandwidth)
        if bw < 0:
            raise ValueError(f"bandwidth must be >= 0, got {bandwidth}")
    else:
        if bandwidth is not None:
            raise ValueError("bandwidth= is only used with cov='driscoll_kraay'")
        n_clusters = _check_clusters(df, clusters, min_clusters, codes=codes)
        bw = None

    if effects == "random":
        return _fit_random(df, dependent, rhs, rhs_vars, entity, time, spec, clusters,
                           n_clusters, bw, n_entities, n_periods, notes)
    return _fit_fixest(df, codes, dependent, rhs, rhs_vars, entity, time, effects, spec,
                       clusters, n_clusters, bw, n_entities, n_periods, notes)


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


def _fit_fixest(df, codes, dependent, rhs, rhs_vars, entity, time, effects, spec, clusters,
                n_clusters, bw, n_entities, n_periods, notes) -> RegressionResults:
    try:
        import pyfixest as pf
    except ImportError as exc:  # pragma: no cover - pyfixest is a dependency
        raise ImportError("fit_panel's fixed-effects and pooled models need pyfixest: "
                          "pip install 'pyfixest>=0.25'") from exc

    fe = {"none": [], "entity": [entity], "twoway": [entity, time]}[effects]
    if fe:
        _check_within_variation(df, dependent, codes[entity][0], entity)
    fml = f"{dependent} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")
    vcov_kwargs = None
    if spec.name == "classical":
        vcov = "iid"
    elif spec.name == "robust":
        vcov = "hetero"
    elif spec.name in ("cluster", "twoway_cluster"):
        vcov = {"CRV1": "+".join(clusters)}
    else:  # driscoll_kraay: pyfixest needs a numeric panel id and time
        if not pd.api.types.is_numeric_dtype(df[time]):
            raise TypeError(f"Driscoll-Kraay errors need a numeric time column; {time!r} has "
                            f"dtype {df[time].dtype}")
        df["_pg_entity_id"] = codes[entity][0]
        vcov = "DK"
        vcov_kwargs = {"lag": bw, "time_id": time, "panel_id": "_pg_entity_id"}
    # integer entity codes: same groups, cheaper for pyfixest to factorize than strings
    # (not when the formula itself uses the entity column, whose term names must stay readable)
    if entity not in rhs_vars:
        df[entity] = codes[entity][0]
    clustered = spec.name in ("cluster", "twoway_cluster")
    # For clustered errors pyfixest 0.60 can miscount the fixed effects nested in the clusters
    # when there are two fixed-effect dimensions (on the Grunfeld data, default options, it uses
    # K = k + 1 for firm + year effects with firm clusters, not k + T), so we let it apply G/(G-1) only and
    # apply the documented (N-1)/(N-K) ourselves (_cluster_dof_k).
    ssc = (pf.ssc(k_adj=False, k_fixef="none", G_adj=True, G_df="min") if clustered
           else pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"))
    sample_index = df.index  # pyfixest (copy_data=False) may reset df's index in place
    y_obs = df[dependent].to_numpy(dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = pf.feols(fml, data=df, vcov=vcov, vcov_kwargs=vcov_kwargs, ssc=ssc,
                           fixef_rm="none", copy_data=False,
                           store_data=spec.name == "driscoll_kraay")
        except Exception as exc:
            dropped = _diagnose_collinear(df, rhs_vars, effects, entity, time)
            if dropped:
                raise ValueError(dropped) from exc
            raise
    _check_library_sample(fit._N, len(sample_index), f"pyfixest {pf.__version__}")
    collin = list(getattr(fit, "_collin_vars", []) or [])
    if collin:
        msg = _diagnose_collinear(df, collin, effects, entity, time, force=True)
        raise ValueError(msg)
    for w in caught:  # re-emit anything unrelated to what we handled
        if "multicollinearity" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    names = [str(n) for n in fit._coefnames]
    params = pd.Series(np.asarray(fit._beta_hat, dtype=float), index=names, name="estimate")
    vc = np.asarray(fit._vcov, dtype=float)
    if clustered:
        n_obs = int(fit._N)
        k_cl = _cluster_dof_k(df, len(names), fe_cols(effects, entity, time), clusters,
                              codes=codes)
        vc = vc * (n_obs - 1) / (n_obs - k_cl)
    _warn_negative_variance(vc, names, spec.name)
    covm = pd.DataFrame(vc, index=names, columns=names)
    df_t = float(np.min(fit._df_t)) if fit._df_t is not None else None
    r2w = float(fit._r2_within) if effects != "none" else float("nan")
    if spec.name == "driscoll_kraay":
        clusters_out: tuple[str, ...] = ()
        notes = (*notes, f"Driscoll-Kraay bandwidth L={bw}")
    else:
        clusters_out = tuple(clusters)
    resid = np.asarray(fit._u_hat, dtype=float).ravel()
    fitted_s = pd.Series(y_obs - resid, index=sample_index, name="fitted")
    resid_s = pd.Series(resid, index=sample_index, name="residual")
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="panel",
        estimator={"none": "pooled", "entity": "entity", "twoway": "twoway"}[effects],
        cov_type=spec.name, df_inference=df_t, nobs=int(fit._N), r2=float(fit._r2),
        r2_within=r2w, r2_adj=float(fit._adj_r2), n_entities=n_entities, n_periods=n_periods,
        clusters=clusters_out, n_clusters=n_clusters, fixed_effects=tuple(
            {"none": (), "entity": (entity,), "twoway": (entity, time)}[effects]),
        sd=_term_sds(df, dependent, names, rhs), backend=f"pyfixest {pf.__version__}",
        formula=f"{dependent} ~ {rhs}", notes=notes, fitted_values=fitted_s,
        residuals=resid_s)


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
    return _n_pairs(f, n_f, c, n_c) == n_f


def _cluster_dof_k(df: pd.DataFrame, k: int, fes: Sequence[str], clusters: Sequence[str],
                   codes: dict | None = None) -> int:
    """Number of parameters K in the clustered small-sample factor (N-1)/(N-K).

    ``K = k + sum(levels of FE) - (n_fe - 1) - sum(levels of nested FE) + n_nested``:
    fixed effects nested in a cluster variable count as one parameter each (fixest's
    ``fixef.K = "nested"``; Stata ``xtreg, fe vce(cluster)``).
    """
    if not fes:
        return k
    codes = dict(codes or {})
    for col in {*fes, *clusters}:
        if col not in codes:
            cc, uu = pd.factorize(df[col])
            codes[col] = (cc, len(uu))
    levels = {f: int(codes[f][1]) for f in fes}
    k_fe = sum(levels.values()) - (len(fes) - 1)
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


def _fit_random(df, dependent, rhs, rhs_vars, entity, time, spec, clusters, n_clusters, bw,
                n_entities, n_periods, notes) -> RegressionResults:
    import linearmodels
    from linearmodels.panel import RandomEffects

    bad = _diagnose_collinear(df, [v for v in rhs_vars if v in df.columns], "none", entity,
                              time)
    if bad:
        raise ValueError(bad)
    pdf = df.set_index([entity, time])
    mod = RandomEffects.from_formula(f"{dependent} ~ 1 + {rhs}", data=pdf)
    kw: dict = {}
    if spec.name == "classical":
        kw = {"cov_type": "unadjusted"}
    elif spec.name == "robust":
        kw = {"cov_type": "robust"}
    elif spec.name in ("cluster", "twoway_cluster"):
        cl = pd.DataFrame({c: pd.factorize(df[c])[0] for c in clusters}, index=pdf.index)
        kw = {"cov_type": "clustered", "clusters": cl, "group_debias": True}
    else:
        kw = {"cov_type": "kernel", "kernel": "bartlett", "bandwidth": bw}
    res = mod.fit(debiased=True, **kw)
    _check_library_sample(res.nobs, len(df), f"linearmodels {linearmodels.__version__}")
    xb = np.asarray(res.fitted_values, dtype=float).ravel()  # x'b, same row order as df
    names = [("Intercept" if str(n) == "Intercept" else str(n)) for n in res.params.index]
    params = pd.Series(res.params.to_numpy(), index=names, name="estimate")
    _warn_negative_variance(res.cov.to_numpy(), names, spec.name)
    covm = pd.DataFrame(res.cov.to_numpy(), index=names, columns=names)
    k = len(names)
    if spec.name in ("cluster", "twoway_cluster"):
        df_t: float | None = float(min(n_clusters) - 1)
    elif spec.name == "driscoll_kraay":
        df_t = float(n_periods - 1)
    else:
        df_t = float(res.nobs - k)
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="panel", estimator="random",
        cov_type=spec.name, df_inference=df_t, nobs=int(res.nobs), r2=float(res.rsquared),
        r2_within=float(res.rsquared_within), n_entities=n_entities, n_periods=n_periods,
        clusters=tuple(clusters) if spec.n_cluster_vars else (), n_clusters=n_clusters,
        fixed_effects=(), sd=_term_sds(df, dependent, names, rhs),
        backend=f"linearmodels {linearmodels.__version__}", formula=f"{dependent} ~ {rhs}",
        notes=(*notes, f"Swamy-Arora random effects, theta={float(np.mean(res.theta)):.4f}"),
        fitted_values=pd.Series(xb, index=df.index, name="fitted"),
        residuals=pd.Series(df[dependent].to_numpy(dtype=float) - xb, index=df.index,
                            name="residual"))


# ---------------------------------------------------------------------------------------------
# fit_cross_section
# ---------------------------------------------------------------------------------------------
def fit_cross_section(
    data: pd.DataFrame,
    formula: str,
    *,
    weights: str | None = None,
    cov: str = "HC1",
    cluster: str | None = None,
    min_clusters: int = 10,
) -> RegressionResults:
    """Fit OLS (or WLS with ``weights=``) on a cross-section through statsmodels.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (e.g. country).
    formula : str
        ``"y ~ x1 + x2"`` (patsy syntax; an intercept is added).
    weights : str, optional
        Column of analytic weights (WLS with weights proportional to the
        inverse error variance); must be positive.
    cov : {"HC1", "classical", "robust", "HC0", "HC2", "HC3", "cluster"}
        Covariance estimator (``robust`` = ``HC1``).
    cluster : str, optional
        Cluster column, required for ``cov="cluster"``.
    min_clusters : int, default 10
        As in :func:`fit_panel`.

    Returns
    -------
    RegressionResults
        Also ``fitted_values`` and ``residuals`` (indexed like ``data``'s rows
        in the estimation sample) and ``predict(newdata)``.

    Raises
    ------
    ValueError
        Collinear regressors (named), non-positive weights, too few clusters;
        a formula term that is infinite, or NaN where its variables are observed
        (named, with offending rows); no more rows than parameters (``n <= k``).

    Notes
    -----
    Missing data: listwise deletion over the formula's variables, weights and
    cluster column (count recorded in ``notes``).  Formula terms are evaluated
    first: a term that is +-inf in any row, or NaN in a row whose variables are
    all observed (``np.log(0)``, ``np.log(-1)``), raises instead of being dropped.  Standardised coefficients
    use unweighted standard deviations.  Small-sample corrections: see
    :mod:`polygov.regression.covariance`.

    Computation: statsmodels builds the design matrix; the fit itself uses the
    eigendecomposition of the column-scaled ``X'X`` when that certifies full
    rank (almost always), otherwise the SVD of ``X`` as statsmodels does, so
    a design with many dummies costs two ``n x k^2`` products instead of two
    SVDs.

    Validated against statsmodels ``OLS``/``WLS`` (estimates, every covariance
    option, R², fitted values to 1e-10, including a design with 60 dummies
    and one with condition number ~1e9) and, in the tests, a NumPy
    implementation of the HC1 and CR1 sandwiches.
    """
    import statsmodels
    import statsmodels.formula.api as smf

    check_dataframe(data)
    spec = get_covariance(cov, model="cross_section")
    dependent, rhs, rhs_vars = _parse_model(formula, None, None)
    if spec.n_cluster_vars and cluster is None:
        raise ValueError("cov='cluster' needs cluster= (the column identifying the clusters)")
    if not spec.n_cluster_vars and cluster is not None:
        raise ValueError(f"cluster= is only used with cov='cluster', not cov={cov!r}")
    cols = list(dict.fromkeys([dependent, *rhs_vars] + ([weights] if weights else [])
                              + ([cluster] if cluster else [])))
    check_columns(data, cols)
    check_numeric(data, [dependent] + ([weights] if weights else []))
    labels = [k for k in ("iso3", "year") if k in data.columns]  # to name offending rows
    df_all = data[cols + [k for k in labels if k not in cols]].copy()
    df, n_drop, keep = _listwise(df_all, cols, "data", return_mask=True)
    _check_finite_terms(df_all, rhs, keep, labels)
    notes = (f"{n_drop} row(s) with missing values dropped (listwise)",) if n_drop else ()
    if weights is not None and (df[weights] <= 0).any():
        bad = df.loc[df[weights] <= 0, weights].head(5).tolist()
        raise ValueError(f"weights column {weights!r} must be positive; found {bad}")
    n_clusters: tuple[int, ...] = ()
    if spec.name == "cluster":
        n_clusters = _check_clusters(df, [cluster], min_clusters)
    f = f"{dependent} ~ {rhs}"
    model = (smf.wls(f, data=df, weights=df[weights]) if weights else smf.ols(f, data=df))
    names = [str(n) for n in model.exog_names]
    X = np.asarray(model.exog, dtype=float)
    yv = np.asarray(model.endog, dtype=float)
    w = np.asarray(model.weights, dtype=float) if weights else None
    _check_library_sample(X.shape[0], len(df), f"statsmodels {statsmodels.__version__}")
    finite = np.isfinite(X).all(axis=0)
    if not finite.all():  # guard: _check_finite_terms should have caught these
        raise RuntimeError(
            f"the design matrix built by statsmodels has non-finite values in column(s) "
            f"{[n for n, ok in zip(names, finite, strict=True) if not ok]}; OLS would "
            "return NaN estimates. Please report this with the formula")
    n_obs, k_par = X.shape
    if n_obs <= k_par:
        raise ValueError(
            f"too few rows: {n_obs} observation(s) for {k_par} parameters ({names}); OLS needs "
            "more observations than parameters (n > k) to estimate the error variance and "
            "standard errors. Use a larger sample or fewer regressors")
    groups = pd.factorize(df.loc[model.data.row_labels, cluster])[0] if cluster else None
    fit = _ols(X, yv, w, spec.name, groups, int(model.k_constant))
    if fit is None:
        raise ValueError(_collinear_exog_message(X, names))
    params = pd.Series(fit["params"], index=names, name="estimate")
    covm = pd.DataFrame(fit["cov"], index=names, columns=names)
    df_t = float(n_clusters[0] - 1) if n_clusters else float(fit["df_resid"])
    sd = {dependent: float(np.std(yv, ddof=1))}
    sd.update(zip(names, np.std(X, axis=0, ddof=1).tolist(), strict=True))
    rows = model.data.row_labels
    return RegressionResults(
        params=params, cov=covm, dependent=dependent, model="cross_section",
        estimator="WLS" if weights else "OLS", cov_type=spec.name, df_inference=df_t,
        nobs=int(X.shape[0]), r2=fit["r2"], r2_adj=fit["r2_adj"],
        clusters=(cluster,) if cluster else (), n_clusters=n_clusters,
        sd=pd.Series(sd, dtype=float), backend=f"statsmodels {statsmodels.__version__}",
        formula=f, notes=notes,
        fitted_values=pd.Series(fit["fitted"], index=rows, name="fitted"),
        residuals=pd.Series(yv - fit["fitted"], index=rows, name="residual"),
        _design_info=getattr(model.data, "model_spec", None))


def _ols(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, cov: str,
         groups: np.ndarray | None, k_constant: int) -> dict | None:
    """(W)LS with statsmodels' formulas, without its SVDs; None if ``X`` is rank deficient.

    Rank check without an ``n x k`` decomposition: the eigenvalues of the
    column-scaled Gram matrix ``D X'X D`` (``D = diag(1/||x_j||)``) bound the
    singular values of ``X``; if the bound certifies that ``X`` passes numpy
    ``matrix_rank``'s rule (``s_min > max(n, k) * eps * s_max``, with a 1,000-fold
    margin), estimates come from that eigendecomposition plus one step of
    iterative refinement.  Otherwise (a collinear or badly scaled design) the
    singular values of ``X`` decide, exactly as ``matrix_rank`` and statsmodels'
    ``pinv`` do, and the estimates come from that SVD.  Covariances follow
    statsmodels ``OLS/WLS.fit(cov_type=...)``: classical ``s^2 (X'X)^-1``; HC0-HC3
    sandwiches with the weighted residuals and leverages; cluster CR1 with
    ``G/(G-1) (N-1)/(N-k)``.  ``r2``: centred on the (weighted) mean if the model has
    a constant, else uncentred, as statsmodels.
    """
    n, k = X.shape
    if w is not None:
        sw = np.sqrt(w)
        wX, wy = X * sw[:, None], y * sw
    else:
        wX, wy = X, y
    if k > n:
        return None
    tol = max(n, k) * np.finfo(float).eps
    gram = wX.T @ wX
    dn = np.sqrt(np.diag(gram))
    certified = False
    if dn.min() > 0:
        lam, V = np.linalg.eigh(gram / np.outer(dn, dn))
        if lam[0] > 1e-10 * lam[-1]:
            # s_min(X)/s_max(X) >= sqrt(lam_min/lam_max) * min||x_j|| / max||x_j||
            bound = np.sqrt(lam[0] / lam[-1]) * dn.min() / dn.max()
            certified = bound > 1e3 * tol
    # Sandwiches are T (Q' A Q) T' with (Q, T) = (wX, (X'X)^-1), or, on the SVD path,
    # (U, V S^-1): then T Q' = pinv(X), statsmodels' own form, which avoids squaring
    # the condition number of an ill-conditioned design.
    if certified:
        inv = (V / lam) @ V.T / np.outer(dn, dn)
        beta = inv @ (wX.T @ wy)
        beta = beta + inv @ (wX.T @ (wy - wX @ beta))  # one refinement step
        Q, T = wX, inv
    else:
        U, sv, Vt = np.linalg.svd(wX, full_matrices=False)
        if sv.min() <= sv.max() * tol:
            return None
        inv = (Vt.T / sv**2) @ Vt
        beta = Vt.T @ ((U.T @ wy) / sv)
        Q, T = U, Vt.T / sv
    fitted = X @ beta
    wresid = wy - wX @ beta
    df_resid = n - k
    ssr = float(wresid @ wresid)
    if cov == "classical":
        Vc = ssr / df_resid * inv
    elif cov == "cluster":
        G = int(groups.max()) + 1
        # statsmodels' cov_cluster: (X'X)^-1 (sum_g s_g s_g') (X'X)^-1, s_g = sum_g x_i u_i
        S = np.column_stack([np.bincount(groups, weights=wX[:, j] * wresid, minlength=G)
                             for j in range(k)])
        Vc = inv @ (S.T @ S) @ inv * (G / (G - 1) * (n - 1) / (n - k))
    else:
        u2 = wresid**2
        if cov in ("HC2", "HC3"):
            h = np.einsum("ij,ij->i", wX @ inv, wX)  # leverages, computed as statsmodels does
            u2 = u2 / (1 - h) if cov == "HC2" else u2 / (1 - h) ** 2
        Z = Q * np.sqrt(u2)[:, None]
        Vc = T @ (Z.T @ Z) @ T.T  # Z'Z: numpy's symmetric (syrk) product, half a general one
        if cov in ("HC1", "robust"):
            Vc = Vc * n / df_resid
    if k_constant:
        if w is not None:
            tss = float(np.sum(w * (y - np.average(y, weights=w)) ** 2))
        else:
            tss = float(np.sum((y - y.mean()) ** 2))
    else:
        tss = float(wy @ wy)
    r2 = 1 - ssr / tss
    r2_adj = 1 - (n - k_constant) / df_resid * (1 - r2)
    return {"params": beta, "cov": Vc, "fitted": fitted, "df_resid": df_resid, "r2": r2,
            "r2_adj": r2_adj}


def _collinear_exog_message(X: np.ndarray, names: Sequence[str]) -> str:
    """Name the columns that make the design matrix rank deficient.

    A column is named if it lies in the span of the columns before it: its
    diagonal entry in the (unpivoted) QR factor of ``X`` is numerically zero.
    """
    from scipy import linalg

    R = linalg.qr(np.asarray(X, dtype=float), mode="r", check_finite=False)[0]
    d = np.abs(np.diag(R))
    scale = max(float(np.linalg.norm(X, axis=0).max()), np.finfo(float).tiny)
    tol = max(X.shape) * np.finfo(float).eps * scale
    culprits = [names[j] for j in range(min(X.shape)) if d[j] <= tol]
    culprits += list(names[min(X.shape):])
    return (f"regressor(s) {culprits} are collinear with the other regressors (or constant); "
            "drop them or merge the categories")
