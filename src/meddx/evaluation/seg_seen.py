"""Whether the cases an evaluation scores were among a segmentation bundle's training data.

A bundle records its train and val cases (``config.json`` ``training.cases``: ids and SHA-256
of each image file, copied from the run's ``data.json``; older bundles: the ids in the run's
``data.json``). The cases about to be scored are matched against them by image content when
the digests are recorded (the same images through another layout, a flat folder or another
manifest, get the same digests), else by case id. A case whose id is a recorded one but whose
file differs (a re-saved or converted copy has other bytes) is warned about on any split.

What happens on a match (``check_unseen``): scoring ``train``/``val`` asks for those cases
knowingly, so a warning says what they are; any other split (``test``) is refused with a
``LeakageError``, since a score on training cases is no test result and a paired comparison
on them is biased towards that bundle. A match by id alone is weaker (another data set may
reuse names like ``case_001``): it is refused only on the bundle's own training source, and
warned about elsewhere.

Bundles that record decoded-voxel digests (``voxel_sha256``) are also matched on each case's
voxels as the evaluation decodes it (``seg_seen_voxels.VoxelCheck``, passed as ``voxels``): a
training case re-saved under a new id and file is then refused or warned about as above.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.core.errors import DataError, LeakageError

SEEN_SPLITS = ("train", "val")


def recorded_cases(predictor: Any) -> dict[str, dict[str, list[str] | None]] | None:
    """``{"train": {"ids", "image_sha256"}, "val": {...}}`` the bundle trained and chose on, or
    None when neither its config nor its run's ``data.json`` lists them."""
    import json

    training = predictor.config.get("training", {})
    if isinstance(training.get("cases"), dict):
        return training["cases"]
    data_json = Path(str(training.get("run_dir") or "")) / "data.json"
    if not training.get("run_dir") or not data_json.is_file():
        return None
    try:
        splits = json.loads(data_json.read_text(encoding="utf-8")).get("splits") or {}
    except (OSError, ValueError):
        return None
    found = {s: {"ids": list(v.get("ids") or []), "image_sha256": v.get("image_sha256"),
                 "voxel_sha256": v.get("voxel_sha256")}
             for s, v in splits.items() if s in SEEN_SPLITS and isinstance(v, dict)}
    return found or None


def training_overlap(predictor: Any, source: Any, split: str) -> dict[str, Any]:
    """Which cases of ``split`` were in the bundle's train or val split.

    Returns ``{"checked", "matched_by": "image content" | "case id" | None, "n", "train": [ids],
    "val": [ids], "same_id": [ids]}`` (ids of the evaluated cases; ``same_id``, when matched by content:
    cases with a recorded train/val id whose image file has another digest)."""
    from meddx.core.files import file_digest

    data = source.split(split)
    recorded = recorded_cases(predictor)
    result: dict[str, Any] = {"checked": recorded is not None, "matched_by": None, "n": len(data),
                              "train": [], "val": []}
    if recorded is None:
        return result
    by_content = all(v.get("image_sha256") is not None for v in recorded.values())  # an empty val is still []
    result["matched_by"] = "image content" if by_content else "case id"
    if by_content:
        try:
            keys = [file_digest(p) for p in data.images]
        except OSError as exc:
            raise DataError(f"{source.origin}: cannot read an image of split {split!r} to compare it with the "
                            f"bundle's training cases ({exc})") from None
    else:
        keys = list(data.ids)
    for name, cases in recorded.items():
        known = set((cases.get("image_sha256") if by_content else cases.get("ids")) or [])
        result[name] = [cid for cid, key in zip(data.ids, keys) if key in known]
    if by_content:  # same case ids, other file bytes: perhaps re-saved or converted copies of training cases
        ids = {cid for cases in recorded.values() for cid in cases.get("ids") or []}
        matched = {cid for name in SEEN_SPLITS for cid in result.get(name, [])}
        result["same_id"] = [cid for cid in data.ids if cid in ids and cid not in matched]
    return result


def check_unseen(predictor: Any, source: Any, split: str, data: str, *, role: str = "bundle",
                 voxels: Any = None) -> list[str]:
    """Refuse (``LeakageError``) scoring ``split`` when its cases were in the bundle's train/val
    split; returns the warnings the evaluation carries (see the module docstring). ``voxels``: a
    ``seg_seen_voxels.VoxelCheck`` the bundle is registered with, for the evaluation to match
    each case's decoded voxels too (the cases matched here by file are not matched again)."""
    found = training_overlap(predictor, source, split)
    if voxels is not None:
        voxels.add(predictor, role, recorded_cases(predictor) if found["checked"] else None,
                   skip={c for s in SEEN_SPLITS for c in found[s]})
    if not found["checked"]:
        return [f"{role} {predictor.name!r} records no training cases (no data.json in its run folder): whether "
                f"the {split} cases of {source.origin} were trained on is not checked"]
    seen = {c for s in SEEN_SPLITS for c in found[s]}
    warnings = _same_id_warning(found, source, split, role, predictor.name)
    if not seen:
        return warnings
    where = ", ".join(f"{len(found[s])} in its {s} split" for s in SEEN_SPLITS if found[s])
    example = ", ".join(sorted(seen)[:3])
    words = (f"{len(seen)} of {found['n']} {split} cases of {source.origin} were training data of {role} "
             f"{predictor.name!r} ({where}; matched by {found['matched_by']}, e.g. {example})")
    same_source = _same_path(data, predictor.config.get("training", {}).get("data"))
    if split not in SEEN_SPLITS and (found["matched_by"] == "image content" or same_source):
        raise LeakageError(f"{words}: a score on them is not a held-out result; evaluate on cases the bundle did "
                           "not train on (or ask for --split train / --split val to score them knowingly)")
    return [f"{words}: these numbers are not held-out results"] + warnings


def _same_id_warning(found: dict[str, Any], source: Any, split: str, role: str, name: str) -> list[str]:
    """A warning for cases whose ids are the bundle's training case ids though their image files
    differ: a copy re-saved or converted (another compression, ``.nii`` for ``.nii.gz``) has other
    bytes but the same voxels, and would otherwise be scored as held out without a word. Only a
    warning: another data set may reuse names like ``case_001``."""
    same = found.get("same_id") or []
    if not same:
        return []
    return [f"{len(same)} of {found['n']} {split} cases of {source.origin} have the case ids of training cases of "
            f"{role} {name!r} but other image files (e.g. {', '.join(sorted(same)[:3])}): if they are re-saved or "
            "converted copies of them, these numbers are not held-out results"]


def _same_path(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(str(a)).expanduser().resolve() == Path(str(b)).expanduser().resolve()
    except OSError:
        return False
