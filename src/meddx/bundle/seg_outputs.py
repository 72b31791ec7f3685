"""The files ``SegPredictor.predict_files(paths, out_dir)`` writes, named before any segmentation.

``<stem>_mask.png|.nii.gz`` and ``<stem>_overlay.png`` have fixed names: a second run into the same
folder replaced the first run's masks without a word. As for explanations (``explain.outputs``),
the names are computed before the work, one already there (an earlier run's) is refused in one line
naming it and the two ways on, unless ``overwrite``, and each file is placed exclusively, so one
that appears while the inputs are segmented is kept too. Other files in the folder are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import MeddxError

FLAG = "--output"


@dataclass(frozen=True)
class SegFiles:
    """The files of one input: its mask (the input's format: PNG for PNG/JPEG/BMP/TIFF, NIfTI for
    the rest) and, with overlays, its overlay PNG."""

    mask: Path
    overlay: Path | None


def mask_suffix(path: str | Path) -> str:
    """``.png`` for a picture file, else ``.nii.gz`` (NIfTI and DICOM), as ``data.masks.write_mask`` writes."""
    from meddx.data.io import detect_kind

    return ".png" if Path(path).is_file() and detect_kind(path) == "pil" else ".nii.gz"


def plan_seg_files(paths: Sequence[Path], stems: Sequence[str], folder: Path, overlays: bool,
                   overwrite: bool) -> list[SegFiles]:
    """Each input's files in ``folder``; ``ConfigError`` (``explain.outputs.refuse_taken``) when one
    is there already and not ``overwrite``, or when ``folder`` cannot be a folder."""
    from meddx.explain.outputs import refuse_taken

    plan = [SegFiles(folder / f"{stem}_mask{mask_suffix(p)}", folder / f"{stem}_overlay.png" if overlays else None)
            for p, stem in zip(paths, stems)]
    refuse_taken(folder, [f for files in plan for f in (files.mask, files.overlay) if f is not None], FLAG, overwrite)
    return plan


def write_seg_files(files: SegFiles, labels: np.ndarray, source: Path, image: np.ndarray,
                    label_names: list[str], overwrite: bool, done: int) -> dict[str, str]:
    """Write one input's mask (in the input's format and geometry) and overlay; never over an
    existing file unless ``overwrite`` (``ConfigError`` naming it; ``done``: files written before)."""
    from meddx.data.masks import write_mask
    from meddx.evaluation.seg_overlays import overlay_png
    from meddx.explain.outputs import appeared, write_through

    row: dict[str, Any] = {}
    try:
        row["mask"] = str(write_through(files.mask, lambda tmp: write_mask(tmp, labels, source), not overwrite))
        if files.overlay is not None:
            row["overlay"] = str(write_through(
                files.overlay, lambda tmp: overlay_png(tmp, image, None, labels, label_names, title=source.name),
                not overwrite))
    except FileExistsError as exc:
        taken = exc.filename2 or exc.filename  # os.link names the link (2nd), open('x') the file
        raise appeared(FLAG, Path(taken or files.mask), done + len(row),
                       during="the inputs were segmented") from None
    return row


def written_before(exc: MeddxError, rows: Sequence[dict[str, Any]], folder: Path) -> MeddxError:
    """``exc`` (an input that failed mid-run) with the masks this run had already written: they stay
    in ``folder``, and the same command run again is refused as "from an earlier run" without them
    being named; the same class and one line, saying that a rerun needs ``--overwrite``."""
    masks = [Path(r["mask"]) for r in rows if "mask" in r]
    if not masks:
        return exc
    overlays = " (and their overlays)" if any("overlay" in r for r in rows) else ""
    return type(exc)(f"{exc}; this run had already written {len(masks)} mask(s){overlays} into {folder}, "
                     f"first {masks[0].name}, which are kept: to run again into that folder pass --overwrite "
                     "(or choose another --output folder)")
