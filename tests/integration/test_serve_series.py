"""Serving a time-series bundle: one stay as JSON in, risk and its reasons out, names checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.serve_helpers import auth, data_root, test_settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from meddx.data.synthetic_series import make_threshold_series
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    home = tmp_path_factory.mktemp("serve_series")
    source = make_threshold_series(300, seed=5)
    with data_root(home):
        result = fit(TrainConfig(data="synthetic", name="stays", model="gbm", ci_resamples=0, verify=False),
                     source=source, progress=False)
        viewer, _ = create_key("viewer", "ward")
        with TestClient(create_app(test_settings())) as client:
            yield {"client": client, "key": viewer, "source": source, "bundle": Path(result.bundle_path)}


def _as_json(record: Any, source: Any) -> dict:
    return {"id": record.id,
            "static": {n: float(v) for n, v in zip(source.static_names, record.static) if np.isfinite(v)},
            "observations": [{"time": float(t), "variable": source.variables[int(v)], "value": float(x)}
                             for t, v, x in zip(record.times, record.variables, record.values)]}


def test_a_stay_as_json_gets_the_bundles_answer_and_its_reasons(served: dict) -> None:
    from meddx.bundle.bundle import load_bundle

    from meddx.explain.api import explain

    source, client = served["source"], served["client"]
    test = source.split("test")
    predictor = load_bundle(served["bundle"])
    risk = predictor.predict_records(test.records)[:, 1]
    record = test.records[int(np.argmax(np.where(np.asarray(test.labels) == 1, risk, -1)))]  # clearest positive
    resp = client.post("/v1/models/stays/predict?explain=auto", json={"record": _as_json(record, source)},
                       headers=auth(served["key"]))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    expected = predictor.predict_records([record])[0]
    assert body["probabilities"]["died"] == pytest.approx(float(expected[1]), abs=1e-5)
    top = body["explanation"]["top_contributors"]
    assert body["explanation"]["method"] == "occlusion" and top[0]["variable"] == "lactate"
    assert top == explain(predictor, [record], "occlusion", target="died")[0].extra["top"]
    listed = client.get("/v1/models", headers=auth(served["key"])).json()
    entry = next(m for m in (listed["models"] if isinstance(listed, dict) else listed) if m["name"] == "stays")
    assert entry["modality"] == "series" and entry["explain_methods"] == ["occlusion"]


@pytest.mark.parametrize(("record", "needle"), [
    ({"observations": [{"time": 1.0, "variable": "troponin", "value": 1.0}]}, "troponin"),
    ({"observations": [{"time": 99.0, "variable": "lactate", "value": 1.0}]}, "window"),
    ({"observations": [{"time": 1.0, "variable": "lactate", "value": "high"}]}, "not a number"),
    ({"observations": "none"}, "observations"),
])
def test_bad_records_are_422_and_the_server_stays_healthy(served: dict, record: dict, needle: str) -> None:
    client = served["client"]
    resp = client.post("/v1/models/stays/predict", json={"record": record}, headers=auth(served["key"]))
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["detail"] and "Traceback" not in resp.text
    assert client.get("/healthz").status_code == 200


def test_a_stay_without_observations_is_answered_with_the_empty_stay_warning(served: dict) -> None:
    """`meddx predict` and the Python API name a stay with no observation in the window; the server
    answered it as any other stay."""
    client = served["client"]
    resp = client.post("/v1/models/stays/predict", json={"record": {"id": "s1", "observations": []}},
                       headers=auth(served["key"]))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["observations"] == 0 and body["empty_stay_warning"].startswith("s1: no observation in the bundle's")
    full = client.post("/v1/models/stays/predict", headers=auth(served["key"]),
                       json={"record": {"observations": [{"time": 1.0, "variable": "lactate", "value": 2.0}]}})
    assert full.json()["observations"] == 1 and "empty_stay_warning" not in full.json()
