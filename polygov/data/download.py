"""Download a pinned edition of an official source into the cache (:func:`fetch`).

pooch downloads the file (progress bar, retries, sha256 check of pinned
editions). An edition without a pinned sha256 is parsed with its source's
parser before it is registered, so an error page served with status 200 is
refused and not kept. Offline, :class:`DataUnavailableError` says where to
download the file by hand and gives the exact ``polygov data import`` command.
This is the only module of polygov that uses the network, and only when
:func:`fetch` is called.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

from . import cache as _cache
from .fetch_errors import ChecksumError, DataUnavailableError, UnverifiedDataWarning
from .imports import import_command, validate_file

__all__ = ["RETRIES", "fetch"]

#: Download attempts after the first failure (pooch waits 1 s, 2 s, ... between them).
RETRIES = 3
_TIMEOUT = 60


def _file_downloader(url: str, output_file, pooch_obj) -> None:  # pragma: no cover - trivial
    src = Path(url[len("file://"):])
    with open(src, "rb") as fin:
        if hasattr(output_file, "write"):
            shutil.copyfileobj(fin, output_file)
        else:
            with open(output_file, "wb") as fout:
                shutil.copyfileobj(fin, fout)


def _worldbank_api_downloader(url: str, output_file, pooch_obj, *, get=None) -> None:
    """pooch downloader for the World Bank Indicators API: follows every page of a JSON query.

    The API caps ``per_page``; a query larger than the cap comes back in several
    pages. All pages are fetched (with retries by pooch) and written as one
    response ``[metadata, records]`` with ``pages = 1``, so the parser sees the
    whole extract. ``get`` (a ``requests.get``-like callable) is for tests.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if get is None:
        import requests

        def get(u):
            r = requests.get(u, timeout=_TIMEOUT)
            r.raise_for_status()
            return r.json()

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))

    def page_url(page: int) -> str:
        return urlunsplit(parts._replace(query=urlencode({**query, "page": page})))

    first = get(page_url(1))
    if not (isinstance(first, list) and len(first) == 2 and isinstance(first[0], dict)):
        payload = first  # an API error message: keep it, the parser reports it
    else:
        meta, records = dict(first[0]), list(first[1] or [])
        for page in range(2, int(meta.get("pages", 1) or 1) + 1):
            nxt = get(page_url(page))
            records.extend(nxt[1] or [])
        meta.update(page=1, pages=1, per_page=len(records), total=len(records))
        payload = [meta, records]
    text = json.dumps(payload)
    if hasattr(output_file, "write"):
        output_file.write(text.encode("utf-8") if "b" in getattr(output_file, "mode", "b")
                          else text)
    else:
        Path(output_file).write_text(text, encoding="utf-8")


def fetch(name: str, *, edition: str | None = None, progress: bool = True) -> Path:
    """Download a pinned edition of an official source into the cache and return its path.

    Parameters
    ----------
    name : str
        A key of :data:`polygov.data.sources.SOURCES` (``"wgi"``, ``"vdem"``,
        ``"egdi"``, ``"hdr"``, ``"wdi"``, ``"wb_class"``).
    edition : str, optional
        Edition label (default: the source's ``default_edition``).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    Path of the verified file in the cache. A file already cached (and
    matching its checksum) is returned without touching the network.

    Raises
    ------
    DataUnavailableError
        The download failed (offline, firewall, server error) or the publisher
        offers no stable direct URL; the message gives the page to download
        the file from by hand and the ``polygov data import`` command.
    ChecksumError
        The downloaded file does not match the pinned sha256 (the publisher
        replaced the file, e.g. with a newer release); nothing is kept.
    ParseError
        The edition has no pinned sha256 and the downloaded file does not parse
        as that edition (e.g. an HTML error page served with status 200);
        nothing is kept.

    Notes
    -----
    Editions without a pinned sha256 are parsed, then recorded on first
    download (:class:`UnverifiedDataWarning`) and checked against that record
    afterwards.
    """
    import pooch

    src = _cache.source(name)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if edition is not None:
        edition = _cache.edition_label(edition)
        if edition not in src.editions:
            registered = _cache.cached(name, edition)  # a new edition registered by import_file
            if registered is not None:
                return registered
    info = src.edition_info(edition)
    ed = info.edition
    have = _cache.cached(name, ed)
    if have is not None:
        return have
    by_hand = (f"Download it by hand from {info.url or info.page or src.homepage}"
               + (f" (page: {info.page})" if info.url and info.page else "")
               + f", then register it with:\n    {import_command(name, ed, info.filename)}\n"
               f"or in Python: polygov.data.fetch.import_file({name!r}, PATH, edition={ed!r})")
    if not info.url:
        raise DataUnavailableError(
            f"{src.title}, edition {ed!r}: the publisher offers no stable direct download "
            f"URL. {by_hand}" + (f"\nNote: {info.note}" if info.note else ""))
    target = _cache.make_dir(_cache.edition_dir(name, ed))
    stale = target / info.filename
    if stale.exists():  # present but unregistered or failing its checksum: download again
        stale.unlink()
    known = f"sha256:{info.sha256}" if info.sha256 else None
    puller = pooch.create(path=target, base_url="", registry={info.filename: known},
                          urls={info.filename: info.url}, retry_if_failed=RETRIES)
    if info.url.startswith("file://"):
        downloader = _file_downloader
    elif info.url.startswith("https://api.worldbank.org/"):
        downloader = _worldbank_api_downloader
    else:
        downloader = pooch.HTTPDownloader(progressbar=progress, timeout=_TIMEOUT)
    try:
        path = _download(puller, info.filename, downloader, progress, name=name, ed=ed,
                         url=info.url, by_hand=by_hand, title=src.title)
        _cache.set_user_mode(path)
        digest = _cache.sha256(path)
        if not info.sha256:  # nothing vouches for these bytes: they must at least parse
            validate_file(src, path, ed, shown=f"the file downloaded from {info.url}")
    except BaseException:
        if stale.exists():
            stale.unlink()
        _cache.remove_empty_dirs(target)
        raise
    if not info.sha256:
        warnings.warn(f"{name} edition {ed!r} has no pinned checksum; recorded the downloaded "
                      f"file's sha256 {digest} and will check the cache against it",
                      UnverifiedDataWarning, stacklevel=2)
    _cache.record(name, ed, path, digest, "fetched", url=info.url, pinned=bool(info.sha256))
    return path


def _download(puller, filename: str, downloader, progress: bool, *, name: str, ed: str,
              url: str, by_hand: str, title: str) -> Path:
    try:
        return Path(puller.fetch(filename, downloader=downloader, progressbar=progress))
    except ValueError as exc:  # pooch: hash mismatch (the temporary file is deleted)
        if "hash" not in str(exc).lower():  # e.g. the API answered with something not JSON
            raise DataUnavailableError(
                f"could not download {title}, edition {ed!r}, from {url} "
                f"({type(exc).__name__}: {exc}). {by_hand}") from exc
        raise ChecksumError(
            f"the file downloaded from {url} does not match the pinned sha256 of {name} "
            f"edition {ed!r} ({exc}). The publisher has probably replaced it with a newer "
            f"release. Download it by hand and register it as a new edition:\n    "
            f"polygov data import {name} PATH --edition NEW_LABEL --new-edition") from exc
    except Exception as exc:  # requests ConnectionError/HTTPError/Timeout, OSError ...
        raise DataUnavailableError(
            f"could not download {title}, edition {ed!r}, from {url} "
            f"({type(exc).__name__}: {exc}). If this machine is offline or behind a firewall: "
            f"{by_hand}") from exc
