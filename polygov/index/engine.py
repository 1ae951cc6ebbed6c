"""The draw engine shared by :func:`~polygov.index.uncertainty` and :func:`~polygov.index.sobol`.

Each Monte Carlo draw is a variant of the spec: a normalisation, an aggregation, an
imputation method, an outlier treatment, perturbed weights and (optionally) one
indicator left out.  Rather
than rebuilding the index once per draw, the engine

1. runs the expensive stages once per *alternative* (each imputation x treatment x
   normalisation is computed a single time, with :func:`polygov.index.build`'s own steps
   through :func:`~polygov.index.build.prepare_arrays`: the treated values of every
   winsorisation limit without the per-point audit records, which a draw never shows;
   normalised columns are shared between variants that leave them unchanged),
2. holds every draw's weights in a (draws x nodes) matrix (a left-out indicator is a
   zero weight),
3. aggregates all draws sharing a (data variant, normalisation, aggregation) at once:
   indicator blocks by matrix products, upper levels by broadcasting, geometric and
   harmonic means as arithmetic means of ``log x`` and ``1/x`` (power means); an
   aggregate whose weights are the same in every draw of the group (the pillars when
   only pillar weights are perturbed) is computed once and broadcast,
4. ranks all draws with one sort per row (``rankdata`` only when a score is missing).

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

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import check_dataframe, check_in
from ._check import check_bool, check_int, check_mapping, check_params, check_real, check_seed
from .aggregate import AGGREGATORS, POWER, aggregator_kwargs
from .build import (
    _fast_normalisable,
    _normalise_fast,
    _normalise_fast_array,
    check_share_bound_parents,
    normalise_frame,
    prepare_arrays,
)
from .impute import IMPUTERS
from .normalise import NORMALISERS
from .spec import TREATMENTS, IndexSpec

__all__: list[str] = []

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
    elif isinstance(a, tuple | list) and len(a) == 2:
        name, params = a
        params = dict(check_mapping(params, f"{what} params") or {})
    else:
        raise TypeError(f"{what} must be a method name, a (name, params) pair or a mapping, "
                        f"got {a!r}")
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a method name or a (name, params) pair, got {a!r}")
    check_in(name, registry, name=what)
    if registry is NORMALISERS:
        params = check_params(NORMALISERS[name], params, f"{what} {name!r} params",
                              required=name == "goalposts")
    elif registry is TREATMENTS:
        from .spec import check_treatment_params

        params = check_treatment_params(params, f"{what} {name!r} params")
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
        # indicator and aggregate components of each aggregate, with their column positions in
        # the normalised matrices and the weight matrix (read once per batch by _eval_group)
        self.kid_split = {a: ([c for c in self.children[a] if c in self.ipos],
                              [c for c in self.children[a] if c not in self.ipos])
                          for a in self.aggregates}
        self.kid_cols = {a: ([self.ipos[c] for c in self.kid_split[a][0]],
                             [self.pos[c] for c in self.kid_split[a][0]]) for a in self.aggregates}
        self.deps = [self._deps(a_i) for a_i in range(len(aggregations))]
        self.dep_idx = [{g: np.asarray(v[0], dtype=np.intp) for g, v in d.items()}
                        for d in self.deps]
        self._memo: dict = {}
        self._memo_cap = max(1_000, 4_000_000 // max(len(data), 1))
        # normalised matrices per (data variant = imputation x treatment, normalisation)
        self.N: dict[tuple[int, int], np.ndarray] = {}
        # prepare()'s step cache: each distinct (imputation, screening, treatment) prefix is
        # computed once and shared by the variants (and by the nominal build of the summary)
        self.prep_cache: dict = {}
        self.M: dict[int, np.ndarray] = {}
        # normalised columns by (method, parameters, values): variants that differ in a few
        # indicators (winsorisation limits) share the normalisation of the others
        self.norm_cache: dict = {}
        variants = [(imp, trt) for imp in imputations for trt in treatments]
        prepared = []
        for imp, (tname, tparams) in variants:
            # alternatives were validated by _setup (names and parameters): no re-validation
            prepared.append(prepare_arrays(spec._with_checked(imputation=imp, treatment=tname,
                                                              treatment_params=tparams), data,
                                           cache=self.prep_cache))
        # screening (min_unit_coverage) may keep different units under different imputation/
        # treatment alternatives; as COINr does, a unit screened out in a draw is left empty
        # (NaN score and rank) in that draw, and its summary covers the draws it exists in
        index = prepared[0][0]
        for ix, _ in prepared[1:]:
            if not ix.equals(index):
                index = index.union(ix).sort_values()
        # row positions (in the union) of the units each variant kept; None = all of them
        self.rows: dict[int, np.ndarray | None] = {}
        # one spec per normalisation alternative (validated once, shared by the variants)
        norm_specs = [spec._with_checked(normalisation=name, normalisation_params=params)
                      for name, params in normalisations]
        for m, (ix, X) in enumerate(prepared):
            imp, (tname, tparams) = variants[m]
            full = ix.equals(index)
            self.rows[m] = None if full else index.get_indexer(ix)
            Mx = ~np.isnan(X)
            if not full:
                Mx = self._expand(Mx, m, len(index), fill=False)
            self.M[m] = Mx
            for k, (name, params) in enumerate(normalisations):
                N = normalise_matrix(norm_specs[k], X, self.norm_cache, index=ix)
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
                self.N[(m, k)] = N if full else self._expand(N, m, len(index), fill=np.nan)
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

    def _expand(self, A: np.ndarray, m: int, n: int, fill) -> np.ndarray:
        """Rows of variant ``m`` placed at their positions among all ``n`` units."""
        out = np.full((n, *A.shape[1:]), fill, dtype=A.dtype)
        out[self.rows[m]] = A
        return out

    def n_present(self, variant: np.ndarray) -> np.ndarray:
        """Number of draws in which each unit exists (was not screened out), given draws' variants."""
        counts = np.bincount(variant, minlength=len(self.rows))
        out = np.zeros(self.U, dtype=int)
        for m, rows in self.rows.items():
            if rows is None:
                out += counts[m]
            else:
                out[rows] += counts[m]
        return out

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
        rows = self.rows[mka[0]]
        if rows is not None:        # units screened out in this variant: aggregate the others
            X = np.asfortranarray(X[rows])
            index = self.index[rows]
        else:
            index = self.index
        x = pd.DataFrame(X, index=index, columns=cols)
        w = pd.Series([v for _, v in live], index=cols, dtype=float)
        kw = aggregator_kwargs(name, self.params, cols)   # bounds of left-out components dropped
        f = AGGREGATORS[name]
        try:
            year_pos = self.year_pos if rows is None else self._year_pos_of(rows)
            if name in ("copeland", "bod") and len(year_pos) > 1:
                # within each year, as build's x.groupby(level="year"): the same rows in the
                # same order (positions precomputed, no groupby per draw)
                s = np.full(len(x), np.nan)
                for pos in year_pos:
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
        out = s.to_numpy(dtype=float)
        if rows is not None:
            full = np.full(self.U, np.nan)
            full[rows] = out
            out = full
        return out

    def _year_pos_of(self, rows: np.ndarray) -> list[np.ndarray]:
        if self.years is None:
            return []
        yrs = self.years[rows]
        return [np.flatnonzero(yrs == y) for y in np.unique(yrs)]

    def _eval_group(self, m, k, a, W):
        """Power-mean scores of the target for draws sharing (variant, normalisation, aggregation).

        Per aggregate: ``num`` (draws x units) accumulates weighted transformed components
        and ``den`` their weights.  While every component is present for every unit,
        ``den`` is the same for all units of a draw, so it is kept as one column (draws x
        1) and only widened when a component is missing somewhere: the additions per
        element are the same, in the same order, so the scores are bitwise those of a
        full (draws x units) ``den``.
        """
        pw = self.powers[a]
        vals: dict[str, np.ndarray] = {}   # aggregate -> (draws x units)
        cov = self.spec.min_coverage
        D_all = W.shape[0]
        W_all = W
        # nodes whose weight differs between the draws of the group (one comparison)
        varies = (W_all != W_all[:1]).any(axis=0) if D_all > 1 else None
        with np.errstate(divide="ignore", invalid="ignore"):   # log/power of 0, 0/0: NaN rule
            for g in self.aggregates:
                self._aggregate_group(g, pw[g], m, k, a, W_all, D_all, varies, cov, vals)
        out = vals[self.code]
        return out if out.shape[0] == D_all else np.repeat(out, D_all, axis=0)

    def _aggregate_group(self, g, p, m, k, a, W_all, D_all, varies, cov, vals) -> None:
        """Scores of aggregate ``g`` for a group of draws into ``vals[g]`` (see _eval_group)."""
        # an aggregate whose weights (its components' and theirs, down to the
        # indicators) are the same in every draw of the group has the same scores in
        # every draw: computed for two draws (the same matrix-product path) and kept
        # as one row, which the aggregates above broadcast
        W, D = W_all, D_all
        if varies is not None and not varies[self.dep_idx[a][g]].any():
            W, D = W_all[:2], 2
        ind_kids, agg_kids = self.kid_split[g]
        num = None
        den = np.zeros((D, 1))
        n_av = np.zeros((D, self.U)) if cov > 0 else None
        n_tot = np.zeros((D, 1)) if cov > 0 else None
        if ind_kids:
            T, Mk = self._T(m, k, p)
            cols, wpos = self.kid_cols[g]
            Wk = W[:, wpos]                                         # draws x kids
            num = np.zeros((D, self.U))
            num += Wk @ T[:, cols].T                                # draws x units (BLAS)
            if self._complete(m, k, g, Mk, cols):
                den += Wk.sum(axis=1)[:, None]
            else:
                den = den + Wk @ Mk[:, cols].T
            if cov > 0:
                Mc = Mk[:, cols]
                pos_w = (Wk > 0).astype(float)
                n_av += pos_w @ Mc.T
                n_tot += pos_w.sum(axis=1)[:, None]
        for c in agg_kids:                                          # few children: loop
            v = vals[c]
            w = W[:, self.pos[c]][:, None]
            ok = ~np.isnan(v)
            tv = v if p == 1 else (np.log(v) if p == 0 else v ** p)
            if num is None:
                num = np.zeros((D, self.U))
            if ok.all():
                num += tv * w
                den += w
            else:
                num += np.where(ok, tv, 0.0) * w
                den = den + ok * w
            if cov > 0:
                n_av += ok * (w > 0)
                n_tot += (w > 0)
        if num is None:
            num = np.zeros((D, self.U))
        t = num / den
        s = t if p == 1 else (np.exp(t) if p == 0 else t ** (1.0 / p))
        pos = den > 0
        if not pos.all():
            s = np.where(pos, s, np.nan)
        if cov > 0:
            s = np.where(n_av / n_tot < cov, np.nan, s)
        vals[g] = s[:1] if D < D_all else s

    def _complete(self, m, k, g, Mk, cols) -> bool:
        """Whether the indicator components ``cols`` of ``g`` are present for every unit."""
        key = ("complete", m, k, g)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = bool(Mk[:, cols].all())
        return hit

    def rank(self, scores: np.ndarray) -> np.ndarray:
        """Ranks (1 = best, ties share the lowest rank) per draw, within years for panels."""
        if self.years is None:
            return _rank_rows(scores)
        out = np.full(scores.shape, np.nan)
        for y in np.unique(self.years):
            sel = self.years == y
            out[:, sel] = _rank_rows(scores[:, sel])
        return out


def normalise_matrix(spec: IndexSpec, x: pd.DataFrame | np.ndarray, cache: dict | None = None,
                     *, index: pd.Index | None = None) -> np.ndarray:
    """``normalise_frame(spec, x)[indicators]`` as an array (min-max/z-scores on one array).

    ``x``: the prepared table, or its indicator values as an array (units x indicators in
    framework order, rows labelled by ``index``).  ``cache``: columns already normalised
    with the same method and parameters (see :func:`polygov.index.build._normalise_fast`).
    """
    inds = spec.framework.indicators
    if isinstance(x, np.ndarray):
        if _fast_normalisable(spec):
            fast = _normalise_fast_array(spec, x, cache)
            if fast is not None:
                return fast
        x = pd.DataFrame(x, index=index, columns=inds)
    fast = _normalise_fast(spec, x, cache)
    if fast is not None:
        return fast
    return normalise_frame(spec, x)[inds].to_numpy(dtype=float)


def _rank_rows(scores: np.ndarray) -> np.ndarray:
    nan = np.isnan(scores)
    if scores.ndim == 2 and scores.shape[1] > 0 and not nan.any():
        return _min_ranks(-scores)
    from scipy import stats

    r = stats.rankdata(-scores, axis=1, method="min", nan_policy="omit")
    return np.where(nan, np.nan, r)


def _min_ranks(x: np.ndarray) -> np.ndarray:
    """``scipy.stats.rankdata(x, axis=1, method="min")`` as floats, for rows without NaN.

    Each row is sorted once; a value's rank is 1 + the position of the first of its ties
    in the sorted row (ties found with ``!=`` between neighbours, as scipy does), so the
    ranks are the same whole numbers (tested against scipy, with ties).
    """
    order = np.argsort(x, axis=1)       # the order within ties does not change min-ranks
    y = np.take_along_axis(x, order, axis=1)
    n = x.shape[1]
    first = np.empty(x.shape, dtype=np.intp)
    first[:, 0] = 1
    pos = np.arange(2, n + 1)
    first[:, 1:] = np.where(y[:, 1:] != y[:, :-1], pos, 0)
    np.maximum.accumulate(first, axis=1, out=first)
    out = np.empty(x.shape, dtype=float)
    np.put_along_axis(out, order, first, axis=1)
    return out



# ---------------------------------------------------------------------------
def check_common(spec, data, *, seed, weight_noise, n_jobs, progress, batch_size, code) -> None:
    """Up-front checks of the arguments :func:`uncertainty` and :func:`sobol` share."""
    if not isinstance(spec, IndexSpec):
        raise TypeError(f"spec must be an IndexSpec, got {type(spec).__name__}")
    check_dataframe(data, name="data")
    check_seed(seed)
    check_real(weight_noise, "weight_noise", lo=0, hi=1, hi_open=True)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or negative (-1 = all "
                         "cores), not 0")
    if progress is not None:
        check_bool(progress, "progress")
    check_int(batch_size, "batch_size", minimum=1, none_ok=True)
    if code is not None and not isinstance(code, str):
        raise TypeError(f"code must be a framework code (str) or None, got {code!r}")


def _trt_alt(a) -> tuple[str, dict]:
    return _alternative(a, key="treatment", registry=TREATMENTS, what="treatment alternative",
                        prefer="treatment")


def _setup(spec, data, normalisations, aggregations, imputations, code, treatments=None):
    if not isinstance(spec, IndexSpec):
        raise TypeError(f"spec must be an IndexSpec, got {type(spec).__name__}")
    for arg, v in (("normalisations", normalisations), ("aggregations", aggregations),
                   ("imputations", imputations), ("treatments", treatments)):
        if v is not None and (isinstance(v, str | Mapping) or not isinstance(v, Sequence)):
            raise TypeError(f"{arg} must be a list of alternatives, got {v!r}"
                            + (f" (use {arg}=[{v!r}])" if isinstance(v, str) else ""))
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
    # draws sorted by their (data variant, normalisation, aggregation) so that a batch holds
    # few combinations and each is aggregated for many draws at once (the arrays are then
    # large enough for numpy's per-call overhead not to dominate); every draw is computed
    # independently of the others, and the results are put back in draw order
    order = np.lexsort((agg, norm, imp))
    if not (order[1:] > order[:-1]).all():
        out = _run_sorted(eng, imp[order], norm[order], agg[order], W[order], n_jobs, progress,
                          batch_size)
        res = np.empty_like(out)
        res[order] = out
        return res
    return _run_sorted(eng, imp, norm, agg, W, n_jobs, progress, batch_size)


def _run_sorted(eng, imp, norm, agg, W, n_jobs, progress, batch_size):
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


