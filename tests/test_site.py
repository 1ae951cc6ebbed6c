"""``polygov course site``: the course website, end to end in headless Chromium.

The site is built from the course's saved (executed) outputs, then every page is
opened offline in Debian's Chromium (network requests go to a dead proxy) and
checked: it renders (a title, the navigation, MathJax without errors), no link
is broken (every relative link and every #anchor resolves to a file or an
element), and every figure loads.  Build time is printed (``-s``).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from polygov import cli, course
from polygov.site import GLOSSARY_STUB, build_site, write_myst_project

REPO = Path(__file__).resolve().parents[1]
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    t0 = time.perf_counter()
    res = build_site(out, folder=REPO / "notebooks", run=False)
    print(f"\nsite built from saved outputs in {time.perf_counter() - t0:.1f} s")
    return out, res


def test_site_layout(site):
    out, res = site
    names = [p.name for p in course.find_notebooks(REPO / "notebooks")]
    assert [p["notebook"] for p in res["pages"]] == names
    for name in names:
        stem = name[:-len(".ipynb")]
        assert (out / f"{stem}.html").is_file() and (out / "notebooks" / name).is_file()
        student = nbformat.read(out / "student" / name, as_version=4)
        assert course.strip_solutions(student)[0] == student  # nothing left to strip
    assert (out / "glossary.html").is_file() and (out / "_static" / "mathjax" / "MathJax.js").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="student/{n}"' in index and f'href="notebooks/{n}"' in index for n in names)
    glossary = REPO / "notebooks" / "GLOSSARY.md"
    gl = (out / "glossary.html").read_text(encoding="utf-8")
    assert ">Glossary<" in gl
    if not glossary.is_file():
        assert "being written" in gl and GLOSSARY_STUB.startswith("# Glossary")


def test_site_refuses_to_replace_the_course(tmp_path):
    with pytest.raises(ValueError, match="would replace the course"):
        build_site(REPO / "notebooks", folder=REPO / "notebooks", run=False)
    with pytest.raises(TypeError, match="run must be True or False"):
        build_site(tmp_path / "s", run="no")


def test_site_runs_the_course_and_stops_on_a_failed_notebook(tmp_path):
    src = tmp_path / "course"
    src.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# One"), nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, src / "01_one.ipynb")
    res = build_site(tmp_path / "site", folder=src)
    assert res["pages"][0]["status"] == "executed"
    executed = nbformat.read(tmp_path / "site" / "notebooks" / "01_one.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    assert nbformat.read(src / "01_one.ipynb", as_version=4).cells[1].outputs == []  # source untouched
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    nbformat.write(nb, src / "02_two.ipynb")
    with pytest.raises(RuntimeError, match=r"02_two\.ipynb: .*boom"):
        build_site(tmp_path / "site2", folder=src)
    assert not (tmp_path / "site2").exists()
    assert cli.main(["course", "site", "--notebooks", str(src), "--output", str(tmp_path / "s3")]) == 1


def test_myst_project_lists_every_chapter(site, tmp_path):
    out, _ = site
    yml = write_myst_project(out, tmp_path / "myst").read_text()
    for p in course.find_notebooks(REPO / "notebooks"):
        assert f"- file: notebooks/{p.name}" in yml and f"- file: student/{p.name}" in yml
    assert "- file: glossary.md" in yml and "template: book-theme" in yml


@pytest.mark.browser
def test_site_in_chromium_every_page_renders_no_broken_link_every_figure_loads(site, tmp_path):
    from test_widgets_browser import _requirements, chromium

    _requirements()
    out, res = site
    probe = """
        const done = arguments[arguments.length - 1];
        const report = () => done({
            title: (document.querySelector('h1') || {}).textContent || '',
            nav: document.querySelectorAll('nav.polygov-nav a').length,
            errors: document.querySelectorAll('.MathJax_Error, .merror').length
                    + (document.body.innerText.includes('Math Processing Error') ? 1 : 0),
            links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
            ids: [...document.querySelectorAll('[id]')].map(e => e.id),
            images: document.images.length,
            broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60)),
            remote: performance.getEntriesByType('resource').map(e => e.name)
                     .filter(u => !u.startsWith('file:') && !u.startsWith('data:')),
        });
        if (window.MathJax && MathJax.Hub) MathJax.Hub.Queue(report); else report();
    """
    pages = ["index.html", "glossary.html"] + [p["page"] for p in res["pages"]]
    seen, broken, figures = {}, [], 0
    with chromium(tmp_path / "profile", OFFLINE) as driver:
        driver.set_script_timeout(60)
        for page in pages:
            driver.get((out / page).as_uri())
            got = driver.execute_async_script(probe)
            seen[page] = got
            assert got["title"].strip(), f"{page}: no title"
            assert got["nav"] >= 2, f"{page}: no navigation"
            assert got["errors"] == 0, f"{page}: math errors"
            assert got["broken"] == [], f"{page}: figures that did not load: {got['broken']}"
            assert got["remote"] == [], f"{page}: loaded from the network: {got['remote']}"
            figures += got["images"]
    for page, got in seen.items():
        for href in got["links"]:
            url = urlparse(href)
            if url.scheme in ("http", "https", "mailto"):
                continue  # references to the outside world (DOIs, publishers), not the site's own links
            target = out / unquote(url.path) if url.path else out / page
            if not target.is_file():
                broken.append(f"{page} -> {href}")
            elif url.fragment and target.suffix == ".html":
                ids = seen.get(target.name, {}).get("ids", [])
                # as browsers do (HTML "indicated part"): the raw fragment, then its decoded form
                if url.fragment not in ids and unquote(url.fragment) not in ids:
                    broken.append(f"{page} -> {href} (no such anchor)")
    assert broken == []
    assert figures >= 20, figures  # the course's figures, embedded in the pages
