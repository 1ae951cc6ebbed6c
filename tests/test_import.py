"""Importing polygov is fast, lazy and never touches the network."""

import subprocess
import sys

CODE = r"""
import socket, sys
def _no_network(*a, **k):
    raise AssertionError("network access at import time")
socket.socket.connect = _no_network
socket.create_connection = _no_network
import polygov
assert "pandas" not in sys.modules, "import polygov should not import pandas eagerly"
for name in ("countries", "data", "index", "latent", "polycentricity", "regression", "plots", "audit", "course", "cli"):
    getattr(polygov, name)
import matplotlib
assert matplotlib.get_backend() is not None
print("ok")
"""


def test_import_is_lazy_and_offline():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_unknown_attribute_lists_submodules():
    import pytest

    import polygov

    with pytest.raises(AttributeError, match="available: .*countries"):
        polygov.nonexistent  # noqa: B018
