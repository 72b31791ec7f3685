"""``meddx predict BUNDLE --text ... --explain DIR``: the closing line counts the pages it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


def _predictor():
    from meddx.bundle.text_predictor import TextPredictor
    from meddx.data.synthetic_text import keyword_documents
    from meddx.models.registry import create_model
    from meddx.transforms.text import TextTokenizer

    tokenizer = TextTokenizer.fit(keyword_documents(60, seed=0)[0], kind="word", vocab_size=200, max_length=32)
    torch.manual_seed(0)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "lstm", "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 32},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    return TextPredictor(config, create_model("lstm", num_classes=3, **args).eval(), tokenizer)


def test_the_explanation_line_counts_pages_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It said "(1 HTML pages)" for one document."""
    from meddx.cli.predict_text import predict_text

    predictor = _predictor()
    for texts, expected in ((["history of seizure"], "(1 HTML page)"),
                            (["history of seizure", "carcinoma of the liver"], "(2 HTML pages)")):
        out_dir = tmp_path / str(len(texts))
        predict_text(predictor, [], texts, out_dir, "integrated-gradients", None, as_json=False)
        out = capsys.readouterr().out
        assert f"explanations: {out_dir} {expected}" in out
        assert len(list(out_dir.glob("*.html"))) == len(texts)
