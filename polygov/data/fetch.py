"""Fetch, register and read official data files (WGI, V-Dem, EGDI, HDR, WDI, CLASS).

Files live in a local cache (``platformdirs.user_cache_dir("polygov")``, or the
folder named by the environment variable ``POLYGOV_CACHE``), one folder per
source and edition::

    <cache>/wgi/2024/wgidataset.xlsx
    <cache>/registry.json          # what was fetched/imported, with its sha256

* :func:`fetch` downloads a pinned edition from the publisher's URL with pooch
  (progress bar, retries, sha256 check). Offline, it raises
  :class:`DataUnavailableError` saying where to download the file by hand and
  the exact ``polygov data import`` command.
* :func:`import_file` registers a file downloaded by hand: its sha256 must
  match the pinned edition; a file whose checksum is not pinned is recorded on
  first use (:class:`UnverifiedDataWarning`); a newer release is recorded
  explicitly with ``new_edition=True`` (:class:`NewEditionWarning`).
* :func:`read` parses a cached file into a tidy ``iso3``-``year`` table.

Nothing here runs at import time; only :func:`fetch` uses the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import PolygovWarning
from . import sources as _sources
from .parsers import ParseError, get_parser

__all__ = [
    "ENV_VAR",
    "ChecksumError",
    "DataUnavailableError",
    "NewEditionWarning",
    "NotCachedError",
    "UnverifiedDataWarning",
    "available",
    "cache_dir",
    "cached",
    "editions",
    "ensure_official",
    "fetch",
    "import_file",
    "import_reference_copies",
    "missing_official",
    "read",
    "reference_dir",
    "sha256",
]

ENV_VAR = "POLYGOV_CACHE"
#: Download attempts after the first failure (pooch waits 1 s, 2 s, ... between them).
RETRIES = 3
_TIMEOUT = 60


class DataUnavailableError(ConnectionError):
    """A source file could not be downloaded (offline, firewall, no direct URL).

    The message says where to download the file by hand and how to register it.
    Subclass of :class:`ConnectionError` (hence :class:`OSError`).
    """


class NotCachedError(FileNotFoundError):
    """:func:`read` was asked for an edition that is neither fetched nor imported."""


class ChecksumError(ValueError):
    """A file's sha256 does not match the pinned or registered edition."""


class UnverifiedDataWarning(PolygovWarning):
    """A file was registered whose checksum polygov could not check (none pinned)."""


class NewEditionWarning(PolygovWarning):
    """A file was registered as a new, unpinned edition of a source."""


# --------------------------------------------------------------------------- cache

def cache_dir() -> Path:
    """Return the cache folder (``$POLYGOV_CACHE`` or the platform user cache)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("polygov"))


_HASHED: dict[tuple[str, int, int], str] = {}


def sha256(path: str | Path) -> str:
    """Return the hex sha256 of a file (memoised per path, size and modification time)."""
    st = os.stat(path)
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key in _HASHED:
        return _HASHED[key]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    _HASHED[key] = h.hexdigest()
    return _HASHED[key]


def _registry_path() -> Path:
    return cache_dir() / "registry.json"


def _load_registry() -> dict:
    p = _registry_path()
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the cache registry {p} is corrupted ({exc}); delete it and fetch or "
                         "import the files again") from exc


def _save_registry(reg: dict) -> None:
    p = _registry_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".json.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(reg, fh, indent=2, sort_keys=True)
    os.replace(tmp, p)


def _record(name: str, edition: str, path: Path, digest: str, origin: str, **extra) -> None:
    reg = _load_registry()
    reg.setdefault(name, {})[edition] = {
        "filename": path.name, "sha256": digest, "origin": origin,
        "registered": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **extra,
    }
    _save_registry(reg)


def _edition_dir(name: str, edition: str) -> Path:
    return cache_dir() / name / edition


def _import_cmd(name: str, edition: str, filename: str = "PATH") -> str:
    return f"polygov data import {name} {filename} --edition {edition}"


def _expected_sha(name: str, edition: str) -> str | None:
    src = _sources.get_source(name)
    if edition in src.editions and src.editions[edition].sha256:
        return src.editions[edition].sha256
    return _load_registry().get(name, {}).get(edition, {}).get("sha256")


# --------------------------------------------------------------------------- public API

def cached(name: str, edition: str | None = None) -> Path | None:
    """Return the cached file of ``name``/``edition``, or ``None`` if there is none.

    The file's sha256 is checked against the pinned (or registered) value;
    a changed file raises :class:`ChecksumError`.
    """
    src = _sources.get_source(name)
    ed = src.default_edition if edition is None else str(edition)
    entry = _load_registry().get(name, {}).get(ed)
    if entry is None:
        return None
    path = _edition_dir(name, ed) / entry["filename"]
    if not path.exists():
        return None
    want = _expected_sha(name, ed)
    got = sha256(path)
    if want and got != want:
        raise ChecksumError(f"cached file {path} has sha256 {got}, expected {want} for {name} "
                            f"edition {ed!r}: it changed after registration. Delete it and "
                            f"fetch or import it again.")
    return path


def editions(name: str) -> pd.DataFrame:
    """List the pinned and registered editions of ``name`` and whether each is cached.

    Returns
    -------
    DataFrame
        ``edition``, ``pinned`` (bool), ``sha256``, ``url``, ``cached`` (bool),
        ``origin`` (``"fetched"``/``"imported"`` or missing).
    """
    src = _sources.get_source(name)
    reg = _load_registry().get(name, {})
    rows = []
    for ed in [*src.editions, *[e for e in reg if e not in src.editions]]:
        info = src.editions.get(ed)
        path = _edition_dir(name, ed) / reg[ed]["filename"] if ed in reg else None
        rows.append({"edition": ed, "pinned": ed in src.editions,
                     "sha256": (info.sha256 if info and info.sha256 else
                                reg.get(ed, {}).get("sha256")),
                     "url": info.url if info else None,
                     "cached": bool(path and path.exists()),
                     "origin": reg.get(ed, {}).get("origin")})
    return pd.DataFrame(rows)


def reference_dir() -> Path | None:
    """Return the folder of reference copies of the official files, if there is one.

    ``$POLYGOV_SHARED_DATA`` if set, else the first ``shared/data`` folder found
    beside the current directory or one of its parents (the layout of the
    project's CI, where the files sit in ``../shared/data``). ``None`` if absent.
    """
    env = os.environ.get("POLYGOV_SHARED_DATA")
    if env:
        return Path(env).expanduser() if Path(env).expanduser().is_dir() else None
    here = Path.cwd().resolve()
    for base in [here, *here.parents][:4]:
        cand = base.parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return None


def available(name: str, edition: str | None = None, *, include_reference: bool = True) -> bool:
    """Is ``name`` (a given edition, or any) usable offline: cached, or a reference copy found?

    Reference copies (see :func:`reference_dir`) count when ``include_reference``;
    register them with :func:`import_reference_copies` before :func:`read`.
    """
    src = _sources.get_source(name)
    eds = [edition] if edition is not None else list(editions(name)["edition"])
    try:
        if any(cached(name, e) is not None for e in eds):
            return True
    except ChecksumError:
        return False
    if include_reference:
        root = reference_dir()
        if root is not None:
            return any(src.editions[e].reference_copy
                       and (root / src.editions[e].reference_copy).is_file()
                       for e in eds if e in src.editions)
    return False


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

    Notes
    -----
    Editions without a pinned sha256 are recorded on first download
    (:class:`UnverifiedDataWarning`) and checked against that record afterwards.
    """
    import pooch

    src = _sources.get_source(name)
    if edition is not None and str(edition) not in src.editions:
        registered = cached(name, str(edition))  # a new edition registered by import_file
        if registered is not None:
            return registered
    info = src.edition_info(edition)
    ed = info.edition
    have = cached(name, ed)
    if have is not None:
        return have
    by_hand = (f"Download it by hand from {info.url or info.page or src.homepage}"
               + (f" (page: {info.page})" if info.url and info.page else "")
               + f", then register it with:\n    {_import_cmd(name, ed, info.filename)}\n"
               f"or in Python: polygov.data.fetch.import_file({name!r}, PATH, edition={ed!r})")
    if not info.url:
        raise DataUnavailableError(
            f"{src.title}, edition {ed!r}: the publisher offers no stable direct download "
            f"URL. {by_hand}" + (f"\nNote: {info.note}" if info.note else ""))
    target = _edition_dir(name, ed)
    target.mkdir(parents=True, exist_ok=True)
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
    except BaseException:
        _remove_empty(target)
        raise
    digest = sha256(path)
    if not info.sha256:
        warnings.warn(f"{name} edition {ed!r} has no pinned checksum; recorded the downloaded "
                      f"file's sha256 {digest} and will check the cache against it",
                      UnverifiedDataWarning, stacklevel=2)
    _record(name, ed, path, digest, "fetched", url=info.url, pinned=bool(info.sha256))
    return path


def _remove_empty(folder: Path) -> None:
    for d in (folder, folder.parent):
        try:
            d.rmdir()
        except OSError:
            break


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


def import_file(name: str, path: str | Path, *, edition: str | None = None,
                new_edition: bool = False, validate: bool = True) -> Path:
    """Register a file downloaded by hand and return its path in the cache.

    Parameters
    ----------
    name : str
        Source name (see :data:`polygov.data.sources.SOURCES`).
    path : path-like
        The downloaded file.
    edition : str, optional
        Pinned edition the file should be. By default the edition whose pinned
        (or earlier recorded) sha256 equals the file's, else the source's default
        edition; when that one is pinned with another checksum, the error names
        the known editions without a pinned checksum, and the one the file
        parses as.
    new_edition : bool
        Record the file as a new, unpinned edition called ``edition`` (which
        must then be given and must not be a pinned label). Emits
        :class:`NewEditionWarning`.
    validate : bool
        Parse the file before registering it, so a truncated or wrong file is
        refused (default ``True``; skipped when the checksum equals a pinned
        one, which identifies a known-good file). The copy in the cache is
        parsed, so a file that does not parse is never registered.

    Notes
    -----
    The file is stored under the edition's file name, unless its suffix differs
    (e.g. ``vdemlite.rda`` imported as ``v14``, whose official file is a CSV):
    then it keeps its own name, so the parser reads it by its type.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ChecksumError
        The checksum differs from the pinned (or previously registered) one.
    ParseError
        ``validate=True`` and the file cannot be parsed as that edition.
        Nothing is copied or registered in either case.
    """
    src = _sources.get_source(name)
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}; give the path of the downloaded "
                                f"{src.title} file")
    digest = sha256(path)
    reg = _load_registry().get(name, {})
    if new_edition:
        if not edition:
            raise ValueError("new_edition=True needs edition='<label>' naming the new edition, "
                             "e.g. edition='2025'")
        ed = str(edition)
        if ed in src.editions:
            raise ValueError(f"{name} edition {ed!r} is pinned (sha256 "
                             f"{src.editions[ed].sha256 or 'recorded on first use'}); choose a "
                             "new label for a new edition, e.g. "
                             f"{ed + '-' + digest[:8]!r}")
        if ed in reg and reg[ed]["sha256"] != digest:
            raise ChecksumError(f"{name} edition {ed!r} is already registered with another file "
                                f"(sha256 {reg[ed]['sha256']}); choose another label")
        filename, pinned = path.name, None
    else:
        if edition is None:
            match = ([e for e, i in src.editions.items() if i.sha256 == digest]
                     or [e for e in src.editions if reg.get(e, {}).get("sha256") == digest])
            ed = match[0] if match else src.default_edition
        else:
            ed = str(edition)
        info = src.edition_info(ed)
        filename, pinned = info.filename, info.sha256
        recorded = reg.get(ed, {}).get("sha256")
        if pinned and digest != pinned:
            others = [e for e, i in src.editions.items() if i.sha256 == digest]
            hint = (f" It matches pinned edition {others[0]!r}: pass edition={others[0]!r}."
                    if others else _unpinned_hint(name, path, ed))
            raise ChecksumError(f"{path.name}: sha256 {digest} does not match the pinned "
                                f"{name} edition {ed!r} ({pinned}); the file is a different "
                                f"release, corrupted or truncated.{hint}")
        if not pinned and recorded and recorded != digest:
            raise ChecksumError(f"{path.name}: sha256 {digest} differs from the file registered "
                                f"earlier as {name} edition {ed!r} ({recorded}). Register it "
                                "under a new label with new_edition=True")
    if Path(filename).suffix.lower() != path.suffix.lower():
        filename = path.name  # e.g. vdemlite.rda as edition v14: parsers read the suffix
    target = _edition_dir(name, ed)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    dest = target / filename
    fd, tmp = tempfile.mkstemp(dir=target, suffix=".part" + path.suffix)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        if sha256(tmp) != digest:
            raise ChecksumError(f"copy of {path} into the cache was corrupted; try again")
        if validate and not (pinned and digest == pinned):  # a pinned match is known-good
            _validate_copy(src, tmp, ed, path.name)  # the bytes that will be registered
        os.replace(tmp, dest)
    except BaseException:
        if created:  # leave the cache as it was
            shutil.rmtree(target, ignore_errors=True)
            try:
                target.parent.rmdir()
            except OSError:
                pass
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if new_edition:
        warnings.warn(f"registered {path.name} as NEW edition {ed!r} of {name} (sha256 "
                      f"{digest}); it is not pinned by polygov, so check its provenance and "
                      "cite the edition you used", NewEditionWarning, stacklevel=2)
        _record(name, ed, dest, digest, "imported", pinned=False, new_edition=True,
                imported_from=str(path))
    else:
        if not pinned and not recorded:
            warnings.warn(f"{name} edition {ed!r} has no pinned checksum; recorded this file's "
                          f"sha256 {digest} (trust on first use)", UnverifiedDataWarning,
                          stacklevel=2)
        _record(name, ed, dest, digest, "imported", pinned=bool(pinned),
                imported_from=str(path))
    return dest


def _validate_copy(src, path: Path | str, edition: str, shown: str) -> None:
    """Parse ``path`` as ``edition`` of ``src``; a failure raises ParseError naming ``shown``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PolygovWarning)
            get_parser(src.parser).parse(path, edition=edition)
    except ParseError as exc:
        msg = str(exc).replace(Path(path).name, shown)
        raise ParseError(f"not registered: {msg}") from exc


def _unpinned_hint(name: str, path: Path, tried: str) -> str:
    """Hint for a file matching no pinned checksum: the known editions without one.

    Each unpinned edition whose file type matches is tried with its parser; the
    ones that parse are named as the likely edition.
    """
    src = _sources.get_source(name)
    new = (f"If it is a newer release, register it with new_edition=True and a new label:\n"
           f"    polygov data import {name} {path} --edition NEW_LABEL --new-edition")
    unpinned = [e for e, i in src.editions.items() if not i.sha256 and e != tried]
    if not unpinned:
        return " " + new
    fits = []
    for e in unpinned:
        if Path(src.editions[e].filename).suffix.lower() != path.suffix.lower():
            continue
        try:
            _validate_copy(src, path, e, path.name)
        except (ParseError, ImportError):
            continue
        fits.append(e)
    if len(fits) == 1:
        return (f" It parses as {name} edition {fits[0]!r}, which polygov knows but has no "
                f"pinned checksum for: import it with edition={fits[0]!r}:\n"
                f"    {_import_cmd(name, fits[0], str(path))}\n"
                "(its checksum is then recorded on first use). " + new)
    return (f" {name} editions known to polygov without a pinned checksum: {unpinned}"
            + (f" (the file parses as {fits})" if fits else "")
            + "; if the file is one of them, pass edition=LABEL (--edition LABEL). " + new)


def read(name: str, *, edition: str | None = None, **options) -> pd.DataFrame:
    """Parse the cached (fetched or imported) file of ``name`` into a tidy table.

    Parameters
    ----------
    name : str
        Source name.
    edition : str, optional
        Edition label (default: the source's default). For sources whose
        editions are separate survey years (``egdi``), ``edition="all"`` stacks
        every cached edition into one panel.
    **options
        Passed to the parser (e.g. ``indicators=`` for ``hdr``, ``extra=`` for
        ``vdem``).

    Returns
    -------
    DataFrame keyed by ``iso3`` and ``year`` (WGI: plus ``indicator``), with an
    ``edition`` column; see the parser modules for the columns. ``attrs`` holds
    the provenance: ``source``, ``edition``, ``file``, ``sha256``, ``citation``,
    ``licence``.

    Raises
    ------
    NotCachedError
        The edition is not in the cache; the message says how to fetch or
        import it.
    """
    src = _sources.get_source(name)
    parser = get_parser(src.parser)
    if edition == "all":
        if not src.stackable:
            raise ValueError(f"edition='all' is only for sources whose editions are separate "
                             f"survey years; {name} editions revise each other, pick one of "
                             f"{list(src.editions)}")
        eds = [e for e in editions(name).query("cached")["edition"]]
        if not eds:
            raise NotCachedError(f"no edition of {name} is cached; run `polygov data fetch "
                                 f"{name}` or import the files")
        frames = [parser.parse(cached(name, e), edition=e, **options) for e in eds]
        return parser.stack(frames)
    ed = src.default_edition if edition is None else str(edition)
    path = cached(name, ed)
    if path is None:
        if ed not in src.editions and ed not in _load_registry().get(name, {}):
            from ..errors import check_in

            check_in(ed, [*src.editions, *_load_registry().get(name, {})],
                     name=f"{name} edition")
        have = editions(name).query("cached")["edition"].tolist()
        info = src.editions.get(ed)
        how = (f"run `polygov data fetch {name} --edition {ed}`" if info and info.url else
               f"download it from {info.page if info else src.homepage} and run "
               f"`{_import_cmd(name, ed)}`")
        raise NotCachedError(f"{name} edition {ed!r} is not in the cache ({cache_dir()}); {how}."
                             + (f" Cached editions: {have}." if have else ""))
    out = parser.parse(path, edition=ed, **options)
    out.attrs.update({"source": name, "edition": ed, "file": path.name, "sha256": sha256(path),
                      "citation": src.citation, "licence": src.licence})
    return out


def _requirements(names) -> list[tuple[str, list[str] | None]]:
    """Normalise official-data requirements to ``[(name, alternatives or None), ...]``.

    ``names`` is a list of source names (any edition will do), or a mapping from
    source name to a list of editions, *each* required; an entry ``"v14|v14-lite"``
    is met by any of its alternatives; ``None`` means any edition.
    """
    if isinstance(names, str):
        raise TypeError(f"official-data requirements must be a list of source names or a "
                        f"mapping name -> editions, not the string {names!r}; wrap it in a list")
    wanted = dict(names) if isinstance(names, dict) else {n: None for n in names}
    out = []
    for name, eds in wanted.items():
        src = _sources.get_source(name)
        if eds is None:
            out.append((name, None))
            continue
        if isinstance(eds, str):
            raise TypeError(f"editions of {name!r} must be a list (e.g. [{eds!r}]), got the "
                            f"string {eds!r}")
        for req in eds:
            alts = str(req).split("|")
            for e in alts:
                if e not in src.editions and e not in _load_registry().get(name, {}):
                    from ..errors import check_in

                    check_in(e, list(src.editions), name=f"{name} edition")
            out.append((name, alts))
    return out


def missing_official(names, *, include_reference: bool = True) -> list[str]:
    """Return the official-data requirements ``names`` that are not usable offline.

    Parameters
    ----------
    names : list of str, or mapping
        Source names (any edition will do), or ``{name: [edition, ...]}`` where
        every listed edition is required and ``"a|b"`` accepts either (e.g.
        ``{"vdem": ["v14|v14-lite"], "egdi": ["2010", "2012"]}``); the format of a
        notebook's ``requires_official`` metadata.
    include_reference : bool
        Count reference copies (:func:`reference_dir`) as available.

    Returns
    -------
    list of str
        One entry per unmet requirement: ``"egdi 2010"``, ``"vdem v14|v14-lite"``,
        or the bare name when any edition would do. Empty when all are met.
    """
    out = []
    for name, alts in _requirements(names):
        if not any(available(name, e, include_reference=include_reference)
                   for e in (alts or [None])):
            out.append(name if alts is None else f"{name} {'|'.join(alts)}")
    return out


def ensure_official(names, *, root: str | Path | None = None, skip_rest: bool = True) -> bool:
    """Make sure the official sources ``names`` are in the cache; say how to get them if not.

    For notebooks. ``names`` is a list of source names (any edition will do), or
    a mapping from source name to the editions wanted, each of them required,
    ``"a|b"`` accepting either (e.g. ``{"wgi": ["2024"], "vdem": ["v14|v14-lite"]}``;
    see :func:`missing_official`). Requirements not met by the cache are
    registered from the reference copies under ``root`` (default
    :func:`reference_dir`) with :func:`import_reference_copies`.
    If some are still missing, prints them with the fetch/import commands and
    returns ``False``; inside IPython/Jupyter with ``skip_rest=True`` the
    remaining cells of the notebook then run as no-ops, so it ends cleanly.

    Returns
    -------
    bool
        ``True`` when every requirement is usable with :func:`read`.
    """
    base = Path(root) if root is not None else reference_dir()
    reqs = _requirements(names)
    missing = []
    for name, alts in reqs:
        def present(name=name, alts=alts):
            return any(available(name, e, include_reference=False) for e in (alts or [None]))

        if present():
            continue
        if base is not None:
            import_reference_copies(base, names=[name], editions=alts)
        if not present():
            missing.append((name, alts))
    if not missing:
        return True
    print("The official data for this notebook are not on this machine: "
          + ", ".join(n if a is None else f"{n} {'|'.join(a)}" for n, a in missing)
          + ".\nFetch them (needs internet) or register files you downloaded by hand, then "
          "run the notebook again:")
    for name, alts in missing:
        src = _sources.get_source(name)
        info = src.edition_info((alts or [None])[0])
        ed = "" if alts is None else f" --edition {info.edition}"
        if info.url:
            print(f"    polygov data fetch {name}{ed}")
        else:
            print(f"    polygov data import {name} PATH --edition {info.edition}"
                  f"    # download from {info.page or src.homepage}")
    if skip_rest:
        try:
            ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
        except NameError:
            return False
        ip.input_transformers_cleanup.append(lambda lines: [])
        print("The remaining cells are skipped.")
    return False


def import_reference_copies(root: str | Path, *, names: list[str] | None = None,
                            editions: list[str] | None = None) -> pd.DataFrame:
    """Register every reference copy found under ``root`` (e.g. ``../shared/data``).

    For CI and course servers: each edition's ``reference_copy`` path (see
    :mod:`polygov.data.sources`) is imported with :func:`import_file`, exactly
    as ``polygov data import`` would. Editions already cached are skipped;
    ``names`` and ``editions`` restrict the sources and edition labels.

    Returns
    -------
    DataFrame
        ``name``, ``edition``, ``status`` (``"imported"``, ``"cached"``,
        ``"missing"``), ``path``.
    """
    root = Path(root)
    rows = []
    for name, src in _sources.SOURCES.items():
        if names is not None and name not in names:
            continue
        for ed, info in src.editions.items():
            if not info.reference_copy or (editions is not None and ed not in editions):
                continue
            p = root / info.reference_copy
            if not p.is_file():
                status, out = "missing", None
            elif cached(name, ed) is not None:
                status, out = "cached", cached(name, ed)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UnverifiedDataWarning)
                    out = import_file(name, p, edition=ed)
                status = "imported"
            rows.append({"name": name, "edition": ed, "status": status,
                         "path": str(out) if out else None})
    return pd.DataFrame(rows, columns=["name", "edition", "status", "path"])
