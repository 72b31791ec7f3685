"""What ``meddx train`` prints when a run ends: the metrics of val and test (and the bundled
baseline), the plan it trained (:func:`plan_line`), the data reader's notes, warnings (a cut epoch,
leakage), the privacy spent, and where the run and bundle are. Split from :mod:`meddx.cli.train`,
which holds the commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _cut_epochs(run_dir: object) -> list[tuple[str, dict]]:
    """Each network's ``trainer.json`` ``cut_epoch`` (an epoch the time limit stopped before its last
    batch) as ``(who, cut)``: the run folder's, and an ensemble's other networks' (``members/<m>``, each
    with its own share of the time limit; ``who`` names them, empty for a single network)."""
    from meddx.training.members import cut_networks

    return [(f"network {number} of {total}: " if total > 1 else "", cut)
            for number, total, cut in cut_networks(Path(str(run_dir)))]


def _privacy_of(bundle: object) -> dict:
    """The bundle's ``privacy`` section (DP runs), or an empty dict."""
    return _json_of(Path(str(bundle)) / "config.json").get("privacy") or {}


def _one_class_reasons(result: object, split: str) -> list[str]:
    """Why ``split``'s AUC is "n/a" when it holds one class only: the warning ``meddx evaluate`` gives
    (:func:`meddx.evaluation.split_warnings.one_class_warning`, what the split measures instead), made
    from the run's own predictions of it and the bundle's task and class names. Empty otherwise, and
    when the result carries no predictions."""
    preds = (getattr(result, "predictions", None) or {}).get(split)
    config = _json_of(Path(str(getattr(result, "bundle_path", ""))) / "config.json")
    names = config.get("label_names")
    if preds is None or not isinstance(names, list) or not config.get("task"):
        return []
    from meddx.evaluation.split_warnings import one_class_warning

    return one_class_warning(preds, str(config["task"]), [str(n) for n in names])


def plan_line(run_dir: object) -> str | None:
    """``plan: resnet18 (width 32), 28x28 px, 10 epochs (6 run, stopped by early stopping), kept the
    best validation epoch; reasons in RUN/plan.json``, from the run's ``plan.json`` and
    ``trainer.json``: with ``--time-budget`` the epochs are the planner's choice, and ``train`` showed
    them nowhere but in those files (the demo printed such a line, the command did not). ``None``
    when the run has no ``plan.json`` (a model without one)."""
    from meddx.registry.run_folders import fitted_by_sklearn

    run = Path(str(run_dir))
    plan, done = _json_of(run / "plan.json"), _json_of(run / "trainer.json")
    if not plan.get("model"):
        return None
    args = plan.get("model_args") if isinstance(plan.get("model_args"), dict) else {}
    parts = [f"{plan['model']}" + (f" (width {args['width']})" if args.get("width") else "")]
    size = plan.get("image_size")
    if isinstance(size, list) and size:
        parts.append("x".join(str(v) for v in size) + " px")
    epochs, ran = plan.get("epochs"), done.get("epochs_run")
    if fitted_by_sklearn(plan, done):  # its plan's epochs are never used: "logreg, 100 epochs" misled
        parts.append("fitted by scikit-learn (no epochs)")
    elif isinstance(epochs, int):
        if isinstance(ran, int) and ran != epochs:
            why = f", stopped by {done['stopped_by']}" if done.get("stopped_by") else ""
            parts.append(f"{epochs} epochs ({ran} run{why})")
        else:
            parts.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    kept = {"final": "kept the final epoch", "best": "kept the best validation epoch"}.get(done.get("kept"))
    return f"plan: {', '.join(parts + ([kept] if kept else []))}; reasons in {run / 'plan.json'}"


def _json_of(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _source_notes(run_dir: object) -> list[str]:
    """The data reader's notes the run recorded in ``data.json`` (a label spelt two ways or misspelt,
    files left out, how validation was carved, no test split): ``meddx data info`` prints them, and
    ``train`` kept them only in ``data.json`` and the model card, so a label typo trained as a class
    of its own without a word on the screen."""
    notes = _json_of(Path(str(run_dir)) / "data.json").get("notes") or []
    return [str(n) for n in notes] if isinstance(notes, list) else []


def print_summary(result: object) -> None:
    """The end-of-run summary of ``meddx train`` (a ``FitResult``) on stdout: metrics, plan, where the
    run and bundle are; its ``note:`` and ``warning:`` lines on stderr (``cli.streams``)."""
    from rich.console import Console

    from meddx.cli import streams

    console = Console()
    metrics = result.metrics or {}  # type: ignore[attr-defined]
    if metrics.get("task") == "segmentation":
        from meddx.cli.evaluate import seg_headline

        for split in ("val", "test"):
            if metrics.get(split):
                for line in seg_headline(metrics[split]):
                    typer.echo(line)  # plain: long lines must not be wrapped by the console width
                streams.warnings(metrics[split].get("warnings"))
    for split in ("val", "test") if metrics.get("task") != "segmentation" else ():
        m = metrics.get(split)
        if m:
            console.print(f"{split}: AUC {_f(m.get('auc'))}  ACC {_f(m.get('accuracy'))}  "
                          f"macro-F1 {_f(m.get('macro_f1'))}  (n={m.get('n')})")
            if m.get("auc") is None:  # say why, as evaluate does
                streams.warnings(_one_class_reasons(result, split))
        base = (metrics.get("baseline") or {}).get(split)
        if base:
            b = base["metrics"]
            console.print(f"{split} baseline ({metrics['baseline'].get('model', 'baseline')}): AUC {_f(b.get('auc'))}  ACC {_f(b.get('accuracy'))}  "
                          f"macro-F1 {_f(b.get('macro_f1'))}")
    line = plan_line(result.run_dir)  # type: ignore[attr-defined]
    if line:
        typer.echo(line)
    streams.notes(_source_notes(result.run_dir))  # type: ignore[attr-defined]
    streams.warnings(metrics.get("warnings"))
    from meddx.training.run import cut_epoch_text

    for who, cut in _cut_epochs(result.run_dir):  # type: ignore[attr-defined]
        # an ensemble's network stops at 1.25x its share (budget / K), not 1.25x the whole --time-budget
        share = "its share of " if who else ""
        text = cut_epoch_text(cut, limit=f"the time limit (1.25x {share}--time-budget)")
        if text:
            streams.warning(f"{who}{text}; the best validation epoch was kept; a longer --time-budget trains "
                            "whole epochs")
    privacy = _privacy_of(result.bundle_path)  # type: ignore[attr-defined]
    if privacy:
        target = privacy.get("target_epsilon")
        how = f"target {target}" if target is not None else f"noise multiplier {privacy.get('noise_multiplier')} given"
        console.print(f"privacy: DP-SGD, epsilon {privacy.get('epsilon'):.3f} spent at delta {privacy.get('delta'):g} "
                      f"({privacy.get('accountant')} accountant; {how})")
    console.print(f"run:    {result.run_dir}")  # type: ignore[attr-defined]
    console.print(f"bundle: {result.bundle_path}")  # type: ignore[attr-defined]
    if result.registry_ref:  # type: ignore[attr-defined]
        console.print(f"registered as {result.registry_ref}")  # type: ignore[attr-defined]


def _f(value: object) -> str:
    return "n/a" if value is None else f"{value:.3f}"
