"""The course without a clone: ``course get``, the course folder, student copies that keep solutions safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from polygov import cli, course

REPO = Path(__file__).resolve().parents[1]


def _toy_course(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, answer in (("01_first.ipynb", "42"), ("02_second.ipynb", "43")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# Toy"),
                    nbformat.v4.new_code_cell("x = 6 * 7"),
                    nbformat.v4.new_code_cell(f"print({answer})", metadata={"tags": ["solution"]})]
        nbformat.write(nb, folder / name)
    (folder / "GLOSSARY.md").write_text("# Glossary\n")
    return folder


def test_packaged_course_is_the_clone_notebooks_here():
    # an editable install / a clone: the course is notebooks/ itself (no copy to keep in step)
    assert course.packaged_course() == REPO / "notebooks"
    assert len(course.find_notebooks(course.packaged_course())) >= 13


def test_get_course_copies_then_refuses_to_overwrite_changes(tmp_path):
    src = _toy_course(tmp_path / "src")
    dest = tmp_path / "mine"
    res = course.get_course(dest, source=src)
    assert res.set_index("file")["action"].to_dict() == {
        "01_first.ipynb": "written", "02_second.ipynb": "written", "GLOSSARY.md": "written"}
    assert (dest / "01_first.ipynb").read_bytes() == (src / "01_first.ipynb").read_bytes()
    manifest = json.loads((dest / course.MANIFEST).read_text())
    assert manifest["student"] is False and set(manifest["files"]) == set(res["file"])
    # again: nothing to do
    assert set(course.get_course(dest, source=src)["action"]) == {"unchanged"}
    # a student edits a notebook: a second get refuses, names the file, writes nothing
    edited = (dest / "01_first.ipynb").read_text().replace("6 * 7", "6 * 8")
    (dest / "01_first.ipynb").write_text(edited)
    (src / "02_second.ipynb").write_text((src / "02_second.ipynb").read_text().replace("43", "44"))
    with pytest.raises(FileExistsError, match=r"changed since polygov copied them.*01_first\.ipynb.*--force"):
        course.get_course(dest, source=src)
    assert (dest / "01_first.ipynb").read_text() == edited
    assert "43" in (dest / "02_second.ipynb").read_text()  # nothing was written
    # with force: the edit is overwritten, the file polygov changed is updated
    res = course.get_course(dest, source=src, force=True).set_index("file")["action"]
    assert res.to_dict() == {"01_first.ipynb": "overwritten", "02_second.ipynb": "updated",
                             "GLOSSARY.md": "unchanged"}
    assert "6 * 7" in (dest / "01_first.ipynb").read_text()


def test_get_course_updates_files_the_user_did_not_touch(tmp_path):
    src = _toy_course(tmp_path / "src")
    dest = tmp_path / "mine"
    course.get_course(dest, source=src)
    (src / "01_first.ipynb").write_text((src / "01_first.ipynb").read_text().replace("6 * 7", "7 * 6"))
    res = course.get_course(dest, source=src).set_index("file")["action"]
    assert res["01_first.ipynb"] == "updated" and "7 * 6" in (dest / "01_first.ipynb").read_text()


def test_get_course_refuses_a_file_it_did_not_write(tmp_path):
    src = _toy_course(tmp_path / "src")
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "GLOSSARY.md").write_text("my own notes\n")
    with pytest.raises(FileExistsError, match=r"GLOSSARY\.md"):
        course.get_course(dest, source=src)
    assert not (dest / "01_first.ipynb").exists()


def test_get_course_student_version(tmp_path):
    src = _toy_course(tmp_path / "src")
    course.get_course(tmp_path / "st", source=src, student=True)
    nb = nbformat.read(tmp_path / "st" / "01_first.ipynb", as_version=4)
    assert nb.cells[2].source == "# Your solution here\n" and nb.cells[1].source == "x = 6 * 7"
    # the instructor version over a student copy: the student copy is polygov's, so it is updated
    res = course.get_course(tmp_path / "st", source=src)
    assert set(res["action"]) == {"updated", "unchanged"}
    assert "print(42)" in (tmp_path / "st" / "01_first.ipynb").read_text()


def test_get_course_bad_arguments(tmp_path):
    src = _toy_course(tmp_path / "src")
    with pytest.raises(TypeError, match="dest must be a path"):
        course.get_course(3, source=src)
    with pytest.raises(TypeError, match="student must be True or False"):
        course.get_course(tmp_path / "x", source=src, student="yes")
    with pytest.raises(ValueError, match="dest .* is the course's own folder"):
        course.get_course(src, source=src)
    (tmp_path / "afile").write_text("")
    with pytest.raises(FileExistsError, match="is a file, not a folder"):
        course.get_course(tmp_path / "afile", source=src)


def test_notebooks_dir_finds_the_course_folder(tmp_path, monkeypatch):
    src = _toy_course(tmp_path / "src")
    monkeypatch.chdir(src)
    assert course.notebooks_dir() == src  # the current folder holds the notebooks
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(FileNotFoundError, match=r"holds no notebooks.*polygov course get"):
        course.notebooks_dir(tmp_path / "notebooks")
    assert course.notebooks_dir() == REPO / "notebooks"  # ./notebooks is empty: the installed course
    with pytest.raises(FileNotFoundError, match=r"course folder .*nowhere does not exist \(make it with: "
                                                r"polygov course get .*nowhere\)"):
        course.notebooks_dir(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="folder must be a path"):
        course.notebooks_dir(5)
    with pytest.raises(NotADirectoryError, match=r"01_first\.ipynb is a file, not a folder"):
        course.notebooks_dir(src / "01_first.ipynb")


def test_student_copies_refuse_to_overwrite_the_instructor_notebooks(tmp_path):
    """Issue 14: ``course student NB --output notebooks`` destroyed the solutions (exit status 0)."""
    src = _toy_course(tmp_path / "src")
    before = (src / "01_first.ipynb").read_bytes()
    with pytest.raises(FileExistsError, match=r"would overwrite the source notebooks .*01_first\.ipynb"):
        course.student_copies([src / "01_first.ipynb"], output=src)
    # through the CLI: a clear error, exit status 2, the notebook untouched
    assert cli.main(["course", "student", str(src / "01_first.ipynb"), "--output", str(src)]) == 2
    # another instructor copy (not the source itself) is protected as well
    other = _toy_course(tmp_path / "other")
    with pytest.raises(FileExistsError, match=r"holds notebooks with solutions.*01_first\.ipynb"):
        course.student_copies([src / "01_first.ipynb"], output=other)
    assert (src / "01_first.ipynb").read_bytes() == before
    # a folder of earlier student copies is overwritten as before
    out = tmp_path / "students"
    course.student_copies(folder=src, output=out)
    res = course.student_copies(folder=src, output=out)
    assert res["solutions_removed"].tolist() == [1, 1]


def test_course_help_shows_defaults_and_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["course", "run", "--help"])
    out = capsys.readouterr().out
    assert "--output OUTPUT" in out and "(default: build/course)" in out and "--notebooks DIR" in out
    with pytest.raises(SystemExit):
        cli.main(["course", "--help"])
    out = capsys.readouterr().out
    for sub in ("get", "run", "student", "open", "site"):
        assert sub in out


def test_course_run_outside_a_course_names_a_real_option(tmp_path, capsys):
    assert cli.main(["course", "run", "--notebooks", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "does not exist (make it with: polygov course get" in err


def test_course_open_dry_run(tmp_path, capsys):
    src = _toy_course(tmp_path / "src")
    assert cli.main(["course", "open", str(src), "--dry-run", "--no-browser"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(f"-m jupyter lab --ServerApp.root_dir={src.resolve()} --no-browser")
    assert out.startswith(sys.executable)


def test_course_get_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(course, "packaged_course", lambda: _toy_course(tmp_path / "src"))
    assert cli.main(["course", "get", str(tmp_path / "c"), "--student"]) == 0
    assert "student version" in capsys.readouterr().out
    (tmp_path / "c" / "01_first.ipynb").write_text("{}")
    assert cli.main(["course", "get", str(tmp_path / "c")]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["course", "get", str(tmp_path / "c"), "--force"]) == 0


def test_course_run_kernel_prints_no_tcp_warning(tmp_path):
    """Kernels talk over IPC (POSIX): ipykernel's 'running over TCP without encryption' is gone."""
    if os.name == "nt":
        pytest.skip("ZeroMQ has no IPC transport on Windows; TCP is used there")
    src = _toy_course(tmp_path / "src")
    exe = Path(sys.executable).parent / "polygov"
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "polygov.cli"]
    res = subprocess.run([*cmd, "course", "run", "01_first.ipynb", "--jobs", "1", "--output", str(tmp_path / "html")],
                         cwd=src, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "1 ok, 0 failed" in res.stdout
    assert "without encryption" not in res.stderr and "Address already in use" not in res.stderr
