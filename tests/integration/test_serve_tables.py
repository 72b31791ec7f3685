"""Serving a table bundle: one row as JSON in, the bundle's answer and the columns behind it out,
typed and checked as a CSV row of the same values would be."""

from __future__ import annotations

from pathlib import Path
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

    home = tmp_path_factory.mktemp("serve_tables")
    table = write_marker_table(home / "patients.csv")
    with data_root(home):
        result = fit(TrainConfig(data=str(table), name="rows", ci_resamples=0, verify=False), progress=False)
        viewer, _ = create_key("viewer", "clinic")
        with TestClient(create_app(test_settings())) as client:
            yield {"client": client, "key": viewer, "bundle": Path(result.bundle_path), "home": home}


def test_a_row_as_json_gets_the_bundles_answer_and_its_reasons(served: dict, tmp_path: Path) -> None:
    from meddx.bundle.bundle import load_bundle
    from meddx.explain.api import explain

    client, predictor = served["client"], load_bundle(served["bundle"])
    row = {"marker": 1.8, "bp": 0.2, "noise": -0.1, "site": "south", "id": "p7"}  # an id is ignored
    resp = client.post("/v1/models/rows/predict?explain=auto", json={"row": row}, headers=auth(served["key"]))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["label"] == "disease" and body["input"]["kind"] == "row"
    # the same values as a CSV row through `meddx predict` give the same probabilities
    csv = tmp_path / "one.csv"
    csv.write_text("marker,bp,noise,site\n1.8,0.2,-0.1,south\n")
    expected = predictor.predict_files([csv])[0].probabilities
    assert body["probabilities"] == pytest.approx(expected, abs=1e-6)
    top = body["explanation"]["top_contributors"]
    assert top[0]["column"] == "marker"
    assert top == explain(predictor, [predictor.row_from_json(row)], body["explanation"]["method"])[0].extra["top"]
    listed = client.get("/v1/models", headers=auth(served["key"])).json()["models"]
    assert next(m for m in listed if m["name"] == "rows")["modality"] == "tabular"


def test_null_is_a_missing_value_not_an_error(served: dict) -> None:
    resp = served["client"].post("/v1/models/rows/predict", json={"row": {"marker": -2.0, "bp": None, "noise": 0,
                                                                           "site": None}},
                                 headers=auth(served["key"]))
    assert resp.status_code == 200, resp.text
    assert resp.json()["label"] == "healthy"


@pytest.mark.parametrize(("body", "needle"), [
    ({"row": {"marker": 1.0, "bp": 0.0, "site": "north"}}, "missing feature column(s) noise"),
    ({"row": {"marker": "high", "bp": 0.0, "noise": 0.0, "site": "north"}}, "numbers"),
    ({"row": {"marker": [1], "bp": 0.0, "noise": 0.0, "site": "north"}}, "must be a number"),
    ({"row": [1, 2, 3]}, '"row" must be a JSON object'),
    ({"text": "a note"}, 'takes "row"'),
])
def test_bad_rows_are_422_and_the_server_stays_healthy(served: dict, body: dict, needle: str) -> None:
    client = served["client"]
    resp = client.post("/v1/models/rows/predict", json=body, headers=auth(served["key"]))
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["detail"] and "Traceback" not in resp.text
    assert client.get("/healthz").status_code == 200


def test_ablation_is_asked_for_by_name(served: dict) -> None:
    """`?explain=ablation` (listed in the model's explain_methods) was refused by the query pattern."""
    row = {"marker": 1.8, "bp": 0.2, "noise": -0.1, "site": "south"}
    listed = served["client"].get("/v1/models", headers=auth(served["key"])).json()["models"]
    assert "ablation" in next(m for m in listed if m["name"] == "rows")["explain_methods"]
    resp = served["client"].post("/v1/models/rows/predict?explain=ablation", json={"row": row},
                                 headers=auth(served["key"]))
    assert resp.status_code == 200, resp.text
    assert resp.json()["explanation"]["method"] == "ablation"
