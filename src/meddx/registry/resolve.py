"""Registry references (``NAME``, ``NAME:VERSION``) resolved to a registered row and its folder.

Nothing here reads the folder: ``store.get_bundle`` and ``store.resolve_bundle_path`` compare the row
with the folder's ``config.json`` after (``same_bundle``). A caller that reads that file itself (loading a
bundle by name, promoting a version) takes the row from here and passes it to
``bundle.read_bundle_config(registered=)``, so the file is read once and checked as it was read (it was
read twice, once by each).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.core.errors import BundleError


def find_bundle(ref: str) -> Any:
    """The row ``NAME:VERSION`` names, or for ``NAME`` the version promoted to production (what ``meddx
    serve`` serves; after a rollback, the version rolled back to) or, when none was promoted, the latest
    version; a bare name never means a version that was rolled back. A row whose folder is gone:
    ``StaleEntryError``."""
    from meddx.registry.store import StaleEntryError, list_bundles, production_version

    name, _, version = ref.partition(":")
    if not name.strip():  # list_bundles("") lists every bundle: an unset $MODEL must not pick one
        raise BundleError(f"bundle reference {ref!r} has no name; expected NAME, NAME:VERSION or a bundle folder path")
    records = list_bundles(name)
    if version and records:
        versions = [str(r.version) for r in records]
        if version not in versions:
            raise BundleError(f"no registered bundle {ref!r}: {name} has no version {version}; versions: "
                              f"{', '.join(sorted(versions, key=int))}")
        records = [r for r in records if str(r.version) == version]
    elif records:
        production = production_version(name)
        records = [r for r in records if r.version == production] or records
    if not records:
        raise BundleError(_unknown_name(ref, name))
    if not Path(records[0].path).is_dir():
        raise StaleEntryError.of(records[0])
    return records[0]


def _unknown_name(ref: str, name: str) -> str:
    """Why ``ref`` resolves to nothing: the close matches among the registered names (a typo, a
    different case), else the names there are."""
    import difflib

    from meddx.registry.store import list_bundles

    known = sorted({r.name for r in list_bundles()})
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    hint = (f"did you mean {' or '.join(repr(lowered[c]) for c in close)}?" if close
            else f"registered: {', '.join(known[:20]) or '(none)'}{' ...' if len(known) > 20 else ''}")
    return f"no registered bundle {ref!r}; {hint} (see `meddx registry list`, or pass a bundle folder path)"


def resolve_bundle(ref: str | Path) -> tuple[Path, Any]:
    """The bundle folder ``ref`` means, and the registry row it was resolved through (``None`` for a folder
    path): a path as given, or ``NAME[:VERSION]`` (:func:`find_bundle`). A folder that is not a bundle (no
    ``config.json``) but shares its name with a registered bundle (the data folder ``img`` beside the
    bundle ``img``) means the registered bundle."""
    from meddx.registry.store import StaleEntryError, _is_plain_name

    if not str(ref).strip():  # Path("") is the current folder
        raise BundleError("empty bundle reference; expected NAME, NAME:VERSION or a bundle folder path")
    path = Path(ref)
    if path.exists():
        if path.is_dir() and not (path / "config.json").is_file() and _is_plain_name(str(ref)):
            try:
                record = find_bundle(str(ref))
                return Path(record.path), record
            except StaleEntryError:
                raise
            except BundleError:
                pass
        return path, None
    if not _is_plain_name(str(ref)):
        raise BundleError(f"{ref}: no such bundle folder")
    record = find_bundle(str(ref))
    return Path(record.path), record
