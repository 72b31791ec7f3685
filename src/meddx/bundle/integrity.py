"""Integrity checks of a bundle's files: the weights' data checksum, the format version, and
one-line errors for config fields the model or predictor cannot use. Split from ``bundle.bundle``.

The checksum is SHA-256 of the weights file's tensor data (everything after the safetensors
header), stored in the header's metadata as ``data_sha256``. safetensors itself checks the header
and that the data region has the right length, but not its bytes: a flipped bit or a block of
zeros from a bad copy loads as different weights and silently changes predictions. The checksum
catches damage, not a deliberate edit (whoever can edit the file can recompute it). Weights files
without it (bundles written before it, or re-saved by hand, e.g. in half precision) are not checked.
A text bundle's ``baseline.safetensors`` (the TF-IDF baseline's arrays) carries and is checked by
the same checksum (``with_checksum``); baselines written before it have none and still load.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from meddx.core.errors import BundleError, MeddxError

FORMAT = "meddx-bundle/1"  # what a bundle is written as unless it needs a newer format (``format_for``)
# calibration.temperature a list, one per label (multi-label, stop 44): a meddx that reads format 1 only
# would refuse the list with "must be a number"; format 2 makes it say "upgrade meddx" instead
FORMAT_LABEL_TEMPERATURES = "meddx-bundle/2"
READABLE = (FORMAT, FORMAT_LABEL_TEMPERATURES)  # every format this meddx reads
CHECKSUM_KEY = "data_sha256"


def format_for(config: dict[str, Any]) -> str:
    """The oldest format that describes ``config``: ``FORMAT_LABEL_TEMPERATURES`` for one temperature per
    label, else ``FORMAT``. Only bundles that need the newer format get it, so every bundle an older
    meddx could read (one temperature) stays readable by it."""
    calibration = config.get("calibration")
    per_label = isinstance(calibration, dict) and isinstance(calibration.get("temperature"), list)
    return FORMAT_LABEL_TEMPERATURES if per_label else FORMAT


def _number(found: str) -> int:
    return int(found.rsplit("/", 1)[1])


def weights_bytes(state: dict[str, Any]) -> bytes:
    """The safetensors file of ``state`` with ``{"format", "data_sha256"}`` as header metadata."""
    from safetensors.torch import save

    return with_checksum(save(state))


def with_checksum(plain: bytes, extra: dict[str, str] | None = None) -> bytes:
    """A safetensors file (``plain``, as ``safetensors.torch.save`` or ``safetensors.numpy.save``
    wrote it, without metadata) with ``{"format", "data_sha256"}`` as header metadata: the weights
    and a text bundle's ``baseline.safetensors`` are protected alike, checked by ``check_data_checksum``.

    The metadata is put into the header here because safetensors keeps metadata in a hash map and
    writes two keys in a different order from call to call, and a bundle saved twice from the same
    weights must be the same bytes. The header stays valid safetensors: JSON, padded with spaces so
    the data starts 8-byte aligned. ``extra``: more metadata after those two keys (the text baseline
    records the SHA-256 of its ``baseline.json`` there)."""
    n = int.from_bytes(plain[:8], "little")
    data = plain[8 + n:]
    meta = {"format": FORMAT, CHECKSUM_KEY: hashlib.sha256(data).hexdigest(), **(extra or {})}
    header = json.dumps({"__metadata__": meta, **json.loads(plain[8:8 + n])}, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + data


def check_data_checksum(weights: Path, data: bytes) -> None:
    """Refuse a safetensors file of the bundle (``weights.safetensors``, ``baseline.safetensors``)
    whose tensor data no longer has the SHA-256 recorded in its header (a file that already loaded
    as safetensors, so its header is valid JSON); a file without one is not checked."""
    n = int.from_bytes(data[:8], "little")
    recorded = (json.loads(data[8:8 + n]).get("__metadata__") or {}).get(CHECKSUM_KEY)
    if recorded is None:
        return
    found = hashlib.sha256(data[8 + n:]).hexdigest()
    if found != recorded:
        raise BundleError(f"{weights}: tensor data damaged: its SHA-256 is {found[:16]}..., the header's "
                          f"{CHECKSUM_KEY!r} says {recorded[:16]}...; copy the bundle again from a good source "
                          "(these tensors would give different predictions)")


def format_message(path: Path, found: Any) -> str:
    """Why ``config.json``'s ``format`` is refused, saying when the bundle is newer than this meddx."""
    from meddx import __version__

    where = f"{path / 'config.json'}: field 'format'"
    match = re.fullmatch(r"meddx-bundle/(\d+)", found) if isinstance(found, str) else None
    readable = " or ".join(repr(f) for f in READABLE)
    if match and int(match.group(1)) > max(_number(f) for f in READABLE):
        written = _written_by(path)
        return (f"{where} is {found!r}: the bundle was written by a newer meddx{written}; this meddx "
                f"({__version__}) reads {readable}; upgrade meddx to load it")
    if found is None:
        return f"{where} is missing; expected {readable} (not a meddx bundle, or its config.json was edited)"
    return f"{where} must be {readable}; found {found!r}"


def _written_by(path: Path) -> str:
    """`` (X.Y.Z)`` from the bundle's ``meddx_version`` file, or nothing when it cannot be read."""
    try:
        version = (path / "meddx_version").read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return ""
    return f" (its meddx_version file says {version[:40]!r})" if version else ""


@contextmanager
def blamed(config: Path, what: str) -> Iterator[None]:
    """Turn an error raised while rebuilding a bundle from ``config`` (a model that does not exist,
    an argument it does not take, a value of the wrong type deep in a preprocessor) into one
    ``BundleError`` line naming the file and ``what`` was read; the original stays chained for ``--debug``."""
    try:
        yield
    except BundleError:
        raise
    except MeddxError as exc:
        if str(config.parent) in str(exc):  # already names a file of the bundle (tokenizer.json, ...)
            raise
        raise BundleError(f"{config}: cannot rebuild the {what}: {exc}") from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise BundleError(f"{config}: cannot rebuild the {what}: {type(exc).__name__}: {exc}") from exc
