"""``evaluate``/``compare`` take ``--label-delimiter``: a multi-label bundle trained on JSON label lists
(nothing recorded) reads an ``a|b`` export of the same labels when told, and says which flag when not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.as_trained import load_source_as_trained


def _bundle(modality: str = "text") -> SimpleNamespace:
    options = {"text_options": {}} if modality == "text" else {"source_options": {"label_column": "y"}}
    return SimpleNamespace(task="multilabel", label_names=["cardio", "neuro", "renal"], name="b",
                           config={"modality": modality, "training": options})


def _export(tmp_path: Path) -> Path:
    rows = ["cardio|neuro", "renal", "neuro|renal", "cardio", "cardio|renal", "neuro"] * 2
    path = tmp_path / "export.csv"
    path.write_text("text,label\n" + "".join(f"note number {i},{label}\n" for i, label in enumerate(rows)))
    return path


def test_a_delimited_export_is_read_with_the_given_delimiter(tmp_path: Path) -> None:
    source = load_source_as_trained(_bundle(), str(_export(tmp_path)), carve_val=False,
                                    columns={"label_delimiter": "|"})
    assert source.task == "multilabel" and source.label_names == ["cardio", "neuro", "renal"]
    labels = next(iter(source.splits.values())).labels
    assert labels.shape[1] == 3 and labels.sum() == 18


def test_without_the_flag_the_error_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"labels hold '\|': .*give --label-delimiter '\|'") as caught:
        load_source_as_trained(_bundle(), str(_export(tmp_path)), carve_val=False)
    assert "6 sample(s) carry such a label" in str(caught.value)
    assert "drop those rows" not in str(caught.value)  # the rows are the same labels joined: the flag is the fix


def test_the_flag_is_refused_for_a_bundle_that_reads_no_documents(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--label-delimiter: bundle 'b' reads no documents"):
        load_source_as_trained(_bundle("tabular"), str(_export(tmp_path)), carve_val=False,
                               columns={"label_delimiter": "|"})


@pytest.mark.parametrize("command", ["evaluate", "compare"])
def test_the_cli_passes_the_flag_on(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.cli.main import app

    seen: dict = {}

    def fake(*args, columns=None, **kwargs):
        seen.update(columns)
        raise DataError("stop")

    monkeypatch.setattr("meddx.cli.evaluate._is_segmentation_bundle", lambda bundle: False)
    monkeypatch.setattr("meddx.evaluation.evaluate.evaluate_bundle", fake)
    monkeypatch.setattr("meddx.evaluation.compare.compare_bundles", fake)
    bundles = ["a"] if command == "evaluate" else ["a", "b"]
    result = CliRunner().invoke(app, [command, *bundles, "--data", "x.csv", "--label-delimiter", "|"])
    assert str(result.exception) == "stop" and seen == {"label_delimiter": "|"}
