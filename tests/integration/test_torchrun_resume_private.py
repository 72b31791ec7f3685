"""``meddx train --resume RUN`` under torchrun when only rank 0's node has the run folder.

Each process runs in its own ``MEDDX_HOME`` (set from ``LOCAL_RANK`` by a small launcher, which also
makes it the working folder), as on nodes without a shared filesystem: ``--resume runs/<run>`` names
rank 0's run on rank 0 and nothing on rank 1. Before, rank 1 stopped with "nothing to resume" (and
torchrun ended rank 0). Now rank 0 sends the run folder, and every process resumes the same epoch
with the same weights and optimiser state, which the launcher records as training starts.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.integration.test_torchrun_shared_plan import _run_group

LAUNCHER = textwrap.dedent("""
    import hashlib, json, os, sys
    from pathlib import Path

    rank = os.environ["LOCAL_RANK"]
    home = Path(os.environ["HOMES"], f"home{rank}")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["MEDDX_HOME"] = str(home)
    os.chdir(home)

    from meddx.training.checkpoint import LastEveryEpoch

    def digest(tensors):
        h = hashlib.sha256()
        for key, value in tensors:
            h.update(key.encode())
            h.update(value.detach().float().contiguous().numpy().tobytes())
        return h.hexdigest()

    def on_train_start(self, trainer, pl_module):  # after the checkpoint was restored
        optimizer = trainer.optimizers[0].state_dict()["state"]
        record = {
            "run": str(self.path.parent.parent), "epoch": int(trainer.current_epoch),
            "weights": digest(sorted(pl_module.state_dict().items())),
            "optimizer": digest([(f"{i}.{k}", v) for i, s in sorted(optimizer.items()) for k, v in sorted(s.items())]),
        }
        Path(os.environ["RECORDS"], f"rank{rank}.json").write_text(json.dumps(record))

    LastEveryEpoch.on_train_start = on_train_start
    from meddx.cli.main import main

    main(sys.argv[1:])
""")


@pytest.mark.slow
def test_torchrun_resume_without_a_shared_filesystem(tmp_path: Path) -> None:
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    data = write_image_folder(make_lesion_source(48, 16, 16, size=28, seed=5, contrast=2.0), tmp_path / "lesions")
    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    homes, records = tmp_path / "homes", tmp_path / "records"
    records.mkdir()
    env = {**os.environ, "HOMES": str(homes), "RECORDS": str(records), "OMP_NUM_THREADS": "1"}
    env.pop("MEDDX_RUN_DIR", None)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(script)]
    first = _run_group([*torchrun, "train", "--data", str(data), "--model", "seed-cnn", "--image-size", "28",
                        "--epochs", "1", "--devices", "2", "--threads", "1", "--name", "apart", "--no-progress"],
                       env, timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    (run,) = (homes / "home0" / "runs").iterdir()
    assert not (homes / "home1" / "runs").exists()  # rank 1 kept no run folder of its own
    plan = json.loads((run / "plan.json").read_text())
    (run / "plan.json").write_text(json.dumps({**plan, "epochs": 2}))  # train one epoch longer

    resumed = _run_group([*torchrun, "train", "--resume", f"runs/{run.name}", "--no-progress"], env, timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    zero, one = (json.loads((records / f"rank{r}.json").read_text()) for r in (0, 1))
    assert zero["run"] == str(run) and one["run"] != zero["run"]  # rank 1: a private copy
    assert zero["epoch"] == one["epoch"] == 1  # both resumed after the first epoch
    assert zero["weights"] == one["weights"] and zero["optimizer"] == one["optimizer"]
    trainer = json.loads((run / "trainer.json").read_text())
    assert trainer["world_size"] == 2 and trainer["epochs_run"] == 2
    assert sorted(p.name for p in (homes / "home0" / "bundles" / "apart").iterdir()) == ["v1", "v2"]
    assert not (homes / "home1" / "runs").exists() and not (homes / "home1" / "bundles").exists()


@pytest.mark.slow
def test_torchrun_resume_of_a_run_rank_zero_lacks_stops_every_rank(tmp_path: Path) -> None:
    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    env = {**os.environ, "HOMES": str(tmp_path / "homes"), "RECORDS": str(tmp_path), "OMP_NUM_THREADS": "1"}
    env.pop("MEDDX_RUN_DIR", None)
    proc = _run_group([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                       str(script), "train", "--resume", "runs/gone", "--no-progress"], env, timeout=120)
    assert proc.returncode != 0
    missing = tmp_path / "homes" / "home0" / "runs" / "gone"
    lines = sorted(line for line in proc.stderr.splitlines() if line.startswith("meddx: error:"))
    assert lines == [f"meddx: error: {missing}: nothing to resume (no checkpoints/last.ckpt)",
                     f"meddx: error: torchrun launch: rank 0 cannot resume the run: {missing}: nothing to resume "
                     "(no checkpoints/last.ckpt)"], proc.stderr[-3000:]
    assert "meddx/training" not in proc.stderr, proc.stderr[-3000:]  # one line each, no traceback of meddx's
