"""The model card's "Data" and "Model and training" sections, from the bundle config and the dataset summary;
the epoch and orientation lines are shared with the segmentation card (``bundle.seg_card``).

Split from ``bundle.model_card`` (which re-exports these) to keep each module small.
"""

from __future__ import annotations

from typing import Any

from meddx.bundle.card_checklist import TO_FILL


def _data_section(cfg: dict[str, Any], dataset: dict[str, Any] | None) -> list[str]:
    training = cfg.get("training", {})
    lines = ["## Data", f"- Source: `{training.get('data')}`"]
    if dataset:
        names = dataset["label_names"]
        lines += ["", f"| split | n | patients | {' | '.join(names)} |", "|---|---|---|" + "---|" * len(names)]
        for split, s in dataset["splits"].items():
            patients = "n/a" if s.get("patients") is None else s["patients"]
            lines.append(f"| {split} | {s['n']} | {patients} | " + " | ".join(str(s["classes"].get(n, 0)) for n in names)
                         + " |")
        lines.append("")
        dup = dataset.get("duplicates")
        if dup:
            lines.append(f"- Duplicate check (`meddx data verify`): {dup['exact_groups']} exact and {dup['near_groups']} "
                         f"near-duplicate groups, {dup['cross_split']} samples with a copy on another split, "
                         f"{dup['conflicting_labels']} groups with conflicting labels, "
                         f"{dup['patients_across_splits']} patients on several splits.")
        else:
            lines.append("- Duplicates: not checked (training ran with `verify: false`).")
    lines += [f"- {note}" for note in training.get("source_notes", [])]
    lines += [f"- Dates of collection, setting and eligibility: {TO_FILL}.", ""]
    return lines


def _model_section(cfg: dict[str, Any]) -> list[str]:
    pre, training = cfg["preprocessing"], cfg.get("training", {})
    plan, reasons = training.get("plan") or {}, training.get("plan_reasons") or {}
    lines = [
        "## Model and training",
        f"- Architecture: `{cfg['model']['name']}` with {cfg['model']['args']}; weights in `weights.safetensors`.",
        _input_line(pre),
        # a source mixing 8-bit and other images: why every image is scaled by its own percentiles
        *([f"- Intensity scaling: {reasons['scaling']}."] if reasons.get("scaling") else []),
        *orientation_line(cfg),
        f"- Test-time augmentation: {', '.join(cfg.get('tta') or []) or 'none'}.",
        f"- Seed {training.get('seed')}; validation fraction {training.get('val_fraction')} when carved.",
    ]
    for key in ("epochs", "batch_size", "augment", "lr", "weight_decay", "precision", "class_weights",
                "early_stopping_patience", "checkpoint", "embedding_init", "ensemble", "train_batches"):
        if key in plan and (plan[key] is not None or key != "train_batches"):  # text: a budget under one epoch
            why = f" ({reasons[key]})" if key in reasons else ""
            lines.append(f"- {key}: {plan[key]}{why}")
    lines += epochs_lines(training)
    kept = epoch_note(training.get("kept_epoch") or [])
    lines += [f"- Hyperparameters are meddx defaults or the automatic plan; {kept}. Nothing was tuned on the test split.",
              ""]
    return lines


def epochs_lines(training: dict[str, Any]) -> list[str]:
    """``- epochs run: ...`` for the network, or one line per network of an ensemble
    (``training.networks``), each naming a last epoch the time limit cut; none without a record."""
    plan = training.get("plan") or {}
    networks = [n for n in training.get("networks") or [] if isinstance(n, dict)]
    return [_epochs_line(record, plan, f"network {record.get('network')} of {len(networks)}: " if networks else "")
            for record in networks or ([training] if training.get("epochs_run") is not None else [])]


def _epochs_line(record: dict[str, Any], plan: dict[str, Any], who: str) -> str:
    """The epochs a network ran of those planned, a cut last epoch, and whose weights it kept; ``who``
    names the network of an ensemble (each has its own epochs, ``training.networks``)."""
    planned = record.get("epochs") if who else plan.get("epochs")
    run, at = record.get("epochs_run"), record.get("kept_weights_epoch")
    if run is None:
        return f"- {who}no training record"
    return (f"- {who}epochs run: {run} of {planned if planned is not None else '?'} planned"
            + (" (stopped early)" if isinstance(planned, int) and run < planned else "")
            + _cut_note(record.get("cut_epoch"))
            + (f"; the weights are those after epoch {at + 1} (counted from 1; epoch {at} in the run's "
               "logs and checkpoint names, which count from 0)" if at is not None else ""))


def epoch_note(kept: list[str]) -> str:
    """How the kept epoch was chosen (one entry per trained network), for metrics and model cards."""
    if all(k == "best" for k in kept):  # also bundles written before the choice existed (no record)
        return "the best epoch on val was kept"
    if all(k == "final" for k in kept):
        return "the final epoch of the schedule was kept (not chosen on val)"
    return "each network kept its final epoch, or its best on val where training stopped early"


def _cut_note(cut: Any) -> str:
    """How far the time limit let an epoch run (``training.cut_epoch``), or ""."""
    from meddx.training.run import cut_epoch_text

    text = cut_epoch_text(cut)
    return f" ({text}; the best validation epoch was kept)" if text else ""


def orientation_line(cfg: dict[str, Any]) -> list[str]:
    """How an image bundle reads volumes (``config["orientation"]``, see ``data.orientation``); a reader
    must know it, because a volume seen in another voxel order is a mirror image to the network.
    Nothing for documents, tables and series (they have no voxels)."""
    if cfg.get("modality") in ("text", "series", "tabular"):
        return []
    code = cfg.get("orientation")
    if not code:
        return ["- Orientation: volumes are read in each file's stored voxel order (this bundle has no "
                "`orientation` in config.json: it was written before meddx turned volumes to RAS+), so a volume "
                "stored in another orientation (LPS, permuted axes) is seen mirrored or transposed."]
    return [f"- Orientation: 3D volumes (NIfTI, DICOM series) are read turned to {code}+ (`orientation: {code}` in "
            "config.json; nibabel's closest canonical orientation: axis flips and permutations only, no resampling), "
            "in training, evaluation and prediction alike, whatever order the file stores; 2D images and single "
            "slices are read in their stored (display) order."]


def _input_line(pre: dict[str, Any]) -> str:
    if pre.get("description"):  # tables (and any input kind that describes itself)
        return f"- Input: {pre['description']}."
    if pre.get("kind") == "tokenizer":
        return (f"- Input: documents tokenised by a `{pre['tokenizer']}` tokenizer (vocabulary {pre.get('vocab_size')}, "
                f"fitted on the training documents only; `tokenizer.json`), at most {pre['max_length']} tokens.")
    return (f"- Input: {pre['channels']} channel(s), resized to {pre['spatial_size']}, intensity scaling "
            f"`{pre['scaling']}`, normalised with the training split's mean and standard deviation (fitted on "
            "training only).")
