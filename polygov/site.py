"""A static website of the executed course (``polygov course site``).

The site is a folder of plain HTML pages that works from disk, on any static
host and offline:

- ``index.html``: the contents, one line per chapter with links to its page, its
  notebook and its student version (solutions removed), and to the glossary;
- one page per notebook (nbconvert, as ``polygov course run`` writes them: math
  typeset by a local MathJax copy, figures embedded, widgets replaced by a note),
  with a navigation bar (contents, glossary, previous, next, downloads);
- ``glossary.html`` from ``GLOSSARY.md`` in the course folder (a stub page titled
  "Glossary" when the course has none yet);
- ``notebooks/`` and ``student/``: the downloadable notebooks.

Why not Jupyter Book 2 / MyST here: its HTML build downloads the web theme
(``book-theme``) from a template server at build time, which a course lab or a
CI machine without internet cannot reach. :func:`write_myst_project` writes the
same course as a MyST project (``myst.yml`` with the table of contents,
glossary and downloads) for ``jupyter book build --html`` on a machine that can.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

__all__ = ["build_site", "write_myst_project"]

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
               progress: bool = False) -> dict:
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

    Returns
    -------
    dict
        ``index`` (path of index.html), ``pages`` (one dict per notebook: ``notebook``,
        ``title``, ``status``, ``page``), ``seconds`` (build time).

    Raises
    ------
    RuntimeError
        A notebook failed to run: no site is published with a broken chapter.
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
    glossary = src / "GLOSSARY.md"
    gtext = glossary.read_text(encoding="utf-8") if glossary.is_file() else GLOSSARY_STUB
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
    return {"index": str(out / "index.html"), "pages": pages, "seconds": time.perf_counter() - t0}


def write_myst_project(site: Path | str, dest: Path | str, *, glossary: Path | str | None = None) -> Path:
    """Write a MyST / Jupyter Book 2 project of a built site's notebooks; return its ``myst.yml``.

    ``dest`` gets the executed notebooks, the glossary and a ``myst.yml`` whose
    table of contents lists them in reading order, with each notebook's student
    version as a download. Build it with ``jupyter book build --html`` in ``dest``
    (that build fetches MyST's web theme from its template server on first use).
    """
    site, dest = Path(site), Path(dest)
    nbs = sorted((site / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not nbs:
        raise FileNotFoundError(f"no notebooks in {site / 'notebooks'}; build the site first (polygov course site)")
    dest.mkdir(parents=True, exist_ok=True)
    for sub in ("notebooks", "student"):
        shutil.copytree(site / sub, dest / sub, dirs_exist_ok=True)
    gloss = None if glossary is None else Path(glossary)
    (dest / "glossary.md").write_text(gloss.read_text(encoding="utf-8") if gloss and gloss.is_file()
                                      else GLOSSARY_STUB, encoding="utf-8")
    (dest / "index.md").write_text("# polygov: the course\n\nOne chapter per notebook; see the table of "
                                   "contents.\n", encoding="utf-8")
    toc = ["    - file: index.md"] + [f"    - file: notebooks/{p.name}" for p in nbs] + \
          ["    - file: glossary.md"]
    downloads = "\n".join(f"    - file: student/{p.name}\n      title: {p.stem} (student version)" for p in nbs)
    text = ("version: 1\nproject:\n  title: polygov course\n  downloads:\n" + downloads + "\n  toc:\n"
            + "\n".join(toc) + "\nsite:\n  template: book-theme\n")
    (dest / "myst.yml").write_text(text, encoding="utf-8")
    return dest / "myst.yml"

