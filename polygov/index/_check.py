"""Argument checks shared by every public function of :mod:`polygov.index` (and :mod:`polygov.audit`).

One mechanism for one kind of defect: each public function checks the type and range of
its arguments up front with these helpers, so a bad value gives a ``TypeError`` or
``ValueError`` that names the argument, shows the value and says what is expected,
never a raw numpy/pandas traceback from deep inside a build.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping

import numpy as np

from ..errors import _fmt, close_matches

__all__ = ["check_bool", "check_int", "check_mapping", "check_params", "check_real", "check_seed"]


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_))


def check_int(value, name: str, *, minimum: int | None = None, power_of_two: bool = False,
              none_ok: bool = False) -> int | None:
    """Return ``value`` as an ``int``; a whole-number float (``1e4``) is accepted.

    Raises ``TypeError`` for strings, booleans, ``None`` (unless ``none_ok``) and fractional
    numbers; ``ValueError`` below ``minimum`` or (``power_of_two``) not a power of two.
    """
    if value is None and none_ok:
        return None
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}"
                        + (f" (use {name}={int(value)})" if isinstance(value, str)
                           and value.strip().isdigit() else ""))
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif math.isfinite(float(value)) and float(value).is_integer():
        v = int(value)
    else:
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if minimum is not None and v < minimum:
        what = f"a power of two >= {minimum}" if power_of_two else f">= {minimum}"
        raise ValueError(f"{name} must be {what}, got {v}")
    if power_of_two and v & (v - 1):
        lo = 1 << (v.bit_length() - 1)
        raise ValueError(f"{name} must be a power of two (Saltelli's sample is balanced only then), "
                         f"got {v}; use {lo} or {lo * 2}")
    return v


def check_real(value, name: str, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False, none_ok: bool = False) -> float | None:
    """Return ``value`` as a finite ``float`` in the stated interval, or raise naming ``name``."""
    if value is None and none_ok:
        return None
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    low_bad = lo is not None and (v <= lo if lo_open else v < lo)
    high_bad = hi is not None and (v >= hi if hi_open else v > hi)
    if low_bad or high_bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        rng = f"{left}{'-inf' if lo is None else lo:g}, {'inf' if hi is None else hi:g}{right}" \
            if lo is not None and hi is not None else (f">= {lo:g}" if lo is not None else f"<= {hi:g}")
        hint = (f"; it looks like a percentage: use {name}={v / 100:g}"
                if hi == 1 and 1 < v <= 100 else "")
        raise ValueError(f"{name} must be in {rng}, got {value!r}{hint}")
    return v


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a ``bool``; only ``True``/``False`` (or numpy booleans) are accepted."""
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(seed, name: str = "seed"):
    """Accept ``None``, a non-negative integer, a ``numpy.random.Generator`` or ``SeedSequence``."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if _is_bool(seed) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, a non-negative integer or a numpy Generator, got "
                        f"{seed!r} of type {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed}")
    return int(seed)


def check_mapping(value, name: str, *, none_ok: bool = True) -> Mapping | None:
    """Raise ``TypeError`` unless ``value`` is a mapping (or ``None`` when allowed)."""
    if value is None and none_ok:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (dict), got {value!r} of type "
                        f"{type(value).__name__}")
    return value


def check_params(func: Callable, params, name: str, *, skip: tuple[str, ...] = (),
                 numeric: tuple[str, ...] = ("lower", "upper", "target"),
                 required: bool = True) -> dict:
    """Check keyword parameters against ``func``'s keyword-only signature.

    Unknown names raise ``KeyError`` naming them and the valid ones; (``required``) a
    missing required parameter raises ``KeyError``; parameters whose default is a number
    (or listed in ``numeric``) must be real numbers, those with an integer default
    integers and those with a boolean default booleans (``TypeError`` otherwise).
    """
    params = dict(check_mapping(params, name, none_ok=False))
    sig = inspect.signature(func).parameters
    valid = {k: p for k, p in sig.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and k not in skip
             and k not in ("x", "data") and not k.startswith("_")}
    bad = [k for k in params if k not in valid]
    fname = getattr(func, "__name__", "the method")
    if bad:
        near = {b: close_matches(str(b), valid) for b in bad}
        hint = "".join(f"; {b!r}: did you mean {', '.join(map(repr, n))}?" for b, n in near.items() if n)
        raise KeyError(f"unknown {name} key(s) {_fmt(bad)} for {fname!r}; valid: "
                       f"{_fmt(list(valid)) if valid else 'none (it takes no parameters)'}{hint}")
    if required:
        miss = [k for k, p in valid.items() if p.default is p.empty and k not in params]
        if miss:
            raise KeyError(f"{name} for {fname!r} must give {_fmt(miss)}")
    for k, v in params.items():
        d = valid[k].default
        if _is_bool(d):
            check_bool(v, f"{name}[{k!r}]")
        elif isinstance(d, numbers.Integral):
            check_int(v, f"{name}[{k!r}]")
        elif isinstance(d, numbers.Real) or k in numeric:
            check_real(v, f"{name}[{k!r}]")
    return params
