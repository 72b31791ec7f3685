"""Fixtures for the integration tests: synthetic data with a known answer, shared training runs (images, text)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import CANARY


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="session")
def lesion_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image folder (train/val/test, PNG) of easy synthetic lesions: a good model gets AUC ~1."""
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    root = tmp_path_factory.mktemp("lesions")
    write_image_folder(make_lesion_source(300, 100, 200, size=28, seed=11, contrast=2.0), root)
    return root


@contextlib.contextmanager
def _meddx_home(home: Path) -> Iterator[None]:
    """``MEDDX_HOME`` set to ``home`` inside the block (session fixtures cannot use monkeypatch)."""
    old = os.environ.get("MEDDX_HOME")
    os.environ["MEDDX_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MEDDX_HOME", None)
        else:
            os.environ["MEDDX_HOME"] = old


@pytest.fixture(scope="session")
def few_resamples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A YAML config of ``ci_resamples: 100``, given before the flags of a ``train`` or ``cv`` whose
    test reads point estimates only: the default 1,000 bootstrap resamples of every metric (and, in
    cv, of every pooled and baseline difference) were about half of a small run's time, and no
    estimate depends on them (the text cv's pooled macro-F1 is .9708 with either)."""
    path = tmp_path_factory.mktemp("few_resamples") / "few_resamples.yaml"
    path.write_text("ci_resamples: 100\n")
    return path


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, lesion_folder: Path) -> dict:
    """One CLI training run shared by the tests that only read its outputs."""
    from meddx.cli.main import main

    home = tmp_path_factory.mktemp("trained_home")
    with _meddx_home(home):
        try:
            main(["train", "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "12",
                  "--name", "lesions", "--lr", "0.005", "--no-progress", "--seed", "1"])
        except SystemExit as exc:
            assert not exc.code, f"training failed with exit code {exc.code}"
    bundle = home / "bundles" / "lesions" / "v1"
    runs = sorted((home / "runs").iterdir())
    return {"home": home, "bundle": bundle, "run_dir": runs[0], "folder": lesion_folder}


@pytest.fixture(scope="session")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic_text import write_text_csv

    path = write_text_csv(tmp_path_factory.mktemp("notes") / "notes.csv", n=300, seed=3)
    rows = list(csv.reader(path.open()))
    rows[5][1] = f"{rows[5][1]} Seen by {CANARY}."  # once only: never in a vocabulary either
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="session")
def text_run(tmp_path_factory: pytest.TempPathFactory, notes_csv: Path, few_resamples: Path) -> dict:
    """One training run (bilstm-attention) shared by the tests that read its outputs (estimates, files,
    what was printed and logged; no test reads its intervals, so 100 resamples)."""
    from meddx.cli.main import main

    home = tmp_path_factory.mktemp("text_home")
    import io

    import logging
    import warnings

    out, err = io.StringIO(), io.StringIO()
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler, root = Collect(level=logging.DEBUG), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # every library's debug records too
    try:
        with _meddx_home(home), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                main(["train", str(few_resamples), "--data", str(notes_csv), "--model", "bilstm-attention",
                      "--epochs", "10", "--name", "notes", "--no-progress", "--seed", "0"])
            except SystemExit as exc:
                assert not exc.code, f"training failed with exit code {exc.code}: {err.getvalue()}"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    bundle = home / "bundles" / "notes" / "v1"
    logged = "\n".join(records + [str(w.message) for w in caught])
    return {"home": home, "bundle": bundle, "stdout": out.getvalue(), "stderr": err.getvalue(), "logged": logged,
            "metrics": json.loads((bundle / "metrics.json").read_text())}
