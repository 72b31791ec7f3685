"""``registry show`` and ``registry list --json`` give the registration time as a readable UTC
timestamp beside the raw seconds since 1970, which were all a reader got (``1795553974.845``)."""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path

import pytest

from meddx.registry.store import register_bundle
from tests.integration.cli_helpers import run_cli
from tests.unit.registry.test_stale_entries import _bundle


def test_show_and_list_json_give_created_utc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register_bundle(_bundle(tmp_path / "b", "xray"))
    shown = run_cli(["registry", "show", "xray"], capsys)
    listed = run_cli(["registry", "list", "--json"], capsys)
    assert shown.code == 0 and listed.code == 0
    for record in (json.loads(shown.out)["record"], json.loads(listed.out)[0]):
        stamp = record["created_utc"]
        assert stamp.endswith("Z")
        seconds = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
        assert seconds == int(record["created"]) and abs(seconds - time.time()) < 600
