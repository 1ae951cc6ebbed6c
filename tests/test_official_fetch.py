"""Fetch / import / read of official sources, with NO network.

Downloads are exercised with ``file://`` URLs (served by polygov's local
downloader through pooch) and with pooch's HTTP downloader monkeypatched to fail
as it does offline. Every test uses its own cache folder (``POLYGOV_CACHE``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from types import MappingProxyType

import pytest

from polygov.data import download as D
from polygov.data import fetch as F
from polygov.data import sources as S
from polygov.data.parsers import ParseError

WGI_CSV = "wgi/2024_update/wgidataset.csv"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(F.ENV_VAR, str(d))
    monkeypatch.setattr(D, "RETRIES", 0)
    return d


def _with_edition(monkeypatch, name, edition=None, **changes):
    """Replace one edition (default: the default one) of source ``name`` in the registry."""
    src = S.SOURCES[name]
    ed = dataclasses.replace(src.editions[edition or src.default_edition], **changes)
    eds = MappingProxyType({**src.editions, ed.edition: ed})
    new = dict(S.SOURCES)
    new[name] = dataclasses.replace(src, editions=eds)
    monkeypatch.setattr(S, "SOURCES", MappingProxyType(new))
    return ed


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ------------------------------------------------------------------ registry

def test_registry_contract():
    assert set(S.SOURCES) == {"wgi", "vdem", "vdem_ert", "egdi", "hdr", "wdi", "wb_class"}
    for src in S.SOURCES.values():
        assert src.title and src.licence and src.citation and src.default_edition in src.editions
        for ed in src.editions.values():
            assert ed.url is None or ed.url.startswith("https://")
            assert ed.sha256 is None or len(ed.sha256) == 64
    with pytest.raises(KeyError, match="unknown data source 'wgii'.*Did you mean 'wgi'"):
        S.get_source("wgii")


def test_pinned_checksums_match_reference_copies(shared_data):
    n = 0
    for src in S.SOURCES.values():
        for ed in src.editions.values():
            if ed.sha256 and ed.reference_copy:
                assert _sha(shared_data / ed.reference_copy) == ed.sha256, (src.name, ed.edition)
                n += 1
    assert n == 11


def test_cache_dir_env_and_default(cache, monkeypatch):
    assert F.cache_dir() == cache
    monkeypatch.delenv(F.ENV_VAR)
    assert F.cache_dir().name == "polygov"


# ------------------------------------------------------------------ fetch

def test_fetch_file_url_pinned_then_wrong_edition_on_read(monkeypatch, shared_data, cache):
    # a pinned edition whose URL serves the 2018 survey file under the label "2024":
    # the checksum passes, and read() refuses the edition mismatch
    src_file = shared_data / "egdi/unu-egov/egdi-2018.csv"
    _with_edition(monkeypatch, "egdi", url=src_file.as_uri(),
                  sha256=_sha(src_file), filename="egdi-2018.csv")
    path = F.fetch("egdi", progress=False)
    assert path == cache / "egdi" / "2024" / "egdi-2018.csv" and F.cached("egdi") == path
    reg = json.loads((cache / "registry.json").read_text())
    assert reg["egdi"]["2024"]["origin"] == "fetched" and reg["egdi"]["2024"]["pinned"]
    with pytest.raises(ParseError, match="edition mismatch: edition '2024' requested but the "
                       "file name says it is the 2018 Survey"):
        F.read("egdi")


def test_fetch_then_read_and_no_second_download(monkeypatch, shared_data, tmp_path):
    src_file = tmp_path / "EGOV_DATA_2022.csv"
    src_file.write_bytes((shared_data / "egdi/EGOV_DATA_2022.csv").read_bytes())
    _with_edition(monkeypatch, "egdi", edition="2022", url=src_file.as_uri())
    p = F.fetch("egdi", edition="2022", progress=False)
    assert _sha(p) == S.SOURCES["egdi"].editions["2022"].sha256
    src_file.unlink()  # a second call must use the cache
    assert F.fetch("egdi", edition="2022", progress=False) == p
    df = F.read("egdi", edition="2022")
    assert len(df) == 193 and (df["edition"] == "2022").all()


def test_fetch_checksum_mismatch_keeps_nothing(monkeypatch, shared_data, tmp_path, cache):
    src_file = tmp_path / "EGOV_DATA_2022.csv"
    src_file.write_bytes((shared_data / "egdi/EGOV_DATA_2022.csv").read_bytes() + b"\r\n")
    _with_edition(monkeypatch, "egdi", edition="2022", url=src_file.as_uri())
    with pytest.raises(F.ChecksumError, match="(?s)does not match the pinned sha256.*--new-edition"):
        F.fetch("egdi", edition="2022", progress=False)
    assert F.cached("egdi", "2022") is None
    assert not list(cache.rglob("*.csv"))


def test_fetch_unpinned_records_on_first_use(monkeypatch, shared_data, cache):
    src_file = shared_data / "hdr/HDR23-24_Composite_indices_complete_time_series.csv"
    _with_edition(monkeypatch, "hdr", url=src_file.as_uri())
    with pytest.warns(F.UnverifiedDataWarning, match="no pinned checksum; recorded"):
        p = F.fetch("hdr", progress=False)
    assert json.loads((cache / "registry.json").read_text())["hdr"]["2023-24"]["sha256"] == _sha(p)
    p.write_bytes(p.read_bytes()[:-10])  # tampered cache file
    with pytest.raises(F.ChecksumError, match="changed after registration"):
        F.cached("hdr")


def test_fetch_offline_error(monkeypatch, cache):
    import pooch
    import requests

    def offline(self, url, output_file, pooch_obj, check_only=False):
        raise requests.exceptions.ConnectionError(f"Failed to resolve host of {url}")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", offline)
    with pytest.raises(F.DataUnavailableError) as err:
        F.fetch("wgi", progress=False)
    msg = str(err.value)
    assert isinstance(err.value, OSError)
    assert S.SOURCES["wgi"].editions["2024"].url in msg
    assert "polygov data import wgi wgidataset.xlsx --edition 2024" in msg
    assert not (cache / "wgi").exists()


def test_fetch_without_direct_url():
    with pytest.raises(F.DataUnavailableError, match=r"(?s)no stable direct download URL.*"
                       r"v-dem\.net.*polygov data import vdem .* --edition v14"):
        F.fetch("vdem")


# ------------------------------------------------------------------ import / read

def test_import_verifies_and_detects_edition(shared_data, cache):
    with pytest.raises(F.ChecksumError, match=r"does not match the pinned wgi edition '2024'.*"
                       r"matches pinned edition '2024-csv'"):
        F.import_file("wgi", shared_data / WGI_CSV, edition="2024")
    assert not (cache / "wgi").exists()
    p = F.import_file("wgi", shared_data / WGI_CSV)  # edition found from the checksum
    assert p == cache / "wgi" / "2024-csv" / "wgidataset.csv"
    df = F.read("wgi", edition="2024-csv")
    assert len(df) == 32_100 and set(df["edition"]) == {"2024-csv"}
    assert df.attrs["sha256"] == S.SOURCES["wgi"].editions["2024-csv"].sha256
    assert df.attrs["licence"] == "CC BY 4.0" and "Kraay" in df.attrs["citation"]
    assert F.editions("wgi").set_index("edition").loc["2024-csv", "cached"]


def test_import_new_edition(shared_data, tmp_path, cache):
    text = (shared_data / WGI_CSV).read_text(encoding="utf-8-sig")
    newer = tmp_path / "wgidataset_fixed.csv"
    newer.write_text(text.replace("CHNrl2022,CHN,China,2022,rl,-0.04", "CHNrl2022,CHN,China,2022,rl,-0.05"),
                     encoding="utf-8")
    with pytest.raises(F.ChecksumError, match="--new-edition"):
        F.import_file("wgi", newer, edition="2024-csv")
    with pytest.raises(ValueError, match="needs edition='<label>'"):
        F.import_file("wgi", newer, new_edition=True)
    with pytest.raises(ValueError, match="edition '2024' is pinned"):
        F.import_file("wgi", newer, edition="2024", new_edition=True)
    with pytest.warns(F.NewEditionWarning, match="NEW edition '2024-fix'"):
        F.import_file("wgi", newer, edition="2024-fix", new_edition=True)
    df = F.read("wgi", edition="2024-fix")
    chn = df[(df.iso3 == "CHN") & (df.year == 2022) & (df.indicator == "rl")]
    assert chn["estimate"].item() == -0.05
    av = F.editions("wgi").set_index("edition")
    assert not av.loc["2024-fix", "pinned"] and av.loc["2024-fix", "cached"]


def test_import_refuses_truncated_and_wrong_edition(shared_data, tmp_path, cache):
    data = (shared_data / WGI_CSV).read_bytes()
    cut = tmp_path / "wgidataset.csv"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="not registered: .*truncated"):
        F.import_file("wgi", cut, edition="2024-part", new_edition=True)
    with pytest.raises(ParseError, match="not registered: .*edition mismatch"):
        F.import_file("wgi", shared_data / WGI_CSV, edition="2021", new_edition=True)
    assert not (cache / "registry.json").exists()
    assert not list(cache.rglob("*.csv"))


def test_import_keeps_the_file_type(shared_data, cache):
    # vdemlite.rda imported as edition v14 (pinned file name V-Dem-CY-Full+Others-v14.csv) was
    # stored as .csv, and read() failed with "not a UTF-8 CSV"
    pytest.importorskip("pyreadr")
    with pytest.warns(F.UnverifiedDataWarning):
        dest = F.import_file("vdem", shared_data / "vdem/vdemlite.rda", edition="v14")
    assert dest == cache / "vdem" / "v14" / "vdemlite.rda"
    assert F.cached("vdem", "v14") == dest
    # every row of PROVENANCE.md's 9,170 is kept (the 4 non-ISO units keep V-Dem's own codes)
    assert len(F.read("vdem", edition="v14")) == 9_170


def test_import_never_registers_a_copy_that_does_not_parse(shared_data, tmp_path, cache):
    bad = tmp_path / "vdem.csv"
    bad.write_text("country_name,country_text_id,year\nMexico,MEX,2023\n")
    with pytest.raises(ParseError, match=r"not registered: vdem.csv: not a V-Dem"):
        F.import_file("vdem", bad, edition="v14")
    assert not (cache / "registry.json").exists() and not (cache / "vdem").exists()


def test_import_unpinned_known_edition_without_label(shared_data, cache):
    # the 2023 legacy workbook matches no pinned checksum; without --edition it was checked
    # against the pinned 2024 edition and the hint suggested --new-edition only
    legacy = shared_data / "wgi/2023_update/wgidataset.xlsx"
    with pytest.raises(F.ChecksumError, match=r"(?s)pinned wgi edition '2024'.*It parses as wgi "
                       r"edition '2023', which polygov knows but has no pinned checksum.*"
                       r"polygov data import wgi .*wgidataset.xlsx --edition 2023\n"):
        F.import_file("wgi", legacy)
    with pytest.raises(F.ChecksumError, match=r"parses as wgi edition '2023-wdi'"):
        F.import_file("wgi", shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv")
    assert not (cache / "registry.json").exists()
    with pytest.warns(F.UnverifiedDataWarning):
        F.import_file("wgi", legacy, edition="2023")
    # once recorded, the checksum identifies the edition without a label
    assert F.import_file("wgi", legacy) == cache / "wgi" / "2023" / "wgidataset.xlsx"


def test_import_unknown_file_lists_unpinned_editions(shared_data, tmp_path):
    odd = tmp_path / "wgi.xlsx"
    odd.write_bytes(b"PK not a workbook")
    with pytest.raises(F.ChecksumError, match=r"(?s)wgi editions known to polygov without a pinned "
                       r"checksum: \['2023', '2023-wdi'\]; .*--new-edition"):
        F.import_file("wgi", odd)


def test_import_unpinned_then_different_file(shared_data, tmp_path):
    f = shared_data / "egdi/EGOV_DATA_2024.csv"
    with pytest.warns(F.UnverifiedDataWarning, match="trust on first use"):
        F.import_file("egdi", f, edition="2024")
    other = tmp_path / "EGOV_DATA_2024.csv"
    other.write_bytes(f.read_bytes().replace(b"Ireland ,20,0.91377", b"Ireland ,20,0.91378"))
    with pytest.raises(F.ChecksumError, match="differs from the file registered earlier"):
        F.import_file("egdi", other, edition="2024")


def test_read_not_cached_and_bad_edition():
    with pytest.raises(F.NotCachedError, match=r"hdr edition '2023-24' is not in the cache.*"
                       r"polygov data fetch hdr --edition 2023-24"):
        F.read("hdr")
    with pytest.raises(F.NotCachedError, match=r"polygov data import vdem PATH --edition v14"):
        F.read("vdem")
    with pytest.raises(ValueError, match="unknown wgi edition '2099'"):
        F.read("wgi", edition="2099")
    with pytest.raises(ValueError, match="edition='all' is only for"):
        F.read("wgi", edition="all")
    with pytest.raises(FileNotFoundError, match="no file at"):
        F.import_file("wgi", "/nonexistent/wgidataset.xlsx")


def test_import_reference_copies_and_stack(shared_data):
    # only files whose sha256 equals a pin are registered from the folder given explicitly
    rep = F.import_reference_copies(shared_data, names=["egdi", "wdi", "hdr"])
    st = dict(zip(rep["name"] + " " + rep["edition"], rep["status"], strict=True))
    assert st == {**{f"egdi {y}": "imported" for y in ("2010", "2012", "2014", "2016", "2018",
                                                         "2022")},
                  "egdi 2024": "unpinned", "wdi bipa-2024": "imported", "hdr 2023-24": "unpinned"}
    again = F.import_reference_copies(shared_data, names=["egdi"])
    assert set(again["status"]) == {"cached", "unpinned"}
    with pytest.warns(F.UnverifiedDataWarning):  # an unpinned file: explicit import only
        F.import_file("egdi", shared_data / "egdi/EGOV_DATA_2024.csv", edition="2024")
    panel = F.read("egdi", edition="all")
    assert len(panel) == 193 * 7 and sorted(panel["year"].unique()) == [
        2010, 2012, 2014, 2016, 2018, 2022, 2024]
    assert F.read("wdi", edition="bipa-2024")["iso3"].nunique() == 217  # 216 countries + the Channel Islands (CHI)


def test_import_reference_copies_needs_an_explicit_folder(tmp_path):
    with pytest.raises(TypeError, match="root must be the folder of reference copies"):
        F.import_reference_copies(None)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        F.import_reference_copies(tmp_path / "nowhere")


def test_available_looks_only_in_the_cache(shared_data, monkeypatch, tmp_path):
    # the library used to find ../shared/data (or $POLYGOV_SHARED_DATA) by itself
    assert not hasattr(F, "reference_dir")
    monkeypatch.setenv("POLYGOV_SHARED_DATA", str(shared_data))
    monkeypatch.chdir(shared_data.parent)
    assert F.available("egdi") is False
    assert F.missing_official(["egdi"]) == ["egdi"]
    F.import_reference_copies(shared_data, names=["egdi"])
    assert F.available("egdi", "2022") is True and F.available("egdi", "2024") is False


def test_ensure_official(shared_data, capsys):
    assert F.ensure_official(["vdem"]) is False  # nothing is registered behind the user's back
    out = capsys.readouterr().out
    assert "not on this machine: vdem" in out
    assert "polygov data import vdem PATH --edition v14" in out
    assert F.cached("vdem", "v14-lite") is None
    F.import_reference_copies(shared_data, names=["egdi"], editions=["2018", "2022"])
    assert F.ensure_official({"egdi": ["2018", "2022"]}) is True
    with pytest.raises(TypeError, match="unexpected keyword argument 'root'"):
        F.ensure_official(["egdi"], root=shared_data)


def test_ensure_official_selected_editions(shared_data):
    with pytest.warns(F.UnverifiedDataWarning):
        F.import_file("wgi", shared_data / "wgi/2023_update_wdi_bulk/WGIData.csv",
                      edition="2023-wdi")
    assert F.ensure_official({"wgi": ["2023-wdi"]}) is True
    ed = F.editions("wgi").set_index("edition")["cached"]
    assert ed["2023-wdi"] and not ed["2024"] and not ed["2023"]


def test_worldbank_api_downloader_follows_pages(shared_data, tmp_path):
    # a fake API serving the WDI extract in 3 pages (no network): the merged file parses
    # to the same panel as the CSV layout of the same records
    import pandas as pd

    from polygov.data.parsers import wdi

    raw = pd.read_csv(shared_data / "wdi/wb_wdi_2024.csv", encoding="utf-8-sig",
                      keep_default_na=False, na_values={"value": ["NA"]})
    recs = [{"indicator": {"id": r.ind_id, "value": r.ind_nm},
             "country": {"id": r.cty_id, "value": r.cty_nm}, "countryiso3code": r.cty_iso,
             "date": str(r.date), "value": None if pd.isna(r.value) else r.value}
            for r in raw.itertuples()]
    size, asked = 3000, []

    def fake_get(url):
        from urllib.parse import parse_qs, urlsplit

        asked.append(url)
        page = int(parse_qs(urlsplit(url).query)["page"][0])
        meta = {"page": page, "pages": 3, "per_page": size, "total": len(recs)}
        return [meta, recs[(page - 1) * size: page * size]]

    out = tmp_path / "wdi_api.json"
    F._worldbank_api_downloader(S.SOURCES["wdi"].editions["api"].url, str(out), None,
                                get=fake_get)
    assert len(asked) == 3 and all("source=2" in u and "format=json" in u for u in asked)
    merged = json.loads(out.read_text())
    assert merged[0]["pages"] == 1 and len(merged[1]) == 7_980
    pd.testing.assert_frame_equal(wdi.parse(out, edition="x"),
                                  wdi.parse(shared_data / "wdi/wb_wdi_2024.csv", edition="x"))


def test_fetch_returns_registered_new_edition(shared_data, tmp_path):
    f = tmp_path / "egdi-2018.csv"
    f.write_bytes((shared_data / "egdi/unu-egov/egdi-2018.csv").read_bytes())
    with pytest.warns(F.NewEditionWarning):
        p = F.import_file("egdi", f, edition="2018-copy", new_edition=True)
    assert F.fetch("egdi", edition="2018-copy") == p  # no download, no error
    with pytest.raises(ValueError, match="unknown egdi edition '2019'"):
        F.fetch("egdi", edition="2019")


# ------------------------------------------------------------------ notebook requirements

# Notebook 12 used to read official files; it now runs on bundled data, so the requirement
# machinery is tested on a minimal notebook that declares the same editions.
NB_REQ = {"wgi": ["2024"], "vdem": ["v14|v14-lite"],
          "egdi": ["2010", "2012", "2014", "2016", "2018", "2022", "2024"], "hdr": ["2023-24"]}


def _nb_requiring(tmp_path):
    path = tmp_path / "needs_official.ipynb"
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {},
                     "outputs": [], "source": "print('ran')"}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"},
                       "polygov": {"requires_official": NB_REQ}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_partly_cached_editions_skip_a_notebook(shared_data, monkeypatch, tmp_path, capsys):
    # only two of the seven EGDI editions cached, no reference copies: the notebook must be
    # skipped with the missing editions named (available("egdi") alone was True)
    from polygov import course

    for y in ("2018", "2022"):
        F.import_file("egdi", shared_data / S.SOURCES["egdi"].editions[y].reference_copy)
    nb_path = _nb_requiring(tmp_path)
    req = json.loads(nb_path.read_text(encoding="utf-8"))["metadata"]["polygov"]["requires_official"]
    missing = F.missing_official(req)
    assert missing == ["wgi 2024", "vdem v14|v14-lite", "egdi 2010", "egdi 2012", "egdi 2014",
                       "egdi 2016", "egdi 2024", "hdr 2023-24"]
    assert F.missing_official(["egdi"]) == []  # a bare name: any edition will do
    run = course._run_one(nb_path, tmp_path, inplace=False, timeout=10)
    assert run.status == "skipped" and "'egdi 2010'" in run.message and "'egdi 2018'" not in run.message
    assert F.ensure_official({"egdi": req["egdi"]}) is False
    assert "not on this machine: egdi 2010, egdi 2012, egdi 2014, egdi 2016, egdi 2024" in \
        capsys.readouterr().out


def test_requirement_errors():
    with pytest.raises(TypeError, match="not the string 'wgi'"):
        F.missing_official("wgi")
    with pytest.raises(TypeError, match=r"must be a list \(e.g. \['2024'\]\)"):
        F.missing_official({"wgi": "2024"})
    with pytest.raises((KeyError, ValueError), match="2042"):
        F.missing_official({"egdi": ["2042"]})
