"""Model formulas: parsing and the safety rule that every formula passes first.

Formulas are a public interface (``fit_panel``, ``fit_cross_section``,
``fit_quantile``, the specification curve and the widgets all take one), and
the formula engines (formulaic, patsy) evaluate the Python code inside a term.
A formula is therefore **checked before anything evaluates it**, by one
function, :func:`check_formula`, and then evaluated in a namespace
(:data:`FORMULA_NAMESPACE`) that offers only the documented transformations.

The rule
--------
A formula is ``dependent ~ right-hand side``.  The dependent variable is a
plain column name.  The right-hand side may contain only:

* column names (not starting with a double underscore), and the numbers ``0``,
  ``1`` (``-1`` / ``+ 0`` drop the intercept);
* the formula operators ``+``, ``-``, ``*``, ``:``, ``/`` and ``**`` (between
  terms) and parentheses;
* ``C(column)`` for a categorical variable, optionally
  ``C(column, Treatment(reference=<value>))`` or ``C(column, levels=[...])``
  with literal values;
* ``I(expression)`` where the expression is arithmetic (``+ - * / // % **``,
  unary ``-``/``+``) on columns and numbers, possibly using the functions below;
* the functions ``np.log``, ``np.log1p``, ``np.sqrt``, ``np.exp``, ``np.abs``
  (``numpy.`` works too, and so do the bare names ``log``, ``log1p``,
  ``sqrt``, ``exp``, ``abs``), each applied to one argument.

Lags and leads are not formula functions: ``fit_panel(lags={"x": 1})`` builds
the columns ``x_lag1``... that the formula then names.  Anything else — any
other call (``np.savetxt``, ``np.load``, ``__import__``, ``open``), an
attribute access other than ``np.<allowed function>``, subscripts, lambdas,
comprehensions, strings outside ``C(...)``, comparisons, names with a double
underscore — is refused with a ``ValueError`` naming the term and listing what
is allowed.  The check parses the right-hand side with Python's :mod:`ast`
(``:`` is read as an interaction) and walks it against a whitelist of node
types and call names; nothing is evaluated.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import types
from collections.abc import Sequence

import numpy as np

__all__ = ["ALLOWED_FUNCTIONS", "FORMULA_NAMESPACE", "categorical_columns", "check_formula",
           "parse_model", "plain_terms",
           "rhs_variables", "statsmodels_design", "statsmodels_eval_env"]

#: Functions a formula may call, bare or as ``np.<name>`` / ``numpy.<name>``.
ALLOWED_FUNCTIONS: dict[str, np.ufunc] = {
    "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "exp": np.exp, "abs": np.abs,
}
_MODULES = ("np", "numpy")
_SAFE_NP = types.SimpleNamespace(**ALLOWED_FUNCTIONS)

#: The namespace formulas are evaluated in (besides the data's columns and the engine's
#: own ``C``/``I``): the allowed functions, bare and under ``np``/``numpy``.
FORMULA_NAMESPACE: dict[str, object] = {**ALLOWED_FUNCTIONS, "np": _SAFE_NP, "numpy": _SAFE_NP}

def statsmodels_eval_env() -> object:
    """:data:`FORMULA_NAMESPACE` in the form statsmodels' formula API accepts as ``eval_env``.

    statsmodels 0.15 builds designs with formulaic and takes a ``dict`` (it deprecates
    patsy's ``EvalEnvironment``); statsmodels 0.14 builds them with patsy, which accepts
    only an ``EvalEnvironment`` (or a frame depth) and raises ``TypeError`` on a ``dict``.
    The version is told by the feature (0.15's ``statsmodels.formula.options``), not the
    version string.
    """
    import statsmodels.formula as smformula

    if hasattr(smformula, "options"):  # statsmodels >= 0.15: formula-engine manager
        return dict(FORMULA_NAMESPACE)
    import patsy

    return patsy.EvalEnvironment([dict(FORMULA_NAMESPACE)])


def statsmodels_design(model: object) -> object:
    """The right-hand side's design of a statsmodels formula model, for ``predict()``.

    statsmodels 0.15 keeps it as ``model.data.model_spec`` (a formulaic ``ModelSpec``, or
    a patsy ``DesignInfo`` under the patsy engine); statsmodels 0.14 as
    ``model.data.design_info`` (patsy).  ``None`` if the model has neither.
    """
    spec = getattr(model.data, "model_spec", None)
    return spec if spec is not None else getattr(model.data, "design_info", None)


ALLOWED_TEXT = (
    "column names; the operators + - * : / ** between terms; C(column) (optionally "
    "C(column, Treatment(reference=<value>)) or C(column, levels=[...])); I(arithmetic on "
    "columns and numbers); and the functions " + ", ".join(f"np.{f}" for f in ALLOWED_FUNCTIONS)
    + " (also bare: " + ", ".join(ALLOWED_FUNCTIONS) + ")")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMULA_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitAnd)
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)


class _Refused(Exception):
    def __init__(self, node: ast.AST, reason: str):
        super().__init__(reason)
        self.node, self.reason = node, reason


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, str)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_number(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_is_literal(e) for e in node.elts)
    return False


def _column(node: ast.Name) -> None:
    if node.id.startswith("__"):
        raise _Refused(node, "names starting with a double underscore are not allowed")
    if node.id in _MODULES:
        raise _Refused(node, f"{node.id!r} is a module, not a column; only "
                             f"{node.id}.<function> calls of the allowed functions may use it")


def _function_name(func: ast.AST) -> str | None:
    """``log`` for ``log``/``np.log``/``numpy.log`` if allowed, else None."""
    if isinstance(func, ast.Name) and func.id in ALLOWED_FUNCTIONS:
        return func.id
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in _MODULES and func.attr in ALLOWED_FUNCTIONS):
        return func.attr
    return None


def _call_name(func: ast.AST) -> str:
    return ast.unparse(func)


def _check_function(node: ast.Call) -> None:
    name = _function_name(node.func)
    if name is None:
        raise _Refused(node, f"call of {_call_name(node.func)!r} is not an allowed function")
    if node.keywords or len(node.args) != 1:
        raise _Refused(node, f"{name}() takes exactly one argument and no keywords")
    _expr(node.args[0])


def _expr(node: ast.AST) -> None:
    """Arithmetic inside I() or a function."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITH_OPS):
        _expr(node.left)
        _expr(node.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _expr(node.operand)
    elif isinstance(node, ast.Name):
        _column(node)
    elif _is_number(node):
        pass
    elif isinstance(node, ast.Call):
        _check_function(node)
    else:
        raise _Refused(node, f"{_describe(node)} is not allowed inside I() or a function "
                             "(arithmetic only)")


def _categorical(node: ast.Call) -> None:
    if not node.args or not isinstance(node.args[0], ast.Name):
        raise _Refused(node, "C() takes a column name as its first argument")
    _column(node.args[0])
    for a in node.args[1:]:
        if _is_literal(a):
            continue
        if (isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id == "Treatment"
                and all(_is_literal(x) for x in a.args)
                and all(k.arg == "reference" and _is_literal(k.value) for k in a.keywords)):
            continue
        raise _Refused(a, "the second argument of C() may only be Treatment(reference=<value>) "
                          "or literal values")
    for k in node.keywords:
        if k.arg != "levels" or not _is_literal(k.value):
            raise _Refused(node, "C() accepts only the keyword levels=[literal values]")


def _term(node: ast.AST) -> None:
    """The formula level: terms joined by formula operators."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, _FORMULA_OPS):
        _term(node.left)
        _term(node.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
            and _is_number(node.operand):
        pass
    elif isinstance(node, ast.Name):
        _column(node)
    elif _is_number(node):
        pass
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "I":
        if node.keywords or len(node.args) != 1:
            raise _Refused(node, "I() takes exactly one expression")
        _expr(node.args[0])
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "C":
        _categorical(node)
    elif isinstance(node, ast.Call):
        _check_function(node)
    else:
        raise _Refused(node, f"{_describe(node)} is not allowed in a formula")


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "attribute access", ast.Subscript: "subscripting",
             ast.Lambda: "a lambda", ast.Constant: "a literal", ast.Compare: "a comparison",
             ast.BoolOp: "a boolean operation", ast.IfExp: "a conditional expression",
             ast.NamedExpr: "an assignment expression", ast.Starred: "unpacking"}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "a string"
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {type(node.op).__name__}"
    for k, v in kinds.items():
        if isinstance(node, k):
            return v
    return f"{type(node).__name__} syntax"


def _python_form(rhs: str) -> str:
    """``rhs`` with every ``:`` operator replaced by ``&`` (same length, so offsets hold)."""
    chars = list(rhs)
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(rhs).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise ValueError(f"could not parse the right-hand side {rhs!r}: {exc}") from exc
    for tok in toks:
        if tok.type == tokenize.OP and tok.string in ("&", "|", "~", ":="):
            raise ValueError(f"formula right-hand side {rhs!r}: the operator {tok.string!r} is "
                             f"not allowed. Formulas may use {ALLOWED_TEXT}")
        if tok.type == tokenize.OP and tok.string == ":":
            if tok.start[0] != 1:  # pragma: no cover - a one-line string is tokenised here
                raise ValueError(f"formula {rhs!r} must be on one line")
            chars[tok.start[1]] = "&"
    return "".join(chars)


def check_formula(rhs: str) -> list[str]:
    """Check a formula's right-hand side against the safety rule; return its column names.

    Parameters
    ----------
    rhs : str
        The right-hand side (what follows ``~``).

    Returns
    -------
    list of str
        The column names the right-hand side uses, in order of appearance.

    Raises
    ------
    ValueError
        A term outside the rule of the module docstring, naming the term, the
        reason, and what is allowed; or a right-hand side that does not parse.
    """
    if not isinstance(rhs, str):
        raise TypeError(f"the right-hand side of a formula must be a string, got {rhs!r}")
    rhs_one = " ".join(rhs.splitlines())
    py = _python_form(rhs_one)
    try:
        tree = ast.parse(py.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"could not parse the right-hand side {rhs!r} ({exc.msg}). Formulas "
                         f"may use {ALLOWED_TEXT}") from exc
    lead = len(py) - len(py.lstrip())
    try:
        _term(tree.body)
    except _Refused as exc:
        node = exc.node
        seg = rhs_one[lead + node.col_offset: lead + node.end_col_offset] \
            if getattr(node, "end_col_offset", None) is not None else ast.unparse(node)
        raise ValueError(
            f"formula term {seg!r} is not allowed: {exc.reason}. Formulas never run code: they "
            f"may use {ALLOWED_TEXT}. Compute other transformations as a column first, e.g. "
            "data.assign(new=...)") from None
    names: list[str] = []
    for node in ast.walk(tree.body):
        if isinstance(node, ast.Call):
            continue
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    # function names and modules are not columns
    funcs = {n.func.id for n in ast.walk(tree.body)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    mods = {n.func.value.id for n in ast.walk(tree.body)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)}
    return [n for n in names if n not in funcs | mods]


def rhs_variables(rhs: str) -> list[str]:
    """Column names used by a (checked) right-hand side, sorted."""
    return sorted(check_formula(rhs))


def parse_model(formula: str | None, y: str | None, x: Sequence[str] | str | None
                ) -> tuple[str, str, list[str]]:
    """Return (dependent, right-hand side, variables used on the right), after the safety check.

    Either ``formula`` (``"y ~ x1 + x2"``) or ``y=`` and ``x=`` (column names) is given;
    both routes end in :func:`check_formula`.
    """
    if formula is not None and (y is not None or x is not None):
        raise TypeError("give either a formula ('y ~ x1 + x2') or y= and x=, not both")
    if formula is None:
        if y is None or x is None:
            raise TypeError("a model needs a formula such as 'y ~ x1 + x2', or both y= and x=")
        if not isinstance(y, str):
            raise TypeError(f"y must be a column name (str), got {type(y).__name__}")
        if not isinstance(x, (str, Sequence)) or isinstance(x, bytes):
            raise TypeError(f"x must be a column name or a list of column names, got "
                            f"{type(x).__name__}")
        xs = [x] if isinstance(x, str) else list(x)
        if not xs:
            raise ValueError("x= is empty: give at least one regressor")
        bad = [v for v in [y, *xs] if not isinstance(v, str) or not _IDENT.match(v)
               or v.startswith("__")]
        if bad:
            raise ValueError(f"y= and x= take plain column names (letters, digits, _), got "
                             f"{bad}; rename the columns or write a formula")
        rhs = " + ".join(xs)
        check_formula(rhs)
        return y, rhs, list(dict.fromkeys(xs))
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'y ~ x1 + x2', got "
                        f"{type(formula).__name__}")
    if formula.count("~") != 1:
        raise ValueError(f"formula must look like 'y ~ x1 + x2' (one '~'), got {formula!r}")
    if "|" in formula:
        raise ValueError(
            f"formula {formula!r} contains '|': fixed effects are chosen with effects= "
            "('none', 'entity', 'twoway', 'random'), not in the formula")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not _IDENT.match(lhs) or lhs.startswith("__"):
        raise ValueError(
            f"the dependent variable must be a plain column name, got {lhs!r}; create the "
            "transformed column first (e.g. data.assign(log_y=np.log(data.y)))")
    if not rhs:
        raise ValueError(f"formula {formula!r} has no regressors on the right of '~'")
    variables = sorted(set(check_formula(rhs)) - {lhs})
    return lhs, rhs, variables


def categorical_columns(rhs: str) -> list[str]:
    """Columns used as ``C(column)`` in a (checked) right-hand side."""
    tree = ast.parse(_python_form(" ".join(rhs.splitlines())).strip(), mode="eval")
    return [n.args[0].id for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name) and n.func.id == "C" and n.args
            and isinstance(n.args[0], ast.Name)]


def plain_terms(rhs: str) -> list[str] | None:
    """The terms of ``rhs`` if it is ``a + b + c`` (plain column names only), else None."""
    parts = [p.strip() for p in rhs.split("+")]
    return parts if all(_IDENT.match(p) for p in parts) else None
