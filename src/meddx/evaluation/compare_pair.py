"""The two halves of ``meddx compare`` around the statistics: reading, and choosing the tests.

Reading: each bundle reads the source as its own training read it (its reader options, its
validation fraction and seed), because a bundle scored on another bundle's reading of a file is
not the bundle ``evaluate`` scores, and the result would depend on the argument order. The two
readings are then aligned case by case by sample id; readings that hold different samples or
different labels are refused. A carved split (``val``, or ``train`` of the training file) must be
the same samples for both bundles: otherwise one bundle is scored on samples it trained on.

Tests: with patient ids and some patient holding more than one sample, DeLong and McNemar are
the clustered versions (``evaluation.compare_clustered``), otherwise the sample-level ones.
"""

from __future__ import annotations

import json
from dataclasses import replace
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
    trained, with ``b``'s reordered to ``a``'s cases; and the source name (for the output folder).

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


def paired_tests(y: np.ndarray, pa: Any, pb: Any, a: Any, b: Any, level: float) -> dict[str, Any]:
    """DeLong per class, McNemar, and ``paired_tests`` (the unit and method used) for ``comparison.json``."""
    from meddx.evaluation.compare import correctness, delong_per_class, mcnemar_test
    from meddx.evaluation.compare_clustered import is_clustered

    groups = patient_groups(pa)
    clustered = is_clustered(groups)
    correct_a = correctness(y, pa.probs, a.task, a.decision_thresholds)
    correct_b = correctness(y, pb.probs, a.task, b.decision_thresholds)
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
