"""Timings of the official-data parsers on the real files in ../shared/data.

Run:  python benchmarks/bench_official.py [--repeat 3]

Prints, for each file: rows and countries parsed and the best wall-clock time of
``--repeat`` runs; for the xlsx files both engines (python-calamine, openpyxl).
Nothing is downloaded; the files are read where they are.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import pandas as pd

from _timing import best

from polygov.data.parsers import _common, egdi, hdr, vdem, wdi, wgi

ROOT = Path(os.environ.get("POLYGOV_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))

CASES = [
    ("wgi 2024 xlsx", wgi, "wgi/2024_update/wgidataset.xlsx", "2024", True),
    ("wgi 2024 csv", wgi, "wgi/2024_update/wgidataset.csv", "2024-csv", False),
    ("wgi 2023 legacy xlsx", wgi, "wgi/2023_update/wgidataset.xlsx", "2023", True),
    ("wgi 2023 WGIData.csv", wgi, "wgi/2023_update_wdi_bulk/WGIData.csv", "2023-wdi", False),
    ("vdem v14 lite csv", vdem, "vdem/vdemlite_v14_1970-2023.csv", "v14-lite", False),
    ("egdi 2022 official", egdi, "egdi/EGOV_DATA_2022.csv", "2022", False),
    ("egdi 2018 UNU", egdi, "egdi/unu-egov/egdi-2018.csv", "2018", False),
    ("hdr 2023-24", hdr, "hdr/HDR23-24_Composite_indices_complete_time_series.csv", "2023-24",
     False),
    ("wdi extract csv", wdi, "wdi/wb_wdi_2024.csv", "bipa-2024", False),
]




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for label, mod, rel, ed, is_xlsx in CASES:
        engines = ["calamine", "openpyxl"] if is_xlsx else ["-"]
        for eng in engines:
            if eng != "-":
                _common.XLSX_ENGINE = eng
                if eng == "calamine" and _common._engine() != "calamine":
                    continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                secs, df = best(lambda mod=mod, rel=rel, ed=ed: mod.parse(ROOT / rel, edition=ed),
                                 args.repeat)
            rows.append({"file": label, "engine": eng, "rows": len(df),
                         "countries": df["iso3"].nunique(),
                         "years": f"{df['year'].min()}-{df['year'].max()}",
                         "seconds": round(secs, 3)})
        _common.XLSX_ENGINE = "auto"
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
