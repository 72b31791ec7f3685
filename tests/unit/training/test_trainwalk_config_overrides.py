"""``meddx train CONFIG --flag``: a flag that replaces a value of the file says so, and a YAML key
spelt as a flag (``patience:``) or asking for a metric to watch (``monitor:``) is named usefully.

Found walking issue 2's training item as a user: ``meddx train c.yaml --epochs 1`` with ``epochs: 3``
in ``c.yaml`` trained 1 epoch without a word (the flag wins, as documented, but the file the user
kept said 3); ``patience: 2`` was refused as an unknown field without naming
``early_stopping_patience``, and ``monitor: val_loss`` without saying what early stopping watches.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.training.config import load_config


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_a_flag_replacing_a_file_value_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _yaml(tmp_path, "data: x.npz\nepochs: 3\nbatch_size: 16\nlr: '1e-3'\nclass_weights: true\n")
    config = load_config(path, flags={"epochs": "--epochs", "class_weights": "--class-weights", "lr": "--lr"},
                         epochs=1, lr=0.001, class_weights=False, data="x.npz")
    assert (config.epochs, config.batch_size, config.class_weights) == (1, 16, False)  # the flag still wins
    err = capsys.readouterr().err
    assert err == (f"meddx: note: {path}: flags override the file: --epochs 1 (c.yaml says 3), "
                   "class_weights false (c.yaml says true)\n")  # lr and data: the same value, not noted


def test_no_note_without_a_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_config(_yaml(tmp_path, "data: x.npz\n"), epochs=2)  # a flag for a field the file leaves out
    load_config(None, data="x.npz", epochs=2)
    assert capsys.readouterr().err == ""


def test_the_extra_processes_of_a_run_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_RUN_DIR", str(tmp_path))  # a Lightning-spawned DDP worker re-runs the command
    load_config(_yaml(tmp_path, "data: x.npz\nepochs: 3\n"), epochs=1)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("line", "says"), [
    ("patience: 2", "patience: unknown field; the flag --patience sets the field 'early_stopping_patience'"),
    ("ema: 2", "ema: unknown field; the flag --ema sets the field 'ema_epochs'"),
    ("time-budget: 1", "time-budget: unknown field (did you mean 'time_budget'?)"),
    ("monitor: val_loss", "monitor: unknown field; early stopping always watches the validation AUC"),
])
def test_a_flag_spelling_or_a_monitor_key_is_named(tmp_path: Path, line: str, says: str) -> None:
    with pytest.raises(ConfigError, match="c.yaml: invalid training config: " + re.escape(says)):
        load_config(_yaml(tmp_path, f"data: x.npz\n{line}\n"))
