"""TextTokenizer: fitting on training text only, encoding shapes, offsets, round trips, errors."""

from __future__ import annotations

import pickle
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ConfigError, DataError
from meddx.transforms.text import KINDS, TextTokenizer

TRAIN = [
    "Patient reports FEVER and a dry cough, no chest pain.",
    "No fever; mild cough reported. Chest X-ray clear.",
    "Fracture of the left wrist after a fall; pain on movement.",
    "Follow-up: cough resolved, no fever, wrist pain improving.",
] * 3
SECRET = "zanzibarite"  # a word that must never appear in an error message


def _fit(kind: str = "word", **kwargs: object) -> TextTokenizer:
    return TextTokenizer.fit(TRAIN, kind=kind, min_frequency=1, **kwargs)


def _surface(token: str) -> str:
    return token.removeprefix("##").removeprefix("Ġ")


@pytest.mark.parametrize("kind", KINDS)
def test_round_trips_give_identical_ids(kind: str, tmp_path: Path) -> None:
    tok = _fit(kind, max_length=16)
    texts = ["Fever and cough; no pain.", "", "wrist FRACTURE " * 20, f"{SECRET} unseen words"]
    ids, mask = tok.encode_batch(texts)
    for other in (TextTokenizer.from_json(tok.to_json()), TextTokenizer.load(tok.save(tmp_path / "tok.json")),
                  pickle.loads(pickle.dumps(tok))):
        assert (other.kind, other.max_length, other.lowercase, other.pad_id) == (kind, 16, True, 0)
        again, again_mask = other.encode_batch(texts)
        np.testing.assert_array_equal(again, ids)
        np.testing.assert_array_equal(again_mask, mask)
        assert other.tokens(texts[0]) == tok.tokens(texts[0])
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temporary file


@pytest.mark.parametrize("kind", KINDS)
def test_special_token_ids(kind: str) -> None:
    tok = _fit(kind)
    assert tok.pad_id == 0 and tok.vocab_size > 10
    ids, _ = tok.encode_batch(["[PAD] typed in a note is text, not padding"])
    assert ids[0, -1] != 0 and (ids[0] != 0).all()


def test_word_decode_recovers_normalised_words() -> None:
    tok = _fit("word")
    ids, _ = tok.encode_batch(["Patient reports FEVER, no chest pain."])
    assert tok.decode(ids[0]) == "patient reports fever , no chest pain ."


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_subword_decode_recovers_text(kind: str) -> None:
    tok = _fit(kind)
    ids, _ = tok.encode_batch(["Patient reports FEVER and cough"])
    assert tok.decode(ids[0]) == "patient reports fever and cough"


def test_unknown_words_map_to_unk_and_fit_uses_only_given_texts() -> None:
    tok = TextTokenizer.fit(TRAIN[:2], kind="word", min_frequency=1)
    ids, _ = tok.encode_batch(["fever wrist"])  # "wrist" is only in texts not given to fit
    assert ids[0, 0] > 1 and ids[0, 1] == 1
    assert [t for t, _, _ in tok.tokens(f"cough {SECRET}")] == ["cough", "[UNK]"]
    # min_frequency: words seen once in the training texts are unknown
    rare = TextTokenizer.fit(["cough cough fever"], kind="word", min_frequency=2)
    assert rare.encode_batch(["cough fever"])[0].tolist() == [[rare.encode_batch(["cough"])[0][0, 0], 1]]


def test_lowercase_is_configurable() -> None:
    tok = TextTokenizer.fit(["Fever fever FEVER"] * 2, kind="word", min_frequency=1, lowercase=False)
    ids, _ = tok.encode_batch(["Fever fever FEVER"])
    assert len(set(ids[0].tolist())) == 3 and tok.lowercase is False
    assert TextTokenizer.from_json(tok.to_json()).lowercase is False


@pytest.mark.parametrize("kind", KINDS)
def test_offsets_slice_the_original_text(kind: str) -> None:
    tok = _fit(kind)
    text = "  Follow-up:  COUGH resolved,\tno FEVER ﬁnally!"
    spans = tok.tokens(text)
    # one span per non-special id the model sees, in order (so attributions align with ids)
    ids, mask = tok.encode_batch([text])
    assert len(spans) == mask.sum() - (0 if kind == "word" else 2)
    assert all(0 <= s <= e <= len(text) for _, s, e in spans)  # byte-level BPE: spaces give empty spans
    for token, start, end in spans:
        original = unicodedata.normalize("NFKC", text[start:end]).lower()
        if token == "[UNK]" or start == end:
            continue
        if kind == "bpe":  # byte-level pieces may split a character; compare the decoded piece
            assert tok.decode([tok._tok.token_to_id(token)]) in original
        elif kind == "wordpiece":  # the ligature "ﬁ" is one original character for "f" + "##i"
            assert _surface(token) in original
        else:
            assert original == token
    words = [text[s:e] for t, s, e in spans if kind == "word"]
    assert kind != "word" or words[:5] == ["Follow", "-", "up", ":", "COUGH"]


@pytest.mark.parametrize("kind", KINDS)
def test_truncation_and_padding_shapes(kind: str) -> None:
    tok = _fit(kind, max_length=8)
    texts = ["fever", "cough " * 30, ""]
    ids, mask = tok.encode_batch(texts)
    assert ids.shape == mask.shape == (3, 8) and ids.dtype == mask.dtype == np.int64
    assert mask[1].all() and mask.sum(axis=1).min() >= 1  # an empty text still has one real token
    assert (ids[mask == 0] == tok.pad_id).all()
    assert all((m[: m.sum()] == 1).all() for m in mask)  # right padding
    short, _ = tok.encode_batch(["fever", "fever cough"])
    assert short.shape[1] == int(tok.lengths(["fever cough"])[0]) < 8  # padded to the longest row only
    assert tok.encode_batch(texts, max_length=5)[0].shape == (3, 5)
    assert len(tok.tokens("cough " * 30)) == 8 - (0 if kind == "word" else 2)  # the tokens the model sees
    assert len(tok.tokens("cough " * 30, max_length=5)) == 5 - (0 if kind == "word" else 2)
    lengths = tok.lengths(texts)
    assert lengths[1] > 8 and lengths[2] >= 1
    if kind != "word":  # [CLS] ... [SEP] survive truncation
        cls, sep = ids[1, 0], ids[1, -1]
        assert cls == ids[0, 0] and sep == ids[0, mask[0].sum() - 1]


def _save_hf_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "<s>", "</s>"]
    wp = Tokenizer(models.WordPiece(unk_token="<unk>"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.train_from_iterator(TRAIN, trainers.WordPieceTrainer(vocab_size=200, special_tokens=specials[::-1],
                                                            show_progress=False))
    wp.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[(t, wp.token_to_id(t)) for t in ("<s>", "</s>")]
    )
    PreTrainedTokenizerFast(tokenizer_object=wp, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
                            eos_token="</s>", model_max_length=12).save_pretrained(folder)


def test_from_pretrained_reads_a_local_hf_tokenizer(tmp_path: Path) -> None:
    _save_hf_tokenizer(tmp_path)
    tok = TextTokenizer.from_pretrained(tmp_path)
    assert tok.kind == "pretrained" and tok.max_length == 12 and tok.lowercase is True
    assert tok.pad_id == 3  # the tokenizer's own <pad> (specials were trained in reverse order)
    ids, mask = tok.encode_batch(["Fever and cough", "cough " * 40])
    assert ids.shape == (2, 12) and (ids[0][mask[0] == 0] == 3).all()
    assert [t for t, _, _ in tok.tokens("Fever and cough")] == ["fever", "and", "cough"]
    again = TextTokenizer.from_json(tok.to_json())
    np.testing.assert_array_equal(again.encode_batch(["Fever and cough"])[0], ids[:1, : mask[0].sum()])
    assert TextTokenizer.from_pretrained(tmp_path, max_length=6).encode_batch(["cough " * 40])[0].shape == (1, 6)


def test_errors_are_clear_and_never_quote_text(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty list"):
        TextTokenizer.fit([])
    with pytest.raises(ConfigError, match="word, wordpiece, bpe"):
        TextTokenizer.fit(TRAIN, kind="sentencepiece")
    with pytest.raises(DataError, match="item 1 is a NoneType"):
        TextTokenizer.fit([f"{SECRET} one", None])  # type: ignore[list-item]
    with pytest.raises(DataError, match="list of texts"):
        _fit().encode_batch(f"{SECRET} note")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_length"):
        _fit("wordpiece", max_length=2)
    with pytest.raises(DataError, match="tokenizer.json") as err:
        TextTokenizer.from_pretrained(tmp_path)
    assert "(empty folder)" in str(err.value)
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(DataError, match="found: model.safetensors"):
        TextTokenizer.from_pretrained(tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        TextTokenizer.from_pretrained(tmp_path / "absent")
    broken = TextTokenizer.fit(TRAIN + [SECRET] * 2, min_frequency=1).to_json().replace('"model"', '"modle"')
    with pytest.raises(ConfigError, match="not a valid tokenizers document") as err:
        TextTokenizer.from_json(broken)
    assert SECRET not in str(err.value)
    with pytest.raises(ConfigError, match="format"):
        TextTokenizer.from_json('{"kind": "word"}')
    with pytest.raises(DataError, match="cannot read"):
        TextTokenizer.load(tmp_path / "absent.json")
