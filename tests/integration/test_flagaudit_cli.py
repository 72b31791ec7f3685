"""``meddx train`` as a user who trusts ``--help``: an option the source's kind never reads is refused
on one line before any run folder is made, a gradient option given to a scikit-learn model is noted,
and a thread count the machine cannot give is refused instead of a traceback. Before, a table trained
with ``--tokenizer bpe --image-size 32 --window-hours 10`` and an image folder with
``--patient-column`` said nothing about options that changed nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from serve_helpers import write_marker_table


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    return write_marker_table(tmp_path / "patients.csv", n=120)


def _runs(home: Path) -> list[Path]:
    return sorted((home / "runs").glob("*")) if (home / "runs").is_dir() else []


def test_options_a_table_never_reads_are_refused_on_one_line(table: Path, meddx_home: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--tokenizer", "bpe", "--image-size", "32", "--window-hours",
                      "10", "--no-progress", "-o", str(out)], capsys)
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    for part in ("--image-size: applies to image classification and segmentation sources",
                 "--tokenizer: applies to text sources", "--window-hours: applies to series sources",
                 f"{table} is a table source"):
        assert part in lines[0], lines[0]
    assert not out.exists() and not _runs(meddx_home)


def test_a_yaml_key_an_image_folder_never_reads_is_refused(lesion_folder: Path, meddx_home: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("patient_column: subject\nepochs: 1\n")
    result = run_cli(["train", str(config), "--data", str(lesion_folder), "--no-progress"], capsys)
    assert result.code == 2, result.out + result.err
    assert "patient_column: applies to text, series and table sources" in result.err
    assert "is an image classification source" in result.err and not _runs(meddx_home)


def test_gradient_options_for_logreg_are_noted_and_the_run_goes_on(table: Path, meddx_home: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--epochs", "5", "--lr", "0.1", "--no-baseline",
                      "--no-progress", "-o", str(out)], capsys)
    assert result.code == 0, result.err
    assert ("note: --epochs, --lr ignored: logreg is fitted by scikit-learn, in one process, without epochs, "
            "batches or a learning rate") in result.err
    data = json.loads((_runs(meddx_home)[0] / "data.json").read_text())
    assert any("--epochs, --lr ignored" in n for n in data["notes"])  # recorded with the run's other notes


def test_threads_beyond_the_machine_are_one_line(table: Path, meddx_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["train", "--data", str(table), "--threads", "100000", "--no-progress"], capsys)
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "--threads 100000: this machine has" in result.err and not _runs(meddx_home)


def test_classification_options_on_a_segmentation_source_are_refused(meddx_home: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.synthetic_seg import write_seg_folder

    data = write_seg_folder(tmp_path / "seg", n=6, size=16)
    result = run_cli(["train", "--data", str(data), "--class-weights", "--channels", "3", "--epochs", "1",
                      "--no-progress"], capsys)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert "--channels: applies to image classification sources" in result.err
    assert "--class-weights: applies to image classification, text, series and table sources" in result.err
    assert f"{data} is a segmentation source" in result.err and not _runs(meddx_home)
