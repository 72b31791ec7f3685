"""Bad settings found by fuzzing the CLI (issue 2 item 10): a data root that cannot be a folder, a
damaged keys database, server flags that only failed inside uvicorn's start-up (a traceback, exit
3), and `data verify` outputs that replaced an existing file. Each must be one line naming what
and where, exit code 2, before anything is written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli


def _one_line(result, *fragments: str) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = [line for line in result.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def test_a_data_root_that_is_a_file_is_named_as_meddx_home(tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: 'afile: file exists; choose another path', which never said the path was MEDDX_HOME."""
    home = tmp_path / "afile"
    home.write_text("not a folder")
    monkeypatch.setenv("MEDDX_HOME", str(home))
    for argv in (["registry", "list"], ["keys", "list"]):
        _one_line(run_cli(argv, capsys), "MEDDX_HOME", str(home))
    assert home.read_text() == "not a folder"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, where mkdir fails with ENOENT")
def test_a_data_root_that_cannot_be_created_is_one_line(capsys, monkeypatch) -> None:
    """Before: a FileNotFoundError traceback and exit code 1."""
    monkeypatch.setenv("MEDDX_HOME", "/proc/meddx-no-such-home")
    _one_line(run_cli(["keys", "list"], capsys), "MEDDX_HOME", "/proc/meddx-no-such-home")


def test_a_damaged_keys_database_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: 'sqlite3.DatabaseError: file is not a database' with a traceback, exit code 1."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    damaged = tmp_path / "serving.db"
    damaged.write_bytes(b"\x00junk" * 500)
    for argv in (["keys", "list"], ["keys", "create", "--role", "viewer"]):
        _one_line(run_cli(argv, capsys), str(damaged), "not a database")
    assert damaged.read_bytes() == b"\x00junk" * 500


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``uvicorn.run`` replaced: a setting that reaches it was not refused (exit code 99, no server)."""
    import uvicorn

    def refuse(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise SystemExit(99)

    monkeypatch.setattr(uvicorn, "run", refuse)
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("argv, fragment", [
    (["--timeout", "nan"], "--timeout"),
    (["--poll-seconds", "0"], "--poll-seconds"),
    (["--max-wait-ms", "inf"], "--max-wait-ms"),
    (["--log-level", "loud"], "--log-level"),
    (["--port", "70000"], "--port"),
    (["--max-pixels", "0"], "--max-pixels"),
    (["--ssl-keyfile", "key.pem"], "--ssl-certfile"),
    (["--ssl-certfile", "nowhere.pem"], "nowhere.pem"),
])
def test_serve_refuses_bad_settings_before_starting(argv: list[str], fragment: str, no_server: None,
                                                     capsys) -> None:
    result = run_cli(["serve", *argv], capsys)
    assert result.code == 2, (result.code, result.err)
    assert fragment in result.err and "Traceback" not in result.err


def test_serve_refuses_a_certificate_that_is_not_pem(no_server: None, tmp_path: Path, capsys) -> None:
    """Before: uvicorn raised ssl.SSLError at start-up (a traceback)."""
    junk = tmp_path / "cert.pem"
    junk.write_bytes(b"\x01\x02 not a certificate")
    _one_line(run_cli(["serve", "--ssl-certfile", str(junk)], capsys), str(junk), "--ssl-certfile")


def test_serve_refuses_a_damaged_keys_database_before_starting(no_server: None, tmp_path: Path, capsys,
                                                               monkeypatch) -> None:
    """Before: the failure happened in uvicorn's lifespan: a traceback and exit code 3."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    (tmp_path / "serving.db").write_bytes(b"junk" * 1000)
    _one_line(run_cli(["serve"], capsys), "serving.db")


def _notes(path: Path) -> Path:
    path.write_text("id,text,label\n" + "".join(f"{i},note {i} about the patient in bed {i},{i % 2}\n"
                                                for i in range(30)))
    return path


def test_verify_fix_never_replaces_an_existing_file_without_overwrite(tmp_path: Path, capsys) -> None:
    """Before: --fixed-output silently replaced an existing CSV (e.g. the user's hand-edited copy)."""
    source = _notes(tmp_path / "notes.csv")
    kept = tmp_path / "edited.csv"
    kept.write_text("id,text,label\n1,my hand-edited note,1\n")
    _one_line(run_cli(["data", "verify", str(source), "--fix", "merge", "--fixed-output", str(kept),
                       "--report", str(tmp_path / "report.json")], capsys), "--fixed-output", str(kept), "--overwrite")
    assert kept.read_text() == "id,text,label\n1,my hand-edited note,1\n"
    assert not (tmp_path / "report.json").exists()
    result = run_cli(["data", "verify", str(source), "--fix", "merge", "--fixed-output", str(kept),
                      "--report", str(tmp_path / "report.json"), "--overwrite"], capsys)
    assert result.code == 0, result.err
    assert kept.read_text().count("\n") == 31


def test_verify_clean_manifest_never_replaces_an_existing_file(tmp_path: Path, lesion_folder: Path,
                                                               capsys) -> None:
    manifest = tmp_path / "clean.csv"
    manifest.write_text("precious")
    _one_line(run_cli(["data", "verify", str(lesion_folder), "--no-near", "--clean-manifest", str(manifest),
                       "--report", str(tmp_path / "report.json")], capsys), "--clean-manifest", str(manifest))
    assert manifest.read_text() == "precious"


def test_verify_refuses_a_nan_threshold_naming_the_flag(tmp_path: Path, capsys) -> None:
    """Before: 'near threshold: expected a Jaccard similarity in (0, 1]; got nan' after reading the source."""
    result = run_cli(["data", "verify", str(_notes(tmp_path / "notes.csv")), "--near-threshold", "nan",
                      "--report", str(tmp_path / "report.json")], capsys)
    assert result.code == 2 and "--near-threshold" in result.err, result.err
    assert not (tmp_path / "report.json").exists()


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``fit`` replaced: reaching training means the demo's checks let a bad folder or flag through."""
    import meddx.training.fit

    def refuse(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise SystemExit(99)

    monkeypatch.setattr(meddx.training.fit, "fit", refuse)
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))


def test_demo_never_deletes_a_folder_of_the_users(no_training: None, tmp_path: Path, capsys) -> None:
    """Before: `meddx demo --folder ~/scans` ran shutil.rmtree on the folder and put the demo images there."""
    folder = tmp_path / "my scans"
    folder.mkdir()
    (folder / "scan1.dcm").write_bytes(b"precious")
    _one_line(run_cli(["demo", "--folder", str(folder)], capsys), str(folder), "--folder")
    assert [p.name for p in folder.iterdir()] == ["scan1.dcm"]
    assert (folder / "scan1.dcm").read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".demo-")] == []


@pytest.mark.parametrize("budget", ["0", "-1", "nan", "inf"])
def test_demo_refuses_a_bad_time_budget_before_writing_images(budget: str, no_training: None, tmp_path: Path,
                                                              capsys) -> None:
    """Before: 0, -1 and nan gave a pydantic traceback (exit 1) after 1300 images were written; inf
    went on to training."""
    folder = tmp_path / "demo"
    result = run_cli(["demo", "--time-budget", budget, "--folder", str(folder)], capsys)
    assert result.code == 2, (result.code, result.err)
    assert "time_budget" in result.err or "--time-budget" in result.err, result.err
    assert "Traceback" not in result.err
    assert not folder.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, where mkdir fails with ENOENT")
def test_demo_folder_in_an_unwritable_place_is_one_line(no_training: None, capsys) -> None:
    """Before: a FileNotFoundError traceback (exit 1) from the temporary folder beside --folder."""
    _one_line(run_cli(["demo", "--folder", "/proc/meddx-demo"], capsys), "--folder", "/proc/meddx-demo")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, where mkdir fails with ENOENT")
def test_explain_out_in_an_unwritable_place_is_one_line_before_any_work(trained: dict, capsys, monkeypatch) -> None:
    """Before: the attributions were computed, then a FileNotFoundError traceback (exit 1)."""
    import meddx.explain.api

    def refuse(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        raise SystemExit(99)

    monkeypatch.setattr(meddx.explain.api, "explain", refuse)  # reached only when --out was not checked first
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    image = sorted((trained["folder"] / "test").rglob("*.png"))[0]
    _one_line(run_cli(["explain", str(trained["bundle"]), str(image), "-o", "/proc/meddx-explanations"], capsys),
              "--out", "/proc/meddx-explanations")


def test_serve_refuses_a_port_in_use_and_an_unresolvable_host(no_server: None, capsys) -> None:
    """Before: the models were loaded, then uvicorn logged the bind error over several lines (exit 1)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_cli(["serve", "--port", port], capsys)
        assert result.code == 2 and "--port" in result.err and port in result.err, result.err
    result = run_cli(["serve", "--host", "not a host!!"], capsys)
    assert result.code == 2 and "--host" in result.err, result.err


@pytest.mark.parametrize("flag", ["--train", "--holdout"])
def test_audit_names_the_flag_of_a_split_typo(flag: str, tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: 'tset: no such file or folder; expected a folder with one sub-folder per class...'."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    result = run_cli(["audit", "membership", str(tmp_path / "bundle"), flag, "tset"], capsys)
    assert result.code == 2 and flag in result.err and "tset" in result.err, result.err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, where mkdir fails with ENOENT")
def test_an_output_folder_that_cannot_exist_is_one_line(trained: dict, capsys, monkeypatch) -> None:
    """Before: `evaluate -o /proc/x` ended in a FileNotFoundError traceback (exit 1); the entry point
    now treats it as the other path errors (a file where a folder is needed, not writable)."""
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["folder"]), "--bootstrap", "0",
                      "--no-verify", "--no-report", "-o", "/proc/meddx-metrics"], capsys)
    _one_line(result, "/proc/meddx-metrics")


def test_explain_that_fails_leaves_no_empty_output_folder(trained: dict, capsys, monkeypatch, tmp_path) -> None:
    """--out is made before the attributions run; a run that then fails (an image that does not
    decode) left that folder behind, empty (found as a stray explanations/ in the repository)."""
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    out = tmp_path / "explanations"
    _one_line(run_cli(["explain", str(trained["bundle"]), str(broken), "-o", str(out)], capsys), "broken.png")
    assert not out.exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    run_cli(["explain", str(trained["bundle"]), str(broken), "-o", str(kept)], capsys)
    assert kept.is_dir()  # a folder the user made stays
