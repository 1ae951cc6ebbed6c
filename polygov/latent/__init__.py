"""Latent governance scores with margins of error: the unobserved-components model.

Governance is never observed directly; every source (survey, expert rating,
indicator) is a noisy signal of it.  :func:`ucm` combines the sources with the
unobserved-components model (UCM) of the World Bank's Worldwide Governance
Indicators (Kaufmann, Kraay and Mastruzzi 2010) and returns, for every
country(-year), the posterior mean of the latent score, its posterior standard
deviation (the "margin of error"), a confidence interval, the number of
sources used and a percentile rank with its interval.

Helpers answer the questions a margin of error is for:
:func:`prob_greater` (is A really better than B?), :func:`significant_change`
(did a country really change?) and :func:`share_non_overlapping` (how many
pairwise comparisons are informative at all?).  :func:`residual_correlation`
checks the model's assumption of independent errors, and ``ucm(...,
groups=...)`` combines several columns of one provider into one source, as
the WGI do with multi-question sources.

References
----------
Kaufmann, D., Kraay, A. and Mastruzzi, M. (2010). The Worldwide Governance
Indicators: Methodology and Analytical Issues. World Bank Policy Research
Working Paper 5430.  Kaufmann, D. and Kraay, A. (2024). Worldwide Governance
Indicators, 2024 Update: methodology note (www.govindicators.org).


Layout: :mod:`.fit` (:func:`ucm`), :mod:`.em` (the EM fit), :mod:`.posterior` (the
posterior given the parameters, :func:`percentile_rank`), :mod:`.uncertainty`
(propagating the parameters' own uncertainty), :mod:`.compare` (comparisons),
:mod:`.diagnostics` (:func:`residual_correlation`), :mod:`.inputs` (input checks),
:mod:`.result` (:class:`UCMResult`).
"""

from __future__ import annotations

from .compare import prob_greater, share_non_overlapping, significant_change
from .diagnostics import residual_correlation
from .em import _em, _loglik, _score  # noqa: F401 - engine, used by the tests
from .fit import ucm
from .posterior import _posterior, percentile_rank  # noqa: F401
from .result import UCMResult

__all__ = [
    "UCMResult",
    "ucm",
    "prob_greater",
    "significant_change",
    "share_non_overlapping",
    "percentile_rank",
    "residual_correlation",
]
