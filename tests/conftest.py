"""Shared pytest fixtures.

- ``shared_data``: path to ``../shared/data`` (the real official files); tests
  that need it are skipped with a clear reason when the folder is absent.
- ``rng``: a seeded NumPy generator, so every random test is reproducible.
- figures are closed after every test.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

try:  # the [test] extra installs it; without it only the property tests are missing
    from hypothesis import settings
except ImportError:  # pragma: no cover
    settings = None
if settings is not None:
    # No per-example deadline for any property test: on the shared 2-core CI machine a busy
    # neighbour or a first call's lazy import makes one example slow, and Hypothesis then fails
    # the test as Flaky (DeadlineExceeded, seen in the oldest-versions stage). Example counts
    # stay set per test.
    settings.register_profile("polygov", deadline=None)
    settings.load_profile("polygov")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("POLYGOV_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real official files not available: {SHARED_DATA} does not exist "
            "(set POLYGOV_SHARED_DATA to the folder holding wgi/, vdem/, egdi/, hdr/, wdi/, asem/)"
        )
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def copy_of_data(tmp_path, monkeypatch):
    """A private copy of the bundled data folder that a test may damage (test_data, test_data_standard)."""
    import shutil

    from polygov import data as pdata
    from polygov.data import bundled

    dst = tmp_path / "data"
    shutil.copytree(pdata.data_dir(), dst)
    monkeypatch.setattr(bundled, "data_dir", lambda: dst)
    bundled._package.cache_clear()
    yield dst
    bundled._package.cache_clear()


@pytest.fixture(scope="module")
def grunfeld():
    """Grunfeld's investment panel as statsmodels ships it, less American Steel: 10 firms x 20 years, the
    sample of Greene's and Baltagi's textbook tables (test_regression_parity, test_regression_validation)."""
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.grunfeld.load_pandas().data
    d = d[d["firm"] != "American Steel"].copy()
    d["year"] = d["year"].astype(int)
    assert d.shape == (200, 5)
    return d.reset_index(drop=True)
