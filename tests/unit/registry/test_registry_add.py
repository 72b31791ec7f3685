"""``meddx registry add FOLDER`` indexes a bundle folder the registry does not know (saved with
--output, copied from another machine, left unregistered by a run); and a run whose registry
cannot be written keeps its saved bundle and says how to add it, instead of ending in an error."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from meddx.models.registry import create_model
from meddx.registry.store import list_bundles, register_bundle
from tests.integration.cli_helpers import run_cli
from tests.unit.registry.test_store import _bundle


def test_add_registers_a_folder_once_at_its_names_next_version(tmp_path: Path, capsys) -> None:
    register_bundle(_bundle(tmp_path / "first", "xray"))
    copied = _bundle(tmp_path / "from-colleague", "xray")
    result = run_cli(["registry", "add", str(copied)], capsys)
    assert result.code == 0, result.err
    assert result.out.strip() == f"registered as xray:2 ({copied.resolve()})"
    again = run_cli(["registry", "add", str(copied)], capsys)
    assert again.code == 0 and again.out.strip() == f"{copied.resolve()} is already registered as xray:2"
    assert [(r.name, r.version) for r in list_bundles()] == [("xray", 2), ("xray", 1)]


def test_add_refuses_what_would_not_load_and_adds_nothing(tmp_path: Path, capsys) -> None:
    broken = _bundle(tmp_path / "broken", "xray")
    (broken / "weights.safetensors").write_bytes(b"not weights")
    for path in (broken, tmp_path / "nowhere", tmp_path):
        result = run_cli(["registry", "add", str(path)], capsys)
        assert result.code == 2 and "Traceback" not in result.err
        assert str(path) in result.err
    assert list_bundles() == []


def test_a_run_whose_registry_cannot_be_written_keeps_its_bundle(tmp_path: Path, meddx_home: Path,
                                                                  monkeypatch, caplog) -> None:
    """A damaged registry.db made the end of a finished training a one-line error (the bundle saved,
    or, when the version could not be read, not even saved)."""
    from meddx.training import finish
    from meddx.training.config import TrainConfig

    (meddx_home / "registry.db").write_bytes(b"this is not a database" * 100)
    source = _bundle(tmp_path / "template", "xray")
    net = create_model("seed-cnn")
    config_dict = json.loads((source / "config.json").read_text())
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with caplog.at_level(logging.WARNING):
        path, ref = finish.save_and_register(TrainConfig(data="synthetic"), "xray", net, config_dict,
                                             {"val": {"auc": 0.8}}, "", run_dir)
    assert ref is None and path == meddx_home / "bundles" / "xray" / "v1"
    assert (path / "weights.safetensors").is_file() and (run_dir / "metrics.json").is_file()
    assert f"register it with: meddx registry add {path}" in caplog.text
    # once the registry is usable again, the folder is added as the message says
    (meddx_home / "registry.db").unlink()
    from meddx.registry.adding import add_bundle

    added, was_new = add_bundle(path)
    assert was_new and (added.name, added.version, added.path) == ("xray", 1, str(path.resolve()))
