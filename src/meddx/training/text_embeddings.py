"""Word vectors from the training documents themselves, to start a text network's embedding table.

A network trained from scratch on a few thousand documents has to learn what every word means
from its labels alone, and overfits before it does: on the medical abstracts bilstm-attention
scored .09 macro-F1 below TF-IDF + logistic regression (``benchmarks/RESULTS.md``). Words that
occur near the same words mean similar things, and that needs no labels. ``ppmi_vectors`` counts
which tokens occur within ``window`` tokens of each other in the training split, weighs the
counts by positive pointwise mutual information with context-distribution smoothing (alpha .75)
and keeps the top singular vectors, U * sqrt(S) (Levy, Goldberg & Dagan, TACL 2015, showed this
matches word2vec on similarity tasks). ``init_embeddings`` writes them into the network's
embedding table at the scale of the table's own random initialisation, so the layers after it
see inputs of the size they were built for.

Written here because the maintained word-vector libraries (gensim, fastText) are not among
meddx's dependencies and pull in their own stacks; this is a sparse count, a logarithm and
scikit-learn's randomized SVD. Only token ids are read: no document text is touched or logged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WINDOW = 5  # tokens either side that count as context
CONTEXT_ALPHA = 0.75  # context-distribution smoothing (Levy et al. 2015)
CHUNK = 2048  # documents per counting pass: bounded memory on large corpora


def cooccurrence(ids: np.ndarray, mask: np.ndarray, vocab_size: int, window: int = WINDOW) -> Any:
    """Symmetric ``(vocab_size, vocab_size)`` sparse counts of token pairs at most ``window`` apart
    within one document (``mask`` marks real tokens; padding never counts)."""
    from scipy import sparse

    total = sparse.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for start in range(0, len(ids), CHUNK):
        chunk, real = ids[start : start + CHUNK], mask[start : start + CHUNK].astype(bool)
        rows, cols = [], []
        for offset in range(1, min(window, chunk.shape[1] - 1) + 1):
            both = real[:, :-offset] & real[:, offset:]
            left, right = chunk[:, :-offset][both], chunk[:, offset:][both]
            rows += [left, right]
            cols += [right, left]
        if rows:
            r, c = np.concatenate(rows), np.concatenate(cols)
            total = total + sparse.coo_matrix((np.ones(len(r)), (r, c)), shape=(vocab_size, vocab_size)).tocsr()
    return total


def ppmi_vectors(ids: np.ndarray, mask: np.ndarray, vocab_size: int, dim: int, window: int = WINDOW,
                 seed: int = 0) -> np.ndarray:
    """``(vocab_size, dim)`` vectors from the PPMI-weighted co-occurrences of ``ids``; rows of tokens
    that never occur next to another are zero. Deterministic for a given ``seed``."""
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    if not 0 < dim < vocab_size:
        raise ValueError(f"ppmi_vectors: need 0 < dim < vocab_size, got dim={dim}, vocab_size={vocab_size}")
    counts = cooccurrence(ids, mask, vocab_size, window).tocoo()
    vectors = np.zeros((vocab_size, dim), dtype=np.float32)
    if counts.nnz == 0:
        return vectors
    total = counts.data.sum()
    word = np.asarray(counts.sum(axis=1)).ravel()
    context = np.asarray(counts.sum(axis=0)).ravel() ** CONTEXT_ALPHA
    context = context / context.sum() * total
    pmi = np.log(counts.data * total / (word[counts.row] * context[counts.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)
    u, s, _ = randomized_svd(ppmi, n_components=dim, random_state=seed)
    vectors[:] = u * np.sqrt(s)
    vectors[word == 0] = 0.0  # the SVD leaves rounding noise in rows of tokens never seen
    return vectors


def embedding_dim(net: Any) -> int:
    """Width of the network's input embedding table."""
    return int(net.get_input_embeddings().weight.shape[1])


def init_embeddings(net: Any, ids: np.ndarray, mask: np.ndarray, pad_id: int, seed: int = 0,
                    vectors: np.ndarray | None = None) -> dict[str, Any]:
    """Overwrite ``net``'s embedding rows of the tokens seen in ``ids`` with PPMI vectors rescaled
    to the standard deviation of the table's random initialisation; other rows keep their random
    values, the padding row stays zero. ``vectors`` (``ppmi_vectors`` of the same ids, table-sized)
    are computed here unless given: an ensemble computes them once for all its networks. Returns
    what was done (rows written, table size, window, scale) for the caller to log."""
    import torch

    table = net.get_input_embeddings().weight
    vocab_size, dim = table.shape
    if vectors is None:
        vectors = ppmi_vectors(ids, mask, vocab_size, dim, seed=seed)
    elif vectors.shape != (vocab_size, dim):
        raise ValueError(f"vectors of shape {vectors.shape} do not fit an embedding table of {(vocab_size, dim)}")
    seen = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
    seen = seen[seen != pad_id]
    with torch.no_grad():
        others = torch.ones(vocab_size, dtype=torch.bool)
        others[pad_id] = False
        scale = float(table[others].std()) if int(others.sum()) > 1 else 1.0
        if len(seen):
            chosen = vectors[seen]
            chosen = chosen / (chosen.std(ddof=1) + 1e-12) * scale
            table[torch.from_numpy(seen)] = torch.from_numpy(chosen).to(table.dtype)
        table[pad_id] = 0.0
    return {"tokens_initialised": int(len(seen)), "vocab_size": int(vocab_size), "dim": int(dim),
            "window": WINDOW, "scale": round(scale, 4)}
