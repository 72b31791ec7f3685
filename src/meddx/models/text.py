"""Text classifiers: the seed article's LSTM, a BiLSTM with attention, a small transformer, and a
wrapper around any local Hugging Face sequence classifier.

Every model maps ``input_ids`` ``(B, L)`` (int64) and ``attention_mask`` ``(B, L)`` (1 = real
token, 0 = padding; ``None`` = every position is real) to logits ``(B, num_classes)``. Padding
is right-padding as produced by :class:`meddx.transforms.text.TextTokenizer`, and it never
changes a row's result: appending more padding gives the same logits. Each model exposes
``get_input_embeddings()`` (an ``nn.Embedding``) so Captum's ``LayerIntegratedGradients`` can
attribute a prediction to tokens.

``transformers`` is imported only inside the ``hf-sequence-classifier`` factory and
:func:`load_pretrained`, never when this module is imported, and nothing is ever downloaded.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from meddx.core.errors import DataError, ModelError
from meddx.models.registry import MODELS

_TEXT = {"dims": (1,), "input": "text", "output": "logits"}


def _check(name: str, num_classes: int, vocab_size: int | None, pad_id: int | None) -> None:
    if int(num_classes) < 1 or (vocab_size is not None and int(vocab_size) < 2):
        raise ModelError(f"model {name!r} needs num_classes >= 1 and vocab_size >= 2 (the tokenizer's "
                         f"vocab_size); got num_classes={num_classes}, vocab_size={vocab_size}")
    if vocab_size is not None and pad_id is not None and not 0 <= int(pad_id) < int(vocab_size):
        raise ModelError(f"model {name!r}: pad_id must be in [0, vocab_size={vocab_size}); got {pad_id}")


def _mask(input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Boolean ``(B, L)`` mask of real tokens; a row without any real token keeps its first
    position (a zero-length row would make packing and softmax undefined)."""
    if attention_mask is None:
        return torch.ones_like(input_ids, dtype=torch.bool)
    mask = attention_mask.to(device=input_ids.device).bool()
    empty = ~mask.any(dim=1)
    if empty.any():
        mask = mask.clone()
        mask[empty, 0] = True
    return mask


def _pack(embedded: torch.Tensor, mask: torch.Tensor) -> tuple[Any, torch.Tensor]:
    """Pack a right-padded batch by the lengths in ``mask`` so the LSTM never reads padding."""
    lengths = mask.sum(dim=1).clamp(min=1)
    packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
    return packed, lengths


# ----------------------------------------------------------------------------- seed LSTM


class SeedLSTM(nn.Module):
    """The seed article's network: Embedding(128) -> LSTM(64) -> Dense(num_classes).

    The classifier reads the LSTM state at the last *real* time step (the packed sequence's
    final hidden state). Reading position ``L - 1`` of a padded batch would instead read the
    state after the LSTM has consumed padding, so the same note would score differently
    depending on the longest note in its batch.
    """

    def __init__(self, num_classes: int, vocab_size: int, pad_id: int = 0, embedding_dim: int = 128,
                 hidden_size: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=1, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        packed, _ = _pack(self.embedding(input_ids), _mask(input_ids, attention_mask))
        _, (h_n, _) = self.lstm(packed)  # h_n: (1, B, H) at each row's last real step, in input order
        return self.fc(self.dropout(h_n[-1]))

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding


@MODELS.register("lstm", description="The seed article's LSTM: Embedding(128) -> LSTM(64) -> Dense", **_TEXT)
def lstm(num_classes: int = 2, vocab_size: int = 20000, pad_id: int = 0, embedding_dim: int = 128,
         hidden_size: int = 64, dropout: float = 0.0) -> nn.Module:
    """The seed LSTM classifier, reading the last unpadded time step."""
    _check("lstm", num_classes, vocab_size, pad_id)
    return SeedLSTM(num_classes, vocab_size, pad_id, embedding_dim, hidden_size, dropout)


# ----------------------------------------------------------------------------- BiLSTM + attention


class BiLSTMAttention(nn.Module):
    """Embedding -> bidirectional LSTM -> additive attention pooling -> dropout -> Linear.

    Packing matters twice here: the backward direction must start at the last real token (not at
    the padding), and the attention softmax runs over real tokens only. The attention weights are
    an explanation in their own right (:meth:`attention`).
    """

    def __init__(self, num_classes: int, vocab_size: int, pad_id: int = 0, embedding_dim: int = 128,
                 hidden_size: int = 64, attention_dim: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=1, batch_first=True, bidirectional=True)
        self.attn_proj = nn.Linear(2 * hidden_size, attention_dim)
        self.attn_score = nn.Linear(attention_dim, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def _encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        mask = _mask(input_ids, attention_mask)
        packed, _ = _pack(self.embedding(input_ids), mask)
        out, _ = self.lstm(packed)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=input_ids.shape[1])
        scores = self.attn_score(torch.tanh(self.attn_proj(states))).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return states, weights

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        states, weights = self._encode(input_ids, attention_mask)
        pooled = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
        return self.fc(self.dropout(pooled))

    def attention(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Attention weights ``(B, L)``: sum to 1 over each row's real tokens, 0 on padding."""
        return self._encode(input_ids, attention_mask)[1]

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding


@MODELS.register("bilstm-attention", description="BiLSTM (2x64) with additive attention pooling", **_TEXT)
def bilstm_attention(num_classes: int = 2, vocab_size: int = 20000, pad_id: int = 0, embedding_dim: int = 128,
                     hidden_size: int = 64, attention_dim: int = 64, dropout: float = 0.2) -> nn.Module:
    """Bidirectional LSTM whose attention weights over tokens explain each prediction."""
    _check("bilstm-attention", num_classes, vocab_size, pad_id)
    return BiLSTMAttention(num_classes, vocab_size, pad_id, embedding_dim, hidden_size, attention_dim, dropout)


# ----------------------------------------------------------------------------- small transformer


class TextTransformer(nn.Module):
    """A small pre-norm transformer encoder trained from scratch, mean-pooled over real tokens.

    Token embeddings are scaled by sqrt(d_model) and summed with learned positions (up to
    ``max_length``); padded keys are masked in every attention layer and excluded from pooling.
    """

    def __init__(self, num_classes: int, vocab_size: int, pad_id: int = 0, d_model: int = 128, num_heads: int = 4,
                 num_layers: int = 2, ff_dim: int = 256, dropout: float = 0.1, max_length: int = 512) -> None:
        super().__init__()
        self.max_length = int(max_length)
        self.scale = math.sqrt(d_model)
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position = nn.Embedding(self.max_length, d_model)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, num_heads, ff_dim, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        length = input_ids.shape[1]
        if length > self.max_length:
            raise ModelError(f"transformer: input has {length} tokens but the model's max_length is "
                             f"{self.max_length}; encode with TextTokenizer(max_length<={self.max_length})")
        mask = _mask(input_ids, attention_mask)
        positions = torch.arange(length, device=input_ids.device)
        x = self.dropout(self.embedding(input_ids) * self.scale + self.position(positions))
        x = self.encoder(x, src_key_padding_mask=~mask)
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(dim=1) / weights.sum(dim=1)
        return self.fc(self.norm(pooled))

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding


@MODELS.register("transformer", description="Small transformer encoder (2x128, 4 heads) from scratch", **_TEXT)
def transformer(num_classes: int = 2, vocab_size: int = 20000, pad_id: int = 0, d_model: int = 128,
                num_heads: int = 4, num_layers: int = 2, ff_dim: int = 256, dropout: float = 0.1,
                max_length: int = 512) -> nn.Module:
    """Transformer encoder with learned positions; inputs longer than ``max_length`` are refused."""
    _check("transformer", num_classes, vocab_size, pad_id)
    if d_model % num_heads or int(max_length) < 1:
        raise ModelError(f"model 'transformer': d_model must be divisible by num_heads and max_length >= 1; "
                         f"got d_model={d_model}, num_heads={num_heads}, max_length={max_length}")
    return TextTransformer(num_classes, vocab_size, pad_id, d_model, num_heads, num_layers, ff_dim, dropout,
                           max_length)


# ----------------------------------------------------------------------------- Hugging Face


def _transformers() -> Any:
    # meddx never downloads a model: offline unless the user said otherwise (read at import).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from meddx.core.extras import needs_extra

    with needs_extra("Hugging Face text models"):
        import transformers
    return transformers


def _clone_shared(module: nn.Module, state_dict: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    """State-dict post-hook: give every tensor that shares storage with an earlier entry its own
    copy. Tied weights (e.g. BART's shared input embeddings) are one tensor under several names,
    which safetensors refuses to save; loading the copies back re-ties nothing but writes the
    same values into the one parameter, so the round trip is exact."""
    seen: set[int] = set()
    for key, value in list(state_dict.items()):
        if not key.startswith(prefix) or not isinstance(value, torch.Tensor) or isinstance(value, nn.Parameter):
            continue  # keep_vars=True asks for the live parameters: leave them alone
        storage = value.untyped_storage().data_ptr()
        if storage in seen and value.numel():
            state_dict[key] = value.clone()
        seen.add(storage)


class HFSequenceClassifier(nn.Module):
    """A ``transformers`` sequence classifier behind the meddx text-model interface."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.register_state_dict_post_hook(_clone_shared)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.get_input_embeddings()

    def max_tokens(self) -> int | None:
        """The longest input its position table takes: ``max_position_embeddings``, less the offset
        of models (RoBERTa family) whose positions count from ``pad_token_id + 1``."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if not isinstance(limit, int):
            return None
        offset = getattr(getattr(self.model.base_model, "embeddings", None), "padding_idx", None)
        return limit - (int(offset) + 1) if isinstance(offset, int) else limit


def _config_from_dict(hf_config: dict[str, Any], num_classes: int, vocab_size: int | None,
                      pad_id: int | None) -> Any:
    _transformers()
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = hf_config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        raise ModelError(f"model 'hf-sequence-classifier': hf_config model_type {model_type!r} is not a "
                         "transformers model type; pass AutoConfig.from_pretrained(path).to_dict() "
                         "(meddx.models.text.load_pretrained does)")
    drop = {"id2label", "label2id", "num_labels", "_name_or_path"}
    config = CONFIG_MAPPING[model_type].from_dict({k: v for k, v in hf_config.items() if k not in drop})
    config.num_labels = int(num_classes)
    if vocab_size is not None:
        config.vocab_size = int(vocab_size)
    if pad_id is not None:
        config.pad_token_id = int(pad_id)
    return config


@MODELS.register("hf-sequence-classifier", description="A local Hugging Face sequence classifier (any "
                 "AutoModelForSequenceClassification config)", **_TEXT)
def hf_sequence_classifier(num_classes: int = 2, vocab_size: int | None = None, pad_id: int | None = None,
                           hf_config: dict[str, Any] | None = None) -> nn.Module:
    """``AutoModelForSequenceClassification.from_config`` with random weights; the bundle loader
    then fills them. ``pad_id`` defaults to the config's own ``pad_token_id`` (some models, e.g.
    RoBERTa, derive positions from it, so it must not be overridden with a different id)."""
    _check("hf-sequence-classifier", num_classes, vocab_size, pad_id)
    if not isinstance(hf_config, dict):
        raise ModelError("model 'hf-sequence-classifier' needs hf_config: a dict from "
                         "AutoConfig.from_pretrained(path).to_dict(); use "
                         "meddx.models.text.load_pretrained(path, num_classes) to get it with the weights")
    transformers = _transformers()
    config = _config_from_dict(hf_config, num_classes, vocab_size, pad_id)
    return HFSequenceClassifier(transformers.AutoModelForSequenceClassification.from_config(config))


def load_pretrained(path: str | Path, num_classes: int, pad_id: int | None = None,
                    tokenizer_size: int | None = None) -> tuple[dict[str, Any], nn.Module]:
    """Load a local Hugging Face model folder offline as a ``num_classes`` classifier.

    Returns ``(args, module)``: ``create_model("hf-sequence-classifier", num_classes=...,
    **args)`` rebuilds the same architecture (random weights) so a bundle's safetensors load
    into it; ``module`` holds the pretrained encoder weights (a classification head whose size
    differs from the checkpoint's is newly initialised).

    ``pad_id`` (the tokenizer's padding id) becomes the model's ``pad_token_id`` when its config
    has none: GPT-2-style models classify from the last token that is not padding, and without
    one refused every batch of two or more documents (a ValueError traceback in training). A
    model's own ``pad_token_id`` is never replaced (RoBERTa derives its positions from it).

    ``tokenizer_size`` (the tokenizer's number of ids) larger than the model's embedding table is
    refused: the tokenizer files are another model's, and its extra ids died as an IndexError
    traceback in training (or, on a shorter vocabulary, would read other tokens' embeddings).
    """
    folder = Path(path)
    expected = "config.json and weights (model.safetensors or pytorch_model.bin)"
    if not folder.is_dir():
        from meddx.transforms.text_pretrained import not_a_model_folder

        raise not_a_model_folder(folder, expected)
    if not (folder / "config.json").is_file():
        found = ", ".join(sorted(p.name for p in folder.iterdir())[:20]) or "(empty folder)"
        raise DataError(f"{folder}: no config.json; expected a local Hugging Face model folder with {expected}; "
                        f"found: {found}")
    transformers = _transformers()
    from meddx.transforms.text_pretrained import quiet_load

    try:
        config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
        with quiet_load():  # transformers' LOAD REPORT table and bar: loading_notes says it in words
            model, info = transformers.AutoModelForSequenceClassification.from_pretrained(
                str(folder), num_labels=int(num_classes), local_files_only=True, ignore_mismatched_sizes=True,
                output_loading_info=True,
            )
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{folder}: cannot load the Hugging Face model ({type(exc).__name__}: "
                        f"{str(exc)[:300]}); expected {expected}") from None
    rows = int(model.get_input_embeddings().num_embeddings)
    if tokenizer_size is not None and int(tokenizer_size) > rows:
        raise DataError(f"{folder}: the tokenizer has {int(tokenizer_size)} token ids but the model's embedding "
                        f"table has {rows} rows (config.json vocab_size {config.vocab_size}); the tokenizer files "
                        "are not this model's: use the tokenizer it was trained with")
    hf_config = {k: v for k, v in config.to_dict().items() if k not in ("id2label", "label2id", "_name_or_path")}
    args: dict[str, Any] = {"hf_config": hf_config, "vocab_size": int(config.vocab_size)}
    if getattr(config, "pad_token_id", None) is None and pad_id is not None:
        model.config.pad_token_id = args["pad_id"] = int(pad_id)  # the bundle rebuilds it with the same id
    module = HFSequenceClassifier(model)
    module.loading_notes = loading_notes(folder, config, model, info, int(num_classes))
    return args, module


def loading_notes(folder: Path, config: Any, model: nn.Module, info: dict[str, Any], num_classes: int) -> list[str]:
    """What :func:`load_pretrained` took from the checkpoint, in words: whether the classification
    head is new (a MaskedLM/PreTraining checkpoint, or one with another class count) or the
    checkpoint's own (its class order may not be this data's), and encoder weights it lacked
    (left random: a "pretrained" model that is partly untrained). Parameter names only."""
    prefix = f"{getattr(model, 'base_model_prefix', '')}."
    missing = list(info.get("missing_keys") or []) + [k[0] for k in info.get("mismatched_keys") or []]
    head = [k for k in missing if not k.startswith(prefix)]
    encoder = [k for k in missing if k.startswith(prefix) and ".pooler." not in k]
    kind = ", ".join(getattr(config, "architectures", None) or []) or str(getattr(config, "model_type", "?"))
    if head:
        labels = getattr(config, "num_labels", None)
        was = f"; its head had {labels} classes" if info.get("mismatched_keys") else ""
        notes = [f"{folder}: a new, randomly initialised {num_classes}-class classification head "
                 f"(the checkpoint is {kind}{was})"]
    else:
        notes = [f"{folder}: the checkpoint's own {num_classes}-class classification head is fine-tuned "
                 f"(the checkpoint is {kind}); its class order may not be this data's: training re-learns it"]
    if encoder:
        notes.append(f"{folder}: {len(encoder)} encoder weights are not in the checkpoint and start random "
                     f"(e.g. {encoder[0]})")
    return notes
