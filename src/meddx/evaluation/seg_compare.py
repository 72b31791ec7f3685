"""``meddx compare`` for segmentation bundles: both on the same cases, paired Dice differences.

Per structure and for the per-case mean over structures: each bundle's mean Dice, the mean
difference A - B with a paired bootstrap interval (BCa; whole patients resampled when the
source has patient ids) and the Wilcoxon signed-rank test of the per-case differences, the
paired test segmentation papers report (DeLong and McNemar are for classifiers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError


def paired_dice(rows_a: list[dict], rows_b: list[dict], label_names: list[str], *, groups: np.ndarray | None = None,
                n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Mean Dice of A and B, difference A - B with its interval, and the Wilcoxon p per structure
    and for ``mean_foreground``; ``rows_*`` are ``case_metrics`` rows of the same cases, in order."""
    from meddx.evaluation.bootstrap import bootstrap_ci
    from meddx.evaluation.seg_metrics import case_values

    ids_a, ids_b = [r["id"] for r in rows_a], [r["id"] for r in rows_b]
    if ids_a != ids_b:
        raise DataError("the two evaluations are not of the same cases in the same order; cannot pair them")
    a, b = case_values(rows_a, label_names), case_values(rows_b, label_names)
    columns = {name: (a[:, c], b[:, c]) for c, name in enumerate(label_names[1:])}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a case where no structure is defined: NaN is meant
        columns["mean_foreground"] = (np.nanmean(a, axis=1), np.nanmean(b, axis=1))

    def statistic(idx: np.ndarray) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for name, (x, y) in columns.items():
            d = x[idx] - y[idx]
            d = d[~np.isnan(d)]
            out[name] = float(d.mean()) if len(d) else None
        return out

    intervals = bootstrap_ci(statistic, len(rows_a), groups=groups, n_resamples=n_resamples, level=level,
                             seed=seed) if n_resamples else {}
    result = {}
    for name, (x, y) in columns.items():
        ok = ~(np.isnan(x) | np.isnan(y))
        d = x[ok] - y[ok]
        bounds = (intervals.get(name) or {}).get("bca") or [None, None]
        result[name] = {"n": int(ok.sum()), "a": _mean(x[ok]), "b": _mean(y[ok]), "difference": _mean(d),
                        "ci": None if bounds[0] is None else [float(bounds[0]), float(bounds[1])],
                        "wilcoxon_p": _wilcoxon(d)}
    return result


def compare_segmentation(a: Any, b: Any, paths: list[Path], data: str, split: str, out: str | None, *,
                         n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[dict[str, Any], Path]:
    """Evaluate both segmentation bundles on ``split`` of ``data`` (carved as A was trained) and
    write ``comparison.json`` (default ``BUNDLE_A/comparisons/<B>-<source>-<split>-<hash>``).

    Cases either bundle trained or chose on are refused on ``test`` (a paired test on one
    bundle's training cases favours it) and warned about on ``train``/``val``
    (``seg_seen.check_unseen``; re-saved copies by their decoded voxels, ``seg_seen_voxels``);
    the warnings go to ``comparison.json``."""
    from meddx.core.files import write_json_atomic
    from meddx.evaluation.output_dirs import comparison_dir, comparison_options
    from meddx.evaluation.seg_as_trained import check_seg_compatible, load_seg_as_trained
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split
    from meddx.evaluation.seg_seen import check_unseen
    from meddx.evaluation.seg_seen_voxels import VoxelCheck

    source, warnings = load_seg_as_trained(a, data)
    check_seg_compatible(b, source)
    voxels = VoxelCheck(source, split)  # both bundles' re-saved training cases, matched as the cases are decoded
    warnings = (check_unseen(a, source, split, data, role="bundle A", voxels=voxels)
                + check_unseen(b, source, split, data, role="bundle B", voxels=voxels) + warnings)
    from meddx.evaluation.compare import split_use_warnings  # train/val: fitted or chosen on, not held out

    warnings = split_use_warnings(a, b, data, split) + warnings
    settings = SegEvalSettings(n_resamples=0, progress=False)
    _, rows_a = evaluate_split(a, source, split, settings, seen=voxels)  # B's too when B reads files as A does
    _, rows_b = evaluate_split(b, source, split, settings, seen=voxels)
    warnings = warnings + voxels.warnings()
    ids = source.split(split).patient_ids
    result = {
        "bundle_a": str(paths[0]), "bundle_b": str(paths[1]), "data": str(data), "split": split, "n": len(rows_a),
        "task": "segmentation", "label_names": list(a.label_names),
        "dice": paired_dice(rows_a, rows_b, list(a.label_names), groups=None if ids is None else np.asarray(ids),
                            n_resamples=n_resamples, level=level, seed=seed),
        "note": "difference = A - B of per-case Dice on the same cases, each bundle with its own post-processing; "
                "interval: paired bootstrap (BCa) over patients; p: Wilcoxon signed-rank",
        "warnings": warnings,
    }
    options = comparison_options(n_resamples, level, seed)  # other options: their own folder
    out_dir = Path(out) if out else comparison_dir(paths[0], paths[1], b.name, source.name, data, split, options)
    return result, write_json_atomic(out_dir / "comparison.json", result)


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def _wilcoxon(d: np.ndarray) -> float | None:
    if len(d) == 0:
        return None
    if np.allclose(d, 0.0):
        return 1.0  # no case differs: nothing to test (scipy refuses all-zero differences)
    from scipy.stats import wilcoxon

    return float(wilcoxon(d).pvalue)
