"""A folder of ``.txt`` documents: every document is read whatever the case of its suffix, and what
a class folder holds besides documents is counted in a note, never read silently or dropped silently."""

from __future__ import annotations

from pathlib import Path

from meddx.cli.predict_text import read_documents
from meddx.data.text import load_text_source


def _folder(root: Path) -> Path:
    for i in range(12):
        label = "ab"[i % 2]
        (root / label).mkdir(parents=True, exist_ok=True)
        suffix = ".TXT" if i < 4 else ".txt"  # a Windows export names some files in capitals
        (root / label / f"note{i:02d}{suffix}").write_text(f"visit {i} with chest pain and fever, class {label}")
    return root


def test_upper_case_txt_files_are_documents_as_predict_reads_them(tmp_path: Path) -> None:
    # training read 8 of these 12 notes (glob("*.txt") is case-sensitive); predict on the folder read 12
    root = _folder(tmp_path / "notes")
    source = load_text_source(root)
    train = source.split("train")
    assert len(train.ids) == 12 and sorted(train.labels.tolist()) == [0] * 6 + [1] * 6
    assert "a/note00" in train.ids and "b/note03" in train.ids
    assert len(read_documents([root], None)[0]) == len(train.ids)
    assert not any("skipped" in n for n in source.notes)


def test_other_files_and_sub_folders_in_class_folders_are_counted_in_a_note(tmp_path: Path) -> None:
    root = _folder(tmp_path / "notes")
    (root / "a" / "scan.rtf").write_text("not a document of the source")
    (root / "b" / "older").mkdir()
    (root / "b" / "older" / "note99.txt").write_text("an older note in a sub-folder")
    source = load_text_source(root)
    assert len(source.split("train").ids) == 12
    skipped = [n for n in source.notes if "skipped" in n]
    assert len(skipped) == 1 and "skipped 2 entries" in skipped[0] and "a/scan.rtf" in skipped[0]


def test_the_same_name_in_two_cases_gives_two_ids(tmp_path: Path) -> None:
    root = _folder(tmp_path / "notes")
    (root / "a" / "note04.TXT").write_text("a second note of the same name, with chest pain")  # beside note04.txt
    ids = load_text_source(root).split("train").ids
    assert len(ids) == len(set(ids)) == 13 and {"a/note04", "a/note04.txt"} <= set(ids)  # sorted: .TXT first
