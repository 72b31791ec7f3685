"""The train summary says why a split's AUC is "n/a" when the split holds one class only.

Found on the image walk: a folder whose ``Testing/`` held one class folder trained and printed
``test: AUC n/a`` with no reason; only ``meddx evaluate`` explained it. The summary now prints the
same warning evaluate gives (``evaluation.split_warnings.one_class_warning``), from the run's own
predictions of the split.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meddx.evaluation.evaluate import SplitPredictions


def _result(tmp_path: Path, test_labels: list[int]) -> SimpleNamespace:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps({"task": "binary", "label_names": ["normal", "tumour"]}))
    labels = np.asarray(test_labels)
    probs = np.tile([[0.7, 0.3]], (len(labels), 1))
    test = SplitPredictions(split="test", ids=[str(i) for i in range(len(labels))], labels=labels, probs=probs)
    two_class = len(set(test_labels)) > 1
    metrics = {"test": {"auc": 0.5 if two_class else None, "accuracy": 0.5, "macro_f1": 0.5, "n": len(labels)}}
    return SimpleNamespace(metrics=metrics, run_dir=tmp_path / "run", bundle_path=bundle, registry_ref=None,
                           predictions={"test": test})


def test_a_one_class_test_split_says_why_its_auc_is_na(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.train_summary import print_summary

    print_summary(_result(tmp_path, [0, 0, 0]))
    out, err = capsys.readouterr()
    assert "test: AUC n/a" in out
    assert ("warning: test holds one class only ('normal', 3 samples): AUC and AUPRC are undefined; this set "
            "measures specificity (equal to accuracy here)") in err.splitlines(), err


def test_a_two_class_test_split_gets_no_such_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.train_summary import print_summary

    print_summary(_result(tmp_path, [0, 1, 0]))
    assert "one class only" not in capsys.readouterr().err
