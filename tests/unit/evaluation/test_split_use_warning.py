"""``split_use_warning``: evaluating the split a bundle was fitted (train) or selected (val) on says
so, naming only what the bundle's own ``config.json`` records as chosen there.

Found by an acceptance walk: ``meddx evaluate BUNDLE --data SRC --split val`` printed and wrote
metrics with no word that the threshold, temperature and kept epoch had been chosen on those
very samples, so they could be mistaken for test results.
"""

from __future__ import annotations

from pathlib import Path

from meddx.evaluation.split_use import chosen_on_val, split_use_warning


def _config(data: str | None, **extra: object) -> dict:
    config: dict = {"name": "cxr", "task": "binary",
                    "decision": {"rule": "youden", "threshold": 0.31, "class_thresholds": None, "chosen_on": "val"},
                    "calibration": {"temperature": 1.4, "fitted_on": "val", "method": "temperature"},
                    "training": {"kept_epoch": ["best"], "epochs": 20, "epochs_run": 7}}
    if data is not None:
        config["training"]["data"] = data
    config.update(extra)
    return config


def test_val_of_the_training_source_names_what_was_chosen_on_it(tmp_path: Path) -> None:
    src = tmp_path / "m.csv"
    src.write_text("path,label\n")
    w = split_use_warning(_config(str(src)), str(src), "val")
    assert w is not None and w.startswith("val is not held out for bundle 'cxr': ")
    for part in ("decision threshold (youden)", "calibration temperature 1.40;", "best validation score was kept",
                 "early stopping on it ended training after epoch 7 of 20", "not test results"):
        assert part in w
    train = split_use_warning(_config(str(src)), str(src), "train")
    assert train is not None and "weights were fitted on it" in train and "threshold" not in train


def test_test_split_and_another_source_carry_none(tmp_path: Path) -> None:
    src, other = tmp_path / "m.csv", tmp_path / "external.csv"
    for f in (src, other):
        f.write_text("path,label\n")
    assert split_use_warning(_config(str(src)), str(src), "test") is None
    assert split_use_warning(_config(str(src)), str(other), "val") is None
    assert split_use_warning(_config(str(src)), str(other), "train") is None
    # a relative spelling of the training file is the training file
    import os

    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert split_use_warning(_config(str(src)), "m.csv", "val") is not None
    finally:
        os.chdir(cwd)


def test_a_bundle_recording_no_source_is_worded_conditionally(tmp_path: Path) -> None:
    w = split_use_warning(_config(None), "medmnist:pneumoniamnist", "val")
    assert w is not None and w.startswith("if medmnist:pneumoniamnist is the source bundle 'cxr' was trained on "
                                          "(it records none), its val split is not held out")
    assert split_use_warning(_config("medmnist:pneumoniamnist"), "medmnist:pneumoniamnist", "val") is not None
    assert split_use_warning(_config("medmnist:pneumoniamnist"), "medmnist:chestmnist", "val") is None


def test_only_what_the_bundle_records_is_named() -> None:
    argmax = _config("x", decision={"rule": "argmax", "threshold": None, "class_thresholds": None, "chosen_on": "val"},
                     calibration={"temperature": 1.0, "fitted_on": None, "method": None})
    argmax["training"] = {"kept_epoch": ["final"], "epochs": 5, "epochs_run": 5}
    assert chosen_on_val(argmax) == []  # argmax, no temperature, final epoch: nothing chosen on val
    assert split_use_warning(argmax, "x", "val") is None
    assert split_use_warning(argmax, "x", "train") is not None  # still trained on
    cut = _config("x")
    cut["training"]["cut_epoch"] = {"epoch": 6, "batches": 3, "of": 9}  # the time limit, not early stopping
    assert not any("early stopping" in c for c in chosen_on_val(cut))
    per_label = _config("x", decision={"rule": "f1", "threshold": 0.5, "class_thresholds": {"a": 0.2, "b": 0.7},
                                       "chosen_on": "val"})
    assert "the decision thresholds (f1)" in chosen_on_val(per_label)
    federated = _config("x", decision={"rule": "fixed:0.5", "threshold": 0.5, "chosen_on": None})
    assert not any("threshold" in c for c in chosen_on_val(federated))


def test_segmentation_postprocessing_chosen_on_val() -> None:
    seg = {"name": "hip", "task": "segmentation", "training": {"data": "x", "kept_epoch": ["best"]},
           "postprocess": {"largest_component": {"head": True}, "evidence": {"chosen_on": "val", "n": 4}}}
    w = split_use_warning(seg, "x", "val")
    assert w is not None and "test-time passes (mirroring, shifts, zoom) and post-processing" in w
    assert "best validation score" in w
