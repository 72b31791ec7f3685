"""The TF-IDF baseline reads text as the network's tokenizer does (NFKC, lower case), and its
``baseline.json`` (vocabulary, settings) is checked like ``baseline.safetensors``.

Found by an audit: the word tokenizer applies NFKC but the baseline did not, so a full-width
"ＣＡＮＣＥＲ" or the ligature in "ﬁbrosis" was the known word to the network and an unknown one
to the baseline; and a damaged baseline.json either failed with a JSON parse error or, when the
damage kept it valid JSON (one changed word), silently changed the baseline's scores."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import BundleError
from meddx.evaluation.text_baseline import TfidfBaseline
from meddx.transforms.text import TextTokenizer

TRAIN = ["cancer fibrosis of the liver", "cancer fibrosis with tumour", "heart attack and infarct",
         "heart infarct with stroke"] * 3
LABELS = np.array([0, 0, 1, 1] * 3)
# full-width letters, a ligature, non-breaking spaces and an ideographic space
VARIANTS = {"cancer fibrosis": ["ＣＡＮＣＥＲ ﬁbrosis", "Cancer\u00a0FIBROSIS", "cancer\u3000ﬁbrosis"],
            "heart infarct": ["ｈｅａｒｔ ＩＮＦＡＲＣＴ", "heart\u00a0infarct"]}


def test_baseline_and_word_tokenizer_normalise_alike() -> None:
    base = TfidfBaseline.fit(TRAIN, LABELS, "binary")
    tokenizer = TextTokenizer.fit(TRAIN, kind="word", vocab_size=100, max_length=16)
    for plain, variants in VARIANTS.items():
        want_p, want_ids = base.predict_proba([plain]), tokenizer.encode_batch([plain])[0]
        for variant in variants:
            np.testing.assert_array_equal(tokenizer.encode_batch([variant])[0], want_ids)  # NFKC + lower case
            np.testing.assert_allclose(base.predict_proba([variant]), want_p, rtol=0, atol=1e-7)
    assert base.settings["normalization"] == "NFKC"


def test_a_bundle_baseline_without_the_setting_keeps_reading_as_it_was_fitted() -> None:
    """Bundles written before NFKC: their vectoriser is rebuilt without it (no silent change of scores)."""
    files = TfidfBaseline.fit(TRAIN, LABELS, "binary").to_files()
    meta = json.loads(files["baseline.json"])
    del meta["settings"]["normalization"]
    from safetensors.numpy import load, save

    old = TfidfBaseline.from_files(save(load(files["baseline.safetensors"])), json.dumps(meta))
    variant, plain = old.predict_proba(["ＣＡＮＣＥＲ ﬁbrosis"])[0, 1], old.predict_proba(["cancer fibrosis"])[0, 1]
    assert variant != pytest.approx(plain)


def _files() -> dict[str, bytes]:
    return TfidfBaseline.fit(TRAIN, LABELS, "binary").to_files()


def test_baseline_json_checksum_is_recorded_and_checked() -> None:
    from meddx.evaluation.text_baseline import JSON_CHECKSUM_KEY

    files = _files()
    n = int.from_bytes(files["baseline.safetensors"][:8], "little")
    header = json.loads(files["baseline.safetensors"][8:8 + n])["__metadata__"]
    assert header[JSON_CHECKSUM_KEY] == hashlib.sha256(files["baseline.json"]).hexdigest()
    assert files == _files()  # the same bytes each time (a bundle saved twice is identical)
    # one word changed: still valid JSON, so only the checksum can tell
    damaged = files["baseline.json"].replace(b'"cancer"', b'"cancar"')
    assert damaged != files["baseline.json"]
    with pytest.raises(BundleError, match=r"^b/baseline\.json: damaged: its SHA-256 is [0-9a-f]{16}\.\.\., "
                                          r"baseline\.safetensors records [0-9a-f]{16}\.\.\."):
        TfidfBaseline.from_files(files["baseline.safetensors"], damaged, where="b")


@pytest.mark.parametrize("cut", [10, 200])
def test_a_truncated_baseline_json_names_the_file_in_one_line(cut: int) -> None:
    files = _files()
    with pytest.raises(BundleError) as err:
        TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"][:cut], where="b")
    message = str(err.value)
    assert message.startswith("b/baseline.json: damaged") and "\n" not in message


def test_a_damaged_bundle_baseline_json_is_refused_by_load_bundle(tmp_path: Path) -> None:
    """Through ``load_text_predictor``, as ``load_bundle`` calls it: one line naming the file."""
    from meddx.bundle.text_predictor import load_text_predictor
    from tests.unit.bundle.test_text_predictor_inputs import _predictor

    good = _predictor()
    for name, data in {**_files(), "tokenizer.json": good.tokenizer.to_json().encode()}.items():
        (tmp_path / name).write_bytes(data)
    config = {**good.config, "baseline": {"model": "tfidf-logreg", "decision": None}}
    assert load_text_predictor(tmp_path, config, good.net, {}).baseline is not None
    meta = tmp_path / "baseline.json"
    meta.write_bytes(meta.read_bytes()[:-40] + b"\x00" * 40)  # a bad copy: zeros at the end, not valid UTF-8 JSON
    with pytest.raises(BundleError, match=rf"^{tmp_path / 'baseline.json'}: damaged"):
        load_text_predictor(tmp_path, config, good.net, {})
