"""A static website of the executed course (``polygov course site``).

The site is a folder of static HTML pages that works from disk, on any static
host and offline. By default it is built with **Jupyter Book 2** (the MyST
engine, ``pip install 'polygov[site]'`` and Node.js 18+): MyST parses the
executed notebooks, the glossary and a contents page, resolves links and
citations (``references.bib`` in the course folder) and typesets the math, and
polygov's own theme (:mod:`polygov.site_theme`) renders the pages -- MyST's
React themes are downloaded from a template server at build time, which an
offline lab or CI machine cannot reach. The site has:

- ``index.html``: the contents, one line per chapter with links to its page, its
  notebook and its student version (solutions removed);
- one page per notebook (``SLUG/index.html``), with the saved outputs (tables,
  text, figures), math as MathML, a note in place of widgets, a chapter sidebar
  and a navigation bar (contents, glossary, previous, next, downloads);
- ``glossary/index.html`` from ``GLOSSARY.md`` in the course folder (a stub page
  titled "Glossary" when the course has none yet);
- ``notebooks/`` and ``student/``: the downloadable notebooks.

Without Node.js, ``engine="nbconvert"`` (chosen by ``"auto"``, which says so)
writes one nbconvert page per notebook instead (math by a local MathJax copy),
with the same contents page, glossary, navigation and downloads.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
import time
from pathlib import Path

__all__ = ["build_site", "jupyter_book_missing", "write_myst_project"]

GLOSSARY_STUB = ("# Glossary\n\nThe course glossary is being written. Each term used in the notebooks "
                 "will be defined here, with the notebook that introduces it.\n")
_NAV_STYLE = ("position:sticky;top:0;z-index:10;background:#1f3b57;color:#fff;padding:0.45em 1em;"
              "font:14px/1.4 system-ui,sans-serif;display:flex;flex-wrap:wrap;gap:0.4em 1.2em")
_LINK_STYLE = "color:#fff;text-decoration:underline"


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`]", "", m.group(1)).strip()
    return fallback


def _nav(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<a style="{_LINK_STYLE}" href="{html.escape(href)}">{html.escape(text)}</a>'
                    for text, href in links)
    return f'<nav class="polygov-nav" style="{_NAV_STYLE}">{items}</nav>'


def _inject_nav(page: Path, nav: str) -> None:
    text = page.read_text(encoding="utf-8")
    text, n = re.subn(r"(<body[^>]*>)", lambda m: m.group(1) + nav, text, count=1)
    if n != 1:
        raise ValueError(f"{page.name}: no <body> tag to put the navigation in")
    page.write_text(text, encoding="utf-8")


def _markdown_page(markdown: str, out: Path, *, mathjax: str) -> None:
    import nbformat

    from .course import to_html

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    to_html(nb, out, mathjax=mathjax)


def build_site(output: Path | str = "build/site", *, folder: Path | str | None = None,
               executed: Path | str | None = None, run: bool = True, jobs: int = 2,
               progress: bool = False, engine: str = "auto") -> dict:
    """Build the course website into ``output`` (replaced).

    Parameters
    ----------
    output : path
        The site folder; its previous content is removed.
    folder : path, optional
        The course folder (see :func:`polygov.course.notebooks_dir`).
    executed : path, optional
        A folder of already executed notebooks (same names) to publish as they are.
    run : bool
        Execute the notebooks first (``polygov course run``); a notebook skipped
        there (missing official data or extra) is published with its saved outputs
        and says so. ``False`` publishes the saved outputs of every notebook.
    jobs : int
        Notebooks executed at once.
    engine : {"auto", "jupyter-book", "nbconvert"}
        ``"jupyter-book"``: Jupyter Book 2 / MyST builds the site with polygov's
        offline theme (:mod:`polygov.site_theme`); needs ``pip install
        'polygov[site]'`` and Node.js 18 or newer. ``"nbconvert"``: one nbconvert
        page per notebook (no Node.js). ``"auto"`` (default): Jupyter Book when it
        and Node.js are there, else nbconvert, and the result says why.

    Returns
    -------
    dict
        ``index`` (path of index.html), ``pages`` (one dict per notebook: ``notebook``,
        ``title``, ``status``, ``page``), ``engine`` (the one used), ``why`` (why
        ``"auto"`` chose it), ``warnings`` (the engine's warnings) and ``seconds``.

    Raises
    ------
    RuntimeError
        A notebook failed to run, or the Jupyter Book build failed: no site is
        published with a broken chapter.
    """
    import tempfile

    import nbformat

    from .course import (
        MATHJAX_FOLDER,
        copy_mathjax,
        find_notebooks,
        notebooks_dir,
        run_course,
        strip_solutions,
        to_html,
    )

    if not isinstance(run, bool):
        raise TypeError(f"run must be True or False, got {run!r}")
    if engine not in ("auto", "jupyter-book", "nbconvert"):
        raise ValueError(f"engine must be 'auto', 'jupyter-book' or 'nbconvert', got {engine!r}")
    why = ""
    if engine != "nbconvert":
        missing = jupyter_book_missing()
        if missing and engine == "jupyter-book":
            raise RuntimeError(f"engine='jupyter-book': {missing}")
        engine, why = ("nbconvert", missing) if missing else ("jupyter-book", "")
    t0 = time.perf_counter()
    src = notebooks_dir(folder)
    paths = find_notebooks(src)
    out = Path(output)
    if out.resolve() in (src.resolve(), Path.cwd().resolve()) or out.resolve() in src.resolve().parents:
        raise ValueError(f"output {out} would replace the course or the current folder; choose a build folder")
    status = {p.name: ("saved outputs", "") for p in paths}
    with tempfile.TemporaryDirectory(prefix="polygov-site-") as tmp:
        nb_dir = Path(tmp) / "executed"
        nb_dir.mkdir()
        for p in paths:
            shutil.copy2(p, nb_dir / p.name)
        if executed is not None:
            for p in paths:
                done = Path(executed) / p.name
                if not done.is_file():
                    raise FileNotFoundError(f"executed notebook {done} does not exist")
                shutil.copy2(done, nb_dir / p.name)
                status[p.name] = ("executed", "")
        elif run:
            res = run_course(sorted(nb_dir.glob("*.ipynb")), output=Path(tmp) / "html", inplace=True,
                             jobs=jobs, progress=progress)
            failed = res[res.status == "failed"]
            if len(failed):
                raise RuntimeError("notebooks failed, no site built: " + "; ".join(
                    f"{r.notebook}: {r.message}" for r in failed.itertuples()))
            for r in res.itertuples():
                status[r.notebook] = ("executed", "") if r.status == "ok" else ("saved outputs", r.message)
        glossary = src / "GLOSSARY.md"
        gtext = glossary.read_text(encoding="utf-8") if glossary.is_file() else GLOSSARY_STUB
        if engine == "jupyter-book":
            pages, warnings = _build_jupyter_book(out, nb_dir, paths, status, gtext, src, Path(tmp))
            return {"index": str(out / "index.html"), "pages": pages, "engine": engine, "why": why,
                    "warnings": warnings, "seconds": time.perf_counter() - t0}
        if out.exists():
            shutil.rmtree(out)
        (out / "notebooks").mkdir(parents=True)
        (out / "student").mkdir()
        mj = copy_mathjax(out)
        mathjax = None if mj is None else f"{MATHJAX_FOLDER}/MathJax.js"
        pages = []
        for p in paths:
            nb = nbformat.read(nb_dir / p.name, as_version=4)
            shutil.copy2(nb_dir / p.name, out / "notebooks" / p.name)
            nbformat.write(strip_solutions(nb)[0], out / "student" / p.name)
            page = out / f"{p.stem}.html"
            to_html(nb, page, mathjax=mathjax)
            pages.append({"notebook": p.name, "title": _title(nb, p.stem), "status": status[p.name][0],
                          "note": status[p.name][1], "page": page.name})
        _markdown_page(gtext, out / "glossary.html", mathjax=mathjax)
        lines = ["# polygov: the course", "",
                 "An annotated course on measuring governance capacity and testing the claims of "
                 "polycentric (multi-center) governance on open data. Each chapter is a Jupyter notebook: "
                 "read it here, or download it (with solutions, or the student version without) and run it "
                 "with `polygov course open`.", "",
                 "| | chapter | download | |", "|---|---|---|---|"]
        for pg in pages:
            note = "" if pg["status"] == "executed" else "outputs as saved in the course"
            lines.append(f"| {pg['notebook'][:2]} | [{pg['title']}]({pg['page']}) | "
                         f"[notebook](notebooks/{pg['notebook']}) · [student version](student/{pg['notebook']}) "
                         f"| {note} |")
        lines += ["", "See also the [glossary](glossary.html)."]
        _markdown_page("\n".join(lines) + "\n", out / "index.html", mathjax=mathjax)
        # navigation on every page
        _inject_nav(out / "index.html", _nav([("Contents", "index.html"), ("Glossary", "glossary.html")]))
        _inject_nav(out / "glossary.html", _nav([("Contents", "index.html"), ("Glossary", "glossary.html")]))
        for i, pg in enumerate(pages):
            links = [("Contents", "index.html"), ("Glossary", "glossary.html")]
            if i > 0:
                links.append((f"← {pages[i - 1]['notebook'][:2]}", pages[i - 1]["page"]))
            if i + 1 < len(pages):
                links.append((f"{pages[i + 1]['notebook'][:2]} →", pages[i + 1]["page"]))
            links += [("Download notebook", f"notebooks/{pg['notebook']}"),
                      ("Student version", f"student/{pg['notebook']}")]
            _inject_nav(out / pg["page"], _nav(links))
    return {"index": str(out / "index.html"), "pages": pages, "engine": engine, "why": why, "warnings": [],
            "seconds": time.perf_counter() - t0}


def jupyter_book_missing() -> str:
    """Why a Jupyter Book 2 build cannot run here ("" when it can).

    It needs the ``jupyter-book`` package (``pip install 'polygov[site]'``) and
    Node.js 18 or newer on the PATH; Jupyter Book would otherwise offer to
    download Node.js itself, which an offline lab or CI machine cannot.
    """
    import importlib.util
    import subprocess

    if importlib.util.find_spec("jupyter_book") is None:
        return "Jupyter Book 2 is not installed: pip install 'polygov[site]'"
    node = shutil.which("node")
    hint = ("install Node.js 18 or newer (Debian/Ubuntu: apt-get install nodejs; conda: conda install "
            "-c conda-forge nodejs; npm's and Node's own installers on Windows and macOS)")
    if node is None:
        return f"Node.js is not on the PATH: {hint}"
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
        major = int(re.match(r"v(\d+)", out.strip()).group(1))
    except (OSError, subprocess.SubprocessError, AttributeError, ValueError):
        return f"could not run {node} --version: {hint}"
    if major < 18:
        return f"Node.js {out.strip()} is too old for Jupyter Book 2: {hint}"
    return ""


def _myst_project(dest: Path, notebooks: list[Path], glossary: str, *, bib: Path | None,
                  titles: dict[str, str], template: str) -> Path:
    """Write a Jupyter Book 2 project: the notebooks, the glossary, a contents page and ``myst.yml``."""
    import nbformat

    from .course import strip_solutions

    (dest / "notebooks").mkdir(parents=True, exist_ok=True)
    (dest / "student").mkdir(exist_ok=True)
    for p in notebooks:
        shutil.copy2(p, dest / "notebooks" / p.name)
        nbformat.write(strip_solutions(nbformat.read(p, as_version=4))[0], dest / "student" / p.name)
    (dest / "glossary.md").write_text(glossary, encoding="utf-8")
    lines = ["# polygov: the course", "",
             "An annotated course on measuring governance capacity and testing the claims of polycentric "
             "(multi-center) governance on open data. Each chapter is a Jupyter notebook: read it here, or "
             "download it (with solutions, or the student version without) and run it with "
             "`polygov course open`.", "",
             "| | chapter | download |", "|---|---|---|"]
    for p in notebooks:
        lines.append(f"| {p.name[:2]} | [{titles.get(p.name, p.stem)}](notebooks/{p.name}) | "
                     f"{{download}}`notebook <notebooks/{p.name}>` · "
                     f"{{download}}`student version <student/{p.name}>` |")
    lines += ["", "See also the [glossary](glossary.md)."]
    (dest / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    bib_lines = ""
    if bib is not None and bib.is_file():
        shutil.copy2(bib, dest / "references.bib")
        bib_lines = "  bibliography:\n    - references.bib\n"
    toc = ["    - file: index.md"] + [f"    - file: notebooks/{p.name}" for p in notebooks] + \
          ["    - file: glossary.md"]
    (dest / "myst.yml").write_text(
        "version: 1\nproject:\n  title: polygov course\n" + bib_lines + "  toc:\n" + "\n".join(toc)
        + f"\nsite:\n  template: {template}\n", encoding="utf-8")
    return dest / "myst.yml"


def _build_jupyter_book(out: Path, nb_dir: Path, paths: list[Path], status: dict, glossary: str,
                        src: Path, tmp: Path) -> tuple[list[dict], list[str]]:
    """Build the site with Jupyter Book 2 and polygov's theme; return the pages and the engine's warnings."""
    import json
    import os
    import subprocess

    import nbformat

    from .site_theme import write_template

    proj = tmp / "book"
    nbs = [nb_dir / p.name for p in paths]
    titles = {p.name: _title(nbformat.read(p, as_version=4), p.stem) for p in nbs}
    _myst_project(proj, nbs, glossary, bib=src / "references.bib", titles=titles, template="./_theme")
    write_template(proj / "_theme")
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "READTHEDOCS_CANONICAL_URL")}
    proc = subprocess.run([sys.executable, "-m", "jupyter_book", "build", "--html"], cwd=proj, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800)
    log = (proc.stdout or "") + (proc.stderr or "")
    html_dir = proj / "_build" / "html"
    if proc.returncode != 0 or "Error fetching" in log or not (html_dir / "index.html").is_file():
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise RuntimeError(f"jupyter book build --html failed (exit {proc.returncode}); no site built:\n{tail}")
    warnings = [ln.strip() for ln in log.splitlines() if ln.lstrip().startswith(("⚠️", "⛔️"))]
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html_dir, out)
    for sub in ("notebooks", "student"):  # as the project has them (student copies made once, there)
        shutil.copytree(proj / sub, out / sub)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    slug_of = {}
    for pg in config["projects"][0].get("pages", []):
        if not pg.get("slug"):
            continue
        loc = json.loads((out / f"{pg['slug']}.json").read_text(encoding="utf-8")).get("location", "")
        slug_of[loc.rsplit("/", 1)[-1]] = pg["slug"]
    pages = []
    for p in paths:
        if p.name not in slug_of:
            raise RuntimeError(f"the Jupyter Book build has no page for {p.name}")
        pages.append({"notebook": p.name, "title": titles[p.name], "status": status[p.name][0],
                      "note": status[p.name][1], "page": f"{slug_of[p.name]}/index.html"})
    return pages, warnings


def write_myst_project(site: Path | str, dest: Path | str, *, glossary: Path | str | None = None,
                       references: Path | str | None = None) -> Path:
    """Write a MyST / Jupyter Book 2 project of a built site's notebooks; return its ``myst.yml``.

    ``dest`` gets the executed notebooks, the glossary, a contents page, the
    course's BibTeX file (``references``) and a ``myst.yml`` whose table of
    contents lists them in reading order, with polygov's offline theme in
    ``dest/_theme``. Build it with ``jupyter book build --html`` (or preview it
    with ``jupyter book start``) in ``dest``; :func:`build_site` does all this.
    """
    import nbformat

    from .site_theme import write_template

    site, dest = Path(site), Path(dest)
    nbs = sorted((site / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not nbs:
        raise FileNotFoundError(f"no notebooks in {site / 'notebooks'}; build the site first (polygov course site)")
    gloss = None if glossary is None else Path(glossary)
    text = gloss.read_text(encoding="utf-8") if gloss and gloss.is_file() else GLOSSARY_STUB
    titles = {p.name: _title(nbformat.read(p, as_version=4), p.stem) for p in nbs}
    yml = _myst_project(dest, nbs, text, bib=None if references is None else Path(references),
                        titles=titles, template="./_theme")
    write_template(dest / "_theme")
    return yml
