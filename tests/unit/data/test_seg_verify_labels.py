"""``meddx data verify --labels`` checks the masks against the label set ``meddx train --labels`` uses.

Without it, verify infers the labels from the values seen: a source whose masks hold {0, 1, 3}
and {0, 2} verified clean (0..3 is consecutive), and ``meddx train --labels
background,anterior,posterior`` then refused the mask holding 3. ``data info --labels`` names the
class fractions after the given labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError

LABELS = "background,anterior,posterior"


def _source(root: Path) -> Path:
    """images/ + labels/ with 4 PNG cases; c0's mask holds {0, 1, 3}, the others {0, 1, 2}."""
    for k in range(4):
        rng = np.random.default_rng(k)
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "labels").mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (16, 16)).astype(np.uint8)).save(root / "images" / f"c{k}.png")
        mask = np.zeros((16, 16), np.uint8)
        mask[2:6, 2:8 + k] = 1
        mask[9:13, 3:9] = 3 if k == 0 else 2
        Image.fromarray(mask).save(root / "labels" / f"c{k}.png")
    return root


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from meddx.cli.main import main

    capsys.readouterr()
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _flat(text: str) -> str:
    """Output with rich's error-box borders removed and whitespace collapsed (it wraps long lines)."""
    return " ".join(text.replace("│", " ").split())


def test_verify_with_labels_reports_the_value_train_refuses(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.segmentation import load_seg_source

    root = _source(tmp_path / "src")
    code, _ = _run(["data", "verify", str(root), "--no-near", "--report", str(tmp_path / "inferred.json")], capsys)
    assert code == 0  # labels inferred from the values seen: 0..3, every mask inside it
    code, out = _run(["data", "verify", str(root), "--no-near", "--labels", LABELS,
                      "--report", str(tmp_path / "given.json")], capsys)
    assert code == 1, out
    report = json.loads((tmp_path / "given.json").read_text())
    assert report["source"]["label_names"] == ["background", "anterior", "posterior"]
    assert report["summary"]["has_errors"] and report["summary"]["masks_with_values_outside_labels"] == 1
    (bad,) = report["bad_values"]
    assert (bad["id"], bad["values"]) == ("c0", [3])
    assert bad["allowed"] == "0..2 (background, anterior, posterior)"
    assert "values outside 0..2 (background, anterior, posterior) [3]" in _flat(out)
    # the same words training refuses the mask with
    source = load_seg_source(root, val_fraction=0, test_fraction=0, label_names=LABELS.split(","))
    with pytest.raises(DataError) as refused:
        source.load_case("train", source.split("train").ids.index("c0"))
    assert bad["reason"] == str(refused.value)
    assert "add the label to --labels (label_names)" in bad["reason"]


def test_info_with_labels_names_the_classes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _source(tmp_path / "src")
    (root / "labels" / "c0.png").unlink()  # only {0, 1, 2} masks left
    (root / "images" / "c0.png").unlink()
    code, out = _run(["data", "info", str(root), "--json", "--labels", LABELS], capsys)
    assert code == 0, out
    info = json.loads(out)
    assert info["label_names"] == ["background", "anterior", "posterior"]
    assert set(info["splits"]["train"]["class_fraction"]) == {"background", "anterior", "posterior"}


@pytest.mark.parametrize("labels, words", [("background", "expected at least 2 distinct"),
                                           ("background,a,a", "expected at least 2 distinct")])
def test_verify_refuses_labels_train_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str], labels: str,
                                             words: str) -> None:
    root = _source(tmp_path / "src")
    code, out = _run(["data", "verify", str(root), "--labels", labels, "--report", str(tmp_path / "r.json")], capsys)
    assert code == 2 and "--labels" in out and words in _flat(out), out
    assert not (tmp_path / "r.json").exists()


def test_labels_on_a_classification_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for k, cls in enumerate(["a", "a", "b", "b"]):
        (tmp_path / "cls" / cls).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), 40 * k, np.uint8)).save(tmp_path / "cls" / cls / f"x{k}.png")
    code, out = _run(["data", "info", str(tmp_path / "cls"), "--labels", LABELS], capsys)
    assert code == 2 and "--labels" in out and "segmentation source" in _flat(out), out
