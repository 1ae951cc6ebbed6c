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


# --- the course palette: Okabe-Ito, China highlighted, distinguishable under colour-vision deficiency
# Simulation: Machado, Oliveira & Fernandes (2009) severity-1.0 matrices on linear RGB; distances in
# CIELAB (D65).  Threshold: a CIE76 difference of 10 between any two colours sharing a line style.
_MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _lab(hex_colour, matrix=None):
    import numpy as np
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(hex_colour))
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        lin = np.clip(np.array(matrix) @ lin, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_palette_is_okabe_ito_with_china_vermillion():
    from polygov.plots import theme

    assert theme.COUNTRY_COLOURS["CHN"] == theme.CHINA_COLOUR == "#D55E00"
    assert set(theme.COUNTRY_COLOURS.values()) <= set(theme.OKABE_ITO.values())
    assert set(theme.COUNTRY_COLOURS) == set(theme.COUNTRY_LINESTYLES)
    # China's colour is used by no other country
    assert [c for c, v in theme.COUNTRY_COLOURS.items() if v == theme.CHINA_COLOUR] == ["CHN"]
    # no two countries share both colour and line style
    pairs = [(theme.COUNTRY_COLOURS[c], theme.COUNTRY_LINESTYLES[c]) for c in theme.COUNTRY_COLOURS]
    assert len(set(pairs)) == len(pairs)


def test_china_peers_all_have_fixed_style():
    from polygov import countries
    from polygov.plots import theme

    for iso in countries.peer_group("China peers"):
        assert iso in theme.COUNTRY_COLOURS
        assert theme.country_linestyle(iso) in {"solid", "dashed", "dotted"}
    assert theme.country_linestyle("FRA") == "solid"
    with pytest.raises(TypeError, match="iso3 must be an ISO3 code string"):
        theme.country_linestyle(3)


@pytest.mark.parametrize("deficiency", [None, *_MACHADO])
def test_palette_distinguishable_under_colour_vision_deficiency(deficiency):
    import itertools

    import numpy as np

    from polygov.plots import theme

    m = None if deficiency is None else _MACHADO[deficiency]
    for style in ("solid", "dashed", "dotted"):
        cols = sorted({theme.COUNTRY_COLOURS[c] for c, s in theme.COUNTRY_LINESTYLES.items()
                       if s == style})
        for a, b in itertools.combinations(cols, 2):
            d = float(np.linalg.norm(_lab(a, m) - _lab(b, m)))
            assert d > 10, (deficiency, style, a, b, d)
    # China stands out from the grey of "other countries" too
    assert np.linalg.norm(_lab(theme.CHINA_COLOUR, m) - _lab(theme.OTHER_COLOUR, m)) > 10


def test_country_palette_highlight_and_validation():
    from polygov.plots import theme

    pal = theme.country_palette(["CHN", "IND", "FRA"], highlight=["CHN"])
    assert pal == {"CHN": "#D55E00", "IND": theme.OTHER_COLOUR, "FRA": theme.OTHER_COLOUR}
    pal = theme.country_palette(["CHN", "FRA", "ITA"])
    assert pal["FRA"] in theme.OKABE_ITO.values() and pal["FRA"] != pal["CHN"]
    with pytest.raises(TypeError, match="not a single string"):
        theme.country_palette("CHN")
