"""A served table row with an infinite, out-of-range or true/false number gets a 422 that names the
column and says what was expected; NaN is a missing value, as in the training CSV."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.serve_helpers import auth, data_root, test_settings, write_marker_table


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    home = tmp_path_factory.mktemp("serve_table_numbers")
    table = write_marker_table(home / "patients.csv")
    with data_root(home):
        fit(TrainConfig(data=str(table), name="rows", ci_resamples=0, verify=False), progress=False)
        viewer, _ = create_key("viewer", "clinic")
        with TestClient(create_app(test_settings())) as client:
            yield {"client": client, "key": viewer}


def _post(served: dict, marker: str) -> Any:
    body = '{"row": {"marker": %s, "bp": 0.2, "noise": -0.1, "site": "south"}}' % marker
    return served["client"].post("/v1/models/rows/predict", content=body.encode(),
                                 headers={**auth(served["key"]), "Content-Type": "application/json"})


@pytest.mark.parametrize(("marker", "words"), [
    ("Infinity", "Infinity is not a finite number"), ("-Infinity", "-Infinity is not a finite number"),
    ("1e400", "Infinity is not a finite number"), ('"1e400"', "'1e400' is not a finite number (beyond"),
    ('"Infinity"', "'Infinity' is not a finite number (infinite)"), ("true", "'true' is a true/false value"),
])
def test_a_row_with_a_non_finite_number_is_a_422_naming_the_column(served: dict, marker: str, words: str) -> None:
    """Found by a docs walk: these gave "column 'marker' holds text, but the model was trained on it
    as numbers" (a JSON number is no text) and, for 1e400, hid that the number overflowed."""
    resp = _post(served, marker)
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert f"column 'marker': {words}" in detail and "null for missing" in detail, detail
    assert "holds text" not in detail


@pytest.mark.parametrize("marker", ["NaN", '"NaN"', "null"])
def test_nan_is_missing_as_in_the_training_csv(served: dict, marker: str) -> None:
    resp = _post(served, marker)
    assert resp.status_code == 200, resp.text


def test_a_number_beyond_the_models_float32_range_is_a_422_naming_the_column(served: dict) -> None:
    """1e39 is a finite float64, so the row reader takes it; the float32 cast made it infinite and
    the answer said "probs must be finite probabilities ... apply softmax/sigmoid to logits first"."""
    resp = _post(served, "1e39")
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert detail.startswith("column 'marker': 1e+39 is") and "float32" in detail and "softmax" not in detail, detail
