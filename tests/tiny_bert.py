"""A tiny randomly initialised BERT with its WordPiece tokenizer, saved as a local Hugging Face
model folder: what a user's ``--pretrained PATH`` looks like, built offline in a second."""

from __future__ import annotations

from pathlib import Path

import torch


def save_tiny_bert(folder: Path, train_texts: list[str]) -> None:
    """A tiny randomly initialised BERT and its WordPiece tokenizer, saved as a HF model folder."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.train_from_iterator(train_texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials,
                                                                  show_progress=False))
    wp.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[(t, wp.token_to_id(t)) for t in ("[CLS]", "[SEP]")]
    )
    wp.decoder = decoders.WordPiece()
    PreTrainedTokenizerFast(tokenizer_object=wp, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]", model_max_length=64).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=wp.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64)
    BertForSequenceClassification(config).save_pretrained(folder)
