"""Kim (2014)'s convolutional network for sentence classification, as a meddx text model.

Embedding -> parallel Conv1d of widths 3, 4 and 5 (100 filters each, ReLU) -> max over time ->
dropout .5 -> Linear (Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP
2014). It reads n-grams wherever they occur, which is what a bag-of-n-grams linear model reads
too, but over embeddings that share what similar words mean; it is a classic strong baseline for
short texts on small data, and trains in a fraction of an LSTM's time.

The same interface as the models in :mod:`meddx.models.text`: ``input_ids`` and
``attention_mask`` ``(B, L)`` to logits ``(B, num_classes)``, padding never changes a row's result,
and ``get_input_embeddings()`` is the table that PPMI-SVD vectors start (training/text_embeddings)
and that integrated gradients attribute through (explain/text). Written here because no
maintained library ships a masked text CNN behind this interface; it is four torch layers.
"""

from __future__ import annotations

import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import MODELS
from meddx.models.text import _TEXT, _check, _mask


class TextCNN(nn.Module):
    """Embedding -> Conv1d per width (ReLU) -> masked max over time -> dropout -> Linear.

    Each convolution is *wide* (``width - 1`` zeros on both sides), so a document shorter than
    the widest filter still has windows, and every token is read by as many windows as any
    other. Padding positions are zeroed after the embedding, and a window is pooled only when it
    holds at least one real token; windows of padding alone, which would see only the bias and
    would make the result depend on how much padding a batch carries, are excluded. The ReLU is
    applied after the max (the same value: ReLU is monotone), so the max is taken over scores.
    """

    def __init__(self, num_classes: int, vocab_size: int, pad_id: int = 0, embedding_dim: int = 128,
                 widths: tuple[int, ...] = (3, 4, 5), filters: int = 100, dropout: float = 0.5) -> None:
        super().__init__()
        self.widths = tuple(int(w) for w in widths)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.convs = nn.ModuleList(nn.Conv1d(embedding_dim, filters, w, padding=w - 1) for w in self.widths)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(self.widths), num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        mask = _mask(input_ids, attention_mask)
        real = mask.unsqueeze(1).to(self.embedding.weight.dtype)  # (B, 1, L)
        x = self.embedding(input_ids).transpose(1, 2) * real  # (B, E, L), padding zeroed
        pooled = []
        for width, conv in zip(self.widths, self.convs):
            scores = conv(x)  # (B, F, L + width - 1)
            # a window holds a real token when the real-token count under it is > 0
            kernel = torch.ones(1, 1, width, dtype=real.dtype, device=real.device)
            valid = nn.functional.conv1d(real, kernel, padding=width - 1) > 0.5  # (B, 1, L + width - 1)
            pooled.append(torch.relu(scores.masked_fill(~valid, float("-inf")).amax(dim=2)))
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embedding


@MODELS.register("textcnn", description="Kim (2014) CNN: Conv1d widths 3/4/5 x 100, max over time", **_TEXT)
def textcnn(num_classes: int = 2, vocab_size: int = 20000, pad_id: int = 0, embedding_dim: int = 128,
            widths: tuple[int, ...] | list[int] = (3, 4, 5), filters: int = 100, dropout: float = 0.5) -> nn.Module:
    """Kim's sentence CNN over a 128-wide table (the width the other text networks use)."""
    _check("textcnn", num_classes, vocab_size, pad_id)
    try:
        sizes = tuple(int(w) for w in widths)
    except (TypeError, ValueError):
        sizes = ()
    if not sizes or min(sizes) < 1 or int(filters) < 1 or not 0 <= float(dropout) < 1:
        raise ModelError(f"model 'textcnn': widths must be a non-empty list of positive integers, filters >= 1 and "
                         f"0 <= dropout < 1; got widths={widths!r}, filters={filters}, dropout={dropout}")
    return TextCNN(num_classes, vocab_size, pad_id, embedding_dim, sizes, int(filters), float(dropout))
