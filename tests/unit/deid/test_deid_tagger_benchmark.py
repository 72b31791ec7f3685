"""Guards of ``benchmarks/deid_tagger.py``, the measurement of a learned tagger next to the de-id rules
(docs/deid-notes.md): the four test sets parse to the counts the round notes quote, no training note holds a
test line, and the tagger's features and spans are deterministic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "deid_tagger.py"


@pytest.fixture(scope="module")
def bench():
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} absent (benchmarks are not shipped with the package)")
    spec = importlib.util.spec_from_file_location("deid_tagger_bench", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.mark.parametrize("name, ids, negs", [("test_deid_24_fresh.txt", 97, 27), ("test_deid_25_fresh.txt", 129, 25),
                                             ("test_deid_24_heldout.txt", 163, 51),
                                             ("test_deid_25_heldout.txt", 185, 38)])
def test_test_sets_parse_to_the_counts_of_the_round_notes(bench, name: str, ids: int, negs: int) -> None:
    lines = bench.round_lines(name)
    assert sum(len(i) for _, i, _ in lines) == ids
    assert sum(len(n) for _, _, n in lines) == negs
    assert not any("[[" in text or "{{" in text for text, _, _ in lines)


def test_no_training_note_holds_a_test_line(bench) -> None:
    train = "\n".join(text for text, _ in bench._train_hand_notes())
    assert len(train) > 100_000
    tests = [text for name in bench.TEST_SETS for text, _, _ in bench.round_lines(name)]
    leaked = [t[:30] for t in tests if t.strip() in train]
    assert not leaked, leaked


def test_training_labels_cover_names_and_places(bench) -> None:
    text, spans = "Seen by Dr Blessing Okoro at Kaikohe today.", [(11, 24, "NAME"), (28, 35, "LOCATION")]
    tokens, offs, _ = bench.tokenize(text)
    labels = dict(zip(tokens, bench._labels(offs, spans)))
    assert labels["Blessing"] == labels["Okoro"] == bench.LABELS.index("NAME")
    assert labels["Kaikohe"] == bench.LABELS.index("LOCATION")
    assert labels["Dr"] == labels["today"] == 0


def test_tagger_is_deterministic_and_finds_a_cued_unlisted_name(bench) -> None:
    notes = bench._synthetic(150, seed=0)
    first = bench.Tagger(threshold=0.5).fit([notes])
    second = bench.Tagger(threshold=0.5).fit([notes])
    text = "Seen with her daughter Zorabel Quintavalle, who drove her in."
    assert first.spans(text) == second.spans(text)
    assert any(text[a:b].startswith("Zorabel") and kind == "NAME" for a, b, kind in first.spans(text))


def test_common_word_filter_drops_stop_words_and_lone_letters(bench) -> None:
    tagger = bench.Tagger(threshold=0.0, filter_common=True).fit([bench._synthetic(100, seed=0)])
    text = "However, T cells rose. Thus Zorabel Quintavalle went home."
    def words() -> set[str]:
        return {w.strip(",.") for a, b, _ in tagger.spans(text) for w in text[a:b].split()}

    assert not words() & {"However", "T", "Thus"}
    assert "Zorabel" in words()
    tagger.filter_common = False
    assert {"However", "T", "Thus"} <= words()
