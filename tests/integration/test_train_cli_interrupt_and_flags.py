"""``meddx train`` errors name the flag the user typed, float flags refuse NaN and infinity by
name, and Ctrl-C after the epochs says on one line what was saved.

Found by an audit: ``--ema 0`` was refused as ``ema_epochs (set by a flag): ...`` (likewise
``--patience``, ``--threads``, ``--labels``); ``meddx evaluate B --level nan`` passed click's range
check (every comparison with NaN is false) and failed later as "level must be a confidence level
..." without the flag; a Ctrl-C while the bundle was evaluated or the summary printed ended in
a silent exit 130 (Typer's handling of KeyboardInterrupt), or a traceback from the code it hit.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from cli_helpers import run_cli


def _one_line(result, code: int = 2) -> str:  # type: ignore[no-untyped-def]
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = [line for line in result.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    return lines[0]


@pytest.mark.parametrize(("flag", "value", "field"), [
    ("--ema", "0", "ema_epochs"), ("--patience", "0", "early_stopping_patience"), ("--threads", "0", "num_threads"),
    ("--labels", "background", "label_names"), ("--labels", "background,,lesion", "label_names"),
    ("--epochs", "0", "epochs"),
])
def test_a_bad_flag_value_names_the_flag(flag: str, value: str, field: str, capsys, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    line = _one_line(run_cli(["train", "--data", "x.npz", flag, value], capsys))
    assert line.startswith(f"meddx: error: invalid training config: {flag}"), line
    assert field == flag[2:] or f"(config field {field}" in line, line  # the field only as a cross-reference
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(("flag", "value"), [("--epochs", "0"), ("--ensemble", "0"), ("--lr", "-1")])
def test_a_bad_cv_flag_value_names_the_flag(flag: str, value: str, capsys, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``meddx cv`` builds the same training config: its errors name the flag too, not ``(set by a flag)``."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    line = _one_line(run_cli(["cv", "--data", "x.npz", flag, value], capsys))
    assert line.startswith(f"meddx: error: invalid training config: {flag}"), line


def test_a_plan_file_conflict_names_the_flag(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    plan = tmp_path / "plan.json"
    plan.write_text('{"early_stopping_patience": 5}')
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    write_image_folder(make_lesion_source(20, 10, 10, size=16, seed=1), tmp_path / "data")
    line = _one_line(run_cli(["train", "--data", str(tmp_path / "data"), "--patience", "3", "--plan", str(plan)],
                             capsys))
    assert "--patience: the config or flags say 3" in line and "plan.json says 5" in line, line


@pytest.mark.parametrize("argv", [
    ["evaluate", "bundle", "--data", "x", "--level", "nan"], ["compare", "a", "b", "--data", "x", "--level", "nan"],
    ["train", "--data", "x", "--ema", "nan"], ["train", "--data", "x", "--lr", "inf"],
    ["train", "--data", "x", "--time-budget", "-inf"], ["cv", "--data", "x", "--time-budget", "nan"],
    ["predict", "bundle", "f.png", "--pixel-size", "nan"],
])
def test_a_non_finite_float_flag_is_refused_naming_it(argv: list[str], capsys, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    result = run_cli(argv, capsys)
    assert result.code == 2 and "Traceback" not in result.err, (result.code, result.err)
    assert f"'{argv[-2]}'" in result.err and "is not a finite number" in result.err, result.err


def test_every_float_flag_of_every_command_refuses_nan_and_inf() -> None:
    from meddx.cli.main import _command, _leaf_commands

    floats = [(cmd, p) for cmd in _leaf_commands(_command()) for p in cmd.params
              if isinstance(p.type, click.types.FloatParamType)]
    assert len(floats) > 20  # train, evaluate, compare, cv, predict, serve, data, federated, demo
    for cmd, param in floats:
        for bad in ("nan", "inf", "-inf"):
            with pytest.raises(click.BadParameter, match="not a finite number|not in the range"):
                param.type.convert(bad, param, click.Context(cmd))
        assert param.type.convert("0.9", param, click.Context(cmd)) == pytest.approx(0.9)


def test_ctrl_c_after_the_epochs_says_what_was_saved(lesion_folder: Path, tmp_path: Path, capsys,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    import meddx.cli.train_summary as train_summary
    import meddx.evaluation.evaluate as evaluation

    def ctrl_c(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # while the splits are evaluated: trained, nothing saved yet
        m.setattr(evaluation, "assess", ctrl_c)
        line = _one_line(run_cli(["train", "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "1",
                                  "--name", "cc", "--no-progress"], capsys), code=130)
    run_dir = next((tmp_path / "runs").iterdir())
    assert "interrupted after training, before the bundle was saved" in line, line
    assert line.endswith(f"meddx train --resume {run_dir}") and (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "bundles").exists()
    with monkeypatch.context() as m:  # the resume finishes it; a Ctrl-C while the summary prints loses nothing
        m.setattr(train_summary, "print_summary", ctrl_c)
        line = _one_line(run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys), code=130)
    bundle = tmp_path / "bundles" / "cc" / "v1"
    assert line.endswith(f"nothing is lost: the bundle {bundle} is saved and registered as cc:1"), line
    assert (bundle / "weights.safetensors").is_file()


def test_ctrl_c_in_any_other_command_is_one_line(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def ctrl_c(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr("meddx.models.catalog.catalog_names", ctrl_c)  # `meddx models` imports it when run
    assert _one_line(run_cli(["models"], capsys), code=130) == "meddx: interrupted"
