"""The ``polygov monitor`` command: ``polygov monitor report --source wgi --country CHN --out build/monitor/``."""

from __future__ import annotations

__all__ = ["add_subparser"]


def _report(args) -> int:
    from .report import write_report

    inds = args.indicator or None
    path = write_report(args.source, args.country, args.out, indicators=inds, q=args.q,
                        progress=not args.quiet)
    print(path)
    return 0


def add_subparser(subparsers) -> None:
    """Register ``monitor report`` on the ``polygov`` command's subparsers."""
    from .inputs import SOURCES

    m = subparsers.add_parser("monitor", help="governance early-warning monitor")
    msub = m.add_subparsers(dest="action", required=True)
    r = msub.add_parser("report", help="write an HTML report for one country")
    r.add_argument("--source", default="wgi", help=f"bundled source: {', '.join(SOURCES)} (default wgi)")
    r.add_argument("--country", required=True, help="ISO3 code, e.g. CHN")
    r.add_argument("--out", default="build/monitor", help="output folder (default build/monitor)")
    r.add_argument("--indicator", action="append", help="indicator to include (repeatable; default all)")
    r.add_argument("--q", type=float, default=0.10, help="false-discovery rate (default 0.10)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_report)
