"""Composite indices: framework, immutable spec, pure build, uncertainty and sensitivity.

The JRC/OECD Handbook's construction cycle (COINr's vocabulary) in a small, fast design::

    import polygov.index as pi
    fw = pi.framework_from_table(meta)            # code, parent, weight, direction
    spec = pi.IndexSpec(fw, normalisation="minmax", aggregation="arithmetic")
    res = pi.build(spec, data)                    # every stage, scores, ranks, log
    res.explain("AUT", "Index")
    ua = pi.uncertainty(spec, data, n_draws=1000, seed=1)
    sa = pi.sobol(spec, data, n_base=1024, seed=1)

For COINr users
---------------
=========================================  ===============================================
COINr                                      polygov
=========================================  ===============================================
``new_coin(iData, iMeta)``                 ``from_coinr(iData, iMeta)`` -> (data, Framework)
the coin's ``Log`` + ``Regen()``           ``IndexSpec`` (frozen) + ``build(spec, data)``;
                                           ``spec.replace(...)`` then ``build`` again
``Denominate()``                           ``IndexSpec(denominators=...)``
``Screen(dat_thresh=)``                    ``IndexSpec(min_unit_coverage=)``
``Impute(f_i="i_mean_grp")``               ``IndexSpec(imputation="group_mean", impute_by=)``
``Treat()`` / ``qTreat()``                 ``IndexSpec(treatment="winsorise",
                                           treatment_params={"winmax": 5, ...})``
``Normalise(f_n="n_minmax")``              ``IndexSpec(normalisation="minmax",
                                           normalisation_params={"lo": 1, "hi": 100})``
``Aggregate(f_ag="a_amean", dat_thresh=)`` ``IndexSpec(aggregation=..., min_coverage=)``
``get_results()``                          ``result.scores`` / ``result.index_scores()``
``compare_coins_multi()``                  ``compare({"a": res_a, "b": res_b})``
``get_PCA()``, ``get_opt_weights()``       ``pca_weights``, ``correlation_weights``
``get_corr()``, ``get_cronbach()``         ``polygov.audit.correlation_matrix``,
                                           ``polygov.audit.cronbach_alpha``
``get_sensitivity(SA_type="UA"/"SA")``     ``uncertainty(...)`` / ``sobol(...)``
``get_noisy_weights()``                    ``uncertainty(weight_noise=0.25, noise_levels=)``
=========================================  ===============================================
"""

from .aggregate import AGGREGATORS
from .build import IndexResult, build, compare
from .denominate import denominate
from .examples import hfi_governance_framework
from .framework import Framework, framework_from_table, from_coinr
from .impute import IMPUTERS, impute
from .normalise import NORMALISERS, normalise
from .sobol import SensitivityResult, sobol
from .spec import IndexSpec
from .treat import treat_series, winsorise
from .uncertainty import UncertaintyResult, uncertainty
from .weights import bod_weights, correlation_weights, equal_weights, pca_weights

__all__ = [
    "AGGREGATORS",
    "IMPUTERS",
    "NORMALISERS",
    "Framework",
    "IndexResult",
    "IndexSpec",
    "SensitivityResult",
    "UncertaintyResult",
    "bod_weights",
    "build",
    "compare",
    "correlation_weights",
    "denominate",
    "equal_weights",
    "framework_from_table",
    "hfi_governance_framework",
    "from_coinr",
    "impute",
    "normalise",
    "pca_weights",
    "sobol",
    "treat_series",
    "uncertainty",
    "winsorise",
]
