"""Errors and warnings of the official-data cache (:mod:`polygov.data.fetch`).

Every class subclasses the built-in exception a caller would naturally catch
(``ValueError`` for bad content, ``OSError`` for the file system and the
network), so ``except ValueError`` keeps working; the command line turns each of
them into a one-line message without a traceback.
"""

from __future__ import annotations

from ..errors import PolygovWarning

__all__ = [
    "CacheError",
    "ChecksumError",
    "DataUnavailableError",
    "NewEditionWarning",
    "NotCachedError",
    "RegistryError",
    "UnverifiedDataWarning",
]


class DataUnavailableError(ConnectionError):
    """A source file could not be downloaded (offline, firewall, no direct URL).

    The message says where to download the file by hand and how to register it.
    Subclass of :class:`ConnectionError` (hence :class:`OSError`).
    """


class NotCachedError(FileNotFoundError):
    """:func:`~polygov.data.fetch.read` was asked for an edition that is neither fetched nor imported."""


class ChecksumError(ValueError):
    """A file's sha256 does not match the pinned or registered edition."""


class RegistryError(ValueError):
    """The cache registry (``registry.json``) is unreadable or has an unexpected shape.

    The message names the file and how to repair it.
    """


class CacheError(OSError):
    """The cache folder cannot be used: ``POLYGOV_CACHE`` names a file, the folder
    cannot be created, or another process holds the registry lock too long.
    """


class UnverifiedDataWarning(PolygovWarning):
    """A file was registered whose checksum polygov could not check (none pinned)."""


class NewEditionWarning(PolygovWarning):
    """A file was registered as a new, unpinned edition of a source."""
