"""Every user mistake gives one line naming what and where, exit code 2, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from cli_helpers import run_cli


def _assert_one_line_error(result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.out, result.err)
    lines = [line for line in result.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("meddx: error:")
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_missing_path(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere"
    _assert_one_line_error(run_cli(["train", "--data", str(missing)], capsys), str(missing))


def test_undecodable_image(trained: dict, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    bad = tmp_path / "scan.png"
    bad.write_bytes(b"this is not an image at all")
    _assert_one_line_error(run_cli(["predict", str(trained["bundle"]), str(bad)], capsys), str(bad))


def test_csv_without_label_column(tmp_path: Path, capsys) -> None:
    csv_path = tmp_path / "manifest.csv"
    csv_path.write_text("path,diagnosis\na.png,x\n")
    _assert_one_line_error(run_cli(["data", "info", str(csv_path)], capsys), "manifest.csv", "label")


def test_npz_without_expected_keys(tmp_path: Path, capsys) -> None:
    npz = tmp_path / "broken.npz"
    np.savez(npz, images=np.zeros((2, 28, 28), np.uint8))
    _assert_one_line_error(run_cli(["data", "info", str(npz)], capsys), "broken.npz", "train_images")



def _npz(path: Path, train_labels: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (len(train_labels), 28, 28), dtype=np.uint8)
    np.savez(path, train_images=images, train_labels=train_labels.reshape(-1, 1), val_images=images[:4],
             val_labels=np.array([[0], [1], [0], [1]]))
    return path


def test_npz_labels_that_are_not_class_indices(tmp_path: Path, capsys) -> None:
    """Found by an outside-in audit: 0.5/1.5 labels were truncated to 0/1 without a word."""
    npz = _npz(tmp_path / "scores.npz", np.array([0.5, 1.5] * 6))
    _assert_one_line_error(run_cli(["data", "info", str(npz)], capsys), "scores.npz", "train_labels", "non-integer")


def test_a_training_split_with_one_class_is_refused_before_anything_is_written(tmp_path: Path, capsys,
                                                                               monkeypatch) -> None:
    """Found by an outside-in audit: it trained and registered a "binary" model with accuracy 1.000."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    npz = _npz(tmp_path / "one.npz", np.zeros(12, np.int64))
    _assert_one_line_error(run_cli(["train", "--data", str(npz), "--epochs", "1", "--no-progress"], capsys),
                           "one.npz", "one class only")
    assert not (tmp_path / "home" / "runs").exists() or not any((tmp_path / "home" / "runs").iterdir())


def test_a_class_without_training_documents_is_refused_before_anything_is_written(tmp_path: Path, capsys,
                                                                                  monkeypatch) -> None:
    """Found by an audit: a text class present only in val/test trained the whole network, then
    died in the baseline with 'y_true must hold class indices 0..0' naming no file or class."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    rows = ["id,text,label,split"]
    for i in range(36):
        label, split = ["cardiac", "neuro", "migraine"][i % 3], ["train", "train", "val", "test"][i % 4]
        if not (label == "migraine" and split == "train"):
            rows.append(f"d{i},note {i} about {label} symptoms,{label},{split}")
    data = tmp_path / "notes.csv"
    data.write_text("\n".join(rows) + "\n")
    _assert_one_line_error(run_cli(["train", "--data", str(data), "--epochs", "1", "--no-progress"], capsys),
                           "notes.csv", "class 'migraine' has no training sample")
    assert not (tmp_path / "home" / "runs").exists() or not any((tmp_path / "home" / "runs").iterdir())


def test_non_finite_intensities_are_named_by_file(trained: dict, tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an outside-in audit: NaN pixels gave a diverged loss blaming the settings, and at
    prediction an internal probability error that named no file."""
    import nibabel as nib

    rng = np.random.default_rng(0)
    images = rng.random((12, 28, 28)).astype(np.float32)
    images[3, 5, 5] = np.nan
    np.savez(tmp_path / "nan.npz", train_images=images, train_labels=np.arange(12).reshape(-1, 1) % 2)
    _assert_one_line_error(run_cli(["data", "info", str(tmp_path / "nan.npz")], capsys), "train_images",
                           "1 non-finite")
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    volume = rng.random((28, 28)).astype(np.float32)
    volume[0, 0] = np.inf
    nib.save(nib.Nifti1Image(volume, np.eye(4)), str(tmp_path / "inf.nii.gz"))
    _assert_one_line_error(run_cli(["predict", str(trained["bundle"]), str(tmp_path / "inf.nii.gz")], capsys),
                           "inf.nii.gz", "non-finite")

def test_unknown_model_name_suggests_close_matches(lesion_folder: Path, capsys) -> None:
    result = run_cli(["train", "--data", str(lesion_folder), "--model", "resnet19", "--epochs", "1"], capsys)
    _assert_one_line_error(result, "resnet19", "resnet18")


def test_unknown_model_argument(lesion_folder: Path, tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"data: {lesion_folder}\nmodel: seed-cnn\nmodel_args: {{depth: 7}}\nepochs: 1\n")
    _assert_one_line_error(run_cli(["train", str(cfg)], capsys), "depth", "valid arguments")


def test_unknown_config_field(lesion_folder: Path, tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"data: {lesion_folder}\nepoch: 3\n")
    _assert_one_line_error(run_cli(["train", str(cfg)], capsys), "cfg.yaml", "epoch")


def test_incomplete_bundle_folder(trained: dict, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "bundle"
    shutil.copytree(trained["bundle"], broken)
    (broken / "weights.safetensors").unlink()
    png = next((trained["folder"] / "test" / "lesion").glob("*.png"))
    _assert_one_line_error(run_cli(["predict", str(broken), str(png)], capsys), "weights.safetensors", "incomplete")


def test_wrong_dimensionality_for_bundle(trained: dict, tmp_path: Path, capsys) -> None:
    import nibabel as nib

    volume = tmp_path / "ct.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((16, 16, 16), np.float32), np.eye(4)), volume)
    _assert_one_line_error(run_cli(["predict", str(trained["bundle"]), str(volume)], capsys), "ct.nii.gz", "2D")


def test_console_script_debug_flag_shows_traceback(tmp_path: Path) -> None:
    """The real entry point: one line without --debug, the full traceback with it."""
    env = {**os.environ, "MEDDX_HOME": str(tmp_path / "home")}
    missing = str(tmp_path / "nowhere.npz")
    quiet = subprocess.run([sys.executable, "-m", "meddx.cli.main", "data", "info", missing],
                           env=env, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr and missing in quiet.stderr
    loud = subprocess.run([sys.executable, "-m", "meddx.cli.main", "--debug", "data", "info", missing],
                          env=env, capture_output=True, text=True, timeout=120)
    assert loud.returncode != 0 and "Traceback" in loud.stderr


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["data", "verify", "--help"]])
def test_help_works(argv: list[str], capsys) -> None:
    result = run_cli(argv, capsys)
    assert result.code == 0 and "Usage" in result.out


def test_column_options_on_an_image_bundle(trained: dict, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["folder"]), "--label-column", "dx"],
                     capsys)
    _assert_one_line_error(result, "--label-column", "does not read columns")


def test_malformed_yaml_config_is_one_line_with_its_position(tmp_path: Path, capsys) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("model: seed-cnn\ndata: [unclosed\n")
    _assert_one_line_error(run_cli(["train", str(config)], capsys), str(config), "not valid YAML", "line 3")


def test_a_multi_line_error_message_is_printed_on_one_line(capsys, monkeypatch) -> None:
    from meddx.cli import main as cli_main
    from meddx.core.errors import DataError

    def fail(**_: object) -> None:
        raise DataError("scan.dcm: cannot decode\n  (a library's detail on a second line)\n")

    monkeypatch.setattr(cli_main, "_command", lambda: SimpleNamespace(main=fail))  # the click command main() runs
    _assert_one_line_error(run_cli(["train"], capsys), "scan.dcm: cannot decode | (a library's detail")


@pytest.mark.parametrize("name", ["../../escaped", "a:b", ".hidden", "with space"])
def test_a_bundle_name_that_is_not_a_plain_name_is_refused(name: str, lesion_folder: Path, tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    """Found by an outside-in audit: ``../../x`` wrote outside the data root; ``a:b`` registered a
    bundle that no reference could resolve."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    result = run_cli(["train", "--data", str(lesion_folder), "--epochs", "1", "--name", name, "--no-progress"], capsys)
    _assert_one_line_error(result, "name", "letters, digits")
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "home" / "runs").exists()


def test_an_output_path_of_the_wrong_kind_is_one_line(trained: dict, tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an outside-in audit: an existing file as ``--out`` folder, or a folder as a report
    file, ended in a FileExistsError / IsADirectoryError traceback."""
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    folder = tmp_path / "folder"
    folder.mkdir()
    image = next(p for p in sorted(Path(trained["folder"]).rglob("*.png")))
    _assert_one_line_error(run_cli(["explain", str(trained["bundle"]), str(image), "--out", str(taken)], capsys),
                           str(taken))
    _assert_one_line_error(run_cli(["data", "verify", str(trained["folder"]), "--no-near", "--report", str(folder)],
                                   capsys), str(folder), "is a folder")
    assert taken.read_text() == "keep me" and not list(folder.iterdir())


def test_resume_of_a_damaged_run_folder_is_one_line(tmp_path: Path, capsys) -> None:
    """Found by an outside-in audit: an emptied or cut config.json and a junk checkpoint ended in
    pydantic, json and torch unpickler tracebacks."""
    import zipfile

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_text("junk")
    _assert_one_line_error(run_cli(["train", "--resume", str(run)], capsys), "last.ckpt", "not a readable checkpoint")
    with zipfile.ZipFile(run / "checkpoints" / "last.ckpt", "w") as archive:  # a well-formed archive
        archive.writestr("data.pkl", b"")
    for text, fragment in (("{}", "no 'data' field"), ('{"data": ', "not valid JSON"),
                           ('{"data": "x", "epochs": "many"}', "epochs")):
        (run / "config.json").write_text(text)
        _assert_one_line_error(run_cli(["train", "--resume", str(run)], capsys), "config.json", fragment)


def test_a_segmentation_network_or_an_impossible_plan_for_classification_is_one_line(
        tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an outside-in audit: ``--model unet`` on a classification source and a plan file
    with ``image_size: [0, 0]`` ended in tensor-shape tracebacks."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    npz = _npz(tmp_path / "two.npz", np.arange(12) % 2)
    for model in ("unet", "dynunet"):
        _assert_one_line_error(run_cli(["train", "--data", str(npz), "--model", model, "--epochs", "1"], capsys),
                               model, "segmentation network")
    plan = tmp_path / "plan.json"
    for text, fragment in (('{"image_size": [0, 0]}', "image_size"), ('{"epochs": "x"}', "epochs")):
        plan.write_text(text)
        _assert_one_line_error(run_cli(["train", "--data", str(npz), "--epochs", "1", "--plan", str(plan),
                                        "--no-progress"], capsys), "invalid plan override", fragment)


def test_a_channel_count_the_images_cannot_become_is_one_line_and_leaves_no_run_folder(
        tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an outside-in audit: ``--channels 0`` ended in a pydantic traceback (exit 1),
    ``--channels 2`` on grey images trained on two copies of one channel, and every refusal
    while planning left an empty ``runs/<name>-<time>`` folder behind."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    npz = _npz(tmp_path / "two.npz", np.arange(12) % 2)
    _assert_one_line_error(run_cli(["train", "--data", str(npz), "--epochs", "1", "--channels", "0"], capsys),
                           "channels", "greater than or equal to 1")
    for channels in ("2", "4"):
        _assert_one_line_error(run_cli(["train", "--data", str(npz), "--epochs", "1", "--channels", channels],
                                       capsys), f"channels={channels}", "1 channel(s)", "1 (grey) or 3 (RGB)")
    _assert_one_line_error(run_cli(["train", "--data", str(npz), "--model", "unet", "--epochs", "1"], capsys), "unet")
    _assert_one_line_error(run_cli(["cv", "--data", str(npz), "--epochs", "1", "--folds", "2", "--model", "unet"],
                                   capsys), "unet")
    runs = tmp_path / "home" / "runs"
    assert not runs.exists() or not any(runs.iterdir()), sorted(p.name for p in runs.iterdir())


def test_a_taken_output_is_refused_before_training_not_after(tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an outside-in audit: ``--output`` naming a folder of images, or ``cv --out`` run twice,
    trained fully (or fold 0) and only then said "a bundle already exists there"."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    npz = _npz(tmp_path / "two.npz", np.arange(12) % 2)
    taken = tmp_path / "images"
    taken.mkdir()
    (taken / "a.png").write_bytes(b"")
    _assert_one_line_error(run_cli(["train", "--data", str(npz), "--epochs", "1", "--output", str(taken)], capsys),
                           "images", "a folder that is not a bundle")
    (tmp_path / "cv" / "fold1").mkdir(parents=True)
    _assert_one_line_error(run_cli(["cv", "--data", str(npz), "--epochs", "1", "--folds", "2", "--out",
                                    str(tmp_path / "cv")], capsys), "fold1", "already exists")
    assert not (tmp_path / "home" / "runs").exists() and not (tmp_path / "cv" / "fold0").exists()


def test_a_model_filter_that_matches_nothing_is_an_error(capsys) -> None:
    """Found by an outside-in audit: ``meddx models nosuch`` printed an empty table, exit 0."""
    _assert_one_line_error(run_cli(["models", "nosuch"], capsys), "nosuch", "resnet18")
    assert run_cli(["models", "resnet*"], capsys).code == 0


def test_predict_options_an_image_classifier_cannot_use_are_refused(trained: dict, tmp_path: Path, capsys,
                                                                    monkeypatch) -> None:
    """Found by an outside-in audit: ``--output`` and ``--explain`` exited 0 and wrote nothing."""
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    image = next(p for p in sorted(Path(trained["folder"]).rglob("*.png")))
    for flag, hint in (("--output", "segmentation"), ("--explain", "meddx explain")):
        result = run_cli(["predict", str(trained["bundle"]), str(image), flag, str(tmp_path / "out")], capsys)
        assert result.code == 2 and flag in result.err and hint in " ".join(result.err.split()), result.err
    assert not (tmp_path / "out").exists()


def test_explain_names_the_file_whose_shape_the_bundle_cannot_read(trained: dict, tmp_path: Path, capsys,
                                                                   monkeypatch) -> None:
    """Found by an outside-in audit: ``explain`` said "expected ... 2 spatial dimensions" without the file."""
    import nibabel as nib

    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    volume = tmp_path / "vol3d.nii.gz"
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((10, 28, 28)).astype(np.float32), np.eye(4)), str(volume))
    _assert_one_line_error(run_cli(["explain", str(trained["bundle"]), str(volume), "--out", str(tmp_path / "ex")],
                                   capsys), "vol3d.nii.gz")


def test_too_few_bootstrap_resamples_are_refused_before_reading(tmp_path: Path, capsys) -> None:
    """``--bootstrap 5`` was accepted, then refused after every image had been predicted."""
    result = run_cli(["evaluate", str(tmp_path / "no-bundle"), "--data", str(tmp_path / "no-data"),
                      "--bootstrap", "5"], capsys)
    assert result.code == 2 and "--bootstrap" in result.err and "at least 10" in " ".join(result.err.split())
    assert "no-bundle" not in result.err  # refused before the bundle is looked at
