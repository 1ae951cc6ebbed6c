"""V-Dem v16 codebook reader on the real files (vdem/v16_codebook) and damaged copies.

Reference values
----------------
- vdem/v16_codebook/PROVENANCE.md: object ``codebook``, 781 variables x 14
  fields; codebook_v16.csv is its pyreadr/pandas conversion (sha256 7ad41855…).
- V-Dem v16 codebook entries (read independently with the csv module):
  ``v2xcs_ccsi`` "Core civil society index", question "How robust is civil
  society?", scale "Interval, from low to high (0-1)."; ``v2cseeorgs`` "CSO
  entry and exit", scale "Ordinal, converted to interval by the measurement
  model."; ``v2x_regime`` ordinal, years 1900-2025.
"""

from __future__ import annotations

import csv
import hashlib

import pandas as pd
import pytest

from polygov.data.parsers import ParseError, vdem_codebook

CSV = "vdem/v16_codebook/codebook_v16.csv"
RDATA = "vdem/v16_codebook/codebook.RData"

#: The V-Dem variables issue 11 bundles (civil society, deliberation, participation,
#: local/regional government, rule of law, corruption, accountability, regime).
ISSUE_11 = ["v2xcs_ccsi", "v2cseeorgs", "v2csreprss", "v2cscnsult", "v2csprtcpt", "v2x_cspart",
            "v2dlconslt", "v2dlengage", "v2x_delibdem", "v2x_partip", "v2x_partipdem",
            "v2xel_locelec", "v2xel_regelec", "v2ellocpwr", "v2ellocgov", "v2elreggov", "v2x_rule",
            "v2clrspct", "v2cltrnslw", "v2exrescon", "v2x_corr", "v2x_pubcorr", "v2x_execorr",
            "v2x_accountability", "v2x_horacc", "v2x_diagacc", "v2x_veracc", "v2x_freexp_altinf",
            "v2x_frassoc_thick", "v2x_civlib", "v2x_regime", "v2x_polyarchy", "v2x_libdem",
            "v2x_egaldem"]


@pytest.fixture(scope="module")
def cb(shared_data):
    return vdem_codebook.read(shared_data / CSV, version=16)


@pytest.fixture(scope="module")
def raw(shared_data):
    with open(shared_data / CSV, newline="", encoding="utf-8") as fh:
        return {r["tag"]: r for r in csv.DictReader(fh)}


def test_one_row_per_variable(cb, raw):
    assert len(cb) == len(raw) == 781
    assert list(cb.columns) == vdem_codebook.COLUMNS
    assert set(cb["name"]) == set(raw) and cb["name"].is_unique
    assert sorted(cb["order"]) == list(range(1, 782))


def test_issue_11_variables_documented(cb, raw):
    t = vdem_codebook.lookup(cb, ISSUE_11)
    assert t["name"].tolist() == ISSUE_11
    assert t[["label", "question", "scale", "section", "scale_type"]].notna().all().all()
    for _, row in t.iterrows():  # exactly the publisher's text (stripped)
        r = raw[row["name"]]
        assert (row["label"], row["question"], row["scale"]) == (
            r["name"].strip(), r["question"].strip(), r["scale"].strip())
    s = t.set_index("name")
    assert s.loc["v2xcs_ccsi", "question"] == "How robust is civil society?"
    assert s.loc["v2xcs_ccsi", "scale_type"] == "interval 0-1"
    assert s.loc["v2cseeorgs", "scale_type"] == "latent (measurement model)"
    assert s.loc["v2x_regime", "scale_type"] == "ordinal"
    assert s.loc["v2x_regime", "years"] == "1900-2025"
    assert s.loc["v2cseeorgs", "section"] == "Civil society"
    assert s.loc["v2xcs_ccsi", "section"] == "Indices: civil society"
    assert s.loc["v2dlconslt", "section"] == "Deliberation"
    assert s.loc["v2ellocpwr", "section"] == "Elections"
    assert s.loc["v2clrspct", "section"] == "Civil liberty"
    assert s.loc["v2x_polyarchy", "section"] == "Indices: democracy and components"
    assert s.loc["v2cseeorgs", "responses"].startswith("0:")
    assert s.loc["v2cseeorgs", "vartype_label"].startswith("evaluative")


def test_every_variable_has_a_section(cb):
    assert (cb["section"] != "Other").all()
    assert set(cb["scale_type"]) <= {"interval 0-1", "latent (measurement model)", "ordinal",
                                     "dichotomous", "share 0-1", "interval", "nominal",
                                     "numeric", "text", "other"}
    # "other" = no scale given (identifiers, some external variables)
    assert cb.loc[cb["scale_type"] == "other", "scale"].isna().all()


def test_rdata_equals_csv(shared_data, cb):
    pytest.importorskip("pyreadr")
    pd.testing.assert_frame_equal(vdem_codebook.read(shared_data / RDATA, version=16), cb)


def test_pinned_checksums(shared_data):
    for name, sha in vdem_codebook.SHA256.items():
        path = shared_data / "vdem/v16_codebook" / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name


def test_lookup_unknown_names(cb):
    with pytest.raises(KeyError, match=r"variable\(s\) \['v2xcs_ccs'\] not in the V-Dem codebook; "
                                       r"close matches: \{'v2xcs_ccs': \['v2xcs_ccsi'"):
        vdem_codebook.lookup(cb, ["v2x_rule", "v2xcs_ccs"])
    assert vdem_codebook.lookup(cb, "v2x_rule")["label"].item() == "Rule of law index"


def test_damaged_files(shared_data, tmp_path):
    text = (shared_data / CSV).read_bytes()
    p = tmp_path / "codebook.csv"
    lines = text.splitlines(keepends=True)
    p.write_bytes(b"".join(lines[:200]))
    with pytest.raises(ParseError, match=r"incomplete codebook: \d+ variables, but the v16 "
                                         r"codebook has 781"):
        vdem_codebook.read(p, version=16)
    p.write_bytes(text.replace(b"\nPublic campaign finance,C,v2elpubfin,", b"\nx,C,v2 bad,", 1))
    with pytest.raises(ParseError, match=r"1 malformed variable tag\(s\), e.g. \['v2 bad'\]"):
        vdem_codebook.read(p)
    p.write_bytes(text.replace(b"question,", b"query,", 1))
    with pytest.raises(ParseError, match=r"not a V-Dem codebook: column\(s\) \['question'\] missing"):
        vdem_codebook.read(p)
    p.write_bytes(text.decode("utf-8").encode("utf-16"))
    with pytest.raises(ParseError, match="codebook.csv: is encoded as UTF-16"):
        vdem_codebook.read(p)
    with pytest.raises(TypeError, match="version must be an integer"):
        vdem_codebook.read(shared_data / CSV, version="16")


def test_section_and_scale_type_helpers():
    assert vdem_codebook.section("v3elsuffrage") == "Historical V-Dem: elections"
    assert vdem_codebook.section("e_gdppc") == "Other sources"
    assert vdem_codebook.scale_type(None) == "other"
    assert vdem_codebook.scale_type("Dichotomous.") == "dichotomous"
    with pytest.raises(TypeError, match="tag must be a V-Dem variable name"):
        vdem_codebook.section(3)
