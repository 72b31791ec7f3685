"""An unknown field in a bundle's ``config.json`` is refused, naming it and the closest known one.

Found by an audit: a hand edit ``"decision": {"threshhold": 0.9}`` loaded silently and the bundle
kept deciding at its old threshold. A bundle that a newer meddx wrote (its ``meddx_version`` file
says so) may carry fields this meddx does not know yet: it loads, with a warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError


def _edit_config(path: Path, change) -> None:
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(("change", "named"), [
    (lambda c: c["decision"].update(threshhold=0.9), r"'decision.threshhold' \(did you mean 'decision.threshold'\?\)"),
    (lambda c: c.update(orientaton="LPS"), r"'orientaton' \(did you mean 'orientation'\?\)"),
    (lambda c: c["model"].update(num_clases=2), r"'model.num_clases' \(did you mean 'model.num_classes'\?\)"),
    (lambda c: c.update(calibration={"temprature": 2.0}),
     r"'calibration.temprature' \(did you mean 'calibration.temperature'\?\)"),
    (lambda c: c.update(zzz=1), r"'zzz'; this meddx"),
])
def test_an_unknown_field_is_refused_with_the_closest_known_one(bundle: Path, change, named: str) -> None:
    assert load_bundle(bundle).threshold == 0.3  # the fixture's fields are all known
    _edit_config(bundle, change)
    with pytest.raises(BundleError, match=rf"b/config.json: unknown field\(s\) .*{named}"):
        load_bundle(bundle)


def test_the_cli_says_it_in_one_line(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.integration.cli_helpers import run_cli

    _edit_config(bundle, lambda c: c["decision"].update(threshhold=0.9))
    result = run_cli(["predict", str(bundle), str(bundle / "model_card.md")], capsys)
    assert result.code == 2
    assert result.err.strip().count("\n") == 0 and "did you mean 'decision.threshold'?" in result.err


def test_a_bundle_from_a_newer_meddx_loads_and_warns(bundle: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A newer meddx may add an optional field within the same format; an older one ignores it."""
    _edit_config(bundle, lambda c: c["decision"].update(margin=0.1))
    (bundle / "meddx_version").write_text("99.0.0\n")
    with caplog.at_level(logging.WARNING, logger="meddx.bundle.config_keys"):
        predictor = load_bundle(bundle)
    assert predictor.threshold == 0.3
    assert "'decision.margin'" in caplog.text and "written by meddx 99.0.0" in caplog.text
    (bundle / "meddx_version").write_text("0.0.1\n")  # an older meddx never wrote it: a typo or an edit
    with pytest.raises(BundleError, match=r"unknown field\(s\) 'decision.margin'"):
        load_bundle(bundle)
