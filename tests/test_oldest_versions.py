"""What the oldest-versions CI stage (``.ci/run``) found, pinned on every stack.

The stage installs pyproject.toml's lower bounds (uv ``--resolution lowest-direct``). There
statsmodels 0.14 builds formula designs with patsy, where 0.15 uses formulaic; the cross-section
and quantile fits must give the same numbers on both. Tolerance: 1e-10 against a NumPy
least-squares fit on dummies built by pandas.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

from polygov.regression import fit_cross_section, fit_quantile

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def groups(rng) -> pd.DataFrame:
    n = 80
    d = pd.DataFrame({"iso3": [f"C{i:03d}" for i in range(n)], "x": rng.normal(size=n),
                      "g": pd.array(list("abcd") * (n // 4), dtype="string")})
    d["y"] = 1 + 2 * d.x + d.g.map({"a": 0.0, "b": 1.0, "c": -1.0, "d": 0.5}).astype(float) \
        + rng.normal(size=n)
    return d


def test_categories_of_a_string_column_match_numpy(groups):
    """C() of a pandas string column (what polygov's loaders return): patsy < 1.0.2 raised
    TypeError here under statsmodels 0.14, hence the floor patsy>=1.0.2."""
    res = fit_cross_section(groups, "y ~ x + C(g)")
    dummies = pd.get_dummies(groups.g.astype(object), drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(groups)), groups.x, dummies])
    b = np.linalg.lstsq(X, groups.y.to_numpy(), rcond=None)[0]
    assert res.params.index.tolist() == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "C(g)[T.d]", "x"]
    np.testing.assert_allclose(res.params[["Intercept", "x", "C(g)[T.b]", "C(g)[T.c]",
                                           "C(g)[T.d]"]], b, atol=1e-10)
    new = groups.head(6)
    np.testing.assert_allclose(res.predict(new), X[:6] @ b, atol=1e-10)
    same = fit_cross_section(groups.astype({"g": object}), "y ~ x + C(g)")
    pd.testing.assert_series_equal(res.params, same.params, rtol=0, atol=1e-12)


def test_quantile_predicts_on_string_categories(groups):
    """fit_quantile keeps the design on both formula engines (predict needs it)."""
    res = fit_quantile(groups, "y ~ x + C(g)", q=0.5)
    pred = res.predict(groups)
    np.testing.assert_allclose(pred.to_numpy(), res.fitted_values.to_numpy(), atol=1e-10)


def test_oldest_constraints_only_name_packages_pyproject_does_not():
    """.ci/oldest-constraints.txt is for transitive dependencies only: a false floor of a
    direct dependency is raised in pyproject.toml (so users get it too), not hidden there."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [*meta["dependencies"], *(r for e in meta["optional-dependencies"].values() for r in e)]

    def name(r: str) -> str:
        return re.split(r"[<>=!~ ;\[]", r.strip(), maxsplit=1)[0].lower().replace("-", "_")

    direct = {name(r) for r in reqs}
    lines = (REPO / ".ci" / "oldest-constraints.txt").read_text().splitlines()
    constrained = {name(ln) for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}
    assert sorted(constrained & direct) == [], "raise these floors in pyproject.toml instead"
