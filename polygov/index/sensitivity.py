"""Uncertainty and global sensitivity analysis of a composite index, vectorised over draws.

Each Monte Carlo draw is a variant of the spec: a normalisation, an aggregation, an
imputation method, an outlier treatment, perturbed weights and (optionally) one
indicator left out.  Rather
than rebuilding the index once per draw, the engine

1. runs the expensive stages once per *alternative* (each imputation x treatment x
   normalisation is computed a single time, with :func:`polygov.index.build`'s own code),
2. holds every draw's weights in a (draws x nodes) matrix (a left-out indicator is a
   zero weight),
3. aggregates all draws sharing a (data variant, normalisation, aggregation) at once:
   indicator blocks by matrix products, upper levels by ``einsum``, geometric and
   harmonic means as arithmetic means of ``log x`` and ``1/x`` (power means),
4. ranks all draws with one ``rankdata(axis=1)`` call.

For the power means (``arithmetic``, ``geometric``, ``harmonic``, ``generalised``) the
loop runs over aggregates and alternatives, never over draws.

The non-compensatory ``copeland`` and the Benefit-of-the-Doubt ``bod`` aggregations are
not power means and take a per-draw path instead: an alternative that uses either of
them at any aggregate below the analysed code is evaluated draw by draw, every level
(power means included) with the functions of :data:`~polygov.index.aggregate.AGGREGATORS`
exactly as :func:`polygov.index.build` calls them (Copeland and BoD within each year of a
panel), so its scores are bitwise those of a rebuild.  Draws whose relevant weights
coincide are computed once and results are memoised across batches; since BoD ignores the
framework weights, a BoD-only alternative costs one solve per (data variant,
normalisation, left-out indicator), whatever the weight noise.  Power-mean alternatives
in the same run keep the vectorised path.

Every draw's parameters are recorded, and ``result.spec_for(d)`` returns the spec of
draw ``d``: ``build(result.spec_for(d), data)`` reproduces that draw's scores exactly
(tested).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import PolygovWarning, check_in
from .aggregate import AGGREGATORS, POWER, aggregator_kwargs
from .build import build, check_share_bound_parents, normalise_frame, prepare
from .impute import IMPUTERS
from .normalise import NORMALISERS
from .spec import TREATMENTS, IndexSpec

__all__ = ["uncertainty", "sobol", "UncertaintyResult", "SensitivityResult"]

DEFAULT_NORMALISATIONS = (("minmax", {"lo": 1.0, "hi": 100.0}), ("zscore", {"mean": 10.0, "sd": 2.0}))
DEFAULT_AGGREGATIONS = ("arithmetic", "geometric")


# ---------------------------------------------------------------------------
# alternatives
def _alternative(a, *, key: str, registry, what: str, prefer: str) -> tuple[str, dict]:
    """Read one alternative given as a name, a ``(name, params)`` pair or a mapping.

    In a mapping the name is under ``key`` or ``"method"`` (``prefer`` wins when both
    are given; both are removed); parameters are under ``"params"`` or are the
    remaining entries.
    """
    if isinstance(a, str):
        name, params = a, {}
    elif isinstance(a, Mapping):
        a = dict(a)
        found = {k: a.pop(k) for k in (key, "method") if k in a}
        name = found.get(prefer, next(iter(found.values()), None))
        params = a.pop("params", a)
    else:
        name, params = a
        params = dict(params or {})
    check_in(name, registry, name=what)
    return name, dict(params)


def _norm_alt(a) -> tuple[str, dict]:
    return _alternative(a, key="normalisation", registry=NORMALISERS, what="normalisation alternative",
                        prefer="method")


def _label(name: str, params: Mapping) -> str:
    if not params:
        return name
    return name + "(" + ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}"
                                  for k, v in params.items()) + ")"


def _agg_label(a) -> str:
    return a if isinstance(a, str) else "{" + ", ".join(f"{k}: {v}" for k, v in a.items()) + "}"


def _nonpositive_message(N, inds, agg, name, params, treatment) -> str:
    """Error text for a geometric/harmonic draw meeting values <= 0: which indicators, how low."""
    mins = np.nanmin(np.where(np.isnan(N), np.inf, N), axis=0)
    bad = sorted((m, c) for c, m in zip(inds, mins, strict=True) if m <= 0)
    shown = ", ".join(f"{c!r} (min {m:.3g})" for m, c in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    lo = bad[0][0]
    minmax = "normalise by min-max to 1-100: ('minmax', {'lo': 1, 'hi': 100})"
    if name == "zscore":
        mean = float(params.get("mean", 0.0))
        fixes = ["winsorise the outliers first (IndexSpec(..., treatment='winsorise') or "
                 "treatments=['winsorise'])", minmax,
                 f"raise the z-score mean above {mean - lo:.3g}, e.g. "
                 f"('zscore', {{'mean': {int(np.ceil(mean - lo)) + 1}, "
                 f"'sd': {float(params.get('sd', 1.0)):g}}})"]
    else:
        fixes = [minmax, "drop the geometric/harmonic aggregation from aggregations="]
    return (f"aggregation alternative {agg!r} needs positive normalised values, but normalisation "
            f"{_label(name, params)!r} (treatment {treatment!r}) gives values <= 0 for "
            f"{len(bad)} indicator(s): {shown}{more}. Fix: " + "; or ".join(fixes))


# ---------------------------------------------------------------------------
class _Engine:
    """Precomputed normalised data for every alternative + a batched aggregator.

    Power-mean alternatives are aggregated for all draws at once (``_eval_group``);
    alternatives with Copeland or BoD anywhere below the target (``fallback[a]``) draw by
    draw with build's aggregators (``_eval_draws``).
    """

    def __init__(self, spec: IndexSpec, data: pd.DataFrame, *, normalisations, aggregations,
                 imputations, treatments, code: str):
        fw = spec.framework
        self.spec, self.fw, self.code = spec, fw, code
        self.inds = fw.indicators
        self.nodes = fw.codes
        self.pos = {c: i for i, c in enumerate(self.nodes)}
        self.ipos = {c: i for i, c in enumerate(self.inds)}
        self.norms = normalisations
        self.aggs = aggregations
        self.imps = imputations
        self.trts = treatments
        # aggregates needed for the target, bottom-up
        below = set(self._subtree(code))
        self.aggregates = [a for a in fw.aggregates if a in below]
        self.children = {a: list(fw.children(a)) for a in self.aggregates}
        # aggregator name and power per aggregation alternative and aggregate; an alternative
        # with a non-power-mean aggregator anywhere below the target (copeland, bod) takes
        # the per-draw path (self.fallback[a] True)
        params = dict(spec.aggregation_params)
        self.params = params
        self.names: list[dict[str, str]] = []
        self.powers = []
        self.fallback: list[bool] = []
        for alt in aggregations:
            aspec = spec if alt == spec.aggregation else spec.replace(aggregation=alt)
            names = {a: (alt if isinstance(alt, str) else aspec.aggregator_for(a))
                     for a in self.aggregates}
            self.names.append(names)
            if any(n == "bod" for n in names.values()):
                check_share_bound_parents(aspec)
            self.fallback.append(any(n not in POWER and n != "generalised" for n in names.values()))
            self.powers.append({a: (float(params.get("p", 2.0)) if n == "generalised" else POWER[n])
                                for a, n in names.items() if n in POWER or n == "generalised"})
        self.kid_pos = {a: np.array([self.pos[c] for c in self.children[a]]) for a in self.aggregates}
        self.deps = [self._deps(a_i) for a_i in range(len(aggregations))]
        self._memo: dict = {}
        self._memo_cap = max(1_000, 4_000_000 // max(len(data), 1))
        # normalised matrices per (data variant = imputation x treatment, normalisation)
        self.N: dict[tuple[int, int], np.ndarray] = {}
        self.M: dict[int, np.ndarray] = {}
        index = None
        variants = [(imp, trt) for imp in imputations for trt in treatments]
        for m, (imp, (tname, tparams)) in enumerate(variants):
            stages, _, _ = prepare(spec.replace(imputation=imp, treatment=tname,
                                                treatment_params=tparams), data)
            x = stages["prepared"]
            if index is None:
                index = x.index
            elif not x.index.equals(index):
                raise ValueError("imputation/treatment alternatives kept different units")
            self.M[m] = x[self.inds].notna().to_numpy()
            for k, (name, params) in enumerate(normalisations):
                s = spec.replace(normalisation=name, normalisation_params=params)
                N = normalise_frame(s, x)[self.inds].to_numpy(dtype=float)
                self.N[(m, k)] = N
                for a_i, pw in enumerate(self.powers):
                    if self.fallback[a_i]:
                        # per-draw path: check the geometric/harmonic nodes over indicators
                        # (the aggregator itself refuses values <= 0 further up: _aggregate_one)
                        pw = {g: v for g, v in pw.items()
                              if any(c in self.ipos for c in self.children[g])}
                    # an indicator as the target has no aggregate below it (pw empty)
                    if pw and min(pw.values()) <= 0 and np.nanmin(N) <= 0:
                        raise ValueError(_nonpositive_message(
                            N, self.inds, _agg_label(aggregations[a_i]), name, params,
                            _label(tname, tparams)))
        self.index = index
        self.U = len(index)
        self._cache: dict = {}
        self.years = (np.asarray(index.get_level_values("year"))
                      if isinstance(index, pd.MultiIndex) else None)
        # row positions of each year (sorted, as groupby) for Copeland/BoD within years
        self.year_pos = ([np.flatnonzero(self.years == y) for y in np.unique(self.years)]
                         if self.years is not None else [])
        self.labels = {"norm": [_label(*n) for n in normalisations],
                       "variant": [(imp, _label(*t)) for imp, t in variants]}

    def _deps(self, a_i):
        """Weight columns each aggregate's score depends on, for alternative ``a_i``.

        ``(value_cols, sign_cols)``: the score of an aggregate is a function of the data
        variant, the normalisation, the weights in ``value_cols`` and whether those in
        ``sign_cols`` are > 0 (left-out indicators).  BoD ignores its components' weights,
        so a BoD node over indicators depends only on which of them are left out.
        """
        out: dict[str, tuple[list[int], list[int]]] = {}
        for g in self.aggregates:
            pos = list(self.kid_pos[g])
            vals, signs = ([], pos) if self.names[a_i][g] == "bod" else (pos, [])
            for c in self.children[g]:
                if c in out:
                    vals, signs = vals + out[c][0], signs + out[c][1]
            out[g] = (sorted(set(vals)), sorted(set(signs)))
        return out

    def _subtree(self, code):
        out = [code]
        for k in self.fw.children(code):
            out += self._subtree(k)
        return out

    def _T(self, m, k, p):
        key = (m, k, p)
        if key not in self._cache:
            N = self.N[(m, k)]
            mask = self.M[m] & ~np.isnan(N)
            with np.errstate(divide="ignore", invalid="ignore"):
                T = N if p == 1 else (np.log(N) if p == 0 else N ** p)
            self._cache[key] = (np.where(mask, T, 0.0), mask.astype(float))
        return self._cache[key]

    def evaluate(self, imp, norm, agg, W) -> np.ndarray:
        """Scores of the target for draws (imp, norm, agg: int arrays; W: draws x nodes)."""
        D = len(imp)
        out = np.full((D, self.U), np.nan)
        if self.code in self.inds:
            for m, k in {(int(a), int(b)) for a, b in zip(imp, norm, strict=True)}:
                sel = (imp == m) & (norm == k)
                out[sel] = self.N[(m, k)][:, self.ipos[self.code]]
            return out
        combos = np.stack([imp, norm, agg], axis=1)
        for m, k, a in np.unique(combos, axis=0):
            sel = np.nonzero((imp == m) & (norm == k) & (agg == a))[0]
            ev = self._eval_draws if self.fallback[a] else self._eval_group
            out[sel] = ev(int(m), int(k), int(a), W[sel])
        return out

    def _eval_draws(self, m, k, a, W):
        """Per-draw path: each aggregate with the aggregator functions of :func:`build`.

        Used for alternatives with Copeland or BoD somewhere below the target.  Every
        level (power means included) is computed as ``build.aggregate_frame`` does it, with
        the effective weights of the draw, so scores equal ``build(spec_for(d), data)``.
        Draws whose relevant weights coincide (``self.deps``) are computed once, and
        results are memoised across batches: BoD ignores weights, so a BoD-only
        alternative costs one solve per (data variant, normalisation, left-out indicator).
        """
        N = self.N[(m, k)]
        names, deps = self.names[a], self.deps[a]
        vals: dict[str, np.ndarray] = {}   # aggregate -> (draws x units)
        for g in self.aggregates:
            vcols, scols = deps[g]
            R = np.concatenate([W[:, vcols], (W[:, scols] > 0).astype(float)], axis=1)
            uniq, first, inv = np.unique(R, axis=0, return_index=True, return_inverse=True)
            res = np.empty((len(uniq), self.U))
            for j, d in enumerate(first):
                key = (m, k, a, g, uniq[j].tobytes())
                hit = self._memo.get(key)
                if hit is None:
                    hit = self._aggregate_one(g, names[g], W[d], N, vals, d, (m, k, a))
                    if len(self._memo) < self._memo_cap:
                        self._memo[key] = hit
                res[j] = hit
            vals[g] = res[inv.reshape(-1)]
        return vals[self.code]

    def _aggregate_one(self, g, name, w_row, N, vals, d, mka):
        """One aggregate in one draw, exactly as ``build.aggregate_frame``."""
        kids = self.children[g]
        w_all = [float(w_row[i]) for i in self.kid_pos[g]]
        tot = sum(w_all)                       # build.effective_weights: sum over all children
        if tot <= 0:
            raise ValueError(f"all weights of the components of {g!r} are zero in a draw "
                             f"({kids}); keep at least one")
        live = [(c, v / tot) for c, v in zip(kids, w_all, strict=True) if v / tot > 0]
        cols = [c for c, _ in live]
        # column-major, as build's DataFrame of Series: the aggregators' reductions (and BoD's
        # dot products) then see the same memory layout and round identically
        X = (np.stack([N[:, self.ipos[c]] if c in self.ipos else vals[c][d] for c in cols]).T
             if cols else np.empty((self.U, 0)))
        x = pd.DataFrame(X, index=self.index, columns=cols)
        w = pd.Series([v for _, v in live], index=cols, dtype=float)
        kw = aggregator_kwargs(name, self.params, cols)   # bounds of left-out components dropped
        f = AGGREGATORS[name]
        try:
            if name in ("copeland", "bod") and len(self.year_pos) > 1:
                # within each year, as build's x.groupby(level="year"): the same rows in the
                # same order (positions precomputed, no groupby per draw)
                s = np.full(self.U, np.nan)
                for pos in self.year_pos:
                    s[pos] = f(x.iloc[pos], w, **kw).to_numpy(dtype=float)
                s = pd.Series(s, index=x.index)
            else:
                s = f(x, w, **kw)
        except ValueError as e:
            m, k, a = mka
            imp, trt = self.labels["variant"][m]
            raise ValueError(
                f"aggregation alternative {_agg_label(self.aggs[a])!r} failed at {g!r} ({name}) "
                f"with normalisation {self.labels['norm'][k]!r}, imputation {imp!r}, treatment "
                f"{trt!r}: {e}") from e
        if self.spec.min_coverage > 0:
            share = x.notna().mean(axis=1)
            s = s.where(~(share < self.spec.min_coverage))
        return s.to_numpy(dtype=float)

    def _eval_group(self, m, k, a, W):
        pw = self.powers[a]
        vals: dict[str, np.ndarray] = {}   # aggregate -> (draws x units)
        cov = self.spec.min_coverage
        D = W.shape[0]
        for g in self.aggregates:
            p = pw[g]
            kids = self.children[g]
            ind_kids = [c for c in kids if c in self.ipos]
            agg_kids = [c for c in kids if c not in self.ipos]
            num = np.zeros((D, self.U))
            den = np.zeros((D, self.U))
            n_av = np.zeros((D, self.U)) if cov > 0 else None
            n_tot = np.zeros((D, 1)) if cov > 0 else None
            if ind_kids:
                T, Mk = self._T(m, k, p)
                cols = [self.ipos[c] for c in ind_kids]
                Wk = W[:, [self.pos[c] for c in ind_kids]]            # draws x kids
                num += Wk @ T[:, cols].T                                # draws x units (BLAS)
                Mc = Mk[:, cols]
                if Mc.all():
                    den += Wk.sum(axis=1)[:, None]
                else:
                    den += Wk @ Mc.T
                if cov > 0:
                    pos_w = (Wk > 0).astype(float)
                    n_av += pos_w @ Mc.T
                    n_tot += pos_w.sum(axis=1)[:, None]
            for c in agg_kids:                                          # few children: loop
                v = vals[c]
                w = W[:, self.pos[c]][:, None]
                ok = ~np.isnan(v)
                with np.errstate(divide="ignore", invalid="ignore"):
                    tv = v if p == 1 else (np.log(v) if p == 0 else v ** p)
                if ok.all():
                    num += tv * w
                    den += w
                else:
                    num += np.where(ok, tv, 0.0) * w
                    den += ok * w
                if cov > 0:
                    n_av += ok * (w > 0)
                    n_tot += (w > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                t = num / den
                s = t if p == 1 else (np.exp(t) if p == 0 else t ** (1.0 / p))
            s = np.where(den > 0, s, np.nan)
            if cov > 0:
                s = np.where(n_av / n_tot < cov, np.nan, s)
            vals[g] = s
        return vals[self.code]

    def rank(self, scores: np.ndarray) -> np.ndarray:
        """Ranks (1 = best, ties share the lowest rank) per draw, within years for panels."""
        if self.years is None:
            return _rank_rows(scores)
        out = np.full(scores.shape, np.nan)
        for y in np.unique(self.years):
            sel = self.years == y
            out[:, sel] = _rank_rows(scores[:, sel])
        return out


def _rank_rows(scores: np.ndarray) -> np.ndarray:
    r = stats.rankdata(-scores, axis=1, method="min", nan_policy="omit")
    return np.where(np.isnan(scores), np.nan, r)


# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Result of :func:`uncertainty` (and the uncertainty part of :func:`sobol`).

    Attributes
    ----------
    summary : DataFrame
        One row per unit (country, or country-year for a panel), sorted by nominal rank:

        - ``iso3`` (and ``year`` for a panel);
        - ``nominal_score``, ``nominal_rank``: the index built with the nominal spec;
        - ``median_rank``, ``mean_rank``, ``rank_q05``, ``rank_q95``: over all draws (ranks are
          comparable whatever the normalisation);
        - ``score_q05``, ``score_q95``: 5% and 95% quantiles of the score over the draws that
          used the spec's *own* normalisation (same method and parameters) only, so that they
          are on the scale of ``nominal_score``; pooling draws normalised by min-max 1-100 and
          by z-scores with mean 10 would mix two scales.  NaN when no draw used the nominal
          normalisation (e.g. ``normalisations=`` does not include it); use ``ranks``, or
          ``scores`` filtered by ``draws['normalisation']``, instead;
        - ``n_missing``: draws in which the unit had no score.
    draws : DataFrame
        One row per draw: ``draw, imputation, treatment, normalisation, aggregation, omitted``
        (plus the ``*_id`` of each alternative).
    weights : DataFrame
        Draws x nodes: the (unnormalised) weights each draw used; an omitted indicator has 0.
    scores, ranks : DataFrame
        Draws x units, row ``d`` = draw ``d``.  Columns are the ISO3 codes for a cross-section
        and ``"ISO3_YEAR"`` strings (e.g. ``"CHN_2016"``) for a panel, so
        ``scores["CHN_2016"]`` is China's 2016 score in every draw.  Ranks are within each year
        (1 = best, ties share the lowest rank); they are whole numbers stored as floats because
        NaN marks a unit without a score in a draw (an integer dtype could not hold it, and a
        nullable one would make ``to_numpy()`` an object array).  Scores of draws with
        different normalisations are on different scales: compare them within a normalisation.
    code : str
        The code analysed (default the index).
    """

    summary: pd.DataFrame
    draws: pd.DataFrame
    weights: pd.DataFrame
    scores: pd.DataFrame
    ranks: pd.DataFrame
    code: str
    spec: IndexSpec
    _alts: Mapping[str, Any]

    def spec_for(self, draw: int) -> IndexSpec:
        """The IndexSpec of one draw (``build(result.spec_for(d), data)`` reproduces it)."""
        row = self.draws.iloc[int(draw)]
        name, params = self._alts["normalisations"][int(row["normalisation_id"])]
        agg = self._alts["aggregations"][int(row["aggregation_id"])]
        tname, tparams = self._alts["treatments"][int(row["treatment_id"])]
        w = {k: float(v) for k, v in self.weights.iloc[int(draw)].items()}
        omitted = row["omitted"]
        excl = () if omitted == "" else (omitted,)
        w = {k: v for k, v in w.items() if k not in excl}
        return self.spec.replace(normalisation=name, normalisation_params=params, aggregation=agg,
                                 imputation=row["imputation"], treatment=tname,
                                 treatment_params=tparams, weights=w, exclude=excl)

    def __repr__(self) -> str:
        return (f"UncertaintyResult(code={self.code!r}, draws={len(self.draws)}, "
                f"units={len(self.summary)})")


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Result of :func:`sobol`.

    Attributes
    ----------
    indices : DataFrame
        One row per uncertain factor: ``factor, S1, S1_conf, ST, ST_conf`` (first-order and
        total-effect Sobol indices of the output, with bootstrap half-widths).
    unit_indices : DataFrame or None
        Per unit and factor (``unit, factor, S1, ST``; ``unit`` labelled as the columns of
        ``UncertaintyResult.ranks``) when ``per_unit=True``.
    samples : DataFrame
        The SALib sample (one row per model run, columns = factors in [0, 1)) with the
        options each run used and the output ``y``.
    uncertainty : UncertaintyResult
        Rank intervals over all runs.
    output : str
        What ``y`` is.
    """

    indices: pd.DataFrame
    unit_indices: pd.DataFrame | None
    samples: pd.DataFrame
    uncertainty: UncertaintyResult
    output: str

    def __repr__(self) -> str:
        return f"SensitivityResult(factors={list(self.indices['factor'])}, runs={len(self.samples)})"


# ---------------------------------------------------------------------------
def _trt_alt(a) -> tuple[str, dict]:
    return _alternative(a, key="treatment", registry=TREATMENTS, what="treatment alternative",
                        prefer="treatment")


def _setup(spec, data, normalisations, aggregations, imputations, code, treatments=None):
    if not isinstance(spec, IndexSpec):
        raise TypeError(f"spec must be an IndexSpec, got {type(spec).__name__}")
    norms = [_norm_alt(a) for a in (normalisations if normalisations is not None
                                    else DEFAULT_NORMALISATIONS)]
    aggs = list(aggregations) if aggregations is not None else list(DEFAULT_AGGREGATIONS)
    for a in aggs:
        for name in ([a] if isinstance(a, str) else list(a.values())):
            check_in(name, AGGREGATORS, name="aggregation alternative")
    imps = list(imputations) if imputations is not None else [spec.imputation]
    for i in imps:
        check_in(i, IMPUTERS, name="imputation alternative")
    trts = ([_trt_alt(t) for t in treatments] if treatments is not None
            else [(spec.treatment, dict(spec.treatment_params))])
    if not norms or not aggs or not imps or not trts:
        raise ValueError("each list of alternatives needs at least one entry")
    code = spec.framework.root if code is None else code
    spec.framework._check_code(code)
    eng = _Engine(spec, data, normalisations=norms, aggregations=aggs, imputations=imps,
                  treatments=trts, code=code)
    return eng


def _loo_candidates(spec, eng):
    """Indicators that can be left out without emptying their parent."""
    w = spec.node_weights()
    out = []
    if eng.code in eng.inds:   # an indicator as target: leaving one out cannot reach it
        return out
    for c in spec.framework.leaves_under(eng.code):
        p = spec.framework.parent(c)
        if w[c] > 0 and sum(w[k] > 0 for k in spec.framework.children(p)) >= 2:
            out.append(c)
    return out


def _check_levels(spec, levels) -> tuple[int, ...] | None:
    """Validate ``noise_levels``: each must be a level with perturbable weights (1..top-1)."""
    if levels is None:
        return None
    levels = [levels] if isinstance(levels, int | np.integer) else list(levels)
    allowed = list(range(1, spec.framework.n_levels))
    for v in levels:
        check_in(v, allowed, name=f"noise level (framework levels 1..{spec.framework.n_levels}; "
                                  f"{spec.framework.n_levels} is the index itself, whose weight is "
                                  "not perturbed)")
    return tuple(int(v) for v in levels)


def _noisy_weights(spec, rng, n, noise, levels, idx=None):
    fw = spec.framework
    levels = _check_levels(spec, levels)
    w0 = spec.node_weights()
    base = np.array([w0[c] for c in fw.codes])
    lv = fw.table.set_index("code")["level"]
    perturb = np.array([(levels is None or lv[c] in levels) and c != fw.root for c in fw.codes])
    f = rng.uniform(1 - noise, 1 + noise, size=(n, len(base))) if noise > 0 else np.ones((n, len(base)))
    f[:, ~perturb] = 1.0
    return base[None, :] * f


def _run(eng, imp, norm, agg, W, n_jobs, progress, batch_size):
    D = len(imp)
    if batch_size is None:
        # ~75,000 unit-draws per batch keeps the working arrays in cache (measured)
        batch_size = max(64, 75_000 // max(eng.U, 1))
    starts = list(range(0, D, batch_size))
    show = progress if progress is not None else D * eng.U * len(eng.inds) > 5e7
    if n_jobs == 1:
        it = starts
        if show:
            from tqdm.auto import tqdm

            it = tqdm(starts, desc="draws", unit="batch", total=len(starts))
        parts = [eng.evaluate(imp[s:s + batch_size], norm[s:s + batch_size], agg[s:s + batch_size],
                              W[s:s + batch_size]) for s in it]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs, verbose=10 if show else 0)(
            delayed(eng.evaluate)(imp[s:s + batch_size], norm[s:s + batch_size],
                                  agg[s:s + batch_size], W[s:s + batch_size]) for s in starts)
    return np.vstack(parts)


def _full_params(name: str, params: Mapping) -> dict:
    """A normaliser's parameters with its defaults filled in (to compare alternatives)."""
    import inspect

    out = {k: p.default for k, p in inspect.signature(NORMALISERS[name]).parameters.items()
           if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}
    out.update(params)
    return {k: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            for k, v in out.items()}


def _nominal_norm_id(eng, spec) -> int | None:
    """Position of the spec's own normalisation among the alternatives (None if absent)."""
    want = (spec.normalisation, _full_params(spec.normalisation, spec.normalisation_params))
    for k, (name, params) in enumerate(eng.norms):
        if (name, _full_params(name, params)) == want:
            return k
    return None


def _summarise(eng, spec, data, scores, ranks, code, norm):
    nominal = build(spec, data)
    nom = nominal.stages["aggregated"][code].reindex(eng.index)
    nom_rank = nominal.ranks[code].reindex(eng.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        summ = pd.DataFrame({
            "nominal_score": nom.to_numpy(),
            "nominal_rank": nom_rank.to_numpy(),
            "median_rank": _q(ranks, 0.5),
            "mean_rank": np.nanmean(ranks, axis=0),
            "rank_q05": _q(ranks, 0.05),
            "rank_q95": _q(ranks, 0.95),
        }, index=eng.index).reset_index()
        # scores are comparable only between draws normalised the same way: quantiles over the
        # draws that used the nominal normalisation (NaN if none did)
        k = _nominal_norm_id(eng, spec)
        same = scores[norm == k] if k is not None else scores[:0]
        for name, q in (("score_q05", 0.05), ("score_q95", 0.95)):
            summ[name] = _q(same, q) if len(same) else np.nan
    failed = np.isnan(scores) & ~np.isnan(nom.to_numpy())[None, :]
    if failed.any():
        n = int(failed.any(axis=1).sum())
        warnings.warn(f"{n} draws gave missing scores for units scored in the nominal index "
                      "(e.g. min_coverage after leaving an indicator out); they are excluded from "
                      "those units' intervals and counted in summary['n_missing']",
                      PolygovWarning, stacklevel=3)
    summ["n_missing"] = np.isnan(scores).sum(axis=0)
    return summ.sort_values(["nominal_rank"], kind="stable").reset_index(drop=True)


def _q(a: np.ndarray, q: float) -> np.ndarray:
    """Column quantiles ignoring NaN (fast path when there is none)."""
    bad = np.isnan(a)
    if not bad.any():
        return np.quantile(a, q, axis=0)
    out = np.quantile(np.where(bad, np.nan, a), q, axis=0)
    cols = bad.any(axis=0)
    out[cols] = np.nanquantile(a[:, cols], q, axis=0)
    return out


def _unit_labels(index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return [f"{a}_{b}" for a, b in index]
    return list(index)


def uncertainty(spec: IndexSpec, data: pd.DataFrame, *, n_draws: int = 1000, seed=None,
                normalisations: Sequence | None = None, aggregations: Sequence | None = None,
                weight_noise: float = 0.25, noise_levels: Sequence[int] | None = None,
                imputations: Sequence[str] | None = None, treatments: Sequence | None = None,
                leave_one_out: bool = False, code: str | None = None, n_jobs: int = 1,
                progress: bool | None = None, batch_size: int | None = None) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis: rank intervals under alternative methodologies.

    Each draw independently and uniformly picks one alternative of every varied choice,
    and multiplies every perturbed weight by a ``Uniform(1 - weight_noise, 1 + weight_noise)``
    factor (COINr's ``get_noisy_weights``).

    Parameters
    ----------
    spec : IndexSpec
        The nominal specification (its per-indicator overrides apply in every draw).
    data : DataFrame
        As for :func:`build`.
    n_draws : int
    seed : int or Generator, optional
    normalisations : list, optional
        Alternatives as names or ``(name, params)`` pairs.  Default: min-max to 1-100 and
        z-scores with mean 10, sd 2 (COINr's sensitivity vignette).
    aggregations : list, optional
        Aggregator names (or per-level mappings such as ``{2: "copeland", 3: "arithmetic"}``)
        from ``arithmetic, geometric, harmonic, generalised, copeland, bod``.  Default
        arithmetic and geometric.  Power means are vectorised over draws; an alternative
        using ``copeland`` or ``bod`` at any level is computed draw by draw (see Notes).
    weight_noise : float
        Half-width of the multiplicative uniform weight noise (0 = fixed weights).
    noise_levels : list of int, optional
        Levels whose weights are perturbed (default: every node except the root); each
        must be a level of the framework below the index (1 = indicators), else ValueError.
    imputations : list of str, optional
        Imputation alternatives (default: the spec's own only).
    treatments : list, optional
        Outlier-treatment alternatives: ``"none"``, ``"winsorise"`` or
        ``("winsorise", {"winmax": 3})`` (default: the spec's own only).
    leave_one_out : bool
        If True, each draw leaves out one indicator (uniformly among those whose parent
        keeps at least one other component) or none, with equal probability.
    code : str, optional
        The code whose ranks are analysed (default the index).  An indicator works too:
        its normalised score then varies with the normalisation, treatment and imputation
        alternatives only (weights and aggregation do not reach it).
    n_jobs : int
        Number of joblib workers (batches of ``batch_size`` draws; each batch is vectorised;
        default batch size ``75,000 // n_units``).
        With a Dask/Ray joblib backend active, batches go to the cluster.
    progress : bool, optional
        tqdm progress bar; default shown only for large runs.

    Returns
    -------
    UncertaintyResult

    Notes
    -----
    Draws are generated up front from ``seed``, so results do not depend on ``n_jobs``
    or ``batch_size``.  A draw that leaves a unit without a score (possible only with
    ``min_coverage`` > 0) is counted in ``summary['n_missing']`` and reported with a warning.
    Measured on COINr's ASEM example (51 units, 49 indicators, 2 cores): 10,000 draws in
    about 0.5 s (``benchmarks/bench_index.py``; COINr: about 10 s per 100 draws).

    Copeland and BoD alternatives (or a spec that uses them) are not power means: their
    draws are aggregated one by one with the same aggregator functions as :func:`build`,
    which gives identical scores at the cost of one aggregator call per aggregate and
    draw.  Draws that share their relevant weights are computed once, so that
    weight-free BoD is computed once per data variant, normalisation and left-out
    indicator.  Measured on the HFI 2016 cross-section governance index (162 countries,
    14 indicators, 3 pillars, 2 cores): 1,000 draws with Copeland about 3-6 s (the
    aggregator's pairwise comparisons dominate, ``n_jobs=2`` halves it) and 1,000 BoD draws
    about 0.3 s (1.5 s with ``leave_one_out=True``, 15 left-out patterns; all units' linear
    programmes are solved as one), against 0.1 s for arithmetic/geometric
    (``benchmarks/bench_index.py``).  On the whole HFI panel (1,458 country-years, Copeland
    and BoD within each year; ``bench_index.py --panel``): 1,000 Copeland draws about 23 s,
    1,000 BoD draws about 2 s (14 s with ``leave_one_out=True``), one BoD build about 1 s.
    BoD needs complete, non-negative normalised data: give ``imputations`` (or impute in
    the spec).

    Examples
    --------
    >>> import polygov as pg, polygov.index as pi
    >>> hfi = pg.data.load("hfi").query("year == 2016")
    >>> spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})
    >>> ua = pi.uncertainty(spec, hfi, n_draws=2000, seed=1, leave_one_out=True)
    >>> ua.summary[["iso3", "nominal_rank", "median_rank", "rank_q05", "rank_q95"]].head()  # doctest: +SKIP
    >>> build(ua.spec_for(0), hfi)   # draw 0 rebuilt from its recorded parameters  # doctest: +SKIP
    """
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    if not 0 <= weight_noise < 1:
        raise ValueError(f"weight_noise must be in [0, 1), got {weight_noise}")
    _check_levels(spec, noise_levels)
    eng = _setup(spec, data, normalisations, aggregations, imputations, code, treatments)
    rng = np.random.default_rng(seed)
    imp = rng.integers(len(eng.imps), size=n_draws)
    norm = rng.integers(len(eng.norms), size=n_draws)
    agg = rng.integers(len(eng.aggs), size=n_draws)
    trt = rng.integers(len(eng.trts), size=n_draws)
    W = _noisy_weights(spec, rng, n_draws, weight_noise, noise_levels)
    omitted = np.array([""] * n_draws, dtype=object)
    if leave_one_out:
        cands = _loo_candidates(spec, eng)
        pick = rng.integers(len(cands) + 1, size=n_draws)
        for j, c in enumerate(cands):
            sel = pick == j + 1
            W[sel, eng.pos[c]] = 0.0
            omitted[sel] = c
    return _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size)


def _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size):
    variant = imp * len(eng.trts) + trt
    scores = _run(eng, variant, norm, agg, W, n_jobs, progress, batch_size)
    ranks = eng.rank(scores)
    units = _unit_labels(eng.index)
    draws = pd.DataFrame({
        "draw": np.arange(len(imp)),
        "imputation": np.array(eng.imps, dtype=object)[imp],
        "treatment": np.array([_label(*t) for t in eng.trts], dtype=object)[trt],
        "normalisation": np.array([_label(*n) for n in eng.norms], dtype=object)[norm],
        "aggregation": np.array([_agg_label(a) for a in eng.aggs], dtype=object)[agg],
        "omitted": omitted,
        "normalisation_id": norm,
        "aggregation_id": agg,
        "treatment_id": trt,
    })
    summ = _summarise(eng, spec, data, scores, ranks, eng.code, norm)
    return UncertaintyResult(
        summary=summ, draws=draws,
        weights=pd.DataFrame(W, columns=eng.nodes),
        scores=pd.DataFrame(scores, columns=units), ranks=pd.DataFrame(ranks, columns=units),
        code=eng.code, spec=spec,
        _alts={"normalisations": eng.norms, "aggregations": eng.aggs, "treatments": eng.trts})


FACTORS = ("normalisation", "aggregation", "weights", "imputation", "treatment", "leave_one_out")


def sobol(spec: IndexSpec, data: pd.DataFrame, *, n_base: int = 1024, seed=None,
          factors: Sequence[str] = ("normalisation", "aggregation", "weights", "leave_one_out"),
          normalisations: Sequence | None = None, aggregations: Sequence | None = None,
          imputations: Sequence[str] | None = None, treatments: Sequence | None = None,
          weight_noise: float = 0.25,
          noise_levels: Sequence[int] | None = None, n_weight_sets: int = 100,
          code: str | None = None, per_unit: bool = False, num_resamples: int = 100,
          conf_level: float = 0.95, n_jobs: int = 1, progress: bool | None = None,
          batch_size: int | None = None) -> SensitivityResult:
    """Variance-based global sensitivity analysis (Sobol first-order and total indices).

    Every uncertain choice is a factor ``u`` uniform on [0, 1) mapped to one of its
    ``K`` alternatives by ``floor(K u)`` (Saisana, Saltelli & Tarantola 2005):

    - ``normalisation``, ``aggregation``, ``imputation``, ``treatment``: the alternatives as in
      :func:`uncertainty` (``copeland`` and ``bod`` aggregations are computed draw by draw,
      power means vectorised; see :func:`uncertainty`);
    - ``weights``: one of ``n_weight_sets`` weight vectors drawn with the noise of
      :func:`uncertainty` (set 0 = the nominal weights);
    - ``leave_one_out``: none or one eligible indicator left out.

    The sample is Saltelli's extension of the Sobol sequence (``SALib.sample.sobol``,
    ``n_base * (k + 2)`` runs for ``k`` factors); indices are estimated with
    ``SALib.analyze.sobol`` (Saltelli 2010 / Jansen estimators, bootstrap intervals).

    Parameters
    ----------
    n_base : int
        Base sample size N >= 2 (a power of 2 keeps the Sobol sequence balanced).
    n_weight_sets : int
        Number (>= 1) of weight vectors the ``weights`` factor chooses from.
    factors : list of str
        Subset of ``normalisation, aggregation, weights, imputation, treatment, leave_one_out``.
    per_unit : bool
        Also estimate indices for each unit's rank (slower: one analysis per unit).
    Other parameters as :func:`uncertainty`.

    Returns
    -------
    SensitivityResult
        Output ``y`` of a run: the mean absolute rank shift of all units from their
        nominal ranks (COINr's summary measure of rank change).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    factors = list(factors)
    for f in factors:
        check_in(f, FACTORS, name="sensitivity factor")
    for name, v, lo in (("n_base", n_base, 2), ("n_weight_sets", n_weight_sets, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    _check_levels(spec, noise_levels)
    if len(set(factors)) != len(factors) or not factors:
        raise ValueError(f"factors must be distinct and non-empty, got {factors}")
    if "imputation" in factors and imputations is None:
        raise ValueError("factor 'imputation' needs imputations=[...] (e.g. ['none', 'em'])")
    if "treatment" in factors and treatments is None:
        raise ValueError("factor 'treatment' needs treatments=[...] (e.g. ['none', 'winsorise'])")
    eng = _setup(spec, data, normalisations if "normalisation" in factors else
                 [(spec.normalisation, dict(spec.normalisation_params))],
                 aggregations if "aggregation" in factors else [spec.aggregation],
                 imputations if "imputation" in factors else None, code,
                 treatments if "treatment" in factors else None)
    rng = np.random.default_rng(seed)
    problem = {"num_vars": len(factors), "names": factors, "bounds": [[0.0, 1.0]] * len(factors)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = sobol_sample.sample(problem, n_base, calc_second_order=False,
                                seed=int(rng.integers(2**31)))
    n = len(X)
    X = np.clip(X, 0.0, np.nextafter(1.0, 0.0))

    def pick(f, k):
        return (np.floor(X[:, factors.index(f)] * k).astype(int) if f in factors
                else np.zeros(n, dtype=int))

    imp = pick("imputation", len(eng.imps))
    trt = pick("treatment", len(eng.trts))
    norm = pick("normalisation", len(eng.norms))
    agg = pick("aggregation", len(eng.aggs))
    w0 = _noisy_weights(spec, rng, 1, 0.0, None)[0]
    if "weights" in factors:
        sets = _noisy_weights(spec, rng, n_weight_sets, weight_noise, noise_levels)
        sets[0] = w0
        W = sets[pick("weights", n_weight_sets)]
    else:
        W = np.repeat(w0[None, :], n, axis=0)
    omitted = np.array([""] * n, dtype=object)
    if "leave_one_out" in factors:
        cands = _loo_candidates(spec, eng)
        j = pick("leave_one_out", len(cands) + 1)
        for i, c in enumerate(cands):
            sel = j == i + 1
            W[sel, eng.pos[c]] = 0.0
            omitted[sel] = c
    ua = _finish(eng, spec, data, imp, trt, norm, agg, W, omitted, n_jobs, progress, batch_size)
    nominal_rank = ua.summary.set_index(list(eng.index.names))["nominal_rank"].reindex(eng.index)
    R = ua.ranks.to_numpy()
    y = np.nanmean(np.abs(R - nominal_rank.to_numpy()[None, :]), axis=1)
    seed_a = int(rng.integers(2**31))
    Si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                               conf_level=conf_level, seed=seed_a)
    idx = pd.DataFrame({"factor": factors, "S1": Si["S1"], "S1_conf": Si["S1_conf"],
                        "ST": Si["ST"], "ST_conf": Si["ST_conf"]})
    unit_idx = None
    if per_unit:
        rows = []
        for j, u in enumerate(ua.ranks.columns):
            yu = R[:, j]
            if np.isnan(yu).any() or np.var(yu) == 0:
                for f in factors:
                    rows.append(dict(unit=u, factor=f, S1=0.0 if np.var(np.nan_to_num(yu)) == 0
                                     else np.nan, ST=0.0 if np.var(np.nan_to_num(yu)) == 0 else np.nan))
                continue
            s = sobol_analyze.analyze(problem, yu, calc_second_order=False, num_resamples=2,
                                      seed=seed_a)
            for fi, f in enumerate(factors):
                rows.append(dict(unit=u, factor=f, S1=s["S1"][fi], ST=s["ST"][fi]))
        unit_idx = pd.DataFrame(rows)
    samples = pd.DataFrame(X, columns=[f"u_{f}" for f in factors])
    samples = pd.concat([samples, ua.draws.drop(columns=["draw"])], axis=1)
    samples["y"] = y
    return SensitivityResult(indices=idx, unit_indices=unit_idx, samples=samples, uncertainty=ua,
                             output="mean absolute rank shift from the nominal ranks")

