"""The train summary's warning about an epoch cut by the time limit names the limit each network had.

Found by a review of 98654c4: an ensemble's networks each stop at 1.25x their share of
``--time-budget`` (``budget / K``; a budget-only ensemble's since the budget planned them, one given
``--epochs`` too since 98654c4), but the warning said "network 2 of 2: the time limit (1.25x
--time-budget) stopped epoch 1", twice the limit that network had. A single network keeps the words.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest


def _summary(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    from meddx.cli.train_summary import print_summary

    print_summary(SimpleNamespace(metrics={}, run_dir=run_dir, bundle_path=run_dir / "b", registry_ref=None))
    return " ".join(capsys.readouterr().err.split())  # warnings: on stderr


def test_an_ensemble_networks_cut_names_its_share(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "trainer.json").write_text(json.dumps({"cut_epoch": {"epoch": 0, "batches": 1, "of": 9}}))
    (tmp_path / "members" / "1").mkdir(parents=True)
    (tmp_path / "members" / "1" / "trainer.json").write_text(json.dumps({"cut_epoch": {"epoch": 0, "batches": 2,
                                                                                        "of": 9}}))
    out = _summary(tmp_path, capsys)
    for n, batches in ((1, 1), (2, 2)):
        assert (f"warning: network {n} of 2: the time limit (1.25x its share of --time-budget) stopped epoch 1 "
                f"after {batches} of its 9 batches") in out, out


def test_a_single_networks_cut_names_the_whole_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "trainer.json").write_text(json.dumps({"cut_epoch": {"epoch": 1, "batches": 2, "of": 4}}))
    out = _summary(tmp_path, capsys)
    assert "warning: the time limit (1.25x --time-budget) stopped epoch 2 after 2 of its 4 batches" in out, out
    assert "share" not in out
