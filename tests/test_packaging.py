"""Packaging: pyproject.toml and environment.yml agree; the wheel carries the data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI
CONDA_NAME = {"build": "python-build"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ;\[]", req.strip(), maxsplit=1)[0].lower().replace("-", "_")


def _spec(req: str) -> str:
    return re.sub(r"\s+", "", req.split("#")[0].split(";")[0])


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    out = {}
    for r in reqs:
        name = _name(r)
        name = CONDA_NAME.get(name, name).replace("-", "_")
        out[name] = _spec(r)[len(_name(r)):]
    return out


def _environment_requirements() -> dict[str, str]:
    out = {}
    text = (REPO / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.\-]+)([<>=!~][^#]*)?(#.*)?$", line)
        if not m or m.group(1) in ("python", "pip", "-e"):
            continue
        out[m.group(1).lower().replace("-", "_")] = (m.group(2) or "").strip()
    return out


def test_environment_yml_agrees_with_pyproject():
    py, env = _pyproject_requirements(), _environment_requirements()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not pyproject.toml"
    differing = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert differing == {}, "version bounds differ (pyproject, environment.yml)"


def test_python_requirement():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.10"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    """Build the wheel and install it (no deps) into a fresh venv; return (python, site-packages, wheel).

    The venv's dependencies come from the test environment (read-only, through a .pth
    file), so this stays fast and offline; polygov itself comes only from the wheel.
    """
    pytest.importorskip("build", reason="the 'build' package is needed (pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check",
                    "--outdir", str(dist), str(REPO)], check=True, capture_output=True, text=True)
    wheel = next(dist.glob("polygov-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, text=True)
    return py, site, wheel


def test_wheel_carries_data_and_loads_every_dataset(wheel_venv, tmp_path):
    """Build the wheel, install it (no deps) into a fresh venv, load every dataset there."""
    py, site, wheel = wheel_venv
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "polygov/_bundled/datapackage.json" in names
    assert "polygov/_bundled/hfi.csv.gz" in names
    code = (
        "import polygov, polygov.data as d; from pathlib import Path\n"
        f"assert Path(polygov.__file__).resolve().is_relative_to(Path(r'{site}').resolve()), polygov.__file__\n"
        "assert d.data_dir().name == '_bundled', d.data_dir()\n"
        "print(';'.join(f'{n}={len(d.load(n))}' for n in d.catalog().name))\n"
    )
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path)
    loaded = dict(kv.split("=") for kv in out.stdout.strip().split(";"))
    assert loaded == {"hfi": "1458", "gapminder": "10545", "sowc": "202", "wvs_bribe": "240",
                      "pwt": "1540", "municipalities": "2385", "wdi_gdp": "4515",
                      "wgi": "5350", "vdem": "9170", "vdem_ert": "19678", "egdi": "2316", "hdr": "6435",
                      "wb_class": "218", "wdi": "1085", "asem": "51", "asem_meta": "68"}


def test_wheel_carries_the_course_and_runs_it_without_a_clone(wheel_venv, tmp_path):
    """``pip install polygov`` users: get the course into a folder, run a notebook there."""
    py, site, wheel = wheel_venv
    import zipfile

    in_wheel = sorted(n.split("/")[-1] for n in zipfile.ZipFile(wheel).namelist() if n.startswith("polygov/_course/"))
    in_repo = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    in_repo += sorted(p.name for p in (REPO / "notebooks").glob("*.md"))
    in_repo += sorted(p.name for p in (REPO / "notebooks").glob("*.bib"))  # the site's citations
    assert sorted(in_wheel) == sorted(in_repo) and len(in_repo) >= 13 and "references.bib" in in_wheel
    cli = [str(py), "-m", "polygov.cli"]
    # the dependencies' data files (nbconvert's templates, ipykernel's kernelspec) are where a
    # real install puts them: share/jupyter of the environment they come from
    env = dict(os.environ, JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    where = subprocess.run([str(py), "-c", "import polygov.course as c; print(c.packaged_course())"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.strip()
    assert Path(where) == site / "polygov" / "_course"
    got = subprocess.run([*cli, "course", "get", "my-course", "--student"], capture_output=True, text=True,
                         cwd=tmp_path, env=env)
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "my-course" / "references.bib").is_file()  # so `polygov course site` builds offline there
    assert sorted(p.name for p in (tmp_path / "my-course").glob("[0-9][0-9]_*.ipynb")) == \
        [n for n in in_repo if n.endswith(".ipynb")]
    # --inplace on the installed copy is refused (it is not the user's to rewrite)
    bad = subprocess.run([*cli, "course", "run", "--inplace"], capture_output=True, text=True, cwd=tmp_path,
                         env=env)
    assert bad.returncode == 2 and "polygov course get DIR" in bad.stderr
    # run one notebook from inside the course folder (cwd detection)
    run = subprocess.run([*cli, "course", "run", "00_data_tour.ipynb", "--jobs", "1"], capture_output=True,
                         text=True, cwd=tmp_path / "my-course", timeout=600, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)
    assert "1 ok, 0 failed, 0 skipped" in run.stdout
    html = (tmp_path / "my-course" / "build" / "course" / "00_data_tour.html").read_text(encoding="utf-8")
    assert "hfi" in html and (tmp_path / "my-course" / "build" / "course" / "_static" / "mathjax" / "MathJax.js").is_file()


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert len(blocks) == 2, "README must give exactly two set-up commands"
    assert "polygov course run" in blocks[0]
    assert blocks[1] in (REPO / ".ci" / "run").read_text()


def test_country_converter_reads_namibia_under_any_pandas():
    """pandas 3: country_converter 1.3 reads Namibia's ISO2 code "NA" as missing and fails.

    polygov reads coco's table itself (only empty cells missing); under pandas 2 the table
    is identical to coco's own, under pandas 3 it is the one coco cannot build.
    """
    import pandas as pd

    from polygov import countries

    table = countries._coco().data
    assert table.loc[table["ISO3"] == "NAM", "ISO2"].tolist() == ["NA"]
    assert countries.to_iso3(["Namibia", "Cyprus"]).tolist() == ["NAM", "CYP"]
    assert countries.country_table().set_index("iso3").loc["NAM", "country"] == "Namibia"
    assert countries._coco().convert("NA", src="ISO2", to="ISO3") == "NAM"
    if int(pd.__version__.split(".")[0]) < 3:
        import country_converter as coco

        pd.testing.assert_frame_equal(table.reset_index(drop=True),
                                      coco.CountryConverter().data.reset_index(drop=True))


def test_binder_environment_pins_every_dependency():
    """binder/environment.yml (repo2docker): every run-time dependency pinned exactly, within pyproject's range."""
    from packaging.requirements import Requirement

    text = (REPO / "binder" / "environment.yml").read_text()
    pins = {}
    for line in text[text.index("- pip:"):].splitlines()[1:]:
        m = re.match(r"^\s+- ([A-Za-z0-9_.\-]+)==([^\s#]+)\s*$", line)
        assert m, f"not an exact pin: {line!r}"
        pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for r in [*meta["dependencies"], *meta["optional-dependencies"]["wvs"]]:
        req = Requirement(r.split("#")[0])
        key = req.name.lower().replace("_", "-")
        assert key in pins, f"{req.name} is not pinned in binder/environment.yml (run binder/freeze.py)"
        assert req.specifier.contains(pins[key], prereleases=True), (req.name, pins[key], str(req.specifier))
    assert re.search(r"^\s+- python=3\.\d+$", text, flags=re.M)
    post = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps" in post and os.access(REPO / "binder" / "postBuild", os.X_OK)
