"""The ``polygov`` command line.

    polygov data list                      bundled datasets (and official sources)
    polygov data info NAME                 provenance, coverage and codebook of a dataset
    polygov data fetch NAME [--edition E]  download an official source into the cache
    polygov data import NAME PATH          register a file downloaded by hand
    polygov course run [--inplace]         execute the course, write HTML to build/course
    polygov course student                 write student copies (solutions removed)
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
    cols = ["name", "rows", "columns", "countries", "year_min", "year_max", "title"]
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
    except KeyError as exc:
        try:
            from .data.sources import SOURCES
        except ImportError:
            SOURCES = {}
        if args.name in SOURCES:
            print(SOURCES[args.name])
            return 0
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    wrap = textwrap.TextWrapper(width=100, subsequent_indent="    ")
    for key in ("title", "publisher", "edition", "url", "citation", "obtained", "can_say", "cannot_say"):
        print(wrap.fill(f"{key}: {p[key]}"))
    print(wrap.fill(f"licence: {p['licenses'][0]['name']}"))
    print(f"file: {p['path']}  sha256: {p['sha256']}")
    print(f"coverage: {p['coverage']}")
    for t in p.get("transformations", []):
        print(wrap.fill(f"  - {t}"))
    print()
    print(codebook(args.name)[["column", "unit", "direction", "label"]].to_string(index=False, max_colwidth=70))
    return 0


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
    res = run_course(args.notebooks or None, output=args.output, inplace=args.inplace,
                     timeout=args.timeout, jobs=args.jobs, on_result=report)
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

    res = student_copies(args.notebooks or None, output=args.output)
    print(res.to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polygov", description="Governance capacity and polycentric governance.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"polygov {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="bundled and official datasets")
    dsub = d.add_subparsers(dest="action", required=True)
    dsub.add_parser("list", help="list datasets").set_defaults(func=_data_list)
    info = dsub.add_parser("info", help="provenance and codebook of a dataset")
    info.add_argument("name")
    info.set_defaults(func=_data_info)
    f = dsub.add_parser("fetch", help="download an official source into the local cache")
    f.add_argument("name")
    f.add_argument("--edition", default=None)
    f.set_defaults(func=_data_fetch)
    im = dsub.add_parser("import", help="register a file you downloaded by hand")
    im.add_argument("name")
    im.add_argument("path")
    im.add_argument("--edition", default=None)
    im.add_argument("--new-edition", action="store_true",
                    help="record the file as a new edition when its checksum matches no pinned one")
    im.set_defaults(func=_data_import)

    c = sub.add_parser("course", help="run the course notebooks")
    csub = c.add_subparsers(dest="action", required=True)
    run = csub.add_parser("run", help="execute every notebook and write HTML copies")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    run.add_argument("--output", default="build/course")
    run.add_argument("--inplace", action="store_true", help="also save the executed notebooks")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    run.set_defaults(func=_course_run)
    st = csub.add_parser("student", help="write student copies with solutions removed")
    st.add_argument("notebooks", nargs="*")
    st.add_argument("--output", default="build/student")
    st.set_defaults(func=_course_student)
    _monitor_cli.add_subparser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, OSError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
