"""Run the course notebooks end to end and make student copies.

``polygov course run`` executes every notebook in ``notebooks/`` on a fresh
kernel (nbclient), writes an HTML copy of each (nbconvert) and prints a
per-notebook timing table.  ``polygov course student`` writes copies with the
cells tagged ``solution`` emptied.

A notebook that needs the official (non-bundled) data declares it in its
metadata, ``{"polygov": {"requires_official": ["wgi", ...]}}``; it is run when
those data are available locally and reported as skipped otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["NotebookRun", "find_notebooks", "notebooks_dir", "run_course", "student_copies", "strip_solutions"]

SOLUTION_TAG = "solution"


def notebooks_dir() -> Path:
    """The course folder: ``./notebooks`` if it exists, else the source checkout's."""
    cwd = Path.cwd() / "notebooks"
    if cwd.is_dir():
        return cwd
    repo = Path(__file__).resolve().parents[1] / "notebooks"
    if repo.is_dir():
        return repo
    raise FileNotFoundError(
        "no notebooks/ folder found in the current directory or next to the polygov package; "
        "run this from a clone of the polygov repository or pass --notebooks"
    )


def find_notebooks(folder: Path | str | None = None, *, pattern: str = "[0-9][0-9]_*.ipynb") -> list[Path]:
    """Course notebooks in reading order (their names start with two digits)."""
    folder = notebooks_dir() if folder is None else Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"notebook folder {folder} does not exist")
    found = sorted(folder.glob(pattern))
    if not found:
        raise FileNotFoundError(f"no notebooks matching {pattern!r} in {folder}")
    return found


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of running one notebook."""

    notebook: str
    status: str  # "ok", "failed", "skipped"
    seconds: float
    html: str | None = None
    message: str = ""


def _official_available(names: Sequence[str]) -> tuple[bool, str]:
    try:
        from .data import fetch as _fetch
    except ImportError:
        return False, "polygov.data.fetch is not available"
    missing = []
    for n in names:
        try:
            ok = _fetch.cached(n) is not None
        except Exception:  # noqa: BLE001 - availability is a yes/no question
            ok = False
        if not ok:
            missing.append(n)
    if missing:
        return False, f"official data not available locally: {missing} (polygov data fetch NAME)"
    return True, ""


def run_notebook(path: Path, *, timeout: int = 600, kernel_name: str = "python3") -> object:
    """Execute one notebook on a fresh kernel and return the executed notebook node."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _html(nb, out: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")


def run_course(notebooks: Sequence[Path | str] | None = None, *, output: Path | str = "build/course",
               inplace: bool = False, timeout: int = 600, progress: bool = True,
               on_result: Callable[[NotebookRun], None] | None = None) -> pd.DataFrame:
    """Execute the course notebooks in order and write HTML copies.

    Parameters
    ----------
    notebooks : sequence of paths, optional
        Default: every ``NN_*.ipynb`` in the course folder.
    output : path
        Folder for the HTML copies (created).
    inplace : bool
        Also write the executed notebooks back (refreshes the committed outputs).
    timeout : int
        Seconds allowed per cell.

    Returns
    -------
    DataFrame
        ``notebook``, ``status`` (ok / failed / skipped), ``seconds``, ``html``,
        ``message``; one row per notebook.
    """
    import nbformat
    from tqdm.auto import tqdm

    paths = find_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook {p} does not exist")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    bar = tqdm(paths, desc="course", unit="notebook", disable=not progress)
    for p in bar:
        bar.set_postfix_str(p.name)
        meta = nbformat.read(p, as_version=4).metadata.get("polygov", {})
        needs = meta.get("requires_official", [])
        if needs:
            ok, why = _official_available(needs)
            if not ok:
                r = NotebookRun(p.name, "skipped", 0.0, None, why)
                results.append(r)
                if on_result:
                    on_result(r)
                continue
        t0 = time.perf_counter()
        try:
            nb = run_notebook(p, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - reported per notebook, the run goes on
            r = NotebookRun(p.name, "failed", time.perf_counter() - t0, None,
                            f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}")
        else:
            secs = time.perf_counter() - t0
            html = out / (p.stem + ".html")
            _html(nb, html)
            if inplace:
                nbformat.write(nb, p)
            r = NotebookRun(p.name, "ok", secs, str(html))
        results.append(r)
        if on_result:
            on_result(r)
    return pd.DataFrame([r.__dict__ for r in results])


def strip_solutions(nb) -> tuple[object, int]:
    """Return a copy of a notebook with ``solution``-tagged cells emptied, and their count."""
    import copy

    nb = copy.deepcopy(nb)
    n = 0
    for cell in nb.cells:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            n += 1
            if cell.cell_type == "code":
                cell.source = "# Your solution here\n"
                cell.outputs = []
                cell.execution_count = None
            else:
                cell.source = "*Write your answer here.*"
    return nb, n


def student_copies(notebooks: Sequence[Path | str] | None = None, *,
                   output: Path | str = "build/student") -> pd.DataFrame:
    """Write student versions of the notebooks (solution cells emptied).

    Returns
    -------
    DataFrame
        ``notebook``, ``solutions_removed``, ``path``.
    """
    import nbformat

    paths = find_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in paths:
        nb, n = strip_solutions(nbformat.read(p, as_version=4))
        target = out / p.name
        nbformat.write(nb, target)
        rows.append({"notebook": p.name, "solutions_removed": n, "path": str(target)})
    return pd.DataFrame(rows)
