"""Helpers shared by the tests that compare with published reference values."""

from __future__ import annotations


def printed_tolerance(printed: str) -> float:
    """Half a unit in the last printed decimal of a published value (plus float slack)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0 ** (-decimals) + 1e-12
