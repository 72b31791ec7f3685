"""``GET /v1/models`` and the web page show a multi-label bundle's calibration per label (``calibration.by_label``):
ECE before and after its temperature, calibration-in-the-large after it, mean predicted risk and prevalence,
from ``calibration.per_label`` of the bundle's ``metrics.json`` (test split, else val), as the model card's
table does. Bundles without it (binary, multi-class, multi-label bundles evaluated before) have no field.

Before, only each label's temperature was shown (``calibration.per_label``), not what it did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from meddx.evaluation.label_calibration import per_label_calibration
from meddx.serving.summary import model_summary
from tests.unit.bundle.test_label_temperature_bundle import NAMES, _bundle
from tests.unit.serving.test_card_decision_words import _card_text

CALIBRATION = {"temperature": [3.0, 1.0, 0.6], "fitted_on": "val", "method": "m", "not_fitted": ["half"]}


def _per_label(seed: int = 0, n: int = 200) -> dict[str, Any]:
    """``calibration.per_label`` as evaluation writes it, for NAMES (rare, half, common) on ``n`` cases."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < [0.1, 0.5, 0.8]).astype(int)
    raw = np.clip(0.6 * y + rng.random((n, 3)) * 0.4, 0.01, 0.99)
    scaled = 1 / (1 + np.exp(-np.log(raw / (1 - raw)) / np.array(CALIBRATION["temperature"])))
    return per_label_calibration(y, scaled, raw, NAMES)


def _metrics(per_label: dict[str, Any] | None, split: str = "test") -> dict[str, Any]:
    calibration = {"before": {"ece": 0.1}, **({"per_label": per_label} if per_label is not None else {})}
    return {split: {"n": 200, "calibration": calibration}}


def _expected(per_label: dict[str, Any], split: str = "test") -> dict[str, Any]:
    def r(v: Any) -> Any:
        return None if v is None else round(float(v), 4)

    return {"split": split, "labels": {name: {
        "n": e["n"], "n_positive": e["n_positive"], "ece_before": r(e["before"]["ece"]),
        "ece_after": r((e["after"] or {}).get("ece")), "in_the_large_after": r((e["after"] or {}).get("in_the_large")),
        "mean_predicted_after": r((e["after"] or {}).get("mean_predicted")), "prevalence": r(e["observed_rate"])}
        for name, e in per_label.items()}}


def _config(**calibration: Any) -> dict[str, Any]:
    return {"task": "multilabel", "label_names": NAMES, "model": {"name": "seed-cnn"},
            "decision": {"rule": "youden", "threshold": None, "class_thresholds": dict.fromkeys(NAMES, 0.5)},
            "calibration": {**CALIBRATION, **calibration}}


def test_the_summary_gives_each_labels_calibration_from_the_metrics() -> None:
    per_label = _per_label()
    summary = model_summary("m", 1, "production", _config(), _metrics(per_label), [])["calibration"]
    assert summary["by_label"] == _expected(per_label)
    assert summary["per_label"] == {"rare": 3.0, "half": 1.0, "common": 0.6}  # the temperatures, as before
    only_val = model_summary("m", 1, "production", _config(), _metrics(per_label, "val"), [])["calibration"]
    assert only_val["by_label"] == _expected(per_label, "val")


def test_bundles_without_per_label_calibration_have_no_field() -> None:
    for config, metrics in ((_config(), _metrics(None)), (_config(), {}),
                            ({**_config(), "task": "binary", "label_names": ["no", "yes"],
                              "calibration": {"temperature": 1.5, "fitted_on": "val"}}, _metrics(_per_label()))):
        assert "by_label" not in model_summary("m", 1, "production", config, metrics, [])["calibration"]


def test_get_v1_models_shows_the_calibration_per_label_of_the_served_bundle(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from meddx.serving.app import create_app
    from tests.integration.serve_helpers import auth, data_root, make_home, test_settings

    per_label = _per_label(seed=1)
    bundle = _bundle(tmp_path, CALIBRATION)  # v1: as evaluated before calibration.per_label existed
    (bundle / "metrics.json").write_text(json.dumps(_metrics(None)))
    home = make_home(bundle, tmp_path / "home")
    (home["v2"] / "metrics.json").write_text(json.dumps(_metrics(per_label)))  # v2 (served: the latest)
    monkeypatch.setenv("MEDDX_HOME", str(home["home"]))
    with data_root(home["home"]), TestClient(create_app(test_settings())) as client:
        listed = client.get("/v1/models", headers=auth(home["viewer"]))
        detail = client.get("/v1/models/m", headers=auth(home["viewer"]))
        client.post("/v1/models/m/promote", json={"version": 1}, headers=auth(home["admin"])).raise_for_status()
        after = client.get("/v1/models/m", headers=auth(home["viewer"]))
    assert listed.status_code == 200 and detail.status_code == 200 and after.status_code == 200, listed.text
    (model,) = listed.json()["models"]
    assert model["version"] == 2 and model["calibration"]["by_label"] == _expected(per_label)
    assert detail.json()["calibration"]["by_label"] == _expected(per_label)
    assert after.json()["version"] == 1 and "by_label" not in after.json()["calibration"]
    assert after.json()["calibration"]["per_label"] == {"rare": 3.0, "half": 1.0, "common": 0.6}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the page's script")
def test_the_page_card_shows_each_labels_ece_and_in_the_large() -> None:
    per_label = _per_label()
    text = _card_text(model_summary("m", 1, "production", _config(), _metrics(per_label), []))
    rare = per_label["rare"]
    assert "Calibration per label, test split: " in text, text
    assert (f"rare: ECE {rare['before']['ece']:.3f} → {rare['after']['ece']:.3f}, in the large "
            f"{rare['after']['in_the_large']:+.2f}, mean P {rare['after']['mean_predicted']:.3f} vs rate "
            f"{rare['observed_rate']:.3f}; half: ") in text, text
    many = {f"l{j}": per_label["rare"] for j in range(23)}
    text = _card_text(model_summary("m", 1, "production", _config(), _metrics(many), []))
    assert "l19: " in text and "l20: " not in text and "; 3 more labels in metrics.json" in text
    assert "Calibration per label" not in _card_text(model_summary("m", 1, "production", _config(), _metrics(None), []))
