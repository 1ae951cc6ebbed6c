"""One registry of covariance estimators for :mod:`polygov.regression`.

Every model in polygov names its covariance estimator with a string from
:data:`COVARIANCES`; an unknown name raises a ``ValueError`` that lists the
valid ones.  Each entry says which models accept it and which small-sample
correction is applied, so a reader can reproduce any standard error by hand.

Small-sample corrections (panel models, ``fit_panel``)
------------------------------------------------------
Notation: ``N`` observations, ``k`` slope coefficients (including the
intercept of a pooled model), ``K_fe`` the number of fixed-effect parameters
(``n_entities`` for entity effects; ``n_entities + n_periods - 1`` for two-way
effects), ``G`` the number of clusters.  The sandwich is
``V = (X'X)^-1 M (X'X)^-1`` on the within-transformed (demeaned) data.

``classical``
    ``V = s^2 (X'X)^-1`` with ``s^2 = RSS / (N - k - K_fe)``: the textbook
    degrees of freedom, identical to R ``plm``'s within estimator and to OLS
    with one dummy per fixed-effect level.
``robust``
    HC1: ``M = sum_i u_i^2 x_i x_i'`` times ``N / (N - k - K_fe)``.
``cluster``
    CR1: ``M = sum_g (X_g'u_g)(X_g'u_g)'`` times
    ``G/(G-1) * (N-1)/(N-K)``, where ``K = k`` plus the fixed-effect
    parameters that are *not* nested in the cluster variable, plus one for each
    fixed-effect dimension that is (its intercept).  Entity effects with
    entity clusters give ``K = k + 1``; two-way effects with entity clusters
    give ``K = k + n_periods``.  This is the convention of Stata's ``xtreg, fe
    vce(cluster)`` / ``reghdfe`` and of R ``fixest`` (``ssc(fixef.K =
    "nested")``); OLS with dummies in statsmodels counts *all* dummies in
    ``K``, so its clustered errors are larger by ``sqrt((N-K)/(N-K_all))``;
    R ``plm``'s ``vcovHC(type = "sss")`` counts only the slopes it estimates
    (``K = k``), so its errors are smaller by ``sqrt((N-K)/(N-k))`` (both
    conversions are tested on the Grunfeld data).
``ssc=`` (clustered errors): the choice of ``K`` and of the two factors
    is explicit, as in fixest's ``ssc()``: ``SSC(adj=True, fixef_k="nested",
    cluster_adj=True)`` is the default just described; ``fixef_k="none"``
    counts the slopes only (``K = k``: R ``plm``'s ``vcovHC(type = "sss")``,
    fixest ``ssc(fixef.K = "none")``); ``fixef_k="full"`` counts every
    fixed-effect parameter (``K = k + K_fe``: OLS with dummies, statsmodels);
    ``adj=False`` drops ``(N-1)/(N-K)``; ``cluster_adj=False`` drops
    ``G/(G-1)``.  Pass ``ssc="plm"``, ``"fixest"`` (= ``"stata"``, the
    default) or ``"dummies"`` for the three named conventions.
``twoway_cluster``
    Cameron, Gelbach & Miller (2011): ``V = V_a + V_b - V_ab`` (clusters by
    the first variable, by the second, and by their intersection), every term
    scaled by ``G_min/(G_min-1) * (N-1)/(N-K)`` with ``G_min`` the smaller
    number of clusters (fixest's ``cluster.df = "min"``).  If the result is
    not positive semi-definite its negative eigenvalues are *not* repaired;
    standard errors of such terms are NaN and a warning says so.
``driscoll_kraay``
    Driscoll & Kraay (1998): cross-sectional sums of scores
    ``h_t = sum_i x_it u_it`` enter a Newey-West (Bartlett kernel) long-run
    variance, ``M = G_0 + sum_{l=1..L} (1 - l/(L+1)) (G_l + G_l')`` with
    ``G_l = sum_t h_t h_{t-l}'``, scaled by ``T/(T-1) * (N-1)/(N-k-K_fe)``
    (``T`` periods treated as the clusters).  Default bandwidth
    ``L = floor(4 (T/100)^(2/9))`` (Newey & West 1994), at least 1.

Inference uses Student t with ``N - k - K_fe`` degrees of freedom for
``classical``/``robust`` and ``G - 1`` (``T - 1`` for Driscoll-Kraay,
``G_min - 1`` for two-way clusters) otherwise, as in fixest.

Cross-section models (``fit_cross_section``, statsmodels)
---------------------------------------------------------
``classical`` (``s^2 = RSS/(N-k)``), ``HC0``..``HC3`` (MacKinnon & White
1985; ``robust`` is an alias of ``HC1`` = HC0 * ``N/(N-k)``), ``cluster``
(CR1 with ``G/(G-1) * (N-1)/(N-k)``, t with ``G - 1`` df).

Random effects (``effects="random"``, linearmodels)
---------------------------------------------------
Swamy-Arora GLS (entity effects), estimated on the quasi-demeaned data by
linearmodels (``debiased=True``): ``classical`` uses ``s^2 = RSS*/(N - k)``
(identical to R ``plm``, tested); ``robust`` and ``driscoll_kraay`` (Bartlett
kernel) are scaled by ``N/(N - k)``; ``cluster`` and ``twoway_cluster`` by
``G/(G-1) * (N-1)/(N-k)`` (linearmodels' ``group_debias=True`` adds
``G/(G-1) * (N-1)/N``; for two-way clustering each term uses its own ``G``).
``k`` counts the intercept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..errors import check_in

__all__ = ["COVARIANCES", "CovarianceSpec", "SSC", "SSC_PRESETS", "get_covariance",
           "covariance_names", "get_ssc"]


@dataclass(frozen=True)
class CovarianceSpec:
    """Description of one covariance estimator.

    Attributes
    ----------
    name : str
        Registry key used in ``cov=``.
    label : str
        Human-readable label printed in tables (``"Clustered (iso3)"``...).
    models : tuple of str
        Models that accept it: ``"panel"``, ``"random"``, ``"cross_section"``.
    n_cluster_vars : int
        How many cluster variables it needs (0, 1 or 2).
    small_sample : str
        The correction factor, as documented in the module docstring.
    """

    name: str
    label: str
    models: tuple[str, ...]
    n_cluster_vars: int
    small_sample: str


COVARIANCES: dict[str, CovarianceSpec] = {
    spec.name: spec
    for spec in (
        CovarianceSpec("classical", "Classical", ("panel", "random", "cross_section"), 0,
                       "s^2 = RSS/(N - k - K_fe)"),
        CovarianceSpec("robust", "Robust (HC1)", ("panel", "random", "cross_section"), 0,
                       "N/(N - k - K_fe)"),
        CovarianceSpec("HC0", "Robust (HC0)", ("cross_section",), 0, "none"),
        CovarianceSpec("HC1", "Robust (HC1)", ("cross_section",), 0, "N/(N - k)"),
        CovarianceSpec("HC2", "Robust (HC2)", ("cross_section",), 0, "leverage 1/(1-h_ii)"),
        CovarianceSpec("HC3", "Robust (HC3)", ("cross_section",), 0, "leverage 1/(1-h_ii)^2"),
        CovarianceSpec("cluster", "Clustered", ("panel", "random", "cross_section"), 1,
                       "G/(G-1) * (N-1)/(N-K), K excludes FE nested in the clusters"),
        CovarianceSpec("twoway_cluster", "Two-way clustered", ("panel", "random"), 2,
                       "G_min/(G_min-1) * (N-1)/(N-K) on each of V_a, V_b, V_ab"),
        CovarianceSpec("driscoll_kraay", "Driscoll-Kraay", ("panel", "random"), 0,
                       "T/(T-1) * (N-1)/(N-k-K_fe), Bartlett kernel"),
    )
}


def covariance_names(model: str | None = None) -> list[str]:
    """Names of the covariance estimators a model accepts (all if ``model`` is None)."""
    return [n for n, s in COVARIANCES.items() if model is None or model in s.models]


def get_covariance(name: str, *, model: str) -> CovarianceSpec:
    """Return the :class:`CovarianceSpec` called ``name`` for ``model``.

    Raises
    ------
    ValueError
        If ``name`` is not in the registry or the model does not accept it;
        the message lists the valid names for that model.
    """
    if not isinstance(model, str) or model not in ("panel", "random", "cross_section"):
        raise ValueError(f"model must be 'panel', 'random' or 'cross_section', got {model!r}")
    valid = covariance_names(model)
    if not isinstance(name, str):
        raise TypeError(f"cov must be a string, one of {valid}; got {type(name).__name__}")
    check_in(name, valid, name=f"covariance estimator for a {model.replace('_', '-')} model (cov=)")
    return COVARIANCES[name]


@dataclass(frozen=True)
class SSC:
    """Small-sample correction of clustered standard errors (fixest's ``ssc()``).

    The clustered covariance is scaled by ``G/(G-1)`` (if ``cluster_adj``) times
    ``(N-1)/(N-K)`` (if ``adj``), with ``K`` = the slope coefficients plus, by
    ``fixef_k``:

    * ``"nested"`` (default; Stata ``xtreg, fe vce(cluster)``/``reghdfe``, fixest's
      default): the fixed-effect parameters not nested in a cluster variable, plus
      one for each nested fixed-effect dimension;
    * ``"none"``: no fixed-effect parameter (R ``plm``'s ``vcovHC(type = "sss")``);
    * ``"full"``: every fixed-effect parameter (OLS with dummies, statsmodels).

    Attributes
    ----------
    adj : bool
        Apply ``(N-1)/(N-K)``.
    fixef_k : {"nested", "none", "full"}
        How fixed effects enter ``K``.
    cluster_adj : bool
        Apply ``G/(G-1)`` (``G_min`` for two-way clustering).
    """

    adj: bool = True
    fixef_k: str = "nested"
    cluster_adj: bool = True

    def __post_init__(self) -> None:
        for name in ("adj", "cluster_adj"):
            v = getattr(self, name)
            if not isinstance(v, bool):
                raise TypeError(f"ssc {name} must be True or False, got {v!r}")
        if not isinstance(self.fixef_k, str) or self.fixef_k not in FIXEF_K:
            raise ValueError(f"ssc fixef_k must be one of {list(FIXEF_K)}, got {self.fixef_k!r}")

    @property
    def label(self) -> str:
        for name, preset in SSC_PRESETS.items():
            if preset == self:
                return name
        return f"adj={self.adj}, fixef_k={self.fixef_k!r}, cluster_adj={self.cluster_adj}"


FIXEF_K = ("nested", "none", "full")

#: Named conventions accepted by ``ssc=``.
SSC_PRESETS: dict[str, SSC] = {
    "fixest": SSC(), "stata": SSC(), "plm": SSC(fixef_k="none"), "dummies": SSC(fixef_k="full"),
}


def get_ssc(ssc: SSC | Mapping | str | None) -> SSC:
    """Return the :class:`SSC` for ``ssc=`` (None, a preset name, a dict or an SSC).

    Raises
    ------
    TypeError, ValueError
        An unknown preset or key, or a value of the wrong type; the message lists the
        valid ones.
    """
    if ssc is None:
        return SSC()
    if isinstance(ssc, SSC):
        return ssc
    if isinstance(ssc, str):
        if ssc not in SSC_PRESETS:
            raise ValueError(f"unknown ssc preset {ssc!r}; expected one of {list(SSC_PRESETS)} "
                             "or a dict such as {'adj': True, 'fixef_k': 'none', "
                             "'cluster_adj': True}")
        return SSC_PRESETS[ssc]
    if isinstance(ssc, Mapping):
        valid = [f.name for f in fields(SSC)]
        bad = [k for k in ssc if k not in valid]
        if bad:
            raise ValueError(f"unknown ssc option(s) {bad}; valid options are {valid}")
        return SSC(**dict(ssc))
    raise TypeError(f"ssc must be None, a preset name {list(SSC_PRESETS)}, a dict or an SSC, "
                    f"got {type(ssc).__name__}")
