"""``meddx cv`` folds keep near copies together (a document with a one-character edit, an image
re-encoded as JPEG or resized by a pixel), as the validation carve does: before, the folds grouped
by patient or exact content only, so a near copy could sit in a fold's training part and in its
held-out part, and the held-out metrics of that fold were optimistic."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.data.sources import load_source
from meddx.evaluation import cv
from meddx.training.config import TrainConfig
from tests.unit.data.test_carve_near_copies import _image_folder

SEEDS = range(4)


class _Stop(Exception):
    """Raised by the stand-in fold check: the folds are made, nothing trains."""


def _run_folds(data: Path, k: int, seed: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The development split and folds ``meddx cv`` makes for ``data`` (stopped before any fold trains)."""
    seen: dict = {}

    def capture(source, dev, fold_index, how, config):  # type: ignore[no-untyped-def]
        seen.update(source=source, dev=dev, folds=fold_index, how=how)
        raise _Stop

    monkeypatch.setattr(cv, "check_folds_trainable", capture)
    with pytest.raises(_Stop):
        cv.cross_validate(TrainConfig(data=str(data), epochs=1, seed=seed), folds=k, out=tmp_path / f"cv{seed}")
    return seen


def _documents(path: Path, n: int = 60, copies: int = 10) -> tuple[Path, list[tuple[str, str]]]:
    """``n`` documents (no split column) and, for the first ``copies``, a copy with one character changed."""
    from meddx.data.synthetic_text import keyword_documents

    texts, labels = keyword_documents(n, seed=3, length=(60, 90))
    pairs = []
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        for i, (text, y) in enumerate(zip(texts, labels)):
            writer.writerow([f"doc{i}", text, f"class{y}"])
        for i in range(copies):
            typo = texts[i].replace("e", "a", 1)
            assert typo != texts[i]
            writer.writerow([f"doc{i}-typo", typo, f"class{labels[i]}"])
            pairs.append((f"doc{i}", f"doc{i}-typo"))
    return path, pairs


def _straddling(seen: dict, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    fold_of = {}
    for k, test in enumerate(seen["folds"]):
        fold_of.update({seen["dev"].ids[i]: k for i in test})
    assert len(fold_of) == len(seen["dev"])
    return [(a, b) for a, b in pairs if fold_of[a] != fold_of[b]]


def test_no_edited_document_straddles_a_folds_training_and_held_out_parts(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path, pairs = _documents(tmp_path / "notes.csv")
    for seed in SEEDS:
        seen = _run_folds(path, 5, seed, monkeypatch, tmp_path)
        assert _straddling(seen, pairs) == [], f"seed {seed}"
    assert "near copies (as data verify finds them): 10 group(s) of 20 samples kept in one fold" in seen["how"]
    assert "grouped by identical or near-identical content" in seen["how"]
    from meddx.data.carve_groups import NEAR_COPY_SETTINGS

    assert cv.fold_near_copies(seen["source"], seen["dev"]) == NEAR_COPY_SETTINGS  # what cv.json records


def test_no_reencoded_or_resized_image_straddles_a_folds_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, pairs = _image_folder(tmp_path / "images")
    for seed in SEEDS:
        seen = _run_folds(root, 5, seed, monkeypatch, tmp_path)
        assert _straddling(seen, pairs) == [], f"seed {seed}"
    assert "2 group(s) of 4 samples kept in one fold" in seen["how"]


def test_folds_of_a_source_without_near_copies_are_the_old_folds(tmp_path: Path) -> None:
    """Nothing found: the same folds as without the search (earlier cv results stay reproducible)."""
    root, _ = _image_folder(tmp_path / "images")
    for copy in ("a/0-copy.jpg", "b/0-small.png"):
        (root / copy).unlink()
    source = load_source(root, carve_val=False)
    dev = cv.development_split(source)
    new, how = cv.make_folds(dev, source.origin, 4, seed=1, source=source)
    old, old_how = cv.make_folds(dev, source.origin, 4, seed=1)
    assert [f.tolist() for f in new] == [f.tolist() for f in old]
    assert how == old_how + "; near copies (as data verify finds them): none found"


def test_documents_with_patient_ids_are_grouped_by_patient_alone(tmp_path: Path) -> None:
    """As the validation carve: identical or near-identical notes of two patients may be templated."""
    path, _ = _documents(tmp_path / "notes.csv")
    rows = list(csv.reader(path.open()))
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([[*rows[0], "patient_id"]] + [[*r, f"p{i}"] for i, r in enumerate(rows[1:])])
    source = load_source(path, carve_val=False)
    dev = cv.development_split(source)
    _, how = cv.make_folds(dev, source.origin, 5, seed=0, source=source)
    assert "grouped by patient" in how and "not joined across patients" in how
    assert cv.fold_near_copies(source, dev) is None
