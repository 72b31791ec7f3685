"""The train summary's warning about an epoch cut by the time limit read only the run folder's
``trainer.json``: in an ensemble each network trains under its own share of the limit in
``members/<m>`` and a cut there went unmentioned."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest


def _summary(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    from meddx.cli.train_summary import print_summary

    print_summary(SimpleNamespace(metrics={}, run_dir=run_dir, bundle_path=run_dir / "b", registry_ref=None))
    return " ".join(capsys.readouterr().err.split())  # warnings: on stderr


def test_a_cut_in_a_later_ensemble_network_is_warned_naming_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainer.json").write_text(json.dumps({"cut_epoch": None}))
    for m in (1, 2):
        (tmp_path / "members" / str(m)).mkdir(parents=True)
        cut = {"epoch": 0, "batches": 3, "of": 9} if m == 2 else None
        (tmp_path / "members" / str(m) / "trainer.json").write_text(json.dumps({"cut_epoch": cut}))
    out = _summary(tmp_path, capsys)
    assert "warning: network 3 of 3: the time limit" in out and "stopped epoch 1 after 3 of its 9 batches" in out
    assert out.count("warning:") == 1


def test_a_single_network_is_warned_as_before(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainer.json").write_text(json.dumps({"cut_epoch": {"epoch": 1, "batches": 2, "of": 4}}))
    assert "warning: the time limit (1.25x --time-budget) stopped epoch 2 after 2 of its 4 batches" \
        in _summary(tmp_path, capsys)
