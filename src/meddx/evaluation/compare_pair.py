"""The two halves of ``meddx compare`` around the statistics: reading, and choosing the tests.

Reading: each bundle reads the source as its own training read it (its reader options, its
validation fraction and seed), because a bundle scored on another bundle's reading of a file is
not the bundle ``evaluate`` scores, and the result would depend on the argument order. The two
readings are then aligned case by case by sample id; readings that hold different samples or
different labels are refused. A carved split (``val``, or ``train`` of the training file) must be
the same samples for both bundles: otherwise one bundle is scored on samples it trained on.

Labels: two bundles of the same task and the same label set in another order (one trained with
``--positive-labels 0``, the other with ``1,2,3,4``; a CSV whose labels appeared in another order) are
compared in ``a``'s order: ``b``'s probabilities, labels and decision rule are reordered before any
paired statistic (:func:`in_label_order`, :func:`thresholds_in_order`), and ``order_note`` says so.
Other tasks or label sets, and segmentation bundles whose structures are in another order, are
refused (:func:`refusal`).

Tests: with patient ids and some patient holding more than one sample, DeLong and McNemar are
the clustered versions (``evaluation.compare_clustered``), otherwise the sample-level ones.
"""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Sequence
from typing import Any

import numpy as np

from meddx.core.errors import DataError, LeakageError


def _reading_key(predictor: Any, carve: bool) -> str:
    """Everything ``load_source_as_trained`` reads a source with, besides the data and columns."""
    training = predictor.config.get("training", {})
    return json.dumps({"carve": carve, "modality": predictor.config.get("modality", "image"),
                       "window": (predictor.config.get("series") or {}).get("window_hours"),
                       **{k: training.get(k) for k in ("text_options", "source_options", "val_fraction", "seed",
                                                         "val_near_copies", "val_membership")}},
                      sort_keys=True, default=str)


def _carves(predictor: Any, data: str, split: str) -> bool:
    """Whether the bundle's reading of ``data`` carves its validation split out of train."""
    from meddx.evaluation.as_trained import is_training_source

    return split == "val" or (split == "train" and is_training_source(predictor, data))


def predict_both(a: Any, b: Any, data: str, split: str, columns: dict[str, str] | None) -> tuple[Any, Any, str]:
    """Predictions of bundle ``a`` and ``b`` on ``split`` of ``data``, each read as that bundle was
    trained, with ``b``'s reordered to ``a``'s cases and label order; and the source name (for the
    output folder).

    Raises:
        LeakageError: a carved split (val, or train of the training file) differs between the bundles.
        DataError: the two readings hold different samples, or different labels for a sample.
    """
    from meddx.evaluation.as_trained import load_source_as_trained
    from meddx.evaluation.evaluate import predict_split

    carve_a, carve_b = _carves(a, data, split), _carves(b, data, split)
    source_a = load_source_as_trained(a, data, carve_val=carve_a, columns=columns)
    same = _reading_key(a, carve_a) == _reading_key(b, carve_b)
    source_b = source_a if same else load_source_as_trained(b, data, carve_val=carve_b, columns=columns)
    ids_a, ids_b = list(source_a.split(split).ids), list(source_b.split(split).ids)
    if (carve_a or carve_b) and set(ids_a) != set(ids_b):  # before predicting: nothing to score
        raise LeakageError(_carved_message(a, b, ids_a, ids_b, data, split))
    pa, pb = predict_split(a, source_a, split), predict_split(b, source_b, split)
    if list(b.label_names) != list(a.label_names):  # the same labels in another order: b's put in a's
        pb = in_label_order(pb, b.label_names, source_b.label_names, a.label_names, a.task)
    return pa, align_to(pa, pb, f"{data} ({split})", a.name, b.name), source_a.name


def _carved_message(a: Any, b: Any, ids_a: list[str], ids_b: list[str], data: str, split: str) -> str:
    """Why ``--split val/train`` is refused: the bundles carved different validation splits."""
    def recorded(p: Any) -> str:
        t = p.config.get("training", {})
        near = t.get("val_near_copies")
        grouping = "near copies grouped" if near else "near copies not grouped"
        if isinstance(near, dict):  # carvings may differ in the settings' version alone (which fold a carve takes)
            grouping += f" (carving settings version {near.get('version', 1)})"
        if isinstance(t.get("val_membership"), dict):  # read back as recorded, whatever the carve does now
            grouping += f", val membership recorded ({t['val_membership'].get('n_val')} samples)"
        return f"seed {t.get('seed', 0)}, val fraction {t.get('val_fraction', 0.1)}, {grouping}"

    outside = len(set(ids_a) - set(ids_b))
    return (f"{data}: --split {split}: bundles {a.name!r} ({recorded(a)}) and {b.name!r} ({recorded(b)}) carved "
            f"different validation splits, so {outside} of the {len(ids_a)} {split} samples as {a.name!r} reads "
            f"them are not in the {split} split of {b.name!r} (one model would be scored on samples it trained on); "
            "compare on --split test or on a held-out file")


def align_to(pa: Any, pb: Any, where: str, name_a: str, name_b: str) -> Any:
    """``pb`` reordered to ``pa``'s sample ids; refuses different samples, labels or patients."""
    if list(pa.ids) == list(pb.ids):
        order = np.arange(len(pb.ids))
    else:
        only_a, only_b = sorted(set(pa.ids) - set(pb.ids)), sorted(set(pb.ids) - set(pa.ids))
        if only_a or only_b or len(pa.ids) != len(pb.ids) or len(set(pa.ids)) != len(pa.ids):
            raise DataError(f"{where}: bundles {name_a!r} and {name_b!r} read different samples with their own "
                            f"reader options ({len(pa.ids)} and {len(pb.ids)} cases; {len(only_a)} id(s) only in "
                            f"the reading of {name_a!r}, e.g. {only_a[:3]}, {len(only_b)} only in that of "
                            f"{name_b!r}, e.g. {only_b[:3]}, or duplicated ids); they cannot be compared case by case")
        position = {sample: k for k, sample in enumerate(pb.ids)}
        order = np.array([position[sample] for sample in pa.ids], dtype=np.int64)
    labels = np.asarray(pb.labels)[order]
    differ = [pa.ids[k] for k in range(len(order)) if not np.array_equal(np.asarray(pa.labels)[k], labels[k])]
    if differ:
        raise DataError(f"{where}: bundles {name_a!r} and {name_b!r} read different labels for {len(differ)} "
                        f"sample(s) (e.g. id {differ[0]!r}) with their own reader options; expected the same "
                        "label for each case, so the two cannot be compared")
    patients = None if pb.patient_ids is None else [pb.patient_ids[k] for k in order]
    if pa.patient_ids is not None and patients is not None and list(pa.patient_ids) != patients:
        raise DataError(f"{where}: bundles {name_a!r} and {name_b!r} read different patient ids for the same "
                        "samples with their own reader options; give --patient-column so both read the same one")
    return replace(pb, ids=list(pa.ids), labels=labels, probs=np.asarray(pb.probs)[order],
                   raw_probs=None if pb.raw_probs is None else np.asarray(pb.raw_probs)[order],
                   scores=None if pb.scores is None else np.asarray(pb.scores)[order],
                   patient_ids=patients if patients is not None else pa.patient_ids)


def patient_groups(pa: Any) -> np.ndarray | None:
    """The patient ids of the compared cases, or ``None`` when the source has none."""
    return None if pa.patient_ids is None else np.asarray(pa.patient_ids)


def paired_tests(y: np.ndarray, pa: Any, pb: Any, a: Any, b: Any, level: float, *,
                 threshold_b: Any) -> dict[str, Any]:
    """DeLong per class, McNemar, and ``paired_tests`` (the unit and method used) for ``comparison.json``;
    ``threshold_b``: ``b``'s decision rule in ``a``'s label order (:func:`thresholds_in_order`)."""
    from meddx.evaluation.compare import correctness, delong_per_class, mcnemar_test
    from meddx.evaluation.compare_clustered import is_clustered

    groups = patient_groups(pa)
    clustered = is_clustered(groups)
    correct_a = correctness(y, pa.probs, a.task, a.decision_thresholds)
    correct_b = correctness(y, pb.probs, a.task, threshold_b)
    mcnemar = mcnemar_test(correct_a, correct_b, groups if clustered else None)
    delong = delong_per_class(y, pa.probs, pb.probs, a.task, label_names=a.label_names, level=level,
                              groups=groups if clustered else None, scores_a=pa.scores, scores_b=pb.scores)
    n_units = int(len(np.unique(groups))) if clustered else int(len(y))  # type: ignore[arg-type]
    why = ("patient ids with more than one sample for some patient: DeLong and McNemar treat patients as the "
           "units" if clustered else "one sample per patient (or no patient ids): samples are the units")
    summary = {"unit": "patient" if clustered else "sample", "n_units": n_units,
               "delong": next((d["method"] for d in delong.values() if "method" in d), None),
               "mcnemar": mcnemar["method"], "note": why}
    return {"delong": delong, "mcnemar": mcnemar, "paired_tests": summary}


def refusal(a: Any, b: Any) -> str | None:
    """Why bundles ``a`` and ``b`` cannot be compared case by case (another task, other labels; segmentation:
    the same structures in another order), in one line; ``None`` when they predict the same labels, in the
    same order or, for classification, in another (``b``'s are then put in ``a``'s: :func:`in_label_order`)."""
    names_a, names_b = list(a.label_names), list(b.label_names)
    if a.task != b.task:
        return (f"bundle {a.name!r} is {a.task} and bundle {b.name!r} is {b.task}; expected two bundles of the same "
                "task, trained for the same labels")
    if names_a == names_b or (sorted(names_a) == sorted(names_b) and a.task != "segmentation"):
        return None
    if sorted(names_a) == sorted(names_b):  # mask values name the structures: another order, other masks
        return (f"segmentation bundles {a.name!r} and {b.name!r} hold the same structures in another order "
                f"({names_a} and {names_b}); expected the same order, as mask values name the structures")
    only_a = [n for n in names_a if n not in names_b]
    only_b = [n for n in names_b if n not in names_a]
    return (f"bundles {a.name!r} and {b.name!r} predict different labels (only {a.name!r}: {only_a}; only "
            f"{b.name!r}: {only_b}); expected the same labels ({a.task}), so they cannot be compared")


def order_note(a: Any, b: Any) -> str | None:
    """The one line saying that ``b``'s labels were put in ``a``'s order; ``None`` when already the same."""
    names_a, names_b = list(a.label_names), list(b.label_names)
    if names_a == names_b:
        return None
    flip = (f"; binary: the positive class {names_a[1]!r} of {a.name!r} is the negative one of {b.name!r}, whose "
            f"threshold t is read as 1 - t on {names_a[1]!r}") if a.task == "binary" else ""
    return (f"bundle {b.name!r} holds its labels in another order ({names_b}); its probabilities and decision rule "
            f"were put in the order of {a.name!r} ({names_a}) before the paired tests{flip}")


def _positions(names_from: Sequence[str], names_to: Sequence[str]) -> np.ndarray:
    """Index in ``names_from`` of each of ``names_to``: the columns that put ``names_from``'s order in ``names_to``'s."""
    where = {name: k for k, name in enumerate(names_from)}
    return np.array([where[name] for name in names_to], dtype=np.int64)


def in_label_order(preds: Any, probs_names: Sequence[str], labels_names: Sequence[str], names: Sequence[str],
                   task: str) -> Any:
    """``preds`` (``SplitPredictions``) in the label order ``names``: its probability, raw-probability and
    score columns (in ``probs_names`` order, the bundle's) and its labels (class indices, or multi-label
    columns, in ``labels_names`` order, its source's) reordered; the same label set in each order."""
    columns = _positions(probs_names, names)

    def take(values: Any) -> Any:
        return None if values is None else np.asarray(values)[:, columns]

    labels = np.asarray(preds.labels)
    if list(labels_names) != list(names):
        if task == "multilabel":
            labels = labels[:, _positions(labels_names, names)]
        else:  # class k of the source is class new[k] in ``names``
            labels = _positions(names, labels_names)[labels.astype(np.int64)]
    return replace(preds, labels=labels, probs=take(preds.probs), raw_probs=take(preds.raw_probs),
                   scores=take(preds.scores))


def thresholds_in_order(b: Any, names: Sequence[str]) -> Any:
    """Bundle ``b``'s decision rule (``Predictor.decision_thresholds``) for its probabilities put in the label
    order ``names``. Per-class and per-label thresholds are stored by name; multi-class weights are permuted;
    a binary threshold t on ``b``'s positive class, now column 0, is 1 - t on column 1 (the same decisions up to
    a probability exactly at the threshold, which ``>=`` gives to the other class)."""
    if list(b.label_names) == list(names):
        return b.decision_thresholds
    from meddx.evaluation.operating import thresholds_of

    point = dict(b.config.get("decision") or {})
    if point.get("class_weights"):
        point["class_weights"] = [point["class_weights"][k] for k in _positions(b.label_names, names)]
    threshold = thresholds_of(point, list(names))
    if b.task == "binary" and threshold is not None and np.ndim(threshold) == 0:
        return 1.0 - float(threshold)
    return threshold
