"""An auditor's sweep of the PHI rule: no message, log record, warning, error (with or without
``--debug``) or file meddx writes quotes document text.

Distinct canary words are planted once each (so no vocabulary keeps them): in a training, a
validation and a test document, in documents given to ``predict`` (``--text``, a CSV, a ``.txt``),
in a deid input, in label cells that are really notes, and in malformed rows that are refused
(bad bytes right after the canary, an unquoted comma, broken JSON, a header row repeated, a missing
label, a notes file exported without its header line, a free-text column or a note in a number column
of a table). Every verb that reads text runs on tiny settings; its stdout, stderr, traceback, Python
logging at DEBUG and warnings, and every file under ``MEDDX_HOME`` and the output folders
(JSON, CSV, Markdown, HTML, logs, checkpoints, the SQLite registry) are searched for each canary in
any case, also with whitespace and table borders removed (a wrapped table cell). The deliberate
exceptions: an explanation page holds its own document (and no other), the copy
``data verify --fix`` writes holds the notes, and so does deid's de-identified output.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import re
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_helpers import data_root

from meddx.data.synthetic_text import keyword_documents

# One word each, unlike any filler word: planted once, so neither a vocabulary nor a near copy keeps it.
CANARIES = {k: f"Qz{k}vexlor" for k in (
    "train", "val", "test", "predtext", "predcsv", "predtxt", "deid", "labelnote", "wrongcolumn",
    "badbytes", "comma", "jsonl", "header", "nolabel", "txtbytes", "onelabel", "tablecomment", "tablecell",
    "headerless")}
CLASSES = ("cardiology", "neurology", "oncology")
T = ["--text-column", "note", "--label-column", "diagnosis"]


def _rows() -> list[list[str]]:
    texts, labels = keyword_documents(90, seed=3)
    rows = [["id", "note", "diagnosis", "split"]]
    for i, (text, c) in enumerate(zip(texts, labels)):
        rows.append([f"doc{i:03d}", text, CLASSES[c], "test" if i < 18 else "val" if i < 33 else "train"])
    return rows


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _inputs(folder: Path) -> dict[str, Path]:
    """The planted sources: a clean split file, files to predict, and one file per refused defect."""
    c, rows = CANARIES, _rows()
    rows[1][1] += f" Seen by Dr {c['test']}."
    rows[20][1] += f" Seen by Dr {c['val']}."
    rows[50][1] += f" Seen by Dr {c['train']}."
    files = {"notes": _write(folder / "notes.csv", rows)}
    files["pred"] = _write(folder / "pred.csv", [["id", "note"], ["p1", f"seizure noted by {c['predcsv']} today"],
                                                 ["p2", "carcinoma review continued"]])
    files["txt"] = folder / "visit.txt"
    files["txt"].write_text(f"infarction noted, seen by {c['predtxt']}")
    files["deid"] = _write(folder / "deid.csv", [["id", "text"], ["d1", f"Mr {c['deid']} seen on 2021-03-04 in Leeds"]])
    bad = {}
    note = [r[:] for r in rows]  # a long note pasted into one label cell
    note[60][2] = (f"Pt {c['labelnote']} seen in clinic today. Complains of chest pain radiating to the left arm. "
                   "Plan: ECG, troponin and follow up next week.")
    bad["labelnote"] = (_write(folder / "labelnote.csv", note), T)
    wrong = [r[:] for r in rows]  # the user picks the note column as the label
    wrong[70][1] += f" {c['wrongcolumn']}"
    bad["wrongcolumn"] = (_write(folder / "wrongcolumn.csv", wrong), ["--text-column", "diagnosis", "--label-column",
                                                                     "note"])
    data = files["notes"].read_bytes()
    bad["badbytes"] = (folder / "badbytes.csv", T)
    bad["badbytes"][0].write_bytes(data.replace(c["train"].encode(), c["badbytes"].encode() + b"\xff\xfe after"))
    lines = files["notes"].read_text().splitlines()
    lines[71] = f"doc070,{c['comma']} seen, then discharged home,neurology,train"
    bad["comma"] = (folder / "comma.csv", T)
    bad["comma"][0].write_text("\n".join(lines) + "\n")
    records = [json.dumps(dict(zip(rows[0], r))) for r in rows[1:]]
    records[5] = '{"id": "doc005", "note": "' + c["jsonl"] + ' seen at home, "diagnosis": "oncology", "split": "test"}'
    bad["jsonl"] = (folder / "broken.jsonl", T)
    bad["jsonl"][0].write_text("\n".join(records) + "\n")
    header = [r[:] for r in rows]
    header[62][1] += f" {c['header']}"
    bad["header"] = (_write(folder / "header.csv", header[:63] + [rows[0]] + header[63:]), T)
    missing = [r[:] for r in rows]
    missing[61][1] += f" {c['nolabel']}"
    missing[61][2] = ""
    bad["nolabel"] = (_write(folder / "nolabel.csv", missing), T)
    texts, labels = keyword_documents(40, seed=4)
    for i, (text, y) in enumerate(zip(texts, labels)):  # class folders of .txt, one with bad bytes after the canary
        (folder / "notes" / CLASSES[y]).mkdir(parents=True, exist_ok=True)
        tail = f" {c['txtbytes']}".encode() + b"\xff after" if i == 7 else b""
        (folder / "notes" / CLASSES[y] / f"n{i:02d}.txt").write_bytes(text.encode() + tail)
    bad["txtbytes"] = (folder / "notes", [])
    floats = [["text", "label"]] + [[t + (f" {c['onelabel']}" if i == 9 else ""), "1.0" if i == 9 else str(y % 2)]
                                    for i, (t, y) in enumerate(zip(texts, labels))]
    files["floats"] = _write(folder / "floats.csv", floats)  # 1.0 beside 1: read as one class, with a note
    short = [[f"Mr {c['headerless']} seen today", "cardiology"], *([r[1], r[2]] for r in rows[1:])]
    bad["headerless"] = (_write(folder / "headerless.csv", short), [])  # exported without its header line
    # tables: a free-text comment column (a different note in every row), a note pasted into a number column
    seen = [c["tablecomment"], *["staff"] * 29]
    comment = [f"{40 + i % 9},{120 + (i * 7) % 50},seen by {seen[i]} {i},{i % 2}" for i in range(30)]
    bad["tablecomment"] = (_write_lines(folder / "comment.csv", ["age,bp,comment,label", *comment]), [])
    pasted = f"Pt {c['tablecell']} refused the cuff"
    cell = [f"{40 + i % 9},{pasted if i == 6 else 120 + i},{i % 2}" for i in range(30)]
    bad["tablecell"] = (_write_lines(folder / "cell.csv", ["age,bp,label", *cell]), [])
    files["bad"] = bad  # type: ignore[assignment]
    return files


class Sweep:
    """Runs ``meddx ARGV`` in-process and keeps everything a user or a log file would see."""

    def __init__(self, home: Path) -> None:
        self.home, self.said = home, {}

    def __call__(self, name: str, argv: list[str]) -> int | str:
        from meddx.cli.main import main

        out, err, records = io.StringIO(), io.StringIO(), []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                failure = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
                records.append(f"{record.getMessage()} {record.args!r} {failure}")

        handler, root = Keep(level=logging.DEBUG), logging.getLogger()
        old_level, old_columns = root.level, os.environ.get("COLUMNS")
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)  # every library's debug records too
        os.environ["COLUMNS"] = "200"
        try:
            with data_root(self.home), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    main(argv)
                    code: int | str = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                except Exception:  # --debug: the traceback Python prints, chained causes included
                    code = "raised"
                    err.write(traceback.format_exc())
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            os.environ.pop("COLUMNS") if old_columns is None else os.environ.update(COLUMNS=old_columns)
        self.said[name] = "\n".join([out.getvalue(), err.getvalue(), *records, *(str(w.message) for w in caught)])
        return code


def _hits(text: str) -> list[str]:
    """The canaries in ``text``, in any case, also across a line wrap or a table border."""
    low = text.lower()
    joined = re.sub(r"[\s│┃|]+", "", low)
    return [k for k, c in CANARIES.items() if c.lower() in low or c.lower() in joined]


def _file_hits(roots: list[Path], allowed: set[Path]) -> Iterator[tuple[Path, list[str]]]:
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path not in allowed:
                found = _hits(path.read_bytes().decode("utf-8", "replace"))
                if found:
                    yield path, found


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, few_resamples: Path) -> dict:
    """The inputs, and one tiny LSTM bundle (with its TF-IDF baseline) trained on them (100 bootstrap
    resamples: the sweep reads what is written, not the intervals)."""
    tmp = tmp_path_factory.mktemp("phi_sweep")
    (tmp / "in").mkdir()
    files = _inputs(tmp / "in")
    run = Sweep(tmp / "home")
    code = run("train lstm", ["train", str(few_resamples), "--data", str(files["notes"]), "--model", "lstm",
                              "--epochs", "1", "--name", "a", "--no-progress", "--seed", "0", *T])
    assert code == 0, run.said["train lstm"]
    return {"tmp": tmp, "files": files, "run": run, "few_resamples": str(few_resamples)}


def test_no_verb_that_reads_text_quotes_a_document(swept: dict) -> None:
    tmp, f, run = swept["tmp"], swept["files"], swept["run"]
    c, out = CANARIES, tmp / "out"
    notes = str(f["notes"])
    steps = {
        "data info": ["data", "info", notes, *T],
        "data info --json": ["data", "info", notes, "--json", *T],
        "data info floats": ["data", "info", str(f["floats"])],
        "data verify": ["data", "verify", notes, "--report", str(out / "verify.json"), *T],
        "data verify --fix": ["data", "verify", notes, "--report", str(out / "verify-fix.json"), "--fix",
                              "drop-conflicting", "--fixed-output", str(out / "fixed.csv"), *T],
        "evaluate test": ["evaluate", "a", "--data", notes, "--out", str(out / "eval-test"), "--json",
                          "--bootstrap", "50"],
        "evaluate val": ["evaluate", "a", "--data", notes, "--split", "val", "--out", str(out / "eval-val"),
                         "--bootstrap", "50"],
        "compare": ["compare", "a", "a", "--data", notes, "--bootstrap", "20", "--out", str(out / "compare"), "--json"],
        "cv": ["cv", swept["few_resamples"], "--data", notes, "--model", "lstm", "--folds", "2", "--epochs", "1",
               "--no-progress", *T],
        "predict": ["predict", "a", "--text", f"seizure noted by {c['predtext']}", str(f["pred"]), str(f["txt"])],
        "predict --json --explain": ["predict", "a", "--json", "--text", f"seizure noted by {c['predtext']}",
                                     str(f["pred"]), str(f["txt"]), "--explain", str(out / "pages")],
        "explain": ["explain", "a", "--text", f"seizure noted by {c['predtext']}", "--out", str(out / "explain"),
                    "--json"],
        "explain --evaluate": ["explain", "a", "--evaluate", "--data", notes, "--n", "3", "--out",
                               str(out / "faithfulness")],
        "registry list": ["registry", "list"],
        "registry show": ["registry", "show", "a"],
        "registry runs": ["registry", "runs"],
        "deid": ["deid", str(f["deid"]), "--out", str(out / "deid.csv")],
    }
    for name, argv in steps.items():
        assert run(name, argv) == 0, (name, run.said[name][-2000:])
    for folder in sorted((tmp / "home" / "runs").iterdir()):
        for flag in ([], ["--json"]):
            assert run(f"registry run {folder.name} {flag}", ["registry", "run", folder.name, *flag]) == 0

    said = {name: _hits(text) for name, text in run.said.items()}
    assert {k: v for k, v in said.items() if v} == {}, "a document quoted in output, a log record or a warning"
    pages = sorted((out / "pages").glob("*.html")) + sorted((out / "explain").rglob("*.html"))
    assert pages and all(_hits(p.read_text()) in ([], ["predtext"], ["predcsv"], ["predtxt"]) for p in pages), \
        {p.name: _hits(p.read_text()) for p in pages}  # each page holds its own document, no other
    assert sorted(_hits((out / "fixed.csv").read_text())) == ["test", "train", "val"]  # the copy is the notes
    assert _hits((out / "deid.csv").read_text()) == []  # "Mr <surname>" is a name: replaced in deid's output
    allowed = set(pages) | {out / "fixed.csv", out / "deid.csv"}
    written = list(_file_hits([tmp / "home", out], allowed))
    assert (tmp / "home" / "registry.db").is_file() and (out / "deid.csv.spans.jsonl").is_file()
    assert written == [], "a document quoted in a file meddx wrote"


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_no_refusal_quotes_the_document_it_refuses(swept: dict, debug: bool) -> None:
    """Each malformed source is refused by every verb that reads it, in one line naming the file, row
    or line, and never the text; ``--debug`` tracebacks (chained causes included) quote nothing either."""
    tmp, run = swept["tmp"], swept["run"]
    out = tmp / f"refused-{debug}"
    flag = ["--debug"] if debug else []
    for kind, (path, columns) in swept["files"]["bad"].items():
        source = f"tabular:{path}" if kind.startswith("table") else str(path)
        assert CANARIES[kind].encode() in b"".join(p.read_bytes() for p in ([path] if path.is_file() else
                                                                           path.rglob("*.txt")))
        verbs = {"info": ["data", "info", source, *columns],
                 "verify": ["data", "verify", source, "--report", str(out / f"{kind}.json"), *columns],
                 "train": ["train", "--data", source, *(["--model", "lstm"] if source == str(path) else []),
                           "--epochs", "1", "--name", kind, "--no-progress", *columns]}
        if source == str(path):  # the text bundle evaluates documents
            verbs["evaluate"] = ["evaluate", "a", "--data", source, "--out", str(out / kind), *columns]
        if kind in ("badbytes", "comma", "jsonl", "header", "headerless"):  # in how documents are read, not labels
            verbs["predict"] = ["predict", "a", str(path), "--text-column", "note"]
        for verb, argv in verbs.items():
            name = f"{kind} {verb} {flag}"
            assert run(name, [*flag, *argv]) == ("raised" if debug else 2), (name, run.said[name][-1500:])
            assert not _hits(run.said[name]), (name, run.said[name][-1500:])
    assert list(_file_hits([tmp / "home"] + ([out] if out.exists() else []), set())) == []
