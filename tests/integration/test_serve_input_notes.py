"""The server's answer for a table row or a stay carries the notes ``meddx predict`` prints about data
the bundle never saw.

Found by a docs walk (helper "notes", stop 48): ``meddx predict`` notes a table value far outside the
training range, a category no training row had (read as ``COLUMN=other``) and a series value more than
100 training sds from the training mean (a unit, or a code such as ``HR`` 99999); the server answered
the same row or stay with its probabilities alone. Now the answer has ``notes`` (absent when there is
nothing to say), which, quoting the input, reach neither the log nor the audit.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.integration.serve_helpers import auth, data_root, test_settings, write_marker_table


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from meddx.data.synthetic_series import make_threshold_series
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    home = tmp_path_factory.mktemp("serve_notes")
    table = write_marker_table(home / "patients.csv", n=120)
    with data_root(home):
        fit(TrainConfig(data=str(table), name="rows", ci_resamples=0, verify=False), progress=False)
        fit(TrainConfig(data="synthetic", name="stays", model="gbm", ci_resamples=0, verify=False),
            source=make_threshold_series(200, seed=5), progress=False)
        viewer, _ = create_key("viewer", "clinic")
        admin, _ = create_key("admin", "ops")
        with TestClient(create_app(test_settings())) as client:
            yield {"client": client, "viewer": viewer, "admin": admin}


def _predict(served: dict, model: str, body: dict) -> dict:
    resp = served["client"].post(f"/v1/models/{model}/predict", json=body, headers=auth(served["viewer"]))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_row_with_an_unseen_category_and_a_far_value_gets_both_notes(
        served: dict, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        body = _predict(served, "rows", {"row": {"marker": 250.0, "bp": 0.1, "noise": 0.0, "site": "Lugano"}})
    notes = body["notes"]
    assert len(notes) == 2, notes
    assert notes[0].startswith("column 'marker': 1 of 1 row(s) far outside the training range ") \
        and "(e.g. 250 in the row)" in notes[0]
    assert notes[1] == ("column 'site': 1 of 1 row(s) hold a category no training row had (e.g. 'Lugano' in the row; "
                        "training had north, south); read as site=other, which no training row was, so the model "
                        "learnt nothing for it: check the spelling and coding")
    assert "Lugano" not in caplog.text  # the notes quote the input: never logged
    audit = served["client"].get("/v1/audit", headers=auth(served["admin"]))
    assert audit.status_code == 200 and "Lugano" not in audit.text
    assert "notes" not in _predict(served, "rows", {"row": {"marker": 0.3, "bp": 0.1, "noise": 0.0, "site": "north"}})


def test_a_stay_with_a_value_far_beyond_training_gets_the_far_value_note(served: dict) -> None:
    stay = {"id": "s9", "observations": [{"time": 1.0, "variable": "lactate", "value": 99999},
                                         {"time": 2.0, "variable": "lactate", "value": 2.0}]}
    body = _predict(served, "stays", {"record": stay})
    assert body["notes"] == [body["notes"][0]] and body["notes"][0].startswith(
        "1 observation(s) lie more than 100 training standard deviations from their variable's training mean "
        "(e.g. lactate 99999 in stay s9 at 1 h;"), body
    ordinary = {"id": "s8", "observations": [{"time": 1.0, "variable": "lactate", "value": 2.0}]}
    assert "notes" not in _predict(served, "stays", {"record": ordinary})


def test_the_openapi_prediction_lists_the_notes(served: dict) -> None:
    schema = served["client"].get("/openapi.json").json()["components"]["schemas"]["Prediction"]["properties"]
    assert schema["notes"]["type"] == "array" and schema["notes"]["items"] == {"type": "string"}
