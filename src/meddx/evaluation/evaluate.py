"""Run a bundle over a split of a source and compute its metrics (``meddx evaluate``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.files import write_json_atomic, write_text_atomic
from meddx.data.base import ImageSource


@dataclass
class SplitPredictions:
    """Probabilities of one split, with the ids and true labels they belong to."""

    split: str
    ids: list[str]
    labels: np.ndarray
    probs: np.ndarray


def predict_split(predictor: Any, source: ImageSource, split: str, batch_size: int = 128) -> SplitPredictions:
    """Preprocess a split with the bundle's fitted preprocessing and predict it in chunks."""
    data = source.split(split)
    chunks = []
    for start in range(0, len(data), 512):  # bounded memory for large file sources
        images = [source.get_image(split, i) for i in range(start, min(start + 512, len(data)))]
        chunks.append(predictor.predict_arrays(images, batch_size=batch_size))
    probs = np.concatenate(chunks) if chunks else np.zeros((0, len(predictor.label_names)), dtype=np.float32)
    return SplitPredictions(split=split, ids=list(data.ids), labels=np.asarray(data.labels), probs=probs)


def metrics_for(predictor: Any, preds: SplitPredictions) -> dict[str, Any]:
    """Metrics at the bundle's own decision rule (its threshold, chosen on validation)."""
    from meddx.evaluation.metrics import classification_metrics

    metrics = classification_metrics(
        preds.labels, preds.probs, predictor.task, threshold=predictor.threshold, label_names=predictor.label_names
    )
    metrics["split"] = preds.split
    return metrics


def check_compatible(predictor: Any, source: ImageSource) -> None:
    """Refuse a source whose task or labels differ from the bundle's."""
    from meddx.core.errors import DataError

    if source.task != predictor.task or list(source.label_names) != list(predictor.label_names):
        raise DataError(
            f"{source.origin}: task {source.task} with labels {source.label_names} does not match bundle "
            f"{predictor.name!r} ({predictor.task}, labels {predictor.label_names})"
        )


def evaluate_bundle(
    bundle: str | Path, data: str, split: str = "test", out: str | Path | None = None
) -> tuple[dict[str, Any], Path]:
    """Evaluate a bundle (folder or registry name) on ``split`` of ``data``; write ``metrics.json``.

    A validation split carved from train is carved exactly as during training (same fraction
    and seed, read from the bundle), so ``--split val`` means the same samples.
    """
    from meddx.bundle.bundle import load_bundle
    from meddx.data.sources import load_source
    from meddx.registry.store import resolve_bundle_path

    path = resolve_bundle_path(bundle)
    predictor = load_bundle(path)
    training = predictor.config.get("training", {})
    source = load_source(data, val_fraction=training.get("val_fraction", 0.1), seed=training.get("seed", 0),
                         carve_val=split == "val")  # carving hashes every training file: only when asked
    check_compatible(predictor, source)
    preds = predict_split(predictor, source, split)
    metrics = metrics_for(predictor, preds)
    metrics.update(bundle=str(path), data=str(data))
    out_dir = Path(out) if out else path / "evaluations" / f"{source.name}-{split}"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = write_json_atomic(out_dir / "metrics.json", metrics)
    _write_predictions(out_dir / "predictions.csv", preds, predictor.label_names)
    return metrics, target


def _write_predictions(path: Path, preds: SplitPredictions, label_names: list[str]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "label", *[f"p_{n}" for n in label_names]])
    for sid, label, row in zip(preds.ids, preds.labels, preds.probs):
        writer.writerow([sid, json.dumps(np.asarray(label).tolist()), *[f"{v:.6f}" for v in row]])
    write_text_atomic(path, buffer.getvalue())
