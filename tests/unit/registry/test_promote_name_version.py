"""Found by a docs walk: `meddx registry promote lesions:2` (the NAME:VERSION every other command
and this command's own help take) failed with "Missing argument 'VERSION'", and
`meddx registry remove lesions:1` with "Missing option '--version'"."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.registry.store import list_bundles, register_bundle, stage_version
from tests.integration.cli_helpers import run_cli
from tests.unit.registry.test_stale_entries import _bundle


def _two_versions(tmp_path: Path) -> None:
    for version in (1, 2):
        register_bundle(_bundle(tmp_path / "bundles" / "lesions" / f"v{version}", "lesions"))


def test_promote_and_remove_take_name_colon_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_versions(tmp_path)
    result = run_cli(["registry", "promote", "lesions:2"], capsys)
    assert result.code == 0, result.err
    assert stage_version("lesions", "production") == 2
    result = run_cli(["registry", "promote", "lesions", "1", "--stage", "staging"], capsys)  # the old form
    assert result.code == 0 and stage_version("lesions", "staging") == 1
    result = run_cli(["registry", "remove", "lesions:1"], capsys)
    assert result.code == 0, result.err
    assert [r.version for r in list_bundles()] == [2]


@pytest.mark.parametrize(("argv", "message"), [
    (["registry", "promote", "lesions"],
     "meddx: error: no version for 'lesions': give NAME:VERSION or NAME VERSION (see `meddx registry list`)"),
    (["registry", "promote", "lesions:1", "2"],
     "meddx: error: 'lesions:1' and version 2 name two versions; give one"),
    (["registry", "remove", "lesions"],
     "meddx: error: no version for 'lesions': give NAME:VERSION or NAME --version N (see `meddx registry list`)"),
])
def test_a_missing_or_contradicting_version_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        argv: list[str], message: str) -> None:
    _two_versions(tmp_path)
    result = run_cli(argv, capsys)
    assert result.code == 2
    assert result.err.strip() == message
    assert stage_version("lesions", "production") is None and len(list_bundles()) == 2
