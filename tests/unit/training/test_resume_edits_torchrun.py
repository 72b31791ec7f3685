"""A resume's edit notes and refusals under torchrun.

Every process reads the same ``config.json`` and ``plan.json``, so each wrote the note "edits a
resume honours": once per rank, and a process resuming from a private copy of rank 0's run (a node
without the run folder, ``training/resume_transfer.py``) named its temporary folder. Now rank 0
alone writes the note, and a refusal names rank 0's run on every process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.training import resume_edits, resume_transfer

STARTED = {"epochs": 4, "batch_size": 32}


def _torchrun(monkeypatch: pytest.MonkeyPatch, rank: int) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "t")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", str(rank))


@pytest.mark.parametrize(("rank", "noted"), [(0, True), (1, False)])
def test_rank_zero_alone_writes_the_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], rank: int, noted: bool) -> None:
    _torchrun(monkeypatch, rank)
    resume_edits.check_plan_edits(tmp_path, {**STARTED, "epochs": 9}, STARTED)
    err = capsys.readouterr().err
    assert ("edits a resume honours: epochs 9" in err) is noted, err


def test_a_private_copy_is_named_as_rank_zeros_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real, copy = tmp_path / "runs" / "r", tmp_path / "meddx-rank1-x" / "r"
    monkeypatch.setitem(resume_transfer._ORIGINS, copy, real)
    _torchrun(monkeypatch, 1)
    with pytest.raises(ConfigError) as caught:
        resume_edits.check_plan_edits(copy, {**STARTED, "batch_size": 8}, STARTED)
    message = str(caught.value)
    assert message.startswith(f"{real / 'plan.json'}: batch_size 8 differs"), message
    assert "meddx-rank1" not in message
