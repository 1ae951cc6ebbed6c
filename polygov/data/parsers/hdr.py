"""Parser for the UNDP HDR composite indices time series (wide CSV).

The file has one row per country (plus aggregate rows) and ``<indicator>_<year>``
columns (``hdi_1990`` … ``gnipc_2022``). Column names are split on the *last*
underscore, because indicator names contain underscores (``gni_pc_f``,
``diff_hdi_phdi``). Aggregate rows (``iso3`` starting with ``ZZ``: HDI groups,
regions, world) are removed. The encoding is sniffed: the 2023/24 release is
Windows-1252 / Latin-1 (``Côte d'Ivoire`` is byte 0xF4); other downloads are
UTF-8.

Components of the HDI
---------------------
``hdi`` = (I_health · I_edu · I_income)^(1/3) with
I_health = (le − 20)/65, I_edu = (min(eys, 18)/18 + min(mys, 15)/15)/2,
I_income = (ln min(gnipc, 75000) − ln 100)/(ln 75000 − ln 100).
``le`` life expectancy at birth (years), ``eys`` expected years of schooling,
``mys`` mean years of schooling, ``gnipc`` GNI per capita (2017 PPP $).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._common import (
    check_args,
    check_edition_years,
    fail,
    read_csv,
    reading,
    require_columns,
    to_numeric_strict,
)

__all__ = ["DEFAULT_INDICATORS", "LAST_DATA_YEAR", "hdi_formula", "parse"]

DEFAULT_INDICATORS = ("hdi", "le", "eys", "mys", "gnipc")
#: Last data year of each HDR release (labels not listed are not checked).
LAST_DATA_YEAR = {"2019": 2018, "2020": 2019, "2021-22": 2021, "2023-24": 2022, "2025": 2023}
_ID = ["iso3", "country", "hdicode", "region"]


_WHAT = "the HDR composite indices time series (CSV)"


def _read(path: Path) -> pd.DataFrame:
    # UTF-8 first; the 2023/24 release is Windows-1252 (Latin-1 as the last resort).
    # UTF-16/32, NUL bytes, zip/HTML content are refused by the common encoding check.
    return read_csv(path, _WHAT, encodings=("utf-8-sig", "cp1252", "latin-1"),
                    dtype={"iso3": str, "country": str, "hdicode": str, "region": str},
                    keep_default_na=False, na_values=[""], low_memory=False)


def parse(path: str | Path, *, edition: str | None = None,
          indicators: tuple[str, ...] | list[str] = DEFAULT_INDICATORS) -> pd.DataFrame:
    """Parse the HDR composite indices time series into a tidy ``iso3``-``year`` panel.

    Parameters
    ----------
    path : path-like
        ``HDR23-24_Composite_indices_complete_time_series.csv`` or a later
        release in the same layout.
    edition : str, optional
        Report label, e.g. ``"2023-24"``; checked against the last data year
        of the known releases (:data:`LAST_DATA_YEAR`).
    indicators : sequence of str
        Indicator prefixes to keep (default HDI and its four components); any of
        the file's prefixes (``ihdi``, ``gdi``, ``gii``, ``phdi``, ``pop_total`` …).

    Returns
    -------
    DataFrame
        ``iso3``, ``year``, ``country``, ``hdicode`` (HDI group in the latest
        year), ``region`` (UNDP developing region, empty for most OECD
        countries), one column per indicator, ``edition``. Aggregates removed.

    Notes
    -----
    Missing cells stay missing. The 2023/24 public copy has three edited cells
    (names of KOR/PRK and KOR's empty ``hdicode``); values are untouched.
    Validated against: :func:`hdi_formula` reproduces the published ``hdi``
    for 2022 within 0.0005 (rounding of the published components).

    A file in another encoding (UTF-16, UTF-32), with NUL bytes, decimal
    commas or any other damage raises :class:`~polygov.data.parsers.ParseError`
    naming the file and the problem (:func:`~polygov.data.parsers._common.reading`).
    """
    path = check_args(path, edition)
    if isinstance(indicators, str) or not all(isinstance(i, str) for i in indicators):
        raise TypeError(f"indicators must be a list of indicator prefixes such as ['hdi', 'le'], "
                        f"got {indicators!r}")
    with reading(path, _WHAT):
        return _parse(path, edition, tuple(indicators))
    raise AssertionError  # pragma: no cover


def _parse(path: Path, edition: str | None, indicators: tuple[str, ...]) -> pd.DataFrame:
    raw = _read(path)
    require_columns(path, raw.columns, _ID, "HDR composite indices time series")
    split = {c: re.match(r"^(.+)_(\d{4})$", c) for c in raw.columns if c not in _ID}
    prefixes = sorted({m.group(1) for m in split.values() if m})
    missing = [i for i in indicators if i not in prefixes]
    if missing:
        fail(path, f"indicator(s) {missing} not in the file; it has {prefixes}")
    keep = {c: (m.group(1), int(m.group(2))) for c, m in split.items()
            if m and m.group(1) in indicators}
    if "ZZK.WORLD" not in set(raw["iso3"]):
        fail(path, "the closing aggregate rows (ending with 'ZZK.WORLD') are missing: the file is "
                   "truncated or was filtered. Download the complete file again")
    df = raw[raw["iso3"].notna() & ~raw["iso3"].astype(str).str.startswith("ZZ")]
    bad = sorted(set(df.loc[~df["iso3"].str.fullmatch(r"[A-Z]{3}"), "iso3"]))
    if bad:
        fail(path, f"invalid iso3 values {bad[:10]} (aggregates start with 'ZZ')")
    if df["iso3"].duplicated().any():
        fail(path, f"duplicated countries {sorted(df.loc[df['iso3'].duplicated(), 'iso3'])[:5]}")
    df = to_numeric_strict(path, df, list(keep))
    long = df.melt(id_vars=_ID, value_vars=list(keep), var_name="column")
    long["indicator"] = long["column"].map(lambda c: keep[c][0])
    long["year"] = long["column"].map(lambda c: keep[c][1])
    out = long.pivot_table(index=["iso3", "year"], columns="indicator", values="value",
                           aggfunc="first", dropna=False).reset_index()
    out.columns.name = None
    meta = df.set_index("iso3")[["country", "hdicode", "region"]]
    out = out.join(meta, on="iso3")
    for c in ("hdi",):
        if c in out:
            b = out[c].notna() & ~out[c].between(0, 1)
            if b.any():
                fail(path, f"hdi must lie in [0, 1]; found {out.loc[b, c].head(3).tolist()}")
    check_edition_years(path, out["year"], edition, LAST_DATA_YEAR.get(edition or ""),
                        "HDR")
    out["edition"] = edition if edition is not None else f"{int(out['year'].max()) + 1}"
    cols = ["iso3", "year", "country", "hdicode", "region", *indicators, "edition"]
    return out[cols].sort_values(["iso3", "year"], ignore_index=True)


def hdi_formula(data: pd.DataFrame) -> pd.Series:
    """Recompute the HDI from ``le``, ``eys``, ``mys`` and ``gnipc`` (UNDP 2023/24 goalposts)."""
    import numpy as np

    health = (data["le"] - 20) / (85 - 20)
    edu = (np.minimum(data["eys"], 18) / 18 + np.minimum(data["mys"], 15) / 15) / 2
    income = (np.log(np.minimum(data["gnipc"], 75000)) - np.log(100)) / (np.log(75000) - np.log(100))
    return ((health * edu * income) ** (1 / 3)).rename("hdi_formula")
