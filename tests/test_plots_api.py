"""Every plot function is reachable from polygov.plots and returns an Axes-like object."""

import importlib

import pytest

import polygov.plots as plots


@pytest.mark.parametrize("name", sorted(plots._FUNCTIONS))
def test_flat_names_resolve_to_the_submodule_function(name):
    mod = importlib.import_module(f"polygov.plots.{plots._FUNCTIONS[name]}")
    assert getattr(plots, name) is getattr(mod, name)
    assert name in mod.__all__


def test_unknown_plot_name():
    with pytest.raises(AttributeError, match="no attribute 'heatmapp'"):
        plots.heatmapp  # noqa: B018


def test_coverage_heatmap_and_bars(rng):
    import pandas as pd

    import polygov as pg

    hfi = pg.data.load("hfi")
    cov = pg.data.coverage(hfi, columns=["pf_rol", "ef_legal", "pf_association"])
    ax = plots.missingness_bars(cov, x="share", y="indicator")
    assert ax.get_xlim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == cov.sort_values("share", ascending=False).indicator.tolist()
    long = pd.DataFrame({"year": [2008, 2009, 2008, 2009], "source": ["a", "a", "b", "b"], "countries": [1, 2, 3, 4]})
    ax = plots.coverage_heatmap(long)
    assert ax.get_xlabel() == "year" and ax.get_ylabel() == "source"
    with pytest.raises(KeyError, match="countrys"):
        plots.coverage_heatmap(long, value="countrys")
