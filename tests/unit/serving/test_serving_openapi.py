"""``/openapi.json`` describes what the server really answers: problem details and the prediction."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from meddx.serving.app import create_app
from meddx.serving.settings import ServeSettings


def _document(tmp_path: Any) -> dict[str, Any]:
    app = create_app(ServeSettings(db=tmp_path / "serving.db"))
    return TestClient(app).get("/openapi.json").json()  # no lifespan: no models needed for the schema


def test_errors_are_described_as_problem_details(tmp_path: Any) -> None:
    doc = _document(tmp_path)
    text = str(doc)
    assert "HTTPValidationError" not in text  # FastAPI's shape, which the server never sends
    for path, method in (("/v1/models/{name}/predict", "post"), ("/v1/audit", "get")):
        responses = doc["paths"][path][method]["responses"]
        for code in ("422", "4XX", "5XX"):
            assert list(responses[code]["content"]) == ["application/problem+json"], (path, code)
    required = set(doc["components"]["schemas"]["Problem"]["required"])
    assert required == {"type", "title", "status", "detail"}
    assert "503" in doc["paths"]["/readyz"]["get"]["responses"]


def test_a_real_validation_error_matches_the_described_problem(tmp_path: Any) -> None:
    app = create_app(ServeSettings(db=tmp_path / "serving.db"))
    doc = TestClient(app).get("/openapi.json").json()
    r = TestClient(app).get("/readyz")  # no lifespan ran: not ready, a 503 problem
    assert r.headers["content-type"] == "application/problem+json"
    assert set(doc["components"]["schemas"]["Problem"]["required"]) <= set(r.json())


def test_the_prediction_answer_is_described(tmp_path: Any) -> None:
    doc = _document(tmp_path)
    ok = doc["paths"]["/v1/models/{name}/predict"]["post"]["responses"]["200"]["content"]["application/json"]
    prediction, segmentation = (doc["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
                                for ref in ok["schema"]["oneOf"])
    assert {"label", "calibrated_probability", "probabilities", "threshold", "version", "stage"} <= set(
        prediction["required"])
    assert {"structures", "geometry", "mask"} <= set(segmentation["properties"])


def test_the_predict_body_describes_table_rows(tmp_path: Any) -> None:
    """/docs listed {"text"} and {"record"} only: a client reading it could not find how to send a table row."""
    doc = _document(tmp_path)
    body = doc["paths"]["/v1/models/{name}/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert '{"row": {' in body["schema"]["description"]
