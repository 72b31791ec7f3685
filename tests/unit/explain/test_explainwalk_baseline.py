"""The faithfulness report says what the removed pixels were set to, also where that is no training mean."""

from __future__ import annotations

from types import SimpleNamespace

from meddx.explain.evaluate import baseline_note


def _predictor(mean: list[float], **config: object) -> SimpleNamespace:
    return SimpleNamespace(preprocessor=SimpleNamespace(mean_=mean), config=dict(config))


def test_a_fitted_normalisation_is_the_training_mean() -> None:
    note = baseline_note(_predictor([0.4466]))
    assert "0.447" in note and "the training mean" in note


def test_a_private_or_federated_bundle_is_not_said_to_use_the_training_mean() -> None:
    """Found walking the report: ``settings.baseline`` read "(the training mean)" for every bundle,
    but differentially private and federated bundles normalise at a fixed 0.5 +- 0.5 (mid-grey)."""
    for config in ({"privacy": {"epsilon": 3.0}}, {"federated": {"rounds": 2}}):
        note = baseline_note(_predictor([0.5, 0.5, 0.5], **config))
        assert "training mean" not in note and "fixed" in note and "0.5, 0.5, 0.5" in note
