"""`meddx evaluate/compare --out FILE`: refused before anything is read or predicted.

Before, both commands predicted every case and ran every bootstrap resample (20 s on a 300-image
demo split, minutes on real data), then failed to create the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


@pytest.mark.parametrize("command", [["evaluate", "demo:1"], ["compare", "demo:1", "demo:2"]])
def test_out_naming_an_existing_file_is_refused_first_and_the_file_is_kept(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))  # no such bundle, no such data: never reached
    target = tmp_path / "notes.csv"
    target.write_text("id,sex\na,F\n")
    result = run_cli([*command, "--data", str(tmp_path / "missing"), "--out", str(target)], capsys)
    assert result.code == 2
    assert "--out" in result.err and "a file exists there" in result.err and "Traceback" not in result.err
    assert target.read_text() == "id,sex\na,F\n"


def test_the_python_api_refuses_an_out_file_or_a_folder_under_a_file_before_reading(tmp_path: Path) -> None:
    """``evaluate_bundle`` and ``compare_bundles`` check ``out`` first too (before, only the CLI did),
    and a folder whose parent is a file is refused the same way."""
    from meddx.core.errors import ConfigError
    from meddx.evaluation.compare import compare_bundles
    from meddx.evaluation.evaluate import evaluate_bundle

    target = tmp_path / "notes.csv"
    target.write_text("x\n")
    for out, said in ((target, "a file exists there"), (target / "sub", f"{target} is a file")):
        with pytest.raises(ConfigError, match=said):
            evaluate_bundle(tmp_path / "no-bundle", str(tmp_path / "missing"), out=out)
        with pytest.raises(ConfigError, match=said):
            compare_bundles(str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "missing"), out=str(out))
    assert target.read_text() == "x\n"
