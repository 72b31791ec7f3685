"""``meddx train`` launched by torchrun: every process trains rank 0's plan, and one bundle is saved.

torchrun starts each process on its own, before any process group exists; each used to make its
own run folder and plan by itself, so a time budget measured on each process's speed probe gave
different epochs (here forced: rank 1's probe reports a 50x slower machine), which can hang DDP or
mismatch shapes. The processes are started by the real launcher (``torch.distributed.run``) through
a small script that fakes the probe per rank and records the plan each process trains with. Images
(speed probe on random tensors) and documents (timed training batches, a tokenizer) plan apart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LAUNCHER = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path

    import meddx.training.fit as fit_module
    import meddx.training.speed as speed

    import meddx.training.plan as planning

    rank = int(os.environ["RANK"])
    speed.seconds_per_sample = lambda *a, **k: 1e-4 if rank == 0 else 5e-3  # images: rank 1 probes slower
    plan_epochs = planning.plan_epochs  # documents: rank 1's timed batches 50x slower

    def slower(plan, n, budget, seconds, processes=1):
        return plan_epochs(plan, n, budget, seconds * (1 if rank == 0 else 50), processes)

    planning.plan_epochs = slower
    train = fit_module.train_and_restore

    def recording(config, plan, *args, **kwargs):
        Path(os.environ["PLANS_OUT"], f"rank{rank}.json").write_text(json.dumps(plan.model_dump(mode="json")))
        return train(config, plan, *args, **kwargs)

    fit_module.train_and_restore = recording
    from meddx.cli.main import main

    main(sys.argv[1:])
""")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["images", "documents"])
def test_torchrun_processes_train_rank_zeros_plan(kind: str, tmp_path: Path, meddx_home: Path) -> None:
    if kind == "images":
        from meddx.data.synthetic import make_lesion_source, write_image_folder

        data = write_image_folder(make_lesion_source(48, 16, 16, size=28, seed=5, contrast=2.0), tmp_path / "lesions")
        options = ["--model", "seed-cnn", "--image-size", "28"]
    else:
        from meddx.data.synthetic_text import write_text_csv

        data = write_text_csv(tmp_path / "notes.csv", n=200, seed=3)
        options = ["--no-baseline", "--embedding-init", "random"]
    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    plans = tmp_path / "plans"
    plans.mkdir()
    env = {**os.environ, "MEDDX_HOME": str(meddx_home), "PLANS_OUT": str(plans), "OMP_NUM_THREADS": "1"}
    env.pop("MEDDX_RUN_DIR", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(script),
           "train", "--data", str(data), *options, "--time-budget", "0.03", "--devices", "2", "--threads", "1",
           "--name", "elastic", "--no-progress"]
    proc = _run_group(cmd, env, timeout=240)
    recorded = {p.name: json.loads(p.read_text()) for p in sorted(plans.glob("rank*.json"))}
    assert set(recorded) == {"rank0.json", "rank1.json"}, proc.stderr[-3000:]
    assert recorded["rank0.json"] == recorded["rank1.json"]  # epochs, batch size, size, width, normalisation
    assert proc.returncode == 0, proc.stderr[-3000:]  # also: not hung (DDP on plans that differ)
    runs = list((meddx_home / "runs").iterdir())
    assert len(runs) == 1, runs  # one run folder, rank 0's
    trainer = json.loads((runs[0] / "trainer.json").read_text())
    assert trainer["world_size"] == 2 and trainer["strategy"] == "DDPStrategy"
    if kind == "images":  # the fitted normalisation too, received, never refitted
        assert json.loads((runs[0] / "plan.json").read_text())["normalization"] == recorded["rank1.json"]["normalization"]
    assert [p.name for p in (meddx_home / "bundles" / "elastic").iterdir()] == ["v1"]  # one bundle


def _run_group(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in a session of its own; past ``timeout`` kill the whole session (torchrun's workers
    hung in a collective ignore SIGTERM and outlive a killed launcher) and return exit status -9."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(cmd, -9, out, f"{err}\nkilled after {timeout} s (hung)")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
