"""Issue 14, silent wrong results in the regression entry points: keys pass polygov.keys first.

Each test reproduces a case on the bundled HFI panel (``pg.data.load("hfi")``, real data)
that gave a wrong result before and pins the fixed result equal to the clean-data fit
(exactly: the same rows reach the estimator).  The old numbers, measured on the code
before this change (commit b10aa39) with ``fit_panel(hfi, "pf_rol ~ pf_association")``
(two-way FE, clustered by country):

* clean data: 141 entities, estimate 0.0336;
* ``iso3`` lower-cased in 2016: 274 entities, estimate 0.0252;
* ``year`` of 2016 stored as the string ``"2016"`` for half the countries: 10 periods
  instead of 9;
* the 2016 cross-section stacked twice: N doubled, standard errors shrunk by √2.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import polygov as pg
from polygov.keys import KeyNormalisationWarning
from polygov.regression import fit_cross_section, fit_panel, fit_quantile, specification_curve

F = "pf_rol ~ pf_association"


@pytest.fixture(scope="module")
def hfi():
    return pg.data.load("hfi")


def _same(a, b):
    pd.testing.assert_frame_equal(a.tidy(), b.tidy(), check_exact=False, rtol=1e-12, atol=1e-14)
    assert (a.nobs, a.n_entities, a.n_periods, a.n_clusters) == (
        b.nobs, b.n_entities, b.n_periods, b.n_clusters)


def test_lower_case_iso3_in_one_year_no_longer_splits_entities(hfi):
    clean = fit_panel(hfi, F)
    d = hfi.copy()
    m = d.year == 2016
    d.loc[m, "iso3"] = d.loc[m, "iso3"].str.lower()
    with pytest.warns(KeyNormalisationWarning, match=rf"normalised {int(m.sum())} value\(s\) of "
                                                     r"key 'iso3'"):
        res = fit_panel(d, F)
    assert clean.n_entities == 141  # old, with the lower-case year: 274
    assert res.n_entities == 141
    assert clean.params["pf_association"] == pytest.approx(0.0336, abs=5e-5)  # old: 0.0252
    _same(res, clean)
    assert d.loc[m, "iso3"].str.islower().all()  # input untouched


def test_white_space_in_codes_is_stripped(hfi):
    clean = fit_panel(hfi, F, effects="entity")
    d = hfi.assign(iso3=lambda f: np.where(f.year == 2010, " " + f.iso3 + " ", f.iso3))
    with pytest.warns(KeyNormalisationWarning):
        _same(fit_panel(d, F, effects="entity"), clean)


def test_years_mixing_strings_and_integers_are_one_period(hfi):
    clean = fit_panel(hfi, F)
    d = hfi.astype({"year": object})
    half = (d.year == 2016) & (d.iso3 < "M")  # one year stored both ways
    d.loc[half, "year"] = "2016"
    with pytest.warns(KeyNormalisationWarning, match=rf"normalised {int(half.sum())} value\(s\) "
                                                     "of key 'year' \\(to integer years"):
        res = fit_panel(d, F)
    assert res.n_periods == clean.n_periods == 9  # old: 10
    _same(res, clean)


def test_capitalised_key_columns_are_found(hfi):
    clean = fit_panel(hfi, F)
    res = fit_panel(hfi.rename(columns={"iso3": "ISO3", "year": "Year"}), F)
    _same(res, clean)


def test_duplicated_panel_rows_are_refused_naming_rows(hfi):
    d = pd.concat([hfi, hfi[hfi.year == 2012]])
    with pytest.raises(ValueError, match=r"duplicated keys \['iso3', 'year'\].*iso3='\w{3}', "
                                         r"year=.*2012"):
        fit_panel(d, F)
    d2 = hfi.astype({"year": float})
    d2.loc[d2.index[0], "year"] = 2016.5
    with pytest.raises(ValueError, match=r"time key 'year' must hold whole-number years"):
        fit_panel(d2, F)


def test_cross_section_stacked_twice_is_refused(hfi):
    cs = hfi[hfi.year == 2016]
    one = fit_cross_section(cs, F)
    assert one.nobs == cs[["pf_rol", "pf_association"]].dropna().shape[0]
    with pytest.raises(ValueError, match=r"duplicated keys \['iso3', 'year'\]"):
        fit_cross_section(pd.concat([cs, cs]), F)  # old: N doubled, SEs / sqrt(2)
    with pytest.raises(ValueError, match=r"duplicated keys \['iso3'\]"):
        fit_cross_section(pd.concat([cs, cs]).drop(columns="year"), F)
    with pytest.raises(ValueError, match="duplicated keys"):
        fit_quantile(pd.concat([cs, cs]), F)
    # lower-case codes in a cross-section: normalised, same fit
    with pytest.warns(KeyNormalisationWarning):
        low = fit_cross_section(cs.assign(iso3=cs.iso3.str.lower()), F)
    pd.testing.assert_frame_equal(low.tidy(), one.tidy())


def test_cross_section_of_several_years_is_unique_on_iso3_and_year(hfi):
    two = hfi[hfi.year.isin([2015, 2016])]
    res = fit_cross_section(two, F)  # one row per (iso3, year): accepted
    assert res.nobs == two[["pf_rol", "pf_association"]].dropna().shape[0]
    # respondents-style data without a key check, when asked for
    res2 = fit_cross_section(pd.concat([two, two]), F, keys=None)
    assert res2.nobs == 2 * res.nobs
    with pytest.raises(TypeError, match="keys must be 'auto', None, or a list"):
        fit_cross_section(two, F, keys=5)


def test_specification_curve_normalises_keys_once(hfi):
    d = hfi.copy()
    d.loc[d.year == 2016, "iso3"] = d.loc[d.year == 2016, "iso3"].str.lower()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        curve = specification_curve(d, outcomes=["pf_rol"], treatments=["pf_association"])
    assert sum(issubclass(x.category, KeyNormalisationWarning) for x in w) == 1
    clean = fit_panel(hfi, F)
    assert curve.loc[0, "estimate"] == pytest.approx(clean.params["pf_association"], abs=1e-12)
    with pytest.raises(ValueError, match="duplicated keys"):
        specification_curve(pd.concat([hfi, hfi]), outcomes=["pf_rol"],
                            treatments=["pf_association"])


def test_string_regressor_names_the_column_and_suggests_c(hfi):
    # old: a numpy isfinite TypeError from inside pyfixest
    with pytest.raises(TypeError, match=r"regressor 'region' of data has dtype string.*C\(region\)"):
        fit_panel(hfi, "pf_rol ~ pf_association + region", effects="none")
    with pytest.raises(TypeError, match=r"regressor 'region'.*C\(region\)"):
        fit_cross_section(hfi[hfi.year == 2016], "pf_rol ~ region")
    with pytest.raises(TypeError, match=r"regressor 'region'.*C\(region\)"):
        fit_quantile(hfi[hfi.year == 2016], "pf_rol ~ region")
    with pytest.raises(TypeError, match=r"regressor 'region'.*C\(region\)"):
        fit_panel(hfi, y="pf_rol", x=["pf_association", "region"])
    res = fit_panel(hfi, "pf_rol ~ pf_association + C(region)", effects="none")
    assert any(t.startswith("C(region)") for t in res.params.index)
