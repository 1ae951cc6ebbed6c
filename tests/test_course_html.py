"""The course's HTML copies read offline.

``polygov course run`` writes one HTML page per notebook. They must work on a
laptop with no network: math typeset by a MathJax copy beside the pages (from the
``jupyter-server-mathjax`` package), widgets (which need a live kernel) replaced by
a note that says so, no script or style sheet from a CDN.  The browser test opens
the pages in Debian's headless Chromium with every network request sent to a dead
proxy, and checks that MathJax typeset every formula and that nothing was fetched
from the network.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from polygov import course

REPO = Path(__file__).resolve().parents[1]
#: Chromium flags that cut the network: every http(s) request goes to a closed port.
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


def _math_widget_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Inline $\\alpha^2 + \\beta$ and display\n\n$$\\bar y = \\frac{1}{n}\\sum_i y_i$$"),
        nbformat.v4.new_code_cell("import ipywidgets as w\nw.IntSlider(value=3)"),
        nbformat.v4.new_code_cell("print(6 * 7)"),
    ]
    nbformat.write(nb, path)
    return path


def _remote(html: str) -> list[str]:
    """URLs a page would load (scripts, style sheets, images, fonts), not links a reader may follow."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html)
    urls = [u for t in tags for u in re.findall(r"(?:src|href)=[\"']([^\"']+)", t)]
    return [u for u in urls if re.match(r"(https?:)?//", u)]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """HTML copies: a toy notebook with math and a widget, run by ``run_course``; notebooks 02 and 11
    as committed (converted, not re-run)."""
    tmp = tmp_path_factory.mktemp("html")
    toy = _math_widget_notebook(tmp / "01_toy.ipynb")
    out = tmp / "html"
    res = course.run_course([toy], output=out, progress=False)
    assert res["status"].tolist() == ["ok"], res["message"].tolist()
    mathjax = course.MATHJAX_FOLDER + "/MathJax.js"
    for name in ("02_measuring_governance_capacity", "13_interactive_lab"):
        course.to_html(nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4), out / f"{name}.html",
                       mathjax=mathjax)
    return out


def test_html_loads_nothing_from_the_network(pages):
    toy = (pages / "01_toy.html").read_text(encoding="utf-8")
    assert _remote(toy) == []
    assert 'src="_static/mathjax/MathJax.js?config=' in toy
    assert (pages / "_static" / "mathjax" / "MathJax.js").is_file()
    assert not (pages / "_static" / "mathjax" / "localization").exists()
    # the widget: a note in its place, no widget state nor the CDN widget manager
    assert toy.count('class="polygov-widget-note"') == 1
    assert "application/vnd.jupyter.widget-state+json" not in toy and "html-manager" not in toy
    assert "require.min.js" not in toy
    for page in pages.glob("*.html"):
        assert _remote(page.read_text(encoding="utf-8")) == [], page.name


def test_executed_notebook_keeps_its_widget_state(tmp_path):
    """The note replaces the widget in the HTML only; the notebook itself is untouched."""
    nb = nbformat.read(_math_widget_notebook(tmp_path / "t.ipynb"), as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={
        course.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "IntSlider(value=3)"})]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    static = course._static_widgets(nb)
    assert course.WIDGET_MIME in nb.cells[1].outputs[0]["data"] and "widgets" in nb.metadata
    assert static.cells[1].outputs[0]["data"]["text/html"] == course.WIDGET_NOTE
    assert "widgets" not in static.metadata


@pytest.mark.browser
def test_html_copies_render_offline_in_chromium(pages, tmp_path):
    from test_widgets_browser import _requirements, chromium

    _requirements()
    typeset = """
        const done = arguments[arguments.length - 1];
        if (!window.MathJax || !MathJax.Hub) { done({mathjax: false}); return; }
        MathJax.Hub.Queue(() => done({
            mathjax: true,
            formulas: document.querySelectorAll('script[type^="math/tex"]').length,
            rendered: document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG').length,
            errors: document.querySelectorAll('.MathJax_Error, .merror').length
                    + (document.body.innerText.includes('Math Processing Error') ? 1 : 0),
            notes: document.querySelectorAll('.polygov-widget-note').length,
            remote: performance.getEntriesByType('resource').map(e => e.name)
                     .filter(u => !u.startsWith('file:') && !u.startsWith('data:')),
            images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length,
        }));
    """
    expect_notes = {"01_toy.html": 1, "02_measuring_governance_capacity.html": 0, "13_interactive_lab.html": 3}
    with chromium(tmp_path / "profile", OFFLINE) as driver:
        driver.set_script_timeout(60)
        for name, notes in expect_notes.items():
            driver.get((pages / name).as_uri())
            got = driver.execute_async_script(typeset)
            assert got["mathjax"], f"{name}: MathJax did not load from the local copy"
            assert got["errors"] == 0, (name, got)
            assert got["remote"] == [], (name, got["remote"])
            assert got["images"] == 0, (name, "broken images")
            assert got["notes"] == notes, (name, got)
            if name == "01_toy.html":
                assert got["formulas"] == 2, got  # one inline, one display formula
            if name != "13_interactive_lab.html":
                assert got["formulas"] > 0 and got["rendered"] >= got["formulas"], (name, got)
            if name == "02_measuring_governance_capacity.html":
                driver.save_screenshot(str(tmp_path / "nb02.png"))
