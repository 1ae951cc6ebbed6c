"""Integrity, security and error cases of the official-data cache (issue 14), with NO network.

Each test names the old behaviour it pins down. Downloads use ``file://`` URLs;
every test has its own cache folder (``POLYGOV_CACHE``). The property-based tests
(Hypothesis) check whole classes: any edition label is either refused with
ValueError/TypeError or stays inside the cache, and any JSON shape in
``registry.json`` gives either a working cache or the documented RegistryError.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polygov import cli
from polygov.data import cache as C
from polygov.data import download as D
from polygov.data import fetch as F
from polygov.data import sources as S
from polygov.data.parsers import ParseError

SHA = "0" * 64


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(F.ENV_VAR, str(d))
    monkeypatch.setattr(D, "RETRIES", 0)
    return d


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _with_edition(monkeypatch, name, edition=None, **changes):
    src = S.SOURCES[name]
    ed = dataclasses.replace(src.editions[edition or src.default_edition], **changes)
    new = dict(S.SOURCES)
    new[name] = dataclasses.replace(src, editions=MappingProxyType({**src.editions,
                                                                    ed.edition: ed}))
    monkeypatch.setattr(S, "SOURCES", MappingProxyType(new))
    return ed


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# ------------------------------------------------------------------ silent wrong results

def test_import_without_edition_never_becomes_the_default_edition(shared_data, tmp_path, cache):
    # old: a 2016 EGDI file matching no pin was stored as the default edition "2024"
    f = tmp_path / "egdi-2016.csv"
    f.write_bytes((shared_data / "egdi/unu-egov/egdi-2016.csv").read_bytes()
                  .replace(b"Denmark", b"Denmark ", 1))
    with pytest.raises(F.ChecksumError, match=r"(?s)matches no pinned or registered egdi edition.*"
                       r"will not store it as the default edition '2024'.*egdi editions known to "
                       r"polygov without a pinned checksum: \['2024'\].*--edition LABEL"):
        F.import_file("egdi", f)
    assert F.cached("egdi", "2024") is None and _files(cache) == []


def test_a_pinned_file_is_never_stored_under_another_label(shared_data, cache):
    # old: the pinned UNU-EGOV 2016 file imported with edition="2024" was stored as the 2024
    # survey, and read("egdi", edition="2024") returned 2016 values labelled 2024
    f = shared_data / "egdi/unu-egov/egdi-2016.csv"
    with pytest.raises(F.ChecksumError, match=r"is the pinned egdi edition '2016', not edition "
                       r"'2024': pass edition='2016'"):
        F.import_file("egdi", f, edition="2024")
    assert _files(cache) == []
    copy = cache.parent / "egdi-2016.csv"  # a changed copy: the parser sees its own name
    copy.write_bytes(f.read_bytes().replace(b"Denmark", b"Denmark ", 1))
    with pytest.raises(ParseError, match=r"not registered: egdi-2016.csv: edition mismatch: "
                       r"edition '2024' requested but the file name says it is the 2016 Survey"):
        F.import_file("egdi", copy, edition="2024")
    assert _files(cache) == []


def test_import_without_edition_cli_asks_for_edition(shared_data, tmp_path, capsys):
    f = tmp_path / "hdr.csv"  # the only hdr edition has no pin: the label must be given
    f.write_bytes((shared_data / S.SOURCES["hdr"].editions["2023-24"].reference_copy).read_bytes())
    assert cli.main(["data", "import", "hdr", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polygov: error: hdr.csv: sha256") and "Traceback" not in err
    assert "It parses as hdr edition '2023-24'" in err and "--edition 2023-24" in err
    with pytest.warns(F.UnverifiedDataWarning):
        F.import_file("hdr", f, edition="2023-24")
    assert F.import_file("hdr", f) == F.cached("hdr")  # recorded now: found by its checksum


def test_fetch_unpinned_refuses_an_error_page(monkeypatch, tmp_path, cache):
    # old: an HTML error page served with status 200 became the trusted hdr file
    page = tmp_path / "HDR23-24_Composite_indices_complete_time_series.csv"
    page.write_text("<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
                    "<body>Please try again later.</body></html>\n")
    _with_edition(monkeypatch, "hdr", url=page.as_uri())
    for _ in range(2):  # fetching again must not return it either
        with pytest.raises(ParseError, match=r"not registered: the file downloaded from "
                           r"file://.*HDR23-24"):
            F.fetch("hdr", progress=False)
        assert _files(cache) == [] and F.cached("hdr") is None


def test_fetch_unpinned_valid_file_is_registered(monkeypatch, shared_data, cache, umask022):
    src = shared_data / S.SOURCES["hdr"].editions["2023-24"].reference_copy
    _with_edition(monkeypatch, "hdr", url=src.as_uri())
    with pytest.warns(F.UnverifiedDataWarning):
        p = F.fetch("hdr", progress=False)
    assert F.cached("hdr") == p and p.stat().st_mode & 0o777 == 0o644


_WORKER = textwrap.dedent("""
    import sys, warnings
    from pathlib import Path
    from polygov.data import fetch as F
    warnings.simplefilter("ignore")
    worker, n, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    for k in range(n):
        f = folder / f"w{worker}-{k}.csv"
        f.write_text(f"worker {worker} file {k}\\n")
        F.import_file("wgi", f, edition=f"w{worker}-{k}", new_edition=True, validate=False)
""")


def test_parallel_imports_keep_every_registry_entry(tmp_path, cache):
    # old: five parallel imports into one cache lost registry entries (read-modify-write race)
    workers, each = 5, 12
    env = {**os.environ, F.ENV_VAR: str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(w), str(each), str(tmp_path)],
                              env=env, stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors
    reg = json.loads((cache / "registry.json").read_text())
    assert len(reg["wgi"]) == workers * each
    assert F.editions("wgi")["cached"].sum() == workers * each


def test_relative_cache_is_resolved_once(tmp_path, monkeypatch):
    # old: a relative POLYGOV_CACHE moved with the working directory
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv(F.ENV_VAR, "rel-cache")
    monkeypatch.chdir(tmp_path / "a")
    first = F.cache_dir()
    monkeypatch.chdir(tmp_path / "b")
    assert first.is_absolute() and F.cache_dir() == first == tmp_path / "a" / "rel-cache"


def test_cache_variable_naming_a_file_or_an_uncreatable_folder(tmp_path, monkeypatch, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    monkeypatch.setenv(F.ENV_VAR, str(f))
    with pytest.raises(F.CacheError, match=r"is a file, not a folder; .*POLYGOV_CACHE="):
        F.cached("wgi")
    assert cli.main(["data", "fetch", "vdem"]) == 2
    assert "POLYGOV_CACHE" in capsys.readouterr().err
    monkeypatch.setenv(F.ENV_VAR, str(f / "sub"))
    data = tmp_path / "x.csv"
    data.write_text("x\n")
    with pytest.raises(F.CacheError, match=r"cache folder .*sub cannot be created: .*afile is a "
                       r"file; .*POLYGOV_CACHE="):
        F.import_file("wgi", data, edition="x1", new_edition=True, validate=False)
    monkeypatch.setenv(F.ENV_VAR, str(tmp_path / "cache"))

    def refuse(self, *args, **kwargs):  # as a read-only parent does (root ignores modes)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(F.CacheError, match=r"cannot create the polygov cache folder .*"
                       r"POLYGOV_CACHE="):
        F.import_file("wgi", data, edition="x1", new_edition=True, validate=False)


# ------------------------------------------------------------------ edition labels

@pytest.mark.parametrize("label", ["../../x", "/tmp/abs", "a/b", "..", ".hidden", "a..b",
                                   "", "x" * 65, "2024\n", "a\\b", "ü", "2024.", "~"])
def test_unsafe_edition_labels_are_refused_everywhere(label, tmp_path, cache):
    # old: --edition ../../x wrote outside the cache and read() then used it
    f = tmp_path / "x.csv"
    f.write_text("x\n")
    msg = "not a valid edition label"
    for call in (lambda: F.import_file("wgi", f, edition=label, new_edition=True),
                 lambda: F.import_file("wgi", f, edition=label),
                 lambda: F.fetch("wgi", edition=label),
                 lambda: F.read("wgi", edition=label),
                 lambda: F.cached("wgi", label),
                 lambda: F.available("wgi", label),
                 lambda: F.missing_official({"wgi": [label]})):
        with pytest.raises(ValueError, match=msg):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_failed_import_cleanup_stays_inside_the_cache(tmp_path, cache):
    # old: edition "../../empty/x" failed to parse and the clean-up removed tmp/empty
    (tmp_path / "empty").mkdir()
    bad = tmp_path / "wgi.csv"
    bad.write_text("not,a,wgi,file\n")
    with pytest.raises(ValueError, match="not a valid edition label"):
        F.import_file("wgi", bad, edition="../../empty/x", new_edition=True)
    assert (tmp_path / "empty").is_dir()
    with pytest.raises(ParseError, match="not registered"):  # a valid label: nothing left behind
        F.import_file("wgi", bad, edition="x", new_edition=True)
    assert _files(cache) == [] and not (cache / "wgi").exists()
    C.remove_empty_dirs(tmp_path / "empty")  # the guards themselves
    C.remove_tree(tmp_path / "empty")
    assert (tmp_path / "empty").is_dir()


def test_utf16_file_is_refused_without_traceback(shared_data, tmp_path, cache, capsys):
    # old: the UTF-16 HDR file gave an uncaught _csv.Error, and a traceback from the CLI
    f = tmp_path / "hdr16.csv"
    f.write_bytes((shared_data / S.SOURCES["hdr"].editions["2023-24"].reference_copy)
                  .read_bytes().decode("latin-1").encode("utf-16"))
    assert cli.main(["data", "import", "hdr", str(f), "--edition", "2023-24"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polygov: error: not registered: hdr16.csv") and "Traceback" not in err
    assert _files(cache) == []


def test_an_edition_folder_linked_outside_the_cache_is_refused(tmp_path, cache):
    (tmp_path / "elsewhere").mkdir()
    (cache / "wgi").mkdir(parents=True)
    (cache / "wgi" / "2023").symlink_to(tmp_path / "elsewhere")
    f = tmp_path / "x.csv"
    f.write_text("x\n")
    with pytest.raises(F.CacheError, match=r"leads outside the polygov cache .*\(a symbolic link"):
        F.import_file("wgi", f, edition="2023", validate=False)
    assert list((tmp_path / "elsewhere").iterdir()) == []
    (cache / "registry.json").write_text(json.dumps(
        {"wgi": {"2023": {"filename": "wgidataset.xlsx", "sha256": SHA}}}))
    with pytest.raises(F.CacheError, match="leads outside"):
        F.cached("wgi", "2023")
    with pytest.raises(FileNotFoundError, match="is a folder; give the path of the downloaded"):
        F.import_file("wgi", tmp_path)


# ------------------------------------------------------------------ file modes

def test_cache_files_follow_the_umask(shared_data, cache, umask022):
    # old: the cached copy and registry.json were created 0600 (tempfile.mkstemp)
    p = F.import_file("egdi", shared_data / "egdi/unu-egov/egdi-2016.csv")
    for f in (p, cache / "registry.json"):
        assert f.stat().st_mode & 0o777 == 0o644, f
    old = os.umask(0o002)
    try:
        F.import_file("egdi", shared_data / "egdi/unu-egov/egdi-2018.csv")
    finally:
        os.umask(old)
    assert F.cached("egdi", "2018").stat().st_mode & 0o777 == 0o664


def test_fetched_files_follow_the_umask(monkeypatch, shared_data, cache, umask022):
    src = shared_data / "egdi/unu-egov/egdi-2016.csv"
    _with_edition(monkeypatch, "egdi", edition="2016", url=src.as_uri())
    assert F.fetch("egdi", edition="2016", progress=False).stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------ corrupt registry

@pytest.mark.parametrize("content, why", [
    ("[]", "found a JSON list"),
    (json.dumps({"wgi": {"2024": {"sha256": SHA}}}), "no valid 'filename'"),
    (json.dumps({"wgi": {"2024": {"filename": "../../etc/passwd", "sha256": SHA}}}),
     "no valid 'filename'"),
    ('{"wgi": {"2024": {"filename": "w.xlsx"}}}', "no valid 'sha256'"),
    ('{"wgi": ["2024"]}', "should map edition labels"),
    (json.dumps({"wgi": {"../x": {"filename": "w.xlsx", "sha256": SHA}}}), "not a valid label"),
    ('{"wgi": ', "not valid JSON"),
])
def test_corrupt_registry_gives_a_clear_error(content, why, cache, capsys):
    # old: a list gave AttributeError, an entry without filename a raw KeyError
    cache.mkdir()
    (cache / "registry.json").write_text(content)
    pattern = rf"(?s)registry {cache / 'registry.json'} .*{why}.*delete .*registry.json"
    for call in (lambda: F.cached("wgi"), lambda: F.editions("wgi"), lambda: F.read("wgi"),
                 lambda: F.missing_official(["wgi"])):
        with pytest.raises(F.RegistryError, match=pattern):
            call()
    assert cli.main(["data", "fetch", "wgi", "--edition", "2024"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polygov: error: the cache registry") and "Traceback" not in err


# ------------------------------------------------------------------ argument types

def test_import_file_argument_types(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("x\n")
    with pytest.raises(TypeError, match="path must be the path of the downloaded"):
        F.import_file("wgi", None)
    with pytest.raises(TypeError, match="name must be a source name"):
        F.import_file(None, f)
    with pytest.raises(TypeError, match="edition must be an edition label"):
        F.import_file("wgi", f, edition=1.5)
    with pytest.raises(TypeError, match="new_edition must be True or False"):
        F.import_file("wgi", f, edition="x", new_edition="yes")
    with pytest.raises(TypeError, match="validate must be True or False"):
        F.import_file("wgi", f, edition="x", new_edition=True, validate=None)
    with pytest.raises(TypeError, match="progress must be True or False"):
        F.fetch("wgi", progress="no")
    with pytest.raises(TypeError, match="name must be a source name"):
        F.read(["wgi"])
    with pytest.raises(TypeError, match="requirements must be a list"):
        F.missing_official(None)


# ------------------------------------------------------------------ import structure

def test_fetch_modules_import_fresh_and_light():
    # each module of the cache imports on its own in a fresh interpreter; none loads the
    # parsers, pooch or filelock at import time (they are loaded when used)
    mods = ["polygov.data.fetch", "polygov.data.cache", "polygov.data.download",
            "polygov.data.imports", "polygov.data.official", "polygov.data.fetch_errors"]
    code = ("import importlib, sys\n"
            f"for m in {mods!r}:\n"
            "    for k in [k for k in sys.modules if k.startswith('polygov')]:\n"
            "        del sys.modules[k]\n"
            "    importlib.import_module(m)\n"
            "    heavy = [k for k in ('polygov.data.parsers', 'pooch', 'filelock') "
            "if k in sys.modules]\n"
            "    assert not heavy, (m, heavy)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


# ------------------------------------------------------------------ property-based

_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(label=st.one_of(
    st.text(max_size=20),
    st.text(alphabet="./\\-_ab0\x00ü", max_size=12),
    st.sampled_from(["../", "/abs", "..", "./x", "a/../b", "~", "C:\\x", "CON", "x" * 64]),
    st.integers(), st.floats(), st.none(), st.binary(max_size=4)))
def test_any_edition_label_is_refused_or_stays_inside(label, cache):
    try:
        folder = C.edition_dir("wgi", label)
    except (TypeError, ValueError):
        return
    root = C.cache_dir().resolve()
    assert folder.resolve().parent.parent == root and folder.name == str(label)
    assert C.inside_cache(folder)


@pytest.mark.filterwarnings("ignore::polygov.data.fetch_errors.NewEditionWarning")
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.one_of(st.text(max_size=12), st.text(alphabet="./\\ab0-", max_size=10)))
def test_any_label_given_to_import_is_refused_or_lands_inside(label, tmp_path, cache):
    f = tmp_path / "x.csv"
    f.write_text("x\n")

    def outside():
        return {p for p in tmp_path.rglob("*") if cache not in (p, *p.parents)}

    before = outside()
    try:
        dest = F.import_file("wgi", f, edition=label, new_edition=True, validate=False)
    except (TypeError, ValueError) as exc:
        assert "not a valid edition label" in str(exc)
    else:
        assert C.inside_cache(dest) and dest.parent.name == label
    assert outside() == before


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=3),
    max_leaves=12)
_ENTRY = st.fixed_dictionaries({}, optional={
    "filename": st.one_of(st.sampled_from(["w.xlsx", "../w", "", "a/b", "."]), _JSON),
    "sha256": st.one_of(st.just(SHA), _JSON)})
_REGISTRY = st.one_of(
    _JSON,
    st.dictionaries(st.sampled_from(["wgi", "egdi", "x"]),
                    st.one_of(_JSON, st.dictionaries(st.sampled_from(["2024", "../x", "v", ""]),
                                                     st.one_of(_ENTRY, _JSON), max_size=2)),
                    max_size=2))


@_SETTINGS
@given(reg=_REGISTRY)
def test_any_registry_shape_works_or_gives_the_documented_error(reg, cache):
    cache.mkdir(exist_ok=True)
    (cache / "registry.json").write_text(json.dumps(reg))
    for call in (lambda: F.cached("wgi"), lambda: F.editions("egdi"),
                 lambda: F.available("wgi", "2024"), lambda: F.missing_official(["wgi"])):
        try:
            call()
        except F.RegistryError as exc:
            assert "registry.json" in str(exc) and "delete" in str(exc)
