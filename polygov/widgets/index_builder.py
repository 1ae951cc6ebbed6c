"""Index builder: choose indicators, normalisation, weights and aggregation; watch the ranking move.

The widget is a view over one pure function, :func:`governance_ranking`, which
builds a composite governance index from the Human Freedom Index's governance
indicators with :func:`polygov.index.build` and compares its ranking with a
baseline index (all five indicators, min-max 0-100, equal weights, arithmetic
mean) built on the same countries.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Mapping, Sequence

import ipywidgets as W
import numpy as np
import pandas as pd

from ..errors import as_year, check_columns, check_dataframe, check_in, check_keys
from ._core import LabWidget, NoDataError, figure_png, new_figure, row_layout

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_INDICATORS",
    "GOVERNANCE_INDICATORS",
    "OVERLAPS",
    "NORMALISATIONS",
    "POSITIVE_NORMALISATIONS",
    "IndexBuilder",
    "effective_weights",
    "governance_ranking",
    "overlap_note",
    "positive_normalisation",
]

#: The HFI governance indicators offered by the index builder (code -> short label).
GOVERNANCE_INDICATORS: dict[str, str] = {
    "ef_legal": "Legal system & property rights",
    "pf_rol": "Rule of law",
    "ef_regulation": "Regulation",
    "ef_regulation_business_bureaucracy": "Bureaucracy costs",
    "ef_regulation_business_bribes": "Bribes & favouritism",
}

#: The indicators of the baseline index: four that do not overlap.  ``ef_regulation`` (the
#: HFI's regulation area) already averages credit, labour and business regulation, and business
#: regulation contains the bureaucracy-costs and bribes components, so an index of all five
#: counts those two twice.  ``ef_regulation`` stays on offer (unticked) to show that.
DEFAULT_INDICATORS: tuple[str, ...] = ("ef_legal", "pf_rol", "ef_regulation_business_bureaucracy",
                                       "ef_regulation_business_bribes")

#: Aggregate indicator -> its components that are also on offer (choosing both double-counts).
OVERLAPS: dict[str, tuple[str, ...]] = {
    "ef_regulation": ("ef_regulation_business_bureaucracy", "ef_regulation_business_bribes"),
}


def overlap_note(indicators: Sequence[str]) -> str | None:
    """Say which chosen indicators are already inside another chosen one (``None`` if none).

    Parameters
    ----------
    indicators : sequence of str
        Indicator codes of :data:`GOVERNANCE_INDICATORS`.

    Returns
    -------
    str or None
        A sentence naming the double-counted components, or ``None``.
    """
    chosen = set(indicators)
    for agg, parts in OVERLAPS.items():
        both = [p for p in parts if p in chosen]
        if agg in chosen and both:
            names = " and ".join(GOVERNANCE_INDICATORS[p] for p in both)
            return (f"{names} {'is' if len(both) == 1 else 'are'} already inside "
                    f"{GOVERNANCE_INDICATORS[agg]} ({agg}): the index counts "
                    f"{'it' if len(both) == 1 else 'them'} twice. Untick one of them.")
    return None

#: Normalisations offered: label -> (polygov.index.NORMALISERS key, parameters).
NORMALISATIONS: dict[str, tuple[str, dict]] = {
    "min-max 0-100": ("minmax", {"lo": 0.0, "hi": 100.0}),
    "min-max 1-100": ("minmax", {"lo": 1.0, "hi": 100.0}),
    "z-score": ("zscore", {}),
    "percentile rank": ("percentile", {}),
    "goalposts 0-10 (HFI scale)": ("goalposts", {"lower": 0.0, "upper": 10.0, "scale": 100.0}),
}

#: Aggregations offered: label -> polygov.index.AGGREGATORS key.
AGGREGATIONS: dict[str, str] = {
    "arithmetic mean": "arithmetic",
    "geometric mean": "geometric",
    "harmonic mean": "harmonic",
    "Copeland (pairwise wins)": "copeland",
}

#: Aggregations that need strictly positive normalised values (log or reciprocal of each value).
_NEED_POSITIVE = ("geometric", "harmonic")

#: Strictly positive counterparts of :data:`NORMALISATIONS`, used by the index builder with the
#: geometric and harmonic means: label -> (NORMALISERS key, parameters, what changes).  Every one
#: is a plain library normaliser, so :meth:`IndexBuilder.code` still reproduces the screen.
POSITIVE_NORMALISATIONS: dict[str, tuple[str, dict, str | None]] = {
    "min-max 0-100": ("minmax", {"lo": 1.0, "hi": 100.0},
                      "min-max 1-100 is used instead of 0-100 (the worst country gets 1, not 0)"),
    "min-max 1-100": ("minmax", {"lo": 1.0, "hi": 100.0}, None),
    "z-score": ("minmax", {"lo": 1.0, "hi": 100.0},
                "z-scores are negative below the mean, so min-max 1-100 is used instead; the ranking "
                "can differ from an arithmetic z-score index (each indicator is rescaled by its range, "
                "not its standard deviation)"),
    "percentile rank": ("rank", {},
                        "percentile ranks start at 0, so the ranks 1..n (1 = worst) are used "
                        "instead: same order, strictly positive"),
    "goalposts 0-10 (HFI scale)": ("goalposts", {"lower": -10.0 / 99.0, "upper": 10.0,
                                                 "scale": 100.0},
                                   "the goalposts 0-10 are mapped onto 1-100 instead of 0-100 "
                                   "(raw 0 -> 1, raw 10 -> 100; lower goalpost -10/99)"),
}

_ROOT = "governance"


def positive_normalisation(label: str, aggregation: str) -> tuple[str, dict, str | None]:
    """The normaliser the index builder uses for a menu choice, and why it differs (if it does).

    Parameters
    ----------
    label : str
        A key of :data:`NORMALISATIONS`.
    aggregation : str
        A :data:`polygov.index.AGGREGATORS` key.

    Returns
    -------
    (str, dict, str or None)
        The :data:`polygov.index.NORMALISERS` key, its parameters, and a note saying what was
        changed (``None`` when the menu choice is used as it is).

    Notes
    -----
    The geometric and harmonic means take the log or the reciprocal of every normalised value,
    so they need values > 0; min-max 0-100, z-scores, percentile ranks and goalposts 0-100 all
    give the worst country 0 or less.  With those two aggregations the choice is replaced by
    its strictly positive counterpart in :data:`POSITIVE_NORMALISATIONS` (the JRC/OECD
    Handbook's and COINr's advice: rescale to 1-100 before a geometric mean).
    """
    check_in(label, NORMALISATIONS, name="normalisation")
    check_in(aggregation, AGGREGATIONS.values(), name="aggregation")
    if aggregation not in _NEED_POSITIVE:
        key, params = NORMALISATIONS[label]
        return key, dict(params), None
    key, params, why = POSITIVE_NORMALISATIONS[label]
    note = None if why is None else (f"The {aggregation} mean needs strictly positive values: {why}.")
    return key, dict(params), note


def effective_weights(weights: Mapping[str, float], indicators: Sequence[str]) -> dict[str, float]:
    """Relative weights of the chosen indicators rescaled to sum to one.

    Parameters
    ----------
    weights : mapping code -> weight
        Non-negative relative weights (codes not chosen are ignored).
    indicators : sequence of str
        The chosen indicator codes.

    Returns
    -------
    dict code -> weight, summing to 1 over ``indicators``.

    Raises
    ------
    NoDataError
        No indicator is chosen, or all chosen weights are zero.
    ValueError
        A missing, non-numeric, infinite, NaN or negative weight (named).
    """
    inds = list(indicators)
    if not inds:
        raise NoDataError("no indicator is selected: tick at least one indicator to build an index")
    missing = [c for c in inds if c not in weights]
    if missing:
        raise ValueError(f"no weight given for indicator(s) {missing}; weights are keyed by code")
    w = {}
    for c in inds:
        try:
            w[c] = float(weights[c])
        except (TypeError, ValueError):
            raise ValueError(f"the weight of {c!r} must be a number, got {weights[c]!r}") from None
    bad = {c: v for c, v in w.items() if not math.isfinite(v)}
    if bad:
        raise ValueError(f"the weight(s) of {', '.join(map(repr, bad))} are not finite ({bad}); "
                         "weights must be finite non-negative numbers")
    neg = {c: v for c, v in w.items() if v < 0}
    if neg:
        raise ValueError(f"weights must be non-negative, got {neg}")
    tot = sum(w.values())
    if tot <= 0:
        raise NoDataError(f"all weights of the selected indicators {inds} are zero: raise at least one")
    return {c: v / tot for c, v in w.items()}


def _build(sample: pd.DataFrame, indicators, weights, normalisation, params, aggregation):
    import polygov.index as pi

    table = pd.DataFrame({
        "code": [*indicators, _ROOT],
        "parent": [_ROOT] * len(indicators) + [None],
        "weight": [float(weights[c]) for c in indicators] + [1.0],
        "direction": 1,
        "name": [GOVERNANCE_INDICATORS.get(c, c) for c in indicators] + ["Governance index"],
    })
    fw = pi.framework_from_table(table)
    spec = pi.IndexSpec(fw, normalisation=normalisation, normalisation_params=dict(params),
                        aggregation=aggregation)
    res = pi.build(spec, sample[["iso3", *indicators]])
    return res.index_scores().set_index("iso3")[["score", "rank"]]


def governance_ranking(
    data: pd.DataFrame,
    *,
    year: int,
    indicators: Sequence[str] = DEFAULT_INDICATORS,
    weights: Mapping[str, float] | None = None,
    normalisation: str = "minmax",
    normalisation_params: Mapping | None = None,
    aggregation: str = "arithmetic",
    sample_columns: Sequence[str] = tuple(GOVERNANCE_INDICATORS),
) -> pd.DataFrame:
    """Rank countries on a composite governance index and compare with the baseline index.

    Parameters
    ----------
    data : DataFrame
        Tidy HFI panel (``polygov.data.load("hfi")``): ``iso3``, ``year`` and the
        indicator columns.
    year : int
        The year to rank (an integer; a string of digits such as ``"2016"`` is accepted).
    indicators : sequence of str
        Indicator columns to aggregate (default: the four non-overlapping ones of
        :data:`DEFAULT_INDICATORS`; :func:`overlap_note` says when a choice double-counts).
    weights : mapping code -> weight, optional
        Relative weights keyed by code (default equal); rescaled to sum to one.
    normalisation, normalisation_params : str, mapping
        A :data:`polygov.index.NORMALISERS` key and its parameters (default
        min-max to 0-100).
    aggregation : str
        A :data:`polygov.index.AGGREGATORS` key (default ``"arithmetic"``).
    sample_columns : sequence of str
        Columns that must all be observed for a country to be ranked (default:
        all five governance indicators), so the chosen index and the baseline
        rank the same countries.

    Returns
    -------
    DataFrame
        One row per ranked country, best first: ``iso3``, ``country``,
        ``score``, ``rank`` (1 = best, from unrounded scores), ``baseline_score``,
        ``baseline_rank``, ``rank_shift`` (``baseline_rank - rank``: positive =
        the choice moves the country up).  ``attrs["weights"]`` holds the
        effective weights and ``attrs["n"]`` the number of countries ranked.

    Raises
    ------
    NoDataError
        No indicator chosen, all weights zero, or no country observed in ``year``.
    TypeError
        ``year`` is not an integer (or a string of digits).
    ValueError
        A weight that is not a finite non-negative number; duplicated (iso3, year) rows.

    Notes
    -----
    Missing data: complete cases on ``sample_columns`` in ``year`` (listwise), so
    a rank shift is due to the methodological choice alone, never to a change
    of sample.  Normalisation pools the countries of that year.  The baseline
    is :func:`polygov.index.build` with the four :data:`DEFAULT_INDICATORS`, min-max 0-100,
    equal weights and the arithmetic mean.

    Validated against an independent NumPy computation of the same index (min-max
    rescaling, weighted arithmetic and geometric means, ranks) in
    ``tests/test_widgets.py``: scores agree to 1e-9 and ranks exactly.
    """
    check_dataframe(data, name="data")
    year = as_year(year, name="year")
    inds = list(dict.fromkeys(indicators))
    w = effective_weights({c: 1.0 for c in inds} if weights is None else weights, inds)
    check_columns(data, ["iso3", "year", *inds, *sample_columns], name="data")
    check_keys(data.loc[data["year"] == year], ["iso3", "year"], name="data")
    years = sorted(pd.unique(data["year"].dropna()).tolist())
    if year not in years:
        raise NoDataError(f"no data for year {year}; the data cover {years[0]}-{years[-1]}"
                          if years else "the data are empty")
    sample = data.loc[data["year"] == year, ["iso3", *dict.fromkeys([*inds, *sample_columns])]]
    sample = sample.dropna().reset_index(drop=True)
    if len(sample) < 2:
        raise NoDataError(f"only {len(sample)} country has all of {list(sample_columns)} observed in "
                          f"{year}: nothing to rank")
    params = {"lo": 0.0, "hi": 100.0} if normalisation_params is None and normalisation == "minmax" \
        else dict(normalisation_params or {})
    cur = _build(sample, inds, w, normalisation, params, aggregation)
    base_inds = list(DEFAULT_INDICATORS)
    if set(base_inds) <= set(sample.columns):
        base = _build(sample, base_inds, {c: 1.0 for c in base_inds}, "minmax",
                      {"lo": 0.0, "hi": 100.0}, "arithmetic")
    else:
        base = pd.DataFrame({"score": np.nan, "rank": np.nan}, index=cur.index)
    out = cur.join(base.add_prefix("baseline_"))
    out = out.reset_index()
    from ..countries import country_names

    out.insert(1, "country", list(country_names(out["iso3"])))
    out["rank_shift"] = out["baseline_rank"] - out["rank"]
    out = out.sort_values(["rank", "iso3"], kind="stable", ignore_index=True)
    for c in ("rank", "baseline_rank", "rank_shift"):
        out[c] = out[c].astype("Int64")
    out.attrs["weights"] = w
    out.attrs["n"] = len(out)
    out.attrs["overlap"] = overlap_note(inds)
    return out


_TABLE_CSS = ("<style>.polygov-table td, .polygov-table th {padding: 1px 4px; white-space: nowrap;}"
              ".polygov-table td:nth-child(n+3) {text-align: right;}</style>")


def _table_html(df: pd.DataFrame, *, highlight: Sequence[str], title: str, n_total: int) -> str:
    rows = []
    for r in df.itertuples():
        sh = r.rank_shift
        arrow = "" if pd.isna(sh) or sh == 0 else (f"&#9650;{sh}" if sh > 0 else f"&#9660;{-sh}")
        style = ' style="font-weight:bold;color:#D55E00"' if r.iso3 in highlight else ""
        rows.append(f"<tr{style}><td>{r.rank}</td><td>{html.escape(str(r.country))}</td>"
                    f"<td>{r.score:.1f}</td><td>{'' if pd.isna(r.baseline_rank) else r.baseline_rank}"
                    f"</td><td>{arrow}</td></tr>")
    return (_TABLE_CSS + '<table class="polygov-table" style="border-collapse:collapse;font-size:90%">'
            f'<caption style="text-align:left"><b>{html.escape(title)}</b> (of {n_total})</caption>'
            "<thead><tr><th>rank</th><th>country</th><th>score</th><th>baseline</th><th>shift</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


class IndexBuilder(LabWidget):
    """Interactive composite-index builder over :func:`governance_ranking`.

    Parameters
    ----------
    data : DataFrame, optional
        The HFI panel (default ``polygov.data.load("hfi")``).
    year : int
        Initial year (default: the latest).
    focus : str
        ISO3 code of the highlighted country (default ``"CHN"``).
    peer_group : str
        A :func:`polygov.countries.peer_group` name (default ``"China peers"``).
    top : int
        Rows of the top-of-ranking table.
    debounce : float
        Seconds of quiet before recomputing (0 = synchronous).

    Attributes
    ----------
    include, weights : dict code -> Checkbox / FloatSlider
        One per indicator.  The weights of the ticked indicators always sum to 1:
        moving one slider rescales the other ticked ones proportionally (equally
        when they are all at 0; a slider set to 1 leaves the others at 0), and
        ticking or unticking an indicator rescales the rest the same way.  An
        unticked indicator's slider is disabled and keeps its last weight, so
        unticking and ticking it again restores the previous weights.  A
        dragged slider takes effect (and the others follow) when it is released.
    weight_labels : dict code -> ipywidgets.HTML
        The weight as a percentage, or "excluded".
    normalisation, aggregation, year, peer_group, focus : ipywidgets.Dropdown
    ranking : ipywidgets.HTML
        Position of the focus country, the top of the ranking and the peer group.
    plot : ipywidgets.Image
        Rank shift of the peer group against the baseline index (PNG).
    result : DataFrame
        The last output of :func:`governance_ranking`.

    Notes
    -----
    With the geometric or harmonic mean, a normalisation that gives zero or negative values
    is replaced by its strictly positive counterpart (:func:`positive_normalisation`) and a
    note in the widget says so; :meth:`arguments` and :meth:`code` show what was used.
    """

    def __init__(self, data: pd.DataFrame | None = None, *, year: int | None = None,
                 focus: str = "CHN", peer_group: str = "China peers", top: int = 10,
                 debounce: float = 0.3):
        super().__init__(debounce=debounce)
        from .. import countries

        if data is None:
            from .. import data as pgdata

            data = pgdata.load("hfi")
        check_dataframe(data, name="data")
        check_columns(data, ["iso3", "year", *GOVERNANCE_INDICATORS], name="data")
        self.data = data
        self.top = int(top)
        years = sorted(int(y) for y in pd.unique(data["year"].dropna()))
        year = years[-1] if year is None else int(year)
        check_in(year, years, name="year")
        groups = sorted(countries.PEER_GROUPS)
        check_in(peer_group, groups, name="peer group")
        iso = sorted(pd.unique(data["iso3"].dropna()).tolist())
        names = list(countries.country_names(iso))
        check_in(focus, iso, name="focus country")

        self.include = {c: W.Checkbox(value=c in DEFAULT_INDICATORS, description=lab, indent=False,
                                      layout=W.Layout(width="240px"))
                        for c, lab in GOVERNANCE_INDICATORS.items()}
        self._syncing = False  # re-entrancy guard: the sliders rescale each other
        # continuous_update=False: a slider sends its value when released.  With live updates,
        # the browser snaps every rescaled value (0.125) to the slider step (0.13) and sends it
        # back, which rescales the others again - a feedback loop between browser and kernel.
        self.weights = {c: W.FloatSlider(value=1.0 / len(DEFAULT_INDICATORS)
                                         if c in DEFAULT_INDICATORS else 0.0, min=0.0,
                                         max=1.0, step=0.01,
                                         description="weight", readout_format=".2f",
                                         continuous_update=False, layout=W.Layout(width="300px"))
                        for c in GOVERNANCE_INDICATORS}
        for c, s in self.weights.items():
            s.add_class(f"polygov-weight-{c}")
        self.weight_labels = {c: W.HTML(layout=W.Layout(width="110px")) for c in GOVERNANCE_INDICATORS}
        self.normalisation = W.Dropdown(options=list(NORMALISATIONS), value="min-max 0-100",
                                        description="normalise")
        self.aggregation = W.Dropdown(options=list(AGGREGATIONS), value="arithmetic mean",
                                      description="aggregate")
        self.year = W.Dropdown(options=years, value=year, description="year")
        self.peer_group = W.Dropdown(options=groups, value=peer_group, description="peers")
        self.focus = W.Dropdown(options=sorted(zip(names, iso, strict=True)), value=focus,
                                description="country")
        self.ranking = W.HTML()
        self.ranking.add_class("polygov-ranking")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="640px"))
        self.plot.add_class("polygov-rankshift")

        rows = [W.HBox([self.include[c], self.weights[c], self.weight_labels[c]])
                for c in GOVERNANCE_INDICATORS]
        opts = W.HBox([W.VBox([self.normalisation, self.aggregation]),
                       W.VBox([self.year, self.peer_group, self.focus])])
        row = row_layout()
        self.children = [W.HTML("<b>Composite governance index</b> - tick indicators, move a "
                                "weight (the others follow, so the weights always sum to 1), "
                                "choose the method."),
                         *rows, opts, self.message,
                         W.HBox([self.ranking, self.plot], layout=row)]
        self.add_class("polygov-index-builder")
        for c in GOVERNANCE_INDICATORS:
            self.include[c].observe(functools.partial(self._toggle, c), names="value")
            self._watch(self.include[c])
            self.weights[c].observe(functools.partial(self._weight_moved, c), names="value")
        self._watch(self.normalisation, self.aggregation, self.year, self.peer_group, self.focus)
        for c, cb in self.include.items():
            self.weights[c].disabled = not cb.value
        self._show_weights()
        self.update()

    # -- controls -> arguments of the pure function --------------------------------
    @property
    def selected(self) -> list[str]:
        return [c for c, cb in self.include.items() if cb.value]

    function = "pw.governance_ranking"

    def arguments(self) -> dict:
        """Keyword arguments of :func:`governance_ranking` for the current controls."""
        agg = AGGREGATIONS[self.aggregation.value]
        norm, params, _ = positive_normalisation(self.normalisation.value, agg)
        return dict(year=int(self.year.value), indicators=self.selected,
                    weights={c: self.weights[c].value for c in self.selected},
                    normalisation=norm, normalisation_params=params, aggregation=agg)

    def _notes(self) -> list[str]:
        note = positive_normalisation(self.normalisation.value,
                                      AGGREGATIONS[self.aggregation.value])[2]
        notes = [] if note is None else [note]
        overlap = overlap_note(self.selected)
        return notes if overlap is None else [*notes, overlap]

    def _rebalance(self, fixed: str | None) -> None:
        """Rescale the ticked weights other than ``fixed`` so that all ticked ones sum to 1."""
        sel = self.selected
        if not sel:
            return
        if fixed is not None and fixed not in sel:
            return  # an excluded indicator's (disabled) slider: remembered, not used
        self._syncing = True
        try:
            if fixed is not None and len(sel) == 1:
                self.weights[fixed].value = 1.0  # a lone indicator carries all the weight
                return
            target = 1.0 if fixed is None else 1.0 - self.weights[fixed].value
            others = [c for c in sel if c != fixed]
            tot = sum(self.weights[c].value for c in others)
            for c in others:  # rounded to 1e-10 so that code() shows 0.1, not 0.09999999999999999
                self.weights[c].value = round(target * self.weights[c].value / tot if tot > 0
                                              else target / len(others), 10)
        finally:
            self._syncing = False

    def _weight_moved(self, code: str, _change=None) -> None:
        if self._syncing:
            return
        self._rebalance(code)
        self._show_weights()
        if code in self.selected:
            self._changed()

    def _toggle(self, code: str, change=None) -> None:
        for c, cb in self.include.items():
            self.weights[c].disabled = not cb.value
        self._rebalance(code if self.include[code].value else None)
        self._show_weights()

    def _show_weights(self, _change=None) -> None:
        try:
            w = effective_weights({c: s.value for c, s in self.weights.items()}, self.selected)
        except (ValueError, NoDataError):
            w = {}
        for c, lab in self.weight_labels.items():
            lab.value = (f"&rarr; <b>{100 * w[c]:.0f}%</b>" if c in w
                         else '<span style="color:#999">excluded</span>')

    # -- compute / render ------------------------------------------------------------
    def _describe(self) -> str:
        if self.result is None:
            return "no result"
        return (f"year={self.year.value}, indicators={len(self.selected)}, "
                f"normalisation={self.normalisation.value!r}, aggregation={self.aggregation.value!r},"
                f" {self.result.attrs['n']} countries ranked")

    def _compute(self) -> pd.DataFrame:
        return governance_ranking(self.data, **self.arguments())

    def _render(self, res: pd.DataFrame) -> None:
        from .. import countries
        from ..plots.widgets import rank_shift_plot

        focus = self.focus.value
        peers = countries.peer_group(self.peer_group.value)
        n = res.attrs["n"]
        f = res.loc[res["iso3"] == focus]
        if f.empty:
            head = (f"<p><b>{html.escape(self.focus.label)}</b> is not ranked in {self.year.value} "
                    f"(an indicator is missing).</p>")
        else:
            r = f.iloc[0]
            sh = r.rank_shift
            move = "same as baseline" if sh == 0 else (f"&#9650; {sh} above baseline" if sh > 0
                                                       else f"&#9660; {-sh} below baseline")
            head = (f'<p class="polygov-focus"><b>{html.escape(str(r.country))}</b>: rank '
                    f"<b>{r['rank']}</b> of {n} (baseline {r.baseline_rank}; {move}); "
                    f"score {r.score:.1f}</p>")
        top = _table_html(res.head(self.top), highlight=[focus], title=f"Top {self.top}",
                          n_total=n)
        pg = res.loc[res["iso3"].isin(set(peers) | {focus})]
        peer = _table_html(pg, highlight=[focus], title=f"Peer group: {self.peer_group.value}",
                           n_total=n)
        self.ranking.value = (head + '<div style="display:flex;gap:16px;align-items:flex-start">'
                              + top + peer + "</div>")
        if len(pg):
            fig, axes = new_figure(figsize=(5.5, max(2.5, 0.32 * len(pg) + 1)))
            rank_shift_plot(pg, highlight=[focus], ax=axes[0, 0])
            axes[0, 0].set_title(f"Rank vs baseline index, {self.year.value} ({n} countries)",
                                  pad=20)
            self.plot.value = figure_png(fig)
        else:
            self.plot.value = b""

    def _clear(self) -> None:
        self.ranking.value = ""
        self.plot.value = b""
