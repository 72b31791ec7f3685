"""Found by a docs walk: `meddx explain lesions --evaluate ...` on an 80-column terminal (or piped)
printed the method column cut with an ellipsis ("gradca…", "integr…"), so the names `-m` takes
could not be read or copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.cli.explain import _print_faithfulness

METHODS = ("gradcam", "gradcam++", "occlusion", "integrated-gradients", "saliency")


def _report() -> dict:
    row = {"deletion_auc": 0.343, "random_deletion_auc": 0.754, "insertion_auc": 0.836, "random_insertion_auc": 0.757,
           "pointing_game": None, "randomisation_passed": True, "milliseconds": 111.0}
    return {"n": 10, "split": "test", "table": [{"method": m, **row} for m in METHODS], "warnings": []}


def test_piped_every_method_name_is_printed_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    _print_faithfulness(_report(), tmp_path / "f.json", as_json=False)
    out = capsys.readouterr().out
    assert "…" not in out
    cells = {line.split("│")[1].strip() for line in out.splitlines() if line.count("│") > 2}
    assert set(METHODS) <= cells
    assert f"faithfulness: {tmp_path / 'f.json'}" in out


def test_a_narrow_terminal_folds_the_names_instead_of_cutting_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    _print_faithfulness(_report(), tmp_path / "f.json", as_json=False)
    out = capsys.readouterr().out
    assert "…" not in out
    rows = [line.split("│") for line in out.splitlines() if line.count("│") > 2]
    first_cells = "".join(row[1].strip() for row in rows)  # a folded name continues on the next lines
    assert first_cells == "".join(METHODS)
    assert all(row[-2].strip() in ("111.0", "") for row in rows)  # the last column is whole too
