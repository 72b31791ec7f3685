"""The registry's headline numbers come from one public function, ``store.headline_metrics``, used by
``register`` (bundles) and ``run_log`` (finished runs): before, ``run_log`` imported the private
``store._headline`` across modules."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from meddx.registry import run_log, store


def test_classification_and_segmentation_headlines() -> None:
    metrics = {"val": {"auc": 0.91, "accuracy": 0.8, "f1": 0.7}, "test": {"auc": None, "accuracy": 0.75},
               "dataset": {"n": 10}}
    assert store.headline_metrics(metrics) == {"val_auc": 0.91, "val_accuracy": 0.8, "test_accuracy": 0.75}
    seg = {"test": {"mean_foreground": {"dice": {"mean": 0.66}}}, "val": {"mean_foreground": {"dice": {}}}}
    assert store.headline_metrics(seg) == {"test_dice": 0.66}
    assert store.headline_metrics({}) == {}


def test_a_finished_run_records_the_public_headline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    recorded: list[dict] = []
    monkeypatch.setattr(run_log, "_runs", lambda: SimpleNamespace(
        record_end=lambda run_dir, status, bundle=None, metrics=None: recorded.append(metrics)))
    monkeypatch.setattr(store, "headline_metrics", lambda metrics: {"headline_of": sorted(metrics)})
    session = run_log.RunSession(paths=[tmp_path])
    result = SimpleNamespace(run_dir=tmp_path, bundle_path=tmp_path / "bundle", registry_ref="b:1",
                             metrics={"val": {}, "test": {}})
    assert session.ended(result) is result
    assert recorded == [{"headline_of": ["test", "val"]}]


def test_run_log_imports_no_private_name_of_another_module() -> None:
    tree = ast.parse(Path(run_log.__file__).read_text())
    private = [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.name.startswith("_") and node.module != "__future__"]
    assert private == []
