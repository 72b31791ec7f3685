"""Text verify: normalised exact copies, MinHash near copies, label conflicts, leakage, cleaning and writing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from meddx.data.base import SplitData, TextSource
from meddx.data.text import load_text_source
from meddx.data.text_info import text_source_info
from meddx.data.text_verify import clean_text_source, verify_text_source, write_text_source
from meddx.data.verify import verify_source

CANARY = "CANARYPHI7731"
_WORDS = [f"w{i}" for i in range(3000)]


def doc(seed: int, n: int = 120) -> str:
    """An unrelated document: ``n`` words drawn from a large vocabulary (plus the canary)."""
    rng = np.random.default_rng(seed)
    return CANARY + " " + " ".join(rng.choice(_WORDS, n))


def change_words(text: str, positions: tuple[int, ...]) -> str:
    words = text.split(" ")
    for p in positions:
        words[p] = "changed"
    return " ".join(words)


def corpus(tmp_path: Path) -> Path:
    """train: A, C (label a), C again (label b: exact conflict), B (a); test: A re-typed (leak), B' (near, label b)."""
    a, b, c = doc(1), doc(2), doc(3)
    rows = [["A", a, "a", "train"], ["C1", c, "a", "train"], ["C2", "  " + c.upper() + "\n", "b", "train"],
            ["B", b, "a", "train"]]
    rows += [[f"u{i}", doc(100 + i), "ab"[i % 2], "train"] for i in range(20)]
    rows += [["A-test", a.replace(" ", "\n  ", 5), "a", "test"], ["B-test", change_words(b, (30, 90)), "b", "test"]]
    rows += [[f"t{i}", doc(200 + i), "ab"[i % 2], "test"] for i in range(6)]
    path = tmp_path / "notes.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([["id", "text", "label", "split"], *rows])
    return path


def test_verify_finds_exact_near_conflicts_and_leakage(tmp_path: Path) -> None:
    src = load_text_source(corpus(tmp_path))
    report = verify_source(src)  # dispatches to verify_text_source
    s = report.summary
    assert s["samples"] == 32 and s["distinct_contents"] == 30 and s["undecodable"] == 0
    exact = {tuple(m["id"] for m in g["members"]): g for g in report.exact_duplicates}
    assert set(exact) == {("A", "A-test"), ("C1", "C2")}
    assert exact[("A", "A-test")]["cross_split"] and not exact[("A", "A-test")]["conflicting_labels"]
    assert exact[("C1", "C2")]["conflicting_labels"] and exact[("C1", "C2")]["labels"] == ["a", "b"]
    assert len(report.near_duplicates) == 1
    near = report.near_duplicates[0]
    assert [m["id"] for m in near["members"]] == ["B", "B-test"] and near["cross_split"] and near["conflicting_labels"]
    assert 0.8 <= near["min_similarity"] <= near["max_similarity"] < 1.0
    assert s["exact_duplicate_groups_cross_split"] == 1 and s["near_duplicate_groups_cross_split"] == 1
    assert s["any_cross_split_samples"] == {"test": 2, "train": 2}
    assert s["conflicting_label_groups"] == 2 and s["conflicting_exact_rows"] == 2 and s["conflicting_label_rows"] == 4
    assert report.has_leakage
    text = json.dumps(report.to_dict())
    assert CANARY not in text and "w17 " not in text  # ids, splits and labels only


def test_unrelated_and_threshold(tmp_path: Path) -> None:
    docs = [doc(i) for i in range(30)] + [change_words(doc(5), tuple(range(0, 120, 10)))]  # 12 of 121 words: J ~ 0.3
    src = TextSource(name="t", origin="mem", task="binary", label_names=["a", "b"], spatial_dims=0,
                     splits={"train": SplitData(ids=[f"d{i}" for i in range(31)], labels=np.arange(31) % 2,
                                                texts=docs)})
    assert verify_text_source(src).near_duplicates == []
    loose = verify_text_source(src, threshold=0.2)
    assert [[m["id"] for m in g["members"]] for g in loose.near_duplicates] == [["d5", "d30"]]
    assert verify_text_source(src, near_duplicates=False).settings["near_duplicates"] is False


@pytest.mark.parametrize("policy, removed, kept", [
    ("drop-conflicting", {"train": ["C1", "C2", "B"], "test": ["B-test"]}, {"train": 21, "test": 7}),
    ("drop-duplicates", {"train": ["C1", "C2", "B"], "test": ["A-test", "B-test"]}, {"train": 21, "test": 6}),
    ("merge", {"train": ["C1", "C2", "B"], "test": ["A-test", "B-test"]}, {"train": 21, "test": 6}),
])
def test_clean_policies(tmp_path: Path, policy: str, removed: dict, kept: dict) -> None:
    src = load_text_source(corpus(tmp_path))
    cleaned, summary = clean_text_source(src, verify_text_source(src).to_dict(), policy)
    assert summary["removed"] == removed and summary["kept"] == kept
    assert summary["groups"] == 3 and summary["conflicting_groups"] == 2
    assert {k: len(v) for k, v in cleaned.splits.items()} == kept
    assert verify_text_source(cleaned).summary["conflicting_label_groups"] == 0
    if policy == "merge":
        assert summary["dropped_without_majority"] == 2  # two 2-member groups split 1:1


def test_merge_majority_and_multilabel_union() -> None:
    texts = ["fever and cough today", "Fever and cough  today", "FEVER AND COUGH TODAY", "rash on the left arm"]
    src = TextSource(name="t", origin="mem", task="multiclass", label_names=["x", "y", "z"], spatial_dims=0,
                     splits={"train": SplitData(ids=list("pqrs"), labels=np.array([1, 0, 0, 2]), texts=texts)})
    cleaned, summary = clean_text_source(src, verify_text_source(src), "merge")
    assert cleaned.split("train").ids == ["q", "s"] and cleaned.split("train").labels.tolist() == [0, 2]
    assert summary["dropped_without_majority"] == 0 and summary["removed"] == {"train": ["p", "r"]}
    multi = TextSource(name="t", origin="mem", task="multilabel", label_names=["x", "y"], spatial_dims=0,
                       splits={"train": SplitData(ids=list("pqrs"), labels=np.array([[1, 0], [0, 1], [0, 0], [1, 1]]),
                                                  texts=texts)})
    cleaned, summary = clean_text_source(multi, verify_text_source(multi), "merge")
    assert cleaned.split("train").ids == ["p", "s"] and cleaned.split("train").labels.tolist() == [[1, 1], [1, 1]]
    assert summary["relabelled"] == {"train": ["p"]}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_written_source_round_trips(tmp_path: Path, suffix: str) -> None:
    src = load_text_source(corpus(tmp_path))
    cleaned, _ = clean_text_source(src, verify_text_source(src).to_dict(), "drop-conflicting")
    out = write_text_source(cleaned, tmp_path / f"clean{suffix}")
    back = load_text_source(out)
    assert back.label_names == cleaned.label_names and list(back.splits) == list(cleaned.splits)
    for split, data in cleaned.splits.items():
        assert back.split(split).ids == data.ids and back.split(split).texts == data.texts
        assert back.split(split).labels.tolist() == data.labels.tolist()
    multi = TextSource(name="m", origin="mem", task="multilabel", label_names=["x", "y"], spatial_dims=0,
                       splits={"train": SplitData(ids=["a", "b"], labels=np.array([[1, 1], [0, 1]]), texts=["t, 1", "t\n2"],
                                                  patient_ids=["p1", "p2"])})
    back = load_text_source(write_text_source(multi, tmp_path / f"m{suffix}"))
    assert back.task == "multilabel" and back.split("train").labels.tolist() == [[1, 1], [0, 1]]
    assert back.split("train").patient_ids == ["p1", "p2"] and back.split("train").texts == ["t, 1", "t\n2"]


def test_text_source_info(tmp_path: Path) -> None:
    src = load_text_source(corpus(tmp_path))
    info = text_source_info(src)
    assert info["total"] == 32 and info["splits"]["test"]["count"] == 8 and info["kind"] == "text"
    words = info["overall"]["words"]
    assert words["min"] == words["max"] == 121 == words["median"] and info["overall"]["empty"] == 0
    assert info["splits"]["train"]["class_counts"] == {"a": 13, "b": 11}
    assert CANARY not in json.dumps(info)


def test_cli_info_and_verify_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.main import main

    path = corpus(tmp_path)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, capsys.readouterr().out

    code, out = run("data", "info", str(path))
    assert code == 0 and "document lengths" in out and "words │ 121 │ 121    │ 121" in out and CANARY not in out
    fixed = tmp_path / "fixed.csv"
    code, out = run("data", "verify", str(path), "--report", str(tmp_path / "r.json"), "--fix", "drop-duplicates",
                    "--fixed-output", str(fixed))
    assert code == 1 and "leakage" in out and "labels differ" in out and "C1 (a)" in out and CANARY not in out
    assert "removed 3 from train, 2 from test" in out.replace("\n", " ")
    assert {k: len(v) for k, v in load_text_source(fixed).splits.items()} == {"train": 21, "test": 6}
    kept = fixed.read_text().splitlines()  # the input's own lines, without the removed rows
    assert kept[0] == path.read_text().splitlines()[0] and set(kept) <= set(path.read_text().splitlines())
    code, out = run("data", "verify", str(fixed), "--report", str(tmp_path / "r2.json"))
    assert code == 0 and "no cross-split duplicates" in out


def _rows_corpus(tmp_path: Path) -> tuple[list[list[str]], list[int]]:
    """Rows (header first) with a conflicting copy (rows 2 and 5) and an agreeing copy (rows 3 and 6);
    extra columns, a quoted cell with a comma and a line break, no id column."""
    words = [" ".join(f"w{(i * 7 + j) % 97}" for j in range(30)) for i in range(8)]
    rows = [["site", "text", "label", "extra"]]
    for i, (text, label) in enumerate([(words[0], "a"), (words[1], "b"), (words[2], "a"), (words[3], "b"),
                                       (words[1], "a"), (words[2], "a"), ('say "hi", then\nleave ' + words[4], "b"),
                                       (words[5], "a")]):
        rows.append([f"s{i}", text, label, "" if i % 2 else f"x,{i}"])
    return rows, [1, 4]  # dropped (0-based records) by drop-conflicting


@pytest.mark.parametrize("suffix, terminator", [(".csv", "\r\n"), (".csv", "\n"), (".tsv", "\n"), (".jsonl", "\n"),
                                                (".parquet", "\n")])
def test_fix_writes_the_input_file_minus_rows(tmp_path: Path, suffix: str, terminator: str) -> None:
    """Found by an audit: --fixed-output renamed the columns to id,text,label,split, dropped the
    others, added a split column and regrouped the rows; it is now the input without the rows."""
    from meddx.data.text_rows import write_kept_rows

    rows, dropped = _rows_corpus(tmp_path)
    source_path = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        import pandas as pd

        pd.DataFrame(rows[1:], columns=rows[0]).to_parquet(source_path, index=False)
    elif suffix == ".jsonl":
        source_path.write_text("".join(json.dumps(dict(zip(rows[0], r))) + "\n" for r in rows[1:]) + "\n")
    else:
        with source_path.open("w", newline="") as f:
            csv.writer(f, delimiter="\t" if suffix == ".tsv" else ",", lineterminator=terminator,
                       quoting=csv.QUOTE_ALL).writerows(rows)
    source = load_text_source(source_path)
    cleaned, summary = clean_text_source(source, verify_text_source(source), "drop-conflicting")
    assert summary["removed_rows"] == 2
    out = write_kept_rows(source, cleaned, tmp_path / f"out{suffix}")
    kept = [r for i, r in enumerate(rows[1:]) if i not in dropped]
    if suffix == ".parquet":
        import pandas as pd

        assert pd.read_parquet(out).values.tolist() == kept
    elif suffix == ".jsonl":
        assert out.read_text() == "".join(json.dumps(dict(zip(rows[0], r))) + "\n" for r in kept)
    else:
        import io

        expected = io.StringIO(newline="")  # the header and the kept records as the file wrote them
        csv.writer(expected, delimiter="\t" if suffix == ".tsv" else ",", lineterminator=terminator,
                   quoting=csv.QUOTE_ALL).writerows([rows[0], *kept])
        assert out.read_bytes() == expected.getvalue().encode()
        from meddx.cli.main import main  # the same file from the command line

        with pytest.raises(SystemExit) as done:  # exit 1: the verify report found duplicates
            main(["data", "verify", str(source_path), "--report", str(tmp_path / "r.json"), "--fix", "drop-conflicting",
                  "--fixed-output", str(tmp_path / f"cli{suffix}")])
        assert done.value.code in (0, 1) and (tmp_path / f"cli{suffix}").read_bytes() == out.read_bytes()
    assert write_kept_rows(source, cleaned, tmp_path / ("o.jsonl" if suffix != ".jsonl" else "o.csv")) is None


def test_a_multi_label_merge_rewrites_only_the_kept_label_cell(tmp_path: Path) -> None:
    from meddx.data.text_rows import write_kept_rows

    text = " ".join(f"w{j}" for j in range(40))
    path = tmp_path / "ml.csv"
    path.write_text("id,text,labels,note\nd1,%s,a,keep\nd2,other words entirely here %s,b,x\nd3,%s,b|c,y\n"
                    % (text, text[:40], text))
    source = load_text_source(path, label_column="labels", label_delimiter="|")
    cleaned, summary = clean_text_source(source, verify_text_source(source), "merge")
    assert summary["removed"] == {"train": ["d3"]}
    out = write_kept_rows(source, cleaned, tmp_path / "out.csv")
    assert out.read_text() == "id,text,labels,note\nd1,%s,a|b|c,keep\nd2,other words entirely here %s,b,x\n" % (
        text, text[:40])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_fix_keeps_records_whose_text_holds_a_form_feed_or_line_separator(tmp_path: Path, suffix: str) -> None:
    """Found by an audit: records were split with str.splitlines, which also breaks at a form feed
    (a PDF page break in an unquoted note) and U+2028, so --fix wrote half a note joined to a
    dropped row and lost the last row."""
    from meddx.data.text_rows import write_kept_rows

    texts = ["chest pain page one\x0cpage two of the note", "headache with aura noted today in clinic",
             "headache with aura noted today in clinic", "shortness of breath on exertion\u2028and chest pain",
             "numbness of the left arm and slurred speech"]
    labels = ["cardiac", "neuro", "cardiac", "cardiac", "neuro"]
    path = tmp_path / f"ff{suffix}"
    if suffix == ".csv":
        records = [f"a{i},{t},{lab}\n" for i, (t, lab) in enumerate(zip(texts, labels))]  # unquoted, as pandas writes
        path.write_text("id,text,label\n" + "".join(records), encoding="utf-8", newline="")
    else:
        records = [json.dumps({"id": f"a{i}", "text": t, "label": lab}, ensure_ascii=False) + "\n"
                   for i, (t, lab) in enumerate(zip(texts, labels))]
        path.write_text("".join(records), encoding="utf-8", newline="")
    source = load_text_source(path)
    assert sum(len(d.ids) for d in source.splits.values()) == 5
    cleaned, _ = clean_text_source(source, verify_text_source(source), "drop-conflicting")
    out = write_kept_rows(source, cleaned, tmp_path / f"out{suffix}")
    expected = ("id,text,label\n" if suffix == ".csv" else "") + "".join(records[i] for i in (0, 3, 4))
    assert out.read_bytes() == expected.encode("utf-8")
