"""Import time of ``polygov.index`` (issue 15: 0.4 s or less), against pandas alone.

Run:  python benchmarks/bench_import.py [--runs 21]

Each timing is a fresh interpreter that imports one module and prints the
wall time of the import statement alone (interpreter start-up excluded).
Python's bytecode caches are written first (a warm-up import with
``PYTHONDONTWRITEBYTECODE`` unset), as they are after ``pip install``; without
them every run would also compile polygov's sources (about 40 ms here).
Reports the median and the minimum over ``--runs`` runs, and polygov's own
share: the median of ``polygov.index`` minus the median of pandas, measured
alternately in the same run. Also lists the heavy modules that importing
``polygov.index`` must not load (SciPy, SALib, joblib, scikit-learn).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_import(module: str) -> float:
    out = subprocess.run([sys.executable, "-c", CODE.format(m=module)], capture_output=True, text=True,
                         check=True, env=_env())
    return float(out.stdout)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args(argv)
    subprocess.run([sys.executable, "-c", "import polygov.index, polygov.data, polygov.regression"],
                   check=True, env=_env())  # write the bytecode caches
    times = {"pandas": [], "polygov.index": []}
    for _ in range(args.runs):  # alternate, so load changes hit both alike
        for m in times:
            times[m].append(time_import(m))
    heavy = subprocess.run([sys.executable, "-c", "import sys, polygov.index; print(sorted(m for m in "
                            "('scipy', 'SALib', 'joblib', 'sklearn', 'statsmodels') if m in sys.modules))"],
                           capture_output=True, text=True, check=True, env=_env()).stdout.strip()
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.runs} runs each")
    print(f"{'import':16s} {'median (s)':>10s} {'min (s)':>8s}")
    for m, ts in times.items():
        print(f"{m:16s} {statistics.median(ts):10.3f} {min(ts):8.3f}")
    own = statistics.median(times["polygov.index"]) - statistics.median(times["pandas"])
    print(f"polygov's own share (median difference): {own * 1000:.0f} ms; target for the total: <= 0.400 s")
    print(f"heavy modules loaded by `import polygov.index`: {heavy}")


if __name__ == "__main__":
    main()
