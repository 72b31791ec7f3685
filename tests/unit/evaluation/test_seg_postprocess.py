"""Which test-time options ``choose_postprocessing`` keeps, on predictions with known Dice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from meddx.evaluation.seg_postprocess import (
    MIN_INFERENCE_GAIN, SCORING_SAMPLE, choose_postprocessing, choose_with_predictions,
)


@dataclass
class _Out:
    labels: np.ndarray


@dataclass
class _Case:
    image: np.ndarray
    mask: np.ndarray
    spacing: Any = None


class _Source:
    """Twenty cases of a 40-voxel structure in a 1D row (Dice moves in steps of 1/80 per voxel)."""

    def __init__(self) -> None:
        mask = np.zeros(100, np.uint8)
        mask[30:70] = 1
        self.cases = [_Case(np.zeros((1, 100), np.float32), mask) for _ in range(20)]

    def split(self, name: str) -> list[_Case]:
        return self.cases

    def load_case(self, name: str, index: int) -> _Case:
        return self.cases[index]


class _Predictor:
    """Misses ``miss[(mirror, shift)]`` voxels of the structure in the first case, or
    ``zoom_miss`` with zoom on (``None``: zoom is not available, as for a spacing-based plan)."""

    label_names = ["background", "structure"]
    spatial_dims = 3

    def __init__(self, miss: dict[tuple[bool, bool], int], mirror_axes: list[int], zoom_miss: int | None = None) -> None:
        self.miss, self.mirror_axes, self.zoom_miss = miss, mirror_axes, zoom_miss
        self.zoom_available = zoom_miss is not None
        self.mirror = self.shift = self.zoom = self.ellipse = False
        self.largest_component: dict[str, bool] = {}
        self.calls = 0
        self.zoomed_with: set[tuple[bool, bool]] = set()  # the (mirror, shift) passes zoom ran with

    def predict_case(self, image: np.ndarray, spacing: Any, postprocess: bool = True) -> _Out:
        self.calls += 1
        if self.zoom:
            self.zoomed_with.add((self.mirror, self.shift))
        labels = np.zeros(100, np.uint8)
        labels[30:70] = 1
        if self.calls % 20 == 1:  # first case of each pass
            labels[30:30 + (self.zoom_miss if self.zoom else self.miss[(self.mirror, self.shift)])] = 0
        return _Out(labels)

    def postprocess(self, out: _Out, largest: Any = None, ellipse: bool = False) -> _Out:
        return out


def _dice_gain(voxels: int) -> float:  # mean Dice over twenty cases when one case misses `voxels`
    return (1 - (2 * (40 - voxels) / (80 - voxels))) / 20


@pytest.mark.parametrize(("miss", "axes", "expected"), [
    # shifts recover 4 voxels (gain ~.005): kept; mirroring recovers nothing: not kept
    ({(False, False): 4, (True, False): 4, (False, True): 0, (True, True): 0}, [0], (False, True)),
    # a gain below MIN_INFERENCE_GAIN does not pay for 8 passes
    ({(False, False): 1, (True, False): 1, (False, True): 0, (True, True): 0}, [0], (False, False)),
    # both help: the combination wins only by beating the best single option by the margin
    ({(False, False): 12, (True, False): 6, (False, True): 6, (True, True): 0}, [0], (True, True)),
    # no axis may be mirrored: mirroring is never tried
    ({(False, False): 4, (False, True): 0}, [], (False, True)),
])
def test_test_time_options_need_a_real_validation_gain(miss: dict, axes: list[int], expected: tuple) -> None:
    assert _dice_gain(1) < MIN_INFERENCE_GAIN < _dice_gain(4)
    predictor = _Predictor(miss, axes)
    chosen, evidence = choose_postprocessing(predictor, _Source())
    assert (chosen["mirror"], chosen["shift"]) == expected
    assert evidence["shift"]["applied"] == expected[1] and evidence["mirror"]["applied"] == expected[0]
    assert predictor.calls == 20 * len(miss)
    assert (predictor.mirror, predictor.shift) == (False, False)  # left as it was
    if not axes:
        assert "why" in evidence["mirror"]
    assert chosen["zoom"] is False and "why" in evidence["zoom"]  # not available: never tried


@pytest.mark.parametrize(("zoom_miss", "kept"), [(0, True), (3, False)])
def test_zoom_is_tried_on_top_of_the_chosen_passes_and_kept_for_a_real_gain(zoom_miss: int, kept: bool) -> None:
    # shifts are chosen (8 -> 4 missed voxels, mirroring adds nothing); zoom on top misses `zoom_miss`:
    # 4 -> 0 gains ~.0026 (kept), 4 -> 3 gains ~.0007 < MIN_INFERENCE_GAIN (not worth a second pass)
    miss = {(False, False): 8, (True, False): 8, (False, True): 4, (True, True): 4}
    predictor = _Predictor(miss, [0], zoom_miss=zoom_miss)
    chosen, evidence = choose_postprocessing(predictor, _Source())
    assert (chosen["mirror"], chosen["shift"]) == (False, True)
    assert predictor.zoomed_with == {(False, True)}  # zoom ran on top of the chosen passes, not the last tried
    assert chosen["zoom"] is kept and evidence["zoom"]["applied"] is kept
    assert evidence["zoom"]["dice_with"] > evidence["zoom"]["dice_without"]
    assert predictor.calls == 20 * (len(miss) + 1)
    assert predictor.zoom is False  # left as it was


class _TimedPredictor(_Predictor):
    """A ``_Predictor`` whose every case costs one second of a fake clock per network pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def predict_case(self, image: np.ndarray, spacing: Any, postprocess: bool = True) -> _Out:
        from meddx.evaluation.seg_postprocess import passes

        self.now += passes(self, self.mirror, self.shift, self.zoom)
        return super().predict_case(image, spacing, postprocess)


@pytest.mark.parametrize(("budget", "tried", "expected"), [
    # plain pass: 20 s; mirroring (2 passes) projects 2 x (20 val + 20 test) = 80 s: fits 200 - 20;
    # shifts (8 passes) project 320 s > the 140 s left: skipped, and so are both (16 passes, 640 s)
    (200.0, [(False, False), (True, False)], (False, False)),
    # room for everything: shifts are tried and kept, exactly as without a budget
    (2000.0, [(False, False), (True, False), (False, True), (True, True)], (False, True)),
    (None, [(False, False), (True, False), (False, True), (True, True)], (False, True)),
])
def test_test_time_options_are_skipped_when_the_budget_cannot_cover_them(budget: float | None, tried: list,
                                                                           expected: tuple) -> None:
    miss = {(False, False): 4, (True, False): 4, (False, True): 0, (True, True): 0}
    predictor = _TimedPredictor(miss, [0])
    said: list[str] = []
    chosen, evidence = choose_postprocessing(predictor, _Source(), budget_seconds=budget, test_cases=20,
                                             say=said.append, clock=predictor.clock)
    assert (chosen["mirror"], chosen["shift"]) == expected
    assert predictor.calls == 20 * len(tried)
    assert evidence["seconds_per_case_pass"] == 1.0
    skipped = evidence.get("budget", {}).get("skipped", {})
    if len(tried) < 4:
        assert set(skipped) == {"shifts", "mirroring + shifts"}
        assert evidence["shift"]["applied"] is False and "320 s" in evidence["shift"]["skipped"]
        assert "dice_with" not in evidence["shift"]
        assert any(line.startswith("skipping shifts (8 passes): projected 320 s") for line in said)
    else:
        assert skipped == {} and evidence["shift"]["dice_with"] > evidence["shift"]["dice_without"]
        assert ("budget" in evidence) is (budget is not None)
    assert "trying mirroring on val: 2 passes over 20 cases, about 40 s" in said


def test_distances_and_intervals_count_against_the_budget() -> None:
    """Scoring (HD95 and the like, 3 s a case here) and the bootstrap summaries (5 s a split) cost the
    same whatever the passes, but they come out of the same allowance: with them, mirroring's 80 s of
    passes + 3 x 40 + 5 x 2 = 130 s of scoring no longer fits what 200 s leaves after the plain pass
    and the timing of the scoring itself."""
    miss = {(False, False): 4, (True, False): 0, (False, True): 0, (True, True): 0}
    timed_on: list[int] = []

    def run(scoring: Any) -> tuple[dict, dict, _TimedPredictor]:
        predictor = _TimedPredictor(miss, [0])
        chosen, evidence = choose_postprocessing(predictor, _Source(), budget_seconds=200.0, test_cases=20,
                                                 scoring=scoring and (lambda cases, outs: scoring(predictor, cases, outs)),
                                                 clock=predictor.clock)
        return chosen, evidence, predictor

    def scoring(predictor: _TimedPredictor, cases: list, outs: list) -> tuple[float, float]:
        timed_on.append(len(cases))
        predictor.now += 3.0 * len(cases)  # timing it takes time too
        return 3.0, 5.0

    chosen, evidence, _ = run(None)  # as before: passes only, and mirroring fits
    assert chosen["mirror"] is True and "mirroring" not in evidence["budget"]["skipped"]
    chosen, evidence, predictor = run(scoring)
    assert timed_on == [SCORING_SAMPLE]  # on the first cases of the plain pass, once
    assert chosen["mirror"] is False and predictor.calls == 20  # nothing but the plain pass
    assert evidence["budget"]["skipped"]["mirroring"].startswith(
        "projected 210 s (2 passes: 20 val cases to choose, 20 test cases to predict; 130 s of it distances and "
        f"intervals) > {200 - 20 - 3 * SCORING_SAMPLE} s left of 200 s")
    assert (evidence["seconds_per_case_scoring"], evidence["seconds_per_split_summary"]) == (3.0, 5.0)


@pytest.mark.parametrize("setting", ["on", "off"])
def test_seg_tta_on_tries_every_option_whatever_the_budget_and_off_none(setting: str) -> None:
    # the budget leaves room for nothing but the plain pass; shifts gain, and zoom on top of them
    miss = {(False, False): 8, (True, False): 8, (False, True): 4, (True, True): 4}
    predictor = _TimedPredictor(miss, [0], zoom_miss=0)
    chosen, evidence, outs = choose_with_predictions(predictor, _Source(), budget_seconds=1.0, test_cases=20,
                                                     test_time=setting, clock=predictor.clock)
    assert evidence["seg_tta"] == setting and evidence["budget"]["skipped"] == {}
    if setting == "on":  # all four (mirror, shift) passes, then zoom on top of the chosen shifts: as without a budget
        assert predictor.calls == 20 * 5 and (chosen["shift"], chosen["zoom"]) == (True, True)
        assert "dice_with" in evidence["mirror"] and "dice_with" in evidence["zoom"]
    else:
        assert predictor.calls == 20 and not (chosen["mirror"] or chosen["shift"] or chosen["zoom"])
        for option in ("mirror", "shift", "zoom"):
            assert evidence[option]["skipped"] == "off: seg_tta is off in the config"
    assert len(outs) == 20


def test_unknown_seg_tta_is_refused() -> None:
    from meddx.core.errors import ConfigError

    with pytest.raises(ConfigError, match="seg_tta is 'maybe'; expected one of auto, on, off"):
        choose_postprocessing(_Predictor({(False, False): 0}, []), _Source(), test_time="maybe")


def test_the_chosen_passes_predictions_are_returned_for_the_evaluation() -> None:
    # shifts are chosen, and zoom on top of them: the predictions held are those of shifts + zoom, in case order
    miss = {(False, False): 8, (True, False): 8, (False, True): 4, (True, True): 4}
    predictor = _Predictor(miss, [0], zoom_miss=0)
    chosen, _, outs = choose_with_predictions(predictor, _Source())
    assert (chosen["shift"], chosen["zoom"]) == (True, True)
    assert [int(o.labels.sum()) for o in outs] == [40] * 20  # zoom misses nothing; shifts alone missed 4 in case 0
    predictor = _Predictor(miss, [0], zoom_miss=3)  # zoom not kept: the shifts' predictions
    chosen, _, outs = choose_with_predictions(predictor, _Source())
    assert (chosen["shift"], chosen["zoom"]) == (True, False)
    assert [int(o.labels.sum()) for o in outs] == [36] + [40] * 19


def test_zoom_is_skipped_when_the_budget_cannot_cover_it() -> None:
    # no gain from mirroring or shifts; zoom would double the 1-pass cost: 2 x 40 = 80 s > what is left
    miss = {(False, False): 4, (True, False): 4, (False, True): 4, (True, True): 4}
    predictor = _TimedPredictor(miss, [], zoom_miss=0)
    chosen, evidence = choose_postprocessing(predictor, _Source(), budget_seconds=60.0, test_cases=20,
                                             clock=predictor.clock)
    assert chosen["zoom"] is False and evidence["zoom"]["applied"] is False
    assert "zoom" in evidence["budget"]["skipped"] and predictor.zoomed_with == set()
