"""The course website's web theme for Jupyter Book 2 / MyST (``polygov course site``).

Jupyter Book 2 (the ``mystmd`` engine) parses the executed notebooks into MyST's
document tree (mdast), resolves cross-references, typesets the math and writes
page JSON; a *theme server* then turns each page into HTML, and ``jupyter book
build --html`` saves what that server answers as a static site.  MyST's own
themes (``book-theme``) are React apps that the engine downloads from its
template server at build time, which a course lab or a CI machine without
internet cannot reach, and they are not published on a package registry.  This
module is a small theme of polygov's own that follows MyST's theme contract
(a ``template.yml`` of kind ``site`` whose ``build.start`` command serves pages
on ``$PORT`` and reads content from the engine's content server on
``$CONTENT_CDN_PORT``), so the whole build runs offline:

- :func:`render_page` turns one page's JSON (its mdast and frontmatter) and the
  site's ``config.json`` into an HTML page: navigation (contents, glossary,
  previous and next chapter, downloads), headings with anchors, highlighted code,
  the saved cell outputs (tables, text, figures), MathML from the engine's
  KaTeX output (rendered by the browser: no script, no web font), and a note in
  place of interactive widgets;
- :func:`write_template` writes the theme folder (``template.yml``, its static
  files) that ``myst.yml`` points at with ``site: template: ./_theme``;
- ``python -m polygov.site_theme`` is the theme server the engine starts.

Every link a page writes is relative, so the built site works from disk
(``file://``) and from any folder of a static host. The same theme serves a live
preview (``jupyter book start`` in a project from
:func:`polygov.site.write_myst_project`), where figures come from the engine's
content server under ``/build/``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

__all__ = ["THEME_TITLE", "UnknownNodeError", "render_page", "write_template"]

THEME_TITLE = "polygov course theme"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MATHML = re.compile(r"<math\b.*?</math>", re.S)

CSS = """
:root { --ink:#1d2430; --muted:#5b6574; --line:#d9dee5; --accent:#0072B2; --nav:#1f3b57; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); font:16px/1.6 system-ui,-apple-system,"Segoe UI",sans-serif; }
nav.polygov-nav { position:sticky; top:0; z-index:10; background:var(--nav); color:#fff; padding:.45em 1em;
  font-size:14px; display:flex; flex-wrap:wrap; gap:.4em 1.2em; }
nav.polygov-nav a { color:#fff; }
.layout { display:flex; max-width:1280px; margin:0 auto; }
aside.toc { flex:0 0 260px; padding:1.2em 1em; border-right:1px solid var(--line); font-size:14px;
  position:sticky; top:2.4em; align-self:flex-start; max-height:calc(100vh - 2.4em); overflow:auto; }
aside.toc ol { list-style:none; padding:0; margin:0; }
aside.toc li { margin:.25em 0; }
aside.toc a { color:var(--ink); text-decoration:none; }
aside.toc a[aria-current] { font-weight:600; color:var(--accent); }
main { flex:1 1 auto; min-width:0; padding:1.2em 2em 4em; max-width:960px; }
h1 { font-size:1.9em; line-height:1.25; }
h1, h2, h3, h4 { scroll-margin-top:2.6em; }
a { color:var(--accent); }
code { font:0.9em/1.4 ui-monospace,"DejaVu Sans Mono",monospace; background:#f3f5f8; padding:0 .2em; }
pre { background:#f6f8fa; border:1px solid var(--line); padding:.7em 1em; overflow:auto;
  font:13px/1.45 ui-monospace,"DejaVu Sans Mono",monospace; }
pre code { background:none; padding:0; }
.cell { margin:1em 0; }
.cell-outputs { margin:.3em 0 .3em 1.2em; overflow-x:auto; }
.cell-outputs pre { background:#fff; border-left:3px solid var(--line); border-top:0; border-right:0;
  border-bottom:0; }
.cell-outputs pre.stderr { background:#fff6f3; }
.cell-outputs img { max-width:100%; height:auto; }
table { border-collapse:collapse; margin:.8em 0; font-size:14px; }
th, td { border:1px solid var(--line); padding:.25em .6em; text-align:left; vertical-align:top; }
.dataframe td, .dataframe th { text-align:right; }
main > table td:last-child a { white-space:nowrap; }
blockquote { border-left:4px solid var(--line); margin:1em 0; padding:.1em 1em; color:var(--muted); }
.math-display { overflow-x:auto; overflow-y:hidden; margin:.8em 0; text-align:center; }
.math-error { color:#b00020; }
.polygov-downloads { font-size:14px; color:var(--muted); }
.polygov-widget-note { border:1px dashed #888; padding:.5em .8em; }
footer { color:var(--muted); font-size:13px; border-top:1px solid var(--line); margin-top:3em; padding-top:1em; }
@media (max-width: 800px) { aside.toc { display:none; } main { padding:1em; } }
"""


class UnknownNodeError(ValueError):
    """A MyST node type the theme does not render (raised only with ``strict=True``)."""


def _project(config: dict) -> dict:
    projects = config.get("projects") or []
    if not projects:
        raise ValueError("config.json has no project; is this a MyST site build folder?")
    return projects[0]


class _Renderer:
    def __init__(self, page: dict, config: dict, *, strict: bool):
        self.page, self.config, self.strict = page, config, strict
        self.project = _project(config)
        self.index_slug = self.project.get("index", "index")
        self.slug = page.get("slug", self.index_slug)
        self.root = "" if self.slug == self.index_slug else "../"
        self.unknown: set[str] = set()
        self.figures = 0
        self.math_errors = 0

    # -- links -------------------------------------------------------------------------------
    def page_href(self, slug: str) -> str:
        return f"{self.root}index.html" if slug in ("", self.index_slug) else f"{self.root}{slug}/index.html"

    def asset(self, url: str) -> str:
        """A file the engine copied into the site's ``build/`` folder (figures, downloads)."""
        return f"{self.root}build/{url.lstrip('/')}"

    def link_href(self, node: dict) -> str:
        url = node.get("url", "")
        if node.get("static"):
            return self.asset(url)
        if url.startswith("/") and not url.startswith("//"):
            path, _, frag = url[1:].partition("#")
            return self.page_href(path.strip("/")) + (f"#{frag}" if frag else "")
        return url

    # -- nodes -------------------------------------------------------------------------------
    def children(self, node: dict) -> str:
        return "".join(self.node(c) for c in node.get("children") or [])

    def node(self, n: dict) -> str:  # noqa: C901 - one branch per node type, as MyST defines them
        t = n.get("type")
        kids = self.children
        esc = html.escape
        if t == "text":
            return esc(n.get("value", ""), quote=False)
        if t in ("root", "block"):
            inner = kids(n)
            if t == "block" and n.get("kind") == "notebook-code":
                return f'<div class="cell" id="{esc(n.get("html_id", ""))}">{inner}</div>'
            return inner
        if t == "paragraph":
            return f"<p>{kids(n)}</p>\n"
        if t == "heading":
            d = min(max(int(n.get("depth", 2)), 1), 6)
            ident = n.get("html_id") or n.get("identifier") or ""
            attr = f' id="{esc(ident)}"' if ident else ""
            return f"<h{d}{attr}>{kids(n)}</h{d}>\n"
        if t in ("emphasis", "strong", "delete", "subscript", "superscript", "underline", "smallcaps"):
            tag = {"emphasis": "em", "strong": "strong", "delete": "del", "subscript": "sub",
                   "superscript": "sup", "underline": "u", "smallcaps": "span"}[t]
            return f"<{tag}>{kids(n)}</{tag}>"
        if t == "inlineCode":
            return f"<code>{esc(n.get('value', ''), quote=False)}</code>"
        if t == "code":
            return self.code(n)
        if t == "outputs":
            inner = kids(n)
            return f'<div class="cell-outputs">{inner}</div>' if inner else ""
        if t == "output":
            return self.output(n.get("jupyter_data") or {})
        if t in ("inlineMath", "math"):
            return self.math(n, display=(t == "math"))
        if t == "list":
            tag = "ol" if n.get("ordered") else "ul"
            start = n.get("start")
            attr = f' start="{int(start)}"' if tag == "ol" and start not in (None, 1) else ""
            return f"<{tag}{attr}>{kids(n)}</{tag}>\n"
        if t == "listItem":
            return f"<li>{kids(n)}</li>\n"
        if t == "link":
            title = f' title="{esc(n["title"])}"' if n.get("title") else ""
            # a {download} link: the engine copied the file into build/ under a hashed name
            name = (n.get("urlSource") or "").rsplit("/", 1)[-1]
            dl = (f' download="{esc(name)}"' if name else " download") if n.get("static") else ""
            return f'<a href="{esc(self.link_href(n))}"{title}{dl}>{kids(n)}</a>'
        if t == "crossReference":
            ident = n.get("html_id") or n.get("identifier") or ""
            url = n.get("url") or ""
            href = self.link_href({"url": url}) if url.startswith("/") else ""
            return f'<a href="{esc(href)}#{esc(ident)}">{kids(n)}</a>'
        if t == "image":
            self.figures += 1
            src = n.get("url", "")
            if src.startswith("/"):
                src = self.asset(src)
            return f'<img src="{esc(src)}" alt="{esc(n.get("alt") or n.get("title") or "figure")}">'
        if t == "table":
            return f"<table>{kids(n)}</table>\n"
        if t == "tableRow":
            return f"<tr>{kids(n)}</tr>"
        if t == "tableCell":
            tag = "th" if n.get("header") else "td"
            align = f' style="text-align:{esc(n["align"])}"' if n.get("align") else ""
            return f"<{tag}{align}>{kids(n)}</{tag}>"
        if t == "blockquote":
            return f"<blockquote>{kids(n)}</blockquote>\n"
        if t == "thematicBreak":
            return "<hr>\n"
        if t == "break":
            return "<br>"
        if t == "html":
            return n.get("value", "")
        if t == "div":
            style = n.get("style") or {}
            css = ";".join(f"{re.sub(r'([A-Z])', lambda m: '-' + m.group(1).lower(), k)}:{v}"
                           for k, v in style.items())
            return f'<div style="{esc(css)}">{kids(n)}</div>'
        if t in ("admonition", "aside"):
            kind = esc(n.get("kind", "note"))
            return f'<aside class="admonition {kind}">{kids(n)}</aside>'
        if t == "admonitionTitle":
            return f'<p class="admonition-title"><strong>{kids(n)}</strong></p>'
        if t in ("container", "figure"):
            return f"<figure>{kids(n)}</figure>"
        if t == "caption":
            return f"<figcaption>{kids(n)}</figcaption>"
        if t == "cite":
            label = n.get("label") or ""
            return f'<a class="cite" href="#cite-{esc(label)}">{kids(n)}</a>' if label else kids(n)
        if t == "citeGroup":
            return f'<span class="cite-group">{kids(n)}</span>'
        if t == "comment":
            return ""
        self.unknown.add(str(t))
        if self.strict:
            raise UnknownNodeError(f"MyST node type {t!r} on page {self.slug!r} has no renderer in the theme")
        return kids(n)

    def code(self, n: dict) -> str:
        src = n.get("value", "")
        lang = n.get("lang") or ""
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound

            try:
                lexer = get_lexer_by_name(lang or "text")
            except ClassNotFound:
                lexer = get_lexer_by_name("text")
            body = highlight(src, lexer, HtmlFormatter(nowrap=True))
        except ImportError:  # pragma: no cover - pygments comes with nbconvert / IPython
            body = html.escape(src, quote=False)
        return f'<pre class="highlight"><code class="language-{html.escape(lang)}">{body}</code></pre>\n'

    def math(self, n: dict, *, display: bool) -> str:
        m = _MATHML.search(n.get("html") or "")
        if m is None:
            self.math_errors += 1
            return f'<code class="math-error" title="could not typeset">{html.escape(n.get("value", ""))}</code>'
        mathml = m.group(0)
        if display:
            mathml = mathml.replace("<math ", '<math display="block" ', 1)
            return f'<div class="math-display">{mathml}</div>\n'
        return mathml

    def output(self, jd: dict) -> str:
        from .course import WIDGET_NOTE

        kind = jd.get("output_type")
        if kind == "stream":
            cls = "stderr" if jd.get("name") == "stderr" else "stdout"
            text = jd.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            return f'<pre class="{cls}">{html.escape(_ANSI.sub("", text), quote=False)}</pre>'
        if kind == "error":
            tb = "\n".join(jd.get("traceback") or [f"{jd.get('ename')}: {jd.get('evalue')}"])
            return f'<pre class="stderr">{html.escape(_ANSI.sub("", tb), quote=False)}</pre>'
        data = jd.get("data") or {}

        def content(mime):
            item = data.get(mime)
            return item.get("content", "") if isinstance(item, dict) else (item or "")

        if "application/vnd.jupyter.widget-view+json" in data:
            return WIDGET_NOTE
        if "text/html" in data:
            return f'<div class="output-html">{content("text/html")}</div>'
        for mime in ("image/png", "image/jpeg", "image/svg+xml", "image/gif"):
            if mime in data:
                item = data[mime]
                self.figures += 1
                title = self.page.get("frontmatter", {}).get("title", self.slug)
                alt = f"Figure {self.figures} of {title}"
                if isinstance(item, dict) and item.get("path"):
                    return f'<img src="{html.escape(self.asset(item["path"]))}" alt="{html.escape(alt)}">'
                return f'<img src="data:{mime};base64,{content(mime)}" alt="{html.escape(alt)}">'
        if "text/markdown" in data:
            return f"<pre>{html.escape(content('text/markdown'), quote=False)}</pre>"
        if "text/plain" in data:
            return f"<pre>{html.escape(_ANSI.sub('', content('text/plain')), quote=False)}</pre>"
        return ""

    def references(self) -> str:
        """The page's bibliography (the engine formats each entry from the project's BibTeX)."""
        cite = (self.page.get("references") or {}).get("cite") or {}
        order, data = cite.get("order") or [], cite.get("data") or {}
        if not order:
            return ""
        items = "".join(f'<li id="cite-{html.escape(k)}">{data.get(k, {}).get("html", html.escape(k))}</li>'
                        for k in order)
        return f'<section class="references"><h2 id="references">References</h2><ol>{items}</ol></section>\n'

    # -- the page ----------------------------------------------------------------------------
    def pages(self) -> list[dict]:
        return [p for p in self.project.get("pages", []) if p.get("slug")]

    def render(self) -> str:
        esc = html.escape
        fm = self.page.get("frontmatter") or {}
        title = fm.get("title") or self.slug
        body = self.node(self.page.get("mdast") or {"type": "root"}) + self.references()
        pages = self.pages()
        slugs = [p["slug"] for p in pages]
        chapters = [p for p in pages if p["slug"] != "glossary"]
        nav = [("Contents", self.page_href(self.index_slug))]
        if "glossary" in slugs:
            nav.append(("Glossary", self.page_href("glossary")))
        order = [self.index_slug] + [p["slug"] for p in chapters]
        if self.slug in order:
            i = order.index(self.slug)
            if i > 0:
                prev = order[i - 1]
                nav.append(("← previous", self.page_href(prev)))
            if i + 1 < len(order):
                nav.append(("next →", self.page_href(order[i + 1])))
        downloads = ""
        location = self.page.get("location", "")
        if location.endswith(".ipynb"):
            name = location.rsplit("/", 1)[-1]
            nb_href, st_href = f"{self.root}notebooks/{name}", f"{self.root}student/{name}"
            nav += [("Download notebook", nb_href), ("Student version", st_href)]
            downloads = (f'<p class="polygov-downloads">Download this chapter: <a href="{esc(nb_href)}" download>'
                         f'the notebook with its outputs</a> · <a href="{esc(st_href)}" download>the student '
                         "version (solutions removed)</a>. Run it with <code>polygov course open</code>.</p>")
        nav_html = "".join(f'<a href="{esc(h)}">{esc(t)}</a>' for t, h in nav)
        toc = [f'<li><a href="{esc(self.page_href(self.index_slug))}"'
               f'{" aria-current=page" if self.slug == self.index_slug else ""}>Contents</a></li>']
        for p in pages:
            cur = " aria-current=page" if p["slug"] == self.slug else ""
            toc.append(f'<li><a href="{esc(self.page_href(p["slug"]))}"{cur}>{esc(p.get("title") or p["slug"])}</a></li>')
        site_title = self.project.get("title") or "polygov course"
        # The head has no end tag (optional in HTML) and its start tag an attribute: the engine's
        # static export puts a script at "<head>" or "</head>" (by version) of every index.html that
        # redirects ".../index.html" to ".../" -- right for MyST's React themes on a web server,
        # wrong for these plain pages opened from disk, where a folder URL shows a file listing.
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="en"><head data-theme="polygov"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)} · {esc(site_title)}</title>"
            f'<link rel="stylesheet" href="{self.root}myst-theme.css">'
            f'<link rel="icon" href="{self.root}favicon.ico">\n<body>'
            f'<nav class="polygov-nav">{nav_html}</nav>\n'
            f'<div class="layout"><aside class="toc"><strong>{esc(site_title)}</strong><ol>{"".join(toc)}</ol></aside>\n'
            f"<main><h1>{esc(title)}</h1>{downloads}\n{body}\n"
            "<footer>Built with Jupyter Book 2 (MyST) and polygov's course theme. Data sources and licences "
            "are given in each chapter.</footer></main></div>\n</body></html>\n"
        )


def render_page(page: dict, config: dict, *, strict: bool = False) -> str:
    """Render one MyST page (the engine's page JSON) as a complete HTML document.

    Parameters
    ----------
    page : dict
        A page as the content server gives it (``/content/{slug}.json``): ``slug``,
        ``frontmatter``, ``mdast`` and, for a notebook, ``location``.
    config : dict
        The site's ``config.json`` (its first project's ``index`` and ``pages``
        give the navigation).
    strict : bool
        Raise :class:`UnknownNodeError` for a node type the theme has no
        renderer for (the default renders its children, so no text is lost).
    """
    if not isinstance(page, dict) or "mdast" not in page:
        raise ValueError("page must be a MyST page dict with an 'mdast' tree (the engine's /content/{slug}.json)")
    if not isinstance(config, dict):
        raise TypeError(f"config must be the site's config.json as a dict, got {type(config).__name__}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, got {strict!r}")
    return _Renderer(page, config, strict=strict).render()


def write_template(dest: Path | str, *, python: str | None = None) -> Path:
    """Write the theme folder that ``myst.yml``'s ``site: template:`` points at; return it.

    The folder holds ``template.yml`` (kind ``site``; ``build.start`` runs this
    module's server with ``python``, by default the running interpreter), an
    empty ``node_modules`` (the theme installs nothing: the engine skips its
    ``npm install`` step) and ``public/`` (copied into the built site).
    """
    dest = Path(dest)
    py = python or sys.executable
    (dest / "public").mkdir(parents=True, exist_ok=True)
    (dest / "node_modules").mkdir(exist_ok=True)
    start = f"{shlex.quote(py)} -m polygov.site_theme"
    (dest / "template.yml").write_text(
        "myst: v1\nkind: site\n"
        f"title: {THEME_TITLE}\n"
        "description: A static, offline theme for the polygov course (navigation, figures, MathML).\n"
        "version: 1.0.0\nlicense: MIT\n"
        "build:\n"
        f"  install: {json.dumps(shlex.quote(py) + ' -c pass')}\n"
        f"  start: {json.dumps(start)}\n",
        encoding="utf-8")
    (dest / "public" / "myst-theme.css").write_text(CSS + _pygments_css(), encoding="utf-8")
    return dest


def _pygments_css() -> str:
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:  # pragma: no cover
        return ""
    return HtmlFormatter().get_style_defs(".highlight")


def _favicon() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (0x1F, 0x3B, 0x57)).save(buf, format="ICO")
    return buf.getvalue()


def _sitemap(config: dict, base: str) -> str:
    pages = [p for p in _project(config).get("pages", []) if p.get("slug")]
    urls = [f"{base}/"] + [f"{base}/{p['slug']}/" for p in pages]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{html.escape(u)}</loc></url>" for u in urls) + "</urlset>\n")


_XSL = ('<?xml version="1.0" encoding="UTF-8"?>\n<xsl:stylesheet version="1.0" '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/">'
        "<html><body><xsl:copy-of select=\".\"/></body></html></xsl:template></xsl:stylesheet>\n")


def serve(host: str, port: int, content_port: int) -> None:  # pragma: no cover - run by the engine
    """Serve the theme on ``host:port``, reading content from the engine on ``content_port``."""
    import http.server
    import urllib.error
    import urllib.request
    from urllib.parse import quote, unquote, urlsplit

    content = f"http://{host}:{content_port}"

    def fetch_bytes(path: str) -> tuple[bytes, str]:
        with urllib.request.urlopen(content + path, timeout=60) as resp:  # the engine, on this machine
            return resp.read(), resp.headers.get("Content-Type", "application/octet-stream")

    def fetch(path: str) -> Any:
        return json.loads(fetch_bytes(path)[0].decode("utf-8"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def send(self, body: bytes | str, ctype: str, status: int = 200) -> None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = unquote(urlsplit(self.path).path)
            try:
                if path == "/myst-theme.css":
                    return self.send(CSS + _pygments_css(), "text/css; charset=utf-8")
                if path == "/favicon.ico":
                    return self.send(_favicon(), "image/x-icon")
                if path == "/robots.txt":
                    return self.send("User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
                if path == "/sitemap_style.xsl":
                    return self.send(_XSL, "application/xml")
                if path.startswith("/build/"):  # live preview (jupyter book start): figures and downloads
                    return self.send(*fetch_bytes("/" + quote(path[len("/build/"):])))
                config = fetch("/config.json")
                if path == "/sitemap.xml":
                    return self.send(_sitemap(config, os.environ.get("BASE_URL", "")), "application/xml")
                if path.endswith(".json"):
                    return self.send(json.dumps(fetch(f"/content{path}")), "application/json")
                slug = path.strip("/") or _project(config).get("index", "index")
                page = fetch(f"/content/{slug}.json")
                return self.send(render_page(page, config), "text/html; charset=utf-8")
            except urllib.error.HTTPError as exc:
                return self.send(f"not found: {path} ({exc.code})", "text/plain; charset=utf-8", 404)
            except Exception as exc:  # noqa: BLE001 - report to the engine's log, keep serving
                print(f"polygov theme: error on {path}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                return self.send(f"error: {exc}", "text/plain; charset=utf-8", 500)

        def log_message(self, fmt, *args) -> None:
            pass

    srv = http.server.ThreadingHTTPServer((host, port), Handler)
    # the engine waits for a line with the server's address before it requests pages
    print(f"{THEME_TITLE} started at http://{host}:{port}", flush=True)
    srv.serve_forever()


def main() -> None:  # pragma: no cover - run by the engine
    try:
        host = os.environ.get("HOST") or "localhost"
        port = int(os.environ["PORT"])
        content_port = int(os.environ["CONTENT_CDN_PORT"])
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"polygov.site_theme is started by Jupyter Book with PORT and CONTENT_CDN_PORT set: {exc}") from None
    serve(host, port, content_port)


if __name__ == "__main__":  # pragma: no cover
    main()
