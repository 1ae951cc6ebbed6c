"""Write binder/environment.yml: polygov's run-time dependencies (core + ``wvs``) and everything they
pull in, pinned to the versions installed in the running environment.

Run it with the venv the test suite passed in: ``.venv/bin/python binder/freeze.py``.
"""

import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# Binder (repo2docker) environment for the course: polygov's run-time dependencies and everything
# they pull in, pinned to the exact versions the test suite passed with, so a Binder session runs
# the notebooks as CI ran them. repo2docker prefers this file to the top-level environment.yml
# (which keeps version ranges for users); binder/postBuild installs polygov itself.
# Written by binder/freeze.py (run it with the venv the tests passed in).
name: polygov-binder
channels:
  - conda-forge
dependencies:
  - python={python}
  - pip
  - pip:
"""


def main() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r.split("#")[0]).name for r in [*meta["dependencies"], *meta["optional-dependencies"]["wvs"]]]
    env = {"extra": ""}
    seen: dict[str, tuple[str, str]] = {}
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        seen[key] = (dist.metadata["Name"], dist.version)
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate(env):
                todo.append(req.name)
    pins = "".join(f"      - {n}=={v}\n" for _, (n, v) in sorted(seen.items()))
    python = ".".join(map(str, sys.version_info[:2]))
    (ROOT / "binder" / "environment.yml").write_text(HEADER.format(python=python) + pins)


if __name__ == "__main__":
    main()
