"""Fetch, register and read official data files (WGI, V-Dem, EGDI, HDR, WDI, CLASS).

The public face of polygov's official-data cache; the work is done in four
single-purpose modules, whose names say what they hold:

* :mod:`polygov.data.cache` — the cache folder (``$POLYGOV_CACHE`` or the
  platform user cache), the locked ``registry.json``, edition-label checks,
  :func:`cached`, :func:`editions`, :func:`available`;
* :mod:`polygov.data.download` — :func:`fetch`: downloads a pinned edition from
  the publisher's URL with pooch (progress bar, retries, sha256 check; an
  unpinned edition is parsed before it is kept). Offline, it raises
  :class:`DataUnavailableError` saying where to download the file by hand and
  the exact ``polygov data import`` command;
* :mod:`polygov.data.imports` — :func:`import_file`: registers a file
  downloaded by hand; its sha256 must match a pinned edition, or the edition
  must be named (a known edition without a pin is recorded on first use,
  :class:`UnverifiedDataWarning`; a newer release with ``new_edition=True``,
  :class:`NewEditionWarning`);
* :mod:`polygov.data.official` — :func:`read` parses a cached file into a tidy
  ``iso3``-``year`` table; :func:`missing_official` and :func:`ensure_official`
  check a notebook's needs against the cache.

Files live one folder per source and edition::

    <cache>/wgi/2024/wgidataset.xlsx
    <cache>/registry.json          # what was fetched/imported, with its sha256

polygov looks for official files only in this cache, never elsewhere on the
file system. Nothing here runs at import time; only :func:`fetch` uses the
network.
"""

from __future__ import annotations

from .cache import ENV_VAR, available, cache_dir, cached, edition_label, editions, sha256
from .download import _worldbank_api_downloader, fetch
from .fetch_errors import (
    CacheError,
    ChecksumError,
    DataUnavailableError,
    NewEditionWarning,
    NotCachedError,
    RegistryError,
    UnverifiedDataWarning,
)
from .imports import import_file, import_reference_copies
from .official import ensure_official, missing_official, read

__all__ = [
    "ENV_VAR",
    "CacheError",
    "ChecksumError",
    "DataUnavailableError",
    "NewEditionWarning",
    "NotCachedError",
    "RegistryError",
    "UnverifiedDataWarning",
    "available",
    "cache_dir",
    "cached",
    "edition_label",
    "editions",
    "ensure_official",
    "fetch",
    "import_file",
    "import_reference_copies",
    "missing_official",
    "read",
    "sha256",
]

_ = _worldbank_api_downloader  # kept reachable here for tests of the paging downloader
