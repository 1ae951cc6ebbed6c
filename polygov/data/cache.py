"""The local cache of official data files: its folder, its registry and what it holds.

Layout, one folder per source and edition::

    <cache>/wgi/2024/wgidataset.xlsx
    <cache>/registry.json          # what was fetched/imported, with its sha256
    <cache>/registry.json.lock     # taken while the registry is rewritten

The cache folder is ``$POLYGOV_CACHE`` or ``platformdirs.user_cache_dir("polygov")``.
A relative ``POLYGOV_CACHE`` is made absolute against the working directory the
first time it is read in a process, so a later ``os.chdir`` does not move it.

Edition labels become folder names, so every entry point checks them with
:func:`edition_label` (letters, digits, ``.``, ``_``, ``-``; no path separator,
no ``..``). Every write of ``registry.json`` happens under a file lock
(:mod:`filelock`) and replaces the file atomically, so concurrent imports never
lose each other's entries. Files are created with the user's umask, as
ordinary files are, so a cache that several users of a course server read stays readable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import sources as _sources
from .fetch_errors import CacheError, ChecksumError, RegistryError

__all__ = [
    "ENV_VAR",
    "LOCK_TIMEOUT",
    "available",
    "cache_dir",
    "cached",
    "edition_dir",
    "edition_label",
    "editions",
    "load_registry",
    "record",
    "registry_path",
    "sha256",
    "update_registry",
]

ENV_VAR = "POLYGOV_CACHE"
#: Seconds to wait for another process's registry lock before giving up.
LOCK_TIMEOUT = 60.0

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
_LABEL_RULE = ("letters, digits, '.', '_' and '-', starting and ending with a letter or digit, "
               "at most 64 characters, no '..' (e.g. '2024', 'v14-lite')")
_SHA = re.compile(r"[0-9a-f]{64}")


# --------------------------------------------------------------------------- arguments

def source(name: object) -> _sources.Source:
    """Return the source called ``name``; ``TypeError``/``KeyError`` name the argument."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a source name (str), got {type(name).__name__} {name!r}; "
                        f"available: {sorted(_sources.SOURCES)}")
    return _sources.get_source(name)


def edition_label(edition: object, *, name: str = "edition") -> str:
    """Check an edition label and return it as a string.

    The one check used by every entry point (fetch, import, read, the registry):
    a label is a folder name in the cache, so it must match
    ``[A-Za-z0-9][A-Za-z0-9._-]*``, end with a letter or digit (a trailing dot
    is dropped by some file systems), have at most 64 characters and contain
    no ``..``.
    An integer (``2024``) is accepted as its decimal string.

    Raises
    ------
    TypeError
        ``edition`` is neither a string nor an integer.
    ValueError
        The label is empty, too long, or has a path separator, ``..`` or
        another character outside the allowed set.
    """
    if isinstance(edition, bool) or not isinstance(edition, (str, int)):
        raise TypeError(f"{name} must be an edition label (str), got {type(edition).__name__} "
                        f"{edition!r}")
    label = str(edition)
    if not _LABEL.fullmatch(label) or ".." in label:
        raise ValueError(f"{name} {label!r} is not a valid edition label: use {_LABEL_RULE}")
    return label


# --------------------------------------------------------------------------- folders

_RESOLVED: dict[str, Path] = {}


def cache_dir() -> Path:
    """Return the cache folder: ``$POLYGOV_CACHE`` or the platform's user cache folder.

    A relative ``POLYGOV_CACHE`` is resolved against the working directory once,
    the first time this process reads it; later calls return the same absolute
    path even after ``os.chdir``. The folder need not exist yet (it is created
    on the first fetch or import).

    Raises
    ------
    CacheError
        The path exists and is not a folder, or cannot be created because one
        of its parents is a file (the message names ``POLYGOV_CACHE``).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if env not in _RESOLVED:
            _RESOLVED[env] = Path(os.path.abspath(os.path.expanduser(env)))
        path = _RESOLVED[env]
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("polygov"))
    if path.exists():
        if not path.is_dir():
            raise CacheError(f"the polygov cache {path} is a file, not a folder; {_where()}")
        return path
    existing = next(p for p in path.parents if p.exists())  # the root always exists
    if not existing.is_dir():
        raise CacheError(f"the polygov cache folder {path} cannot be created: {existing} is a "
                         f"file; {_where()}")
    return path


def _where() -> str:
    env = os.environ.get(ENV_VAR)
    if env:
        return f"it comes from the environment variable {ENV_VAR}={env!r}: point it at a folder"
    return f"set the environment variable {ENV_VAR} to a folder you can write to"


def make_dir(path: Path) -> Path:
    """Create ``path`` (a folder inside the cache) and its parents; errors name the cache."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"cannot create the polygov cache folder {path} ({exc.strerror or exc}); "
                         f"{_where()}") from exc
    return path


def inside_cache(path: Path) -> bool:
    """Is ``path`` strictly inside the cache folder (symbolic links resolved)?"""
    root = cache_dir().resolve()
    p = Path(path).resolve()
    return p != root and p.is_relative_to(root)


def edition_dir(name: str, edition: str) -> Path:
    """Folder of ``name``/``edition`` in the cache (the label is checked)."""
    folder = cache_dir() / name / edition_label(edition)
    if not inside_cache(folder):  # a valid label cannot leave it; a symbolic link can
        raise CacheError(f"{folder} leads outside the polygov cache {cache_dir()} (a symbolic "
                         f"link?); polygov reads and writes only inside the cache. Remove it "
                         f"and fetch or import {name} edition {edition} again")
    return folder


def remove_empty_dirs(folder: Path) -> None:
    """Remove ``folder`` and its parents while they are empty and inside the cache."""
    folder = Path(folder)
    while inside_cache(folder):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` with its contents, only if it is inside the cache."""
    import shutil

    if inside_cache(folder):
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- files

def make_temp(folder: Path, *, prefix: str = ".", suffix: str = ".tmp") -> str:
    """Create an empty new file in ``folder`` with the mode of an ordinary file.

    Unlike :func:`tempfile.mkstemp` (always 0600), the file is opened with mode
    0666 and the kernel applies the user's umask, as for any ordinary file; the
    process umask is never changed (changing it is not thread-safe).
    """
    import secrets

    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(f"could not create a temporary file in {folder}")  # pragma: no cover


def user_mode(folder: Path) -> int:
    """Permission bits a new ordinary file gets in ``folder`` (``0o666`` less the umask)."""
    probe = make_temp(folder, suffix=".probe")
    try:
        return os.stat(probe).st_mode & 0o777
    finally:
        os.unlink(probe)


def set_user_mode(path: str | Path) -> None:
    """Give ``path`` the mode of an ordinary new file (downloads arrive as 0600 temp files)."""
    os.chmod(path, user_mode(Path(path).parent))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    tmp = make_temp(path.parent, prefix=path.name + ".")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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


# --------------------------------------------------------------------------- registry

def registry_path() -> Path:
    """Path of ``registry.json`` in the cache."""
    return cache_dir() / "registry.json"


def _repair(path: Path) -> str:
    return (f"To repair it, delete {path} (the cached files stay where they are) and register "
            "them again with `polygov data import NAME PATH --edition LABEL` or "
            "`polygov data fetch NAME`.")


def _check_registry(reg: object, path: Path) -> dict:
    def bad(why: str):
        raise RegistryError(f"the cache registry {path} is not valid: {why}. {_repair(path)}")

    if not isinstance(reg, dict):
        bad(f"expected a JSON object mapping source names to editions, found a JSON "
            f"{type(reg).__name__}")
    for name, eds in reg.items():
        if not isinstance(eds, dict):
            bad(f"the entry of {name!r} should map edition labels to records, found a JSON "
                f"{type(eds).__name__}")
        for ed, entry in eds.items():
            try:
                edition_label(ed)
            except (TypeError, ValueError):
                bad(f"{name} edition label {ed!r} is not a valid label")
            if not isinstance(entry, dict):
                bad(f"{name} edition {ed!r} should be a record, found a JSON {type(entry).__name__}")
            fn = entry.get("filename")
            if not (isinstance(fn, str) and fn not in ("", ".", "..") and Path(fn).name == fn
                    and "\\" not in fn and "\x00" not in fn):
                bad(f"{name} edition {ed!r} has no valid 'filename' (a plain file name), found "
                    f"{fn!r}")
            sha = entry.get("sha256")
            if not (isinstance(sha, str) and _SHA.fullmatch(sha)):
                bad(f"{name} edition {ed!r} has no valid 'sha256' (64 hex digits), found {sha!r}")
    return reg


def load_registry() -> dict:
    """Return the registry ``{source: {edition: record}}`` (empty when there is none).

    Raises
    ------
    RegistryError
        The file is not valid JSON or does not have the expected shape; the
        message names the file and how to repair it.
    """
    p = registry_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read the cache registry {p} ({exc}). {_repair(p)}") from exc
    try:
        reg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"the cache registry {p} is corrupted (not valid JSON: {exc}). "
                            f"{_repair(p)}") from exc
    return _check_registry(reg, p)


def update_registry(change: Callable[[dict], None]) -> dict:
    """Apply ``change`` to the registry under the cache lock and write it atomically.

    ``change`` receives the current registry (read inside the lock) and edits
    it in place; it may raise to abandon the update. Returns the new registry.
    """
    from filelock import FileLock, Timeout

    p = registry_path()
    make_dir(p.parent)
    lock = FileLock(str(p) + ".lock", timeout=LOCK_TIMEOUT, mode=user_mode(p.parent))
    try:
        with lock:
            reg = load_registry()
            change(reg)
            atomic_write_text(p, json.dumps(reg, indent=2, sort_keys=True))
    except Timeout as exc:
        raise CacheError(f"another process has held the cache lock {lock.lock_file} for more "
                         f"than {LOCK_TIMEOUT:.0f} s; if no polygov process is running, delete "
                         "the lock file") from exc
    return reg


def record(name: str, edition: str, path: Path, digest: str, origin: str, *,
           conflict: Callable[[dict | None], None] | None = None, **extra) -> None:
    """Register ``path`` as ``name``/``edition`` (under the lock).

    ``conflict`` is called inside the lock with the current entry (or ``None``)
    and raises if another process registered a different file meanwhile.
    """
    def change(reg: dict) -> None:
        if conflict is not None:
            conflict(reg.get(name, {}).get(edition))
        reg.setdefault(name, {})[edition] = {
            "filename": path.name, "sha256": digest, "origin": origin,
            "registered": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **extra,
        }

    update_registry(change)


def expected_sha(name: str, edition: str, reg: dict | None = None) -> str | None:
    """The pinned sha256 of ``name``/``edition``, else the one recorded in the registry."""
    src = _sources.get_source(name)
    if edition in src.editions and src.editions[edition].sha256:
        return src.editions[edition].sha256
    reg = load_registry() if reg is None else reg
    return reg.get(name, {}).get(edition, {}).get("sha256")


# --------------------------------------------------------------------------- queries

def cached(name: str, edition: str | None = None) -> Path | None:
    """Return the cached file of ``name``/``edition``, or ``None`` if there is none.

    The file's sha256 is checked against the pinned (or registered) value;
    a changed file raises :class:`ChecksumError`.
    """
    src = source(name)
    ed = src.default_edition if edition is None else edition_label(edition)
    reg = load_registry()
    entry = reg.get(name, {}).get(ed)
    if entry is None:
        return None
    path = edition_dir(name, ed) / entry["filename"]
    if not path.exists():
        return None
    want = expected_sha(name, ed, reg)
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
    src = source(name)
    reg = load_registry().get(name, {})
    rows = []
    for ed in [*src.editions, *[e for e in reg if e not in src.editions]]:
        info = src.editions.get(ed)
        path = edition_dir(name, ed) / reg[ed]["filename"] if ed in reg else None
        rows.append({"edition": ed, "pinned": ed in src.editions,
                     "sha256": (info.sha256 if info and info.sha256 else
                                reg.get(ed, {}).get("sha256")),
                     "url": info.url if info else None,
                     "cached": bool(path and path.exists()),
                     "origin": reg.get(ed, {}).get("origin")})
    return pd.DataFrame(rows, columns=["edition", "pinned", "sha256", "url", "cached", "origin"])


def available(name: str, edition: str | None = None) -> bool:
    """Is ``name`` (a given edition, or any) in the cache and intact, so :func:`read` works offline?

    Only the cache counts: polygov never looks for copies elsewhere on the
    file system. A cached file whose checksum changed counts as unavailable.
    """
    source(name)
    eds = [edition_label(edition)] if edition is not None else list(editions(name)["edition"])
    try:
        return any(cached(name, e) is not None for e in eds)
    except ChecksumError:
        return False
