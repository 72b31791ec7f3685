"""Tokenisation of clinical text, fitted on the training split, built on Hugging Face ``tokenizers``.

``TextTokenizer.fit(train_texts, kind=...)`` learns a vocabulary from the training texts only
(a word seen only in validation or test text maps to ``[UNK]``, so evaluation is not flattered
by leakage). Kinds:

- ``word``: one id per word or punctuation mark (``WordLevel``); the seed article's vocabulary;
- ``wordpiece``: BERT-style subwords (``##`` continuations), wrapped in ``[CLS] ... [SEP]``;
- ``bpe``: byte-level BPE (GPT-2 style, never ``[UNK]``), wrapped in ``[CLS] ... [SEP]``;
- ``pretrained``: the tokenizer of a local Hugging Face model folder (``from_pretrained``).

Our kinds normalise with NFKC (+ lowercase by default) and split words from punctuation while
keeping character offsets into the original text, so ``tokens()`` can highlight attributions
on the text a clinician typed. ``[PAD]`` is id 0 and ``[UNK]`` id 1. The whole tokenizer
round-trips through one JSON document (``to_json``), which a bundle's ``config.json`` carries:
no pickles. Error messages never quote document text (it may identify a patient).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.core.files import write_text_atomic
from meddx.data.text_checks import check_texts as _check_texts
from meddx.data.text_checks import text_problem  # noqa: F401  (imported from here by callers)

if TYPE_CHECKING:  # pragma: no cover
    from tokenizers import Encoding, Tokenizer

KINDS = ("word", "wordpiece", "bpe")
_FORMAT = "meddx.text-tokenizer"
_PAD, _UNK, _CLS, _SEP, _MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
_SPECIALS = {"word": [_PAD, _UNK], "wordpiece": [_PAD, _UNK, _CLS, _SEP, _MASK], "bpe": [_PAD, _UNK, _CLS, _SEP, _MASK]}
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json with vocab.txt / vocab.json + merges.txt")
_PAD_NAMES = (_PAD, "<pad>", "<PAD>")
_UNK_NAMES = (_UNK, "<unk>", "<UNK>")


def _tokenizers() -> Any:
    from meddx.core.extras import needs_extra

    with needs_extra("text tokenisation"):  # a broken install is not called a missing extra
        import tokenizers
    return tokenizers


class TextTokenizer:
    """A fitted tokenizer: texts -> padded ``input_ids`` and ``attention_mask`` arrays.

    Build it with :meth:`fit`, :meth:`from_pretrained`, :meth:`from_json` or :meth:`load`;
    ``__init__`` only wraps an already trained ``tokenizers.Tokenizer``.
    """

    def __init__(self, tokenizer: Tokenizer, kind: str, max_length: int, lowercase: bool, pad_id: int = 0) -> None:
        _check_kind(kind, allow_pretrained=True)
        self.kind = kind
        self.lowercase = bool(lowercase)
        self.pad_id = int(pad_id)
        # Truncation and padding are applied per call by encode_batch (on frozen copies: this
        # object is never mutated afterwards, so one instance can serve concurrent requests).
        tokenizer.no_truncation()
        tokenizer.no_padding()
        if kind != "pretrained":
            # "[PAD]" typed in a document is text, not padding (a pretrained tokenizer keeps the
            # Hugging Face behaviour its model was trained with).
            tokenizer.encode_special_tokens = True
        self._tok = tokenizer
        self._n_special = tokenizer.num_special_tokens_to_add(False)
        self._truncating: dict[int, Tokenizer] = {}
        self.max_length = _check_max_length(max_length, self._n_special)
        self._empty_id = _first_id(tokenizer, _UNK_NAMES, self.pad_id)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        kind: str = "word",
        vocab_size: int = 20000,
        min_frequency: int = 2,
        max_length: int = 256,
        lowercase: bool = True,
    ) -> "TextTokenizer":
        """Learn a ``kind`` vocabulary of at most ``vocab_size`` entries from ``texts`` (training
        texts only); tokens seen fewer than ``min_frequency`` times map to ``[UNK]``."""
        _check_kind(kind)
        texts = _check_texts(texts, "fit a text tokenizer on")
        if not texts:
            raise DataError(
                "cannot fit a text tokenizer: got no training texts (an empty list); "
                "pass the training split's texts"
            )
        if int(vocab_size) < len(_SPECIALS[kind]) + 1 or int(min_frequency) < 1:
            raise ConfigError(
                f"text tokenizer: vocab_size must be > {len(_SPECIALS[kind])} (the special tokens) and "
                f"min_frequency >= 1; got vocab_size={vocab_size}, min_frequency={min_frequency}"
            )
        tk = _tokenizers()
        from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers

        specials = _SPECIALS[kind]
        common = dict(vocab_size=int(vocab_size), min_frequency=int(min_frequency), special_tokens=specials,
                      show_progress=False)
        if kind == "word":
            tok = tk.Tokenizer(models.WordLevel(unk_token=_UNK))
            trainer = trainers.WordLevelTrainer(**common)
        elif kind == "wordpiece":
            tok = tk.Tokenizer(models.WordPiece(unk_token=_UNK, continuing_subword_prefix="##"))
            trainer = None  # trained by text_wordpiece, deterministically
            tok.decoder = decoders.WordPiece(prefix="##")
        else:
            tok = tk.Tokenizer(models.BPE(unk_token=_UNK))
            trainer = trainers.BpeTrainer(initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), **common)
            tok.decoder = decoders.ByteLevel()
        steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
        tok.normalizer = normalizers.Sequence(steps)
        # Words and each punctuation mark separately; byte-level BPE uses GPT-2's split, which also
        # separates punctuation and keeps the preceding space in the token (so decode restores it).
        tok.pre_tokenizer = (pre_tokenizers.ByteLevel(add_prefix_space=True) if kind == "bpe"
                             else pre_tokenizers.BertPreTokenizer())
        if trainer is None:  # upstream's WordPiece trainer gave other merges in every process
            from meddx.transforms.text_wordpiece import train_wordpiece

            tok = train_wordpiece(tok, texts, specials, {k: v for k, v in common.items() if k != "special_tokens"})
        else:
            tok.train_from_iterator(texts, trainer, length=len(texts))
        if kind != "word":
            template = processors.TemplateProcessing(
                single=f"{_CLS} $A {_SEP}",
                special_tokens=[(_CLS, tok.token_to_id(_CLS)), (_SEP, tok.token_to_id(_SEP))],
            )
            tok.post_processor = (processors.Sequence([processors.ByteLevel(trim_offsets=True), template])
                                  if kind == "bpe" else template)
        return cls(tok, kind, max_length, lowercase, pad_id=tok.token_to_id(_PAD))

    @classmethod
    def from_pretrained(cls, path: str | Path, max_length: int | None = None) -> "TextTokenizer":
        """The tokenizer of a local Hugging Face model folder (never downloads).

        ``tokenizer.json`` is read directly with ``tokenizers``; a folder with only the older
        files (``vocab.txt`` ...) goes through ``transformers.AutoTokenizer(local_files_only=True)``.
        ``max_length`` defaults to the tokenizer's ``model_max_length`` or the model's
        ``max_position_embeddings`` (else 512).
        """
        from meddx.transforms.text_pretrained import auto_tokenizer, lowercases, not_a_model_folder

        folder = Path(path)
        if not folder.is_dir():
            raise not_a_model_folder(folder, " or ".join(_TOKENIZER_FILES))

        config = {**_read_json(folder / "config.json"), **_read_json(folder / "tokenizer_config.json")}
        if (folder / "tokenizer.json").is_file():
            tk = _tokenizers()
            try:
                tok = tk.Tokenizer.from_file(str(folder / "tokenizer.json"))
            except Exception as exc:  # a plain Exception from the Rust parser; may quote vocabulary
                raise DataError(f"{folder / 'tokenizer.json'}: not a valid tokenizer file ({type(exc).__name__}); "
                                "expected a tokenizers JSON file (Tokenizer.save)") from None
            pad = _special_content(config.get("pad_token"))
            padding = tok.padding or {}
            pad_id = tok.token_to_id(pad) if pad else padding.get("pad_id")
            pad_id = pad_id if pad_id is not None else _first_id(tok, _PAD_NAMES, _eos_id(tok, config))
        else:
            tok, pad_id = auto_tokenizer(folder)
        if max_length is None:  # tokenizers saved without a limit say model_max_length=1e30
            limits = [config.get(k) for k in ("model_max_length", "max_position_embeddings")]
            max_length = next((int(v) for v in limits if isinstance(v, (int, float)) and 0 < v < 100_000), 512)
        return cls(tok, "pretrained", int(max_length), lowercases(tok), pad_id=int(pad_id))

    # -- use -------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included (the size of the model's embedding table)."""
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def encode_batch(self, texts: Sequence[str], max_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)``, both int64 ``(N, L)``: each text truncated to
        ``max_length`` tokens (special tokens kept) and right-padded with ``pad_id`` to the
        longest row of the batch. An empty text still gets one token, so no row is all padding."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        return self._pad(self._encode(texts, limit))

    def _pad(self, encodings: Sequence[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        """Right-padded ``(input_ids, attention_mask)`` rows of ``encodings`` (see :meth:`encode_batch`)."""
        # An empty text of a kind without [CLS]/[SEP] encodes to nothing: give it one [UNK].
        rows = [enc.ids or [self._empty_id] for enc in encodings]
        width = max((len(r) for r in rows), default=1)
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return ids, mask

    def tokens(self, text: str, max_length: int | None = None) -> list[tuple[str, int, int]]:
        """``(token, start, end)`` for each non-special token the model sees (after truncation to
        ``max_length``, default ``self.max_length``: pass what ``encode_batch`` got), with
        character offsets into the original ``text``: ``text[start:end]`` is the token's surface
        form without the space a byte-level token carries, for highlighting attributions."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        return _spans(self._encode([text], limit)[0], text)[0]

    def token_positions(self, text: str, max_length: int | None = None) -> list[int]:
        """Column in ``encode_batch``'s row of each token of :meth:`tokens` (wherever the template puts specials)."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        return [i for i, special in enumerate(self._encode([text], limit)[0].special_tokens_mask) if not special]

    def token_spans(self, text: str, max_length: int | None = None) -> tuple[list[tuple[str, int, int]], list[int], bool]:
        """:meth:`tokens`, :meth:`token_positions` and whether ``text`` was cut at ``max_length``,
        from one encoding (an explanation needs all three; each of them alone encodes once)."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        return _spans(self._encode([text], limit)[0], text)

    def encode_explained(self, text: str, max_length: int | None = None) -> tuple[
            np.ndarray, np.ndarray, list[tuple[str, int, int]], list[int], bool]:
        """:meth:`encode_batch` of ``[text]`` and :meth:`token_spans` of ``text`` from one encoding:
        an explanation needs the network's input row and where each token sits in it and the text."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        enc = self._encode([text], limit)[0]
        return (*self._pad([enc]), *_spans(enc, text))

    def encode_rows(self, texts: Sequence[str], max_length: int | None = None) -> list[Encoding]:
        """Each text's truncated encoding, unpadded: ``pad_rows`` of a slice is ``encode_batch`` of those
        texts, so a caller also needing tokens or cuts (``meddx predict``) tokenizes once."""
        limit = self.max_length if max_length is None else _check_max_length(max_length, self._n_special)
        return self._encode(texts, limit)

    def pad_rows(self, encodings: Sequence[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        """``(input_ids, attention_mask)`` of :meth:`encode_rows`' encodings, padded as :meth:`encode_batch` pads."""
        return self._pad(encodings)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` with special tokens (padding included) dropped; normalised text, not
        the original (lowercased, NFKC), and ``[UNK]`` words are lost."""
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True).strip()

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Untruncated token counts (special tokens included), to choose ``max_length``."""
        texts = _check_texts(texts, "measure")
        encs = self._tok.encode_batch(texts, add_special_tokens=True)
        return np.array([max(len(e.ids), 1) for e in encs], dtype=np.int64)

    def _encode(self, texts: Sequence[str], limit: int) -> list[Encoding]:
        """Encode with ``tokenizers``' own truncation (special tokens kept) at ``limit``.

        Truncation is a setting of a ``tokenizers.Tokenizer``; rather than toggling it on the
        shared object (racy under concurrent requests), each limit gets its own frozen copy.
        """
        texts = _check_texts(texts, "encode")
        tok = self._truncating.get(limit)
        if tok is None:
            if len(self._truncating) >= 8:  # callers varying max_length: keep the cache small
                self._truncating.clear()
            tok = type(self._tok).from_str(self._tok.to_str())
            tok.encode_special_tokens = self._tok.encode_special_tokens
            tok.enable_truncation(limit)
            self._truncating[limit] = tok
        return tok.encode_batch(texts, add_special_tokens=True)

    # -- serialisation ---------------------------------------------------------------------
    def to_json(self) -> str:
        """One JSON document: kind, max_length, lowercase, pad_id and the ``tokenizers`` JSON."""
        return json.dumps({
            "format": _FORMAT,
            "version": 1,
            "kind": self.kind,
            "max_length": self.max_length,
            "lowercase": self.lowercase,
            "pad_id": self.pad_id,
            "tokenizer": json.loads(self._tok.to_str()),
        })

    @classmethod
    def from_json(cls, s: str) -> "TextTokenizer":
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(s)
        except ValueError as exc:
            raise ConfigError(f"text tokenizer: not valid JSON ({exc}); expected TextTokenizer.to_json() output") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ConfigError(f"text tokenizer JSON: format is {found!r}, expected {_FORMAT!r} "
                              "(the output of TextTokenizer.to_json())")
        missing = [k for k in ("kind", "max_length", "lowercase", "pad_id", "tokenizer") if k not in data]
        if missing:
            raise ConfigError(f"text tokenizer JSON: missing field(s) {', '.join(missing)}")
        try:
            tok = _tokenizers().Tokenizer.from_str(json.dumps(data["tokenizer"]))
        except Exception as exc:  # the tokenizers parser raises a plain Exception
            # Its message may quote vocabulary (words from documents): report the type only.
            raise ConfigError(f"text tokenizer JSON: the 'tokenizer' field is not a valid tokenizers "
                              f"document ({type(exc).__name__})") from None
        return cls(tok, data["kind"], int(data["max_length"]), bool(data["lowercase"]), int(data["pad_id"]))

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` atomically; returns the path."""
        return write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "TextTokenizer":
        """Read a file written by :meth:`save`."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"{path}: cannot read the text tokenizer ({exc.strerror}); "
                            "expected a file written by TextTokenizer.save") from None
        try:
            return cls.from_json(text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    def __getstate__(self) -> dict[str, str]:
        # For DataLoader workers and copies only (the exchange format is to_json, never pickle).
        return {"json": self.to_json()}

    def __setstate__(self, state: dict[str, str]) -> None:
        other = type(self).from_json(state["json"])
        self.__dict__.update(other.__dict__)

    def __repr__(self) -> str:
        return (f"TextTokenizer(kind={self.kind!r}, vocab_size={self.vocab_size}, "
                f"max_length={self.max_length}, lowercase={self.lowercase})")


# ----------------------------------------------------------------------------- helpers


def _check_kind(kind: str, allow_pretrained: bool = False) -> None:
    valid = KINDS + (("pretrained",) if allow_pretrained else ())
    if kind not in valid:
        hint = " (use TextTokenizer.from_pretrained for a Hugging Face model's tokenizer)" if kind == "pretrained" else ""
        raise ConfigError(f"unknown text tokenizer kind {kind!r}; valid kinds: {', '.join(KINDS)}{hint}")


def _check_max_length(max_length: int, n_special: int) -> int:
    if int(max_length) < n_special + 1:
        raise ConfigError(
            f"text tokenizer: max_length must be >= {n_special + 1} (room for {n_special} special "
            f"token(s) and one word); got {max_length}"
        )
    return int(max_length)


def _spans(enc: Encoding, text: str) -> tuple[list[tuple[str, int, int]], list[int], bool]:
    """Non-special tokens of ``enc`` (the encoding of ``text``) with their character spans, their
    columns in the row, and whether the text was cut (see ``TextTokenizer.token_spans``). A
    byte-level BPE token's offsets include the space before it (" pain"); the span is trimmed to
    the token's other characters, so a highlight covers the word only, and a token of spaces
    alone gets an empty span at its end."""
    from meddx.transforms.text_offsets import char_spans  # carried over combining marks NFKC folded in

    kept = [i for i, special in enumerate(enc.special_tokens_mask) if not special]
    spans = [(enc.tokens[i], *span) for i, span in zip(kept, char_spans(text, [enc.offsets[i] for i in kept]))]
    return spans, kept, bool(enc.overflowing)


def _first_id(tok: Tokenizer, names: Sequence[str], default: int) -> int:
    for name in names:
        found = tok.token_to_id(name)
        if found is not None:
            return int(found)
    return int(default)


def _eos_id(tok: Tokenizer, config: dict[str, Any]) -> int:
    """Padding of a tokenizer without a pad token (GPT-2 family): its end-of-text token, as Hugging
    Face users set ``pad_token = eos_token``; id 0 only when there is none. Id 0 is a real token
    there (GPT-2's ``!``), and a model that finds the last token by the pad id would skip it."""
    eos = _special_content(config.get("eos_token"))
    found = tok.token_to_id(eos) if eos else None
    if found is None and isinstance(config.get("eos_token_id"), int):
        found = config["eos_token_id"]
    return int(found) if found is not None else 0


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def _special_content(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else None
