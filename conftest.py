"""Root pytest configuration: applies to the unit tests and to the notebooks run by nbval.

A notebook that declares ``{"polygov": {"requires_official": [...]}}`` in its
metadata (notebook 12) compares its outputs with results on the official files.
When those files are neither in the polygov cache nor in ``../shared/data``,
its cells are skipped with a reason instead of failing on missing output.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest


@functools.cache
def _missing_official(path: str) -> tuple[str, ...]:
    meta = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {}).get("polygov", {})
    needs = meta.get("requires_official", [])
    if not needs:
        return ()
    from polygov.data import fetch

    return tuple(fetch.missing_official(needs))  # each missing edition, e.g. "egdi 2010"


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = str(getattr(item, "path", getattr(item, "fspath", "")))
        if not path.endswith(".ipynb"):
            continue
        missing = _missing_official(path)
        if missing:
            item.add_marker(pytest.mark.skip(
                reason=f"official data not available locally: {list(missing)} (no ../shared/data and not "
                       "in the polygov cache; run `polygov data fetch NAME` or `polygov data import`)"))
