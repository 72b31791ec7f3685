"""``predictions.csv`` of ``meddx evaluate`` carries the bundle's decision, the one ``meddx predict``
prints, and ``evaluate_bundle`` takes a predictor ``load_bundle`` already returned.

Found by an audit: the file had the probabilities but no predicted label, so a reader had to redo
the decision rule (and a binary threshold chosen on validation, or one threshold per label, is easy
to get wrong as 0.5); and ``evaluate_bundle(load_bundle(...))`` raised a bare ``TypeError``.
The bundles here are untrained networks whose thresholds are set between their own probabilities,
so every decision rule splits the cases and a rule that was not applied would show.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.integration.cli_helpers import run_cli

LABELS = {"binary": ["neg", "pos", "neg", "pos"], "multiclass": ["a", "b", "c", "a"],
          "multilabel": ["a|b", "a", "b|c", "c"]}


def _manifest(root: Path, task: str, n: int = 16) -> tuple[Path, dict[str, Path]]:
    """``n`` random 28 px PNGs, all in the test split, labelled in turn from ``LABELS[task]``."""
    from PIL import Image

    rng = np.random.default_rng(3)
    root.mkdir(parents=True)
    files = {}
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "split"])
        for i in range(n):
            rel = f"img/{i}.png"
            (root / "img").mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(root / rel)
            writer.writerow([rel, LABELS[task][i % 4], "test"])
            files[rel] = root / rel
    return root / "manifest.csv", files


def _bundle(path: Path, task: str, label_names: list[str]) -> Path:
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    rng = np.random.default_rng(0)  # statistics of images like the test's: probabilities far from 0 and 1
    pre = ImagePreprocessor((28, 28), 1).fit([rng.integers(0, 256, (1, 28, 28), dtype=np.uint8) for _ in range(4)])
    config = {"name": path.name, "task": task, "label_names": label_names, "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28},
                        "num_classes": len(label_names)},
              "preprocessing": pre.to_dict(), "decision": {"threshold": None}, "tta": []}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=len(label_names), image_size=28)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")


def _between(values: np.ndarray) -> float:
    """A threshold midway between the two middle values: half the cases on each side, none on it."""
    v = np.sort(values)
    return float((v[len(v) // 2 - 1] + v[len(v) // 2]) / 2)


def _set_decision(bundle: Path, task: str, files: list[Path]) -> None:
    """Thresholds inside the bundle's own probabilities (per label, each different, for multi-label)."""
    from meddx.bundle.bundle import load_bundle

    probs = np.array([list(p.probabilities.values()) for p in load_bundle(bundle).predict_files(files)])
    config = json.loads((bundle / "config.json").read_text())
    if task == "binary":
        config["decision"] = {"rule": "youden", "threshold": _between(probs[:, 1])}
    elif task == "multilabel":
        config["decision"] = {"rule": "youden", "threshold": 0.5, "class_thresholds": {
            name: _between(probs[:, k]) for k, name in enumerate(config["label_names"])}}
    else:
        config["decision"] = {"rule": "argmax", "threshold": None}
    (bundle / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_predictions_csv_holds_the_label_predict_prints(task: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    manifest, files = _manifest(tmp_path / "data", task)
    names = sorted({n for lab in LABELS[task] for n in lab.split("|")})
    bundle = _bundle(tmp_path / "b", task, names)
    _set_decision(bundle, task, list(files.values()))
    ev = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--out", str(tmp_path / "ev"),
                  "--bootstrap", "0", "--no-report", "--no-verify"], capsys)
    assert ev.code == 0, ev.err
    with (tmp_path / "ev" / "predictions.csv").open() as fh:
        header = next(csv.reader(fh))
        fh.seek(0)
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    # the old columns keep their places; the decision comes last
    assert header == ["id", "label", *[f"p_{n}" for n in names], "predicted"]
    pr = run_cli(["predict", str(bundle), *map(str, files.values()), "--json"], capsys)
    assert pr.code == 0, pr.err
    printed = {Path(p["source"]).relative_to(tmp_path / "data").as_posix(): p["label"]
               for p in map(json.loads, pr.out.strip().splitlines())}
    assert set(printed) == set(rows)
    for sid, label in printed.items():
        assert rows[sid]["predicted"] == (label if isinstance(label, str) else "|".join(label))
    decided = [rows[s]["predicted"] for s in sorted(rows)]
    if task == "binary":  # the stored threshold, not 0.5, splits the cases in half
        assert decided.count("pos") == len(decided) // 2
    if task == "multilabel":  # each label's own threshold: half the cases carry each label
        for name in names:
            assert sum(name in d.split("|") for d in decided) == len(decided) // 2


def test_evaluate_bundle_takes_a_loaded_predictor(tmp_path: Path) -> None:
    import meddx
    from meddx.core.errors import ConfigError

    manifest, files = _manifest(tmp_path / "data", "binary")
    bundle = _bundle(tmp_path / "b", "binary", ["neg", "pos"])
    _set_decision(bundle, "binary", list(files.values()))
    by_path, _ = meddx.evaluate_bundle(bundle, str(manifest), out=tmp_path / "a", report=False, verify=False,
                                       settings=meddx.evaluation.evaluate.EvalSettings(n_resamples=0))
    predictor = meddx.load_bundle(bundle)
    loaded, path = meddx.evaluate_bundle(predictor, str(manifest), report=False, verify=False,
                                         settings=meddx.evaluation.evaluate.EvalSettings(n_resamples=0))
    assert path.parent.parent == bundle / "evaluations"  # the default folder, inside the predictor's bundle
    assert loaded["bundle"] == by_path["bundle"] == str(bundle)
    for key in ("auc", "accuracy", "threshold", "n"):
        assert loaded[key] == by_path[key]
    assert (tmp_path / "a" / "predictions.csv").read_text() == (path.parent / "predictions.csv").read_text()
    with pytest.raises(ConfigError, match=r"evaluate_bundle: bundle must be a bundle folder, a registry "
                                          r"NAME\[:VERSION\] or a predictor returned by meddx.load_bundle; got dict"):
        meddx.evaluate_bundle({"path": str(bundle)}, str(manifest))
