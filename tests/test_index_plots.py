"""Index plots return Axes with readable labels (figures closed by conftest)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import polygov.audit as au  # noqa: E402
import polygov.index as pi  # noqa: E402
from polygov.plots import index as ip  # noqa: E402


@pytest.fixture(scope="module")
def built():
    from polygov.data import load

    hfi = load("hfi").query("year == 2016")
    spec = pi.IndexSpec(pi.hfi_governance_framework(), normalisation_params={"lo": 1, "hi": 100})
    return spec, hfi, pi.build(spec, hfi)


def test_rank_interval_and_bars(built):
    spec, hfi, res = built
    ua = pi.uncertainty(spec, hfi, n_draws=50, seed=1)
    ax = ip.rank_interval_plot(ua.summary.head(20))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 20 and "NZL" not in labels          # names, not codes
    assert ax.get_xlabel() == "rank (1 = best)"
    ax = ip.score_bars(res.index_scores().dropna().head(15), hue=None, xlabel="governance (1-100)")
    assert ax.get_xlabel() == "governance (1-100)" and len(ax.patches) == 15
    ax = ip.score_bars(res.index_scores().dropna().head(15).merge(
        hfi[["iso3", "region"]]), hue="region", names=False)
    assert ax.get_legend() is not None


def test_rank_interval_panel_labels_carry_the_year():
    # a panel summary: the same country once per year; labels were the country alone
    d = pd.DataFrame({"iso3": ["CHN", "CHN", "IND"], "year": [2015, 2016, 2016],
                      "median_rank": [2.0, 1, 3], "rank_q05": [1.0, 1, 2],
                      "rank_q95": [3.0, 2, 4], "nominal_rank": [2.0, 1, 3]})
    ax = ip.rank_interval_plot(d, names=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["IND 2016", "CHN 2015", "CHN 2016"]
    ax = ip.rank_interval_plot(d.query("year == 2016"), names=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["IND", "CHN"]


def test_sensitivity_and_heatmap(built):
    spec, hfi, res = built
    sa = pi.sobol(spec, hfi, n_base=64, seed=1, factors=["aggregation", "weights"])
    ax = ip.sensitivity_bars(sa.indices)
    assert len(ax.patches) == 4 and "Sobol" in ax.get_xlabel()
    cm = au.correlation_matrix(res, levels=(2, 3))
    ax = ip.correlation_heatmap(cm)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(cm.columns)
    assert isinstance(cm, pd.DataFrame)


def test_rank_interval_legend_does_not_cover_rows(built):
    spec, hfi, res = built
    ua = pi.uncertainty(spec, hfi, n_draws=50, seed=1)
    d = ua.summary.iloc[::6].head(25)
    ax = ip.rank_interval_plot(d)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    bars = ax.lines[:len(d)]
    assert len(bars) == len(d)
    assert not any(box.overlaps(b.get_window_extent()) for b in bars)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "5-95% interval", "median rank", "nominal rank"]
    ax = ip.rank_interval_plot(d, legend="outside")
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 > ax.get_window_extent().x1
    assert ip.rank_interval_plot(d, legend=False).get_legend() is None
    with pytest.raises(TypeError, match="legend must be a matplotlib loc string, 'outside' or False"):
        ip.rank_interval_plot(d, legend=1)


def test_sensitivity_bars_words_and_unclipped_label(built):
    from polygov.plots.theme import set_theme

    idx = pd.DataFrame({"factor": ["treatment", "leave_one_out", "my_factor"], "S1": [0.2, 0.1, 0.3],
                        "S1_conf": 0.05, "ST": [0.4, 0.2, 0.35], "ST_conf": 0.05})
    words = ["outlier treatment", "leave one indicator out", "my factor"]
    with matplotlib.rc_context():
        set_theme()
        for orient, axis in (("h", "y"), ("v", "x")):
            ax = ip.sensitivity_bars(idx, orient=orient)
            fig = ax.figure
            fig.canvas.draw()
            ticks = getattr(ax, f"get_{axis}ticklabels")()
            got = [t.get_text().replace("\n", " ") for t in ticks]
            assert got == words
            boxes = [t.get_window_extent() for t in ticks]
            if orient == "h":                                           # first factor on top
                assert boxes[0].y0 > boxes[1].y0 > boxes[2].y0
            assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
            for lab in [t for t in (ax.xaxis.label, ax.yaxis.label, *ticks) if t.get_text()]:
                e = lab.get_window_extent()
                assert fig.bbox.contains(e.x0, e.y0) and fig.bbox.contains(e.x1, e.y1)
            assert "Sobol index" in (ax.get_xlabel() + ax.get_ylabel())
        ax = ip.sensitivity_bars(idx, labels={"my_factor": "mine"})
        assert ax.get_yticklabels()[2].get_text() == "mine"
    with pytest.raises(ValueError, match="orient"):
        ip.sensitivity_bars(idx, orient="x")
