"""The TF-IDF baseline is fitted before the network trains, so a corpus it refuses fails at once.

Found by an audit: the baseline was fitted after training; with no word in two documents it fell
back to min_df 1 (words of one note, names included, stored in the bundle). It now refuses such a
corpus (tests/unit/evaluation/test_text_baseline.py), and this checks the refusal comes before
any epoch is spent and before a run folder is made.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from meddx.core.errors import DataError


def test_a_corpus_the_baseline_refuses_fails_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.training.fit as fit_module
    from meddx.training.config import TrainConfig

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    rows = [" ".join(f"q{i}x{j}" for j in range(3)) + f",{'ab'[i % 2]}" for i in range(40)]  # no shared word
    path = tmp_path / "unique.csv"
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with mock.patch.object(fit_module, "train_and_restore", side_effect=AssertionError("a network was trained")):
        with pytest.raises(DataError, match="TF-IDF baseline found no word"):
            fit_module.fit(TrainConfig(data=str(path), epochs=1, name="u", output=str(tmp_path / "b")),
                           progress=False)
    assert not (tmp_path / "home" / "runs").exists() or not any((tmp_path / "home" / "runs").iterdir())
