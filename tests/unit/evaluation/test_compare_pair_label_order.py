"""``compare``'s second bundle put in the first's label order (``compare_pair.in_label_order`` and
``thresholds_in_order``): multi-class weights and per-class thresholds, multi-label columns, and the
refusals that remain (other labels, segmentation structures in another order)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from meddx.evaluation.compare import correctness, delong_per_class
from meddx.evaluation.compare_pair import in_label_order, order_note, refusal, thresholds_in_order
from meddx.evaluation.evaluate import SplitPredictions

NAMES = ["akiec", "bcc", "mel"]
ORDER = [2, 0, 1]  # b's column k holds class NAMES[ORDER[k]]


def _bundle(names: list[str], task: str, decision: dict) -> SimpleNamespace:
    from meddx.evaluation.operating import thresholds_of

    return SimpleNamespace(name="b", label_names=names, task=task, config={"decision": decision},
                           decision_thresholds=thresholds_of(decision, names))


def test_multiclass_weighted_decision_is_the_same_in_either_order() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=60)
    y = rng.integers(0, 3, 60)
    weights = [1.0, 2.5, 0.6]
    ordered = _bundle(NAMES, "multiclass", {"class_weights": weights,
                                            "class_thresholds": {"akiec": 0.2, "bcc": 0.3, "mel": 0.4}})
    names_b = [NAMES[k] for k in ORDER]
    other = _bundle(names_b, "multiclass", {"class_weights": [weights[k] for k in ORDER],
                                            "class_thresholds": {"akiec": 0.2, "bcc": 0.3, "mel": 0.4}})
    preds = SplitPredictions("test", [str(i) for i in range(60)], np.argsort(ORDER)[y], probs[:, ORDER],
                             scores=np.log(probs[:, ORDER]))
    back = in_label_order(preds, names_b, names_b, NAMES, "multiclass")
    assert np.array_equal(back.probs, probs) and np.array_equal(back.labels, y)
    assert np.array_equal(back.scores, np.log(probs))
    assert thresholds_in_order(other, NAMES) == ordered.decision_thresholds
    assert np.array_equal(correctness(y, back.probs, "multiclass", thresholds_in_order(other, NAMES)),
                          correctness(y, probs, "multiclass", ordered.decision_thresholds))
    assert delong_per_class(y, probs, back.probs, "multiclass", NAMES)["mel"]["difference"] == 0


def test_multilabel_columns_and_labels_read_by_another_source_order() -> None:
    y = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]])
    probs = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.7], [0.6, 0.55, 0.2]])
    names_b = [NAMES[k] for k in ORDER]
    # b's probabilities in b's order, its labels as a source read in A's order (a shared reading)
    preds = SplitPredictions("test", ["1", "2", "3"], y, probs[:, ORDER])
    back = in_label_order(preds, names_b, NAMES, NAMES, "multilabel")
    assert np.array_equal(back.probs, probs) and np.array_equal(back.labels, y)
    b = _bundle(names_b, "multilabel", {"class_thresholds": {"akiec": 0.5, "bcc": 0.6, "mel": 0.65}})
    assert thresholds_in_order(b, NAMES) == [0.5, 0.6, 0.65]


def test_binary_threshold_is_read_on_the_other_class() -> None:
    b = _bundle(["pos", "neg"], "binary", {"threshold": 0.25})
    assert thresholds_in_order(b, ["neg", "pos"]) == 0.75
    assert thresholds_in_order(_bundle(["pos", "neg"], "binary", {}), ["neg", "pos"]) is None  # 0.5 either way
    a = SimpleNamespace(name="a", label_names=["neg", "pos"], task="binary")
    assert "1 - t" in order_note(a, b) and order_note(a, a) is None


def test_other_labels_and_reordered_segmentation_structures_are_refused() -> None:
    def bundle(name: str, task: str, names: list[str]) -> SimpleNamespace:
        return SimpleNamespace(name=name, task=task, label_names=names)

    assert refusal(bundle("a", "multiclass", NAMES), bundle("b", "multiclass", NAMES[::-1])) is None
    assert "only 'a': ['mel']; only 'b': ['nv']" in refusal(bundle("a", "multiclass", NAMES),
                                                            bundle("b", "multiclass", ["akiec", "bcc", "nv"]))
    message = refusal(bundle("a", "segmentation", ["background", "lesion"]),
                      bundle("b", "segmentation", ["lesion", "background"]))
    assert message and "same structures in another order" in message
