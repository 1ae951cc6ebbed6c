"""Framework table validation and structure (polygov.index.framework)."""

from __future__ import annotations

import pandas as pd
import pytest

import polygov.index as pi


def _table(rows):
    return pd.DataFrame(rows, columns=["code", "parent", "weight", "direction"])


GOOD = [("a", "P", 1, 1), ("b", "P", 2, -1), ("c", "Q", 1, 1), ("P", "I", 1, 1),
        ("Q", "I", 1, 1), ("I", None, 1, 1)]


def test_levels_and_structure():
    fw = pi.framework_from_table(_table(GOOD))
    assert fw.indicators == ["a", "b", "c"]
    assert fw.aggregates == ["P", "Q", "I"]
    assert fw.root == "I" and fw.n_levels == 3
    assert fw.children("P") == ("a", "b")
    assert fw.parent("a") == "P" and fw.parent("I") is None
    assert fw.leaves_under("I") == ["a", "b", "c"]
    assert fw.directions() == {"a": 1, "b": -1, "c": 1}
    assert fw.ancestors("c") == ["Q", "I"]


def test_unbalanced_tree_levels():
    # an indicator directly under the index next to a pillar: level = 1 + max child level
    fw = pi.framework_from_table(_table([("a", "P", 1, 1), ("b", "I", 1, 1), ("P", "I", 1, 1),
                                         ("I", None, 1, 1)]))
    assert fw.level("a") == 1 and fw.level("b") == 1 and fw.level("P") == 2 and fw.level("I") == 3


@pytest.mark.parametrize("rows,match", [
    (GOOD + [("a", "Q", 1, 1)], "duplicated codes"),
    (GOOD[:-1] + [("I", "Z", 1, 1)], "orphan"),
    ([("a", "P", 1, 1), ("P", "Q", 1, 1), ("Q", "P", 1, 1)], "exactly one root"),
    ([("a", "P", 1, 1), ("P", "Q", 1, 1), ("Q", "P", 1, 1), ("R", None, 1, 1)], "cycle"),
    (GOOD + [("J", None, 1, 1)], "exactly one root"),
    ([("a", "P", -1, 1), ("P", None, 1, 1)], "non-negative"),
    ([("a", "P", 0, 1), ("b", "P", 0, 1), ("P", None, 1, 1)], "all weights of the children of 'P'"),
    ([("a", "P", 1, 2), ("P", None, 1, 1)], r"direction must be \+1 or -1"),
])
def test_validation_errors(rows, match):
    with pytest.raises(ValueError, match=match):
        pi.framework_from_table(_table(rows))


@pytest.mark.parametrize("bad", ["-1x", "neg", "", " ", None, float("nan"), 0, 2, "0.5"])
def test_bad_direction_named_not_coerced_to_plus_one(bad):
    # was: pd.to_numeric(errors="coerce").fillna(1) turned each of these into +1 silently
    rows = [("a", "P", 1, 1), ("b", "P", 1, bad), ("P", None, 1, 1)]
    with pytest.raises(ValueError, match=r"direction must be \+1 or -1.*b="):
        pi.framework_from_table(_table(rows))


def test_direction_strings_and_missing_on_aggregates():
    rows = [("a", "P", 1, "+"), ("b", "P", 1, "-"), ("c", "P", 1, "-1"), ("d", "P", 1, -1.0),
            ("P", None, 1, None)]
    fw = pi.framework_from_table(_table(rows))
    assert fw.directions() == {"a": 1, "b": -1, "c": -1, "d": -1}
    assert fw.table.set_index("code").at["P", "direction"] == 1
    # no direction column at all: every node +1
    fw = pi.framework_from_table(_table(rows).drop(columns="direction"))
    assert set(fw.directions().values()) == {1}


def test_missing_columns_named():
    with pytest.raises(KeyError, match="lacks column"):
        pi.framework_from_table(pd.DataFrame({"id": ["a"], "up": [None]}))
    fw = pi.framework_from_table(pd.DataFrame({"id": ["a", "I"], "up": ["I", None]}),
                                 code="id", parent="up")
    assert fw.indicators == ["a"]


def test_coinr_imeta(shared_data):
    meta = pd.read_csv(shared_data / "asem" / "asem_iMeta.csv")
    fw = pi.framework_from_table(meta)
    assert len(fw.indicators) == 49 and fw.n_levels == 4 and fw.root == "Index"
    # the levels computed from the tree equal COINr's declared levels
    declared = meta.dropna(subset=["Level"]).set_index("iCode")["Level"].astype(int)
    assert all(fw.level(c) == declared[c] for c in fw.codes)
    assert fw.directions()["CostImpEx"] == -1
    assert fw.table.set_index("code").at["Flights", "denominator"] == "Population"


def test_without_prunes_empty_aggregates():
    fw = pi.framework_from_table(_table(GOOD))
    fw2 = fw.without("c")
    assert "Q" not in fw2.codes and fw2.indicators == ["a", "b"]
    with pytest.raises(KeyError, match="not indicators"):
        fw.without("P")
    with pytest.raises(KeyError, match="Did you mean"):
        fw.children("PP")


def test_unknown_columns_rejected():
    t = _table(GOOD).rename(columns={"weight": "wieght"})
    with pytest.raises(ValueError, match="unknown column.*'wieght' -> did you mean 'weight'"):
        pi.framework_from_table(t)
    ok = _table(GOOD).assign(label="x", unit="score")
    assert pi.framework_from_table(ok).n_levels == 3
