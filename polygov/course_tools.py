"""Small helpers for the course notebooks: self-checks and a few teaching computations.

- :func:`self_check` tells a student whether a numeric answer is right, without printing
  the expected value (so the student version of a notebook still teaches);
- :func:`within_sd` is the typical within-unit standard deviation of a variable (Mummolo &
  Peterson 2018), to state fixed-effects estimates on a realistic scale;
- :func:`constant_composition` re-aggregates an index's pillars so that no country changes
  the set of pillars its score is made of within a panel;
- :func:`expected_false_positives` is the number of "significant" results that chance alone
  produces when many units are tested at once.

Nothing here reads data or touches global state.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd

__all__ = ["SelfCheck", "constant_composition", "expected_false_positives", "self_check", "within_sd"]


class SelfCheck:
    """The verdict of :func:`self_check`: prints "Correct" or "Not yet", never the answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is within the tolerance of the expected value.
    label : str
        What was checked.
    """

    __slots__ = ("correct", "hint", "label")

    def __init__(self, correct: bool, label: str, hint: str | None = None):
        self.correct = bool(correct)
        self.label = label
        self.hint = hint

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        what = f" ({self.label})" if self.label else ""
        if self.correct:
            return f"Correct{what}."
        tip = f" Hint: {self.hint}" if self.hint else ""
        return f"Not yet{what}: your answer is not within the tolerance.{tip}"

    def _repr_pretty_(self, p, cycle):  # IPython's pretty printer
        p.text(repr(self))


def _as_array(value, name: str) -> np.ndarray:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(f"{name} must be a number or a sequence of numbers, got {value!r}")
    if isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or a sequence of numbers, got {value!r}") from exc
    return arr


def self_check(answer, expected, *, tol: float = 0.01, rel: bool = False, label: str = "",
               hint: str | None = None) -> SelfCheck:
    """Compare a student's numeric answer with a value computed in the notebook.

    Parameters
    ----------
    answer : number or sequence of numbers
        The student's answer (``None`` or ``...`` means "not answered yet").
    expected : number or sequence of numbers
        The value computed from the data (never shown).
    tol : float
        Tolerance: absolute (default) or relative to ``|expected|`` when ``rel=True``.
    rel : bool
        Use a relative tolerance.
    label : str
        What is checked (shown in the verdict).
    hint : str, optional
        A hint shown when the answer is wrong.

    Returns
    -------
    SelfCheck
        Displays as "Correct (label)." or "Not yet (label): …"; true when correct.

    Raises
    ------
    TypeError
        ``answer`` or ``expected`` is not numeric.
    ValueError
        ``tol`` is negative or not finite; ``answer`` and ``expected`` differ in shape;
        ``expected`` is not finite.

    Notes
    -----
    The check is ``|answer - expected| <= tol`` (times ``|expected|`` when ``rel``), element
    by element; a missing (NaN) answer is wrong.
    """
    if not isinstance(tol, Real) or isinstance(tol, bool) or not math.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite non-negative number, got {tol!r}")
    if answer is None or answer is Ellipsis:
        return SelfCheck(False, label, hint or "replace ... with your answer")
    a = _as_array(answer, "answer")
    e = _as_array(expected, "expected")
    if not np.all(np.isfinite(e)):
        raise ValueError(f"expected must be finite, got {e.tolist()!r}")
    if a.shape != e.shape:
        raise ValueError(f"answer has shape {a.shape}, expected shape {e.shape}")
    bound = tol * np.abs(e) if rel else tol
    ok = bool(np.all(np.isfinite(a)) and np.all(np.abs(a - e) <= bound))
    return SelfCheck(ok, label, hint)


def within_sd(data: pd.DataFrame, column: str, *, unit: str = "iso3",
              time: str | None = None) -> float:
    """Standard deviation of a variable after removing each unit's mean (and each period's).

    A fixed-effects coefficient compares a unit with itself, so "one standard deviation
    more" should be a within-unit standard deviation, which is usually far smaller than the
    overall one (Mummolo & Peterson 2018).

    Parameters
    ----------
    data : DataFrame
        Long panel with ``unit``, ``column`` (and ``time`` if given).
    column : str
        The variable.
    unit : str
        The unit (country) column.
    time : str, optional
        Also remove period means (two-way demeaning by alternating projections), matching
        a two-way fixed-effects model.

    Returns
    -------
    float
        The standard deviation (``ddof=1``) of the demeaned values over the rows where
        ``column`` is observed.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame.
    KeyError
        A named column is missing.
    ValueError
        Fewer than two observed rows.

    References
    ----------
    Mummolo, J. & Peterson, E. (2018). Improving the interpretation of fixed effects
    regression results. *Political Science Research and Methods* 6(4), 829-835.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    need = [unit, column] + ([time] if time is not None else [])
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in data; available: {sorted(map(str, data.columns))}")
    d = data[need].dropna()
    if len(d) < 2:
        raise ValueError(f"column {column!r} has {len(d)} observed row(s); need at least 2")
    x = d[column].astype(float)
    x = x - x.groupby(d[unit]).transform("mean")
    if time is not None:
        for _ in range(1000):
            x = x - x.groupby(d[time]).transform("mean")
            shift = x.groupby(d[unit]).transform("mean")
            x = x - shift
            if float(np.abs(shift).max()) < 1e-12:
                break
    return float(x.std(ddof=1))


def expected_false_positives(n_tests: int, level: float) -> float:
    """Expected number of "significant" results under the null in ``n_tests`` tests.

    Parameters
    ----------
    n_tests : int
        Number of tests (e.g. countries tested for a change).
    level : float
        Confidence level of each test, e.g. 0.90 (so each test has a 10% false-positive rate).

    Returns
    -------
    float
        ``n_tests * (1 - level)``: the count expected by chance if nothing changed anywhere
        (an expectation; with correlated tests the spread around it is larger).

    Raises
    ------
    TypeError
        ``n_tests`` is not an integer.
    ValueError
        ``n_tests`` is negative or ``level`` is not in (0, 1).
    """
    if isinstance(n_tests, bool) or not isinstance(n_tests, int | np.integer):
        raise TypeError(f"n_tests must be an integer, got {n_tests!r}")
    if n_tests < 0:
        raise ValueError(f"n_tests must be >= 0, got {n_tests}")
    if not isinstance(level, Real) or not 0 < level < 1:
        raise ValueError(f"level must be a confidence level in (0, 1), e.g. 0.90; got {level!r}")
    return float(n_tests) * (1.0 - float(level))


def constant_composition(pillars: pd.DataFrame, *, unit: str = "iso3",
                         weights: dict | None = None) -> pd.DataFrame:
    """Arithmetic index over the pillars each unit has in *every* year it is scored.

    An arithmetic composite that rescales its weights over the available pillars changes
    composition when a pillar enters or leaves a country's data: its score jumps from a
    two- to a three-pillar mean although nothing happened.  This keeps, for each unit, only
    the pillars observed in all of its years, so the composition is constant within the
    unit's series (the pillar set may still differ between units).

    Parameters
    ----------
    pillars : DataFrame
        Pillar scores indexed by (``unit``, year) - e.g. the pillar columns of
        ``IndexResult.stages["aggregated"]``.
    unit : str
        Name of the index level holding the unit.
    weights : dict column -> weight, optional
        Pillar weights (default equal); rescaled over each unit's kept pillars.

    Returns
    -------
    DataFrame
        Indexed like ``pillars``: ``score`` (the re-aggregated index), ``n_pillars`` (how many
        pillars the unit's score uses) and ``changed`` (True for the rows of units whose
        pillar set varied, so their score differs from the rescaled-weights mean).

    Raises
    ------
    TypeError
        ``pillars`` is not a DataFrame.
    KeyError
        ``unit`` is not an index level, or ``weights`` names an unknown column.
    ValueError
        A weight is negative or all weights are zero.

    Notes
    -----
    Rows of a unit in which one of its kept pillars is missing get no score (the unit's
    kept set is the intersection of its years' pillar sets, so this happens only when a
    year has no pillar at all).  Equivalent to requiring complete pillars per unit, not per
    panel: a stricter rule (all pillars for every unit) drops every unit that lacks one.
    """
    if not isinstance(pillars, pd.DataFrame):
        raise TypeError(f"pillars must be a pandas DataFrame, got {type(pillars).__name__}")
    if unit not in (pillars.index.names or []):
        raise KeyError(f"unit {unit!r} is not an index level of pillars; levels: {list(pillars.index.names)}")
    cols = list(pillars.columns)
    w = pd.Series(1.0, index=cols) if weights is None else pd.Series(weights, dtype=float)
    unknown = sorted(set(w.index) - set(cols))
    if unknown:
        raise KeyError(f"weights name unknown column(s) {unknown}; pillars has {cols}")
    w = w.reindex(cols).fillna(0.0)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {w.to_dict()}")
    obs = pillars.notna()
    scored = obs.any(axis=1)
    keep = obs[scored].groupby(level=unit).transform("all").reindex(pillars.index, fill_value=False)
    varied = (obs[scored].groupby(level=unit).nunique() > 1).any(axis=1)
    mask = keep & scored.to_numpy()[:, None]
    ww = mask.astype(float) * w.to_numpy()
    num = (pillars.fillna(0.0) * ww).sum(axis=1)
    den = ww.sum(axis=1)
    score = (num / den).where(den > 0)
    score = score.where(~(mask & pillars.isna()).any(axis=1))
    units = pillars.index.get_level_values(unit)
    return pd.DataFrame({"score": score, "n_pillars": mask.sum(axis=1).astype(int),
                         "changed": units.map(varied.reindex(units.unique(), fill_value=False)).astype(bool)},
                        index=pillars.index)
