"""Timing helper shared by the benchmark scripts (run them as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import time


def best(fn, repeat: int = 3):
    """Call ``fn`` ``repeat`` times; return (the shortest wall time in seconds, the last result)."""
    shortest, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        shortest = min(shortest, time.perf_counter() - t)
    return shortest, out
