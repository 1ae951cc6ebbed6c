"""The polygov command line (run in-process and as a console script)."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from polygov import cli, course
from polygov.data import sources as S


def test_data_list(capsys):
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("hfi", "gapminder", "sowc", "wvs_bribe", "pwt", "municipalities", "wdi_gdp"):
        assert name in out


def test_data_info(capsys):
    assert cli.main(["data", "info", "hfi"]) == 0
    out = capsys.readouterr().out
    assert "Cato Institute" in out and "sha256" in out and "pf_rol" in out
    assert "BRD" in out  # the recorded Barbados code fix


def test_data_info_unknown(capsys):
    assert cli.main(["data", "info", "hfj"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polygov: error: ") and "Did you mean 'hfi'" in err


def test_cli_fetch_help_lists_sources_and_editions(capsys):
    with pytest.raises(SystemExit) as ex:
        cli.main(["data", "fetch", "--help"])
    assert ex.value.code == 0
    out = capsys.readouterr().out
    for name, src in S.SOURCES.items():
        assert f"  {name} " in out
        assert all(ed in out for ed in src.editions)
    assert "*2024       wgidataset.xlsx  (fetch, pinned)" in out


def test_cli_user_errors_have_no_traceback_and_debug_shows_it(tmp_path, capsys):
    assert cli.main(["data", "import", "wgi", str(tmp_path / "missing.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("polygov: error: no file at")
    assert cli.main(["data", "fetch", "wgi", "--edition", "../x"]) == 2
    assert "not a valid edition label" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not a valid edition label"):
        cli.main(["--debug", "data", "fetch", "wgi", "--edition", "../x"])


def test_cli_warnings_are_one_line(shared_data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("POLYGOV_CACHE", str(tmp_path / "cache"))
    f = shared_data / "egdi/EGOV_DATA_2024.csv"
    assert cli.main(["data", "import", "egdi", str(f), "--edition", "2024"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("polygov: warning: egdi edition '2024' has no pinned checksum")
    assert ".py:" not in err


def test_console_script_is_installed():
    exe = shutil.which("polygov") or shutil.which("polygov", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("polygov console script not on PATH (package not installed with pip)")
    res = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert res.stdout.startswith("polygov ")


def _toy_notebook(path, *, fail=False):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Toy"),
        nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)"),
        nbformat.v4.new_code_cell("print('answer', x)", metadata={"tags": ["solution"]}),
    ]
    if fail:
        nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    nbformat.write(nb, path)


def test_course_run_and_student(tmp_path):
    _toy_notebook(tmp_path / "01_ok.ipynb")
    _toy_notebook(tmp_path / "02_bad.ipynb", fail=True)
    res = course.run_course(sorted(tmp_path.glob("*.ipynb")), output=tmp_path / "html", progress=False, jobs=2)
    assert res["status"].tolist() == ["ok", "failed"]
    assert "boom" in res.loc[1, "message"]
    html = (tmp_path / "html" / "01_ok.html").read_text()
    assert "42" in html
    st = course.student_copies([tmp_path / "01_ok.ipynb"], output=tmp_path / "student")
    assert st["solutions_removed"].tolist() == [1]
    nb = nbformat.read(tmp_path / "student" / "01_ok.ipynb", as_version=4)
    assert "print('answer'" not in nb.cells[2].source and nb.cells[1].source.startswith("x = 6")


def _flaky_kernel_start(monkeypatch, failures):
    """Make the first ``failures`` kernel launches fail as a port clash does."""
    from nbclient import NotebookClient

    real = NotebookClient.async_start_new_kernel
    calls = []

    async def start(self, **kwargs):
        calls.append(1)
        if len(calls) <= failures:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return await real(self, **kwargs)

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", start)
    return calls


def test_course_retries_a_kernel_that_did_not_start(tmp_path, monkeypatch):
    # CI once lost a notebook to "Address already in use" while its kernel started.
    calls = _flaky_kernel_start(monkeypatch, failures=1)
    _toy_notebook(tmp_path / "01_ok.ipynb")
    res = course.run_course([tmp_path / "01_ok.ipynb"], output=tmp_path / "html", progress=False)
    assert res["status"].tolist() == ["ok"] and len(calls) == 2
    assert "42" in (tmp_path / "html" / "01_ok.html").read_text()


def test_course_gives_up_on_a_kernel_after_its_attempts(tmp_path, monkeypatch):
    calls = _flaky_kernel_start(monkeypatch, failures=99)
    _toy_notebook(tmp_path / "01_ok.ipynb")
    with pytest.raises(course.KernelStartError, match="01_ok.ipynb did not start after 2 attempts"):
        course.run_notebook(tmp_path / "01_ok.ipynb", start_attempts=2)
    assert len(calls) == 2
    res = course.run_course([tmp_path / "01_ok.ipynb"], output=tmp_path / "html", progress=False)
    assert res.loc[0, "status"] == "failed" and "KernelStartError" in res.loc[0, "message"]
    with pytest.raises(ValueError, match="start_attempts"):
        course.run_notebook(tmp_path / "01_ok.ipynb", start_attempts=0)


def test_course_does_not_retry_a_failing_cell(tmp_path, monkeypatch):
    calls = _flaky_kernel_start(monkeypatch, failures=0)
    _toy_notebook(tmp_path / "02_bad.ipynb", fail=True)
    res = course.run_course([tmp_path / "02_bad.ipynb"], output=tmp_path / "html", progress=False)
    assert res.loc[0, "status"] == "failed" and "boom" in res.loc[0, "message"]
    assert len(calls) == 1


def test_course_skips_a_notebook_whose_extra_is_missing(tmp_path):
    _toy_notebook(tmp_path / "01_needs.ipynb")
    nb = nbformat.read(tmp_path / "01_needs.ipynb", as_version=4)
    nb.metadata["polygov"] = {"requires_modules": {"surely_not_installed_pkg": "wvs"}}
    nbformat.write(nb, tmp_path / "01_needs.ipynb")
    res = course.run_course([tmp_path / "01_needs.ipynb"], output=tmp_path / "html", progress=False)
    assert res.loc[0, "status"] == "skipped"
    assert "pip install 'polygov[wvs]'" in res.loc[0, "message"]


def test_nbval_kernel_start_is_retried(monkeypatch):
    """The root conftest wraps nbval's kernel start so a port clash at start-up is retried."""
    import nbval.kernel

    assert getattr(nbval.kernel.start_new_kernel, "polygov_retry", False)
    import importlib.util

    spec = importlib.util.spec_from_file_location("polygov_root_conftest",
                                                  Path(__file__).resolve().parents[1] / "conftest.py")
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)

    calls = []

    def flaky(**kw):
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "km", "kc"

    with pytest.warns(RuntimeWarning, match="starting it again"):
        assert root._retry_kernel_start(flaky)(kernel_name="python3") == ("km", "kc")
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(RuntimeError, match="Kernel died"), pytest.warns(RuntimeWarning):
        root._retry_kernel_start(flaky, attempts=2)()


def test_course_reports_bad_official_metadata_as_failed(tmp_path):
    """A typo in requires_official is the notebook's error, not missing data (no silent skip)."""
    _toy_notebook(tmp_path / "01_typo.ipynb")
    nb = nbformat.read(tmp_path / "01_typo.ipynb", as_version=4)
    nb.metadata["polygov"] = {"requires_official": {"wgi": ["2042"]}}
    nbformat.write(nb, tmp_path / "01_typo.ipynb")
    res = course.run_course([tmp_path / "01_typo.ipynb"], output=tmp_path / "html", progress=False)
    assert res.loc[0, "status"] == "failed"
    assert "bad requires_official metadata" in res.loc[0, "message"] and "2042" in res.loc[0, "message"]
