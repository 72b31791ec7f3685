"""``meddx serve --max-unzipped-mb/--max-zip-entries`` reach the server's settings (a DICOM series sent as
one ZIP is bounded by them); before, they could be set only from Python (``ServeSettings``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_helpers import run_cli


def test_zip_limits_reach_the_settings_and_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    import meddx.serving.app as app_module

    seen: dict[str, Any] = {}
    monkeypatch.setattr(app_module, "create_app", lambda settings: seen.setdefault("settings", settings))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    result = run_cli(["serve", "--port", "0", "--max-unzipped-mb", "12.5", "--max-zip-entries", "7"], capsys)
    assert result.code == 0, result.err
    assert (seen["settings"].max_unzipped_mb, seen["settings"].max_zip_entries) == (12.5, 7)
    bad = run_cli(["serve", "--port", "0", "--max-unzipped-mb", "nan"], capsys)
    assert bad.code == 2 and "--max-unzipped-mb" in bad.err and "Traceback" not in bad.err
