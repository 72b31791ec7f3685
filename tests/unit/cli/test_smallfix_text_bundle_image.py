"""A text bundle given an image says what it reads, worded as an image bundle refuses ``--text``.

Found on the image walk: ``meddx predict TEXTBUNDLE x.png`` said "unsupported document file
'.png'", which reads as a document format problem rather than the wrong kind of bundle; the image
bundle's refusal of ``--text`` says "bundle 'xray' reads images, not documents; ...".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from meddx.core.errors import DataError
from tests.integration.cli_helpers import run_cli

WORDS = ("reads documents (CSV/JSONL/Parquet/.txt or --text), not images; give it those, or pass images to an image "
         "bundle (`meddx registry list` names each bundle's model)")


def _text_bundle(folder: Path) -> Path:
    """An untrained LSTM text bundle named 't' (no baseline): the refusal does not depend on training."""
    from meddx.bundle.bundle import save_bundle
    from meddx.bundle.text_predictor import text_bundle_files
    from meddx.data.synthetic_text import keyword_documents
    from meddx.models.registry import create_model
    from meddx.transforms.text import TextTokenizer

    texts, _ = keyword_documents(30, seed=0)
    tokenizer = TextTokenizer.fit(texts, kind="word", vocab_size=100, max_length=16)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "modality": "text", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "lstm", "args": args, "num_classes": 3},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "file": "tokenizer.json", "max_length": 16},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    torch.manual_seed(0)
    net = create_model("lstm", num_classes=3, **args)
    return save_bundle(folder, net=net, config=config, metrics={}, model_card="",
                       extra_files=text_bundle_files(tokenizer, None))


@pytest.mark.parametrize("name", ["x.png", "scan.nii.gz", "photo.gif"])
def test_predict_names_the_bundle_and_what_it_reads(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    bundle = _text_bundle(tmp_path / "t")
    path = tmp_path / name
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "x.png")
    path.write_bytes((tmp_path / "x.png").read_bytes())
    result = run_cli(["predict", str(bundle), str(path)], capsys)
    assert result.code == 2
    assert result.err == f"meddx: error: {path}: bundle 't' {WORDS}\n", result.err


def test_the_python_api_says_the_same(tmp_path: Path) -> None:
    from meddx.bundle.bundle import load_bundle

    predictor = load_bundle(_text_bundle(tmp_path / "t"))
    with pytest.raises(DataError) as err:
        predictor.predict_arrays([np.zeros((1, 4, 4), np.float32)])
    assert str(err.value) == f"bundle 't' {WORDS}"


def test_an_unknown_suffix_is_still_an_unsupported_document(tmp_path: Path) -> None:
    from meddx.cli.predict_text import read_documents

    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK")
    with pytest.raises(DataError, match="unsupported document file '.docx'"):
        read_documents([path], None)


def test_explain_names_the_bundle_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    bundle = _text_bundle(tmp_path / "t")
    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    result = run_cli(["explain", str(bundle), str(path)], capsys)
    assert result.code == 2
    assert f"{path}: bundle 't' {WORDS}" in result.err, result.err
