"""What ``meddx predict`` reads from the paths a user names: files, folders, DICOM series.

A user points ``predict`` at a folder as often as at a file (a day's X-rays, a study export).
For a 2D bundle every image file beneath the folder is one input; for a 3D bundle a folder that
directly holds DICOM files is one series (a volume), and NIfTI files beneath it are volumes too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

from meddx.core.errors import DataError


def expand_image_inputs(paths: Sequence[str | Path], spatial_dims: int) -> list[Path]:
    """The inputs ``paths`` name, in order: files as given; each folder replaced by its image
    files (recursively, sorted; hidden files and folders skipped) or, for a 3D bundle, by its
    DICOM series folders and NIfTI volumes; a glob pattern that names no file itself
    (``"xrays/*.png"``, quoted in a shell or given to the Python API) by what it matches (see
    :func:`expand_globs`).

    DICOM files beneath a folder that hold no image (a CD export's ``DICOMDIR``; structure sets,
    segmentations, reports: :func:`~meddx.data.dicom_checks.dicom_frames`) are not inputs and are
    skipped; for a 3D bundle a multi-frame DICOM file (an enhanced CT/MR volume) is an input of its
    own. A folder holding no image a bundle of ``spatial_dims`` dimensions can read is an error that
    names it; a path that does not exist is passed on for the reader to report.

    A pattern's matches are read as a folder's files are: ``'export/*'`` skips the ``Thumbs.db``,
    ``desktop.ini`` and ``DICOMDIR`` among them, as ``export/`` does, rather than stopping on the
    first as undecodable; a pattern matching no image at all is an error naming it. A file named
    without a pattern is always an input, so a non-image named on purpose is still reported.
    """
    expanded: list[Path] = []
    for raw in paths:
        text = str(raw)
        if _GLOB_CHARS.intersection(text) and not Path(text).exists():
            expanded += _image_matches(text, spatial_dims)
        else:
            expanded += _expand_one(Path(text), spatial_dims)
    return expanded


def _image_matches(pattern: str, spatial_dims: int) -> list[Path]:
    """The inputs a glob ``pattern`` names: its folders expanded, its files kept when they are
    images (:func:`_input_files`); an error naming the pattern when no image is among them."""
    matches = _glob(pattern)
    files = [m for m in matches if not m.is_dir()]
    images = set(_input_files(files))
    out: list[Path] = []
    for m in matches:
        if m.is_dir():
            out += _expand_one(m, spatial_dims)
        elif m in images:
            out.append(m)
    if not out:
        shown = ", ".join(m.name for m in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        raise DataError(f"{pattern}: the pattern matches no image file ({len(files)} other file(s): {shown}); "
                        "expected a pattern matching PNG, JPEG, BMP, TIFF, DICOM or NIfTI files, or folders of them")
    return out


def _input_files(files: Sequence[Path]) -> list[Path]:
    """Of ``files``, those read as inputs, as in a folder: a supported kind, and for DICOM an
    object holding pixels (a ``DICOMDIR`` or a structure set holds none). A link whose target is
    gone stays in, so that the reader names it."""
    kinds, _ = _input_kinds(files)
    return [f for f in files if not f.exists() or kinds[f] is not None]


def _input_kinds(files: Sequence[Path]) -> tuple[dict[Path, Any], dict[Path, int]]:
    """Each file's kind as a folder reads it (``None``: no input, a DICOM object holding no pixels
    among them) and each DICOM file's frame count."""
    from meddx.data.dicom_checks import dicom_frames
    from meddx.data.io import detect_kind

    kinds = {f: detect_kind(f) for f in files}
    frames = {f: dicom_frames(f) for f, k in kinds.items() if k == "dicom"}
    return {f: None if k == "dicom" and frames[f] == 0 else k for f, k in kinds.items()}, frames


def _expand_one(path: Path, spatial_dims: int) -> list[Path]:
    """``path`` itself when it is not a folder, else the inputs beneath it (see
    :func:`expand_image_inputs`)."""
    if not path.is_dir():
        return [path]
    files = _files_beneath(path)
    kinds, frames = _input_kinds(files)
    if spatial_dims == 3:  # a multi-frame DICOM file is a volume of its own, not a slice of its folder's series
        series = sorted({f.parent for f in files if kinds[f] == "dicom" and frames[f] == 1})
        found = series + [f for f in files if kinds[f] == "nifti" or (kinds[f] == "dicom" and frames[f] > 1)]
        what = "DICOM series folders or NIfTI volumes"
    else:
        found = [f for f in files if kinds[f] is not None]
        what = "image files (PNG, JPEG, BMP, TIFF, DICOM, NIfTI)"
    if not found:
        raise DataError(f"{path}: a folder with no {what} in it or below it; name image files, or a folder "
                        "that holds them")
    return sorted(found)


# A path holding one of these is a pattern; ``[`` alone is not (``scan[1].png`` missing would
# otherwise silently stand for an existing ``scan1.png``), though ``[..]`` works inside a pattern.
_GLOB_CHARS = frozenset("*?")


def expand_globs(paths: Sequence[str | Path]) -> list[Path]:
    """``paths`` with each glob pattern that is not itself an existing path (``xrays/*.png``,
    ``study/**/*.dcm``) replaced by the paths it matches, sorted; hidden files are matched only by
    a pattern that starts with a dot, as in a shell. A quoted pattern reaches ``predict`` unexpanded
    (and Windows shells never expand one), and a Python caller passes one as it would to ``ls``: it
    used to be refused as "no such file". A pattern that matches nothing is an error naming it."""
    out: list[Path] = []
    for raw in paths:
        text = str(raw)
        if not _GLOB_CHARS.intersection(text) or Path(text).exists():
            out.append(Path(text))
            continue
        out += _glob(text)
    return out


def _glob(pattern: str) -> list[Path]:
    """What ``pattern`` matches, sorted; an error naming it when that is nothing."""
    import glob

    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise DataError(f"{pattern}: the pattern matches no file; expected a file, a folder or a glob pattern "
                        "that matches at least one of them")
    return [Path(m) for m in matches]


def expand_files(paths: Sequence[str | Path], suffixes: Sequence[str], what: str) -> list[Path]:
    """``paths`` with each folder replaced by the files beneath it whose suffix is one of
    ``suffixes`` (recursively, sorted; hidden files skipped): documents for a text bundle,
    patient files for a series bundle. A folder with none is an error naming it and ``what``."""
    expanded: list[Path] = []
    wanted = {x.lower() for x in suffixes}
    for path in expand_globs(paths):
        if not path.is_dir():
            expanded.append(path)
            continue
        found = [f for f in _files_beneath(path) if f.suffix.lower() in wanted]
        if not found:
            raise DataError(f"{path}: a folder with no {what} ({', '.join(sorted(wanted))}) in it or below it")
        expanded += found
    return expanded


def _files_beneath(folder: Path) -> list[Path]:
    """Every file below ``folder`` (recursively), sorted by path; hidden files and everything in
    hidden folders (``.git``, ``.Trash``, ``.ipynb_checkpoints``) left out, as a file browser does.
    A symbolic link whose target is gone stays in, so that the reader names it rather than the
    prediction quietly having one file fewer."""
    return sorted(f for f in folder.rglob("*")
                  if (f.is_file() or (f.is_symlink() and not f.exists()))
                  and not any(part.startswith(".") for part in f.relative_to(folder).parts))


def unique_stems(paths: Sequence[Path], stem_of: Callable[[Path], str]) -> list[str]:
    """An output name per input: ``stem_of(path)``, prefixed with its parent folders' names where
    two inputs would otherwise share one (``glioma/image1.jpg`` and ``meningioma/image1.jpg``
    become ``glioma_image1`` and ``meningioma_image1``), so that no written mask overwrites another."""
    stems = [stem_of(p) for p in paths]
    for depth in range(1, 8):
        counts = Counter(stems)
        if all(n == 1 for n in counts.values()):
            return stems
        stems = ["_".join([*Path(p).parent.parts[-depth:], stem_of(p)]) if counts[s] > 1 else s
                 for p, s in zip(paths, stems)]
    return stems if len(set(stems)) == len(stems) else [f"{i:04d}_{s}" for i, s in enumerate(stems)]
