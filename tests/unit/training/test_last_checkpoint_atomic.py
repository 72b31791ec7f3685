"""``checkpoints/last.ckpt`` is replaced in one step: a save killed midway keeps the previous one.

Found by an audit: Lightning's transaction writes the checkpoint to the system temporary folder
and then *moves* it, which is a byte-by-byte copy into ``last.ckpt`` itself when that folder is
on another file system (a tmpfs ``/tmp``); a run killed during the copy lost its last good
checkpoint, and ``--resume`` then had nothing readable to continue from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.demos.boring_classes import BoringModel

from meddx.training.checkpoint import LastEveryEpoch


def test_a_save_killed_while_copying_keeps_the_previous_last_checkpoint(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import fsspec.implementations.local as local

    real_move = shutil.move
    calls = {"n": 0}

    def move_across_file_systems(src: str, dst: str, *args: object, **kwargs: object) -> object:
        """A move between file systems copies the bytes; this one is killed halfway on the 2nd save."""
        calls["n"] += 1
        if calls["n"] == 2:
            data = Path(src).read_bytes()
            Path(dst).write_bytes(data[: len(data) // 2])
            raise RuntimeError("killed while copying the checkpoint")
        return real_move(src, dst, *args, **kwargs)

    monkeypatch.setattr(local.shutil, "move", move_across_file_systems)
    last = tmp_path / "checkpoints" / "last.ckpt"
    trainer = L.Trainer(max_epochs=3, limit_train_batches=2, limit_val_batches=0, callbacks=[LastEveryEpoch(last)],
                        logger=False, enable_progress_bar=False, enable_model_summary=False,
                        default_root_dir=tmp_path, accelerator="cpu")
    with pytest.raises(RuntimeError, match="killed while copying"):
        trainer.fit(BoringModel())
    state = torch.load(last, map_location="cpu", weights_only=True)  # whole, not the half-copied file
    assert state["epoch"] == 0 and state["global_step"] == 2


def test_last_checkpoint_is_written_every_epoch_and_leaves_no_partial_file(tmp_path: Path) -> None:
    last = tmp_path / "last.ckpt"
    trainer = L.Trainer(max_epochs=2, limit_train_batches=2, limit_val_batches=0, callbacks=[LastEveryEpoch(last)],
                        logger=False, enable_progress_bar=False, enable_model_summary=False,
                        default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(BoringModel())
    assert torch.load(last, map_location="cpu", weights_only=True)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]
