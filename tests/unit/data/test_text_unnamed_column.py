"""A CSV header with a blank cell (a trailing comma) is named by its position, not by pandas'
``Unnamed: 2``, a name the file does not hold; an unnamed column with no values is not "ignored"."""

from pathlib import Path

from meddx.data.text import load_text_source


def _write(path: Path, extra: str) -> Path:
    rows = ["text,label,"] + [f"patient reports {'fever and cough' if i % 2 else 'rash and itch'} today,"
                              f"{'a' if i % 2 else 'b'},{extra.format(i=i)}" for i in range(12)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_blank_header_cell_is_named_by_its_position(tmp_path):
    source = load_text_source(_write(tmp_path / "notes.csv", "x{i}"))
    ignored = [n for n in source.notes if "ignored column" in n]
    assert ignored == ["notes.csv: ignored column(s) (unnamed column 3)"]
    assert not any("Unnamed" in n for n in source.notes)


def test_an_empty_trailing_column_is_not_reported_as_ignored(tmp_path):
    source = load_text_source(_write(tmp_path / "notes.csv", ""))
    assert not any("ignored column" in n for n in source.notes)
    assert len(source.split("train").texts) == 12
