"""``meddx compare`` of bundles that predict other things says which difference it is (stop 49's walk).

Two Cleveland heart-disease bundles trained with ``--positive-labels 1,2,3,4`` and ``--positive-labels 0``
hold the same two labels in the other order; the refusal said they "predict different things", which
sent the user looking for another cause. Each case now says what differs and what was expected,
before any prediction; since stop 50 the same labels in another order are no longer refused but
compared in A's order.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from meddx.core.errors import DataError
from meddx.evaluation import compare


def _refusal(monkeypatch: pytest.MonkeyPatch, a: SimpleNamespace, b: SimpleNamespace) -> str:
    bundles = {"a": a, "b": b}
    monkeypatch.setattr("meddx.registry.store.resolve_bundle_path", lambda name: name)
    monkeypatch.setattr("meddx.bundle.bundle.load_bundle", lambda path: bundles[path])

    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("predicted")

    monkeypatch.setattr("meddx.evaluation.compare_pair.predict_both", never)
    with pytest.raises(DataError) as info:
        compare.compare_bundles("a", "b", "data.csv")
    assert "\n" not in str(info.value)
    return str(info.value)


def _bundle(name: str, task: str, labels: list[str]) -> SimpleNamespace:
    return SimpleNamespace(name=name, task=task, label_names=labels)


def test_the_same_labels_in_another_order_go_on_to_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Since stop 50 they are compared in A's order (tests/integration/test_compare_label_order.py)."""
    bundles = {"a": _bundle("heart", "binary", ["num=0", "num in {1,2,3,4}"]),
               "b": _bundle("heartneg", "binary", ["num in {1,2,3,4}", "num=0"])}
    monkeypatch.setattr("meddx.registry.store.resolve_bundle_path", lambda name: name)
    monkeypatch.setattr("meddx.bundle.bundle.load_bundle", lambda path: bundles[path])

    def predicted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("predicted")

    monkeypatch.setattr("meddx.evaluation.compare_pair.predict_both", predicted)
    with pytest.raises(RuntimeError, match="predicted"):
        compare.compare_bundles("a", "b", "data.csv")


def test_another_task(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _refusal(monkeypatch, _bundle("heart", "binary", ["num=0", "num=1"]),
                       _bundle("heartmc", "multiclass", ["num=0", "num=1", "num=2"]))
    assert "'heart' is binary and bundle 'heartmc' is multiclass" in message and "same task" in message


def test_other_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _refusal(monkeypatch, _bundle("a5", "multiclass", ["a", "b", "c"]),
                       _bundle("a4", "multiclass", ["a", "b", "d"]))
    assert "only 'a5': ['c']; only 'a4': ['d']" in message and "expected the same labels" in message
