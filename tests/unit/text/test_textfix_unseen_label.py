"""Evaluating on a file with a class the bundle never saw names how many rows carry it, the first by
id, and what to do (the error used to name the label only, with no row and no way forward)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from meddx.core.errors import DataError
from meddx.evaluation.as_trained import load_source_as_trained


def test_unseen_label_names_its_rows_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "unseen.csv"
    rows = [f"visit note {i} secret words,{i % 2}" for i in range(10)] + ["odd one secret words,9"] * 2
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    bundle = SimpleNamespace(task="binary", label_names=["0", "1"], name="b",
                             config={"modality": "text", "training": {"text_options": {}}})
    with pytest.raises(DataError) as caught:
        load_source_as_trained(bundle, str(path), carve_val=False)
    message = str(caught.value)
    assert "1 the bundle does not know: '9'" in message
    assert "2 sample(s) carry such a label (first: 'row11', 'row12')" in message
    assert "drop those rows, or evaluate a bundle trained with that class" in message
    assert "secret" not in message and "\n" not in message  # one line, no note text
