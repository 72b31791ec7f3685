"""Config and plan-file errors name where the bad value came from.

Found by an audit: ``meddx train bad.yaml --epochs 0`` blamed the YAML file for the flag's value;
``epochs: yes`` (YAML reads yes/no/on/off/true/false as booleans) trained one epoch, pydantic's lax
mode taking ``True`` as 1; a ``--plan`` file holding a JSON list was reported as "unknown plan
field(s) [1]", and a plan file's bad value or conflicting field did not name the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.training.config import load_config
from meddx.training.plan import apply_overrides, check_no_conflicts, read_plan


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def test_a_bad_flag_value_is_not_blamed_on_the_config_file(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "data: x.npz\nepochs: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid training config: epochs \(set by a flag, which "
                                          r"overrides the config file\): .*greater than or equal to 1 \(got 0\)"):
        load_config(path, epochs=0)
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid training config: epochs: .*\(got 0\)$"):
        load_config(_yaml(tmp_path, "data: x.npz\nepochs: 0\n"))
    assert load_config(path, epochs=5).epochs == 5  # the flag wins


@pytest.mark.parametrize(("line", "expected"), [("epochs: yes", "an integer"), ("lr: on", "a number"),
                                                ("image_size: true", "an integer")])
def test_a_boolean_for_a_number_is_refused(tmp_path: Path, line: str, expected: str) -> None:
    field = line.split(":")[0]
    with pytest.raises(ConfigError, match=rf"bad.yaml: invalid training config: {field}: expected {expected}, got True"):
        load_config(_yaml(tmp_path, f"data: x.npz\n{line}\n"))
    assert load_config(_yaml(tmp_path, "data: x.npz\ndeterministic: yes\nclass_weights: no\n")).deterministic


def test_plan_file_errors_name_the_file(tmp_path: Path) -> None:
    from meddx.training.config import TrainConfig
    from meddx.training.plan import Plan

    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([1]))
    with pytest.raises(ConfigError, match=r"list.json: expected a JSON object of plan fields .*got list"):
        read_plan(listed)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"epochs": "many", "batch_size": 8}))
    overrides = read_plan(edited)
    plan = Plan(model="seed-cnn", model_args={}, image_size=[16, 16], channels=1, batch_size=4, epochs=2,
                class_weights=None, early_stopping_patience=4)
    with pytest.raises(ConfigError, match=r"invalid plan override epochs \(the --plan file .*edited.json\)"):
        apply_overrides(plan, overrides)
    with pytest.raises(ConfigError, match=r"batch_size: the config or flags say 16 but the --plan file .*edited.json "
                                          r"says 8"):
        check_no_conflicts(TrainConfig(data="x.npz", batch_size=16), overrides, 2)


@pytest.mark.parametrize("flag", [{"time_budget": float("inf")}, {"lr": float("inf")}, {"time_budget": float("nan")},
                                  {"weight_decay": float("nan")}])
def test_a_non_finite_number_is_refused_naming_the_field(tmp_path: Path, flag: dict) -> None:
    """Found by the CLI audit: ``--time-budget inf`` trained without end, ``--lr inf`` failed after
    training with a message about probabilities."""
    field = next(iter(flag))
    with pytest.raises(ConfigError, match=rf"{field} \(set by a flag.*finite number"):
        load_config(_yaml(tmp_path, "data: x.npz\n"), **flag)
    with pytest.raises(ConfigError, match=rf"bad.yaml: invalid training config: {field}: .*finite number"):
        load_config(_yaml(tmp_path, f"data: x.npz\n{field}: .inf\n"))


def test_a_binary_or_empty_config_file_is_one_line_naming_it(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match=r"junk.yaml: not a YAML config: byte \d+ is not UTF-8 text"):
        load_config(junk)
    with pytest.raises(ConfigError, match=r"bad.yaml: no 'data:' field; no data source given"):
        load_config(_yaml(tmp_path, ""))


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_a_seed_outside_numpys_range_is_refused_naming_the_flag(tmp_path: Path, seed: int) -> None:
    """Found by audit 56: ``meddx train --seed -1`` trained nothing and ended in Lightning's
    ``seed_everything`` ValueError traceback; the seed is now checked with the other fields."""
    path = _yaml(tmp_path, "data: x.npz\n")
    with pytest.raises(ConfigError, match=rf"bad.yaml: invalid training config: seed .*\(got {seed}\)"):
        load_config(path, seed=seed)
    assert load_config(path, seed=2**32 - 1).seed == 2**32 - 1


def test_a_misspelt_config_key_names_the_field_it_is_close_to(tmp_path: Path) -> None:
    # pydantic's "Extra inputs are not permitted" named no field the user could have meant
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid training config: time_budgit: unknown field "
                                          r"\(did you mean 'time_budget'\?\) \(got 1\)$"):
        load_config(_yaml(tmp_path, "data: x.npz\ntime_budgit: 1\n"))
    with pytest.raises(ConfigError, match=r"Epochs: unknown field \(did you mean 'epochs'\?\)"):
        load_config(_yaml(tmp_path, "data: x.npz\nEpochs: 3\n"))
    with pytest.raises(ConfigError, match=r"colour: unknown field; the fields are those of "
                                          r"meddx.training.config.TrainConfig"):
        load_config(_yaml(tmp_path, "data: x.npz\ncolour: blue\n"))


def test_load_config_of_a_data_file_says_to_pass_it_as_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The Python API (and ``meddx cv``/federated configs) refuse a data file given as the config, as
    ``meddx train`` does, instead of reading it as YAML."""
    notes = tmp_path / "notes.csv"
    notes.write_text("text,label\n\"a: note, with: colons\",x\n")
    with pytest.raises(ConfigError, match=r"notes\.csv: not a \.yaml/\.yml/\.json file; CONFIG is a YAML config; "
                                          r"pass the data with --data PATH"):
        load_config(notes)
