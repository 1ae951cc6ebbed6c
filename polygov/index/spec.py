"""The immutable specification of a composite index (COINr's "coin log", frozen).

A spec names every methodological choice.  Changing a choice means making a new
spec (``spec.replace(aggregation="geometric")``) and rebuilding it; that is all
sensitivity analysis does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import _fmt, check_in, close_matches
from ._check import check_int, check_mapping, check_params, check_real
from .aggregate import AGGREGATORS
from .framework import Framework
from .impute import IMPUTERS
from .normalise import NORMALISERS
from .treat import FALLBACKS, treat_series
from .weights import check_share_bound

__all__ = ["IndexSpec"]


def check_treatment_params(params, name: str) -> dict:
    """Check outlier-treatment parameters against :func:`treat_series` (names, types, ranges)."""
    params = check_params(treat_series, params, name, skip=("method",))
    if "winmax" in params:
        check_int(params["winmax"], f"{name}['winmax']", minimum=0)
    if "fallback" in params:
        check_in(params["fallback"], FALLBACKS, name=f"{name}['fallback']")
    return params

_OVERRIDE_KEYS = ("normalisation", "normalisation_params", "treatment", "treatment_params",
                  "direction")
TREATMENTS = ("none", "winsorise")


def _freeze(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


def _finite_nonneg(v) -> bool:
    """True when ``v`` is a real number, finite and >= 0 (NaN, inf, strings and bools are not)."""
    if isinstance(v, bool | str) or v is None:
        return False
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(f) and f >= 0)


@dataclass(frozen=True, eq=False)
class IndexSpec:
    """Every choice needed to build an index from data.

    Parameters
    ----------
    framework : Framework
        The hierarchy with nominal weights and directions.
    normalisation : str
        A key of :data:`NORMALISERS` (default ``"minmax"``), applied to every indicator.
    normalisation_params : mapping
        Keyword arguments of the normaliser (default none: minmax then maps to 0-100).
    aggregation : str or mapping
        A key of :data:`AGGREGATORS`, or a mapping from level number (2, 3, ...) or
        aggregate code to a key, for different rules per level.
    aggregation_params : mapping
        Keyword arguments of the aggregators: ``p`` (``generalised``, default 2);
        ``lower``/``upper`` (``bod``: bounds on each component's share of a unit's
        score, a number or a mapping code -> number).
    weights : mapping code -> weight, optional
        Overrides of the framework's weights, keyed by code (never by position).
        Weights are relative: each aggregate rescales its children's weights to sum to 1.
    treatment : {"none", "winsorise"}
        Outlier treatment of every indicator (see :mod:`polygov.index.treat`).
    treatment_params : mapping
        ``winmax`` (5), ``skew_thresh`` (2), ``kurt_thresh`` (3.5), ``fallback``
        (``"log_ct_plus"``, skew-aware; ``"log_ct"`` is COINr's default log step).
    imputation : str
        A key of :data:`IMPUTERS` (``"none"`` default).
    impute_by : str or list, optional
        Grouping column(s) for ``group_mean``/``group_median``.  On a panel the groups
        are taken within each year (unless ``impute_by`` holds ``"iso3"`` or ``"year"``),
        so later years never fill earlier gaps.
    denominators : mapping indicator -> column, optional
        Divide indicators by size variables before treatment.
    min_coverage : float in [0, 1]
        Minimum share of an aggregate's children that must be available for a unit
        to get a score on that aggregate (otherwise missing, logged).  Default 0
        (one available component is enough).
    min_unit_coverage : float in [0, 1]
        Units (rows) with a smaller share of non-missing indicators are dropped before
        anything else (logged; COINr's ``Screen``).
    overrides : mapping code -> mapping
        Per-indicator settings that replace the global ones for that indicator: keys
        ``normalisation``, ``normalisation_params``, ``treatment``, ``treatment_params``,
        ``direction``.
    exclude : tuple of str
        Indicators left out of the aggregation (they are still treated, imputed and
        normalised, and reported).
    impute_first : bool
        Stage order.  ``False`` (default): screen, treat, then impute, so outlier
        rules are judged on observed values only and imputed values come from treated
        data.  ``True``: impute, screen, then treat, the order of COINr's
        ``build_example_coin`` (screening then counts imputed values as available).
        The order can matter: in COINr's ASEM example, filling MNG's public debt with
        the Asian mean lifts the indicator's skewness from 1.9994 to 2.029, so JPN is
        winsorised only when imputation comes first (``tests/test_index_asem.py``).
    """

    framework: Framework
    normalisation: str = "minmax"
    normalisation_params: Mapping[str, Any] = field(default_factory=dict)
    aggregation: str | Mapping = "arithmetic"
    aggregation_params: Mapping[str, Any] = field(default_factory=dict)
    weights: Mapping[str, float] | None = None
    treatment: str = "none"
    treatment_params: Mapping[str, Any] = field(default_factory=dict)
    imputation: str = "none"
    impute_by: str | tuple | None = None
    denominators: Mapping[str, str] | None = None
    min_coverage: float = 0.0
    min_unit_coverage: float = 0.0
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    impute_first: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.framework, Framework):
            raise TypeError("framework must be a Framework (use framework_from_table(table)), "
                            f"got {type(self.framework).__name__}")
        fw = self.framework
        codes, inds = set(fw.codes), set(fw.indicators)
        for name in ("normalisation_params", "aggregation_params", "treatment_params", "overrides"):
            check_mapping(getattr(self, name), name, none_ok=False)
        for name in ("weights", "denominators"):
            check_mapping(getattr(self, name), name)
        for name in ("normalisation", "treatment", "imputation"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a method name (str), got {getattr(self, name)!r}")
        check_in(self.normalisation, NORMALISERS, name="normalisation")
        uses_global = any("normalisation_params" not in self.overrides.get(c, {})
                          and "normalisation" not in self.overrides.get(c, {}) for c in inds)
        check_params(NORMALISERS[self.normalisation], self.normalisation_params,
                     "normalisation_params", required=uses_global and self.normalisation == "goalposts")
        check_treatment_params(self.treatment_params, "treatment_params")
        if self.impute_by is not None and not (
                isinstance(self.impute_by, str)
                or (isinstance(self.impute_by, list | tuple)
                    and all(isinstance(b, str) for b in self.impute_by))):
            raise TypeError(f"impute_by must be a column name or a list of column names, got "
                            f"{self.impute_by!r}")
        if not isinstance(self.exclude, str | list | tuple) or not all(
                isinstance(e, str) for e in ([self.exclude] if isinstance(self.exclude, str)
                                             else self.exclude)):
            raise TypeError(f"exclude must be an indicator code or a list of codes, got {self.exclude!r}")
        aggs = self.aggregation if isinstance(self.aggregation, Mapping) else {"*": self.aggregation}
        for key, name in aggs.items():
            check_in(name, AGGREGATORS, name="aggregation")
            if key != "*" and key not in codes and key not in range(2, fw.n_levels + 1):
                raise KeyError(f"aggregation key {key!r} is neither a level (2..{fw.n_levels}) "
                               f"nor an aggregate code")
        bad = [k for k in self.aggregation_params if k not in ("p", "lower", "upper")]
        if bad:
            raise KeyError(f"unknown aggregation_params key(s) {_fmt(bad)}; allowed: 'p' "
                           "(generalised), 'lower', 'upper' (bod)")
        if "p" in self.aggregation_params:
            pv = self.aggregation_params["p"]
            ok = not isinstance(pv, bool | str) and isinstance(pv, int | float | np.integer | np.floating)
            if not ok or not np.isfinite(float(pv)):
                raise ValueError(f"aggregation_params 'p' (power of the generalised mean) must be a "
                                 f"finite real number, got {pv!r}")
        root = fw.root
        bound_codes = [c for c in fw.codes if c != root]
        for k in ("lower", "upper"):
            if k in self.aggregation_params:
                check_share_bound(self.aggregation_params[k], k, bound_codes)
        check_in(self.treatment, TREATMENTS, name="treatment")
        check_in(self.imputation, IMPUTERS, name="imputation")
        if self.weights is not None:
            bad = [k for k in self.weights if k not in codes]
            if bad:
                hints = {b: close_matches(b, codes) for b in bad}
                raise KeyError(f"weights for unknown code(s) {_fmt(bad)}; weights are keyed by "
                               f"framework code. Close matches: {hints}")
            neg = {k: v for k, v in self.weights.items() if not _finite_nonneg(v)}
            if neg:
                raise ValueError(f"weights must be finite non-negative numbers, got {neg}; "
                                 "an infinite weight makes every score NaN (inf/inf)")
        for k, ov in self.overrides.items():
            if k not in inds:
                raise KeyError(f"override for {k!r}, which is not an indicator "
                               f"(close: {close_matches(k, inds)})")
            badk = [x for x in ov if x not in _OVERRIDE_KEYS]
            if badk:
                raise KeyError(f"unknown override key(s) {_fmt(badk)} for {k!r}; "
                               f"allowed: {_fmt(_OVERRIDE_KEYS)}")
            check_mapping(ov, f"overrides[{k!r}]", none_ok=False)
            if "normalisation" in ov:
                check_in(ov["normalisation"], NORMALISERS, name=f"normalisation for {k!r}")
            if "normalisation_params" in ov or "normalisation" in ov:
                meth = ov.get("normalisation", self.normalisation)
                check_params(NORMALISERS[meth], ov.get("normalisation_params", {}),
                             f"overrides[{k!r}]['normalisation_params']",
                             required=meth == "goalposts")
            if "treatment_params" in ov:
                check_treatment_params(ov["treatment_params"], f"overrides[{k!r}]['treatment_params']")
            if "treatment" in ov:
                check_in(ov["treatment"], TREATMENTS, name=f"treatment for {k!r}")
            if "direction" in ov and ov["direction"] not in (-1, 1):
                raise ValueError(f"direction override for {k!r} must be +1 or -1, got {ov['direction']}")
        excl = tuple(self.exclude) if not isinstance(self.exclude, str) else (self.exclude,)
        bad = [e for e in excl if e not in inds]
        if bad:
            raise KeyError(f"exclude: {_fmt(bad)} are not indicators of the framework")
        for name in ("min_coverage", "min_unit_coverage"):
            object.__setattr__(self, name, check_real(getattr(self, name), name, lo=0, hi=1))
        if not isinstance(self.impute_first, bool | np.bool_):
            raise TypeError(f"impute_first must be True or False, got {self.impute_first!r}")
        object.__setattr__(self, "exclude", excl)
        for name in ("normalisation_params", "aggregation_params", "treatment_params",
                     "overrides", "weights", "denominators"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, _freeze(dict(v)))
        if isinstance(self.aggregation, Mapping):
            object.__setattr__(self, "aggregation", _freeze(dict(self.aggregation)))
        if isinstance(self.impute_by, list):
            object.__setattr__(self, "impute_by", tuple(self.impute_by))

    # -- derived settings ------------------------------------------------------
    def replace(self, **changes) -> IndexSpec:
        """A new spec with ``changes`` applied (the original is untouched).

        Changing ``normalisation`` without ``normalisation_params`` resets the params
        to the new method's defaults (give both to keep, e.g., a 1-100 range).
        """
        if "normalisation" in changes and "normalisation_params" not in changes:
            changes["normalisation_params"] = {}
        return dataclasses.replace(self, **changes)

    def _with_checked(self, **changes) -> IndexSpec:
        """A copy with ``changes`` that the caller has validated already (private).

        For the sensitivity engine, which checks every alternative up front (names against
        the registries, parameters against the functions' signatures) and would otherwise
        re-run the whole validation of :meth:`replace` for each variant.  Only method
        names and their parameter mappings may change here; mappings are frozen as
        ``__post_init__`` freezes them.
        """
        allowed = {"normalisation", "normalisation_params", "treatment", "treatment_params",
                   "imputation"}
        bad = set(changes) - allowed
        if bad:          # pragma: no cover - a programming error inside polygov
            raise TypeError(f"_with_checked cannot change {sorted(bad)}; use replace()")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for k, v in changes.items():
            new.__dict__[k] = _freeze(dict(v)) if k.endswith("_params") else v
        return new

    def indicator_setting(self, code: str, key: str):
        """The effective setting ``key`` for indicator ``code`` (override or global)."""
        ov = self.overrides.get(code, {})
        if key in ov:
            return ov[key]
        if key == "direction":
            return self.framework.direction(code)
        return getattr(self, key)

    def aggregator_for(self, code: str) -> str:
        if not isinstance(self.aggregation, Mapping):
            return self.aggregation
        if code in self.aggregation:
            return self.aggregation[code]
        lvl = self.framework.level(code)
        if lvl in self.aggregation:
            return self.aggregation[lvl]
        return self.aggregation.get("*", "arithmetic")

    def node_weights(self) -> dict[str, float]:
        """Weight of every node: framework weights with the spec's overrides; excluded = 0."""
        w = self.framework.weights()
        if self.weights is not None:
            w.update({k: float(v) for k, v in self.weights.items()})
        for e in self.exclude:
            w[e] = 0.0
        return w

    def __repr__(self) -> str:
        parts = [f"framework={self.framework!r}", f"normalisation={self.normalisation!r}"]
        if self.normalisation_params:
            parts.append(f"normalisation_params={dict(self.normalisation_params)}")
        agg = self.aggregation if isinstance(self.aggregation, str) else dict(self.aggregation)
        parts.append(f"aggregation={agg!r}")
        for name in ("treatment", "imputation"):
            if getattr(self, name) != "none":
                parts.append(f"{name}={getattr(self, name)!r}")
        if self.weights:
            parts.append(f"weights=<{len(self.weights)} overrides>")
        if self.overrides:
            parts.append(f"overrides={sorted(self.overrides)}")
        if self.exclude:
            parts.append(f"exclude={self.exclude}")
        return "IndexSpec(" + ", ".join(parts) + ")"
