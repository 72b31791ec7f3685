"""``meddx train --help`` lists its 54 options in named groups (data and run, model and training,
processes, then one group per kind of data and differential privacy) instead of one box, so a
user looking for the text or table flags finds them together."""

from __future__ import annotations

import typer

from meddx.cli.main import app

PANELS = {"Data and run", "Model and training", "Processes", "Segmentation", "Text", "Text, series and tables",
          "Series", "Tables", "Differential privacy"}


def _train() -> object:
    return typer.main.get_command(app).commands["train"]  # type: ignore[attr-defined]


def test_every_train_option_is_in_a_named_group() -> None:
    options = [p for p in _train().params if p.param_type_name == "option" and p.name != "help"]
    assert len(options) > 40
    ungrouped = [p.opts[0] for p in options if getattr(p, "rich_help_panel", None) not in PANELS]
    assert ungrouped == []


def test_each_flag_sits_with_its_kind_of_data() -> None:
    panel = {p.opts[0]: p.rich_help_panel for p in _train().params if p.param_type_name == "option" and p.name != "help"}
    assert panel["--vocab-size"] == panel["--tokenizer"] == "Text"
    assert panel["--categorical"] == panel["--columns"] == "Tables"
    assert panel["--window-hours"] == "Series" and panel["--seg-tta"] == "Segmentation"
    assert panel["--epsilon"] == panel["--dp"] == "Differential privacy"
    assert panel["--time-budget"] == panel["--ensemble"] == "Model and training"
    assert panel["--devices"] == "Processes" and panel["--resume"] == "Data and run"
