"""The ``polygov`` command line.

    polygov data list                      bundled datasets (and official sources)
    polygov data info NAME                 provenance, coverage and codebook of a dataset
    polygov data fetch NAME [--edition E]  download an official source into the cache
    polygov data import NAME PATH          register a file downloaded by hand
    polygov course get DIR [--student]     copy the course notebooks into DIR
    polygov course run [--notebooks DIR]   execute the course, write HTML to build/course
    polygov course student                 write student copies (solutions removed)
    polygov course open [DIR]              start JupyterLab on the course folder
    polygov course site                    build the course website into build/site
    polygov monitor report --source S      early-warning report (HTML) for a country

A user error (bad argument, missing or malformed file, offline, corrupt cache)
prints one line ``polygov: error: ...`` and exits with status 2; ``polygov
--debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from .monitor import cli as _monitor_cli

__all__ = ["main"]


def _data_list(args) -> int:
    from .data import catalog

    cat = catalog()
    cols = ["name", "rows", "columns", "countries", "year_min", "year_max", "licence", "title"]
    print("Bundled datasets (offline):")
    print(cat[cols].to_string(index=False))
    try:
        from .data.sources import SOURCES
    except ImportError:
        return 0
    print("\nOfficial sources (fetch on request: polygov data fetch NAME):")
    for name, src in SOURCES.items():
        eds = ", ".join(getattr(src, "editions", {}) or [])
        print(f"  {name:12s} {getattr(src, 'title', '')}  [editions: {eds}]")
    return 0


def _data_info(args) -> int:
    from .data import codebook, provenance

    try:
        p = provenance(args.name)
    except KeyError:
        from .data.sources import SOURCES

        if args.name in SOURCES:
            print(SOURCES[args.name])
            return 0
        raise  # main prints "polygov: error: unknown dataset ... Did you mean ..."
    wrap = textwrap.TextWrapper(width=100, subsequent_indent="    ")
    for key in ("title", "publisher", "edition", "url", "citation", "obtained", "can_say", "cannot_say"):
        print(wrap.fill(f"{key}: {p[key]}"))
    print(wrap.fill(f"licence: {p['licenses'][0]['name']}"))
    if p.get("license_note"):
        print(wrap.fill(f"licence note: {p['license_note']}"))
    print(f"file: {p['path']}  sha256: {p['sha256']}")
    print(f"coverage: {p['coverage']}")
    for t in p.get("transformations", []):
        print(wrap.fill(f"  - {t}"))
    print()
    print(codebook(args.name)[["column", "unit", "direction", "label"]].to_string(index=False, max_colwidth=70))
    return 0


def _sources_help() -> str:
    """The official sources and their editions, for ``data fetch/import --help``."""
    from .data.sources import SOURCES

    lines = ["official sources and their editions (* = default; 'pinned' = sha256 known,",
             "'by hand' = no direct URL: download it and use `polygov data import`):"]
    for name, src in SOURCES.items():
        lines.append(f"  {name:9s} {src.title}")
        for ed, info in src.editions.items():
            how = ("fetch" if info.url else "by hand") + (", pinned" if info.sha256 else "")
            mark = "*" if ed == src.default_edition else " "
            lines.append(f"    {mark}{ed:10s} {info.filename}  ({how})")
    return "\n".join(lines)


def _with_sources_epilog(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """List the sources in ``parser``'s help, built only when the help is shown (fast start)."""
    plain = parser.format_help

    def format_help() -> str:
        parser.epilog = _sources_help()
        return plain()

    parser.format_help = format_help
    return parser


def _data_fetch(args) -> int:
    from .data import fetch as _fetch

    path = _fetch.fetch(args.name, edition=args.edition)
    print(path)
    return 0


def _data_import(args) -> int:
    from .data import fetch as _fetch

    path = _fetch.import_file(args.name, args.path, edition=args.edition, new_edition=args.new_edition)
    print(f"registered {args.path} as {args.name} -> {path}")
    return 0


def _course_run(args) -> int:
    from .course import run_course

    def report(r):
        print(f"  {r.status:8s} {r.seconds:6.1f} s  {r.notebook}" + (f"  ({r.message})" if r.message else ""),
              flush=True)

    import time

    t0 = time.perf_counter()
    res = run_course(args.notebook or None, folder=args.notebooks, output=args.output,
                     inplace=args.inplace, timeout=args.timeout, jobs=args.jobs, on_result=report)
    wall = time.perf_counter() - t0
    print()
    print(res[["notebook", "status", "seconds"]].to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    total = res["seconds"].sum()
    print(f"\n{(res.status == 'ok').sum()} ok, {(res.status == 'failed').sum()} failed, "
          f"{(res.status == 'skipped').sum()} skipped; {total:.1f} s of notebook time, {wall:.1f} s wall "
          f"with {args.jobs} job(s); HTML in {args.output}/")
    return 1 if (res.status == "failed").any() else 0


def _course_student(args) -> int:
    from .course import student_copies

    res = student_copies(args.notebook or None, folder=args.notebooks, output=args.output)
    print(res.to_string(index=False))
    return 0


def _course_get(args) -> int:
    from .course import get_course

    res = get_course(args.dir, student=args.student, force=args.force)
    print(res[["file", "action"]].to_string(index=False))
    version = "student version (no solutions)" if args.student else "instructor version (with solutions)"
    print(f"\nthe course ({version}) is in {args.dir}/; next: cd {args.dir} && polygov course open "
          "(or polygov course run)")
    return 0


def _course_open(args) -> int:
    import subprocess
    from pathlib import Path

    from .course import _is_installed_copy, notebooks_dir

    folder = notebooks_dir(args.dir)
    if _is_installed_copy(folder):
        print("error: no course folder here; copy the course first, then open it:\n"
              "  polygov course get polygov-course\n  polygov course open polygov-course", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={Path(folder).resolve()}"]
    if args.no_browser:
        cmd.append("--no-browser")
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd)


def _course_site(args) -> int:
    from .site import build_site

    try:
        res = build_site(output=args.output, executed=args.executed, folder=args.notebooks,
                         run=not args.no_run, jobs=args.jobs, progress=True, engine=args.engine)
    except RuntimeError as exc:  # a notebook or the Jupyter Book build failed: no site
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for pg in res["pages"]:
        print(f"  {pg['status']:13s} {pg['notebook']}" + (f"  ({pg['note']})" if pg["note"] else ""))
    for w in res["warnings"]:
        print(f"  warning: {w}")
    engine = "Jupyter Book 2 (MyST)" if res["engine"] == "jupyter-book" else "nbconvert"
    print(f"site built with {engine} in {res['seconds']:.1f} s: open {res['index']}")
    if res["why"]:
        print(f"  (not Jupyter Book 2: {res['why']})")
    return 0


class _DefaultsHelp(argparse.HelpFormatter):
    """Show ``(default: X)`` after an option's help, unless it has no meaningful default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "%(default)" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polygov", description="Governance capacity and polycentric governance.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"polygov {__version__}")
    p.add_argument("--debug", action="store_true",
                   help="show the full traceback of an error (for bug reports)")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="bundled and official datasets")
    dsub = d.add_subparsers(dest="action", required=True)
    dsub.add_parser("list", help="list datasets").set_defaults(func=_data_list)
    info = dsub.add_parser("info", help="provenance and codebook of a dataset")
    info.add_argument("name")
    info.set_defaults(func=_data_info)
    raw = argparse.RawDescriptionHelpFormatter
    f = dsub.add_parser("fetch", help="download an official source into the local cache",
                        description="Download an official source from its publisher into the "
                                    "local polygov cache ($POLYGOV_CACHE or the user cache "
                                    "folder), checking its sha256.", formatter_class=raw)
    f.add_argument("name", help="source name (listed below)")
    f.add_argument("--edition", default=None, help="edition label (default: the source's *)")
    f.set_defaults(func=_data_fetch)
    _with_sources_epilog(f)
    im = dsub.add_parser("import", help="register a file you downloaded by hand",
                         description="Register a file downloaded by hand in the local polygov "
                                     "cache. Its sha256 identifies a pinned edition; otherwise "
                                     "name the edition with --edition.", formatter_class=raw)
    im.add_argument("name", help="source name (listed below)")
    im.add_argument("path", help="the downloaded file")
    im.add_argument("--edition", default=None,
                    help="edition label; required when the file matches no pinned checksum")
    im.add_argument("--new-edition", action="store_true",
                    help="record the file as a new edition when its checksum matches no pinned one")
    im.set_defaults(func=_data_import)
    _with_sources_epilog(im)

    c = sub.add_parser("course", help="get, run, open and publish the course notebooks")
    csub = c.add_subparsers(dest="action", required=True)
    fmt = _DefaultsHelp
    folder_help = ("the course folder (default: the current folder if it holds the notebooks, "
                   "else ./notebooks, else the course installed with polygov)")
    get = csub.add_parser("get", formatter_class=fmt,
                          help="copy the course notebooks into a folder of your own",
                          description="Copy the course notebooks (shipped with polygov) into DIR. "
                                      "Files you changed since an earlier copy are never overwritten "
                                      "unless you pass --force.")
    get.add_argument("dir", help="the folder to copy the course into (created)")
    get.add_argument("--student", action="store_true", help="the student version (solutions removed)")
    get.add_argument("--force", action="store_true", help="overwrite files you changed (changes are lost)")
    get.set_defaults(func=_course_get)
    run = csub.add_parser("run", formatter_class=fmt, help="execute every notebook and write HTML copies")
    run.add_argument("notebook", nargs="*", help="notebooks to run (default: all in the course folder)")
    run.add_argument("--notebooks", metavar="DIR", default=None, help=folder_help)
    run.add_argument("--output", default="build/course", help="folder for the HTML copies")
    run.add_argument("--inplace", action="store_true", help="also save the executed notebooks")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    run.set_defaults(func=_course_run)
    st = csub.add_parser("student", formatter_class=fmt, help="write student copies with solutions removed")
    st.add_argument("notebook", nargs="*", help="notebooks to copy (default: all in the course folder)")
    st.add_argument("--notebooks", metavar="DIR", default=None, help=folder_help)
    st.add_argument("--output", default="build/student", help="folder for the student copies")
    st.set_defaults(func=_course_student)
    op = csub.add_parser("open", formatter_class=fmt, help="start JupyterLab on the course folder",
                         description="Start JupyterLab on the course folder (stop it with Ctrl+C).")
    op.add_argument("dir", nargs="?", default=None, help=folder_help)
    op.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    op.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    op.set_defaults(func=_course_open)
    si = csub.add_parser("site", formatter_class=fmt,
                         help="build a static website of the executed course (Jupyter Book 2 / MyST)")
    si.add_argument("--output", default="build/site", help="folder for the website")
    si.add_argument("--notebooks", metavar="DIR", default=None, help=folder_help)
    si.add_argument("--executed", metavar="DIR", default=None,
                    help="take executed notebooks from DIR instead of running the course")
    si.add_argument("--no-run", action="store_true",
                    help="publish the notebooks with their saved outputs, without running them")
    si.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    si.add_argument("--engine", choices=("auto", "jupyter-book", "nbconvert"), default="auto",
                    help="Jupyter Book 2 (needs polygov[site] and Node.js 18+), nbconvert pages, or "
                         "auto: Jupyter Book when it can run here")
    si.set_defaults(func=_course_site)
    _monitor_cli.add_subparser(sub)
    return p


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that report a user error (bad input, missing file, offline), not a bug."""
    import csv

    return (ValueError, TypeError, KeyError, OSError, ImportError, csv.Error)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"polygov: warning: {message}", file=sys.stderr if file is None else file)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a user error prints ``polygov: error: ...`` and returns 2.

    Errors that come from the input (the library's error classes, all of them
    ``ValueError``/``TypeError``/``KeyError``/``OSError`` subclasses, and a
    missing optional package) are printed as one line without a traceback.
    ``--debug`` shows the traceback; any other exception is a bug and keeps it.
    """
    import warnings

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _show_warning
            return args.func(args)
    except _user_errors() as exc:
        if args.debug:
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"polygov: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
