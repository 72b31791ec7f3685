"""Text verify as a user cleaning an export: copies that lost or re-spaced their punctuation are near
copies, and templated notes (all near copies of each other) are grouped in linear, not quadratic, work."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from meddx.data.text import load_text_source, normalize_text, text_digest
from meddx.data.text_verify import _near_groups, _shingles, verify_text_source

VOCAB = "pain fever cough chills nausea vomiting headache dizziness fatigue rash swelling bleeding".split()


def note(k: int) -> str:
    """A note with commas and full stops every few words (as dictated notes are)."""
    import random

    r = random.Random(k)
    parts = [", ".join(r.choice(VOCAB) for _ in range(3)) + f" noted on day {r.randint(1, 30)}." for _ in range(8)]
    return f"Patient {k}: " + " ".join(parts)


def test_copies_without_or_with_respaced_punctuation_are_near_copies(tmp_path: Path) -> None:
    rows = [[f"n{k}", note(k), "ab"[k % 2]] for k in range(30)]
    rows.append(["stripped", re.sub(r"[^\w\s]", "", note(0)), "a"])  # an export that dropped punctuation
    rows.append(["respaced", re.sub(r"([,.:])", r" \1", note(1)), "b"])  # one that spaced it out
    rows.append(["signed+", "HIV test result + today", "a"])  # short notes whose sign is the content
    rows.append(["signed-", "HIV test result - today", "b"])
    path = tmp_path / "notes.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([["id", "text", "label"], *rows])
    report = verify_text_source(load_text_source(path))
    assert report.exact_duplicates == []  # the exact check stays NFKC + case + whitespace
    near = {tuple(m["id"] for m in g["members"]): g for g in report.near_duplicates}
    assert set(near) == {("n0", "stripped"), ("n1", "respaced")}  # and nothing else: + and - differ
    assert near[("n0", "stripped")]["max_similarity"] == 1.0
    assert report.summary["conflicting_label_groups"] == 0


def test_shingles_keep_signs_and_punctuation_only_documents() -> None:
    assert _shingles(normalize_text("Chest pain."), 5) == _shingles(normalize_text("chest pain"), 5)
    assert _shingles("hiv +", 5) != _shingles("hiv -", 5)
    assert _shingles("???", 5) != _shingles("!!!", 5)  # no word at all: the document itself


class CountingSet(set):
    """A shingle set that counts the intersections taken with it (one per Jaccard confirmed)."""

    calls = 0

    def __and__(self, other):  # type: ignore[no-untyped-def,override]
        CountingSet.calls += 1
        return set(self) & set(other)


def test_templated_notes_are_confirmed_once_each_not_once_per_pair() -> None:
    template = ("discharge summary the patient was admitted to the cardiology service with chest pain troponin was "
                "negative times three ecg showed normal sinus rhythm without acute changes stress test was negative "
                "the patient was discharged home in stable condition with instructions to follow up in two weeks")
    n = 150
    norms = [normalize_text(f"{template} follow up with dr smith bed {k}") for k in range(n)]
    shingles = {text_digest(t): CountingSet(_shingles(t, 5)) for t in norms}
    by_digest = {d: [k] for k, d in enumerate(shingles)}
    CountingSet.calls = 0
    groups = _near_groups(shingles, by_digest, 0.8, 128)
    assert [rows for rows, _, _ in groups] == [list(range(n))]  # one group of every note, as before
    # before: every candidate pair confirmed, n(n-1)/2 = 11,175 Jaccards (3,000 notes took 130 s)
    assert CountingSet.calls < 2 * n


def test_bucket_linking_gives_the_groups_of_all_confirmed_pairs() -> None:
    """Chains (A~B, B~C, A not ~C), clusters and unrelated notes: the groups equal the connected
    components of every pair at Jaccard >= 0.8 (computed here pair by pair)."""
    import random

    from meddx.data.splits import code_groups, component_codes

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(5000)]
    docs = []
    for _ in range(12):  # chains: each link changes 2 more words of 200, so ends drift apart
        words = [rng.choice(vocab) for _ in range(200)]
        for _ in range(5):
            docs.append(" ".join(words))
            for _ in range(2):
                words[rng.randrange(200)] = rng.choice(vocab)
    docs += [" ".join(rng.choice(vocab) for _ in range(200)) for _ in range(60)]  # unrelated
    rng.shuffle(docs)
    norms = [normalize_text(d) for d in docs]
    sets = [_shingles(t, 5) for t in norms]
    pairs = [(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets))
             if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.8]
    assert any(len(sets[i] & sets[j]) / len(sets[i] | sets[j]) < 0.8 for g in code_groups(component_codes(
        len(sets), pairs)) for i in g for j in g if i < j)  # some group holds a pair joined only through others
    expected = code_groups(component_codes(len(sets), pairs))
    shingles = {text_digest(t): set(s) for t, s in zip(norms, sets)}
    by_digest = {d: [k] for k, d in enumerate(shingles)}
    got = _near_groups(shingles, by_digest, 0.8, 128)
    assert [rows for rows, _, _ in got] == expected
    assert all(0.8 <= lo <= hi <= 1.0 for _, hi, lo in got)
