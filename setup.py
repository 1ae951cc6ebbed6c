"""Build shim: ships the top-level ``data/`` folder inside the wheel as ``polygov/_bundled``.

All metadata lives in pyproject.toml; this file only maps the data folder, which
the product layout keeps at the repository's top level.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["polygov", "polygov.*"]), "polygov._bundled"],
    package_dir={"polygov._bundled": "data"},
    package_data={"polygov._bundled": ["*.csv", "*.csv.gz", "datapackage.json"]},
    include_package_data=False,
)
