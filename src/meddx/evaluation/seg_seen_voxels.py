"""Training cases re-saved under another file or id, found by their decoded voxels as they are scored.

File digests (``seg_seen``) miss a training case re-saved (another NIfTI header or compression, a
DICOM series exported again, a PNG re-encoded) and given a new case id: other bytes, other id,
scored as held out. A bundle trained since voxel digests were recorded (``training.cases``
``voxel_sha256``, ``training.seg_voxels``) is matched here on the decoded image of each case the
evaluation reads anyway (``seg_evaluate.evaluate_split`` calls :meth:`VoxelCheck.see` before
predicting the case): no second decode. A match is handled as a file digest match is: refused with
a ``LeakageError`` on any split but train/val (at the first match, before its prediction), warned
about on train/val. Messages name the case ids on both sides, never image content. Bundles without
voxel digests cost nothing here (no hashing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meddx.core.errors import LeakageError
from meddx.evaluation.seg_seen import SEEN_SPLITS


@dataclass
class _Bundle:
    """One bundle's voxel digests (digest -> (its split, its case id)) and what is known of it."""

    name: str
    role: str
    reading: tuple[Any, ...]
    known: dict[str, tuple[str, str]]
    skip: set[str]  # evaluated ids already matched by file digest (refused or warned about by seg_seen)
    checked: set[str] = field(default_factory=set)
    matches: list[tuple[str, str, str]] = field(default_factory=list)  # (evaluated id, split, training id)


class VoxelCheck:
    """Matches the cases of ``split`` of ``source`` an evaluation decodes against the voxel digests
    of the bundles :meth:`add` registers (``seg_seen.check_unseen(..., voxels=...)`` does)."""

    def __init__(self, source: Any, split: str) -> None:
        self.origin = str(getattr(source, "origin", source))
        self.split = split
        self.n = len(source.split(split))
        self._bundles: list[_Bundle] = []

    def add(self, predictor: Any, role: str, recorded: dict[str, dict[str, Any]] | None, skip: set[str]) -> None:
        """Register ``predictor`` when its recorded train/val cases carry voxel digests."""
        known: dict[str, tuple[str, str]] = {}
        for name in SEEN_SPLITS:
            cases = (recorded or {}).get(name) or {}
            digests, ids = cases.get("voxel_sha256"), cases.get("ids") or []
            if isinstance(digests, list) and len(digests) == len(ids):
                known.update({d: (name, cid) for d, cid in zip(digests, ids)})
        if known:
            self._bundles.append(_Bundle(predictor.name, role, reading_key(predictor), known, set(skip)))

    def see(self, case: Any, reader: Any) -> None:
        """Match one decoded case (read as ``reader``, the bundle whose pass decodes it) against every
        registered bundle that reads files alike and has not checked this case yet."""
        wanted = [b for b in self._bundles if case.id not in b.checked and case.id not in b.skip]
        key = reading_key(reader)
        wanted = [b for b in wanted if b.reading == key]
        if not wanted:
            return
        from meddx.training.seg_voxels import voxel_digest

        digest = voxel_digest(case.image)
        for bundle in wanted:
            bundle.checked.add(case.id)
            hit = bundle.known.get(digest)
            if hit is None:
                continue
            bundle.matches.append((case.id, *hit))
            if self.split not in SEEN_SPLITS:
                raise LeakageError(
                    f"{self.split} case {case.id!r} of {self.origin} has the same decoded voxels as {hit[0]} case "
                    f"{hit[1]!r} of {bundle.role} {bundle.name!r} ({_how(case.id, hit[1])}): a score on it is not "
                    "a held-out result; remove such copies from the cases scored (or ask for --split train / "
                    "--split val to score them knowingly)")

    def warnings(self) -> list[str]:
        """One warning per bundle with matches (train/val splits), naming up to three pairs of ids."""
        out = []
        for b in self._bundles:
            if not b.matches:
                continue
            pairs = ", ".join(f"{cid} = {s} case {tid}" for cid, s, tid in sorted(b.matches)[:3])
            out.append(f"{len(b.matches)} of {self.n} {self.split} cases of {self.origin} have the decoded voxels "
                       f"of training cases of {b.role} {b.name!r} under other image files (e.g. {pairs}): "
                       "these numbers are not held-out results")
        return out


def reading_key(predictor: Any) -> tuple[Any, ...]:
    """What decides the voxels a bundle's reading gives (``data.orientation.reading_for``): the
    orientation, and whether X-ray DICOM goes through its VOI and later presentation steps."""
    from meddx.data.dicom_voi import bundle_reads_presentation, bundle_reads_voi

    config = getattr(predictor, "config", None)
    known = isinstance(config, dict)
    return (getattr(predictor, "orientation", None), bundle_reads_voi(config) if known else True,
            bundle_reads_presentation(config) if known else None)


def _how(evaluated: str, trained: str) -> str:
    return ("the same id, another image file: a re-saved or converted copy" if evaluated == trained
            else "a re-saved or converted copy under another id")
