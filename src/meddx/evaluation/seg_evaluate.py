"""Segmentation evaluation: predict each case on its original grid, score it, measure it.

One computation serves the end of ``meddx train`` and ``meddx evaluate``: per-case Dice, IoU,
HD95 and ASD in physical units (``seg_metrics``), means with bootstrap CIs clustered by
patient, the clinical measurement with its error in real units (head circumference in mm
against the reference; structure volumes in mL against the reference mask), overlays of the
worst and best cases, a per-case table and an HTML report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.files import write_json_atomic


@dataclass
class SegEvalSettings:
    """Bootstrap and output options of a segmentation evaluation."""

    n_resamples: int = 1000
    level: float = 0.95
    seed: int = 0
    overlays: int = 3  # worst and best cases drawn
    progress: bool = False


def evaluate_split(predictor: Any, source: Any, split: str, settings: SegEvalSettings | None = None,
                   out_dir: Path | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics of ``predictor`` on ``split`` of a segmentation source, and the per-case rows.

    With ``out_dir``, overlays of the worst and best cases are written to ``out_dir/overlays``.
    """
    from meddx.bundle.seg_predictor import soft_region
    from meddx.evaluation.measure import head_circumference_mm, measurement_errors
    from meddx.evaluation.seg_metrics import case_metrics, summarize_cases

    settings = settings or SegEvalSettings()
    data = source.split(split)
    names = predictor.label_names
    rows: list[dict[str, Any]] = []
    hc_pred: list[float | None] = []
    hc_ref: list[float | None] = []
    predicted: dict[str, np.ndarray] = {}
    for i in _indices(len(data), f"evaluating {split}", settings.progress):
        case = source.load_case(split, i)
        if case.mask is None:
            from meddx.core.errors import DataError

            raise DataError(f"{case.image_path}: no reference mask; evaluation needs a labelled split")
        out = predictor.predict_case(case.image, case.spacing)
        predicted[case.id] = out.labels
        row: dict[str, Any] = {"id": case.id, "metrics": case_metrics(out.labels, case.mask, names, case.spacing)}
        if predictor.measurement == "head_circumference":
            size = case.meta.get("pixel_size_mm") or (case.spacing[-1] if case.spacing else None)
            value = head_circumference_mm(soft_region(out, 1), float(size), predictor.hc_method) if size else None
            row["hc_mm"], row["hc_reference_mm"] = value, case.meta.get("reference_hc_mm")
            hc_pred.append(value)
            hc_ref.append(row["hc_reference_mm"])
        rows.append(row)
    groups = np.asarray(data.patient_ids) if data.patient_ids is not None else None
    spaced = _has_spacing(source, data)
    volume_unit = ("mL" if source.spatial_dims == 3 else "mm^2") if spaced else "voxels"
    metrics: dict[str, Any] = {"split": split, "label_names": names, **summarize_cases(
        rows, names, groups=groups, n_resamples=settings.n_resamples, level=settings.level, seed=settings.seed,
        distance_unit="mm" if spaced else "voxels", volume_unit=volume_unit)}
    measurement: dict[str, Any] = {}
    if hc_pred and any(r is not None for r in hc_ref):
        measurement["head_circumference"] = measurement_errors(
            hc_pred, hc_ref, unit="mm", groups=groups, n_resamples=settings.n_resamples, level=settings.level,
            seed=settings.seed)
    elif source.spatial_dims == 3 and spaced:
        for name in names[1:]:
            pred = [r["metrics"][name].get("volume_pred") for r in rows]
            true = [r["metrics"][name].get("volume_true") for r in rows]
            measurement[f"volume_{name}"] = measurement_errors(
                pred, true, unit="mL", groups=groups, n_resamples=settings.n_resamples, level=settings.level,
                seed=settings.seed)
    if measurement:
        metrics["measurement"] = measurement
    if out_dir is not None and settings.overlays > 0 and rows:
        metrics["overlays"] = _overlays(source, split, rows, predicted, names, Path(out_dir) / "overlays",
                                        settings.overlays)
    return metrics, rows


def evaluate_seg_bundle(bundle: str | Path, data: str, split: str = "test", out: str | Path | None = None, *,
                        settings: SegEvalSettings | None = None, report: bool = True) -> tuple[dict[str, Any], Path]:
    """Evaluate a segmentation bundle on ``split`` of ``data``; writes ``metrics.json``,
    ``cases.csv``, overlays and ``report.html`` to ``out`` (default
    ``BUNDLE/evaluations/SOURCE-SPLIT``). Splits carved from train are carved as in training."""
    from meddx.bundle.bundle import load_bundle
    from meddx.data.segmentation import load_seg_source
    from meddx.registry.store import resolve_bundle_path

    path = resolve_bundle_path(bundle)
    predictor = load_bundle(path)
    training = predictor.config.get("training", {})
    source = load_seg_source(data, val_fraction=training.get("val_fraction", 0.1),
                             test_fraction=training.get("test_fraction", 0.2), seed=training.get("seed", 0),
                             label_names=predictor.label_names)
    check_seg_compatible(predictor, source)
    out_dir = Path(out) if out else path / "evaluations" / f"{source.name}-{split}"
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics, rows = evaluate_split(predictor, source, split, settings, out_dir)
    metrics.update(bundle=str(path), data=str(data), notes=source.notes)
    target = write_outputs(out_dir, metrics, rows, predictor.label_names,
                           title=f"{predictor.name} on {source.name} ({split})" if report else None)
    return metrics, target


def write_outputs(out_dir: Path, metrics: dict[str, Any], rows: list[dict[str, Any]], label_names: list[str],
                  title: str | None) -> Path:
    """``metrics.json``, ``cases.csv`` and (with a ``title``) ``report.html`` in ``out_dir``."""
    from meddx.evaluation.seg_metrics import write_case_table

    out_dir.mkdir(parents=True, exist_ok=True)
    target = write_json_atomic(out_dir / "metrics.json", metrics)
    write_case_table(out_dir / "cases.csv", rows, label_names)
    if title:
        from meddx.evaluation.seg_report import write_seg_report

        write_seg_report(out_dir / "report.html", metrics, title=title, overlays=metrics.get("overlays"))
    return target


def check_seg_compatible(predictor: Any, source: Any) -> None:
    """Refuse a source that is not segmentation, or whose classes or dimensions differ."""
    from meddx.core.errors import DataError

    if getattr(source, "task", None) != "segmentation":
        raise DataError(f"{source.origin}: a {source.task} source; bundle {predictor.name!r} segments images")
    if source.num_classes != len(predictor.label_names) or source.spatial_dims != predictor.spatial_dims:
        raise DataError(
            f"{source.origin}: {source.spatial_dims}D masks with classes {source.label_names} do not match bundle "
            f"{predictor.name!r} ({predictor.spatial_dims}D, classes {predictor.label_names})"
        )


def _has_spacing(source: Any, data: Any) -> bool:
    if "pixel_size_mm" in data.meta:
        return True
    return len(data) > 0 and source.load_case(_first_split(source, data), 0).spacing is not None


def _first_split(source: Any, data: Any) -> str:
    return next(name for name, d in source.splits.items() if d is data)


def _overlays(source: Any, split: str, rows: list[dict[str, Any]], predicted: dict[str, np.ndarray],
              names: list[str], folder: Path, k: int) -> dict[str, list[str]]:
    from meddx.evaluation.seg_metrics import worst_and_best
    from meddx.evaluation.seg_overlays import overlay_png

    worst, best = worst_and_best(rows, k=k)
    index = {cid: i for i, cid in enumerate(source.split(split).ids)}
    out: dict[str, list[str]] = {"worst": [], "best": []}
    for kind, ids in (("worst", worst), ("best", best)):
        for cid in ids:
            case = source.load_case(split, index[cid])
            dice = next(r for r in rows if r["id"] == cid)["metrics"]
            mean = np.mean([dice[n]["dice"] for n in names[1:]])
            path = overlay_png(folder / f"{kind}-{cid}.png", case.image, case.mask, predicted[cid], names,
                               title=f"{cid}: mean Dice {mean:.3f}")
            out[kind].append(str(path))
    return out


def _indices(n: int, description: str, enabled: bool) -> Any:
    if not enabled:
        return range(n)
    from rich.progress import track

    return track(range(n), description=description, transient=True)
