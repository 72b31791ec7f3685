"""Model versions while serving: promote, roll back, hot swap without failed requests, pickles refused,
and the ``meddx keys`` / ``meddx registry promote|rollback`` commands."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.serve_helpers import async_client, auth, make_home, test_settings

PREDICT = "/v1/models/lesions/predict"


@pytest.fixture
def home(trained: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    h = make_home(trained["bundle"], tmp_path / "home")
    monkeypatch.setenv("MEDDX_HOME", str(h["home"]))
    return h


def _png(trained: dict) -> bytes:
    return sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0].read_bytes()


def test_promote_and_rollback_swap_versions_without_failing_requests(home: dict, trained: dict) -> None:
    from meddx.serving.app import create_app

    png, viewer, admin = _png(trained), auth(home["viewer"]), auth(home["admin"])

    async def main() -> None:
        app = create_app(test_settings())
        async with async_client(app) as c:
            async def predict() -> tuple[int, int]:
                r = await c.post(PREDICT, headers=viewer, files={"file": ("a.png", png, "image/png")})
                return r.status_code, r.json().get("version")

            assert await predict() == (200, 2)  # nothing promoted: the latest version
            old = app.state.manager.models["lesions"]
            results = await asyncio.gather(
                *(predict() for _ in range(10)),
                c.post("/v1/models/lesions/promote", json={"version": 1}, headers=admin),
                *(predict() for _ in range(10)))
            promoted = results[10]
            assert promoted.status_code == 200 and promoted.json()["serving"] == 1
            answers = results[:10] + results[11:]
            assert all(code == 200 for code, _ in answers) and {v for _, v in answers} <= {1, 2}
            assert await predict() == (200, 1)
            models = (await c.get("/v1/models", headers=viewer)).json()["models"]
            assert (models[0]["version"], models[0]["stage"]) == (1, "production")
            await asyncio.sleep(0.2)
            assert old.batcher._closed  # the replaced version was retired once idle
            r = await c.post("/v1/models/lesions/promote", json={"version": 2}, headers=admin)
            assert r.json()["serving"] == 2 and await predict() == (200, 2)
            r = await c.post("/v1/models/lesions/rollback", headers=admin)
            assert r.status_code == 200 and r.json()["version"] == 1 and await predict() == (200, 1)
            r = await c.post("/v1/models/lesions/rollback", headers=admin)
            assert r.status_code == 422 and "only v1" in r.json()["detail"]
            r = await c.post("/v1/models/lesions/promote", json={"version": 7}, headers=admin)
            assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
            rows = (await c.get("/v1/audit?limit=100", headers=admin)).json()["rows"]
            assert {r["version"] for r in rows} == {1, 2}

    asyncio.run(main())


def test_the_server_notices_a_promotion_made_with_the_cli(home: dict, trained: dict,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.serving.app import create_app

    async def main() -> None:
        app = create_app(test_settings(poll_seconds=0.2))
        async with async_client(app) as c:
            assert app.state.manager.models["lesions"].version == 2
            result = run_cli(["registry", "promote", "lesions", "1"], capsys)
            assert result.code == 0 and "lesions production: v1 (was none)" in result.out
            deadline = time.monotonic() + 20
            while app.state.manager.models["lesions"].version != 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            r = await c.post(PREDICT, headers=auth(home["viewer"]), files={"file": ("a.png", _png(trained), "image/png")})
            assert r.json()["version"] == 1 and r.json()["stage"] == "production"

    asyncio.run(main())
    listed = run_cli(["registry", "list"], capsys)
    assert "production" in listed.out
    assert run_cli(["registry", "promote", "lesions", "2"], capsys).code == 0
    result = run_cli(["registry", "rollback", "lesions"], capsys)
    assert result.code == 0 and "v1 (rolled back from v2)" in result.out
    result = run_cli(["registry", "promote", "lesions", "9"], capsys)
    assert result.code == 2 and "no registered bundle 'lesions:9'" in result.err and "Traceback" not in result.err


def test_a_bundle_holding_a_pickle_is_refused_and_the_served_version_stays(home: dict, trained: dict) -> None:
    from meddx.core.errors import BundleError
    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app

    poisoned = Path(shutil.copytree(home["v1"], home["home"] / "poisoned"))
    (poisoned / "model.pt").write_bytes(b"PK\x03\x04")
    with pytest.raises(BundleError, match="model.pt"):
        register_bundle(poisoned)
    third = register_bundle(shutil.copytree(home["v1"], home["home"] / "v3"))  # clean when registered...
    (Path(third.path) / "extra").write_bytes(b"\x80\x04\x95\x00\x00\x00")  # ...then a pickle slipped in

    async def main() -> None:
        app = create_app(test_settings())
        async with async_client(app) as c:
            viewer, admin = auth(home["viewer"]), auth(home["admin"])
            # the latest version (v3) is refused at start: reported, never silently replaced by an older one
            r = await c.get("/v1/models", headers=viewer)
            reason = r.json()["unavailable"]["lesions"]
            assert r.json()["models"] == [] and "v3" in reason and "extra" in reason and "pickle" in reason
            r = await c.post(PREDICT, headers=viewer, files={"file": ("a.png", _png(trained), "image/png")})
            assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
            # an admin promotes a clean version: served at once
            r = await c.post("/v1/models/lesions/promote", json={"version": 2}, headers=admin)
            assert r.status_code == 200 and r.json()["serving"] == 2
            r = await c.post("/v1/models/lesions/promote", json={"version": 3}, headers=admin)
            assert r.status_code == 422 and "pickle" in r.json()["detail"]
            r = await c.post(PREDICT, headers=viewer, files={"file": ("a.png", _png(trained), "image/png")})
            assert r.status_code == 200 and r.json()["version"] == 2

    asyncio.run(main())


def test_keys_cli_prints_the_key_once_and_revocation_locks_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.serving.auth import KeyStore

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    created = run_cli(["keys", "create", "--role", "admin", "--name", "ops"], capsys)
    assert created.code == 0
    token = created.out.strip()
    key_id = token.split("_")[1]
    assert token.startswith("mdx_") and "cannot be shown again" in created.err
    listed = run_cli(["keys", "list"], capsys)
    assert key_id in listed.out and "ops" in listed.out and token.split("_", 2)[2] not in listed.out
    store = KeyStore(tmp_path / "serving.db", cache_seconds=0)
    assert store.verify(token).role == "admin"
    assert run_cli(["keys", "revoke", key_id], capsys).code == 0
    assert store.verify(token) is None
    bad = run_cli(["keys", "create", "--role", "root"], capsys)
    assert bad.code == 2 and "viewer, admin" in bad.err


@pytest.mark.slow
def test_a_text_bundle_is_served_from_json_and_no_note_text_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    from meddx.data.synthetic_text import write_text_csv
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    csv_path = write_text_csv(tmp_path / "notes.csv", n=200, seed=3)
    trained = run_cli(["train", "--data", str(csv_path), "--model", "bilstm-attention", "--epochs", "6",
                       "--name", "notes", "--no-progress", "--seed", "0"], capsys)
    assert trained.code == 0, trained.err
    key, _ = create_key("viewer")
    canary = "Zyxwvutsrq Canaryname"
    notes = {"cardiology": f"Patient presented with chest pain {canary} infarction noted on exam review labs stable",
             "neurology": f"Patient presented with fatigue {canary} seizure noted follow up clinic daily dose"}
    keywords = {"cardiology": "infarction", "neurology": "seizure"}

    async def main() -> dict:
        app = create_app(test_settings())
        async with async_client(app) as c:
            out = {}
            for label, note in notes.items():
                r = await c.post("/v1/models/notes/predict?explain=auto", headers=auth(key), json={"text": note})
                assert r.status_code == 200, r.text
                out[label] = r.json()
            r = await c.post("/v1/models/notes/predict", headers=auth(key), files={"file": ("a.png", b"x", "image/png")})
            assert r.status_code == 415
            app.state.audit.flush()
        return out

    with caplog.at_level("DEBUG"):
        answers = asyncio.run(main())
    for label, body in answers.items():
        assert body["label"] == label and body["input"]["kind"] == "text"
        spans = body["explanation"]["tokens"]
        top = max(spans, key=lambda s: abs(s["score"]))
        assert notes[label][top["start"]:top["end"]].lower() == keywords[label]  # the known answer
    dump = b"".join(p.read_bytes() for p in tmp_path.glob("serving.db*"))
    assert canary.encode() not in dump and b"infarction" not in dump and b"seizure" not in dump
    assert canary not in caplog.text
    assert json.dumps(answers).count(canary) == 0  # answers carry offsets, never the note


def test_a_served_version_kept_after_its_successor_failed_says_so(home: dict, trained: dict) -> None:
    """A new target that cannot be loaded leaves the old version serving; its answers then said
    "stage": "latest" (or "production") although the registry's latest (production) was the new one."""
    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app

    async def main() -> None:
        app = create_app(test_settings())
        async with async_client(app) as c:
            viewer = auth(home["viewer"])
            r = await c.post(PREDICT, headers=viewer, files={"file": ("a.png", _png(trained), "image/png")})
            assert (r.json()["version"], r.json()["stage"]) == (2, "latest")
            third = register_bundle(shutil.copytree(home["v1"], home["home"] / "v3"))
            (Path(third.path) / "extra").write_bytes(b"\x80\x04\x95\x00\x00\x00")  # a pickle slipped in
            await app.state.manager.refresh()  # what the poll does
            r = await c.post(PREDICT, headers=viewer, files={"file": ("a.png", _png(trained), "image/png")})
            assert r.json()["version"] == 2 and r.json()["stage"] == "kept: latest v3 failed to load"
            listed = (await c.get("/v1/models", headers=viewer)).json()
            assert listed["models"][0]["stage"] == r.json()["stage"] and "v3" in listed["unavailable"]["lesions"]

    asyncio.run(main())


def test_a_deleted_bundle_folder_is_reported_with_the_remove_command(home: dict) -> None:
    """Found by the docs audit: /v1/models named only the missing path of a bundle deleted behind
    the registry's back; it now names NAME vN and how to drop the stale row."""
    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app

    third = register_bundle(shutil.copytree(home["v1"], home["home"] / "v3"))
    shutil.rmtree(third.path)

    async def main() -> None:
        async with async_client(create_app(test_settings())) as c:
            r = await c.get("/v1/models", headers=auth(home["viewer"]))
            reason = r.json()["unavailable"]["lesions"]
            assert "lesions v3" in reason and "no longer exists" in reason
            assert "meddx registry remove lesions --version 3" in reason

    asyncio.run(main())


def test_a_folder_now_holding_another_bundle_is_not_served_under_the_registered_name(home: dict) -> None:
    """Found by the bundle walk: the server loaded whatever a registered folder held, so a folder
    copied over (``rm -r v3 && cp -r incoming/ v3``) was served as lesions v3, which the CLI refuses."""
    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app

    third = register_bundle(shutil.copytree(home["v1"], home["home"] / "v3"))
    config_path = Path(third.path) / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["label_names"] = [f"other-{name}" for name in config["label_names"]]  # another bundle's labels
    config_path.write_text(json.dumps(config), encoding="utf-8")

    async def main() -> None:
        async with async_client(create_app(test_settings())) as c:
            r = await c.get("/v1/models", headers=auth(home["viewer"]))
            reason = r.json()["unavailable"]["lesions"]
            assert "lesions v3" in reason and "now holds another bundle" in reason
            assert all(m["version"] != 3 for m in r.json()["models"])

    asyncio.run(main())
