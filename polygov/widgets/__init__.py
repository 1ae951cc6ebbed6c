"""Interactive labs: ipywidgets explorers over polygov's pure functions.

Each widget is a thin view over one pure function call, so everything a widget
shows can be reproduced in a script:

* :class:`IndexBuilder` over :func:`governance_ranking` - indicators,
  normalisation, weights (sliders that always sum to 1) and aggregation of a
  composite governance index (with the geometric or harmonic mean, on a strictly
  positive scale, see :func:`positive_normalisation`), the
  ranking, the position of China and a peer group, and rank shifts against the
  baseline index;
* :class:`RegressionExplorer` over :func:`fit_choice` - outcome,
  polycentricity measure, controls, fixed effects and clustering, the
  regression table and a coefficient plot;
* :class:`CountryProfile` over :func:`peer_bands` - one country's trajectory on
  each dimension against a peer-group band.

Updates are debounced (``debounce=`` seconds; ``0`` = synchronous, and
``widget.update()`` always recomputes now).  A choice that leaves no data, or
that the method cannot handle, shows a message in the widget instead of a
traceback.
"""

from __future__ import annotations

try:
    import ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - ipywidgets is a core dependency
    raise ImportError(
        "polygov.widgets needs ipywidgets (>= 8): install it with `pip install ipywidgets` "
        "(or `pip install polygov[widgets]`, which pulls in ipywidgets and jupyterlab)"
    ) from exc

from ._core import Debouncer, NoDataError, message_html
from .country_profile import PROFILE_DIMENSIONS, CountryProfile, country_profile_data, peer_bands
from .index_builder import (
    AGGREGATIONS,
    DEFAULT_INDICATORS,
    GOVERNANCE_INDICATORS,
    NORMALISATIONS,
    OVERLAPS,
    POSITIVE_NORMALISATIONS,
    IndexBuilder,
    effective_weights,
    governance_ranking,
    overlap_note,
    positive_normalisation,
)
from .regression_explorer import (
    CONTROLS,
    OUTCOMES,
    POLYCENTRICITY_MEASURES,
    RegressionExplorer,
    explorer_data,
    fit_choice,
)

__all__ = [
    "AGGREGATIONS",
    "CONTROLS",
    "DEFAULT_INDICATORS",
    "GOVERNANCE_INDICATORS",
    "NORMALISATIONS",
    "OUTCOMES",
    "OVERLAPS",
    "POLYCENTRICITY_MEASURES",
    "POSITIVE_NORMALISATIONS",
    "PROFILE_DIMENSIONS",
    "CountryProfile",
    "Debouncer",
    "IndexBuilder",
    "NoDataError",
    "RegressionExplorer",
    "country_profile_data",
    "effective_weights",
    "explorer_data",
    "fit_choice",
    "governance_ranking",
    "message_html",
    "overlap_note",
    "peer_bands",
    "positive_normalisation",
]
