"""Tests for polygov.plots.regression: the functions draw tidy output and never fit."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from polygov.plots.regression import coef_plot, marginal_effect_plot, specification_curve_plot
from polygov.regression import fit_panel, marginal_effect, specification_curve


@pytest.fixture
def panel(rng):
    n, t = 40, 8
    d = pd.DataFrame({"iso3": np.repeat([f"C{i:02d}" for i in range(n)], t),
                      "year": np.tile(np.arange(2000, 2000 + t), n)})
    d["x"] = rng.normal(size=n * t)
    d["z"] = rng.normal(size=n * t)
    d["w"] = rng.normal(size=n * t)
    d["y"] = d.x + 0.5 * d.x * d.z + rng.normal(size=n * t)
    return d


def test_coef_plot_single_and_hue(panel):
    a = fit_panel(panel, "y ~ x + z + w").tidy().assign(model="TWFE")
    b = fit_panel(panel, "y ~ x + z + w", effects="entity").tidy().assign(model="FE")
    ax = coef_plot(a)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "z", "w"]
    ax2 = coef_plot(pd.concat([a, b]), hue="model")
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["TWFE", "FE"]
    # the drawn points are the estimates
    np.testing.assert_allclose(sorted(ax.lines[0].get_xdata()), sorted(a.estimate))
    with pytest.raises(KeyError, match="'ci_low'"):
        coef_plot(a.drop(columns="ci_low"))


def test_marginal_effect_plot(panel):
    res = fit_panel(panel, "y ~ x * z")
    me = marginal_effect(res, "x", "z", data=panel, n=20)
    ax = marginal_effect_plot(me, x="z", rug=panel.z)
    assert ax.get_xlabel() == "z" and ax.get_ylabel() == "marginal effect"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), me.sort_values("z").estimate)
    assert len(ax.collections) == 1  # the band


def test_specification_curve_plot(panel):
    curve = specification_curve(panel.assign(y2=panel.y * 2), outcomes=["y", "y2"],
                                treatments=["x"], controls={"none": [], "w": ["w"]},
                                estimators=["twoway", "entity"])
    axes = specification_curve_plot(curve)
    assert axes.shape == (2,)
    labels = [t.get_text() for t in axes[1].get_yticklabels()]
    assert labels == ["outcome: y", "outcome: y2", "controls: none", "controls: w",
                      "estimator: entity", "estimator: twoway"]
    np.testing.assert_allclose(np.sort(axes[0].collections[1].get_offsets()[:, 1]),
                               np.sort(curve.estimate))
    with pytest.raises(ValueError, match="no successful specification"):
        specification_curve_plot(curve.assign(estimate=np.nan))
