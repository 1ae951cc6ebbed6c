"""Specification curves (Simonsohn, Simmons & Nelson 2020): run every reasonable model.

Every combination of outcome x treatment (e.g. polycentricity measure) x
control set x sample x estimator is fitted with :func:`fit_panel`; the
treatment's estimate of each is kept, and the specifications are ordered by
estimate.  :func:`specification_summary` gives the share of estimates with
each sign and the share significant with each sign.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import PolygovWarning, check_columns, check_dataframe, check_in, check_numeric
from ._sample import panel_keys
from .panel import EFFECTS, fit_panel
from .results import check_unit_interval

__all__ = ["specification_curve", "specification_summary", "SPEC_COLUMNS"]

SPEC_COLUMNS = ["outcome", "treatment", "controls", "sample", "estimator"]

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CATEGORICAL = re.compile(r"^C\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$")


def _control_column(term: str, set_name: str) -> tuple[str, bool]:
    """(underlying column, is categorical) of a control term: ``col`` or ``C(col)``."""
    term = str(term).strip()
    if _PLAIN.match(term):
        return term, False
    m = _CATEGORICAL.match(term)
    if m:
        return m.group(1), True
    raise ValueError(
        f"control {term!r} in control set {set_name!r} is neither a column name nor a "
        "categorical term 'C(column)'; create a column for other transformations first "
        "(e.g. data.assign(log_pop=np.log(data['pop'])))")


def _names(value, name: str) -> list[str]:
    """A list of column names (a single string is refused: it is usually a forgotten list)."""
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray, pd.Index)):
        raise TypeError(f"{name} must be a list of column names, got {value!r}")
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must be a list of column names (str), got {bad}")
    return out


def _estimators(estimators) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for e in estimators:
        if isinstance(e, str):
            check_in(e, EFFECTS, name="estimator (effects)")
            out[e] = {"effects": e}
        elif isinstance(e, Mapping):
            e = dict(e)
            name = str(e.pop("name", None) or "/".join(str(v) for v in e.values()))
            bad = set(e) - {"effects", "cov", "cluster", "bandwidth", "min_clusters"}
            if bad:
                raise ValueError(f"estimator {name!r} has unknown option(s) {sorted(bad)}; "
                                 "allowed: effects, cov, cluster, bandwidth, min_clusters, name")
            out[name] = e
        else:
            raise TypeError("each estimator is an effects name ('twoway', 'entity', 'none', "
                            "'random') or a dict like {'name': 'TWFE, DK', 'effects': 'twoway', "
                            f"'cov': 'driscoll_kraay'}}; got {type(e).__name__}")
    if not out:
        raise ValueError("estimators= is empty")
    return out


def _sample(data: pd.DataFrame, name: str, spec) -> pd.DataFrame:
    if spec is None:
        return data
    if isinstance(spec, (bool, int, float, np.number)):
        raise TypeError(f"sample {name!r} must be None, a query string or a boolean mask, "
                        f"got {spec!r}")
    if isinstance(spec, str):
        try:
            out = data.query(spec)
        except Exception as exc:
            raise ValueError(f"sample {name!r}: query {spec!r} failed: {exc}") from exc
        if not isinstance(out, pd.DataFrame):
            raise ValueError(f"sample {name!r}: query {spec!r} is not a condition on rows "
                             "(e.g. 'year >= 2010')")
        return out
    mask = spec
    if isinstance(mask, pd.Series):
        if not mask.index.equals(data.index):
            mask = mask.reindex(data.index)
            if mask.isna().any():
                raise ValueError(f"sample {name!r}: the boolean mask's index does not cover "
                                 "data's index")
        mask = mask.to_numpy()
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (len(data),):
        raise ValueError(f"sample {name!r} must be a query string or a boolean mask of length "
                         f"{len(data)}; got dtype {mask.dtype}, shape {mask.shape}")
    if not mask.any():
        raise ValueError(f"sample {name!r} selects no rows")
    return data.loc[mask]


def specification_curve(
    data: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    treatments: Sequence[str],
    controls: Mapping[str, Sequence[str]] | None = None,
    samples: Mapping[str, object] | None = None,
    estimators: Sequence[str | Mapping] = ("twoway",),
    entity: str = "iso3",
    time: str = "year",
    cov: str = "cluster",
    level: float = 0.95,
    standardise: bool = False,
    on_error: str = "record",
) -> pd.DataFrame:
    """Fit every specification and return the treatment estimates ordered by size.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy panel.
    outcomes, treatments : list of str
        Dependent variables and treatment (focal regressor) columns.
    controls : dict {name: list of terms}, optional
        Control sets; default ``{"none": []}``.  A term is a numeric column
        name or ``"C(column)"`` for a categorical control (one dummy per level
        but the first, e.g. ``"C(region)"``); the column must exist in
        ``data``.  Note that a time-invariant categorical is collinear with
        entity fixed effects: such specifications fail (recorded in
        ``error``) unless the estimator is ``"none"`` or ``"random"``.
    samples : dict {name: None | query string | boolean mask}, optional
        Samples; default ``{"all": None}``.
    estimators : list of str or dict
        ``"twoway"``, ``"entity"``, ``"none"``, ``"random"`` or dicts with keys
        ``name``, ``effects``, ``cov``, ``cluster``, ``bandwidth``,
        ``min_clusters`` (passed to :func:`fit_panel`).
    entity, time, cov : str
        Passed to :func:`fit_panel` (``cov`` unless an estimator sets its own).
    level : float, default 0.95
        Confidence level for ``ci_low``/``ci_high``, strictly between 0 and 1
        (checked before any model is fitted).
    standardise : bool, default False
        If True, z-score the outcome and the treatment within each
        specification's estimation sample, so estimates are in standard
        deviations of the outcome per standard deviation of the treatment and
        comparable across outcomes and treatments on different scales.
    on_error : {"record", "raise"}
        ``"record"`` keeps a failed specification as a row with NaN estimate
        and the error message in ``error``, and warns with the count;
        ``"raise"`` stops at the first failure.

    Raises
    ------
    KeyError
        An outcome, treatment or control column (the column inside ``C(...)``)
        missing from ``data``.
    TypeError
        A non-numeric outcome, treatment or plain control column.
    ValueError
        A control term that is neither ``column`` nor ``C(column)``.

    Returns
    -------
    pandas.DataFrame
        One row per specification, sorted by ``estimate`` (failed ones last):
        ``rank`` (1 = smallest estimate), ``outcome``, ``treatment``,
        ``controls``, ``sample``, ``estimator``, ``estimate``, ``std_error``,
        ``statistic``, ``p_value``, ``ci_low``, ``ci_high``, ``nobs``,
        ``error``.
    """
    check_dataframe(data)
    # the shared key step, once and up front (normalised codes and years; duplicates refused)
    keyed, entity, time, n_key_drop, _, _ = panel_keys(data, entity, time, unique=True)
    if n_key_drop == 0:  # same rows, so boolean sample masks still line up
        data = keyed
    if not isinstance(on_error, str):
        raise TypeError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    check_in(on_error, ("record", "raise"), name="on_error")
    level = check_unit_interval(level, "level", 0.95)
    outcomes = _names(outcomes, "outcomes")
    treatments = _names(treatments, "treatments")
    if not outcomes or not treatments:
        raise ValueError("outcomes= and treatments= each need at least one column")
    if controls is not None and not isinstance(controls, Mapping):
        raise TypeError(f"controls must be a dict {{name: list of terms}}, e.g. "
                        f"{{'income': ['log_gdppc']}}; got {controls!r}")
    controls = ({"none": []} if controls is None else
                {str(k): _names(v, f"controls[{k!r}]") for k, v in controls.items()})
    if samples is not None and not isinstance(samples, Mapping):
        raise TypeError(f"samples must be a dict {{name: None | query string | boolean mask}}, "
                        f"got {samples!r}")
    samples = {"all": None} if samples is None else dict(samples)
    if not isinstance(standardise, (bool, np.bool_)):
        raise TypeError(f"standardise must be True or False, got {standardise!r}")
    if isinstance(estimators, (str, Mapping)) or not isinstance(estimators, Sequence):
        raise TypeError(f"estimators must be a list of effects names or dicts, e.g. "
                        f"['twoway', 'random']; got {estimators!r}")
    est = _estimators(estimators)
    control_cols = {name: [_control_column(c, name) for c in cs] for name, cs in controls.items()}
    plain = {c for v in control_cols.values() for c, cat in v if not cat}
    categorical = {c for v in control_cols.values() for c, cat in v if cat}
    used = set(outcomes) | set(treatments) | plain | categorical
    check_columns(data, sorted(used) + [entity, time])
    check_numeric(data, sorted(set(outcomes) | set(treatments) | plain))
    frames = {name: _sample(data, name, spec) for name, spec in samples.items()}

    rows = []
    for o, t, (cn, cs), sn, (en, eopts) in itertools.product(
            outcomes, treatments, controls.items(), frames, est.items()):
        row = {"outcome": o, "treatment": t, "controls": cn, "sample": sn, "estimator": en}
        cs_cols = [c for c, _ in control_cols[cn]]
        if o == t or o in cs_cols or t in cs_cols:
            row["error"] = "outcome, treatment and controls overlap"
            if on_error == "raise":
                raise ValueError(f"specification {row}: {row['error']}")
            rows.append(row)
            continue
        kw = {"cov": cov, **eopts}
        try:
            frame = frames[sn]
            if standardise:
                frame = _zscore(frame, [o, t, *cs_cols, entity, time], [o, t])
            res = fit_panel(frame, f"{o} ~ {' + '.join([t, *cs])}", entity=entity, time=time,
                            **kw)
            tidy = res.tidy(level).set_index("term").loc[t]
            row.update({k: float(tidy[k]) for k in ("estimate", "std_error", "statistic",
                                                      "p_value", "ci_low", "ci_high")})
            row["nobs"] = res.nobs
            row["error"] = ""
        except Exception as exc:
            if on_error == "raise":
                raise
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"):
        if c not in out:
            out[c] = np.nan
    out["nobs"] = out.get("nobs", pd.Series(np.nan, index=out.index)).astype("Int64")
    failed = out["error"].astype(bool)
    if failed.any():
        warnings.warn(f"{int(failed.sum())} of {len(out)} specifications failed; see the "
                      f"'error' column (first: {out.loc[failed, 'error'].iloc[0][:200]})",
                      PolygovWarning, stacklevel=2)
    out = out.sort_values(["estimate", *SPEC_COLUMNS], na_position="last", kind="mergesort")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    cols = ["rank", *SPEC_COLUMNS, "estimate", "std_error", "statistic", "p_value", "ci_low",
            "ci_high", "nobs", "error"]
    return out[cols]


def _zscore(frame: pd.DataFrame, used: list[str], cols: list[str]) -> pd.DataFrame:
    """Z-score ``cols`` over the rows where every ``used`` column is observed."""
    sample = frame.dropna(subset=list(dict.fromkeys(used)))
    out = frame.copy()
    for c in cols:
        sd = sample[c].std()
        if not np.isfinite(sd) or sd == 0:
            raise ValueError(f"cannot standardise {c!r}: zero or undefined standard deviation in "
                             "the estimation sample")
        out[c] = (frame[c] - sample[c].mean()) / sd
    return out


def specification_summary(curve: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Share of specifications by sign and significance.

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`specification_curve` (needs ``estimate``, ``p_value``).
    alpha : float, default 0.05
        Significance level, strictly between 0 and 1 (0.05, not 5).

    Returns
    -------
    pandas.DataFrame
        One row with ``n_specs``, ``n_failed``, ``median_estimate``,
        ``share_positive``, ``share_negative``, ``share_significant_positive``,
        ``share_significant_negative`` (shares of successful specifications;
        significant means ``p_value < alpha``).
    """
    alpha = check_unit_interval(alpha, "alpha", 0.05)
    check_columns(curve, ["estimate", "p_value"], name="curve")
    ok = curve["estimate"].notna()
    e, p = curve.loc[ok, "estimate"], curve.loc[ok, "p_value"]
    n = int(ok.sum())

    def share(mask) -> float:
        return float(mask.sum() / n) if n else float("nan")

    return pd.DataFrame([{
        "n_specs": n,
        "n_failed": int((~ok).sum()),
        "median_estimate": float(e.median()) if n else float("nan"),
        "share_positive": share(e > 0),
        "share_negative": share(e < 0),
        "share_significant_positive": share((e > 0) & (p < alpha)),
        "share_significant_negative": share((e < 0) & (p < alpha)),
    }])
