"""After training: choose the decision threshold on validation, measure, save and register.

Nothing here looks at the test split except to report it: the threshold and the best epoch
are chosen on validation only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.data.base import ImageSource
from meddx.training.config import TrainConfig
from meddx.training.plan import Plan


def bundle_config(config: TrainConfig, source: ImageSource, plan: Plan, pre: Any, name: str,
                  threshold: float | None, run_dir: Path) -> dict[str, Any]:
    """The ``config.json`` of a bundle: all a predictor needs, and where it came from."""
    return {
        "name": name,
        "task": source.task,
        "label_names": list(source.label_names),
        "spatial_dims": source.spatial_dims,
        "model": {"name": plan.model, "args": plan.model_args, "num_classes": source.num_classes},
        "preprocessing": pre.to_dict(),
        "decision": {"threshold": threshold, "rule": config.threshold_rule if source.task == "binary" else
                     ("fixed:0.5" if source.task == "multilabel" else "argmax")},
        "tta": ["hflip"] if config.tta else [],
        "training": {
            "data": config.data,
            "run_dir": str(run_dir),
            "seed": config.seed,
            "val_fraction": config.val_fraction,
            "epochs": plan.epochs,
            "source_notes": source.notes,
        },
    }


def finish_run(config: TrainConfig, source: ImageSource, plan: Plan, pre: Any, net: Any,
               run_dir: Path, name: str, val_inputs: Any = None) -> Any:
    """Threshold, metrics, bundle and registry entry for a trained network.

    ``val_inputs`` is the already preprocessed validation split, reused instead of decoded again.
    """
    import numpy as np
    import torch

    from meddx.bundle.bundle import save_bundle
    from meddx.bundle.predictor import Predictor
    from meddx.core.paths import bundles_dir
    from meddx.evaluation.evaluate import SplitPredictions, metrics_for, predict_split
    from meddx.evaluation.metrics import choose_threshold
    from meddx.registry.store import next_version, register_bundle
    from meddx.training.fit import FitResult
    from meddx.core.files import write_json_atomic

    cfg = bundle_config(config, source, plan, pre, name, None, run_dir)
    predictor = Predictor(cfg, net)
    if val_inputs is not None:
        data = source.split("val")
        probs = predictor.predict_tensor(torch.from_numpy(np.asarray(val_inputs)))
        val = SplitPredictions("val", list(data.ids), np.asarray(data.labels), probs)
    else:
        val = predict_split(predictor, source, "val")
    if source.task == "binary":
        predictor.threshold = float(choose_threshold(val.labels, val.probs[:, 1], rule=config.threshold_rule))
    elif source.task == "multilabel":
        predictor.threshold = 0.5
    cfg["decision"]["threshold"] = predictor.threshold
    metrics: dict[str, Any] = {"val": metrics_for(predictor, val)}
    if config.evaluate_test and "test" in source.splits:
        metrics["test"] = metrics_for(predictor, predict_split(predictor, source, "test"))
    metrics["note"] = "threshold and best epoch chosen on val; test reported only"

    version = next_version(name)
    path = Path(config.output) if config.output else bundles_dir() / name / f"v{version}"
    card = model_card(cfg, metrics, plan)
    save_bundle(path, net=net, config=cfg, metrics=metrics, model_card=card)
    write_json_atomic(run_dir / "metrics.json", metrics)
    ref = None
    if config.add_to_registry:
        record = register_bundle(path, version=version)
        ref = f"{record.name}:{record.version}"
    return FitResult(run_dir=run_dir, plan=plan, bundle_path=path, metrics=metrics, registry_ref=ref)


def model_card(cfg: dict[str, Any], metrics: dict[str, Any], plan: Plan) -> str:
    """A short Markdown model card: what the model is, how it was trained, how well it does."""
    lines = [
        f"# Model card: {cfg['name']}",
        "",
        "## Model",
        f"- Task: {cfg['task']} classification, labels: {', '.join(cfg['label_names'])}",
        f"- Architecture: `{cfg['model']['name']}` {cfg['model']['args']}",
        f"- Input: {cfg['preprocessing']['channels']} channel(s), size {cfg['preprocessing']['spatial_size']}, "
        f"scaling `{cfg['preprocessing']['scaling']}`, normalised with training mean/std",
        f"- Decision rule: {cfg['decision']['rule']} (threshold {cfg['decision']['threshold']})",
        "",
        "## Training",
        f"- Data: `{cfg['training']['data']}`; seed {cfg['training']['seed']}; {plan.epochs} epochs planned, "
        f"batch {plan.batch_size}",
        *[f"- Data note: {note}" for note in cfg["training"]["source_notes"]],
        *[f"- Plan: {key}: {why}" for key, why in plan.reasons.items()],
        "",
        "## Performance",
        "| split | n | AUC | accuracy | balanced accuracy |",
        "|---|---|---|---|---|",
    ]
    for split in ("val", "test"):
        m = metrics.get(split)
        if m:
            lines.append(f"| {split} | {m.get('n')} | {_fmt(m.get('auc'))} | {_fmt(m.get('accuracy'))} | "
                         f"{_fmt(m.get('balanced_accuracy'))} |")
    lines += [
        "",
        "The threshold and the best epoch were chosen on the validation split; test numbers are reported only.",
        "",
        "## Intended use and limits",
        "Research use. Not a medical device: validate on data from the intended site, population and device "
        "before any clinical use. Performance on other scanners, populations or acquisition settings is unknown.",
        "",
    ]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"
