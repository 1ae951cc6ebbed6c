"""Benchmark polygov.latent.ucm on simulated panels (the issue-4 target case first).

Run:  python benchmarks/bench_latent.py
Target (issue 4): 200 countries x 10 sources x 25 years in <= 5 s on the 2-core
dev machine.  Data are simulated from the UCM itself (labelled simulation; no
real data), with 15 % of cells missing at random plus 3 sources that only cover
half of the countries, as survey sources typically do.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pandas as pd

from polygov.errors import DataQualityWarning
from polygov.latent import ucm


def simulate(n_countries: int, n_sources: int, n_years: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sig = rng.uniform(0.2, 2.0, n_sources)
    alpha, beta = rng.normal(0, 2, n_sources), rng.uniform(0.5, 3, n_sources)
    g = rng.standard_normal((n_years, n_countries))
    e = rng.standard_normal((n_years, n_countries, n_sources)) * np.sqrt(sig)
    y = alpha + beta * (g[:, :, None] + e)
    y[rng.random(y.shape) < 0.15] = np.nan
    y[:, n_countries // 2:, : min(3, n_sources)] = np.nan  # partial-coverage sources
    df = pd.DataFrame(y.reshape(-1, n_sources), columns=[f"s{k}" for k in range(n_sources)])
    df.insert(0, "iso3", np.tile([f"C{i:03d}" for i in range(n_countries)], n_years))
    df.insert(1, "year", np.repeat(np.arange(2000, 2000 + n_years), n_countries))
    return df


def bench(n, k, t, pooled=False, repeat=3):
    df = simulate(n, k, t)
    src = [f"s{j}" for j in range(k)]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            res = ucm(df, sources=src, pooled=pooled, on_empty="drop")
        times.append(time.perf_counter() - t0)
    return {
        "countries": n, "sources": k, "years": t, "pooled": pooled,
        "best_s": min(times), "median_s": float(np.median(times)),
        "n_iter_max": res.n_iter, "n_iter_median": float(res.fit["n_iter"].median()),
        "converged": res.converged,
    }


def main() -> None:
    cases = [(200, 10, 25, False), (200, 10, 25, True), (200, 10, 1, False),
             (200, 25, 25, False), (1000, 10, 25, False)]
    rows = [bench(*c) for c in cases]
    out = pd.DataFrame(rows)
    with pd.option_context("display.width", 120, "display.precision", 3):
        print(out.to_string(index=False))
    target = out.iloc[0]
    print(f"\ntarget case 200x10x25 per-year fit: {target.best_s:.3f} s best of 3 "
          f"(target <= 5 s); EM map evaluations to convergence: max {target.n_iter_max}, "
          f"median {target.n_iter_median:g} per year")
    if hasattr(os, "getloadavg"):
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
