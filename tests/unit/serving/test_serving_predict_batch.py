"""``predict_batch``: an answer never depends on the other inputs of its micro-batch."""

from __future__ import annotations

import numpy as np

from meddx.serving.models import predict_batch


class PaddedText:
    """A text predictor whose probabilities depend on padding, as a batched RNN's can: every
    text is padded to the longest of its batch, and each pad token nudges the score."""

    config = {"modality": "text"}
    task = "binary"
    label_names = ["no", "yes"]
    threshold = 0.5
    class_thresholds = None

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict_texts(self, texts: list[str], calibrated: bool = True) -> np.ndarray:
        self.calls.append(len(texts))
        longest = max(len(t) for t in texts)
        p = np.array([min(1.0, len(t) / 10 + 1e-7 * (longest - len(t))) for t in texts])
        return np.stack([1 - p, p], axis=1)

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        return probs

    def decide(self, probs: np.ndarray) -> list[str]:
        return [self.label_names[int(p[1] >= self.threshold)] for p in probs]


def test_each_input_is_answered_as_if_it_came_alone_by_default() -> None:
    texts = ["abcde", "a", "abcdefghi"]  # "abcde": exactly at the threshold when alone
    predictor = PaddedText()
    alone = [predict_batch(predictor, [t])[0] for t in texts]
    together = predict_batch(predictor, texts)
    assert together == alone
    assert together[0]["label"] == "yes" and together[0]["probabilities"]["yes"] == 0.5


def test_shared_forward_pass_is_one_call_when_asked() -> None:
    predictor = PaddedText()
    out = predict_batch(predictor, ["abcde", "a", "abcdefghi"], shared=True)
    assert predictor.calls == [3] and len(out) == 3
    assert out[0]["probabilities"]["yes"] != 0.5  # what the default avoids: the padding moved it
