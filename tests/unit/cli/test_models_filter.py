"""``meddx models WORD`` lists the architectures whose names contain the word, as a user expects."""

from __future__ import annotations

from typer.testing import CliRunner


def _listed(*args: str) -> tuple[int, str]:
    from meddx.cli.main import app

    result = CliRunner().invoke(app, ["models", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output + str(result.exception or "")


def test_a_plain_word_lists_every_name_containing_it() -> None:
    code, out = _listed("resnet")
    assert code == 0
    for name in ("resnet18", "resnet50", "resnet18-3d", "resnet50-3d"):
        assert f" {name} " in out
    assert "densenet121" not in out


def test_a_word_ignores_case_and_a_wildcard_pattern_matches_whole_names() -> None:
    code, out = _listed("ResNet50")
    assert code == 0 and " resnet50 " in out and " resnet50-3d " in out and "resnet18" not in out
    code, out = _listed("resnet*-3d")
    assert code == 0 and " resnet18-3d " in out and " resnet50 " not in out


def test_a_word_matching_nothing_is_one_line_listing_the_names() -> None:
    code, out = _listed("vit")
    assert code != 0  # the ModelError meddx's entry point prints as one line, exit status 2
    assert "no registered model matches 'vit'" in out and "resnet18" in out


def test_models_list_lists_every_model_as_registry_list_does() -> None:
    code, out = _listed("list")
    assert code == 0
    for name in ("seed-cnn", "resnet18", "bilstm-attention", "transformer"):
        assert f" {name} " in out
