"""A Ctrl-C during the epochs of a torchrun launch stops every process with exit status 130.

Found by a helper: on a rank other than 0, ``train_and_restore`` returned ``None`` (what it returns
on those ranks after training) before it looked at ``trainer.interrupted``, so that process ended
with status 0, as if its training had finished, while rank 0 ended with 130 and the resume command.
Two real processes run ``meddx train --devices 2`` (gloo); both are interrupted at the start of the
second epoch, as a Ctrl-C in the terminal reaches every process of the launch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.unit.training.two_ranks import run_two_ranks

PROCESS = textwrap.dedent("""
    import contextlib, io, json, os, sys
    from pathlib import Path

    out, data, rank = Path(sys.argv[1]), sys.argv[2], os.environ["RANK"]
    os.environ["MEDDX_HOME"] = str(out / f"home{rank}")
    os.environ.pop("MEDDX_RUN_DIR", None)

    from meddx.cli.main import main
    from meddx.tasks.classification import ClassificationTask

    def press_ctrl_c_in_second_epoch(self):
        if self.current_epoch == 1:
            raise KeyboardInterrupt

    ClassificationTask.on_train_epoch_start = press_ctrl_c_in_second_epoch
    err, code = io.StringIO(), 0
    try:
        with contextlib.redirect_stderr(err):
            main(["train", "--data", data, "--model", "seed-cnn", "--image-size", "28", "--epochs", "3",
                  "--devices", "2", "--threads", "1", "--name", "ctrlc", "--no-progress"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    (out / f"rank{rank}.json").write_text(json.dumps({"code": code, "err": err.getvalue()}))
    sys.exit(code)
""")


@pytest.mark.slow
def test_a_ctrl_c_in_the_epochs_ends_every_rank_with_130_and_one_line(tmp_path: Path) -> None:
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    data = write_image_folder(make_lesion_source(24, 8, 8, size=28, seed=5, contrast=2.0), tmp_path / "lesions")
    script, out = tmp_path / "process.py", tmp_path / "out"
    script.write_text(PROCESS)
    out.mkdir()
    codes, got = run_two_ranks(script, [str(out), str(data)], out)
    assert codes == [130, 130], (codes, got)  # before: [130, 0]
    lines = {}
    for rank in ("rank0", "rank1"):
        err = got[rank]["err"]
        said = [line for line in err.splitlines() if line.startswith("meddx:")]
        assert len(said) == 1 and "Traceback" not in err, err[-2000:]
        lines[rank] = said[0]
    (run,) = (out / "home0" / "runs").iterdir()
    assert lines["rank0"].startswith("meddx: error: training interrupted in epoch 2 of 3 (1 finished epoch saved in")
    assert lines["rank0"].endswith(f"resume with: meddx train --resume {run}")
    # rank 1 trains from a private copy of rank 0's plan (removed at exit): it names no run of its own
    assert lines["rank1"].startswith("meddx: error: training interrupted in epoch 2 of 3 on process 1 of 2")
    assert "rank 0" in lines["rank1"] and "--resume" not in lines["rank1"], lines["rank1"]
    assert not (out / "home1" / "runs").exists()
