"""The model card is filled from run facts and lists what the developer must still add."""

from __future__ import annotations

from meddx.bundle.model_card import TRIPOD_AI_ITEMS, limitations, render_model_card


def _interval(estimate: float, lo: float, hi: float) -> dict:
    return {"estimate": estimate, "percentile": [lo, hi], "bca": [lo, hi], "n_valid": 1000}


def _cfg(**card: str) -> dict:
    return {
        "name": "chest", "task": "binary", "label_names": ["normal", "pneumonia"],
        "model": {"name": "resnet18", "args": {"in_channels": 1}},
        "preprocessing": {"channels": 1, "spatial_size": [28, 28], "scaling": "dtype"},
        "decision": {"rule": "sensitivity>=0.95", "threshold": 0.3125, "class_thresholds": None,
                     "val": {"sensitivity": 0.96, "specificity": 0.81}},
        "calibration": {"temperature": 1.7, "fitted_on": "val"},
        "tta": ["hflip"], "card": card,
        "training": {"data": "medmnist:pneumoniamnist", "seed": 0, "val_fraction": 0.1, "source_notes": [],
                     "plan": {"epochs": 30, "batch_size": 128}, "plan_reasons": {"epochs": "fits the time budget"}},
    }


def _split_metrics(n: int, auc: float) -> dict:
    cal = {"ece": 0.08, "ece_adaptive": 0.07, "mce": 0.2, "brier": 0.1}
    pc = {"sensitivity": 0.95, "specificity": 0.8, "ppv": 0.9, "npv": 0.9, "f1": 0.92, "support": n // 2}
    return {
        "n": n, "auc": auc, "auprc": 0.95, "accuracy": 0.9, "balanced_accuracy": 0.88,
        "per_class": {"normal": pc, "pneumonia": pc},
        "ci": {"auc": _interval(auc, auc - 0.08, min(auc + 0.03, 1.0)), "per_class": {}},
        "calibration": {"before": cal, "after": {**cal, "ece": 0.02}},
    }


def _metrics(leakage: bool = True) -> dict:
    dataset = {
        "label_names": ["normal", "pneumonia"],
        "splits": {"train": {"n": 4708, "classes": {"normal": 1214, "pneumonia": 3494}, "patients": None},
                   "test": {"n": 80, "classes": {"normal": 50, "pneumonia": 30}, "patients": None}},
        "duplicates": {"checked": True, "exact_groups": 3, "near_groups": 1, "cross_split": 4 if leakage else 0,
                       "conflicting_labels": 1, "patients_across_splits": 0, "leakage": leakage},
    }
    return {"val": _split_metrics(500, 0.99), "test": _split_metrics(80, 0.9), "dataset": dataset}


def test_card_is_filled_from_the_run() -> None:
    card = render_model_card(_cfg(intended_use="Triage of paediatric chest X-rays", outcome="Radiologist consensus"),
                             _metrics())
    assert "Triage of paediatric chest X-rays" in card and "Radiologist consensus" in card
    assert "0.900 (0.820–0.930)" in card  # test AUC with its BCa interval
    assert "P(pneumonia) >= 0.3125" in card and "`sensitivity>=0.95`" in card
    assert "T = 1.700" in card
    assert "| test | 80 | n/a | 50 | 30 |" in card
    assert "| test | 0.080 | 0.020 |" in card  # ECE before/after on test
    for item, topic, _ in TRIPOD_AI_ITEMS:
        assert f"| {item} | {topic} |" in card


def test_missing_user_fields_are_marked_to_fill() -> None:
    card = render_model_card(_cfg(), _metrics())
    intended = card.split("## Intended use")[1].split("##")[0]
    assert "**to fill**" in intended
    assert "Not assessed: no attributes file" in card


def test_limitations_the_run_can_see() -> None:
    found = " ".join(limitations(_cfg(), _metrics()))
    assert "Small test split (n=80)" in found
    assert "4 samples whose content also appears on another split" in found
    assert "1 groups of duplicate images carry different labels" in found
    assert "Test AUC (0.900) is well below validation AUC (0.990)" in found
    assert "Class 'normal' makes up 26% of training but 62% of test" in found
    clean = " ".join(limitations(_cfg(), _metrics(leakage=False)))
    assert "copy" not in clean and "optimistic" not in clean
    patients_only = _metrics()
    patients_only["dataset"]["duplicates"].update(cross_split=0, patients_across_splits=40)
    found = " ".join(limitations(_cfg(), patients_only))
    assert "found 40 patients with samples on more than one split: test numbers may be optimistic" in found
    assert "0 samples" not in found.split("Data verify found")[1]



def test_the_kept_epoch_is_named_in_both_countings() -> None:
    """The card said "the weights are those after epoch 1" for a run whose checkpoint was
    `best-epoch=000.ckpt` and whose logs call that epoch 0: the reader had to guess the counting."""
    cfg = _cfg()
    cfg["training"].update(epochs_run=30, kept_weights_epoch=0, kept_epoch=["best"])
    card = render_model_card(cfg, _metrics())
    assert "epochs run: 30 of 30 planned; the weights are those after epoch 1 (counted from 1; epoch 0 in the " \
           "run's logs and checkpoint names, which count from 0)" in card
