"""Root pytest configuration: applies to the unit tests and to the notebooks run by nbval.

A notebook that declares ``{"polygov": {"requires_official": [...]}}`` in its
metadata compares its outputs with results on the official files. When those
files are not in the polygov cache (``$POLYGOV_CACHE``; fill it with
``polygov data fetch`` / ``polygov data import``, or in CI with
``polygov.data.fetch.import_reference_copies(FOLDER)`` on a folder given
explicitly), its cells are skipped with a reason instead of failing on missing
output. Only the cache counts: neither polygov nor this file searches for copies.

nbval starts one kernel per notebook; a kernel that dies before its first reply
(another process took one of the TCP ports jupyter_client picked for it:
"Address already in use") is started again, up to three times, as
``polygov course run`` does.
"""

from __future__ import annotations

import functools
import json
import warnings
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
                reason=f"official data not in the polygov cache: {list(missing)} (run `polygov data "
                       "fetch NAME` or `polygov data import NAME PATH --edition LABEL`)"))


def _retry_kernel_start(start, attempts: int = 3):
    @functools.wraps(start)
    def wrapped(*args, **kwargs):
        for attempt in range(1, attempts + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as exc:  # "Kernel died before replying to kernel_info"
                if attempt == attempts:
                    raise
                warnings.warn(f"kernel did not start ({exc}); starting it again "
                              f"(attempt {attempt + 1} of {attempts})", RuntimeWarning, stacklevel=2)

    wrapped.polygov_retry = True
    return wrapped


def pytest_configure(config):
    try:
        import nbval.kernel as nbval_kernel
    except ImportError:
        return
    if not getattr(nbval_kernel.start_new_kernel, "polygov_retry", False):
        nbval_kernel.start_new_kernel = _retry_kernel_start(nbval_kernel.start_new_kernel)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Skips summarised: one line per reason with its count (instead of one line per skipped test)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    counts: dict[str, int] = {}
    for rep in skipped:
        longrepr = getattr(rep, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        counts[reason] = counts.get(reason, 0) + 1
    terminalreporter.section(f"{len(skipped)} skipped, by reason", sep="-")
    for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"{n:5d}  {reason}")
