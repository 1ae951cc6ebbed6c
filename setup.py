"""Build shim: ships two top-level folders inside the wheel.

- ``data/`` (the bundled datasets) as ``polygov/_bundled``;
- ``notebooks/`` (the course) as ``polygov/_course``, so that ``pip install polygov``
  users can run it (``polygov course get DIR``).

All metadata lives in pyproject.toml; this file only maps the two folders, which
the product layout keeps at the repository's top level.  A clone keeps using
``notebooks/`` itself (``polygov.course.packaged_course``).
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class _FreshCopies(build_py):
    """Start the two mapped folders afresh: setuptools reuses ``build/lib``, so a notebook
    renamed or deleted in ``notebooks/`` would otherwise still ship in the next wheel."""

    def run(self):
        for sub in ("_course", "_bundled"):
            shutil.rmtree(Path(self.build_lib) / "polygov" / sub, ignore_errors=True)
        super().run()


setup(
    cmdclass={"build_py": _FreshCopies},
    packages=[*find_packages(include=["polygov", "polygov.*"]), "polygov._bundled", "polygov._course"],
    package_dir={"polygov._bundled": "data", "polygov._course": "notebooks"},
    package_data={"polygov._bundled": ["*.csv", "*.csv.gz", "datapackage.json"],
                  "polygov._course": ["[0-9][0-9]_*.ipynb", "*.md", "*.bib"]},
    include_package_data=False,
)
