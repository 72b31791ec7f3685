"""Choosing inference options and post-processing on the validation split (nnU-Net's way).

Each option is kept only when it raises the mean validation Dice (test-time passes by at least
``MIN_INFERENCE_GAIN``), and the evidence (Dice without and with) is stored in the bundle:

- test-time mirroring along the plan's mirror axes (averaged probabilities; 1 + axes passes);
- test-time shifts by one voxel along every combination of axes (2**dims passes), alone or
  with mirroring;
- test-time zoom on fixed-size (2D) grids: a second pass on a magnified crop around the
  largest found region (bundle/seg_zoom.py), on top of the chosen mirroring and shifts;
- per class, keeping only the largest connected component;
- for head-circumference bundles, replacing the head by the ellipse fitted to it (the structure
  is an ellipse by definition; a smooth fitted boundary removes ragged edges and small leaks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# A test-time option that multiplies inference time (mirroring: 1 + axes passes, shifts: 2**dims)
# must raise the mean validation Dice by at least this much: smaller gains are noise on a
# validation split of tens of cases and not worth 2-32x the inference time.
MIN_INFERENCE_GAIN = 0.001


def _dice(pred: np.ndarray, truth: np.ndarray, label: int) -> float:
    p, t = pred == label, truth == label
    total = int(p.sum()) + int(t.sum())
    return 1.0 if total == 0 else 2.0 * int((p & t).sum()) / total


def _mean_dice(outs: list[Any], truths: list[np.ndarray], labels: list[int]) -> dict[int, float]:
    return {c: float(np.mean([_dice(o.labels, t, c) for o, t in zip(outs, truths)])) for c in labels}


def choose_postprocessing(predictor: Any, source: Any, split: str = "val",
                          try_ellipse: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Options for ``predictor`` chosen on ``split``: ``{"mirror", "shift", "zoom",
    "largest_component", "ellipse"}`` and the evidence. The predictor is left as it was."""
    names = predictor.label_names
    classes = list(range(1, len(names)))
    data = source.split(split)
    cases = [source.load_case(split, i) for i in range(len(data))]
    truths = [c.mask for c in cases]
    saved = (predictor.mirror, predictor.shift, predictor.zoom, predictor.largest_component, predictor.ellipse)
    evidence: dict[str, Any] = {"chosen_on": split, "n": len(cases), "metric": "mean Dice"}
    try:
        dice: dict[tuple[bool, bool], float] = {}
        best, raw = (False, False), []
        # (mirror, shift), cheapest first: a costlier option must beat the best so far by
        # MIN_INFERENCE_GAIN; only the best option's predictions are held (whole probability maps)
        for option in [(False, False), (True, False), (False, True), (True, True)]:
            if option[0] and not predictor.mirror_axes:
                continue
            predictor.mirror, predictor.shift = option
            outs = [predictor.predict_case(c.image, c.spacing, postprocess=False) for c in cases]
            dice[option] = float(np.mean(list(_mean_dice(outs, truths, classes).values())))
            if option == (False, False) or dice[option] >= dice[best] + MIN_INFERENCE_GAIN:
                best, raw = option, outs
        mirror, shift = best
        if predictor.mirror_axes:
            evidence["mirror"] = {"dice_without": round(dice[(False, shift)], 6),
                                  "dice_with": round(dice[(True, shift)], 6), "applied": mirror,
                                  "axes": predictor.mirror_axes}
        else:
            evidence["mirror"] = {"applied": False, "why": "no axis may be mirrored (label order, see plan.json)"}
        evidence["shift"] = {"dice_without": round(dice[(mirror, False)], 6), "dice_with": round(dice[(mirror, True)], 6),
                             "applied": shift, "passes": 2 ** predictor.spatial_dims}
        predictor.mirror, predictor.shift = mirror, shift  # zoom is tried with the chosen passes
        zoom, raw = _choose_zoom(predictor, cases, truths, classes, dice[best], raw, evidence)
        base = _mean_dice(raw, truths, classes)
        largest: dict[str, bool] = {}
        evidence["largest_component"] = {}
        for c in classes:
            name = names[c]
            kept = [predictor.postprocess(o, largest={name: True}, ellipse=False) for o in raw]
            with_ = _mean_dice(kept, truths, [c])[c]
            largest[name] = with_ > base[c]
            evidence["largest_component"][name] = {"dice_without": round(base[c], 6), "dice_with": round(with_, 6),
                                                   "applied": largest[name]}
        ellipse: str | bool = False
        if try_ellipse:
            # Off, or the ellipse by area moments or by a robust fit through the outline
            # (evaluation/ellipse_contour.py): the best on val, off unless a fit gains.
            before = [predictor.postprocess(o, largest=largest, ellipse=False) for o in raw]
            scores = {"without": _mean_dice(before, truths, [1])[1]}
            from meddx.evaluation.ellipse_contour import ELLIPSE_METHODS

            for method in ELLIPSE_METHODS:
                after = [predictor.postprocess(o, largest=largest, ellipse=method) for o in raw]
                scores[method] = _mean_dice(after, truths, [1])[1]
            best_fit = max(ELLIPSE_METHODS, key=lambda m: scores[m])
            ellipse = best_fit if scores[best_fit] > scores["without"] else False
            evidence["ellipse"] = {"dice_without": round(scores["without"], 6),
                                   "dice_moments": round(scores["moments"], 6),
                                   "dice_contour": round(scores["contour"], 6), "applied": ellipse}
    finally:
        predictor.mirror, predictor.shift, predictor.zoom, predictor.largest_component, predictor.ellipse = saved
    return {"mirror": mirror, "shift": shift, "zoom": zoom, "largest_component": largest, "ellipse": ellipse}, evidence


def _choose_zoom(predictor: Any, cases: list[Any], truths: list[np.ndarray], classes: list[int], base: float,
                 raw: list[Any], evidence: dict[str, Any]) -> tuple[bool, list[Any]]:
    """Test-time zoom (bundle/seg_zoom.py) on top of the chosen mirroring/shifts, kept when it
    raises val Dice by ``MIN_INFERENCE_GAIN``: ``(applied, the predictions to post-process)``."""
    if not predictor.zoom_available:
        evidence["zoom"] = {"applied": False, "why": "the plan resamples by spacing, not to a fixed grid"}
        return False, raw
    from meddx.bundle.seg_zoom import ZOOM_MARGIN

    predictor.zoom = True
    zoomed = [predictor.predict_case(c.image, c.spacing, postprocess=False) for c in cases]
    with_ = float(np.mean(list(_mean_dice(zoomed, truths, classes).values())))
    applied = with_ >= base + MIN_INFERENCE_GAIN
    evidence["zoom"] = {"dice_without": round(base, 6), "dice_with": round(with_, 6), "applied": applied,
                        "margin": ZOOM_MARGIN}
    return applied, zoomed if applied else raw
