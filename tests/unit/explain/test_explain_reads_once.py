"""Explaining reads each image once and encodes each document's tokens once.

Found by an audit: ``meddx explain`` read every image file twice (once to explain it, once to
draw the overlay), and a document was encoded three times for its tokens, their positions in the
row and its untruncated length.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from meddx.transforms.text import TextTokenizer
from test_text_explain import _predictor

LONG = " ".join(["patient presented with seizure and fatigue"] * 30)


@pytest.mark.parametrize("kind", ["word", "wordpiece", "bpe"])
@pytest.mark.parametrize("text", ["history of seizure", LONG], ids=["short", "cut"])
def test_token_spans_are_what_tokens_positions_and_length_said(kind: str, text: str) -> None:
    tokenizer = _predictor(kind, "lstm").tokenizer
    spans, positions, cut = tokenizer.token_spans(text, max_length=64)
    assert spans == tokenizer.tokens(text, max_length=64)
    assert positions == tokenizer.token_positions(text, max_length=64)
    assert cut == (int(tokenizer.lengths([text])[0]) > 64) and cut == (text == LONG)


def test_a_document_is_encoded_once_for_its_tokens_positions_and_length() -> None:
    from meddx.explain.text import token_attributions

    predictor = _predictor("word", "bilstm-attention")
    calls: list[str] = []
    encode, lengths = TextTokenizer._encode, TextTokenizer.lengths

    def counting_encode(self: TextTokenizer, texts: list[str], limit: int):  # type: ignore[no-untyped-def]
        calls.append("encode")
        return encode(self, texts, limit)

    def counting_lengths(self: TextTokenizer, texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append("lengths")
        return lengths(self, texts)

    with mock.patch.object(TextTokenizer, "_encode", counting_encode), \
            mock.patch.object(TextTokenizer, "lengths", counting_lengths):
        result = token_attributions(predictor, LONG)
    # One encoding gives the network's input, its probabilities and the tokens, positions and length
    # (was three: the input, predict_texts for the probabilities, and the spans).
    assert calls == ["encode"]
    assert result.extra["read_until"] == max(end for _, _, end in result.tokens) < len(LONG)
    # the probability shown is the bundle's (temperature-scaled) probability of the same document
    assert result.probability == pytest.approx(
        float(predictor.predict_texts([LONG])[0][predictor.label_names.index(result.target)]), abs=1e-12)


def test_explain_api_encodes_a_document_once_and_keeps_a_named_target() -> None:
    """``meddx.explain`` on a document encoded it four times (its own predict_texts for the target,
    then the three above)."""
    from meddx.explain.api import explain

    predictor = _predictor("word", "bilstm-attention")
    predictor.config.update(modality="text", calibration={"temperature": 2.0})
    predictor.temperature = 2.0
    calls: list[int] = []
    encode = TextTokenizer._encode

    def counting_encode(self: TextTokenizer, texts: list[str], limit: int):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return encode(self, texts, limit)

    with mock.patch.object(TextTokenizer, "_encode", counting_encode):
        decided, named = (explain(predictor, ["history of seizure"], "attention", target=t)[0] for t in (None, "c"))
    assert calls == [1, 1]
    probs = predictor.predict_texts(["history of seizure"])[0]
    assert decided.target == predictor.label_names[int(probs.argmax())]
    assert decided.probability == pytest.approx(float(probs.max()), abs=1e-12)
    assert named.target == "c" and named.probability == pytest.approx(float(probs[2]), abs=1e-12)


@pytest.fixture(scope="module")
def image_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    import os

    from meddx.data.synthetic import make_lesion_source, write_image_folder
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    root = tmp_path_factory.mktemp("explain_once")
    folder = write_image_folder(make_lesion_source(32, 8, 4, size=16, seed=2, contrast=2.0), root / "data")
    old = os.environ.get("MEDDX_HOME")
    os.environ["MEDDX_HOME"] = str(root / "home")
    try:
        result = fit(TrainConfig(data=str(folder), model="seed-cnn", epochs=1, seed=1, precision="32-true",
                                 output=str(root / "bundle")), progress=False)
    finally:
        os.environ.pop("MEDDX_HOME") if old is None else os.environ.__setitem__("MEDDX_HOME", old)
    return Path(result.bundle_path), sorted(folder.rglob("test/*/*.png"))[:3]


def test_each_image_file_is_read_once_and_the_overlays_are_unchanged(image_bundle: tuple[Path, list[Path]],
                                                                     tmp_path: Path) -> None:
    from meddx.explain.api import as_predictor, explain, write_explanations

    bundle, files = image_bundle
    predictor = as_predictor(bundle)
    read = predictor.read_loaded  # what read() calls too: the array and the spacing the file records
    seen: list[str] = []

    def counting_read(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(str(path))
        return read(path, *args, **kwargs)

    predictor.read_loaded = counting_read  # type: ignore[method-assign]
    explanations = explain(predictor, files, ["gradcam", "occlusion"])
    written = write_explanations(predictor, explanations, files, tmp_path / "once")
    assert sorted(seen) == sorted(map(str, files))  # once per file, for both methods and the overlays
    for e in explanations:  # the overlays as drawn from a second read of the file (the old way)
        e.image = None
    again = write_explanations(predictor, explanations, files, tmp_path / "again")
    assert [p.name for p in written] == [p.name for p in again]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(written, again) if a.suffix == ".png")
