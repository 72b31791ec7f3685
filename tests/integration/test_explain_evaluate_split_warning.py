"""``meddx explain BUNDLE --evaluate --data SOURCE --split val|train`` warns that the split is not
held out, in the report's ``warnings`` and the printout, as ``meddx evaluate`` does.

Found by review: ``meddx evaluate`` on the training source's val split said that the threshold,
temperature and kept epoch were chosen there (``evaluation.split_use``), but the faithfulness
evaluation on the same split said nothing, and its curves follow a network that has seen those
inputs. On ``test``, or another source's ``val``, there is no warning. The bundle is an untrained
network with the records a trained one has (``config.json``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from meddx.bundle.bundle import save_bundle
    from meddx.data.synthetic import make_lesion_source, write_image_folder
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("faith_split")
    data = write_image_folder(make_lesion_source(6, 4, 4, size=28, seed=3, contrast=2.0), root / "data")
    other = shutil.copytree(data, root / "elsewhere")  # the same images, but not the source trained on
    pre = ImagePreprocessor((28, 28), 1).fit([np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)])
    torch.manual_seed(0)
    bundle = save_bundle(
        root / "cls", net=create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval(), metrics={},
        model_card="# cls",
        config={"name": "lesions", "task": "binary", "label_names": ["normal", "lesion"],
                "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
                "preprocessing": pre.to_dict(), "tta": [],
                "decision": {"rule": "youden", "threshold": 0.5, "chosen_on": "val"},
                "training": {"data": str(data), "data_path": str(data.resolve()), "seed": 0,
                             "kept_epoch": ["best"]}})
    return {"bundle": bundle, "data": data, "other": other}


def _evaluate(setup: dict, data: Path, split: str, out: Path, capsys: pytest.CaptureFixture[str],
              *extra: str) -> tuple[dict, str, str]:
    result = run_cli(["explain", str(setup["bundle"]), "--evaluate", "--data", str(data), "--split", split,
                      "--n", "2", "-m", "saliency", "--out", str(out), *extra], capsys)
    assert result.code == 0, result.err
    return json.loads((out / f"faithfulness-{data.name}-{split}.json").read_text()), result.out, result.err


@pytest.mark.parametrize("split", ["val", "train"])
def test_the_training_sources_val_and_train_carry_the_warning(setup: dict, tmp_path: Path, split: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    report, _, err = _evaluate(setup, setup["data"], split, tmp_path, capsys)
    [warning] = report["warnings"]
    assert warning.startswith(f"{split} is not held out for bundle 'lesions'")
    expected = "the decision threshold (youden)" if split == "val" else "the network's weights were fitted on it"
    assert expected in warning
    assert f"warning: {warning}" in err


def test_with_json_the_warning_goes_to_stderr(setup: dict, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    report, out, err = _evaluate(setup, setup["data"], "val", tmp_path, capsys, "--json")
    json.loads(out)  # stdout stays the table's JSON
    assert f"warning: {report['warnings'][0]}" in err


@pytest.mark.parametrize("which, split", [("data", "test"), ("other", "val")])
def test_test_and_another_sources_val_carry_none(setup: dict, tmp_path: Path, which: str, split: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    report, out, err = _evaluate(setup, setup[which], split, tmp_path, capsys)
    assert report["warnings"] == [] and "warning:" not in out + err
