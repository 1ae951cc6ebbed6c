"""Country profile: one country's trajectory on each dimension against its peer group.

The widget is a view over one pure function, :func:`peer_bands`, which puts a
country's yearly values next to the quantiles of a peer group (by default the
10-90% band and the median of the peers, the country itself excluded).
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence

import ipywidgets as W
import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, check_columns, check_dataframe, check_in, check_keys
from ._core import LabWidget, NoDataError, figure_png, new_figure

__all__ = ["PROFILE_DIMENSIONS", "CountryProfile", "country_profile_data", "peer_bands"]

#: Dimensions offered (column -> label): the HFI governance indicators and the centre scores.
PROFILE_DIMENSIONS: dict[str, str] = {
    "ef_legal": "Legal system & property rights (0-10)",
    "pf_rol": "Rule of law (0-10)",
    "ef_regulation": "Regulation (0-10)",
    "ef_regulation_business_bureaucracy": "Bureaucracy costs (0-10, higher = lower)",
    "ef_regulation_business_bribes": "Bribes & favouritism (0-10, higher = fewer)",
    "balance": "Balance of centres (0-1; mostly the society-state gap, reversed)",
    "polycentricity": "Polycentricity (0-1; tracks state size)",
    "society": "Society centre (0-10)",
    "market": "Market centre (0-10)",
    "state": "State dominance (0-10)",
}
_DEFAULT_DIMS = ("ef_legal", "pf_rol", "ef_regulation", "ef_regulation_business_bureaucracy",
                 "ef_regulation_business_bribes", "society")
_ALL = "all countries"


def country_profile_data() -> pd.DataFrame:
    """HFI governance indicators and centre scores per country-year (bundled data).

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country`` and the :data:`PROFILE_DIMENSIONS` columns.
    """
    from .. import data as pgdata
    from ..countries import country_names
    from ..polycentricity import centre_scores

    hfi = pgdata.load("hfi")
    cs = centre_scores(hfi)
    cols = [c for c in PROFILE_DIMENSIONS if c in hfi.columns]
    d = hfi[["iso3", "year", *cols]].merge(cs, on=["iso3", "year"], how="left",
                                           validate="one_to_one")
    d.insert(2, "country", list(country_names(d["iso3"])))
    d["year"] = d["year"].astype(int)
    return d[["iso3", "year", "country", *PROFILE_DIMENSIONS]].reset_index(drop=True)


def peer_bands(data: pd.DataFrame, *, iso3: str, peers: Sequence[str] | None,
               dimensions: Sequence[str], band: tuple[float, float] = (0.1, 0.9)) -> pd.DataFrame:
    """A country's values next to its peer group's quantiles, per dimension and year.

    Parameters
    ----------
    data : DataFrame
        Tidy panel: ``iso3``, ``year`` and the ``dimensions`` columns.
    iso3 : str
        The country.
    peers : sequence of str or None
        ISO3 codes of the peer group (the country itself is left out); ``None`` =
        every other country in ``data``.  A code that is neither in ``data`` nor a
        known ISO3 code raises; a known code absent from ``data`` is left out with
        a :class:`~polygov.errors.DataQualityWarning` naming it.
    dimensions : sequence of str
        Columns to profile.
    band : (float, float)
        Lower and upper quantile of the peer band (default 10% and 90%).

    Returns
    -------
    DataFrame
        ``dimension``, ``year``, ``value`` (the country; missing where not
        observed), ``peer_low``, ``peer_median``, ``peer_high``, ``n_peers``
        (peers observed that year), ``peer_share_below`` (share of those peers
        with a lower value: the country's position in the group, 0-1).

    Raises
    ------
    NoDataError
        No dimension chosen; the country has no observation on any chosen
        dimension; no peer is observed on any chosen dimension.
    ValueError
        Unknown peer codes (named); duplicated (``iso3``, ``year``) rows (named);
        an invalid band.
    TypeError
        ``peers`` given as one string instead of a list of codes.

    Notes
    -----
    Quantiles use pandas' linear interpolation over the peers observed in that
    year (pairwise: each dimension and year on its own); a year with fewer
    than two observed peers gets a missing band.

    Validated against ``numpy.quantile`` (linear interpolation) per year in
    ``tests/test_widgets.py`` (1e-12).
    """
    check_dataframe(data, name="data")
    dims = list(dict.fromkeys(dimensions))
    if not dims:
        raise NoDataError("no dimension is selected: choose at least one")
    check_columns(data, ["iso3", "year", *dims], name="data")
    check_keys(data, ["iso3", "year"], name="data")
    lo, hi = float(band[0]), float(band[1])
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"band must be two quantiles 0 <= low < high <= 1, got {band}")
    if iso3 not in set(data["iso3"]):
        from ..errors import close_matches

        raise NoDataError(f"country {iso3!r} is not in the data "
                          f"(close: {close_matches(iso3, set(data['iso3']))})")
    own = data.loc[data["iso3"] == iso3].set_index("year")[dims]
    if own.notna().sum().sum() == 0:
        raise NoDataError(f"{iso3} has no observation on {dims}: choose other dimensions")
    others = data.loc[data["iso3"] != iso3]
    if peers is not None:
        if isinstance(peers, str):
            raise TypeError(f"peers must be a list of ISO3 codes (or None), got the string {peers!r}; "
                            f"write peers=[{peers!r}]")
        from ..countries import validate_iso3

        absent = sorted({str(c) for c in peers} - set(data["iso3"].astype(str)))
        validate_iso3(absent, name="peers")  # raises naming codes that are not ISO3 codes at all
        if absent:
            warnings.warn(f"{len(absent)} peer(s) of {iso3} are not in the data and are left out: "
                          f"{absent}", DataQualityWarning, stacklevel=2)
        others = others.loc[others["iso3"].isin(set(peers))]
    if others.empty or others[dims].notna().sum().sum() == 0:
        raise NoDataError(f"no peer of {iso3} is observed on {dims}: choose a larger peer group")
    years = sorted(set(data["year"]))
    rows = []
    for dim in dims:
        g = others.groupby("year")[dim]
        q = pd.DataFrame({"peer_low": g.quantile(lo), "peer_median": g.quantile(0.5),
                          "peer_high": g.quantile(hi), "n_peers": g.count()}).reindex(years)
        q["n_peers"] = q["n_peers"].fillna(0).astype(int)
        few = q["n_peers"] < 2
        q.loc[few, ["peer_low", "peer_median", "peer_high"]] = np.nan
        val = own[dim].reindex(years)
        below = [float((others.loc[others["year"] == y, dim].dropna() < v).mean())
                 if pd.notna(v) and n > 0 else np.nan
                 for y, v, n in zip(years, val, q["n_peers"], strict=True)]
        rows.append(pd.DataFrame({"dimension": dim, "year": years, "value": val.to_numpy(),
                                  **{c: q[c].to_numpy() for c in q.columns},
                                  "peer_share_below": below}))
    out = pd.concat(rows, ignore_index=True)
    out.attrs["band"] = (lo, hi)
    return out


class CountryProfile(LabWidget):
    """Interactive country profile over :func:`peer_bands`.

    Parameters
    ----------
    data : DataFrame, optional
        Default :func:`country_profile_data`.
    country : str
        ISO3 code (default ``"CHN"``).
    peer_group : str
        A :func:`polygov.countries.peer_group` name or ``"all countries"``.
    dimensions : sequence of str
        Initial dimensions (default: the five governance indicators and the society centre score).
    band : (float, float)
        Initial peer band quantiles.
    debounce : float
        Seconds of quiet before redrawing (0 = synchronous).

    Attributes
    ----------
    country, peer_group : ipywidgets.Dropdown
    dimensions : ipywidgets.SelectMultiple
    band : ipywidgets.FloatRangeSlider
    summary : ipywidgets.HTML
        The country's position in its peer group in the latest observed year.
    plot : ipywidgets.Image
        One panel per dimension: the country's line over the shaded peer band.
    result : DataFrame
        The last output of :func:`peer_bands`.
    """

    def __init__(self, data: pd.DataFrame | None = None, *, country: str = "CHN",
                 peer_group: str = "China peers", dimensions: Sequence[str] = _DEFAULT_DIMS,
                 band: tuple[float, float] = (0.1, 0.9), debounce: float = 0.3):
        super().__init__(debounce=debounce)
        from .. import countries

        self.data = country_profile_data() if data is None else data
        check_dataframe(self.data, name="data")
        dims = {k: v for k, v in PROFILE_DIMENSIONS.items() if k in self.data.columns}
        for d in dimensions:
            check_in(d, dims, name="dimension")
        groups = [_ALL, *sorted(countries.PEER_GROUPS)]
        check_in(peer_group, groups, name="peer group")
        iso = sorted(pd.unique(self.data["iso3"].dropna()).tolist())
        check_in(country, iso, name="country")
        names = list(countries.country_names(iso))
        self.country = W.Dropdown(options=sorted(zip(names, iso, strict=True)), value=country,
                                  description="country")
        self.peer_group = W.Dropdown(options=groups, value=peer_group, description="peers")
        self.dimensions = W.SelectMultiple(options=[(v, k) for k, v in dims.items()],
                                           value=tuple(dimensions), rows=len(dims),
                                           description="dimensions",
                                           layout=W.Layout(width="440px"))
        self.band = W.FloatRangeSlider(value=tuple(band), min=0.0, max=1.0, step=0.05,
                                       description="peer band", readout_format=".0%",
                                       continuous_update=False)
        self.summary = W.HTML()
        self.summary.add_class("polygov-profile-summary")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="900px"))
        self.plot.add_class("polygov-profile-plot")
        self.children = [W.HTML("<b>Country profile</b> - the country's trajectory on each "
                                "dimension; shaded: the chosen quantile band of its peers."),
                         W.HBox([W.VBox([self.country, self.peer_group, self.band]),
                                 self.dimensions]),
                         self.message, self.summary, self.plot]
        self.add_class("polygov-country-profile")
        self._watch(self.country, self.peer_group, self.dimensions, self.band)
        self.update()

    function = "pw.peer_bands"

    def arguments(self) -> dict:
        """Keyword arguments of :func:`peer_bands` for the current controls."""
        from .. import countries

        peers = None if self.peer_group.value == _ALL else countries.peer_group(self.peer_group.value)
        return dict(iso3=self.country.value, peers=peers, dimensions=list(self.dimensions.value),
                    band=tuple(self.band.value))

    def _describe(self) -> str:
        if self.result is None:
            return "no result"
        return (f"country={self.country.value!r}, peers={self.peer_group.value!r}, "
                f"dimensions={len(self.dimensions.value)}, band={tuple(self.band.value)}")

    def _compute(self) -> pd.DataFrame:
        return peer_bands(self.data, **self.arguments())

    def _render(self, res: pd.DataFrame) -> None:
        from ..plots.theme import COUNTRY_COLOURS
        from ..plots.widgets import peer_band_plot

        dims = list(dict.fromkeys(res["dimension"]))
        lo, hi = res.attrs["band"]
        rows = []
        for dim in dims:
            d = res.loc[(res["dimension"] == dim) & res["value"].notna()]
            if d.empty:
                rows.append(f"<tr><td>{html.escape(PROFILE_DIMENSIONS.get(dim, dim))}</td>"
                            "<td colspan=3><i>no data for this country</i></td></tr>")
                continue
            last = d.iloc[-1]
            pos = ("" if pd.isna(last.peer_share_below)
                   else f"above {100 * last.peer_share_below:.0f}% of {last.n_peers} peers")
            rows.append(f"<tr><td>{html.escape(PROFILE_DIMENSIONS.get(dim, dim))}</td>"
                        f"<td>{int(last.year)}</td><td>{last.value:.2f}</td><td>{pos}</td></tr>")
        n_peers = int(res.groupby("dimension")["n_peers"].max().max())
        cap = (f"<caption style=\"text-align:left\"><b>{html.escape(self.country.label)}</b> in "
               f"{html.escape(self.peer_group.value)} (up to {n_peers} peers observed)</caption>")
        self.summary.value = ('<table class="polygov-table" style="font-size:90%">' + cap
                              + "<thead><tr><th>dimension</th><th>latest year</th><th>value</th>"
                              "<th>position in peer group</th></tr></thead><tbody>"
                              + "".join(rows) + "</tbody></table>")
        ncols = min(3, len(dims))
        nrows = int(np.ceil(len(dims) / ncols))
        width, height = max(5.5, 3.2 * ncols + 0.4), 2.5 * nrows + 0.5
        fig, axes = new_figure(figsize=(width, height), nrows=nrows, ncols=ncols,
                               sharex=True, layout=None)  # fixed margins: 3x faster than constrained
        fig.subplots_adjust(left=0.5 / width, right=1 - 0.1 / width, bottom=0.3 / height,
                            top=1 - 0.55 / height, wspace=0.28, hspace=0.3)
        colour = COUNTRY_COLOURS.get(self.country.value, "#D55E00")
        for k, dim in enumerate(dims):
            ax = axes[k // ncols, k % ncols]
            peer_band_plot(res.loc[res["dimension"] == dim], colour=colour,
                           label=self.country.label, band_label=f"peers {lo:.0%}-{hi:.0%}", ax=ax)
            ax.set_title(PROFILE_DIMENSIONS.get(dim, dim), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_xlabel("")
            if k == 0:
                ax.legend(fontsize=6, frameon=False)
        for k in range(len(dims), nrows * ncols):
            axes[k // ncols, k % ncols].set_visible(False)
        peers = self.peer_group.value
        fig.suptitle(f"{self.country.label} vs {peers} (source: Human Freedom Index 2018)",
                     fontsize=9)
        self.plot.value = figure_png(fig)

    def _clear(self) -> None:
        self.summary.value = ""
        self.plot.value = b""
