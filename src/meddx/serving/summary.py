"""What the API and the web page show about a bundle: its headline, operating point and card.

Pure functions over a bundle's ``config.json`` and ``metrics.json``; no file paths of the
server and no training data leave through them.
"""

from __future__ import annotations

from typing import Any


def _round(value: Any, digits: int = 4) -> Any:
    return round(float(value), digits) if isinstance(value, (int, float)) and value is not None else None


def modality(config: dict[str, Any]) -> str:
    """``image``, ``text``, ``series`` or ``tabular`` (what a prediction request must carry)."""
    kind = config.get("modality")
    return str(kind) if kind in ("text", "series", "tabular") else "image"


def positive_label(config: dict[str, Any]) -> str | None:
    names = list(config.get("label_names", []))
    return names[1] if config.get("task") == "binary" and len(names) == 2 else None


def operating_point(config: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The decision rule and threshold, and sensitivity/specificity at it on validation and test.

    Binary: of the positive class. Multi-class and multi-label: per class (one-vs-rest at the
    bundle's own rule), as the evaluation measured them.
    """
    decision = config.get("decision") or {}
    out: dict[str, Any] = {"rule": decision.get("rule"), "threshold": _round(decision.get("threshold"), 6),
                           "chosen_on": decision.get("chosen_on")}
    if decision.get("class_weights"):  # class-weighted multi-class: argmax p_k·w_k, not plain argmax
        from meddx.evaluation.decision import weighted_words

        out["class_weights"] = [_round(w, 6) for w in decision["class_weights"]]
        out["rule_words"] = weighted_words(decision)[2:]
    if decision.get("class_thresholds"):
        out["class_thresholds"] = {k: _round(v, 6) for k, v in decision["class_thresholds"].items()}
    positive = positive_label(config)
    out["positive_label"] = positive
    for split in ("val", "test"):
        per_class = (metrics.get(split) or {}).get("per_class") or {}
        if not per_class:
            continue
        if positive is not None and positive in per_class:
            pc = per_class[positive]
            out[split] = {"n": (metrics.get(split) or {}).get("n"), "sensitivity": _round(pc.get("sensitivity")),
                          "specificity": _round(pc.get("specificity")), "ppv": _round(pc.get("ppv")),
                          "npv": _round(pc.get("npv"))}
        else:
            out[split] = {"n": (metrics.get(split) or {}).get("n"),
                          "per_class": {k: {"sensitivity": _round(v.get("sensitivity")),
                                            "specificity": _round(v.get("specificity"))} for k, v in per_class.items()}}
    return out


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """AUC and accuracy per split with the 95% bootstrap interval when measured."""
    out: dict[str, Any] = {}
    for split in ("val", "test"):
        m = metrics.get(split) or {}
        for key in ("auc", "accuracy", "balanced_accuracy", "macro_f1"):
            if m.get(key) is None:
                continue
            ci = ((m.get("ci") or {}).get(key) or {})
            interval = ci.get("bca") or ci.get("percentile")
            out[f"{split}_{key}"] = {"value": _round(m[key]),
                                     "ci95": [_round(v) for v in interval] if interval else None}
    return out


def input_spec(config: dict[str, Any]) -> dict[str, Any]:
    """What to send: an image (size, channels, 2D/3D), a note, a series record or a table row
    (with the feature columns the row must hold)."""
    kind = modality(config)
    pre = config.get("preprocessing") or {}
    if kind == "image":
        size = list(pre.get("spatial_size") or [])
        return {"kind": "image", "spatial_dims": len(size), "spatial_size": size, "channels": pre.get("channels"),
                "formats": ["png", "jpeg", "dicom", "nifti", *(["dicom-zip"] if len(size) == 3 else [])],
                "field": "file (multipart/form-data)"}
    if kind == "text":
        return {"kind": "text", "max_length": pre.get("max_length"), "body": '{"text": "..."} (application/json)'}
    if kind == "tabular":
        features = config.get("features") or {}
        return {"kind": "tabular", "body": '{"row": {"column": value, ...}} (application/json)',
                "numeric": list(features.get("numeric", [])), "categorical": list(features.get("categorical", []))}
    return {"kind": "series", "body": '{"record": {...}} (application/json)'}


def model_summary(name: str, version: int, stage: str, config: dict[str, Any], metrics: dict[str, Any],
                  explain_methods: list[str]) -> dict[str, Any]:
    """The entry of ``GET /v1/models``."""
    return {
        "name": name, "version": version, "stage": stage, "task": config.get("task"), "modality": modality(config),
        "labels": list(config.get("label_names", [])), "model": (config.get("model") or {}).get("name"),
        "metrics": headline(metrics), "operating_point": operating_point(config, metrics),
        "calibration": _calibration(config, metrics),
        "input": input_spec(config), "explain_methods": explain_methods,
    }


PER_LABEL_DEPRECATED = ("per_label is deprecated: the same temperatures as temperature_by_label, which replaces "
                        "it (in metrics.json, calibration.per_label holds measurements per label: see by_label)")


def _calibration(config: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The temperature (one number, or a multi-label bundle's one per label, with ``temperature_by_label``
    naming each: ``{"a": 1.31, "b": 0.88}``) and where it was fitted; ``not_fitted``: the labels left at
    T = 1; ``by_label``: each label's measured calibration (``_by_label``), absent when the bundle has none.

    ``per_label`` repeats ``temperature_by_label`` for clients written before it, and is deprecated
    (``deprecated`` says so): in ``metrics.json`` the same name means measurements per label (ECE...),
    which is what a reader of both documents would take it for."""
    calibration, label_names = config.get("calibration") or {}, config.get("label_names") or []
    t = calibration.get("temperature")
    out: dict[str, Any] = {"temperature": [_round(v) for v in t] if isinstance(t, list) else _round(t),
                           "fitted_on": calibration.get("fitted_on")}
    if isinstance(t, list) and len(t) == len(label_names):
        out["temperature_by_label"] = {str(n): _round(v) for n, v in zip(label_names, t)}
        out["per_label"] = dict(out["temperature_by_label"])
        out["deprecated"] = {"per_label": PER_LABEL_DEPRECATED}
    if calibration.get("not_fitted"):
        out["not_fitted"] = list(calibration["not_fitted"])
    by_label = _by_label(config, metrics)
    if by_label is not None:
        out["by_label"] = by_label
    return out


def _by_label(config: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any] | None:
    """A multi-label bundle's calibration per label from its ``metrics.json`` (``calibration.per_label`` of
    the test split, else val: the model card's table): ``{"split", "labels": {name: {"n", "n_positive",
    "prevalence", "ece_before", "ece_after", "in_the_large_after", "mean_predicted_after"}}}``, the
    ``*_after`` numbers ``None`` without a temperature; ``None`` for other bundles and those without it."""
    from meddx.bundle.card_label_calibration import label_calibration

    found = label_calibration(config, metrics)
    if found is None:
        return None
    keep = ("prevalence", "ece_before", "ece_after", "in_the_large_after", "mean_predicted_after")
    return {"split": found["split"],
            "labels": {name: {"n": row["n"], "n_positive": row["n_positive"], **{k: _round(row[k]) for k in keep}}
                       for name, row in found["labels"].items()}}


def card_summary(config: dict[str, Any], metrics: dict[str, Any], card_markdown: str) -> dict[str, Any]:
    """The model card essentials for a clinician, plus the full card (Markdown)."""
    card = config.get("card") or {}
    dataset = metrics.get("dataset") or {}
    splits = (dataset.get("splits") or {}) if isinstance(dataset, dict) else {}
    warnings = []
    for split in ("val", "test"):
        warnings += [f"{split}: {w}" for w in (metrics.get(split) or {}).get("warnings") or []]
    return {
        "intended_use": card.get("intended_use") or "not stated by the developer (research use only)",
        "outcome": card.get("outcome") or "not stated by the developer",
        "splits": {k: {"n": v.get("n"), "classes": v.get("classes")} for k, v in splits.items() if isinstance(v, dict)},
        "duplicates_checked": bool((dataset.get("duplicates") or {}).get("checked")) if isinstance(dataset, dict) else False,
        "warnings": warnings[:20],
        "note": metrics.get("note"),
        "model_card_markdown": card_markdown[:200_000],
    }
