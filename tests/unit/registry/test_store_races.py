"""Registering the same name from several processes at once: every bundle gets its own version,
none is silently replaced; an unusable registry database is a one-line error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import save_bundle
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.registry.store import list_bundles, register_bundle
from meddx.transforms.image import ImagePreprocessor


def _bundle(path: Path, name: str = "same") -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": name, "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}}
    return save_bundle(path, net=create_model("seed-cnn"), config=config, metrics={}, model_card="")


def test_a_taken_version_is_not_replaced_by_another_bundle(tmp_path: Path) -> None:
    first = register_bundle(_bundle(tmp_path / "one"), version=1)
    with pytest.raises(BundleError, match="same:1 is already registered"):
        register_bundle(_bundle(tmp_path / "two"), version=1)
    assert [r.path for r in list_bundles("same")] == [first.path]
    assert register_bundle(tmp_path / "one", version=1).version == 1  # the same folder again: fine


def test_concurrent_registrations_get_distinct_versions(tmp_path: Path) -> None:
    n = 4
    folders = [_bundle(tmp_path / f"b{i}") for i in range(n)]
    start = time.time() + 3  # every process past its imports, then all register at once
    code = ("import sys, time; from meddx.registry.store import register_bundle; "
            "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); register_bundle(sys.argv[1])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(f), str(start)]) for f in folders]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    records = list_bundles("same")
    assert sorted(r.version for r in records) == list(range(1, n + 1))
    assert sorted(r.path for r in records) == sorted(str(f.resolve()) for f in folders)


def test_an_unusable_registry_database_is_one_line(meddx_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.main import main

    (meddx_home / "registry.db").write_bytes(b"not a database" * 100)
    with pytest.raises(SystemExit) as info:
        main(["registry", "list"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("meddx: error: ") and "registry.db" in err and err.count("\n") == 1


def test_a_run_saving_after_another_run_of_its_name_takes_the_next_version(meddx_home: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Two trainings of one name finishing together picked the same version; the second lost its
    bundle to a "bundle already exists" error after training. It now saves as the next version."""
    from types import SimpleNamespace

    import meddx.bundle.bundle as bundle_module
    from meddx.training.finish import save_and_register

    real, raced = bundle_module.save_bundle, []

    def other_run_first(path: Path, **kwargs: object) -> Path:
        if not raced:  # the other run's bundle lands at the version this run picked
            raced.append(_bundle(Path(path)))
        return real(path, **kwargs)

    monkeypatch.setattr(bundle_module, "save_bundle", other_run_first)
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    cfg = {"name": "same", "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
           "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}}
    (tmp_path / "run").mkdir()
    path, ref = save_and_register(SimpleNamespace(output=None, add_to_registry=True), "same",
                                  create_model("seed-cnn"), cfg, {}, "", tmp_path / "run")
    assert raced[0].name == "v1" and path.name == "v2" and ref == "same:2"
    assert (path / "config.json").is_file() and (raced[0] / "config.json").is_file()
