"""Regression explorer: outcome, polycentricity measure, controls, fixed effects, clustering.

The widget is a view over one pure function, :func:`fit_choice`, which calls
:func:`polygov.regression.fit_panel` on the country-year panel built by
:func:`explorer_data` (HFI governance outcomes, Gapminder outcomes and
controls, PWT human capital, and the polycentricity measures of
:func:`polygov.polycentricity.centre_scores`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as W
import numpy as np
import pandas as pd

from ..errors import check_columns, check_dataframe, check_in
from ._core import LabWidget, NoDataError, figure_png, new_figure, row_layout

__all__ = [
    "CONTROLS",
    "COVARIANCE_CHOICES",
    "CLUSTER_CHOICES",
    "EFFECT_CHOICES",
    "OUTCOMES",
    "POLYCENTRICITY_MEASURES",
    "RegressionExplorer",
    "absorbed_effects",
    "explorer_data",
    "fit_choice",
]

#: Outcomes offered (column -> label).
OUTCOMES: dict[str, str] = {
    "pf_rol": "Rule of law (HFI, 0-10)",
    "ef_legal": "Legal system & property rights (HFI, 0-10)",
    "ef_regulation_business_bribes": "Bribes & favouritism (HFI, 0-10, higher = fewer)",
    "life_expectancy": "Life expectancy (Gapminder, years)",
    "infant_mortality": "Infant mortality (Gapminder, per 1,000 births)",
}

#: Polycentricity measures from :func:`polygov.polycentricity.centre_scores` (column -> label).
#: The centre scores come first and ``society`` is the explorer's default: it measures the
#: non-state centre the theory is about and is nearly uncorrelated with the state score.  The
#: one-number summaries are misleading on the HFI data, because the (reversed) state score is
#: the lowest centre in 91% of the country-years of 2016 and society the highest in 69%:
#: ``balance = 1 - (max - min) / 10`` is then mostly ``1 - (society - state) / 10`` (r = -0.84
#: with ``society - state``, -0.57 with ``society`` in 2016), so a *stronger* civil society
#: shows up as *less* balance; the effective number of centres (and its rescaling
#: ``polycentricity``, and ``entropy``) mostly track the size of the state.
POLYCENTRICITY_MEASURES: dict[str, str] = {
    "society": "Society centre (0-10)",
    "market": "Market centre (0-10)",
    "state": "State dominance (0-10)",
    "balance": "Balance of centres (0-1; mostly the society-state gap, reversed)",
    "polycentricity": "Polycentricity (effective centres, 0-1; tracks state size)",
    "effective_centres": "Effective number of centres (1-3; tracks state size)",
    "entropy": "Entropy of centres (0-1; tracks state size)",
}

#: Controls offered (column -> label); their coverage differs, so N changes with them.
CONTROLS: dict[str, str] = {
    "log_gdp_pc": "log GDP per capita (Gapminder, to 2011)",
    "log_population": "log population (Gapminder, to 2015)",
    "fertility": "Fertility (Gapminder, births per woman)",
    "hc": "Human capital index (PWT sample, 22 countries)",
}

#: Fixed-effects choices: label -> ``fit_panel(effects=)``.
EFFECT_CHOICES: dict[str, str] = {
    "none (pooled OLS)": "none",
    "country": "entity",
    "country + year": "twoway",
    "random (country)": "random",
}

#: Covariance choices: label -> ``fit_panel(cov=)``.
COVARIANCE_CHOICES: dict[str, str] = {
    "clustered": "cluster",
    "classical": "classical",
    "robust (HC1)": "robust",
    "two-way clustered (country, year)": "twoway_cluster",
    "Driscoll-Kraay": "driscoll_kraay",
}

#: Cluster variables for ``cov="cluster"``: label -> column.
CLUSTER_CHOICES: dict[str, str] = {"country": "iso3", "region": "region", "year": "year"}


def explorer_data() -> pd.DataFrame:
    """The country-year panel behind the regression explorer (bundled data only).

    Returns
    -------
    DataFrame
        ``iso3``, ``year`` (2008-2016), ``country``, ``region`` (HFI region), the
        :data:`OUTCOMES`, the :data:`POLYCENTRICITY_MEASURES` and the
        :data:`CONTROLS` columns.

    Notes
    -----
    Joined on (iso3, year) with :func:`polygov.data.panel` (outer join restricted
    to 2008-2016); polycentricity measures from
    :func:`polygov.polycentricity.centre_scores` on the HFI.
    ``log_gdp_pc = log(gdp / population)`` (Gapminder constant-dollar GDP) and
    ``log_population = log(population)``; missing where an input is missing.
    """
    from .. import data as pgdata
    from ..polycentricity import centre_scores

    p = pgdata.panel(["hfi", "gapminder", "pwt"], years=(2008, 2016), columns={
        "hfi": ["region", "pf_rol", "ef_legal", "ef_regulation_business_bribes"],
        "gapminder": ["infant_mortality", "life_expectancy", "fertility", "population", "gdp"],
        "pwt": ["hc"],
    })
    if "hfi_region" in p.columns:
        p = p.rename(columns={"hfi_region": "region"})
    p = p.loc[p["year"].between(2008, 2016)].copy()
    cs = centre_scores(pgdata.load("hfi"))
    p = p.merge(cs[["iso3", "year", *POLYCENTRICITY_MEASURES]], on=["iso3", "year"], how="left",
                validate="one_to_one")
    with np.errstate(divide="ignore", invalid="ignore"):
        pop = p["population"].astype(float)
        p["log_gdp_pc"] = np.log(p["gdp"].astype(float) / pop)
        p["log_population"] = np.log(pop)
    keep = ["iso3", "year", "country", "region", *OUTCOMES, *POLYCENTRICITY_MEASURES, *CONTROLS]
    out = p[keep].reset_index(drop=True)
    out["year"] = out["year"].astype(int)
    out["region"] = out["region"].astype(object)
    return out


def fit_choice(data: pd.DataFrame, *, outcome: str, measure: str,
               controls: Sequence[str] = (), effects: str = "twoway", cov: str = "cluster",
               cluster: str | None = "iso3", years: tuple[int, int] | None = None,
               min_clusters: int = 10):
    """Fit ``outcome ~ measure + controls`` on a country-year panel with :func:`fit_panel`.

    Parameters
    ----------
    data : DataFrame
        Tidy panel (default source: :func:`explorer_data`).
    outcome, measure : str
        Dependent variable and polycentricity measure (columns).
    controls : sequence of str
        Control columns.
    effects : {"none", "entity", "twoway", "random"}
        Passed to :func:`polygov.regression.fit_panel`.
    cov : str
        Covariance name (see :data:`polygov.regression.COVARIANCES`).
    cluster : str, optional
        Cluster column for ``cov="cluster"`` (ignored otherwise).
    years : (int, int), optional
        Inclusive sample years.
    min_clusters : int
        Passed to :func:`fit_panel`: fewer clusters (or Driscoll-Kraay periods)
        than this are refused with a message (default 10, the library's guard).

    Returns
    -------
    RegressionResults

    Raises
    ------
    NoDataError
        No country-year has all the variables observed in the chosen years.
    ValueError
        Whatever :func:`fit_panel` rejects (too few clusters, a regressor collinear
        with the fixed effects ...), with its message.

    Notes
    -----
    Missing data: listwise deletion over the variables used (fit_panel's rule);
    the number of dropped rows is in the results' ``notes``.  With country fixed
    effects, an outcome that is constant within every country of the sample is
    rejected with a message (HFI's rule of law is constant within countries in
    2008-2011, the years Gapminder's GDP covers).

    Validated against OLS with one dummy per country and per year
    (``numpy.linalg.lstsq``) in ``tests/test_widgets.py``: slopes agree to 1e-8.
    """
    from ..regression import fit_panel

    check_dataframe(data, name="data")
    controls = [c for c in dict.fromkeys(controls) if c not in (outcome, measure)]
    if outcome == measure:
        raise ValueError(f"the outcome and the polycentricity measure are the same column "
                         f"({outcome!r}); choose different ones")
    cols = [outcome, measure, *controls]
    check_columns(data, ["iso3", "year", *cols], name="data")
    d = data
    if years is not None:
        lo, hi = int(years[0]), int(years[1])
        d = d.loc[d["year"].between(lo, hi)]
    complete = d[cols].notna().all(axis=1)
    if not complete.any():
        span = "" if years is None else f" in {years[0]}-{years[1]}"
        cover = {c: int(d[c].notna().sum()) for c in cols}
        raise NoDataError(f"no country-year has all of {cols} observed{span} "
                          f"(non-missing counts: {cover}); drop a control or widen the years")
    if effects in ("entity", "twoway"):
        sample = d.loc[complete]
        within = sample[outcome] - sample.groupby("iso3")[outcome].transform("mean")
        if float(within.abs().max()) < 1e-9:
            span = f"{int(sample['year'].min())}-{int(sample['year'].max())}"
            raise ValueError(
                f"{outcome!r} does not change within any country in this sample ({span}, "
                f"{sample['iso3'].nunique()} countries), so country fixed effects absorb all of its "
                "variation and nothing is left to explain. Use pooled OLS or random effects, or "
                "widen the years (a control with short coverage, such as log GDP per capita, "
                "narrows them)")
    kw = {}
    if cov == "cluster" and cluster is not None:
        check_columns(d, [cluster], name="data")
        kw["cluster"] = cluster
    return fit_panel(d, y=outcome, x=[measure, *controls], effects=effects, cov=cov,
                     min_clusters=min_clusters, **kw)


def absorbed_effects(res) -> int:
    """Number of fixed-effect parameters absorbed by a panel fit.

    ``0`` for pooled and random-effects models, ``n_entities`` for entity
    effects and ``n_entities + n_periods - 1`` for two-way effects.
    """
    if res.estimator == "entity":
        return int(res.n_entities)
    if res.estimator == "twoway":
        return int(res.n_entities + res.n_periods - 1)
    return 0


class RegressionExplorer(LabWidget):
    """Interactive panel regression of a governance outcome on a polycentricity measure.

    Parameters
    ----------
    data : DataFrame, optional
        Default :func:`explorer_data`.
    outcome, measure : str
        Initial choices (columns; default: rule of law on the ``society`` centre score -
        :data:`POLYCENTRICITY_MEASURES` says why not ``balance``).
    controls : sequence of str
        Initial controls.
    effects, cov, cluster : str
        Initial fixed effects (``fit_panel`` name), covariance and cluster column.
    debounce : float
        Seconds of quiet before refitting (0 = synchronous).

    Attributes
    ----------
    outcome, measure, effects, cov, cluster : ipywidgets.Dropdown
    controls : ipywidgets.SelectMultiple
    years : ipywidgets.IntRangeSlider
    few_clusters : ipywidgets.Checkbox
        Accept clustered (or Driscoll-Kraay) errors on 4-9 clusters; a note then
        warns that they tend to be too small.
    pin : ipywidgets.Button
        Keep the current model as a column of the table (up to three); ``clear`` removes them.
    summary : ipywidgets.HTML
        N, countries, years and the number of absorbed fixed effects.
    table : ipywidgets.HTML
        :func:`polygov.regression.regression_table` of the pinned and current models.
    plot : ipywidgets.Image
        Coefficient plot of the same models.
    result : RegressionResults
    """

    def __init__(self, data: pd.DataFrame | None = None, *, outcome: str = "pf_rol",
                 measure: str = "society", controls: Sequence[str] = (),
                 effects: str = "twoway", cov: str = "cluster", cluster: str = "iso3",
                 debounce: float = 0.3):
        super().__init__(debounce=debounce)
        self.data = explorer_data() if data is None else data
        check_dataframe(self.data, name="data")
        outs = {k: v for k, v in OUTCOMES.items() if k in self.data.columns}
        meas = {k: v for k, v in POLYCENTRICITY_MEASURES.items() if k in self.data.columns}
        ctrl = {k: v for k, v in CONTROLS.items() if k in self.data.columns}
        check_in(outcome, outs, name="outcome")
        check_in(measure, meas, name="polycentricity measure")
        for c in controls:
            check_in(c, ctrl, name="control")
        check_in(effects, EFFECT_CHOICES.values(), name="effects")
        check_in(cov, COVARIANCE_CHOICES.values(), name="cov")
        check_in(cluster, CLUSTER_CHOICES.values(), name="cluster")
        years = sorted(int(y) for y in pd.unique(self.data["year"].dropna()))
        lay = W.Layout(width="420px")
        st = {"description_width": "110px"}
        self.outcome = W.Dropdown(options=[(v, k) for k, v in outs.items()], value=outcome,
                                  description="outcome", layout=lay, style=st)
        self.measure = W.Dropdown(options=[(v, k) for k, v in meas.items()], value=measure,
                                  description="polycentricity", layout=lay, style=st)
        self.controls = W.SelectMultiple(options=[(v, k) for k, v in ctrl.items()],
                                         value=tuple(controls), description="controls",
                                         rows=len(ctrl), layout=lay, style=st)
        self.effects = W.Dropdown(options=list(EFFECT_CHOICES.items()), value=effects,
                                  description="fixed effects", layout=lay, style=st)
        self.cov = W.Dropdown(options=list(COVARIANCE_CHOICES.items()), value=cov,
                              description="std. errors", layout=lay, style=st)
        self.cluster = W.Dropdown(options=list(CLUSTER_CHOICES.items()), value=cluster,
                                  description="cluster by", layout=lay, style=st)
        self.years = W.IntRangeSlider(value=(years[0], years[-1]), min=years[0], max=years[-1],
                                      description="years", continuous_update=False, layout=lay,
                                      style=st)
        self.few_clusters = W.Checkbox(value=False, indent=False,
                                       description="accept 4-9 clusters (read the note)")
        self.pin = W.Button(description="pin this model", icon="thumb-tack",
                            tooltip="keep the current model as a column of the table")
        self.clear = W.Button(description="clear pins")
        self.summary = W.HTML()
        self.summary.add_class("polygov-regression-summary")
        self.table = W.HTML()
        self.table.add_class("polygov-regression-table")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="560px"))
        self.plot.add_class("polygov-regression-plot")
        self.pinned: list[tuple[str, object]] = []
        self.pin.on_click(self._pin)
        self.clear.on_click(self._clear_pins)
        left = W.VBox([self.outcome, self.measure, self.controls, self.effects, self.cov,
                       self.cluster, self.few_clusters, self.years,
                       W.HBox([self.pin, self.clear])])
        row = row_layout()
        self.children = [W.HTML("<b>Does polycentricity go with better governance?</b> Choose "
                                "the model; the table and the plot refit on every change."),
                         left, self.message, self.summary,
                         W.HBox([self.table, self.plot], layout=row)]
        self.add_class("polygov-regression-explorer")
        self._watch(self.outcome, self.measure, self.controls, self.effects, self.cov,
                    self.cluster, self.few_clusters, self.years)
        self.cov.observe(self._cluster_enabled, names="value")
        self._cluster_enabled()
        self.update()

    function = "pw.fit_choice"

    def arguments(self) -> dict:
        """Keyword arguments of :func:`fit_choice` for the current controls."""
        return dict(outcome=self.outcome.value, measure=self.measure.value,
                    controls=list(self.controls.value), effects=self.effects.value,
                    cov=self.cov.value,
                    cluster=self.cluster.value if self.cov.value == "cluster" else None,
                    years=tuple(self.years.value),
                    min_clusters=4 if self.few_clusters.value else 10)

    def _describe(self) -> str:
        r = self.result
        if r is None:
            return "no result"
        return f"{r.formula}, effects={r.estimator!r}, cov={r.cov_type!r}, N={r.nobs}"

    def _cluster_enabled(self, _change=None) -> None:
        self.cluster.disabled = self.cov.value != "cluster"

    def _compute(self):
        return fit_choice(self.data, **self.arguments())

    def _label(self) -> str:
        eff = {v: k for k, v in EFFECT_CHOICES.items()}[self.effects.value]
        return f"FE: {eff}; {len(self.controls.value)} control(s)"

    def _pin(self, _button=None) -> None:
        if self.result is not None:
            self.pinned = (self.pinned + [(f"pinned {len(self.pinned) + 1}", self.result)])[-3:]
            self._render(self.result)

    def _clear_pins(self, _button=None) -> None:
        self.pinned = []
        if self.result is not None:
            self._render(self.result)

    def _render(self, res) -> None:
        from ..plots.regression import coef_plot
        from ..regression import regression_table

        n_fe = absorbed_effects(res)
        fe_txt = {"entity": "country", "twoway": "country + year",
                  "random": "none (random country intercepts instead)"}.get(res.estimator, "none")
        notes = "".join(f"<br><i>{html.escape(n)}</i>" for n in res.notes)
        self.summary.value = (
            f'<p>N = <b class="polygov-nobs">{res.nobs}</b> country-years, '
            f"{res.n_entities} countries, {res.n_periods} years; fixed effects: {fe_txt} "
            f'(<b class="polygov-n-effects">{n_fe}</b> absorbed); '
            f"standard errors: {html.escape(res.cov_label)}{notes}</p>")
        models = dict(self.pinned)
        models["current"] = res
        labels = {**OUTCOMES, **POLYCENTRICITY_MEASURES, **CONTROLS}
        self.table.value = str(regression_table(
            models, format="html", labels={k: v.split(" (")[0] for k, v in labels.items()}))
        tidy = pd.concat([r.tidy().assign(model=name) for name, r in models.items()],
                         ignore_index=True)
        tidy["term"] = tidy["term"].map(lambda t: labels.get(t, t).split(" (")[0])
        n_terms = tidy["term"].nunique()
        fig, axes = new_figure(figsize=(5.5, max(2.2, 0.55 * n_terms + 1.2)))
        tidy = tidy.loc[tidy["term"] != "Intercept"]
        measure = labels.get(self.measure.value, self.measure.value).split(" (")[0]
        ax = coef_plot(tidy, hue="model" if len(models) > 1 else None, ax=axes[0, 0],
                       xlabel="estimate (outcome units per unit), 95% CI")
        ax.set_ylim(tidy["term"].nunique() - 0.5, -0.5)
        if len(models) > 1:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(models),
                      frameon=False, fontsize=8)
        for t in ax.get_yticklabels():
            if t.get_text() == measure:
                t.set_color("#D55E00")
                t.set_fontweight("bold")
        ax.set_title(f"{OUTCOMES.get(res.dependent, res.dependent)}",
                     pad=18 if len(models) > 1 else 6)
        self.plot.value = figure_png(fig)

    def _clear(self) -> None:
        self.summary.value = ""
        self.table.value = ""
        self.plot.value = b""
