"""Run every code cell of notebooks/12_early_warning_monitor.ipynb (solutions included) on the
official files.

The notebook reads the bundled ``wgi`` and ``vdem_ert`` datasets.  Here
``polygov.data.load``/``provenance`` are patched to return the same tables built
from the publishers' own files in ``shared_data`` (WGI 2024 Update pivoted wide; ERT
v15 with ``country_text_id`` as ``iso3``), so that every code path of the notebook is
exercised before the bundled files exist.  Skipped without the shared data.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd

NB = Path(__file__).resolve().parents[1] / "notebooks" / "12_early_warning_monitor.ipynb"


def _frames(shared_data):
    from polygov.data.parsers import wgi

    long = wgi.parse(shared_data / "wgi" / "2024_update" / "wgidataset.xlsx")
    vals = ["estimate", "std_error", "n_sources", "percentile_rank", "pr_low", "pr_high"]
    w = long.pivot_table(index=["iso3", "year"], columns="indicator", values=vals, dropna=False)
    w.columns = [f"{ind}_{v}" for v, ind in w.columns]
    e = pd.read_csv(shared_data / "vdem" / "ert_v15" / "ert.csv", low_memory=False)
    e = e.rename(columns={"country_text_id": "iso3"}).drop(columns=[e.columns[0]])
    return {"wgi": w.reset_index(), "vdem_ert": e}


def test_notebook_12_code_paths(shared_data, monkeypatch):
    import polygov.data as pdata

    frames = _frames(shared_data)
    real_load, real_prov = pdata.load, pdata.provenance

    def load(name, **kw):
        return frames[name].copy() if name in frames else real_load(name, **kw)

    def provenance(name):
        if name in frames:
            return {"title": f"{name} (official file)", "edition": "test", "licenses": [{"name": "test"}]}
        return real_prov(name)

    monkeypatch.setattr(pdata, "load", load)
    monkeypatch.setattr(pdata, "provenance", provenance)
    matplotlib.use("Agg")
    nb = json.loads(NB.read_text())
    ns: dict = {}
    tags_seen = set()
    for cell in nb["cells"]:
        tags_seen.update(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        exec(compile(src, f"{NB.name}", "exec"), ns)  # noqa: S102 - our own notebook
    assert "solution" in tags_seen
    fit = ns["fit"]
    assert fit.n_draws == 50 and 0 < fit.fmi["polyarchy"] < 1
    assert ns["cmp"].kappa > 0.5
    sim = ns["sim"].query("rule == 'fdr'")
    assert (sim["fdr"] <= 0.10 + 3 * sim["fdr_mc_se"]).all()
