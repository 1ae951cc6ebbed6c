"""Issue 14, security: formulas never run code (polygov.regression.formula.check_formula).

Before this change ``fit_cross_section(d, "y ~ I(np.savetxt('f', [1]))")`` wrote a file
and ``I(np.load(p, allow_pickle=True))`` unpickled (ran) arbitrary code; every formula
entry point (fit_panel, fit_cross_section, fit_quantile, specification_curve, the widgets
through fit_panel) now passes one checker first.  The property test builds random
right-hand sides from allowed and disallowed pieces and checks that a formula is accepted
exactly when it uses allowed pieces only.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polygov.regression import (
    check_formula,
    fit_cross_section,
    fit_panel,
    fit_quantile,
    specification_curve,
)


class _Boom:
    """Unpickling this writes a file: the payload of the np.load(allow_pickle=True) attack."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    n = 60
    d = pd.DataFrame({"iso3": np.repeat([f"C{i:02d}" for i in range(12)], 5),
                      "year": np.tile(range(2000, 2005), 12), "x": rng.normal(size=n),
                      "z": np.exp(rng.normal(size=n)), "g": rng.choice(list("abc"), n)})
    d["y"] = d.x + rng.normal(size=n)
    return d


ATTACKS = [
    "I(np.savetxt({f!r}, [1]))",
    "np.savetxt({f!r}, [1])",
    "I(np.load({p!r}, allow_pickle=True))",
    "I(__import__('os').system('touch {f}'))",
    "__import__('os').system('touch {f}')",
    "I(open({f!r}, 'w'))",
    "I(x.__class__.__mro__)",
    "I((lambda: open({f!r}, 'w'))())",
    "I(eval(\"open('{f}', 'w')\"))",
    "x + np.lib.npyio.savetxt({f!r}, [1])",
    "I([c for c in ().__class__.__base__.__subclasses__()])",
    "{{open({f!r}, 'w')}}",
    "x + C(g, open({f!r}, 'w'))",
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("entry", ["cross_section", "panel", "quantile", "speccurve"])
def test_attacks_are_refused_and_run_nothing(tmp_path, data, attack, entry):
    f = tmp_path / "written"
    p = tmp_path / "payload.npy"
    np.save(p, np.array([_Boom(str(f))], dtype=object), allow_pickle=True)
    rhs = attack.format(f=str(f), p=str(p))
    with pytest.raises(ValueError, match=r"not allowed|could not parse|neither a column name"):
        if entry == "cross_section":
            fit_cross_section(data, f"y ~ {rhs}", keys=None)
        elif entry == "panel":
            fit_panel(data, f"y ~ {rhs}")
        elif entry == "quantile":
            fit_quantile(data, f"y ~ {rhs}", keys=None)
        else:
            specification_curve(data, outcomes=["y"], treatments=["x"],
                                controls={"bad": [rhs]}, on_error="raise")
    assert not f.exists()


def test_message_names_the_term_and_lists_what_is_allowed():
    with pytest.raises(ValueError, match=r"formula term \"np.savetxt\('f', \[1\]\)\" is not "
                                         r"allowed: call of 'np.savetxt' is not an allowed "
                                         r"function.*np.log, np.log1p, np.sqrt, np.exp, np.abs"):
        check_formula("I(np.savetxt('f', [1]))")
    with pytest.raises(ValueError, match=r"'x.real' is not allowed: attribute access"):
        check_formula("x.real + z")
    with pytest.raises(ValueError, match=r"'__x__' is not allowed: names starting with a double"):
        check_formula("__x__")
    with pytest.raises(ValueError, match=r"the operator '&' is not allowed"):
        check_formula("x & z")


def test_y_x_interface_is_checked_too(data):
    with pytest.raises(ValueError, match="plain column names"):
        fit_panel(data, y="y", x=["x", "I(np.savetxt('f', [1]))"])


@pytest.mark.parametrize("rhs", ["x", "x + z", "x * z", "x:z", "C(g)", "x + C(g) + x:C(g)",
                                 "np.log(z)", "numpy.log(z)", "log(z)", "np.log1p(z)",
                                 "log1p(z)", "np.sqrt(z)", "sqrt(z)", "np.exp(x / 4)", "exp(x)",
                                 "np.abs(x)", "abs(x)", "I(x ** 2)", "I((x - 1) * z / 2)",
                                 "x - 1", "0 + x", "C(g, Treatment(reference='b'))",
                                 "I(-x + np.log(z))"])
def test_documented_transformations_still_work(data, rhs):
    res = fit_cross_section(data, f"y ~ {rhs}", keys=None)
    assert res.nobs == 60 and np.isfinite(res.params).all()


@pytest.mark.filterwarnings("ignore::polygov.regression.FewClustersWarning")
def test_bare_functions_match_numpy(data):
    a = fit_cross_section(data, "y ~ sqrt(z) + log1p(z)", keys=None)
    b = fit_cross_section(data.assign(s=np.sqrt(data.z), l=np.log1p(data.z)), "y ~ s + l",
                          keys=None)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)
    c = fit_panel(data, "y ~ sqrt(z)")
    e = fit_panel(data.assign(s=np.sqrt(data.z)), "y ~ s")
    np.testing.assert_allclose(c.params.to_numpy(), e.params.to_numpy(), rtol=1e-12)


def test_predict_uses_the_restricted_namespace(data):
    res = fit_cross_section(data, "y ~ np.log(z)", keys=None)
    np.testing.assert_allclose(res.predict(data), res.fitted_values.reindex(data.index))
    restored = pickle.loads(pickle.dumps(res))
    with pytest.raises(ValueError, match="refit"):
        restored.predict(data)


# ------------------------------------------------------------------------- property test
_COLS = st.sampled_from(["x", "z", "gdp_pc"])
_NUMS = st.sampled_from(["2", "0.5", "10"])
_FUNCS = st.sampled_from(["np.log", "log", "np.log1p", "log1p", "np.sqrt", "sqrt", "np.exp",
                          "exp", "np.abs", "abs", "numpy.log"])
_BAD_FUNCS = st.sampled_from(["np.savetxt", "np.load", "eval", "exec", "getattr", "open",
                              "__import__", "os.system", "np.linalg.inv", "x.__class__",
                              "np.log.__call__", "print", "Q", "center"])
_BAD_ATOMS = st.sampled_from(["x.real", "x[0]", "'s'", "(x > 0)", "__x", "np", "(lambda: 1)",
                              "[x]", "x.__dict__", "(x if z else 1)", "(x and z)", "{x}",
                              "f'{x}'", "(y := 2)", "...", "True"])

_leaf = st.one_of(_COLS.map(lambda s: (s, True)), _NUMS.map(lambda s: (s, True)),
                  _BAD_ATOMS.map(lambda s: (s, False)))


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "//", "%"]), children)
        .map(lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})", t[0][1] and t[2][1])),
        st.tuples(_FUNCS, children).map(lambda t: (f"{t[0]}({t[1][0]})", t[1][1])),
        st.tuples(_BAD_FUNCS, children).map(lambda t: (f"{t[0]}({t[1][0]})", False)),
    )


_arith = st.recursive(_leaf, _extend, max_leaves=6)
_term = st.one_of(
    _COLS.map(lambda s: (s, True)),
    _COLS.map(lambda s: (f"C({s})", True)),
    _arith.map(lambda a: (f"I({a[0]})", a[1])),
    st.tuples(_FUNCS, _arith).map(lambda t: (f"{t[0]}({t[1][0]})", t[1][1])),
    st.tuples(_BAD_FUNCS, _arith).map(lambda t: (f"{t[0]}({t[1][0]})", False)),
    _BAD_ATOMS.map(lambda s: (s, False)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([" + ", ":", " * "]), _term), min_size=1,
                max_size=4))
def test_property_accepted_iff_only_allowed_pieces(parts):
    rhs = parts[0][1][0] + "".join(op + t[0] for op, t in parts[1:])
    safe = all(t[1] for _, t in parts)
    if safe:
        check_formula(rhs)
    else:
        with pytest.raises(ValueError):
            check_formula(rhs)
