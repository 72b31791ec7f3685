"""A multi-label label never positive in the training split is named by ``data info`` and fails
``data verify``, as a single-label class without training documents does.

Found by an audit: ``meddx train`` refuses such a source ("label 'rare' is never positive in the
training split"), but ``classes_without_training`` skipped multi-label sources, so ``meddx data
verify`` passed it with exit code 0 and "no cross-split duplicates found".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.cli.main import main
from meddx.data.text import load_text_source
from meddx.data.text_info import text_source_info


def _source(tmp_path: Path) -> Path:
    rows = ["text,labels,split"]
    for i in range(12):
        labels = ["a"] if i % 2 else ["a", "b"]
        rows.append(f"document number {i} about topic {i % 3},\"{json.dumps(labels).replace(chr(34), chr(34) * 2)}\",train")
    rows.append('held out document about rare things,"[""rare"", ""a""]",test')
    rows.append('another held out document,"[""b""]",test')
    rows.append('a validation document with no labels,"[]",val')
    path = tmp_path / "ml.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_info_names_a_label_never_positive_in_train(tmp_path: Path) -> None:
    source = load_text_source(_source(tmp_path))
    assert source.task == "multilabel" and source.label_names == ["a", "b", "rare"]
    assert text_source_info(source)["classes_without_training_samples"] == {"rare": {"test": 1}}


def test_verify_fails_on_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    report = tmp_path / "r.json"
    with pytest.raises(SystemExit) as done:
        main(["data", "verify", str(_source(tmp_path)), "--no-near", "--report", str(report)])
    assert done.value.code == 1
    assert "label 'rare' is never positive in train (positive: 1 in test)" in " ".join(capsys.readouterr().out.split())
    assert json.loads(report.read_text())["summary"]["classes_without_training_samples"] == {"rare": {"test": 1}}


def test_info_says_never_positive_for_a_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    """``data info`` said "class 'rare' has no training sample" of a multi-label label."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit):
        main(["data", "info", str(_source(tmp_path))])
    out = " ".join(capsys.readouterr().out.split())
    assert "label 'rare' is never positive in train (positive: 1 in test)" in out and "has no training sample" not in out
