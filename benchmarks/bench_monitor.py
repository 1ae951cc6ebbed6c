"""Timing of the early-warning monitor on the whole world (issue 13: target <= 2 s).

Run:  python benchmarks/bench_monitor.py [--repeat 5]

Input: the WGI 2024 Update (all economies, six dimensions, 1996-2023) in the schema of
``pg.data.load("wgi")``: the bundled file when it exists, otherwise the official
``wgidataset.csv`` under $POLYGOV_SHARED_DATA (default ../shared/data) pivoted to
that schema (the pivot is not timed).  Timed: building the monitor panel, every
change over windows 1, 3 and 5 years, the FDR rule over every family, and the
episodes of every unit and dimension.  Also timed: the same on ERT v15 (V-Dem's
electoral democracy index, 1900-2024) with the ERT comparison.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
from _timing import best

import polygov.monitor as mon

ROOT = Path(os.environ.get("POLYGOV_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _wgi() -> pd.DataFrame:
    try:
        from polygov.data import load

        return load("wgi")
    except KeyError:
        from polygov.data.parsers import wgi

        long = wgi.parse(ROOT / "wgi" / "2024_update" / "wgidataset.csv")
        w = long.pivot_table(index=["iso3", "year"], columns="indicator", values=["estimate", "std_error"])
        w.columns = [f"{i}_{v}" for v, i in w.columns]
        return w.reset_index()


def _ert() -> pd.DataFrame:
    try:
        from polygov.data import load

        return load("vdem_ert")
    except KeyError:
        e = pd.read_csv(ROOT / "vdem" / "ert_v15" / "ert.csv", low_memory=False)
        return e.rename(columns={"country_text_id": "iso3"})




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    w = _wgi()
    mon.scan(mon.load_source("wgi", data=w.head(200)))  # warm imports

    def world():
        panel = mon.load_source("wgi", data=w)
        flags = mon.scan(panel, windows=(1, 3, 5))
        ep = mon.episodes(panel)
        return panel, flags, ep

    t, (panel, flags, ep) = best(world, args.repeat)
    print(f"WGI world: {panel['iso3'].nunique()} economies x {panel['indicator'].nunique()} dimensions x "
          f"{panel['year'].nunique()} years -> {len(flags):,} changes (windows 1, 3, 5), "
          f"{int(flags['flagged'].sum())} flagged, {len(ep)} candidate episodes")
    print(f"  best of {args.repeat}: {t:.3f} s  (target <= 2 s: {'met' if t <= 2 else 'NOT met'})")
    t_ch, _ = best(lambda: mon.changes(panel), args.repeat)
    t_fl, _ = best(lambda: mon.flag_declines(mon.changes(panel)), args.repeat)
    print(f"  of which changes {t_ch:.3f} s, changes + FDR {t_fl:.3f} s")
    e = _ert()

    def ert():
        p = mon.load_source("vdem_ert", data=e)
        ep = mon.episodes(p)
        return mon.compare_ert(ep, e, p)

    t, cmp = best(ert, args.repeat)
    print(f"ERT v15: episodes + comparison {t:.3f} s; {cmp!r}")


if __name__ == "__main__":
    main()
