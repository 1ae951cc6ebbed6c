"""The committed notebooks: metadata that keeps a checkout clean when a student opens them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 13, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec_is_the_one_jupyterlab_writes(path):
    """JupyterLab rewrites the kernelspec to the installed kernel's and autosaves.

    A notebook committed with another display name ("Python 3") is therefore changed on
    disk as soon as a student opens it, and the next ``git pull`` conflicts.
    """
    from ipykernel.kernelspec import get_kernel_dict

    spec = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    assert spec == {"display_name": get_kernel_dict()["display_name"], "language": "python",
                    "name": "python3"}
    assert spec["display_name"] == "Python 3 (ipykernel)"
