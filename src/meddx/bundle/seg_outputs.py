"""The files ``SegPredictor.predict_files(paths, out_dir)`` writes, named before any segmentation.

``<stem>_mask.png|.nii.gz`` and ``<stem>_overlay.png`` have fixed names: a second run into the same
folder replaced the first run's masks without a word. As for explanations (``explain.outputs``),
the names are computed before the work, one already there (an earlier run's) is refused in one line
naming it and the two ways on, unless ``overwrite``, and each file is placed exclusively, so one
that appears while the inputs are segmented is kept too. Other files in the folder are never touched.

``masks.json`` lists the run's inputs, their files and measurements. With ``overwrite``, the masks and
overlays an earlier, longer run listed there that this run does not write again are removed, so the
folder holds what its ``masks.json`` describes (as ``explain.outputs`` prunes explanations). The
order keeps every moment safe: the new masks first, then ``masks.json`` (atomic), then the removals;
a run that stops before the end removes nothing. Only names the earlier ``masks.json`` lists, of
the forms this module writes (``<stem>_mask.png|.nii.gz``, ``<stem>_overlay.png``), are candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import MeddxError

FLAG = "--output"
SUMMARY = "masks.json"


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
    refuse_taken(folder, [*planned_names(plan), folder / SUMMARY], FLAG, overwrite)
    return plan


def planned_names(plan: Sequence[SegFiles]) -> list[Path]:
    """Every mask and overlay of ``plan``, in input order."""
    return [f for files in plan for f in (files.mask, files.overlay) if f is not None]


def earlier_seg_files(folder: Path) -> list[Path]:
    """The masks and overlays an earlier run listed in ``folder/masks.json`` that are still there;
    none when there is no summary or it is not one of meddx's (a name with a folder in it, or not
    of the form ``<stem>_mask.png|.nii.gz`` / ``<stem>_overlay.png``, is never a candidate)."""
    import json

    try:
        entries = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(entries, list):
        return []
    names = [e.get(k) for e in entries if isinstance(e, dict) for k in ("mask", "overlay")]
    ok = [n for n in names if isinstance(n, str) and Path(n).name == n and n not in (".", "..")
          and n.endswith(("_mask.png", "_mask.nii.gz", "_overlay.png"))]
    return [folder / n for n in dict.fromkeys(ok) if (folder / n).is_file()]


def stale_seg_files(folder: Path, plan: Sequence[SegFiles], overwrite: bool) -> list[Path]:
    """With ``overwrite``, the earlier run's files (:func:`earlier_seg_files`) this run does not
    write again; read before the run, as its ``masks.json`` is replaced at the end."""
    if not overwrite:
        return []
    from meddx.explain.outputs import stale_files

    return stale_files(folder, planned_names(plan), earlier_seg_files)


def finish_seg_run(folder: Path, rows: Sequence[dict[str, Any]], stale: Sequence[Path], overwrite: bool) -> Path:
    """Write ``masks.json`` (each input's source, mask and overlay names and measurements), exclusively
    unless ``overwrite``, then remove ``stale`` and say so on stderr (a log warning): removals come
    last, so a run that stops before never leaves files gone that its summary does not replace."""
    import logging

    from meddx.explain.outputs import finish_run, removed_line

    listed = [{**r, **{k: Path(r[k]).name for k in ("mask", "overlay") if k in r}} for r in rows]
    path = finish_run(folder, listed, stale, FLAG, overwrite, sum(k in r for r in rows for k in ("mask", "overlay")),
                      name=SUMMARY, during="the inputs were segmented")
    if stale:
        logging.getLogger(__name__).warning(removed_line(stale, folder, SUMMARY))
    return path


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
