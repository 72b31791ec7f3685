"""Model card (Markdown) of a segmentation bundle: use, data, plan, results with CIs, limits."""

from __future__ import annotations

from typing import Any

from meddx.bundle.model_card import epoch_note, epochs_lines, orientation_line

METRICS = (("dice", "Dice"), ("iou", "IoU"), ("hd95", "HD95"), ("asd", "ASD"))


def render_seg_model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Markdown card written into the bundle as ``model_card.md``."""
    training = config.get("training", {})
    plan = training.get("plan", {})
    lines = [
        f"# Model card: {config.get('name')}",
        "",
        "## Intended use",
        config.get("intended_use") or ("Research use: segmentation of "
                                       f"{', '.join(config['label_names'][1:])}; not a medical device, "
                                       "every mask needs review by a qualified reader."),
        "",
        "## Model",
        f"- network: `{config['model']['name']}` ({plan.get('spatial_dims')}D), patch {plan.get('patch_size')}, "
        f"normalisation {plan.get('normalization')}{_ensemble_text(config)}",
        f"- grid: {'fixed size ' + str(plan.get('size')) if plan.get('size') else 'target spacing ' + str(plan.get('target_spacing'))}",
        f"- post-processing (chosen on val): largest connected component for "
        f"{', '.join(n for n, v in config.get('postprocess', {}).get('largest_component', {}).items() if v) or 'no class'}"
        f"{_ellipse_text(config.get('postprocess', {}).get('ellipse'))}; "
        f"test-time mirroring {'on' if config.get('inference', {}).get('mirror') else 'off'}, "
        f"shifts {'on' if config.get('inference', {}).get('shift') else 'off'}, "
        f"zoom {'on' if config.get('inference', {}).get('zoom') else 'off'}{_skipped_text(config)}",
        f"- measurement: {config.get('measurement') or 'none'}",
        *orientation_line(config),
        "",
        "## Data",
        f"- source: `{training.get('data')}` (masks: {training.get('mask_kind', 'labels')})",
        f"- splits: {metrics.get('dataset', {}).get('splits')}",
        *[f"- {note}" for note in metrics.get("dataset", {}).get("notes", [])],
        "",
        "## Results",
    ]
    for split in ("val", "test"):
        m = metrics.get(split)
        if not m:
            continue
        lines += [f"### {split} (n={m.get('n')})", "", "| class | " + " | ".join(t for _, t in METRICS) + " |",
                  "|---|" + "---|" * len(METRICS)]
        for name, values in (m.get("classes") or {}).items():
            lines.append(f"| {name} | " + " | ".join(_cell(values.get(k)) for k, _ in METRICS) + " |")
        if m.get("mean_foreground"):
            lines.append("| mean | " + " | ".join(_cell(m["mean_foreground"].get(k)) for k, _ in METRICS) + " |")
        lines.append(f"\nDistances in {m.get('unit', {}).get('distance', 'mm') if isinstance(m.get('unit'), dict) else 'mm'}; "
                     f"mean [{int(100 * m.get('level', 0.95))}% bootstrap CI].")
        for what, err in (m.get("measurement") or {}).items():
            lines.append(f"- {what}: mean absolute error {_num(err.get('mean_abs'))} {err.get('unit', '')} "
                         f"{_ci(err)}, median {_num(err.get('median_abs'))}, 95th percentile {_num(err.get('p95_abs'))}, "
                         f"bias {_num(err.get('mean_signed'))} (n={err.get('n')})")
        lines.append("")
    lines += [
        "## Limitations",
        "- Trained on CPU with a short schedule chosen by the time budget; nnU-Net trains far longer.",
        f"- Epoch: {epoch_note((config.get('training') or {}).get('kept_epoch') or [])}. Test-time passes and "
        "post-processing were chosen on the validation split; the test split was used for reporting only. "
        "Scores hold for images like the training data (same scanner and protocol).",
        *epochs_lines(config.get("training") or {}),
        "- Distances are in mm only where the input carries spacing (NIfTI/DICOM headers or a pixel-size column).",
    ]
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if not isinstance(v, dict):
        return "n/a"
    return f"{_num(v.get('mean'))} {_ci(v)}"


def _ci(v: dict[str, Any]) -> str:
    ci = v.get("ci")
    if isinstance(ci, dict):  # a measurement: bootstrap entries per statistic
        ci = (ci.get("mean_abs") or {}).get("bca")
    if not ci or ci[0] is None:
        return ""
    return f"[{_num(ci[0])}, {_num(ci[1])}]"


def _num(x: Any) -> str:
    if x is None:
        return "n/a"
    x = float(x)
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}"


def _ensemble_text(config: dict[str, Any]) -> str:
    """``; mean probabilities of K networks ...`` for ensemble bundles, else nothing."""
    k = int(config["model"].get("ensemble", 1) or 1)
    seed = int(config.get("training", {}).get("seed", 0))
    return f"; mean probabilities of {k} networks trained with seeds {seed}..{seed + k - 1}" if k > 1 else ""


def _ellipse_text(ellipse: object) -> str:
    """The card's words for the head's ellipse fit (``true`` in bundles older than the choice)."""
    if not ellipse:
        return ""
    how = "a robust fit through its outline" if ellipse == "contour" else "its area moments"
    return f"; head replaced by its fitted ellipse ({how})"


def _skipped_text(config: dict[str, Any]) -> str:
    """`` (shifts, zoom not tried: projected to exceed the time budget)`` when ``--time-budget`` skipped
    some; `` (shifts not tried: seg_tta off)`` when the config turned them off; `` (tried whatever
    the time budget: seg_tta on)`` when it insisted under a budget."""
    evidence = ((config.get("postprocess") or {}).get("evidence") or {})
    off = [label for key, label in (("mirror", "mirroring"), ("shift", "shifts"), ("zoom", "zoom"))
           if isinstance(evidence.get(key), dict) and str(evidence[key].get("skipped", "")).startswith("off")]
    if evidence.get("seg_tta") == "off":
        return f" ({', '.join(off)} not tried: seg_tta off)" if off else ""
    skipped = (evidence.get("budget") or {}).get("skipped") or {}
    if skipped:
        return f" ({', '.join(skipped)} not tried: projected to exceed the time budget)"
    return " (tried whatever the time budget: seg_tta on)" if evidence.get("seg_tta") == "on" and "budget" in evidence else ""
