"""What /v1/models says about a bundle: the operating point and its sensitivity/specificity."""

from __future__ import annotations

from meddx.serving.summary import PER_LABEL_DEPRECATED, card_summary, headline, model_summary, operating_point

CONFIG = {"task": "binary", "label_names": ["normal", "lesion"], "model": {"name": "seed-cnn"},
          "preprocessing": {"spatial_size": [28, 28], "channels": 1},
          "decision": {"rule": "youden", "threshold": 0.61234567, "chosen_on": "val"},
          "calibration": {"temperature": 0.5, "fitted_on": "val"}, "card": {"intended_use": "triage"}}
METRICS = {
    "val": {"n": 100, "auc": 0.9, "per_class": {"lesion": {"sensitivity": 0.8, "specificity": 0.7},
                                                 "normal": {"sensitivity": 0.7, "specificity": 0.8}},
            "ci": {"auc": {"bca": [0.85, 0.95]}}},
    "test": {"n": 200, "auc": 0.88, "accuracy": 0.81,
             "per_class": {"lesion": {"sensitivity": 0.75, "specificity": 0.72, "ppv": 0.7}}},
    "dataset": {"splits": {"train": {"n": 300, "classes": {"normal": 150, "lesion": 150}}}},
}


def test_binary_operating_point_reports_the_positive_class() -> None:
    op = operating_point(CONFIG, METRICS)
    assert op["positive_label"] == "lesion" and op["threshold"] == 0.612346 and op["rule"] == "youden"
    assert op["val"]["sensitivity"] == 0.8 and op["val"]["specificity"] == 0.7
    assert op["test"] == {"n": 200, "sensitivity": 0.75, "specificity": 0.72, "ppv": 0.7, "npv": None}


def test_multiclass_gives_per_class_values() -> None:
    config = {**CONFIG, "task": "multiclass", "label_names": ["a", "b", "c"], "decision": {"rule": "argmax"}}
    metrics = {"test": {"n": 5, "per_class": {k: {"sensitivity": 0.5, "specificity": 0.9} for k in "abc"}}}
    op = operating_point(config, metrics)
    assert op["positive_label"] is None and set(op["test"]["per_class"]) == {"a", "b", "c"}


def test_headline_and_summary_and_card() -> None:
    h = headline(METRICS)
    assert h["val_auc"] == {"value": 0.9, "ci95": [0.85, 0.95]} and h["test_accuracy"]["ci95"] is None
    s = model_summary("lesions", 3, "production", CONFIG, METRICS, ["gradcam"])
    assert s["version"] == 3 and s["modality"] == "image" and s["input"]["spatial_size"] == [28, 28]
    assert s["calibration"]["temperature"] == 0.5
    card = card_summary(CONFIG, METRICS, "# card")
    assert card["intended_use"] == "triage" and card["splits"]["train"]["n"] == 300
    assert "not stated" in card["outcome"]


def test_a_table_bundle_asks_for_a_row_with_its_feature_columns() -> None:
    """A table bundle once said `{"kind": "series", "body": '{"record": ...}'}`: a client following
    /v1/models sent a record and got 422 'takes "row"'."""
    config = {"task": "binary", "label_names": ["healthy", "disease"], "modality": "tabular",
              "model": {"name": "logreg"}, "features": {"numeric": ["marker", "bp"], "categorical": ["site"]}}
    spec = model_summary("tab", 1, "latest", config, {}, [])["input"]
    assert spec["kind"] == "tabular" and '"row"' in spec["body"]
    assert spec["numeric"] == ["marker", "bp"] and spec["categorical"] == ["site"]
    series = model_summary("icu", 1, "latest", {**config, "modality": "series"}, {}, [])["input"]
    assert series["kind"] == "series" and '"record"' in series["body"]


def test_a_multilabel_bundle_shows_its_temperature_per_label() -> None:
    config = {**CONFIG, "task": "multilabel", "label_names": ["a", "b"], "decision": {"rule": "youden"},
              "calibration": {"temperature": [1.312345, 0.88], "fitted_on": "val", "not_fitted": ["b"]}}
    calibration = model_summary("m", 1, "staging", config, METRICS, [])["calibration"]
    temperatures = {"a": 1.3123, "b": 0.88}
    assert calibration == {"temperature": [1.3123, 0.88], "fitted_on": "val", "temperature_by_label": temperatures,
                           "per_label": temperatures, "deprecated": {"per_label": PER_LABEL_DEPRECATED},
                           "not_fitted": ["b"]}
    one = model_summary("lesions", 3, "production", CONFIG, METRICS, [])["calibration"]
    assert not {"per_label", "temperature_by_label", "deprecated"} & set(one)


def test_temperatures_per_label_have_a_name_apart_from_the_metrics_per_label_measurements() -> None:
    """``calibration.per_label`` of ``GET /v1/models`` held temperatures, while ``calibration.per_label`` of
    metrics.json holds measurements (ECE...): the temperatures are now ``temperature_by_label``; ``per_label``
    stays, the same numbers, marked deprecated, so that clients reading it keep working."""
    config = {**CONFIG, "task": "multilabel", "label_names": ["a", "b"], "decision": {"rule": "youden"},
              "calibration": {"temperature": [1.5, 0.75], "fitted_on": "val"}}
    calibration = model_summary("m", 1, "staging", config, METRICS, [])["calibration"]
    assert calibration["temperature_by_label"] == {"a": 1.5, "b": 0.75}
    assert calibration["per_label"] == calibration["temperature_by_label"]
    assert "deprecated" in calibration["deprecated"]["per_label"]
    assert "temperature_by_label" in calibration["deprecated"]["per_label"]
