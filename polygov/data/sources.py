"""Registry of the official open-data sources polygov can fetch on request.

Each :class:`Source` names a publisher's dataset (World Bank WGI, V-Dem, UN
E-Government Survey, UNDP HDR, World Bank WDI, World Bank country
classification) and lists its pinned :class:`Edition` objects: the official
download URL, the file name, the sha256 of the file and the parser that turns
it into a tidy ``iso3``-``year`` panel.

A sha256 is pinned only where the bytes of the official file are known (a
copy byte-identical to the publisher's download, or checked against it).
Everywhere else ``sha256`` is ``None``: the edition is *unknown until
registered*, so the first fetched (and parsed) or explicitly imported file is
recorded in the local cache registry ("trust on first use") with a
:class:`~polygov.data.fetch.UnverifiedDataWarning`, and every later read is
checked against that recorded hash.

One entry per source in :data:`SOURCES`; add a source by adding one entry
(and its parser module under :mod:`polygov.data.parsers`).

Nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Edition", "Source", "SOURCES", "get_source"]


@dataclass(frozen=True)
class Edition:
    """One pinned release (file) of a source.

    Attributes
    ----------
    edition : str
        Edition label, e.g. ``"2024"`` or ``"v14"``.
    filename : str
        Name of the file in the cache.
    url : str or None
        Official direct-download URL; ``None`` when the publisher offers no
        stable direct link (download by hand, then ``polygov data import``).
    sha256 : str or None
        Checksum of the official file; ``None`` = unknown until registered.
    layout : str
        Short description of the file layout (the parser sniffs it anyway).
    page : str
        Human-facing page where the file can be downloaded by hand.
    official : bool
        ``False`` for re-packaged or derived files (noted in ``note``).
    reference_copy : str or None
        Relative path of the file inside a folder of reference copies laid out
        by source (``wgi/2024_update/wgidataset.xlsx``), for
        :func:`polygov.data.fetch.import_reference_copies`, which is given that
        folder explicitly; polygov never searches for one.
    note : str
        Anything a user must know about this file.
    """

    edition: str
    filename: str
    url: str | None
    sha256: str | None
    layout: str
    page: str = ""
    official: bool = True
    reference_copy: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Source:
    """An official dataset and its pinned editions."""

    name: str
    title: str
    publisher: str
    homepage: str
    licence: str
    citation: str
    parser: str  # module under polygov.data.parsers exposing ``parse(path, *, edition)``
    editions: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    default_edition: str = ""
    stackable: bool = False  # editions are distinct survey years that may be stacked (EGDI)
    note: str = ""

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.title}", f"publisher: {self.publisher}",
                 f"homepage: {self.homepage}", f"licence: {self.licence}",
                 f"citation: {self.citation}", f"default edition: {self.default_edition}"]
        if self.note:
            lines.append(f"note: {self.note}")
        lines.append("editions:")
        for e in self.editions.values():
            lines.append(f"  {e.edition:10s} {e.filename}  ({e.layout})")
            lines.append(f"  {'':10s} url: {e.url or 'none (download by hand from ' + (e.page or self.homepage) + ')'}")
            lines.append(f"  {'':10s} sha256: {e.sha256 or 'unknown until registered'}"
                         + ("" if e.official else "  [not the publisher's own file]"))
            if e.note:
                lines.append(f"  {'':10s} {e.note}")
        return "\n".join(lines)

    def edition_info(self, edition: str | None = None) -> Edition:
        """Return the :class:`Edition` named ``edition`` (default: ``default_edition``)."""
        from ..errors import check_in

        ed = self.default_edition if edition is None else str(edition)
        check_in(ed, self.editions, name=f"{self.name} edition")
        return self.editions[ed]


def _eds(*eds: Edition) -> MappingProxyType:
    return MappingProxyType({e.edition: e for e in eds})


_WGI_PAGE = "https://www.worldbank.org/en/publication/worldwide-governance-indicators"
_WGI_URL = "https://www.worldbank.org/content/dam/sites/govindicators/doc/wgidataset.xlsx"
_EGOV_PAGE = "https://publicadministration.un.org/egovkb/en-us/Data-Center"
_UNU = "https://raw.githubusercontent.com/UNU-EGOV/datasets/3b9c43567eb9f749e7497b0491449b24a91e5248/egdi/"
_UNU_SHA = {
    "2010": "2eba5c1e561cabdcab9f20191c497ac9dab3911cf0c15bfca095c5d90027877c",
    "2012": "b98bde7d1e3b53be25aac315674e690e86cd40bdc9174cbccbc797ab8140b260",
    "2014": "8ae27d5115ae1131f821be54adc7166eb07e2b571b158b9764be051006627b15",
    "2016": "c2bfb19398b45c9e5bb677a9fe1080a896f753bfcf3b24505c617219c1e386d0",
    "2018": "da45229137f4f4930fbe1be60078a21be43ce0b34671c62fcffe7402610d9368",
}
_WDI_INDICATORS = ("NY.GDP.MKTP.CD", "NY.GDP.MKTP.PP.CD", "NY.GDP.PCAP.CD", "NY.GDP.PCAP.PP.CD",
                   "NE.CON.GOVT.ZS", "SP.POP.TOTL")

SOURCES: MappingProxyType = MappingProxyType({
    "wgi": Source(
        name="wgi",
        title="Worldwide Governance Indicators (World Bank)",
        publisher="World Bank, Development Research Group (Kaufmann & Kraay)",
        homepage=_WGI_PAGE,
        licence="CC BY 4.0",
        citation="Kaufmann, D. and A. Kraay (2024). Worldwide Governance Indicators, 2024 Update "
                 "(www.govindicators.org).",
        parser="wgi",
        default_edition="2024",
        editions=_eds(
            Edition("2024", "wgidataset.xlsx", _WGI_URL,
                    "fc73c938c6aaecb9de544c8f3dcaf4a4d42ea851c526310eed4be32e8e63984d",
                    "2024 Update, one long sheet (1996-2023), missing = '..'", page=_WGI_PAGE,
                    reference_copy="wgi/2024_update/wgidataset.xlsx",
                    note="The URL always serves the newest release; once the World Bank publishes "
                         "a newer update the checksum no longer matches (register it with "
                         "new_edition=True)."),
            Edition("2024-csv", "wgidataset.csv", None,
                    "81693aaa5fe30d7de98fb36bc069136fd45c74547a877ba559441e7e5c4f221d",
                    "CSV export of the 2024 xlsx (estimates 2 dp, ranks 1 dp)", page=_WGI_PAGE,
                    official=False, reference_copy="wgi/2024_update/wgidataset.csv",
                    note="Not a World Bank product: Excel 'Save as CSV' of the 2024 xlsx, values "
                         "rounded to the display format. Prefer the xlsx."),
            Edition("2023", "wgidataset.xlsx", None, None,
                    "2023 Update, legacy multi-sheet workbook (1996-2022), missing = '#N/A'",
                    page=_WGI_PAGE, reference_copy="wgi/2023_update/wgidataset.xlsx",
                    note="No longer served at the official URL; the public copy was re-saved in "
                         "Excel by its uploader, so its checksum is not the World Bank's."),
            Edition("2023-wdi", "WGIData.csv", None, None,
                    "2023 Update in the WDI/DataBank bulk layout (WGI_CSV.zip -> WGIData.csv)",
                    page="https://databank.worldbank.org/source/worldwide-governance-indicators",
                    reference_copy="wgi/2023_update_wdi_bulk/WGIData.csv",
                    note="Extract WGIData.csv from the DataBank bulk download before importing."),
        ),
    ),
    "vdem": Source(
        name="vdem",
        title="Varieties of Democracy (V-Dem) Country-Year dataset",
        publisher="V-Dem Institute, University of Gothenburg",
        homepage="https://v-dem.net/data/the-v-dem-dataset/",
        licence="CC BY-SA 4.0",
        citation="Coppedge, M., J. Gerring, C. H. Knutsen, S. I. Lindberg, J. Teorell, et al. 2024. "
                 "V-Dem [Country-Year/Country-Date] Dataset v14. Varieties of Democracy (V-Dem) "
                 "Project. https://doi.org/10.23696/mcwt-fr58",
        parser="vdem",
        default_edition="v14",
        editions=_eds(
            Edition("v14", "V-Dem-CY-Full+Others-v14.csv", None, None,
                    "official Country-Year Full+Others CSV (thousands of columns)",
                    page="https://v-dem.net/data/the-v-dem-dataset/",
                    note="V-Dem distributes the CSV inside a zip from its website; unzip it and "
                         "import the CSV (several hundred MB)."),
            Edition("v14-lite", "vdemlite_v14_1970-2023.csv", None,
                    "3da0dfce875d3620010b92d0d7a1607b0b611fab7c350fe822c7b1e1d566aea3",
                    "vdemlite subset of v14 (1970-2023, 297 columns), CSV conversion of "
                    "vdemlite.rda", page="https://github.com/eteitelbaum/vdemlite",
                    official=False, reference_copy="vdem/vdemlite_v14_1970-2023.csv",
                    note="Derived: the vdemlite R package's subset of v14 (structure-of-aggregation "
                         "variables only, no *_codelow/_codehigh)."),
        ),
    ),
    "vdem_ert": Source(
        name="vdem_ert",
        title="V-Dem Episodes of Regime Transformation (ERT): regimes, episodes and the electoral "
              "democracy index with its interval",
        publisher="V-Dem Institute, University of Gothenburg",
        homepage="https://github.com/vdeminstitute/ERT",
        licence="CC BY-SA 4.0 (V-Dem data; the ERT R package code is GPL-3)",
        citation="Maerz, S. F., A. Edgell, M. C. Wilson, S. Hellmeier and S. I. Lindberg (2023). "
                 "Episodes of regime transformation. Journal of Peace Research 61(6). Data: "
                 "Episodes of Regime Transformation (ERT) dataset v15, V-Dem Institute, built "
                 "from V-Dem Country-Year v15.",
        parser="vdem_ert",
        default_edition="v15",
        editions=_eds(
            Edition("v15", "ert.csv",
                    "https://raw.githubusercontent.com/vdeminstitute/ERT/"
                    "fa95b8bb8d55735019ee10e7cd0f6fa638cc55ef/inst/ert.csv",
                    "39c6ca13363765ec4acf2d4c51052ed531bb49c91937924e0250d5384ad7fa4d",
                    "ERT 15.0 country-year CSV (1900-2024, 19,678 rows, R row numbers in the "
                    "first column, missing = NA)",
                    page="https://github.com/vdeminstitute/ERT/tree/master/inst",
                    reference_copy="vdem/ert_v15/ert.csv",
                    note="The V-Dem Institute's own file (ERT R package 15.0, commit fa95b8b of "
                         "2025-03-19; data last changed in 15e539c, 'v15 update')."),
        ),
    ),
    "egdi": Source(
        name="egdi",
        title="UN E-Government Survey: E-Government Development Index and components",
        publisher="UN DESA, Division for Public Institutions and Digital Government",
        homepage=_EGOV_PAGE,
        licence="No explicit open licence; UN terms of use (attribution required)",
        citation="United Nations Department of Economic and Social Affairs (2024). United Nations "
                 "E-Government Survey 2024. New York: United Nations.",
        parser="egdi",
        default_edition="2024",
        stackable=True,
        note="Values are comparable only within one survey edition (normalisation changes).",
        editions=_eds(
            *(Edition(y, f"egdi-{y}.csv", _UNU + f"egdi-{y}.csv", _UNU_SHA[y],
                      "UNU-EGOV re-packaging with ISO3 codes", page="https://github.com/UNU-EGOV/datasets",
                      official=True, reference_copy=f"egdi/unu-egov/egdi-{y}.csv",
                      note="Published by UNU-EGOV (United Nations University) from the Survey "
                           "data; pinned to commit 3b9c435.")
              for y in ("2010", "2012", "2014", "2016", "2018")),
            Edition("2022", "EGOV_DATA_2022.csv", None,
                    "159cf2dcd38b3ce2cb7aa447425e81468bf095610953bd4aa9462376bcc5a935",
                    "official Data Center layout (country names, no codes)", page=_EGOV_PAGE,
                    reference_copy="egdi/EGOV_DATA_2022.csv",
                    note="Checksum of the copy in pluralitybook/plurality, which states the Data "
                         "Center as its source; download by hand from the Data Center."),
            Edition("2024", "EGOV_DATA_2024.csv", None, None,
                    "Data Center layout (country names, no codes)", page=_EGOV_PAGE,
                    reference_copy="egdi/EGOV_DATA_2024.csv",
                    note="The only public copy has renamed headers and an added Region column; "
                         "the parser reads both header schemes."),
        ),
    ),
    "hdr": Source(
        name="hdr",
        title="UNDP Human Development Report: composite indices time series",
        publisher="UNDP Human Development Report Office",
        homepage="https://hdr.undp.org/data-center/documentation-and-downloads",
        licence="CC BY 3.0 IGO",
        citation="UNDP (2024). Human Development Report 2023/2024. New York.",
        parser="hdr",
        default_edition="2023-24",
        editions=_eds(
            Edition("2023-24", "HDR23-24_Composite_indices_complete_time_series.csv",
                    "https://hdr.undp.org/sites/default/files/2023-24_HDR/"
                    "HDR23-24_Composite_indices_complete_time_series.csv",
                    None, "wide <indicator>_<year> CSV, 1990-2022, Latin-1",
                    page="https://hdr.undp.org/data-center/documentation-and-downloads",
                    reference_copy="hdr/HDR23-24_Composite_indices_complete_time_series.csv",
                    note="No untouched public copy was found (the reference copy has 3 edited "
                         "cells), so the official checksum is recorded on first use."),
        ),
    ),
    "wdi": Source(
        name="wdi",
        title="World Development Indicators (World Bank): GDP, population, government consumption",
        publisher="World Bank, Development Data Group",
        homepage="https://data.worldbank.org",
        licence="CC BY 4.0",
        citation="World Bank (2024). World Development Indicators. Washington, DC: The World Bank.",
        parser="wdi",
        default_edition="api",
        editions=_eds(
            Edition("api", "wdi_api.json",
                    "https://api.worldbank.org/v2/country/all/indicator/"
                    + ";".join(_WDI_INDICATORS)
                    + "?source=2&format=json&date=1990:2023&per_page=20000",
                    None, "World Bank Indicators API v2 JSON ([metadata, records])",
                    page="https://datahelpdesk.worldbank.org/knowledgebase/articles/889392",
                    note="A live extract: the API serves the current WDI vintage, so the checksum "
                         "is recorded on first download; re-fetch with a new edition name to "
                         "update."),
            Edition("bipa-2024", "wb_wdi_2024.csv", None,
                    "91a3bc5053ca2fe3bdf93536a38f981e8788a43108699fc200f203402f7e7cb6",
                    "flattened API extract (ind_id, cty_id, cty_iso, date, value ...), 2018-2022",
                    page="https://github.com/blavatnik-index/bipa2024_sourcedata",
                    official=False, reference_copy="wdi/wb_wdi_2024.csv",
                    note="WDI API extract of 2024-06-06 made for the Blavatnik Index of Public "
                         "Administration 2024."),
        ),
    ),
    "wb_class": Source(
        name="wb_class",
        title="World Bank country classification by income (CLASS.xlsx)",
        publisher="World Bank, Development Data Group",
        homepage="https://datahelpdesk.worldbank.org/knowledgebase/articles/"
                 "906519-world-bank-country-and-lending-groups",
        licence="CC BY 4.0",
        citation="World Bank (2024). World Bank Country and Lending Groups (FY2025).",
        parser="wb_class",
        default_edition="current",
        editions=_eds(
            Edition("current", "CLASS.xlsx",
                    "https://datacatalogfiles.worldbank.org/ddh-published/0037712/DR0090755/CLASS.xlsx",
                    None, "sheet 'List of economies': Economy, Code, Region, Income group, ...",
                    page="https://datahelpdesk.worldbank.org/knowledgebase/articles/"
                         "906519-world-bank-country-and-lending-groups",
                    note="Revised every 1 July at the same URL; the checksum is recorded on "
                         "first download."),
        ),
    ),
})


def get_source(name: str) -> Source:
    """Return the :class:`Source` called ``name`` (``KeyError`` lists the valid names)."""
    from ..errors import close_matches

    if not isinstance(name, str):
        raise TypeError(f"name must be a source name (str), got {type(name).__name__} "
                        f"{name!r}; available: {sorted(SOURCES)}")
    if name not in SOURCES:
        near = close_matches(str(name), SOURCES)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"unknown data source {name!r}; available: {sorted(SOURCES)}.{hint}")
    return SOURCES[name]
