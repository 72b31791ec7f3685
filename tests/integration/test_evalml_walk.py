"""``meddx evaluate`` on multi-label (and binary) image bundles, walked as a clinical researcher would,
every printed number recomputed with scikit-learn from ``predictions.csv``.

Found by the walk (task "evalml"):

- a multi-label bundle's own per-label thresholds got no line, and the ``--operating-point`` lines named
  neither their threshold nor PPV/NPV;
- a malformed ``--operating-point`` rule (``sens>=0.9``, ``sensitivity>=1.5``) was refused only after
  the test and validation splits had been read and predicted (16–20 s on 300 images), and the message
  did not name the flag; on a segmentation bundle the flag was ignored without a word;
- two byte-identical images got probabilities a float32 step apart when one was predicted in a pass of
  its own (the split's last, 17 images of 256 px: 16 + 1), so a positive and a negative copy of one
  image counted 0 or 1 in the AUC instead of a tie's ½, and the printed AUC moved.

The bundles are untrained networks whose thresholds sit between their own probabilities, so every
decision splits the cases; nothing here trains.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix, roc_auc_score

from tests.integration.cli_helpers import run_cli

ML_LABELS = ["a|b", "a", "b", ""]


def _write_manifest(root: Path, rows: list[tuple[np.ndarray, str, str]]) -> Path:
    from PIL import Image

    (root / "img").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "split"])
        for i, (image, label, split) in enumerate(rows):
            Image.fromarray(image).save(root / f"img/{i}.png")
            writer.writerow([f"img/{i}.png", label, split])
    return root / "manifest.csv"


def _bundle(path: Path, task: str, names: list[str], size: int = 28) -> Path:
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((size, size), 1).fit([rng.integers(0, 256, (1, size, size), dtype=np.uint8)
                                                  for _ in range(4)])
    config = {"name": path.name, "task": task, "label_names": names, "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": size}, "num_classes": len(names)},
              "preprocessing": pre.to_dict(), "decision": {"threshold": None}, "tta": []}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=len(names), image_size=size)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")


def _set_decision(bundle: Path, decision: dict) -> None:
    config = json.loads((bundle / "config.json").read_text())
    config["decision"] = decision
    (bundle / "config.json").write_text(json.dumps(config))


def _predictions(folder: Path, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    with (folder / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return (np.array([json.loads(r["label"]) for r in rows]),
            np.array([[float(r[f"p_{n}"]) for n in names] for r in rows]))


def _rates(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    tn, fp, fn, tp = confusion_matrix(y, (p >= threshold).astype(int), labels=[0, 1]).ravel()
    return {"sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp), "PPV": tp / (tp + fp), "NPV": tn / (tn + fn)}


@pytest.fixture
def multilabel(tmp_path: Path) -> tuple[Path, Path]:
    """A multi-label manifest (train/val/test, 24 images each) and a bundle whose per-label thresholds
    are the medians of its own test probabilities."""
    rng = np.random.default_rng(3)
    rows = [(rng.integers(0, 256, (28, 28), dtype=np.uint8), ML_LABELS[i % 4], split)
            for split in ("train", "val", "test") for i in range(24)]
    manifest = _write_manifest(tmp_path / "data", rows)
    bundle = _bundle(tmp_path / "ml", "multilabel", ["a", "b"])
    from meddx.bundle.bundle import load_bundle

    test = [r[0][None] for r in rows if r[2] == "test"]
    probs = load_bundle(bundle).predict_arrays(test)
    _set_decision(bundle, {"rule": "youden", "threshold": None, "chosen_on": "val", "class_thresholds": {
        n: float(np.median(probs[:, k])) for k, n in enumerate(["a", "b"])}})
    return manifest, bundle


def test_multilabel_walk_every_printed_rate_is_sklearns(multilabel: tuple[Path, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    manifest, bundle = multilabel
    out = tmp_path / "ev"
    res = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--operating-point", "sensitivity>=0.5",
                   "--bootstrap", "50", "--out", str(out), "--no-report", "--no-verify"], capsys)
    assert res.code == 0, res.err
    metrics = json.loads((out / "metrics.json").read_text())
    y, p = _predictions(out, ["a", "b"])
    lines = res.out.splitlines()
    (extra,) = metrics["operating_points"]
    printed = 0
    for k, name in enumerate(["a", "b"]):
        for prefix, threshold in ((f"  {name}: threshold ", metrics["threshold"][k]),
                                  (f"  sensitivity>=0.5 ({name}): ", extra["class_thresholds"][name])):
            (line,) = [x for x in lines if x.startswith(prefix)]
            assert f"threshold {threshold:.3f}" in line
            for rate, value in _rates(y[:, k], p[:, k], threshold).items():
                assert re.search(rf"  {rate} {value:.3f} \(\d\.\d{{3}}–\d\.\d{{3}}\)", line), (rate, value, line)
                printed += 1
    assert printed == 16
    assert metrics["operating_point"]["measured"]["b"]["threshold"] == metrics["threshold"][1]


@pytest.mark.parametrize(("rule", "expected"), [
    ("sens>=0.9", "unknown rule (did you mean 'sensitivity>=0.9'?)"),
    ("sensitivity>=1.5", "the target must be in [0, 1] (a proportion: 0.95, not 95); got 1.5"),
    ("sensitivity=0.9", "write the target as 'sensitivity>=X' (at least X, X in [0, 1]); got '='"),
])
def test_a_malformed_rule_is_refused_before_any_prediction(multilabel: tuple[Path, Path], rule: str, expected: str,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.evaluation.evaluate as evaluate

    def predicted(*args: object, **kwargs: object) -> None:
        raise AssertionError("the split was predicted before the rule was checked")

    monkeypatch.setattr(evaluate, "predict_split", predicted)
    manifest, bundle = multilabel
    res = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--operating-point", "youden",
                   "--operating-point", rule], capsys)
    assert res.code == 2, res.err
    (line,) = res.err.strip().splitlines()
    assert line.startswith(f"meddx: error: --operating-point: threshold rule {rule!r}: {expected}; valid rules: ")


def test_operating_point_on_a_segmentation_bundle_is_refused(multilabel: tuple[Path, Path],
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """It was ignored without a word (segmentation evaluations choose no thresholds)."""
    import meddx.cli.evaluate as cli
    import meddx.evaluation.seg_evaluate as seg

    def evaluated(*args: object, **kwargs: object) -> None:
        raise AssertionError("evaluated although --operating-point cannot apply")

    monkeypatch.setattr(cli, "_is_segmentation_bundle", lambda bundle: True)
    monkeypatch.setattr(seg, "evaluate_seg_bundle", evaluated)
    manifest, bundle = multilabel
    res = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--operating-point", "youden"], capsys)
    assert res.code == 2, res.err
    assert "--operating-point 'youden': bundle" in res.err and "segments images" in res.err


def test_identical_images_get_identical_probabilities_and_the_auc_of_a_tie(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """17 images of 256 px (16 a pass): image 16 is image 0 byte for byte, with the other label. Predicted
    alone in a last pass of one, it got a probability a float32 step from its twin's."""
    rng = np.random.default_rng(5)
    images = [rng.integers(0, 256, (256, 256), dtype=np.uint8) for _ in range(16)]
    labels = ["neg", "pos"] * 8
    rows = [(img, lab, "test") for img, lab in zip(images, labels)] + [(images[0].copy(), "pos", "test")]
    manifest = _write_manifest(tmp_path / "data", rows)
    bundle = _bundle(tmp_path / "bin", "binary", ["neg", "pos"], size=256)
    _set_decision(bundle, {"rule": "fixed:0.5", "threshold": 0.5, "chosen_on": "val"})
    out = tmp_path / "ev"
    res = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--bootstrap", "0", "--out", str(out),
                   "--no-report", "--no-verify"], capsys)
    assert res.code == 0, res.err
    y, p = _predictions(out, ["neg", "pos"])
    assert p[16, 1] == p[0, 1]  # byte-identical inputs, bit-identical probabilities
    tied = roc_auc_score(y, p[:, 1])  # the twins tie: ½ of a pair
    assert json.loads((out / "metrics.json").read_text())["auc"] == pytest.approx(tied, abs=1e-12)
    assert res.out.startswith(f"test: n=17  AUC {tied:.3f}  ")


def test_evaluate_bundle_checks_its_rules_before_predicting(multilabel: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python API refuses the same rules before reading the split (no flag to name there)."""
    import meddx.evaluation.evaluate as evaluate
    from meddx.core.errors import ConfigError

    def predicted(*args: object, **kwargs: object) -> None:
        raise AssertionError("the split was predicted before the rule was checked")

    monkeypatch.setattr(evaluate, "predict_split", predicted)
    manifest, bundle = multilabel
    with pytest.raises(ConfigError, match=r"^threshold rule 'ppv>=90': the target must be in \[0, 1\]"):
        evaluate.evaluate_bundle(bundle, str(manifest), settings=evaluate.EvalSettings(extra_rules=["ppv>=90"]))
