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


def test_sensitivity_and_heatmap(built):
    spec, hfi, res = built
    sa = pi.sobol(spec, hfi, n_base=64, seed=1, factors=["aggregation", "weights"])
    ax = ip.sensitivity_bars(sa.indices)
    assert len(ax.patches) == 4 and "Sobol" in ax.get_ylabel()
    cm = au.correlation_matrix(res, levels=(2, 3))
    ax = ip.correlation_heatmap(cm)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(cm.columns)
    assert isinstance(cm, pd.DataFrame)
