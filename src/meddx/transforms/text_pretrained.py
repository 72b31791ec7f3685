"""Reading the tokenizer of a local Hugging Face model folder (``TextTokenizer.from_pretrained``).

Split from :mod:`meddx.transforms.text`: the folder's ``tokenizer.json`` is read there; these
helpers cover older folders (``vocab.txt`` ...) and tell whether the tokenizer lowercases.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from meddx.core.errors import DataError
from meddx.transforms.text import _PAD_NAMES, _TOKENIZER_FILES, _first_id

# What transformers.AutoTokenizer reads a vocabulary from (WordPiece, BPE, SentencePiece).
_VOCABULARY_FILES = ("vocab.txt", "vocab.json", "spiece.model", "spm.model", "sentencepiece.bpe.model",
                     "tokenizer.model")

if TYPE_CHECKING:  # pragma: no cover
    from tokenizers import Tokenizer


@contextlib.contextmanager
def quiet_load() -> Iterator[None]:
    """transformers' own output while a checkpoint loads, silenced for the block and restored after:
    its "LOAD REPORT" table of missing and unexpected keys (a warning on its logger) and its "Loading
    weights" progress bar landed in meddx's output, while meddx already says in words whether the
    classification head is new and which encoder weights the checkpoint lacks
    (``models.text.loading_notes``). Errors still show; the user's own verbosity comes back."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def not_a_model_folder(folder: Path, expected: str) -> DataError:
    """The error for a ``--pretrained`` path that is not a folder: a file inside one (name the
    folder), or a hub id such as ``bert-base-uncased`` (meddx never downloads: say so)."""
    if folder.is_file():
        return DataError(f"{folder}: a file, not a folder; pass the model folder that holds it ({folder.parent}), "
                         f"with {expected}")
    text = str(folder)
    hub_id = not folder.is_absolute() and not text.startswith(".") and text.count("/") <= 1 and "\\" not in text
    why = (f"; if {text!r} is a Hugging Face hub id: meddx never downloads; where there is network run "
           f"huggingface-cli download {text} --local-dir DIR and pass DIR") if hub_id else ""
    return DataError(f"{folder}: no such folder; expected a local Hugging Face model folder with {expected}{why}")


def _needs_sentencepiece(folder: Path) -> None:
    """A SentencePiece-only folder (DeBERTa-v3's spm.model, T5's spiece.model) cannot be read without
    the ``sentencepiece`` package, which meddx does not install: say so, not "no tokenizer found"."""
    import importlib.util

    spm = [name for name in _VOCABULARY_FILES[2:] if (folder / name).is_file()]
    other = any((folder / name).is_file() for name in _VOCABULARY_FILES[:2])
    if spm and not other and importlib.util.find_spec("sentencepiece") is None:
        raise DataError(f"{folder}: its tokenizer is a SentencePiece model ({spm[0]}) and reading it needs the "
                        "package 'sentencepiece', which is not installed: pip install sentencepiece, or where it "
                        "is installed save a tokenizer.json beside it (AutoTokenizer.from_pretrained(DIR)"
                        ".save_pretrained(DIR))")


def lowercases(tok: Tokenizer) -> bool:
    """Whether a pretrained tokenizer's normaliser lowercases (read from its JSON)."""
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            if node.get("type") == "Lowercase" or (node.get("type") == "BertNormalizer" and node.get("lowercase")):
                return True
            return any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    return walk(json.loads(tok.to_str()).get("normalizer"))


def auto_tokenizer(folder: Path) -> tuple[Tokenizer, int]:
    """Older model folders (``vocab.txt`` ...) through ``transformers.AutoTokenizer``, offline."""
    present = sorted(p.name for p in folder.iterdir())[:20]
    missing = DataError(
        f"{folder}: no tokenizer found; expected {' or '.join(_TOKENIZER_FILES)} (or a SentencePiece "
        f"{' / '.join(_VOCABULARY_FILES[2:])}); a model-only folder needs the tokenizer files of the model it "
        f"came from; found: {', '.join(present) or '(empty folder)'}"
    )
    if not any((folder / name).is_file() for name in ("tokenizer_config.json", "config.json", *_VOCABULARY_FILES)):
        raise missing
    from meddx.core.extras import needs_extra

    with needs_extra(f"{folder}: reading this tokenizer"):
        from transformers import AutoTokenizer
    # A vocabulary file, not only tokenizer_config.json/config.json: from those alone transformers
    # builds a tokenizer of its five special tokens, and every word would become [UNK].
    if not any((folder / name).is_file() for name in _VOCABULARY_FILES):
        raise missing
    _needs_sentencepiece(folder)
    try:
        hf = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError):
        raise missing from None
    backend = getattr(hf, "backend_tokenizer", None)
    if backend is None:
        raise DataError(f"{folder}: the tokenizer has no fast (tokenizers) version; "
                        "save it with a tokenizer.json (PreTrainedTokenizerFast.save_pretrained)")
    # No pad token (GPT-2's vocab.json + merges.txt): its end-of-text token, as for a tokenizer.json
    # folder (``TextTokenizer.from_pretrained``); id 0 is a real token there (GPT-2's "!").
    eos_id = hf.eos_token_id if hf.eos_token_id is not None else 0
    pad_id = hf.pad_token_id if hf.pad_token_id is not None else _first_id(backend, _PAD_NAMES, eos_id)
    return backend, int(pad_id)
