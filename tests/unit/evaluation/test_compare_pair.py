"""``compare``'s two readings aligned case by case by sample id, or refused (audit 51, defect 2)."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.evaluation.compare_pair import align_to
from meddx.evaluation.evaluate import SplitPredictions


def _preds(ids: list[str], labels: list[int], patients: list[str] | None = None) -> SplitPredictions:
    p = np.linspace(0.1, 0.9, len(ids))
    return SplitPredictions(split="test", ids=ids, labels=np.array(labels), probs=np.column_stack([1 - p, p]),
                            patient_ids=patients)


def test_b_is_reordered_to_a_by_sample_id() -> None:
    a = _preds(["s1", "s2", "s3"], [0, 1, 1], ["p1", "p1", "p2"])
    b = _preds(["s3", "s1", "s2"], [1, 0, 1])
    aligned = align_to(a, b, "t.csv (test)", "A", "B")
    assert aligned.ids == ["s1", "s2", "s3"] and aligned.labels.tolist() == [0, 1, 1]
    assert aligned.probs[:, 1].tolist() == pytest.approx([0.5, 0.9, 0.1])
    assert aligned.patient_ids == ["p1", "p1", "p2"]  # A's patients when B's reading has none


@pytest.mark.parametrize(("b", "match"), [
    (_preds(["s1", "s2", "s4"], [0, 1, 1]), r"read different samples .*1 id\(s\) only in the reading of 'A'"),
    (_preds(["s1", "s2"], [0, 1]), "read different samples"),
    (_preds(["s2", "s1", "s3"], [0, 0, 1]), r"different labels for 1 sample\(s\) \(e.g. id 's2'\)"),
    (_preds(["s1", "s2", "s3"], [0, 1, 1], ["p1", "p2", "p2"]), "different patient ids"),
])
def test_readings_that_cannot_be_aligned_are_refused_in_one_line(b: SplitPredictions, match: str) -> None:
    a = _preds(["s1", "s2", "s3"], [0, 1, 1], ["p1", "p1", "p2"])
    with pytest.raises(DataError, match=match) as info:
        align_to(a, b, "t.csv (test)", "A", "B")
    assert "\n" not in str(info.value) and str(info.value).startswith("t.csv (test): bundles 'A' and 'B'")


def test_bundles_carved_with_two_versions_of_the_settings_are_told_apart() -> None:
    """Two bundles whose carvings differ only in the near-copy settings' version (version 2 takes
    another fold when fold 1 holds too few patients) were both described as 'near copies grouped'."""
    from types import SimpleNamespace

    from meddx.data.carve_groups import NEAR_COPY_SETTINGS
    from meddx.evaluation.compare_pair import _carved_message

    def bundle(name: str, near: object) -> SimpleNamespace:
        training = {"seed": 0, "val_fraction": 0.1, "val_near_copies": near}
        return SimpleNamespace(name=name, config={"training": training})

    message = _carved_message(bundle("old", {**NEAR_COPY_SETTINGS, "version": 1}), bundle("new", NEAR_COPY_SETTINGS),
                              ["a", "b"], ["b", "c"], "adm.csv", "val")
    assert "'old' (seed 0, val fraction 0.1, near copies grouped (carving settings version 1))" in message
    assert (f"'new' (seed 0, val fraction 0.1, near copies grouped (carving settings version "
            f"{NEAR_COPY_SETTINGS['version']}))") in message
    assert "near copies not grouped" in _carved_message(bundle("x", False), bundle("y", None), ["a"], ["b"], "d", "val")


def test_bundles_that_recorded_other_val_samples_read_the_source_apart() -> None:
    """Two bundles with the same seed, fraction and settings but different recorded val membership
    (carved by meddx versions whose near-copy search differed) shared one reading: the second was
    scored on the first's val, which may hold samples it trained on. The recorded membership is part
    of the reading now, so each reads back its own val and the refusal of different vals applies."""
    from types import SimpleNamespace

    from meddx.data.carve_groups import NEAR_COPY_SETTINGS
    from meddx.evaluation.compare_pair import _carved_message, _reading_key

    def bundle(name: str, n_val: int) -> SimpleNamespace:
        training = {"seed": 0, "val_fraction": 0.1, "val_near_copies": NEAR_COPY_SETTINGS,
                    "val_membership": {"scheme": 1, "n": 100, "n_val": n_val, "sha256": "s", "val": f"v{n_val}"}}
        return SimpleNamespace(name=name, config={"training": training})

    a, b = bundle("a", 10), bundle("b", 11)
    assert _reading_key(a, True) != _reading_key(b, True)
    assert _reading_key(a, True) == _reading_key(bundle("a2", 10), True)
    assert "val membership recorded (11 samples)" in _carved_message(a, b, ["x"], ["y"], "d", "val")
