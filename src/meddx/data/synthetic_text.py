"""Synthetic clinical-style documents with a known answer, for tests and examples.

Each document is a string of filler words drawn from a shared clinical vocabulary; its class is
decided only by which class keyword it contains (placed at a random position, once or twice).
A classifier that finds the keyword is right every time, so accuracy near 1 is the known
answer, and the keyword is what a faithful token attribution must highlight.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from meddx.core.files import write_text_atomic

FILLER = ("patient presented with history of chronic mild acute pain fever cough fatigue noted on exam "
          "review labs normal stable follow up clinic daily dose reported denies prior admission imaging "
          "showed unremarkable findings treatment continued plan discussed family consent obtained vital "
          "signs within limits no distress alert oriented medication reconciled discharge home tolerated "
          "diet ambulating independently").split()
KEYWORDS = {"cardiology": "infarction", "neurology": "seizure", "oncology": "carcinoma"}


def keyword_documents(n: int, seed: int = 0, classes: tuple[str, ...] = tuple(KEYWORDS),
                      length: tuple[int, int] = (12, 40)) -> tuple[list[str], np.ndarray]:
    """``n`` documents and their class indices (balanced, shuffled)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(classes)
    rng.shuffle(labels)
    texts = []
    for c in labels:
        words = list(rng.choice(FILLER, size=int(rng.integers(*length))))
        keyword = KEYWORDS.get(classes[c], classes[c])
        for _ in range(int(rng.integers(1, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), keyword)
        text = " ".join(words)
        texts.append(text[0].upper() + text[1:] + ".")
    return texts, labels.astype(np.int64)


def write_text_csv(path: str | Path, n: int = 300, seed: int = 0, classes: tuple[str, ...] = tuple(KEYWORDS),
                   test_fraction: float = 0.2) -> Path:
    """A CSV ``id,note,diagnosis,split`` of keyword documents (the text and label columns are named
    unlike the defaults on purpose, so callers exercise column detection or the column flags)."""
    texts, labels = keyword_documents(n, seed, classes)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "note", "diagnosis", "split"])
    n_test = int(round(n * test_fraction))
    for i, (text, c) in enumerate(zip(texts, labels)):
        writer.writerow([f"doc{i:04d}", text, classes[c], "test" if i < n_test else "train"])
    return write_text_atomic(Path(path), buffer.getvalue())
