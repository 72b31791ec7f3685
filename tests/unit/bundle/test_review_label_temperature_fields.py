"""Review of the per-label temperatures (b0ae766): a hand-edited ``calibration.not_fitted`` is refused on load
with a one-line ``BundleError`` naming config.json and the field, whatever ``calibration.temperature`` holds.

Before, an entry that is not a string (``[["rare"]]``, ``[{"rare": 1}]``) crashed loading with
``TypeError: unhashable type`` (a traceback from ``meddx predict``), and next to one temperature (a bundle
whose list was replaced by a number) the field was not checked at all: ``"rare"`` then reached the model card
and ``GET /v1/models`` as the letters "r, a, r, e"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError
from tests.unit.bundle.test_label_temperature_bundle import _bundle


@pytest.mark.parametrize(("temperature", "not_fitted"), [
    ([1.0, 2.0, 0.5], [["rare"]]),
    ([1.0, 2.0, 0.5], [{"rare": 1}]),
    ([1.0, 2.0, 0.5], [None]),
    (2.0, "rare"),
    (2.0, ["nosuch"]),
])
def test_a_wrong_not_fitted_is_refused_naming_the_field(tmp_path: Path, temperature: Any, not_fitted: Any) -> None:
    path = _bundle(tmp_path, {"temperature": 1.0})
    config = json.loads((path / "config.json").read_text())
    config["calibration"].update(temperature=temperature, not_fitted=not_fitted, fitted_on="val")
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"config\.json: field 'calibration\.not_fitted' must be a list of names "
                                          r"from label_names") as err:
        load_bundle(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("temperature", [[1.0, 2.0, 0.5], 2.0])
def test_a_not_fitted_list_of_label_names_still_loads(tmp_path: Path, temperature: Any) -> None:
    predictor = load_bundle(_bundle(tmp_path, {"temperature": temperature, "fitted_on": "val", "not_fitted": ["half"]}))
    assert predictor.config["calibration"]["not_fitted"] == ["half"]
