"""Bad model argument values are one-line ``ModelError``s for every registered model, not
TypeErrors from torch: model_args come from YAML configs, plan.json and bundle config.json.

Before, only the image classifiers checked their arguments: ``model_args: {hidden_size: 1.5}`` for
``lstm`` ended ``meddx train`` with a torch traceback (exit 1)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models
from meddx.models.registry import MODELS


def _scalar_arguments() -> list[object]:
    cases = []
    for name in list_models():
        for p in inspect.signature(MODELS._factories[name]).parameters.values():
            if str(p.annotation).replace(" | None", "") in ("int", "float"):
                cases.append(pytest.param(name, p.name, str(p.annotation), id=f"{name}-{p.name}"))
    return cases


@pytest.mark.parametrize(("name", "argument", "annotation"), _scalar_arguments())
def test_a_wrong_type_names_the_model_and_argument(name: str, argument: str, annotation: str) -> None:
    bad = 1.5 if annotation.startswith("int") else "x"
    with pytest.raises(ModelError, match=rf"{name}.*{argument} must be .*; got {bad!r}"):
        create_model(name, **{argument: bad})


def test_numpy_integers_and_ints_for_floats_are_accepted() -> None:
    net = create_model("lstm", num_classes=np.int64(3), vocab_size=np.int32(50), hidden_size=8, dropout=0)
    assert net(*_tokens()).shape == (2, 3)


@pytest.mark.parametrize(("name", "args"), [("lstm", {"embedding_dim": -1}), ("grud", {"hidden_size": -1}),
                                            ("mlp", {"hidden": 3}), ("unet", {"channels": 4})])
def test_a_value_the_library_refuses_is_one_model_error(name: str, args: dict) -> None:
    with pytest.raises(ModelError) as info:
        create_model(name, **args)
    message = str(info.value)
    assert name in message and next(iter(args)) in message and "\n" not in message


def test_train_with_a_bad_model_argument_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI in-process (a subprocess spent ~8 s importing torch again); that ``python -m meddx``
    # is this same command is tests/unit/cli/test_module_entry.py's test.
    from tests.integration.cli_helpers import run_cli

    rows = ["text,label"] + [f"note {i} finding {i * 7},{'yes' if i % 2 else 'no'}" for i in range(30)]
    (tmp_path / "notes.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "c.yaml").write_text(f"data: {tmp_path / 'notes.csv'}\nmodel: lstm\nmodel_args:\n  hidden_size: 1.5\n"
                                     "time_budget: 5\n")
    done = run_cli(["train", str(tmp_path / "c.yaml")], capsys)
    assert done.code == 2, done.err[-2000:]
    assert done.err.strip() == "meddx: error: model 'lstm': hidden_size must be an integer; got 1.5"


def _tokens() -> tuple[object, object]:
    import torch

    return torch.randint(1, 50, (2, 6)), torch.ones(2, 6, dtype=torch.long)
