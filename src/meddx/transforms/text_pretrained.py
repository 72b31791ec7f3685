"""Reading the tokenizer of a local Hugging Face model folder (``TextTokenizer.from_pretrained``).

Split from :mod:`meddx.transforms.text`: the folder's ``tokenizer.json`` is read there; these
helpers cover older folders (``vocab.txt`` ...) and tell whether the tokenizer lowercases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meddx.core.errors import DataError
from meddx.transforms.text import _PAD_NAMES, _TOKENIZER_FILES, _first_id

if TYPE_CHECKING:  # pragma: no cover
    from tokenizers import Tokenizer


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
        f"{folder}: no tokenizer found; expected {' or '.join(_TOKENIZER_FILES)}; "
        f"found: {', '.join(present) or '(empty folder)'}"
    )
    if not any((folder / name).is_file() for name in ("tokenizer_config.json", "vocab.txt", "vocab.json",
                                                      "config.json")):
        raise missing
    from meddx.core.extras import needs_extra

    with needs_extra(f"{folder}: reading this tokenizer"):
        from transformers import AutoTokenizer
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
