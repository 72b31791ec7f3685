"""Careless inputs found by the errors walk: each is refused on one line naming the file and field,
before any training, and what meddx writes is as readable as a plain mkdir makes it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import one_line, run_cli  # noqa: E402


def _npz(path: Path, **override: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    x = (rng.random((24, 28, 28)) * 255).astype(np.uint8)
    y = np.tile([[0], [1]], (12, 1))
    arrays = {"train_images": x, "train_labels": y, "val_images": x[:8], "val_labels": y[:8],
              "test_images": x[:8], "test_labels": y[:8]}
    np.savez(path, **{**arrays, **override})
    return path


def test_label_columns_differ_between_splits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (N,2) training labels beside (N,1) val labels reached the loss: a torch ValueError traceback.
    y2 = np.tile([[0, 1], [1, 0]], (12, 1))
    path = _npz(tmp_path / "two.npz", train_labels=y2)
    line = one_line(run_cli(["data", "info", str(path)], capsys))
    assert "two.npz" in line and "val_labels" in line and "train_labels" in line and "same label columns" in line


def test_multilabel_values_other_than_0_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    y3 = np.tile([[0, 2, 1], [1, 0, 2]], (12, 1))
    path = _npz(tmp_path / "ml.npz", train_labels=y3, val_labels=y3[:8], test_labels=y3[:8])
    line = one_line(run_cli(["data", "info", str(path)], capsys))
    assert "ml.npz" in line and "train_labels" in line and "0/1" in line


def test_2d_and_3d_images_mixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x3 = np.zeros((8, 6, 28, 28), np.uint8)
    path = _npz(tmp_path / "mix.npz", val_images=x3)
    line = one_line(run_cli(["data", "info", str(path)], capsys))
    assert "mix.npz" in line and "val_images are 3D" in line and "train_images are 2D" in line


def test_output_under_a_file_is_refused_before_training(tmp_path: Path, meddx_home: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("x")
    data = _npz(tmp_path / "d.npz")
    line = one_line(run_cli(["train", "--data", str(data), "--epochs", "1", "--no-progress",
                             "--out", str(tmp_path / "afile" / "b")], capsys))
    assert "--output" in line and "afile is a file" in line
    runs = meddx_home / "runs"
    assert not runs.exists() or not any(runs.iterdir()), "a run was trained before the refusal"


def test_output_where_no_folder_can_be_made(tmp_path: Path) -> None:
    from meddx.bundle.bundle import check_destination_free
    from meddx.core.errors import BundleError

    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc (a folder where mkdir always fails)")
    with pytest.raises(BundleError, match=r"--output /proc/meddx-nowhere/b: cannot write in /proc "):
        check_destination_free(Path("/proc/meddx-nowhere/b"))


def test_demo_images_folder_follows_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.cli.demo as demo

    monkeypatch.setattr(demo, "DEMO_SPLITS", {"train": 4, "val": 2, "test": 2})
    old = os.umask(0o022)
    try:
        demo._make_dataset(tmp_path / "demo-lesions")
    finally:
        os.umask(old)
    root = tmp_path / "demo-lesions"
    assert (root / ".complete").is_file()
    assert stat.S_IMODE(root.stat().st_mode) == 0o755  # mkdtemp made it 0o700


def test_a_config_field_given_twice_is_refused(tmp_path: Path, meddx_home: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # PyYAML kept the last 'data:' silently: the run trained on the other data set.
    data = _npz(tmp_path / "d.npz")
    config = tmp_path / "dup.yaml"
    config.write_text(f"data: {data}\nepochs: 1\ndata: {tmp_path / 'other.npz'}\n")
    line = one_line(run_cli(["train", str(config), "--no-progress"], capsys))
    assert "dup.yaml" in line and "'data' (first at line 1) is given again at line 3" in line
    assert not (meddx_home / "runs").exists() or not any((meddx_home / "runs").iterdir())


def test_yaml_merge_keys_still_override() -> None:
    from meddx.core.yaml_keys import load_unique

    assert load_unique("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\n") == {"a": {"p": 1, "q": 2}, "b": {"p": 1, "q": 3}}
    assert load_unique("") is None and load_unique("- 1\n") == [1]


def test_an_image_given_as_the_bundle_is_called_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `meddx predict x.png y.png` said "x.png: not a bundle folder (no such directory)" of a file that exists.
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    line = one_line(run_cli(["predict", str(image), str(image)], capsys))
    assert "x.png: not a bundle folder (a file)" in line and "NAME[:VERSION]" in line


def test_an_unwritable_destination_names_the_folder_not_a_temporary_file() -> None:
    # Was: "ro/n.txt: cannot write ([Errno 13] Permission denied: '/tmp/ro/.n.txt._9xwxud2.tmp')".
    from meddx.core.errors import MeddxError
    from meddx.core.files import write_text_atomic

    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc (a folder where no file can be created)")
    with pytest.raises(MeddxError) as caught:
        write_text_atomic(Path("/proc/self/meddx-report.txt"), "x")
    message = str(caught.value)
    assert message.startswith("/proc/self/meddx-report.txt: cannot write in /proc/self (") and ".tmp" not in message
