"""Describe a text source before training: counts per split and class, and document lengths.

Lengths (characters and whitespace-separated words: min, median, 95th percentile, max, mean)
show whether a model's maximum sequence length cuts most documents, and the count of empty
documents shows rows that carry no evidence. A multi-label source also gets, per split, its label
cardinality: documents with none of the labels, and the mean and most labels per document (the class
table counts positives per label, which do not add up to the documents). A class with no training document is listed
(``meddx train`` refuses the source). Only numbers leave this module, never text.
"""

from __future__ import annotations

import numpy as np

from meddx.data.base import TextSource
from meddx.data.info import class_counts, classes_without_training


def text_source_info(source: TextSource) -> dict:
    """JSON-serialisable summary of ``source``: per split counts, class counts, patients and
    length statistics, plus the same statistics over all splits."""
    splits = {}
    all_texts: list[str] = []
    for name, data in source.splits.items():
        texts = data.texts or []
        all_texts.extend(texts)
        splits[name] = {
            "count": len(data),
            "class_counts": class_counts(source, data),
            "patients": None if data.patient_ids is None else len(set(data.patient_ids)),
            **length_stats(texts),
        } | ({"label_sets": label_cardinality(data.labels)} if source.task == "multilabel" else {})
    return {
        "name": source.name,
        "origin": source.origin,
        "kind": "text",
        "task": source.task,
        "spatial_dims": 0,
        "label_names": list(source.label_names),
        "num_classes": source.num_classes,
        "columns": dict(source.columns),
        "total": sum(len(d) for d in source.splits.values()),
        "splits": splits,
        "overall": length_stats(all_texts),
        "classes_without_training_samples": classes_without_training(source),
        "notes": list(source.notes),
    }


def label_cardinality(labels: np.ndarray) -> dict:
    """``no_label`` (documents with none of the labels), ``mean_labels`` and ``max_labels`` per document
    of a multi-label (N, L) 0/1 matrix; ``mean_labels`` is None for an empty split."""
    per_doc = (np.asarray(labels) > 0).sum(axis=-1)
    return {"no_label": int((per_doc == 0).sum()), "mean_labels": round(float(per_doc.mean()), 2) if len(per_doc)
            else None, "max_labels": int(per_doc.max()) if len(per_doc) else 0}


def length_stats(texts: list[str]) -> dict:
    """``chars`` and ``words`` statistics (min/median/p95/max/mean; None when there are no
    documents) and ``empty``, the number of documents that are empty or only whitespace."""
    chars = np.asarray([len(t) for t in texts], dtype=np.float64)
    words = np.asarray([len(t.split()) for t in texts], dtype=np.float64)
    return {"chars": _stats(chars), "words": _stats(words), "empty": int(sum(1 for t in texts if not t.strip()))}


def _stats(values: np.ndarray) -> dict | None:
    if values.size == 0:
        return None
    return {
        "min": int(values.min()),
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "max": int(values.max()),
        "mean": round(float(values.mean()), 1),
    }
