"""Read cached official files (:func:`read`) and check a notebook's official-data needs.

:func:`missing_official` and :func:`ensure_official` look only in the cache:
polygov never searches the file system for copies of the publishers' files.
"""

from __future__ import annotations

import pandas as pd

from . import cache as _cache
from .fetch_errors import NotCachedError
from .imports import import_command

__all__ = ["ensure_official", "missing_official", "read"]


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
    from ..errors import check_in
    from .parsers import get_parser

    src = _cache.source(name)
    parser = get_parser(src.parser)
    if isinstance(edition, str) and edition == "all":
        if not src.stackable:
            raise ValueError(f"edition='all' is only for sources whose editions are separate "
                             f"survey years; {name} editions revise each other, pick one of "
                             f"{list(src.editions)}")
        eds = [e for e in _cache.editions(name).query("cached")["edition"]]
        if not eds:
            raise NotCachedError(f"no edition of {name} is cached; run `polygov data fetch "
                                 f"{name}` or import the files")
        frames = [parser.parse(_cache.cached(name, e), edition=e, **options) for e in eds]
        return parser.stack(frames)
    ed = src.default_edition if edition is None else _cache.edition_label(edition)
    path = _cache.cached(name, ed)
    if path is None:
        registered = _cache.load_registry().get(name, {})
        if ed not in src.editions and ed not in registered:
            check_in(ed, [*src.editions, *registered], name=f"{name} edition")
        have = _cache.editions(name).query("cached")["edition"].tolist()
        info = src.editions.get(ed)
        how = (f"run `polygov data fetch {name} --edition {ed}`" if info and info.url else
               f"download it from {info.page if info else src.homepage} and run "
               f"`{import_command(name, ed)}`")
        raise NotCachedError(f"{name} edition {ed!r} is not in the cache "
                             f"({_cache.cache_dir()}); {how}."
                             + (f" Cached editions: {have}." if have else ""))
    out = parser.parse(path, edition=ed, **options)
    out.attrs.update({"source": name, "edition": ed, "file": path.name,
                      "sha256": _cache.sha256(path), "citation": src.citation,
                      "licence": src.licence})
    return out


def _requirements(names) -> list[tuple[str, list[str] | None]]:
    """Normalise official-data requirements to ``[(name, alternatives or None), ...]``.

    ``names`` is a list of source names (any edition will do), or a mapping from
    source name to a list of editions, *each* required; an entry ``"v14|v14-lite"``
    is met by any of its alternatives; ``None`` means any edition.
    """
    from ..errors import check_in

    if isinstance(names, str):
        raise TypeError(f"official-data requirements must be a list of source names or a "
                        f"mapping name -> editions, not the string {names!r}; wrap it in a list")
    if not isinstance(names, (dict, list, tuple, set, frozenset)):
        raise TypeError(f"official-data requirements must be a list of source names or a "
                        f"mapping name -> editions, got {type(names).__name__} {names!r}")
    wanted = dict(names) if isinstance(names, dict) else {n: None for n in names}
    registry = _cache.load_registry()
    out = []
    for name, eds in wanted.items():
        src = _cache.source(name)
        if eds is None:
            out.append((name, None))
            continue
        if isinstance(eds, str):
            raise TypeError(f"editions of {name!r} must be a list (e.g. [{eds!r}]), got the "
                            f"string {eds!r}")
        for req in eds:
            if not isinstance(req, str):
                raise TypeError(f"editions of {name!r} must be strings, got {req!r}")
            alts = [_cache.edition_label(e, name=f"{name} edition") for e in req.split("|")]
            for e in alts:
                if e not in src.editions and e not in registry.get(name, {}):
                    check_in(e, list(src.editions), name=f"{name} edition")
            out.append((name, alts))
    return out


def _label(name: str, alts: list[str] | None) -> str:
    return name if alts is None else f"{name} {'|'.join(alts)}"


def missing_official(names) -> list[str]:
    """Return the official-data requirements ``names`` that the cache does not meet.

    Parameters
    ----------
    names : list of str, or mapping
        Source names (any edition will do), or ``{name: [edition, ...]}`` where
        every listed edition is required and ``"a|b"`` accepts either (e.g.
        ``{"vdem": ["v14|v14-lite"], "egdi": ["2010", "2012"]}``); the format of a
        notebook's ``requires_official`` metadata.

    Returns
    -------
    list of str
        One entry per unmet requirement: ``"egdi 2010"``, ``"vdem v14|v14-lite"``,
        or the bare name when any edition would do. Empty when all are met.
        Only the polygov cache counts (see :func:`polygov.data.cache.available`).
    """
    return [_label(name, alts) for name, alts in _requirements(names)
            if not any(_cache.available(name, e) for e in (alts or [None]))]


def ensure_official(names, *, skip_rest: bool = True) -> bool:
    """Check that the official sources ``names`` are in the cache; say how to get them if not.

    For notebooks. ``names`` is a list of source names (any edition will do), or
    a mapping from source name to the editions wanted, each of them required,
    ``"a|b"`` accepting either (e.g. ``{"wgi": ["2024"], "vdem": ["v14|v14-lite"]}``;
    see :func:`missing_official`). Nothing is registered here: fetch or import
    the files first. If some are missing, prints them with the fetch/import
    commands and returns ``False``; inside IPython/Jupyter with ``skip_rest=True``
    the remaining cells of the notebook then run as no-ops, so it ends cleanly.

    Returns
    -------
    bool
        ``True`` when every requirement is usable with :func:`read`.
    """
    if not isinstance(skip_rest, bool):
        raise TypeError(f"skip_rest must be True or False, got {skip_rest!r}")
    missing = [(name, alts) for name, alts in _requirements(names)
               if not any(_cache.available(name, e) for e in (alts or [None]))]
    if not missing:
        return True
    print("The official data for this notebook are not on this machine: "
          + ", ".join(_label(n, a) for n, a in missing)
          + ".\nFetch them (needs internet) or register files you downloaded by hand, then "
          "run the notebook again:")
    for name, alts in missing:
        src = _cache.source(name)
        info = src.edition_info() if alts is None else src.editions.get(alts[0])
        if info is None:  # a new edition registered earlier whose file has gone
            print(f"    polygov data import {name} PATH --edition {alts[0]} --new-edition")
            continue
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
