"""Register files downloaded by hand into the cache (:func:`import_file`).

A file is identified by its sha256: a file matching a pinned edition is that
edition; a file matching none needs an explicit edition label (a known edition
without a pinned checksum is then recorded on first use, with
:class:`UnverifiedDataWarning`), or ``new_edition=True`` for a newer release
(:class:`NewEditionWarning`). A file is never stored under a label it was not
shown to be: without a label and without a checksum match, the import is
refused. Every file that no pinned checksum vouches for is parsed before it is
registered.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from ..errors import PolygovWarning
from . import cache as _cache
from . import sources as _sources
from .fetch_errors import ChecksumError, NewEditionWarning, UnverifiedDataWarning

__all__ = ["import_command", "import_file", "import_reference_copies", "validate_file"]


def import_command(name: str, edition: str, filename: str = "PATH") -> str:
    """The ``polygov data import`` command registering ``filename`` as ``name``/``edition``."""
    return f"polygov data import {name} {filename} --edition {edition}"


def _check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def _check_path(path: object, title: str) -> Path:
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(f"path must be the path of the downloaded {title} file (str or "
                        f"os.PathLike), got {type(path).__name__} {path!r}")
    p = Path(path).expanduser()
    if p.is_dir():
        raise FileNotFoundError(f"path {p} is a folder; give the path of the downloaded {title} "
                                "file itself")
    if not p.is_file():
        raise FileNotFoundError(f"no file at {p}; give the path of the downloaded {title} file")
    return p


def validate_file(src: _sources.Source, path: Path | str, edition: str, shown: str) -> None:
    """Parse ``path`` as ``edition`` of ``src``; a failure raises ParseError naming ``shown``.

    A low-level reading error of a malformed file (``csv.Error``, a
    ``UnicodeDecodeError``) counts as "does not parse" too.
    """
    import csv

    from .parsers import ParseError, get_parser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PolygovWarning)
            get_parser(src.parser).parse(path, edition=edition)
    except (ParseError, csv.Error, UnicodeError) as exc:
        what = "" if isinstance(exc, ParseError) else f"{Path(path).name}: unreadable ({exc})"
        msg = (str(exc) if not what else what).replace(str(path), shown)
        msg = msg.replace(Path(path).name, shown)
        raise ParseError(f"not registered: {msg}") from exc


def import_file(name: str, path: str | Path, *, edition: str | None = None,
                new_edition: bool = False, validate: bool = True) -> Path:
    """Register a file downloaded by hand and return its path in the cache.

    Parameters
    ----------
    name : str
        Source name (see :data:`polygov.data.sources.SOURCES`).
    path : str or os.PathLike
        The downloaded file.
    edition : str, optional
        Edition the file is. By default the edition whose pinned (or earlier
        recorded) sha256 equals the file's; when there is none the import is
        refused, and the error names the known editions without a pinned
        checksum (and the one the file parses as), so that you can pass it.
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
    then it keeps its own name, so the parser reads it by its type. A failed
    import leaves the cache as it was (only folders inside the cache are ever
    removed).

    Raises
    ------
    TypeError
        ``name``, ``path`` or ``edition`` has the wrong type, or a flag is not a bool.
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``edition`` is not a valid label (see
        :func:`polygov.data.cache.edition_label`).
    ChecksumError
        The checksum differs from the pinned (or previously registered) one,
        or matches no edition and no ``edition`` was given.
    ParseError
        ``validate=True`` and the file cannot be parsed as that edition.
        Nothing is copied or registered in any of these cases.
    """
    src = _cache.source(name)
    path = _check_path(path, src.title)
    _check_bool(new_edition, "new_edition")
    _check_bool(validate, "validate")
    label = None if edition is None else _cache.edition_label(edition)
    digest = _cache.sha256(path)
    reg = _cache.load_registry().get(name, {})
    if new_edition:
        if label is None:
            raise ValueError("new_edition=True needs edition='<label>' naming the new edition, "
                             "e.g. edition='2025'")
        ed = label
        if ed in src.editions:
            raise ValueError(f"{name} edition {ed!r} is pinned (sha256 "
                             f"{src.editions[ed].sha256 or 'recorded on first use'}); choose a "
                             "new label for a new edition, e.g. "
                             f"{ed + '-' + digest[:8]!r}")
        if ed in reg and reg[ed]["sha256"] != digest:
            raise ChecksumError(f"{name} edition {ed!r} is already registered with another file "
                                f"(sha256 {reg[ed]['sha256']}); choose another label")
        filename, pinned, recorded = path.name, None, None
    else:
        if label is None:
            match = ([e for e, i in src.editions.items() if i.sha256 == digest]
                     or [e for e in src.editions if reg.get(e, {}).get("sha256") == digest])
            if not match:
                raise ChecksumError(_no_match_message(src, path, digest))
            ed = match[0]
        else:
            ed = label
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
        known_as = [e for e, i in src.editions.items() if i.sha256 == digest and e != ed]
        if known_as:  # never store a known file under another label
            raise ChecksumError(f"{path.name}: sha256 {digest} is the pinned {name} edition "
                                f"{known_as[0]!r}, not edition {ed!r}: pass "
                                f"edition={known_as[0]!r} (--edition {known_as[0]}) or omit it")
        if not pinned and recorded and recorded != digest:
            raise ChecksumError(f"{path.name}: sha256 {digest} differs from the file registered "
                                f"earlier as {name} edition {ed!r} ({recorded}). Register it "
                                "under a new label with new_edition=True")
    if Path(filename).suffix.lower() != path.suffix.lower():
        filename = path.name  # e.g. vdemlite.rda as edition v14: parsers read the suffix
    dest = _copy_in(src, path, name, ed, filename, digest,
                    validate=validate and not (pinned and digest == pinned))

    def conflict(entry):  # another process registered this label meanwhile
        if entry is not None and entry["sha256"] != digest and not pinned:
            raise ChecksumError(f"{name} edition {ed!r} was registered meanwhile with another "
                                f"file (sha256 {entry['sha256']}); choose another label")

    if new_edition:
        warnings.warn(f"registered {path.name} as NEW edition {ed!r} of {name} (sha256 "
                      f"{digest}); it is not pinned by polygov, so check its provenance and "
                      "cite the edition you used", NewEditionWarning, stacklevel=2)
        _cache.record(name, ed, dest, digest, "imported", conflict=conflict, pinned=False,
                      new_edition=True, imported_from=str(path))
    else:
        if not pinned and not recorded:
            warnings.warn(f"{name} edition {ed!r} has no pinned checksum; recorded this file's "
                          f"sha256 {digest} (trust on first use)", UnverifiedDataWarning,
                          stacklevel=2)
        _cache.record(name, ed, dest, digest, "imported", conflict=conflict,
                      pinned=bool(pinned), imported_from=str(path))
    return dest


def _copy_in(src, path: Path, name: str, ed: str, filename: str, digest: str, *,
             validate: bool) -> Path:
    """Copy ``path`` into the edition's folder, verified (and parsed when ``validate``)."""
    target = _cache.edition_dir(name, ed)
    created = [d for d in (target.parent, target) if not d.exists()]
    _cache.make_dir(target)
    dest = target / filename
    # the copy keeps the file's own name in a private folder: parsers read hints (the
    # survey year of a UNU-EGOV file) from the name, and a random name could fake one
    work = Path(tempfile.mkdtemp(dir=target, prefix=".part-"))
    tmp = work / path.name
    try:
        shutil.copyfile(path, tmp)  # a new file: mode 0666 less the umask
        if _cache.sha256(tmp) != digest:
            raise ChecksumError(f"copy of {path} into the cache was corrupted; try again")
        if validate:
            validate_file(src, tmp, ed, path.name)  # the bytes that will be registered
        os.replace(tmp, dest)
    except BaseException:
        if created:  # leave the cache as it was: only folders this call created, inside it
            _cache.remove_tree(created[0])
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _no_match_message(src, path: Path, digest: str) -> str:
    """Error for a file imported without a label whose checksum matches no known edition."""
    default = src.editions[src.default_edition]
    if default.sha256:  # the message users know: checked against the pinned default
        return (f"{path.name}: sha256 {digest} does not match the pinned {src.name} edition "
                f"{default.edition!r} ({default.sha256}); the file is a different release, "
                f"corrupted or truncated.{_unpinned_hint(src.name, path, default.edition)}")
    return (f"{path.name}: sha256 {digest} matches no pinned or registered {src.name} edition, "
            f"so polygov cannot tell which edition it is and will not store it as the default "
            f"edition {src.default_edition!r}.{_unpinned_hint(src.name, path, None)}")


def _unpinned_hint(name: str, path: Path, tried: str | None) -> str:
    """Hint for a file matching no pinned checksum: the known editions without one.

    Each unpinned edition whose file type matches is tried with its parser; the
    ones that parse are named as the likely edition.
    """
    from .parsers import ParseError

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
            validate_file(src, path, e, path.name)
        except (ParseError, ImportError):
            continue
        fits.append(e)
    if len(fits) == 1:
        return (f" It parses as {name} edition {fits[0]!r}, which polygov knows but has no "
                f"pinned checksum for: import it with edition={fits[0]!r}:\n"
                f"    {import_command(name, fits[0], str(path))}\n"
                "(its checksum is then recorded on first use). " + new)
    return (f" {name} editions known to polygov without a pinned checksum: {unpinned}"
            + (f" (the file parses as {fits})" if fits else "")
            + "; if the file is one of them, pass edition=LABEL (--edition LABEL). " + new)


def import_reference_copies(root: str | Path, *, names: list[str] | None = None,
                            editions: list[str] | None = None) -> pd.DataFrame:
    """Register the pinned files found in a folder of reference copies given explicitly.

    For CI and course servers that keep the publishers' files in one folder laid
    out by source (each edition's ``reference_copy`` path, see
    :mod:`polygov.data.sources`). Only files whose sha256 equals a pinned
    checksum are registered; polygov never searches for such a folder, and
    never trusts a file there that no pin vouches for (register those one by
    one with :func:`import_file` and an explicit edition).

    Parameters
    ----------
    root : str or os.PathLike
        The folder (required).
    names, editions : list of str, optional
        Restrict the sources and edition labels.

    Returns
    -------
    DataFrame
        ``name``, ``edition``, ``status`` (``"imported"``, ``"cached"``,
        ``"missing"``, ``"unpinned"``: not registered because polygov pins no
        checksum for it, ``"mismatch"``: not registered because its checksum
        differs from the pin), ``path``.
    """
    if not isinstance(root, (str, os.PathLike)) or isinstance(root, bytes):
        raise TypeError(f"root must be the folder of reference copies (str or os.PathLike), "
                        f"got {type(root).__name__} {root!r}")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"root {root} is not a folder")
    for arg, val in (("names", names), ("editions", editions)):
        if val is not None and (isinstance(val, str) or not all(isinstance(v, str) for v in val)):
            raise TypeError(f"{arg} must be a list of str, got {val!r}")
    if names is not None:
        for n in names:
            _cache.source(n)
    rows = []
    for name, src in _sources.SOURCES.items():
        if names is not None and name not in names:
            continue
        for ed, info in src.editions.items():
            if not info.reference_copy or (editions is not None and ed not in editions):
                continue
            p = root / info.reference_copy
            out = None
            if not p.is_file():
                status = "missing"
            elif (out := _cache.cached(name, ed)) is not None:
                status = "cached"
            elif not info.sha256:
                status = "unpinned"
            elif _cache.sha256(p) != info.sha256:
                status = "mismatch"
            else:
                out = import_file(name, p, edition=ed)
                status = "imported"
            rows.append({"name": name, "edition": ed, "status": status,
                         "path": str(out) if out else None})
    return pd.DataFrame(rows, columns=["name", "edition", "status", "path"])
