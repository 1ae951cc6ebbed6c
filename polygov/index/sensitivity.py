"""Uncertainty and sensitivity analysis (kept for compatibility; the code now lives in three modules).

- :mod:`polygov.index.engine`: the vectorised draw engine (alternatives prepared once,
  draws aggregated in batches);
- :mod:`polygov.index.uncertainty`: :func:`uncertainty` and :class:`UncertaintyResult`;
- :mod:`polygov.index.sobol`: :func:`sobol` and :class:`SensitivityResult`.
"""

from .sobol import FACTORS, SensitivityResult, sobol
from .uncertainty import UncertaintyResult, uncertainty

__all__ = ["FACTORS", "SensitivityResult", "UncertaintyResult", "sobol", "uncertainty"]
