"""After segmentation training: post-processing chosen on val, evaluation, bundle, registry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from meddx.training.config import TrainConfig


def seg_bundle_config(config: TrainConfig, source: Any, plan: Any, name: str, run_dir: Path,
                      kept: list[str] | None = None) -> dict[str, Any]:
    """The bundle's ``config.json``: everything ``load_bundle`` needs to segment new images;
    ``kept`` says which epoch each network kept (``"best"``/``"final"``, from ``train_and_restore``)."""
    from meddx.data.dicom_voi import PRESENTATION_READING
    from meddx.data.orientation import CANONICAL
    from meddx.training.finish import _epochs_run, networks_field

    first = source.split("train")
    measurement = ("head_circumference" if "reference_hc_mm" in first.meta
                   else "volume" if source.spatial_dims == 3 else None)
    return {
        "name": name,
        "task": "segmentation",
        "label_names": list(source.label_names),
        "model": {"name": plan.model, "num_classes": source.num_classes, "args": plan.model_args,
                  "ensemble": plan.ensemble},
        "preprocessing": plan.preprocessor().to_dict(),
        "inference": {"patch_size": plan.patch_size, "overlap": 0.5, "mirror": False,
                      "mirror_axes": plan.mirror_axes, "shift": False, "zoom": False},
        "postprocess": {"largest_component": {}},
        "measurement": measurement,
        "orientation": CANONICAL,  # volumes and masks were read turned to RAS+ (data.orientation)
        "dicom_voi": True,  # X-ray DICOM read through its VOI (data.dicom_voi)
        "dicom_presentation": PRESENTATION_READING,  # ... with the presentation steps of today (data.dicom_voi)
        "training": {
            "data": config.data, "seed": config.seed, "val_fraction": config.val_fraction,
            "test_fraction": config.test_fraction, "run_dir": str(run_dir), "plan": plan.model_dump(),
            "plan_reasons": plan.reasons, "mask_kind": source.mask_kind,
            "kept_epoch": list(kept or []),
            "cases": training_cases(run_dir),
            **carve_records(run_dir),  # which cases test and val were carved with (data.seg_carve), read back
            **_epochs_run(run_dir), **networks_field(run_dir, plan.ensemble),  # per network: epochs, a cut epoch
        },
        "intended_use": config.intended_use,
    }


def training_cases(run_dir: Path) -> dict[str, dict[str, Any]] | None:
    """The train and val case ids, image file digests and (runs that recorded them) decoded-voxel
    digests from the run's ``data.json`` (written by ``seg_fit.data_summary``), so the bundle alone
    tells ``evaluate``/``compare`` which cases it learned from or chose on (``evaluation.seg_seen``,
    ``evaluation.seg_seen_voxels``); None when the run recorded none."""
    import json

    path = Path(run_dir) / "data.json"
    if not path.is_file():
        return None
    splits = json.loads(path.read_text(encoding="utf-8")).get("splits") or {}
    return {s: {"ids": list(v.get("ids") or []), "image_sha256": v.get("image_sha256"),
                **({"voxel_sha256": v["voxel_sha256"]} if isinstance(v.get("voxel_sha256"), list) else {})}
            for s, v in splits.items() if s in ("train", "val") and isinstance(v, dict)} or None


def carve_records(run_dir: Path) -> dict[str, dict[str, Any]]:
    """``{"val_membership": ..., "test_membership": ...}``: the records of the splits the run carved from
    train (its ``data.json``, :mod:`meddx.data.seg_carve`), which ``evaluate``/``compare`` of the bundle
    read back instead of carving again; nothing when it carved none or recorded none."""
    from meddx.data.seg_carve import membership_fields
    from meddx.training.seg_fit import recorded_carves

    return membership_fields(recorded_carves(run_dir))


def finish_segmentation(config: TrainConfig, source: Any, plan: Any, net: Any, run_dir: Path, name: str,
                        progress: bool = True, kept: list[str] | None = None) -> dict[str, Any]:
    """Choose test-time passes (mirroring, shifts, zoom) and post-processing on val, evaluate val
    (scoring the predictions the choice already made with the chosen passes) and test, save and
    register the bundle. Under ``--time-budget`` the options must fit ``POSTTRAIN_BUDGET_SHARE`` x
    the budget with prediction, distances and intervals counted, unless ``seg_tta`` says on or off.

    Returns the ``FitResult`` fields ``bundle_path``, ``metrics`` and ``registry_ref``.
    """
    from meddx.bundle.seg_card import epoch_note, render_seg_model_card
    from meddx.bundle.seg_predictor import SegPredictor
    from meddx.core.files import write_json_atomic
    from meddx.data.orientation import reading_for
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split, scoring_seconds, write_outputs
    from meddx.evaluation.seg_postprocess import POSTTRAIN_BUDGET_SHARE, choose_with_predictions, passes
    from meddx.training.finish import save_and_register

    cfg = seg_bundle_config(config, source, plan, name, run_dir, kept)
    splits = [s for s in ("val", "test")
              if s == "val" or (config.evaluate_test and "test" in source.splits)]
    sizes = {s: len(source.split(s)) for s in splits}
    say = _say if progress else None
    allowed = config.time_budget * 60 * POSTTRAIN_BUDGET_SHARE if config.time_budget else None
    settings = SegEvalSettings(n_resamples=config.ci_resamples, seed=config.seed, progress=progress)
    chooser = SegPredictor(cfg, net)

    def scoring(cases: list[Any], outs: list[Any]) -> tuple[float, float]:
        return scoring_seconds(chooser, source.spatial_dims, cases, outs, max(sizes.values()), settings)

    with reading_for(chooser):  # the cases read as evaluate_split reads them, so its reuse is exact
        chosen, evidence, val_outputs = choose_with_predictions(
            chooser, source, "val", try_ellipse=cfg["measurement"] == "head_circumference", budget_seconds=allowed,
            test_cases=sizes.get("test", 0), scoring=scoring, test_time=config.seg_tta, say=say)
    if config.largest_component is not None:  # forced by the user: recorded as such
        chosen["largest_component"] = {n: bool(config.largest_component) for n in source.label_names[1:]}
        evidence["largest_component"] = "set in config"
    cfg["inference"]["mirror"] = chosen["mirror"]
    cfg["inference"]["shift"] = chosen["shift"]
    cfg["inference"]["zoom"] = chosen["zoom"]
    cfg["postprocess"] = {"largest_component": chosen["largest_component"], "ellipse": chosen["ellipse"],
                          "evidence": evidence}
    write_json_atomic(run_dir / "postprocess.json", {"inference": cfg["inference"], "postprocess": cfg["postprocess"]})
    predictor = SegPredictor(cfg, net)
    metrics: dict[str, Any] = {"task": "segmentation"}
    outputs = run_dir / "evaluation"
    k = passes(predictor, predictor.mirror, predictor.shift, predictor.zoom)
    per_pass = evidence["seconds_per_case_pass"] * k
    per_score = evidence.get("seconds_per_case_scoring")  # timed on a few val cases under a budget; then on val
    for split in splits:
        n = sizes[split]
        if say and split == "val":
            summary = evidence.get("seconds_per_split_summary") or 0
            about = f"about {per_score * n + summary:.0f} s: " if per_score is not None else ""
            say(f"evaluating val: {n} cases, the chosen passes' predictions reused ({about}distances and intervals)")
        elif say:
            say(f"evaluating {split}: {n} cases x {k} passes, about {(per_pass + (per_score or 0)) * n:.0f} s "
                "(measured on val)")
        started = time.perf_counter()
        metrics[split], rows = evaluate_split(predictor, source, split, settings, outputs / split,
                                              predicted=val_outputs if split == "val" else None)
        val_outputs = []  # whole probability maps: not held while test is predicted
        write_outputs(outputs / split, metrics[split], rows, source.label_names,
                      title=f"{name} on {source.name} ({split})")
        per_score = (time.perf_counter() - started) / max(1, n)
    metrics["dataset"] = {"name": source.name, "notes": source.notes,
                          "splits": {k: len(v) for k, v in source.splits.items()}}
    metrics["note"] = f"{epoch_note(cfg['training']['kept_epoch'])}; post-processing chosen on val; test reported only"

    path, ref = save_and_register(config, name, net, cfg, metrics, render_seg_model_card(cfg, metrics), run_dir)
    return {"bundle_path": path, "metrics": metrics, "registry_ref": ref}


def _say(message: str) -> None:
    """One line on stderr before a long post-training pass, so the terminal is not silent for minutes."""
    import sys

    print(message, file=sys.stderr, flush=True)
