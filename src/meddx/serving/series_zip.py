"""A DICOM series sent to ``POST /v1/models/{name}/predict`` as one ZIP archive.

A CT or MR study is a series of single-slice files; ``meddx predict BUNDLE SERIES_DIR`` reads
such a folder as one volume (``data.dicom.read_dicom_series``). The server takes the same folder
zipped, in two steps:

- :func:`check_zip`, in the request, from the archive's central directory only (nothing is
  decompressed): the entry count, each name (no absolute name, no ``..``, no symbolic link, at
  most ``MAX_DEPTH`` folders deep, no encryption) and the total uncompressed size its headers
  declare, against ``ServeSettings.max_zip_entries`` / ``max_unzipped_mb``.
- :func:`series_folder`, in the inference thread: the entries are extracted into a private
  temporary folder (0700, removed afterwards), each under a neutral name (its rank in name order,
  with its suffix), counting the bytes written against what the headers declared (a zip bomb
  stops there, not when the disk is full). Files are then told apart as the CLI tells them
  (``data.io.detect_kind``), their DICOM headers read without pixels (one series? single-frame
  image slices? the voxel total against ``max_voxels``), and the folder goes to ``read_image``,
  exactly as ``meddx predict`` reads the folder the zip was made from.

``__MACOSX/`` entries, hidden files and folders (names starting with ``.``) and ``DICOMDIR``
are not extracted; other files that are not DICOM are skipped, as in a series folder. Archives
inside the archive are not opened. Messages name files by their rank (``file #7``, the 7th in
name order), never by the client's names or a DICOM header value (names, ids, UIDs).
"""

from __future__ import annotations

import contextlib
import io
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from meddx.serving.problems import Problem

KIND = "dicom-zip"
MAX_DEPTH = 12
"""Folders an entry may sit below the archive's root (exports nest patient/study/series: 3 or 4)."""
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,12}$")
_EXPECTED = "expected a ZIP of one DICOM series (the slice files of one folder)"
_CHUNK = 1 << 20
_DEFER = 16 * 1024  # values longer than this (pixel data) stay in the file until the reader decodes them
_OPEN: dict[str, "Extracted"] = {}  # folder -> its extraction, while the block that made it runs


@dataclass(frozen=True)
class ZipLimits:
    """What an archive may hold: entries, declared and written bytes, and voxels of the series."""

    max_entries: int = 4096
    max_bytes: int = 256 * 1024 * 1024
    max_voxels: int = 64_000_000

    @classmethod
    def of(cls, settings: Any) -> "ZipLimits":
        """The limits of a ``ServeSettings``."""
        return cls(int(settings.max_zip_entries), int(settings.max_unzipped_mb * 1024 * 1024),
                   int(settings.max_voxels))


def is_zip(data: bytes) -> bool:
    """A ZIP local file header, or the end record of an empty archive."""
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _skipped(parts: tuple[str, ...]) -> bool:
    """macOS resource forks, hidden files or folders, and the DICOMDIR index: not slices."""
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts) or parts[-1].upper() == "DICOMDIR"


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise Problem(422, "malformed-zip", f"the upload starts like a ZIP archive but its directory cannot be read "
                      f"(truncated or corrupt); {_EXPECTED}") from None


def check_zip(data: bytes, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The archive's file entries to extract (skipped ones left out), checked from its central
    directory before anything is decompressed: 413 for too many entries or too many declared
    bytes, 422 for an unsafe or encrypted entry."""
    with _open(data) as zf:
        infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise Problem(413, "zip-too-large", f"the ZIP has {len(infos):,} entries, over the limit of "
                      f"{limits.max_entries:,} (meddx serve's max_zip_entries); send one series per request")
    kept, total = [], 0
    for k, info in enumerate(infos, 1):
        name = info.filename.replace("\\", "/")
        parts = _parts(info.filename)
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise Problem(422, "unsafe-zip", f"ZIP entry #{k} has an absolute name or a '..' component (it would be "
                          f"written outside the archive's folder); {_EXPECTED}, made with relative names")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Problem(422, "unsafe-zip", f"ZIP entry #{k} is a symbolic link; {_EXPECTED} holding the files "
                          "themselves (zip without --symlinks)")
        if info.flag_bits & 0x1:
            raise Problem(422, "unsafe-zip", f"ZIP entry #{k} is encrypted; send an archive without a password")
        if len(parts) > MAX_DEPTH + 1:
            raise Problem(422, "unsafe-zip", f"ZIP entry #{k} is {len(parts) - 1} folders deep, over the limit of "
                          f"{MAX_DEPTH}; zip the series folder itself")
        if info.is_dir() or not parts or _skipped(parts):
            continue
        total += info.file_size
        kept.append(info)
    if total > limits.max_bytes:
        raise Problem(413, "zip-too-large", f"the ZIP's entries unpack to {total / 1024 / 1024:,.1f} MB, over the "
                      f"limit of {limits.max_bytes / 1024 / 1024:g} MB (meddx serve's max_unzipped_mb); send one "
                      "series, or downsample it")
    return kept


def _parts(filename: str) -> tuple[str, ...]:
    """An entry's path components (``\\`` as ``/``; empty and ``.`` ones dropped)."""
    return tuple(p for p in PurePosixPath(filename.replace("\\", "/")).parts if p not in ("", "."))


@dataclass
class Extracted:
    """The extracted folder, the neutral name of each file with its rank (1-based, name order), and
    the DICOM files' datasets as the checks parsed them (pixel data deferred), which the series
    reader takes instead of parsing each file again."""

    folder: Path
    names: dict[str, int]
    headers: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def series_folder(data: bytes, limits: ZipLimits) -> Iterator[Extracted]:
    """The archive's series as a private folder for the block's duration, checked (see the module)."""
    from meddx.serving.cancel import check  # a request that timed out stops between files (serving.cancel)

    kept = check_zip(data, limits)
    order = sorted(range(len(kept)), key=lambda i: (PurePosixPath(kept[i].filename).name, kept[i].filename))
    width = max(5, len(str(len(kept))))
    with tempfile.TemporaryDirectory(prefix="meddx-upload-") as tmp, _open(data) as zf:
        folder = Path(tmp)
        names: dict[str, int] = {}
        parents: dict[str, str] = {}  # neutral name -> the entry's folder in the archive ("" at its top)
        budget = sum(info.file_size for info in kept)
        for rank, i in enumerate(order, 1):
            check()
            info = kept[i]
            suffix = _suffix(PurePosixPath(info.filename).name)
            target = folder / f"{rank:0{width}d}{suffix}"
            budget = _extract(zf, info, target, budget, rank)
            names[target.name] = rank
            parents[target.name] = "/".join(_parts(info.filename)[:-1])
        headers = _check_series(folder, names, limits, parents)
        check()
        extracted = _OPEN[str(folder)] = Extracted(folder, names, headers)
        try:
            yield extracted
        finally:
            _OPEN.pop(str(folder), None)


def extracted_at(path: str) -> Extracted | None:
    """The open extraction whose folder is ``path`` (for its reader's messages), else ``None``."""
    return _OPEN.get(str(path))


def _suffix(name: str) -> str:
    """The entry's type suffix (``.dcm``, a UID's ``.1``), lower case, when it is a plain one."""
    from meddx.data.io import image_suffix

    suffix = image_suffix(name)
    return suffix if suffix == ".nii.gz" or _SUFFIX.match(suffix) else ""


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, rank: int) -> int:
    """Write one entry, counting bytes against its declared size and the archive's remaining budget."""
    written = 0
    try:
        with zf.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size or written > budget:
                    raise Problem(422, "malformed-zip", f"file #{rank} of the ZIP unpacks to more bytes than its "
                                  "header declares; the archive is corrupt or crafted")
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        what = "is compressed with a method this server cannot unpack" if isinstance(exc, NotImplementedError) \
            else "cannot be unpacked (corrupt data or a bad CRC)"
        raise Problem(422, "malformed-zip", f"file #{rank} of the ZIP {what}; {_EXPECTED}, zipped with "
                      "deflate or stored") from None
    return budget - written


def _check_series(folder: Path, names: dict[str, int], limits: ZipLimits,
                  parents: dict[str, str] | None = None) -> dict[str, Any]:
    """What the folder holds, from file signatures and DICOM headers (no pixel data): 415 without
    DICOM images, 422 for several series (or slices in several of the archive's folders that the
    headers cannot show to be one series) or multi-frame files, 413 over the voxel limit. Returns
    each DICOM file's dataset by name, for the series reader (``read_image(headers=...)``)."""
    from meddx.data.io import detect_kind

    kinds: dict[str, list[str]] = {}
    for name in sorted(names):
        path = folder / name
        kind = detect_kind(path) or ("zip" if is_zip(_head(path)) else "other")
        kinds.setdefault(kind, []).append(name)
    dicom = kinds.get("dicom", [])
    if not dicom:
        raise Problem(415, "unsupported-media-type", f"the ZIP holds no DICOM files (found {_found(kinds)}); "
                      f"{_EXPECTED}; send a single image file itself, not zipped (archives inside are not opened)")
    from meddx.serving.cancel import check

    datasets: dict[str, Any] = {}
    for name in dicom:
        check()  # a request that timed out stops between files
        datasets[name] = _dataset(folder / name, names[name])
    headers = [(name, _tags(datasets[name], names[name])) for name in dicom]
    images = [(name, h) for name, h in headers if h["image"]]
    if not images:
        modalities = sorted({str(h["modality"]) for _, h in headers})
        raise Problem(422, "no-dicom-images", f"the ZIP holds {len(headers)} DICOM object(s) but no image slices "
                      f"(modality {', '.join(modalities)}: structure sets, segmentations or reports); {_EXPECTED}")
    _check_one_series(images, parents or {})
    multi = [(name, h) for name, h in images if h["frames"] > 1]
    if multi:
        name, h = multi[0]
        raise Problem(422, "multi-frame-in-zip", f"file #{names[name]} of the ZIP is a multi-frame DICOM "
                      f"({h['frames']} frames: a volume of its own); send that file itself as the upload, not zipped, "
                      "or a ZIP of single-frame slices")
    voxels = sum(h["rows"] * h["cols"] * h["samples"] for _, h in images)
    if voxels > limits.max_voxels:
        raise Problem(413, "image-too-large", f"the series is {len(images)} slices, {voxels:,} values, over the "
                      f"limit of {limits.max_voxels:,}; downsample it before sending")
    return datasets


def _check_one_series(images: list[tuple[str, dict[str, Any]]], parents: dict[str, str]) -> None:
    """422 ``several-series`` for image slices of several SeriesInstanceUIDs, and for slices in
    several of the archive's folders when some have no SeriesInstanceUID: ``meddx predict`` reads
    each folder of a study as its own series, so slices in several folders are one volume only when
    their headers say they are one series (an export that splits a long series into folders).
    Folders are named by rank (``folder #2``: the 2nd, in name order, of those holding image
    slices; ``the top level`` for the archive's root), never by name."""
    folders = sorted({parents.get(n, "") for n, _ in images})
    labels = {f: f"folder #{k}" for k, f in enumerate([f for f in folders if f], 1)} | {"": "the top level"}

    def where(members: list[str]) -> str:
        return " and ".join(labels[f] for f in sorted({parents.get(n, "") for n in members}))

    by_series: dict[str, list[str]] = {}
    for name, h in images:
        by_series.setdefault(h["series"], []).append(name)
    groups = sorted(by_series.values(), key=lambda m: (-len(m), sorted(m)[0]))
    placed = f": {'; '.join(f'{len(m)} in {where(m)}' for m in groups[:4])}" if len(folders) > 1 else ""
    if len(by_series) > 1:
        counts = " and ".join(str(len(m)) for m in groups)
        raise Problem(422, "several-series", f"the ZIP holds {len(by_series)} DICOM series ({counts} image slices; "
                      f"told apart by SeriesInstanceUID, values withheld){placed}; {_EXPECTED}: send one series per "
                      "request (zip each series on its own)")
    if len(folders) > 1 and "" in by_series:
        by_folder: dict[str, list[str]] = {}
        for name, _ in images:
            by_folder.setdefault(parents.get(name, ""), []).append(name)
        shown = "; ".join(f"{len(m)} in {where(m)}" for _, m in sorted(by_folder.items())[:4])
        raise Problem(422, "several-series", f"the ZIP's image slices sit in {len(folders)} folders ({shown}) and have "
                      "no SeriesInstanceUID, so their headers cannot show that they are one series (meddx predict "
                      f"reads each folder as a series of its own); {_EXPECTED}: send one series per request (zip "
                      "one folder)")


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(4)


def _found(kinds: dict[str, list[str]]) -> str:
    words = {"pil": "picture (PNG, JPEG, BMP, TIFF)", "nifti": "NIfTI", "zip": "ZIP archive", "other": "other"}
    return ", ".join(f"{len(v)} {words.get(k, k)} file(s)" for k, v in sorted(kinds.items())) or "no files"


def _dataset(path: Path, rank: int) -> Any:
    """The file parsed once, as the series reader parses it (``force=True``) but with values over
    ``_DEFER`` bytes (the pixel data) left in the file until read; 422 naming the file's rank
    when unreadable."""
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, force=True, defer_size=_DEFER)
    except Exception:  # noqa: BLE001 - any unreadable header is one answer, its message withheld (it may quote values)
        raise Problem(422, "malformed-image", f"file #{rank} of the ZIP: its DICOM header cannot be read "
                      "(truncated or corrupt)") from None


def _tags(ds: Any, rank: int) -> dict[str, Any]:
    """The tags the checks need from a parsed file; 422 naming the file's rank when one is malformed."""
    from meddx.data.dicom import is_image_sop

    try:
        return {"image": is_image_sop(ds.get("SOPClassUID")), "modality": ds.get("Modality", "unknown"),
                "series": str(ds.get("SeriesInstanceUID", "")), "frames": int(ds.get("NumberOfFrames", 1) or 1),
                "rows": int(ds.get("Rows", 0) or 0), "cols": int(ds.get("Columns", 0) or 0),
                "samples": int(ds.get("SamplesPerPixel", 1) or 1)}
    except Exception:  # noqa: BLE001 - any unreadable header is one answer, its message withheld (it may quote values)
        raise Problem(422, "malformed-image", f"file #{rank} of the ZIP: its DICOM header cannot be read "
                      "(truncated or corrupt)") from None


def withhold_names(detail: str, extracted: Extracted) -> str:
    """A reader's message about the extracted folder with the private path and neutral file names
    turned into what the client can act on: ``the ZIP`` and ``file #N`` (its rank in name order)."""
    detail = detail.replace(str(extracted.folder) + "/", "").replace(str(extracted.folder), "the ZIP")
    if not extracted.names:
        return detail
    alternatives = "|".join(re.escape(n) for n in sorted(extracted.names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)")
    detail = pattern.sub(lambda m: f"file #{extracted.names[m.group()]}", detail)
    return re.sub(r"SeriesInstanceUID [^)]*", "SeriesInstanceUID values withheld", detail)
