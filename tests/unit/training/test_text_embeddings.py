"""PPMI-SVD word vectors from training token ids, and how they start a text network's embedding table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training.text_embeddings import cooccurrence, init_embeddings, ppmi_vectors

PAD = 0


def _topics(n_docs: int = 200, length: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Documents that each use the words of one topic only: ids 2-21 (topic A) or 22-41 (topic B),
    right-padded with id 0 to a ragged length."""
    rng = np.random.default_rng(seed)
    a, b = list(range(2, 22)), list(range(22, 42))
    ids = np.zeros((n_docs, length), dtype=np.int64)
    mask = np.zeros((n_docs, length), dtype=np.int64)
    for i in range(n_docs):
        words = a if i % 2 else b
        n = int(rng.integers(length // 2, length + 1))
        ids[i, :n] = rng.choice(words, size=n)
        mask[i, :n] = 1
    return ids, mask, a, b


def _cos(v: np.ndarray) -> np.ndarray:
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    return unit @ unit.T


def test_cooccurrence_counts_pairs_within_the_window_and_never_padding() -> None:
    ids = np.array([[5, 6, 7, 0, 0], [7, 5, 0, 0, 0]])
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]])
    one = cooccurrence(ids, mask, vocab_size=8, window=1).toarray()
    expected = np.zeros((8, 8))
    for x, y in [(5, 6), (6, 7), (7, 5)]:
        expected[x, y] += 1
        expected[y, x] += 1
    np.testing.assert_array_equal(one, expected)
    two = cooccurrence(ids, mask, vocab_size=8, window=2).toarray()
    assert two[5, 7] == two[7, 5] == 2  # (5, _, 7) in the first document adds to (7, 5) in the second
    assert one[:, PAD].sum() == one[PAD].sum() == 0 and two[:, PAD].sum() == 0


def test_vectors_of_words_that_share_contexts_point_the_same_way() -> None:
    ids, mask, a, b = _topics()
    vectors = ppmi_vectors(ids, mask, vocab_size=42, dim=8)
    sims = _cos(vectors[2:42])
    within = np.concatenate([sims[:20, :20][~np.eye(20, dtype=bool)], sims[20:, 20:][~np.eye(20, dtype=bool)]])
    across = sims[:20, 20:].ravel()
    assert within.mean() > 0.5 and abs(across.mean()) < 0.1
    assert within.min() > across.max()  # every same-topic pair is closer than every cross-topic pair
    assert not vectors[PAD].any() and not vectors[1].any()  # never seen: zero
    np.testing.assert_array_equal(vectors, ppmi_vectors(ids, mask, vocab_size=42, dim=8))  # deterministic


def test_vectors_refuse_a_table_as_wide_as_the_vocabulary() -> None:
    ids, mask, _, _ = _topics(n_docs=10)
    with pytest.raises(ValueError, match="dim < vocab_size"):
        ppmi_vectors(ids, mask, vocab_size=42, dim=42)


def test_init_writes_the_vectors_at_the_tables_own_scale() -> None:
    from meddx.models.text import BiLSTMAttention

    ids, mask, a, b = _topics()
    torch.manual_seed(0)
    net = BiLSTMAttention(num_classes=2, vocab_size=50, pad_id=PAD, embedding_dim=8)
    before = net.get_input_embeddings().weight.detach().clone()
    info = init_embeddings(net, ids, mask, pad_id=PAD)
    after = net.get_input_embeddings().weight.detach()
    assert info["tokens_initialised"] == 40 and info["dim"] == 8
    assert not after[PAD].any()
    torch.testing.assert_close(after[42:], before[42:])  # ids never seen in training keep their random rows
    torch.testing.assert_close(after[1], before[1])
    assert abs(float(after[2:42].std()) - float(before[1:].std())) < 1e-3  # the random init's scale
    sims = _cos(after[2:42].numpy())
    assert sims[:20, :20].mean() > 0.5 and abs(sims[:20, 20:].mean()) < 0.1  # the topic structure survives



def test_given_vectors_are_written_as_computed_ones_and_must_fit_the_table() -> None:
    """An ensemble computes the vectors once and hands them to every network."""
    from meddx.models.text import BiLSTMAttention
    from meddx.training.text_embeddings import ppmi_vectors

    ids, mask, _, _ = _topics()
    nets = []
    for _ in range(2):
        torch.manual_seed(0)
        nets.append(BiLSTMAttention(num_classes=2, vocab_size=50, pad_id=PAD, embedding_dim=8))
    init_embeddings(nets[0], ids, mask, pad_id=PAD)
    init_embeddings(nets[1], ids, mask, pad_id=PAD, vectors=ppmi_vectors(ids, mask, 50, 8))
    torch.testing.assert_close(nets[0].get_input_embeddings().weight, nets[1].get_input_embeddings().weight)
    with pytest.raises(ValueError, match="do not fit"):
        init_embeddings(nets[1], ids, mask, pad_id=PAD, vectors=np.zeros((50, 4), dtype=np.float32))

def _plan(vocab_size: int, **config: object):  # noqa: ANN202
    from meddx.data.base import SplitData, TextSource
    from meddx.training.config import TrainConfig
    from meddx.training.text_plan import initial_text_plan, with_tokenizer

    split = SplitData(ids=["0", "1"], labels=np.array([0, 1]), texts=["a", "b"])
    source = TextSource(name="s", origin="s.csv", task="binary", label_names=["no", "yes"], spatial_dims=0,
                        splits={"train": split})
    cfg = TrainConfig(data="s.csv", **config)
    return with_tokenizer(initial_text_plan(cfg, source), vocab_size, 0, 32, "test"), cfg


def test_plan_starts_from_ppmi_unless_told_or_the_vocabulary_is_too_small() -> None:
    from meddx.training.text_plan import with_embedding_init

    plan, cfg = _plan(500)
    chosen = with_embedding_init(plan, cfg, dim=128)
    assert chosen.embedding_init == "ppmi" and "PPMI" in chosen.reasons["embedding_init"]
    plan, cfg = _plan(100)
    assert with_embedding_init(plan, cfg, dim=128).embedding_init == "random"
    plan, cfg = _plan(500, embedding_init="random")
    assert with_embedding_init(plan, cfg, dim=128).reasons["embedding_init"] == "set in config"
    plan, cfg = _plan(100, embedding_init="ppmi")
    with pytest.raises(ConfigError, match="--embedding-init random or a larger --vocab-size"):
        with_embedding_init(plan, cfg, dim=128)
    plan, cfg = _plan(500, pretrained="/m")
    assert with_embedding_init(plan, cfg, dim=128).embedding_init == "pretrained"
    plan, cfg = _plan(500)
    edited = plan.model_copy(update={"embedding_init": "random"})
    assert with_embedding_init(edited, cfg, dim=128, overridden=True).embedding_init == "random"
    with pytest.raises(ConfigError, match="expected ppmi or random"):
        with_embedding_init(plan.model_copy(update={"embedding_init": "glove"}), cfg, dim=128, overridden=True)
