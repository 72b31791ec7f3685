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

With a time allowance (``budget_seconds``; ``seg_finish`` gives ``POSTTRAIN_BUDGET_SHARE`` x the
training ``--time-budget``), the plain one-pass prediction of val is timed first, and so is the part
of evaluating that no option changes (distances such as HD95 and the bootstrap intervals, timed on a
few val cases by ``scoring``); a costlier option is tried only when its projected cost (trying it on
val, predicting test with it, and scoring val and test) fits what is left; the evidence records each
skipped option and why. Without one, every option is tried as before. ``test_time`` (the config's
``seg_tta``) overrides the allowance: ``on`` tries every option whatever it costs, ``off`` none.

:func:`choose_with_predictions` also returns the chosen passes' predictions of the split, so its
evaluation scores them instead of predicting it again.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from meddx.core.errors import ConfigError

# A test-time option that multiplies inference time (mirroring: 1 + axes passes, shifts: 2**dims)
# must raise the mean validation Dice by at least this much: smaller gains are noise on a
# validation split of tens of cases and not worth 2-32x the inference time.
MIN_INFERENCE_GAIN = 0.001

# Under --time-budget, choosing the test-time options on val and evaluating val and test with them
# may take about this multiple of the training budget (after training): an option whose projected
# cost does not fit is skipped. 8-pass shifts on a 3D val split can otherwise take several times the
# training budget.
POSTTRAIN_BUDGET_SHARE = 1.0

# How many val cases ``scoring`` is given (the first scored untimed, as a warm-up): enough to smooth
# one odd case, few enough to cost little.
SCORING_SAMPLE = 4

# The config's ``seg_tta``: the allowance decides, every option is tried whatever it costs, or none is.
TEST_TIME_SETTINGS = ("auto", "on", "off")
OFF = "off: seg_tta is off in the config"


def _dice(pred: np.ndarray, truth: np.ndarray, label: int) -> float:
    p, t = pred == label, truth == label
    total = int(p.sum()) + int(t.sum())
    return 1.0 if total == 0 else 2.0 * int((p & t).sum()) / total


def _mean_dice(outs: list[Any], truths: list[np.ndarray], labels: list[int]) -> dict[int, float]:
    return {c: float(np.mean([_dice(o.labels, t, c) for o, t in zip(outs, truths)])) for c in labels}


def passes(predictor: Any, mirror: bool, shift: bool, zoom: bool = False) -> int:
    """Network passes over each case with these options (mirroring 1 + axes, shifts 2**dims, zoom x2)."""
    return ((1 + len(predictor.mirror_axes)) if mirror else 1) * (2 ** predictor.spatial_dims if shift else 1) * (
        2 if zoom else 1)


class _Allowance:
    """Time left for the options, and the reason an option's projected cost does not fit."""

    def __init__(self, seconds: float | None, n_val: int, n_test: int, clock: Callable[[], float],
                 enforced: bool = True) -> None:
        self.seconds, self.n_val, self.n_test, self.clock, self.enforced = seconds, n_val, n_test, clock, enforced
        self.start = clock()
        self.per_pass = 0.0  # seconds per case and pass, from the plain pass over val
        self.per_score = 0.0  # seconds per case to score it (distances, measurement), whatever the passes
        self.per_summary = 0.0  # seconds to summarise a split (bootstrap intervals)
        self.skipped: dict[str, str] = {}

    @property
    def scoring(self) -> float:
        """Projected seconds to score val and test and summarise each (the same for every option)."""
        return self.per_score * (self.n_val + self.n_test) + self.per_summary * (1 + (self.n_test > 0))

    def cost(self, n_passes: int) -> float:
        """Projected seconds to try ``n_passes`` on val, predict test with them (val's predictions
        are reused), and score both."""
        return self.per_pass * n_passes * (self.n_val + self.n_test) + self.scoring

    def refuse(self, what: str, n_passes: int) -> bool:
        """True (and the reason recorded) when trying ``what`` would not fit the allowance."""
        if self.seconds is None or not self.enforced:
            return False
        left = self.seconds - (self.clock() - self.start)
        cost = self.cost(n_passes)
        if cost <= left:
            return False
        self.skipped[what] = (f"projected {cost:.0f} s ({n_passes} passes: {self.n_val} val cases to choose, "
                              f"{self.n_test} test cases to predict; {self.scoring:.0f} s of it distances and "
                              f"intervals) > {max(left, 0):.0f} s left of {self.seconds:.0f} s")
        return True

    def record(self, evidence: dict[str, Any]) -> None:
        evidence["seconds_per_case_pass"] = round(self.per_pass, 4)
        if self.seconds is not None:
            evidence["seconds_per_case_scoring"] = round(self.per_score, 4)
            evidence["seconds_per_split_summary"] = round(self.per_summary, 4)
            evidence["budget"] = {"seconds": round(self.seconds, 1), "share_of_training_budget": POSTTRAIN_BUDGET_SHARE,
                                  "skipped": dict(self.skipped)}


def _compared(dice: dict[tuple[bool, bool], float], without: tuple[bool, bool], with_: tuple[bool, bool],
              applied: bool, skipped: str | None) -> dict[str, Any]:
    """Evidence for one option: Dice without and with, or why it was not tried."""
    if with_ not in dice:
        return {"dice_without": round(dice[without], 6), "applied": False, "skipped": skipped or "not tried"}
    return {"dice_without": round(dice[without], 6), "dice_with": round(dice[with_], 6), "applied": applied}


def choose_postprocessing(predictor: Any, source: Any, split: str = "val", try_ellipse: bool = False,
                          **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Options for ``predictor`` chosen on ``split``: ``{"mirror", "shift", "zoom",
    "largest_component", "ellipse"}`` and the evidence (:func:`choose_with_predictions` without
    the predictions). The predictor is left as it was."""
    chosen, evidence, _ = choose_with_predictions(predictor, source, split, try_ellipse, **options)
    return chosen, evidence


def choose_with_predictions(predictor: Any, source: Any, split: str = "val", try_ellipse: bool = False, *,
                            budget_seconds: float | None = None, test_cases: int = 0,
                            scoring: Callable[[list[Any], list[Any]], tuple[float, float]] | None = None,
                            test_time: str = "auto", say: Callable[[str], None] | None = None,
                            clock: Callable[[], float] = time.perf_counter,
                            ) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Options chosen on ``split`` as :func:`choose_postprocessing`, the evidence, and the chosen
    passes' predictions of ``split`` (in order, before post-processing) for its evaluation.

    ``budget_seconds``: time allowed for choosing, for predicting ``test_cases`` cases afterwards and
    for scoring both splits; options that do not fit are skipped. ``scoring(cases, outputs)``: seconds
    per case to score and per split to summarise, timed on the first ``SCORING_SAMPLE`` cases of the
    plain pass (None: not counted). ``test_time``: ``auto`` (the allowance decides), ``on`` (every
    option tried whatever the allowance), ``off`` (none tried). ``say`` announces each pass over
    ``split`` with its projected time."""
    if test_time not in TEST_TIME_SETTINGS:
        raise ConfigError(f"seg_tta is {test_time!r}; expected one of {', '.join(TEST_TIME_SETTINGS)}")
    names = predictor.label_names
    classes = list(range(1, len(names)))
    data = source.split(split)
    cases = [source.load_case(split, i) for i in range(len(data))]
    truths = [c.mask for c in cases]
    n = len(cases)
    allowance = _Allowance(budget_seconds, n, test_cases, clock, enforced=test_time == "auto")
    tell = say or (lambda _message: None)
    saved = (predictor.mirror, predictor.shift, predictor.zoom, predictor.largest_component, predictor.ellipse)
    evidence: dict[str, Any] = {"chosen_on": split, "n": n, "metric": "mean Dice", "seg_tta": test_time}
    labels = {(True, False): "mirroring", (False, True): "shifts", (True, True): "mirroring + shifts"}
    try:
        dice: dict[tuple[bool, bool], float] = {}
        best, raw = (False, False), []
        # (mirror, shift), cheapest first: a costlier option must beat the best so far by
        # MIN_INFERENCE_GAIN; only the best option's predictions are held (whole probability maps)
        for option in [(False, False), (True, False), (False, True), (True, True)]:
            if option[0] and not predictor.mirror_axes:
                continue
            k = passes(predictor, *option)
            if option == (False, False):
                tell(f"choosing test-time passes on {split}: 1 pass over {n} cases first (timed)")
            elif test_time == "off":
                continue
            elif allowance.refuse(labels[option], k):
                tell(f"skipping {labels[option]} ({k} passes): {allowance.skipped[labels[option]]}")
                continue
            else:
                tell(f"trying {labels[option]} on {split}: {k} passes over {n} cases, "
                     f"about {allowance.per_pass * k * n:.0f} s")
            predictor.mirror, predictor.shift = option
            started = clock()
            outs = [predictor.predict_case(c.image, c.spacing, postprocess=False) for c in cases]
            if option == (False, False):
                allowance.per_pass = (clock() - started) / max(1, n)
                if scoring is not None and budget_seconds is not None:
                    allowance.per_score, allowance.per_summary = scoring(cases[:SCORING_SAMPLE], outs[:SCORING_SAMPLE])
            dice[option] = float(np.mean(list(_mean_dice(outs, truths, classes).values())))
            if option == (False, False) or dice[option] >= dice[best] + MIN_INFERENCE_GAIN:
                best, raw = option, outs
        mirror, shift = best
        off = OFF if test_time == "off" else None
        if predictor.mirror_axes:
            evidence["mirror"] = {**_compared(dice, (False, shift), (True, shift), mirror,
                                              off or allowance.skipped.get(labels[(True, shift)])),
                                  "axes": predictor.mirror_axes}
        else:
            evidence["mirror"] = {"applied": False, "why": "no axis may be mirrored (label order, see plan.json)"}
        evidence["shift"] = {**_compared(dice, (mirror, False), (mirror, True), shift,
                                         off or allowance.skipped.get(labels[(mirror, True)])),
                             "passes": 2 ** predictor.spatial_dims}
        predictor.mirror, predictor.shift = mirror, shift  # zoom is tried with the chosen passes
        zoom, raw = _choose_zoom(predictor, cases, truths, classes, dice[best], raw, evidence, allowance, tell,
                                 test_time)
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
    allowance.record(evidence)
    chosen = {"mirror": mirror, "shift": shift, "zoom": zoom, "largest_component": largest, "ellipse": ellipse}
    return chosen, evidence, raw


def _choose_zoom(predictor: Any, cases: list[Any], truths: list[np.ndarray], classes: list[int], base: float,
                 raw: list[Any], evidence: dict[str, Any], allowance: _Allowance,
                 tell: Callable[[str], None], test_time: str) -> tuple[bool, list[Any]]:
    """Test-time zoom (bundle/seg_zoom.py) on top of the chosen mirroring/shifts, kept when it
    raises val Dice by ``MIN_INFERENCE_GAIN``: ``(applied, the predictions to post-process)``."""
    if not predictor.zoom_available:
        evidence["zoom"] = {"applied": False, "why": "the plan resamples by spacing, not to a fixed grid"}
        return False, raw
    if test_time == "off":
        evidence["zoom"] = {"dice_without": round(base, 6), "applied": False, "skipped": OFF}
        return False, raw
    from meddx.bundle.seg_zoom import ZOOM_MARGIN

    k = passes(predictor, predictor.mirror, predictor.shift, zoom=True)
    if allowance.refuse("zoom", k):
        tell(f"skipping zoom ({k} passes): {allowance.skipped['zoom']}")
        evidence["zoom"] = {"dice_without": round(base, 6), "applied": False, "skipped": allowance.skipped["zoom"]}
        return False, raw
    tell(f"trying zoom: {k} passes over {len(cases)} cases, about {allowance.per_pass * k * len(cases):.0f} s")
    predictor.zoom = True
    zoomed = [predictor.predict_case(c.image, c.spacing, postprocess=False) for c in cases]
    with_ = float(np.mean(list(_mean_dice(zoomed, truths, classes).values())))
    applied = with_ >= base + MIN_INFERENCE_GAIN
    evidence["zoom"] = {"dice_without": round(base, 6), "dice_with": round(with_, 6), "applied": applied,
                        "margin": ZOOM_MARGIN}
    return applied, zoomed if applied else raw
