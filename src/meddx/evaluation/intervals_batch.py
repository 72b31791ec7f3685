"""The interval metrics of many bootstrap resamples at once (``_FastMetrics.batch``).

``bootstrap_ci`` calls a statistic once per resample (1,000 BCa resamples plus up to 200
jackknife sets); on small evaluations that Python loop dominated ``meddx train``/``evaluate``/
``cv``/``compare`` (14.5 s of a 29.9 s text cv). Here every metric of every row of a (R, N)
multiplicity matrix ``W`` is computed with a handful of array operations:

- confusion counts: ``W @ design`` (sums of integers, exact, as the one-resample path);
- AUC/AP: per-distinct-score weighted counts ``W @ onehot(codes)`` (a sparse product, exact),
  then the same cumulative sums as ``_FastMetrics._ranking`` along axis 1.

Ratios, sums and means are the same operations in the same order as the one-resample path, so
the values are bit-identical: BCa counts the resampled values equal to the estimate, and a last-bit
difference there moved a bound by 0.008 on 20 samples with tied scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from meddx.evaluation.intervals import CLASS_METRICS, _ratio

if TYPE_CHECKING:
    from meddx.evaluation.intervals import _FastMetrics


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean of each row's defined (non-NaN) entries; NaN for a row with none (the operations of
    ``intervals._nanmean`` row by row, so the same bits)."""
    defined = ~np.isnan(values)
    total = np.where(defined, values, 0.0).sum(axis=1)
    count = defined.sum(axis=1)
    out = np.full(len(values), np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def rank_indicators(codes: list[np.ndarray], truth: np.ndarray) -> list[tuple[sparse.csr_matrix, sparse.csr_matrix]]:
    """Per class, the sparse (distinct scores, N) 0/1 matrices of which positive, and which
    negative, sample has which score code: one product each gives the weighted counts per score."""
    out = []
    for c, code in enumerate(codes):
        shape = (int(code.max()) + 1, len(code))
        sides = [truth[:, c] > 0, truth[:, c] == 0]
        out.append(tuple(sparse.csr_matrix((np.ones(int(s.sum())), (code[s], np.flatnonzero(s))), shape=shape)
                         for s in sides))
    return out


def _ranking_rows(wt: np.ndarray, onehot: tuple[sparse.csr_matrix, sparse.csr_matrix]) -> tuple[np.ndarray, np.ndarray]:
    """(AUC, AP) of one class for every column of ``wt`` (N, R); NaN where a side is empty (as
    ``_ranking``). Laid out (distinct scores, R) so the cumulative sums run down contiguous rows."""
    pos, neg = onehot[0] @ wt, onehot[1] @ wt  # (distinct scores, R), highest score first
    n_pos, n_neg = pos.sum(axis=0), neg.sum(axis=0)
    cum_pos, cum_neg = np.cumsum(pos, axis=0), np.cumsum(neg, axis=0)
    both = (n_pos > 0) & (n_neg > 0)
    auc = _ratio((pos * (n_neg - cum_neg + 0.5 * neg)).sum(axis=0), np.where(both, n_pos * n_neg, 0.0))
    precision = cum_pos / np.maximum(cum_pos + cum_neg, 1e-300)
    # Summed along contiguous rows, as the one-resample path sums its 1-D array: the same
    # pairwise order, so AP is bit-identical (BCa counts resampled values equal to the estimate).
    ap = _ratio(np.ascontiguousarray((pos * precision).T).sum(axis=1), np.where(both, n_pos, 0.0))
    return auc, ap


def batch_values(fast: _FastMetrics, w: np.ndarray) -> dict[str, np.ndarray]:
    """``fast.values`` of every row of ``w`` (R, N): name -> (R,) array, NaN where undefined."""
    w = np.asarray(w, dtype=float).reshape(-1, fast.n)
    k = fast.k
    total = w.sum(axis=1)
    counts = (w @ fast.design).reshape(len(w), -1, k)  # (R, blocks, K)
    tp, fp, fn, pos = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    neg = total[:, None] - pos
    tn = neg - fp
    per = {"sensitivity": _ratio(tp, pos), "specificity": _ratio(tn, neg), "ppv": _ratio(tp, tp + fp),
           "npv": _ratio(tn, tn + fn), "f1": _ratio(2 * tp, 2 * tp + fp + fn)}
    wt = np.ascontiguousarray(w.T)  # (N, R): no copy for bootstrap_ci's matrices (built transposed)
    ranks = [_ranking_rows(wt, fast.rank_onehot[c]) for c in range(k)]
    per["auc"] = np.column_stack([r[0] for r in ranks])
    per["auprc"] = np.column_stack([r[1] for r in ranks])
    if fast.task == "multilabel":
        accuracy = ((tp + tn) / total[:, None]).mean(axis=1)
        both = (pos > 0) & (neg > 0)
        balanced = _nanmean_rows(np.where(both, (per["sensitivity"] + per["specificity"]) / 2, np.nan))
        macro_f1 = _nanmean_rows(per["f1"])
    else:
        hits, decided = counts[:, 4], counts[:, 5]
        accuracy = hits.sum(axis=1) / total
        balanced = _nanmean_rows(_ratio(hits, pos))
        macro_f1 = _nanmean_rows(_ratio(2 * hits, decided + pos))
    out = {"accuracy": accuracy, "balanced_accuracy": balanced, "macro_f1": macro_f1}
    for m in ("auc", "auprc"):
        out[m] = per[m][:, 1] if fast.task == "binary" else _nanmean_rows(per[m])
    for m in CLASS_METRICS:
        for c in range(k):
            out[f"per_class/{c}/{m}"] = per[m][:, c]
    return out
