"""``polygov course site``: the course website, end to end in headless Chromium.

The site is built from the course's saved (executed) outputs twice: with Jupyter
Book 2 (MyST and polygov's offline theme; skipped with the reason when
``jupyter-book`` or Node.js is missing) and with nbconvert. Every page of each is
then opened offline in Debian's Chromium (network requests go to a dead proxy)
and checked: it renders (a title, the navigation, its math without errors), no
link is broken (every relative link and every #anchor resolves to a file or an
element), and every figure loads.  Build times are printed (``-s``).
"""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from polygov import cli, course
from polygov.site import GLOSSARY_STUB, build_site, jupyter_book_missing, write_myst_project
from polygov.site_theme import UnknownNodeError, render_page

REPO = Path(__file__).resolve().parents[1]
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    t0 = time.perf_counter()
    res = build_site(out, folder=REPO / "notebooks", run=False, engine="nbconvert")
    print(f"\nnbconvert site built from saved outputs in {time.perf_counter() - t0:.1f} s")
    return out, res


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    missing = jupyter_book_missing()
    if missing:
        pytest.skip(f"the Jupyter Book 2 site needs jupyter-book and Node.js: {missing}")
    out = tmp_path_factory.mktemp("book") / "site"
    t0 = time.perf_counter()
    res = build_site(out, folder=REPO / "notebooks", run=False, engine="jupyter-book")
    print(f"\nJupyter Book 2 site built from saved outputs in {time.perf_counter() - t0:.1f} s")
    return out, res


def test_book_layout_and_a_clean_build(book):
    out, res = book
    assert res["engine"] == "jupyter-book" and res["why"] == ""
    assert res["warnings"] == []  # MyST parsed every page and resolved every link and citation offline
    names = [p.name for p in course.find_notebooks(REPO / "notebooks")]
    assert [p["notebook"] for p in res["pages"]] == names
    for pg in res["pages"]:
        page = (out / pg["page"]).read_text(encoding="utf-8")
        # MyST typesets quotes (citizens’ rights); the title is otherwise the notebook's first heading
        assert f"<h1>{pg['title']}" in html.unescape(page).replace("\u2019", "'"), pg["notebook"]
        assert f'href="../notebooks/{pg["notebook"]}"' in page and f'href="../student/{pg["notebook"]}"' in page
        assert (out / "notebooks" / pg["notebook"]).is_file()
        student = nbformat.read(out / "student" / pg["notebook"], as_version=4)
        assert course.strip_solutions(student)[0] == student
    index = (out / "index.html").read_text(encoding="utf-8")
    downloads = re.findall(r'<a href="(build/[^"]+)" download="([^"]+)">(notebook|student version)</a>', index)
    assert sorted(name for _, name, _ in downloads) == sorted(names * 2)  # each chapter, twice
    for href, name, kind in downloads:  # MyST's {download} copies, equal to the site's folders
        folder = "notebooks" if kind == "notebook" else "student"
        assert nbformat.reads((out / href).read_text("utf-8"), as_version=4) == \
            nbformat.read(out / folder / name, as_version=4)
    assert ">Glossary<" in (out / "glossary" / "index.html").read_text(encoding="utf-8")
    for page in out.rglob("index.html"):  # the engine's redirect script would send file:// readers to a folder
        assert "location.replace" not in page.read_text(encoding="utf-8"), page


def test_book_theme_renders_every_node_myst_wrote(book):
    """Every node type in every page the engine wrote has a renderer (strict mode raises otherwise)."""
    out, _ = book
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    slugs = [config["projects"][0]["index"]] + [p["slug"] for p in config["projects"][0]["pages"]]
    for slug in slugs:
        page = json.loads((out / f"{slug}.json").read_text(encoding="utf-8"))
        text = render_page(page, config, strict=True)
        assert "math-error" not in text, slug


def test_every_doi_the_course_cites_is_in_its_bibtex():
    """The site builds offline only if MyST finds each doi.org link's citation in references.bib."""
    bib = (REPO / "notebooks" / "references.bib").read_text(encoding="utf-8").lower()
    dois = set()
    for f in [*REPO.glob("notebooks/*.ipynb"), *REPO.glob("notebooks/*.md")]:
        dois |= {d.rstrip(".,;").lower() for d in re.findall(r"doi\.org/(10\.[^\s)\"\\<>]+)", f.read_text("utf-8"))}
    assert dois, "the course cites no DOI at all?"
    assert sorted(d for d in dois if f"doi = {{{d}}}" not in bib) == []


def _page(mdast_children, **extra):
    return {"slug": "ch", "frontmatter": {"title": "Chapter"}, "location": "/notebooks/01_ch.ipynb",
            "mdast": {"type": "root", "children": mdast_children}, **extra}


CONFIG = {"projects": [{"title": "course", "index": "index",
                        "pages": [{"slug": "ch", "title": "Chapter"}, {"slug": "glossary", "title": "Glossary"}]}]}


def test_theme_renders_links_outputs_and_citations_relative_to_the_page():
    t = lambda v: {"type": "text", "value": v}  # noqa: E731
    out = render_page(_page([
        {"type": "paragraph", "children": [
            {"type": "link", "url": "/glossary#fe", "internal": True, "children": [t("internal")]},
            {"type": "link", "url": "/a1b2.ipynb", "static": True, "urlSource": "notebooks/01_ch.ipynb",
             "children": [t("download")]},
            {"type": "cite", "label": "vdem_v14", "children": [t("Coppedge et al. (2024)")]},
            {"type": "inlineMath", "value": "x", "html": '<span class="katex"><math><mi>x</mi></math></span>'},
        ]},
        {"type": "output", "jupyter_data": {"output_type": "stream", "name": "stderr", "text": "\x1b[31mred <b>\n"}},
        {"type": "output", "jupyter_data": {"output_type": "display_data", "data": {
            "image/png": {"content_type": "image/png", "path": "/f00.png"}, "text/plain": {"content": "<Figure>"}}}},
        {"type": "output", "jupyter_data": {"output_type": "execute_result", "data": {
            "application/vnd.jupyter.widget-view+json": {"content": "{}"}, "text/plain": {"content": "W()"}}}},
    ], references={"cite": {"order": ["vdem_v14"], "data": {"vdem_v14": {"html": "Coppedge, M. (2024)."}}}}),
        CONFIG)
    assert '<a href="../glossary/index.html#fe">internal</a>' in out
    assert '<a href="../build/a1b2.ipynb" download="01_ch.ipynb">download</a>' in out
    assert '<a class="cite" href="#cite-vdem_v14">' in out and '<li id="cite-vdem_v14">Coppedge, M. (2024).' in out
    assert "<math><mi>x</mi></math>" in out and "katex" not in out
    assert '<pre class="stderr">red &lt;b&gt;\n</pre>' in out  # ANSI colours dropped, text escaped
    assert '<img src="../build/f00.png" alt="Figure 1 of Chapter">' in out
    assert course.WIDGET_NOTE in out
    assert '<a href="../index.html">Contents</a>' in out and '<a href="../glossary/index.html">Glossary</a>' in out
    assert 'href="../student/01_ch.ipynb"' in out


def test_theme_refuses_what_it_cannot_render():
    with pytest.raises(UnknownNodeError, match="'mystery' on page 'ch'"):
        render_page(_page([{"type": "mystery", "children": [{"type": "text", "value": "kept"}]}]), CONFIG,
                    strict=True)
    assert "kept" in render_page(_page([{"type": "mystery", "children": [{"type": "text", "value": "kept"}]}]),
                                 CONFIG)
    bad = render_page(_page([{"type": "math", "value": "\\frac{"}]), CONFIG)
    assert 'class="math-error"' in bad and "\\frac{" in bad
    with pytest.raises(ValueError, match="'mdast' tree"):
        render_page({"slug": "x"}, CONFIG)
    with pytest.raises(TypeError, match="config must be"):
        render_page(_page([]), [])
    with pytest.raises(ValueError, match="no project"):
        render_page(_page([]), {"projects": []})
    with pytest.raises(TypeError, match="strict must be True or False"):
        render_page(_page([]), CONFIG, strict="yes")


def test_site_engine_is_checked(tmp_path):
    with pytest.raises(ValueError, match="engine must be 'auto', 'jupyter-book' or 'nbconvert', got 'sphinx'"):
        build_site(tmp_path / "s", folder=REPO / "notebooks", run=False, engine="sphinx")


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
    yml = write_myst_project(out, tmp_path / "myst", references=REPO / "notebooks" / "references.bib").read_text()
    for p in course.find_notebooks(REPO / "notebooks"):
        assert f"- file: notebooks/{p.name}" in yml and (tmp_path / "myst" / "student" / p.name).is_file()
    assert "- file: glossary.md" in yml and "template: ./_theme" in yml and "- references.bib" in yml
    theme = (tmp_path / "myst" / "_theme" / "template.yml").read_text()
    assert "kind: site" in theme and "-m polygov.site_theme" in theme


@pytest.mark.browser
@pytest.mark.parametrize("which", ["book", "site"])
def test_site_in_chromium_every_page_renders_no_broken_link_every_figure_loads(which, request, tmp_path):
    from test_widgets_browser import _requirements, chromium

    _requirements()
    out, res = request.getfixturevalue(which)
    probe = """
        const done = arguments[arguments.length - 1];
        const report = () => done({
            title: (document.querySelector('h1') || {}).textContent || '',
            nav: document.querySelectorAll('nav.polygov-nav a').length,
            errors: document.querySelectorAll('.MathJax_Error, .merror, .math-error').length
                    + (document.body.innerText.includes('Math Processing Error') ? 1 : 0),
            math: document.querySelectorAll('math').length,
            flat: [...document.querySelectorAll('math')].filter(m => m.getBoundingClientRect().width === 0).length,
            links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
            ids: [...document.querySelectorAll('[id]')].map(e => e.id),
            images: document.images.length,
            broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60)),
            remote: performance.getEntriesByType('resource').map(e => e.name)
                     .filter(u => !u.startsWith('file:') && !u.startsWith('data:')),
        });
        if (window.MathJax && MathJax.Hub) MathJax.Hub.Queue(report); else report();
    """
    glossary = "glossary/index.html" if which == "book" else "glossary.html"
    pages = ["index.html", glossary] + [p["page"] for p in res["pages"]]
    seen, broken, figures, maths = {}, [], 0, 0
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
            assert got["flat"] == 0, f"{page}: MathML not laid out"
            figures += got["images"]
            maths += got["math"]
    for page, got in seen.items():
        for href in got["links"]:
            url = urlparse(href)
            if url.scheme in ("http", "https", "mailto"):
                continue  # references to the outside world (DOIs, publishers), not the site's own links
            target = ((out / page).parent / unquote(url.path) if url.path else out / page).resolve()
            if not target.is_file():
                broken.append(f"{page} -> {href}")
            elif url.fragment and target.suffix == ".html":
                ids = seen.get(target.relative_to(out.resolve()).as_posix(), {}).get("ids", [])
                # as browsers do (HTML "indicated part"): the raw fragment, then its decoded form
                if url.fragment not in ids and unquote(url.fragment) not in ids:
                    broken.append(f"{page} -> {href} (no such anchor)")
    assert broken == []
    assert figures >= 20, figures  # the course's figures, embedded in the pages
    if which == "book":
        assert maths >= 100, maths  # MyST's MathML, laid out by the browser (no script, no web font)
    print(f"\n{which}: {len(pages)} pages, {figures} figures, {maths} formulas, no broken link")


def test_without_node_auto_falls_back_to_nbconvert_and_says_why(monkeypatch, tmp_path):
    import polygov.site as site_mod

    monkeypatch.setattr(site_mod.shutil, "which", lambda name: None)
    why = jupyter_book_missing()
    if "not installed" not in why:  # jupyter-book is there: the missing Node.js is what is reported
        assert why.startswith("Node.js is not on the PATH") and "apt-get install nodejs" in why
    with pytest.raises(RuntimeError, match="engine='jupyter-book': "):
        build_site(tmp_path / "s", folder=REPO / "notebooks", run=False, engine="jupyter-book")
    src = tmp_path / "course"
    src.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# One\n\n$x^2$")]
    nbformat.write(nb, src / "01_one.ipynb")
    res = build_site(tmp_path / "s", folder=src, run=False)
    assert res["engine"] == "nbconvert" and res["why"] == why and (tmp_path / "s" / "01_one.html").is_file()


def test_theme_server_answers_what_the_engine_asks(tmp_path):
    """The theme server's side of MyST's contract, against a stand-in content server (no Node.js needed).

    It must print its address when ready, render ``/`` and ``/SLUG`` from ``/content/SLUG.json``, pass
    ``/SLUG.json`` through, serve the site files the static export fetches, hand figures to a live preview
    under ``/build/``, and answer 404 for a page the engine does not have.
    """
    import http.server
    import os
    import socket
    import subprocess
    import sys
    import threading
    import urllib.error
    import urllib.request

    root = tmp_path / "content_root"
    (root / "content").mkdir(parents=True)
    (root / "config.json").write_text(json.dumps(CONFIG))
    for slug, title in (("index", "Contents page"), ("ch", "Chapter")):
        page = _page([{"type": "heading", "depth": 2, "html_id": "s1",
                       "children": [{"type": "text", "value": f"{title} section"}]}], slug=slug)
        page["frontmatter"]["title"] = title
        (root / "content" / f"{slug}.json").write_text(json.dumps(page))
    (root / "f00.png").write_bytes(b"\x89PNG\r\n\x1a\nfigure")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    content = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=content.serve_forever, daemon=True).start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), CONTENT_CDN_PORT=str(content.server_address[1]),
               MODE="static")
    proc = subprocess.Popen([sys.executable, "-m", "polygov.site_theme"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline()
        assert f"started at http://127.0.0.1:{port}" in ready  # the line the engine waits for

        def get(path):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                return r.status, r.headers["Content-Type"], r.read()

        status, ctype, body = get("/")
        assert status == 200 and ctype.startswith("text/html") and b"<h1>Contents page</h1>" in body
        _, _, body = get("/ch")
        assert b"<h1>Chapter</h1>" in body and b'<h2 id="s1">Chapter section</h2>' in body
        assert b'href="../index.html"' in body  # relative links: the page is saved as ch/index.html
        assert json.loads(get("/ch.json")[2])["slug"] == "ch"
        assert get("/build/f00.png")[2] == b"\x89PNG\r\n\x1a\nfigure"
        for asset, kind in (("/myst-theme.css", "text/css"), ("/favicon.ico", "image/x-icon"),
                            ("/robots.txt", "text/plain"), ("/sitemap.xml", "application/xml"),
                            ("/sitemap_style.xsl", "application/xml")):
            status, ctype, body = get(asset)
            assert status == 200 and ctype.startswith(kind) and body, asset
        with pytest.raises(urllib.error.HTTPError) as err:
            get("/no-such-page")
        assert err.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        content.shutdown()
