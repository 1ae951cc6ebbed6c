"""A self-contained HTML report of the monitor for one country (figures inlined as PNG)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from ..errors import close_matches
from .inputs import SOURCES, WGI_DIMENSIONS, load_source

__all__ = ["write_report"]

_CSS = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.45}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}td,th{border-bottom:1px solid #ddd;padding:2px 8px;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.note{color:#555;font-size:0.85em}h2{border-bottom:2px solid #c0392b;padding-bottom:2px}"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.3f}", border=0, escape=True)


def _peers(country: str, available) -> tuple[str, list[str]]:
    from ..countries import country_table, peer_group

    china = peer_group("China peers")
    if country in china:
        name, members = "China peers", china
    else:
        t = country_table().set_index("iso3")
        region = t["un_region"].get(country)
        if not isinstance(region, str):
            return "none", [country]
        name, members = f"UN region {region}", t.index[t["un_region"] == region].tolist()
    members = sorted(set(members) & set(available) | {country})
    return name, members


def write_report(source: str = "wgi", country: str = "CHN", out: str | Path = "build/monitor", *,
                 data: pd.DataFrame | None = None, indicators=None, windows=(1, 3, 5), q: float = 0.10,
                 peers: list[str] | None = None, progress: bool = True) -> Path:
    """Write ``monitor_<source>_<country>.html`` into ``out`` and return its path.

    Parameters
    ----------
    source : {"wgi", "vdem_ert"}
        Bundled source (see :func:`~polygov.monitor.load_source`).
    country : str
        ISO3 code of the country reported on.
    out : path-like
        Output folder (created).
    data : DataFrame, optional
        The source's table if already loaded (default: :func:`polygov.data.load`).
    indicators : list of str, optional
        Subset of the source's indicators.
    windows : tuple of int, default (1, 3, 5)
        Windows of the changes.
    q : float, default 0.10
        False-discovery rate of the monitor's rule.
    peers : list of str, optional
        ISO3 codes of the comparison group; default: polygov's "China peers" for a
        country in it, otherwise the country's UN M49 sub-region.
    progress : bool, default True
        Show a progress bar (tqdm) while the figures are drawn.

    Returns
    -------
    pathlib.Path
        The HTML file: each indicator's trajectory with its 90 % band and flagged
        one-year declines; the country's flagged changes with their probabilities;
        the peer comparison; a world overview of flagged units per dimension; the
        data's provenance and the monitor's settings.

    Raises
    ------
    KeyError
        Unknown source, indicator or country (the allowed values are named).
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    from ..plots.monitor import flag_overview_plot, peer_change_plot, trajectory_plot
    from .pipeline import scan

    panel = load_source(source, indicators=indicators, data=data)
    units = sorted(panel["iso3"].unique())
    if country not in units:
        near = close_matches(str(country), units)
        hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
        raise KeyError(f"unknown country {country!r} for source {source!r} ({len(units)} units, e.g. "
                       f"{', '.join(units[:8])}, ...).{hint}")
    flags = scan(panel, windows=windows, q=q)
    inds = list(dict.fromkeys(panel["indicator"]))
    last = int(panel["year"].max())
    kmax = max(windows)
    if peers is None:
        peer_name, peers = _peers(country, units)
    else:
        bad = [p for p in peers if p not in units]
        if bad:
            raise KeyError(f"peers {bad} are not in source {source!r}")
        peer_name = "chosen by the user"
        peers = sorted(set(peers) | {country})
    label = WGI_DIMENSIONS if source == "wgi" else {"polyarchy": "Electoral democracy index (v2x_polyarchy)"}
    steps = tqdm(total=2 * len(inds) + 1, desc=f"monitor report {country}", disable=not progress, leave=False)
    parts = [f"<h1>Governance early-warning monitor: {html.escape(country)}</h1>",
             f"<p>Source: {html.escape(SOURCES[source])}. Years {int(panel['year'].min())}-{last}; "
             f"{len(units)} units; windows {', '.join(map(str, windows))} years; declines flagged by "
             f"Benjamini-Hochberg at a false-discovery rate of {q:.0%} over every unit and indicator "
             "with the same window and end year (one-sided tests).</p>"]
    # trajectories
    parts.append("<h2>Trajectories</h2><p class='note'>Estimate with its 90% band; black triangles: "
                 "flagged one-year declines.</p>")
    for ind in inds:
        fig, ax = plt.subplots(figsize=(7, 3.2))
        trajectory_plot(panel, iso3=country, indicator=ind, flags=flags, window=min(windows), ax=ax)
        ax.set_title(label.get(ind, ind))
        parts.append(_png(fig))
        steps.update()
    # flagged changes of the country
    mine = flags.loc[(flags["iso3"] == country) & flags["flagged"]]
    cols = ["indicator", "window", "year_from", "year", "estimate", "std_error", "prob_decline", "q_value"]
    parts.append("<h2>Flagged declines</h2>")
    if mine.empty:
        parts.append(f"<p>No significant decline of {html.escape(country)} in any indicator and window.</p>")
    else:
        parts.append(_table(mine[cols].rename(columns={"estimate": "change"})))
    recent = flags.loc[(flags["iso3"] == country) & (flags["year"] == last)]
    parts.append(f"<h3>Latest changes (to {last})</h3>")
    parts.append(_table(recent[cols + ["flagged"]].rename(columns={"estimate": "change"})))
    # peers
    parts.append(f"<h2>Peer comparison ({html.escape(peer_name)})</h2>"
                 f"<p class='note'>{kmax}-year changes to {last} with 90% intervals; black: flagged.</p>")
    for ind in inds:
        sub = flags.loc[(flags["indicator"] == ind) & (flags["window"] == kmax) & (flags["year"] == last)
                        & flags["iso3"].isin(peers)]
        if len(sub):
            fig, ax = plt.subplots(figsize=(6, 0.28 * len(sub) + 1.2))
            peer_change_plot(flags, indicator=ind, window=kmax, year=last, iso3=peers, ax=ax)
            ax.set_title(label.get(ind, ind))
            parts.append(_png(fig))
        steps.update()
    # world overview
    parts.append(f"<h2>World overview ({last})</h2>")
    fig, axes = plt.subplots(1, len(windows), figsize=(4 * len(windows), 0.4 * len(inds) + 1.5), squeeze=False)
    for ax, k in zip(axes[0], windows, strict=True):
        flag_overview_plot(flags, year=last, window=k, ax=ax)
    parts.append(_png(fig))
    steps.update()
    steps.close()
    world = flags.loc[(flags["year"] == last) & flags["flagged"]]
    rows = []
    for ind in inds:
        for k in windows:
            w = world.loc[(world["indicator"] == ind) & (world["window"] == k)].sort_values("q_value")
            rows.append({"indicator": ind, "window": k, "flagged": len(w), "units": ", ".join(w["iso3"])})
    parts.append(_table(pd.DataFrame(rows)))
    # provenance
    parts.append("<h2>Provenance and method</h2>")
    try:
        from ..data import provenance

        p = provenance(source)
        items = [(k, p.get(k, "")) for k in ("title", "publisher", "edition", "url", "citation", "obtained")]
        items.append(("licence", p.get("licenses", [{}])[0].get("name", "")))
        items.append(("sha256", p.get("sha256", "")))
        parts.append("<ul>" + "".join(f"<li><b>{k}</b>: {html.escape(str(v))}</li>" for k, v in items) + "</ul>")
    except (KeyError, FileNotFoundError, ImportError):
        parts.append(f"<p>Provenance of {html.escape(source)!s}: not recorded in this installation "
                     "(data supplied by the caller).</p>")
    parts.append("<p class='note'>Method: change = x<sub>t</sub> - x<sub>t-k</sub>, SE = sqrt(s<sub>t</sub>² + "
                 "s<sub>t-k</sub>²) (errors independent across years); P(decline) = Φ(-change/SE); one-sided "
                 "p = 1 - P(decline); Benjamini-Hochberg q-values within each window and end year. "
                 "WGI estimates are re-standardised every year, so a change is relative to the world. "
                 "Made with polygov.monitor.</p>")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"monitor_{source}_{country}.html"
    doc = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Monitor {html.escape(country)}"
           f"</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
    path.write_text(doc, encoding="utf-8")
    return path
