"""A bundle never holds a pickle: loading one could run code (``torch.load`` without
``weights_only``). ``read_bundle_config`` refuses a folder with one before anything is read."""

from __future__ import annotations

import json
from pathlib import Path

from meddx.core.errors import BundleError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin")


def refuse_pickles(path: Path) -> None:
    """Refuse a bundle folder holding any pickle: by suffix, by the pickle protocol 2-5 opening
    bytes, or a zip (``torch.save`` format) with a ``data.pkl`` inside. A safetensors file whose
    8-byte header length happens to start with those bytes is recognised by its JSON header."""
    import zipfile

    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        with open(f, "rb") as fh:
            head = fh.read(16)
        pickled = f.name.lower().endswith(PICKLE_SUFFIXES)
        if not pickled and head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            pickled = not _is_safetensors(f, head)
        if not pickled and head[:4] == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(f) as zf:
                    pickled = any(n == "data.pkl" or n.endswith("/data.pkl") for n in zf.namelist())
            except (zipfile.BadZipFile, OSError):
                pickled = False
        if pickled:
            raise BundleError(f"{f}: bundles never hold pickles (loading one could run code); remove the file, "
                              "or re-save the model with safetensors (meddx train writes weights.safetensors)")


def _is_safetensors(f: Path, head: bytes) -> bool:
    n = int.from_bytes(head[:8], "little")
    if head[8:9] != b"{" or not 2 <= n <= min(f.stat().st_size - 8, 100_000_000):
        return False
    with open(f, "rb") as fh:
        fh.seek(8)
        try:
            return isinstance(json.loads(fh.read(n)), dict)
        except ValueError:
            return False
