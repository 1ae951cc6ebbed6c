"""Side-by-side regression tables (HTML for notebooks, Markdown and LaTeX for papers)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import check_in
from .results import RegressionResults

__all__ = ["RegressionTable", "regression_table", "table_frame"]

FORMATS = ("html", "markdown", "latex", "frame")


class RegressionTable(str):
    """An HTML regression table that renders in a notebook.

    A ``str`` (the HTML markup, so ``str(t)``, ``t.startswith(...)``,
    ``IPython.display.HTML(t)`` and writing it to a file work as before) whose
    ``_repr_html_`` makes Jupyter show the rendered table when it is the last
    expression of a cell.  Its plain-text ``repr`` is the Markdown version of the
    same table, so consoles and text outputs stay readable.
    """

    _text: str = ""

    def __new__(cls, markup: str, text: str = "") -> RegressionTable:
        obj = super().__new__(cls, markup)
        obj._text = text
        return obj

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return self._text or str.__repr__(self)

    def __str__(self) -> str:
        return str.__str__(self)


def _label(idx: str) -> str:
    """Display label of a table row: standard-error rows (trailing space) show no label."""
    return "" if idx != idx.rstrip() else idx


def _stars(p: float, levels: Sequence[float]) -> str:
    return "*" * sum(p < lv for lv in levels) if np.isfinite(p) else ""


def table_frame(
    results: Sequence[RegressionResults] | Mapping[str, RegressionResults],
    *,
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    stars: Sequence[float] = (0.1, 0.05, 0.01),
    intercept: bool = False,
) -> pd.DataFrame:
    """The table as a DataFrame of strings (one column per model).

    Rows: ``Dependent variable`` (each model's outcome); for each term its
    estimate (with stars) and, below, the standard error in parentheses; then ``N``,
    ``R²``, ``R² (RE, GLS)`` (only when a model is a random-effects one),
    ``Within R²``, ``Entity FE``, ``Time FE``, ``Estimator``, ``SE`` (covariance
    type) and ``Clusters``.  ``R²`` is the R² of the full model (fixed effects
    included) for pooled, fixed-effects and cross-section models and left empty for
    random-effects models, whose R² (of the GLS, quasi-demeaned regression) is a
    different quantity and shown in its own row.
    """
    if isinstance(results, Mapping):
        names, res = [str(k) for k in results], list(results.values())
    else:
        res = list(results)
        names = [f"({i + 1})" for i in range(len(res))]
    if not res:
        raise ValueError("regression_table needs at least one RegressionResults")
    bad = [type(r).__name__ for r in res if not isinstance(r, RegressionResults)]
    if bad:
        raise TypeError(f"every model must be a RegressionResults; got {bad}")
    labels = dict(labels or {})
    if terms is None:
        terms = []
        for r in res:
            for t in r.params.index:
                if t not in terms and (intercept or t != "Intercept"):
                    terms.append(t)
    fmt = f"{{:.{digits}f}}"
    rows: dict[str, list[str]] = {"Dependent variable": [labels.get(r.dependent, r.dependent)
                                                         for r in res]}
    for t in terms:
        est_row, se_row = [], []
        for r in res:
            if t in r.params.index:
                p = float(r.pvalues[t])
                est_row.append(fmt.format(r.params[t]) + _stars(p, stars))
                se = float(r.std_errors[t])
                se_row.append(f"({fmt.format(se)})" if np.isfinite(se) else "(NaN)")
            else:
                est_row.append("")
                se_row.append("")
        lab = labels.get(t, t)
        rows[lab] = est_row
        rows[f"{lab} "] = se_row  # trailing space keeps the SE row's key unique

    def fnum(v: float) -> str:
        return "" if v is None or not np.isfinite(v) else f"{v:.3f}"

    rows["N"] = [f"{r.nobs:,}" for r in res]
    # Random effects report the R² of the GLS (quasi-demeaned) regression: another quantity
    # than the R² of pooled, fixed-effects and cross-section models, so it gets its own row.
    random = [r.estimator == "random" for r in res]
    rows["R²"] = ["" if rnd else fnum(r.r2) for r, rnd in zip(res, random, strict=True)]
    if any(random):
        rows["R² (RE, GLS)"] = [fnum(r.r2) if rnd else ""
                                for r, rnd in zip(res, random, strict=True)]
    rows["Within R²"] = [fnum(r.r2_within) for r in res]
    rows["Entity FE"] = ["Yes" if r.estimator in ("entity", "twoway") else "No" for r in res]
    rows["Time FE"] = ["Yes" if r.estimator == "twoway" else "No" for r in res]
    rows["Estimator"] = [r.estimator for r in res]
    rows["SE"] = [r.cov_type for r in res]
    rows["Clusters"] = [", ".join(f"{c} ({g})" for c, g in zip(r.clusters, r.n_clusters,
                                                              strict=False)) or "-"
                        for r in res]
    out = pd.DataFrame(rows, index=names).T
    out.index.name = ""
    return out


def regression_table(
    results: Sequence[RegressionResults] | Mapping[str, RegressionResults],
    *,
    format: str = "html",
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    stars: Sequence[float] = (0.1, 0.05, 0.01),
    intercept: bool = False,
    caption: str | None = None,
) -> RegressionTable | str | pd.DataFrame:
    """Several models side by side.

    Parameters
    ----------
    results : list of RegressionResults, or dict {column title: results}
        The models, one column each.
    format : {"html", "markdown", "latex", "frame"}
        Output: a :class:`RegressionTable` (an HTML string that a notebook
        renders as a table when it ends a cell; ``print`` shows the markup), a
        Markdown or LaTeX (booktabs) string, or the underlying DataFrame of
        strings.
    terms : list of str, optional
        Terms to show, in order (default: all, in order of appearance,
        without the intercept unless ``intercept=True``).
    labels : dict, optional
        Display labels for terms (and for dependent variables in the
        ``Dependent variable`` row).
    digits : int
        Decimals for estimates and standard errors.
    stars : tuple of float
        p-value thresholds for one, two, three stars (default 0.1, 0.05, 0.01).
    caption : str, optional
        Table caption (HTML, LaTeX).

    Returns
    -------
    RegressionTable, str or pandas.DataFrame
        Rows: ``Dependent variable``; estimates with standard errors in
        parentheses below; ``N``, ``R²``, ``R² (RE, GLS)`` (only when a model
        is a random-effects one), ``Within R²``, ``Entity FE``, ``Time FE``,
        ``Estimator``, ``SE``, ``Clusters``.  A note explains the stars.

    Notes
    -----
    ``R²`` is the R² of the full model (fixed effects included) for pooled,
    fixed-effects and cross-section models.  For random-effects models polygov
    reports linearmodels' R² of the GLS (quasi-demeaned) regression, which is
    not comparable with it (on HFI, ``pf_rol ~ pf_association``: 0.015 for
    random effects against 0.972 with two-way fixed effects), so it appears
    in a separate ``R² (RE, GLS)`` row and the ``R²`` cell is left empty.
    """
    check_in(format, FORMATS, name="table format")
    frame = table_frame(results, terms=terms, labels=labels, digits=digits, stars=stars,
                        intercept=intercept)
    if format == "frame":
        return frame
    star_note = "; ".join(f"{'*' * (i + 1)} p<{lv}" for i, lv in
                          enumerate(sorted(stars, reverse=True)))
    note = f"Standard errors in parentheses. {star_note}."
    if format == "markdown":
        return _markdown(frame, note)
    if format == "latex":
        def esc(s: str) -> str:
            s = (s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&")
                    .replace("%", r"\%").replace("#", r"\#").replace("R²", "$R^2$")
                    .replace("−", "-"))
            return re.sub(r"(\*+)$", lambda m: "$^{" + m.group(1) + "}$", s)
        ncol = frame.shape[1]
        lines = [r"\begin{table}[ht]", r"\centering"]
        if caption:
            lines.append(rf"\caption{{{esc(caption)}}}")
        lines += [r"\begin{tabular}{l" + "c" * ncol + "}", r"\toprule",
                  " & ".join([""] + [esc(c) for c in frame.columns]) + r" \\", r"\midrule"]
        for idx, row in frame.iterrows():
            if idx == "N":
                lines.append(r"\midrule")
            lines.append(" & ".join([esc(_label(idx))] + [esc(str(v)) for v in row]) + r" \\")
            if idx == "Dependent variable":
                lines.append(r"\midrule")
        lines += [r"\bottomrule", r"\end{tabular}",
                  rf"\par\footnotesize {esc(note)}", r"\end{table}"]
        return "\n".join(lines) + "\n"
    # html
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for idx, row in frame.iterrows():
        style = ' style="border-top: 1px solid"' if idx == "N" else ""
        if idx == "Dependent variable":
            style = ' style="border-bottom: 1px solid"'
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        body.append(f"<tr{style}><th>{html.escape(_label(idx))}</th>{cells}</tr>")
    markup = (f'<table class="polygov-regression-table">{cap}<thead><tr><th></th>{head}</tr>'
              f"</thead><tbody>{''.join(body)}</tbody>"
              f'<tfoot><tr><td colspan="{len(frame.columns) + 1}">{html.escape(note)}</td></tr>'
              "</tfoot></table>")
    text = (f"{caption}\n\n" if caption else "") + _markdown(frame, note).rstrip("\n")
    return RegressionTable(markup, text)


def _markdown(frame: pd.DataFrame, note: str) -> str:
    cols = [""] + list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] + [":-:"] * (len(cols) - 1))
             + "|"]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([_label(idx)] + [str(v) for v in row]) + " |")
    return "\n".join(lines) + f"\n\n{note}\n"
