"""Is an input like the images the model was trained on? A Mahalanobis check of its features.

A classifier answers for any input: a CT slice given to a chest X-ray model gets "pneumonia
1.000". Its confidence cannot tell (max-softmax, Hendrycks & Gimpel 2017, stays high on a
confidently wrong domain, above all for binary models), but its penultimate features can: the
distance of an input's features to the nearest class mean under the classes' shared covariance
(Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples").

Fitted at training time: the class means and the shared (Ledoit-Wolf shrunk, scikit-learn)
covariance on the training split's features (of a seeded, class-stratified sample of about
``FEATURE_SAMPLE`` images when the split is larger: ``feature_sample``), the threshold at a high
quantile (99.5%) of the validation split's distances, so about 0.5% of in-distribution inputs are flagged. Never the
test split. Features wider than ``MAX_DIMS`` are first projected on their leading principal
components (scikit-learn PCA, fitted on the training features), which keeps the bundle small.

Beside it, an input-level check of the image's intensities (``bundle.typicality_inputs``:
contrast, brightness, clipping and, since ``bundle.typicality_layout``, layout against the training
images' quartiles) catches the flat, saturated and inverted images whose features can lie among
the training images'; an input is atypical when either check says so.

The fitted arrays and both thresholds live in the bundle's ``typicality.json`` (float32, base64;
no pickles), whose SHA-256 ``config.json`` records; the summary there (method, quantile,
threshold, counts) must agree with the file, so an edited threshold is refused, not used. The
arithmetic is hand-written (a matrix product per input) because scikit-learn's estimators cannot be stored
without pickling; the fitting itself is scikit-learn's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from meddx.bundle.typicality_inputs import APPENDED, InputCheck, fit_inputs, input_statistics

FILE = "typicality.json"
FORMAT = "meddx-typicality/1"
QUANTILE = 0.995
MAX_DIMS = 512
# Fewest validation images the threshold is set from: a quantile of 6 distances is their maximum,
# and a bundle trained with 6 flagged 6 of its own 20 test images (30%, not 0.5%); below this, no check.
MIN_VAL = 20
# At most about this many training images' features fit the feature check (``feature_sample``).
FEATURE_SAMPLE = 2000
MIN_PER_CLASS = 100
SAMPLE_SEED = 0
METHOD = ("Mahalanobis distance of the penultimate features to the nearest class mean, shared Ledoit-Wolf "
          "covariance fitted on train (Lee et al. 2018); threshold: a quantile of the validation distances")
NO_RECORD = ("bundle {name!r} has no typicality record (made before meddx checked inputs, or trained without "
             "one): inputs unlike its training images are not flagged")


@dataclass
class Typicality:
    """The fitted check: ``distance(features)`` and the threshold above which an input is atypical."""

    center: np.ndarray  # (D,) mean of the training features (PCA centre)
    components: np.ndarray | None  # (k, D) leading principal components, None: features used as they are
    class_means: np.ndarray  # (M, k) one row per class (one row for multi-label)
    whitener: np.ndarray  # (k, k) L with precision = L L^T, so d^2 = ||(z - mu) L||^2
    threshold: float
    quantile: float
    inputs: InputCheck | None = None  # the intensity check; None: a bundle made before it (features only)

    def project(self, features: np.ndarray) -> np.ndarray:
        """Features ``(N, D)`` in the space the Gaussian was fitted in ``(N, k)``."""
        z = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
        if self.components is None:
            return z
        return (z - self.center) @ self.components.T

    def distances(self, features: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of each row of ``features`` to its nearest class mean."""
        z = self.project(features)
        if len(z) == 0:
            return np.zeros(0)
        d2 = np.stack([(((z - mu) @ self.whitener) ** 2).sum(axis=1) for mu in self.class_means], axis=1)
        return np.sqrt(d2.min(axis=1))

    def judge(self, features: np.ndarray, stats: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Per input: ``typical`` and the record shown with it (distance, threshold, quantile, and
        the intensity check's ``intensity_score``, ``_threshold``, ``_quantile``, ``_statistic``
        when the bundle has it and ``stats`` are given): atypical when either check says so."""
        rows = [{"typical": bool(d <= self.threshold), "distance": round(float(d), 4),
                 "threshold": round(self.threshold, 4), "quantile": self.quantile}
                for d in self.distances(features)]
        if self.inputs is not None and stats is not None:  # flat keys: a client compares the record as one dict
            for row, record in zip(rows, self.inputs.judge(stats)):
                typical = record.pop("typical")
                row["typical"] = row["typical"] and typical
                row.update({f"intensity_{key}": value for key, value in record.items()})
        return rows

    def arrays_json(self) -> dict[str, Any]:
        """The ``typicality.json`` content: the fitted arrays as float32 base64."""
        return {"format": FORMAT, "center": _encode(self.center),
                "components": None if self.components is None else _encode(self.components),
                "class_means": _encode(self.class_means), "whitener": _encode(self.whitener),
                # the thresholds used at predict, here under the digest: config.json's copy is only a summary
                "threshold": float(self.threshold), "quantile": float(self.quantile),
                "inputs": None if self.inputs is None else self.inputs.to_json()}


def fit_typicality(train_features: np.ndarray, train_labels: np.ndarray, val_features: np.ndarray, task: str,
                   quantile: float = QUANTILE) -> tuple[Typicality, dict[str, Any]]:
    """Fit the check on the training features (class means, shared covariance) and set its
    threshold at ``quantile`` of the validation distances; returns it and its ``config.json``
    summary. ``train_labels``: class indices (binary, multi-class) or 0/1 rows (multi-label:
    one Gaussian for all, as the classes overlap)."""
    from sklearn.covariance import LedoitWolf
    from sklearn.decomposition import PCA

    x = np.asarray(train_features, dtype=np.float64).reshape(len(train_features), -1)
    width = x.shape[1]
    center, components = x.mean(axis=0), None
    if width > MAX_DIMS:
        pca = PCA(n_components=min(MAX_DIMS, len(x) - 1), random_state=0).fit(x)
        center, components = pca.mean_, pca.components_
        x = pca.transform(x)
    labels = np.asarray(train_labels)
    if task == "multilabel" or labels.ndim != 1:
        groups = [np.ones(len(x), dtype=bool)]
    else:
        groups = [labels == k for k in np.unique(labels)]
    means = np.stack([x[g].mean(axis=0) for g in groups])
    residuals = np.concatenate([x[g] - mu for g, mu in zip(groups, means)])
    precision = LedoitWolf(assume_centered=True).fit(residuals).precision_
    whitener = np.linalg.cholesky((precision + precision.T) / 2)
    check = Typicality(center, components, means, whitener, threshold=0.0, quantile=quantile)
    val = check.distances(val_features)
    check.threshold = float(np.quantile(val, quantile)) if len(val) else float("inf")
    summary = {
        "method": METHOD, "file": FILE, "fitted_on": "train", "threshold_on": "val", "quantile": quantile,
        "threshold": round(check.threshold, 6), "n_train": int(len(x)), "n_val": int(len(val)),
        "feature_dims": int(width), "dims": int(x.shape[1]),
        "val_distance": {"median": round(float(np.median(val)), 4), "max": round(float(val.max()), 4)} if len(val) else None,
    }
    return check, summary


def load_typicality(bundle: Path | None, config: dict[str, Any]) -> Typicality | None:
    """The bundle's check, or ``None`` when its ``config.json`` records none (older bundles).
    A recorded check whose file is missing or damaged is a ``BundleError`` naming it."""
    from meddx.core.errors import BundleError

    summary = config.get("typicality")
    if not isinstance(summary, dict) or bundle is None:
        return None
    where = Path(bundle) / FILE
    try:
        raw = where.read_bytes()
        digest = summary.get("sha256")  # None: a record written before the digest, not checked
        if digest is not None and hashlib.sha256(raw).hexdigest() != digest:
            raise ValueError("its SHA-256 is not the one config.json records: the file was damaged or replaced")
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        comps = data.get("components")
        threshold, quantile = _thresholds(data, summary)
        check = Typicality(_decode(data["center"]), None if comps is None else _decode(comps),
                           _decode(data["class_means"]), _decode(data["whitener"]),
                           threshold=threshold, quantile=quantile,
                           inputs=InputCheck.from_json(data["inputs"]) if data.get("inputs") else None)
        _same_inputs_summary(check.inputs, summary)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{where}: cannot read the typicality check that config.json field 'typicality' "
                          f"records ({exc}); restore the file, or remove the field to predict without the check") from None
    k = check.whitener.shape[0]
    comps = check.components
    if (check.class_means.ndim != 2 or check.class_means.shape[1] != k or check.whitener.shape != (k, k)
            or check.center.ndim != 1
            or (comps is not None and comps.shape != (k, len(check.center)))
            or (comps is None and len(check.center) != k)):
        raise BundleError(f"{where}: arrays of inconsistent shapes (center {check.center.shape}, components "
                          f"{None if comps is None else comps.shape}, class_means {check.class_means.shape}, "
                          f"whitener {check.whitener.shape})")
    return check


def _thresholds(data: dict[str, Any], summary: dict[str, Any]) -> tuple[float, float]:
    """The feature threshold and quantile used at predict. A file that records them (since the
    intensity check) is the authority, being digest-checked, and ``config.json``'s summary must
    agree with it: before, the threshold came from config.json alone, which no digest covers, so an
    edit to 1e9 silently turned the check off. Older files hold none: the summary's, refused when it
    is no finite number >= 0 or lies above the validation maximum it was the quantile of."""
    if "threshold" in data:
        threshold, quantile = float(data["threshold"]), float(data["quantile"])
        if not np.isclose(float(summary.get("threshold", np.nan)), threshold, rtol=1e-5, atol=1e-5) \
                or float(summary.get("quantile", np.nan)) != quantile:
            raise ValueError(f"config.json's threshold {summary.get('threshold')!r} (quantile "
                             f"{summary.get('quantile')!r}) differs from the file's {threshold:.6g} ({quantile}): "
                             "config.json was edited")
        return threshold, quantile
    threshold, quantile = float(summary["threshold"]), float(summary["quantile"])
    top = (summary.get("val_distance") or {}).get("max")
    if not (np.isfinite(threshold) and threshold >= 0 and 0 < quantile <= 1) \
            or (top is not None and threshold > float(top) + 1e-3):
        raise ValueError(f"config.json's threshold {threshold!r} (quantile {quantile!r}) is not a quantile of the "
                         f"validation distances it records (maximum {top!r}): config.json was edited")
    return threshold, quantile


def _same_inputs_summary(inputs: InputCheck | None, summary: dict[str, Any]) -> None:
    """``config.json``'s ``typicality.inputs`` must agree with the file's intensity check."""
    shown = summary.get("inputs")
    if inputs is None or not isinstance(shown, dict):
        return
    if not np.isclose(float(shown.get("threshold", np.nan)), inputs.threshold, rtol=1e-5, atol=1e-5):
        raise ValueError(f"config.json's inputs threshold {shown.get('threshold')!r} differs from the file's "
                         f"{inputs.threshold:.6g}: config.json was edited")


def check_head(check: Typicality, net: Any, num_classes: int, bundle: Path | None) -> None:
    """Refuse, at load, a recorded check the network cannot feed: no classifier head to read, or a
    head whose input is not the width the check was fitted on (``center``). Without this, the first
    case predicted silently unchecked and the second failed in a matrix product mid-predict."""
    from meddx.core.errors import BundleError

    head = head_layer(net, num_classes)
    width = len(check.center)
    if head is None or head.in_features != width:
        found = "no nn.Linear with that many outputs" if head is None else f"one reading {head.in_features}"
        raise BundleError(f"{Path(bundle or '.') / FILE}: the typicality check reads {width} features from the "
                          f"classifier head ({num_classes} outputs), but the network has {found}; "
                          "remove config.json field 'typicality' to predict without the check")


def card_limit(record: Any, config: dict[str, Any] | None = None) -> list[str]:
    """The model card's limitation line: for a recorded check (``config.json`` ``typicality``)
    what it flags, its expected false-alarm rate, what it misses (measured in docs/typicality.md);
    for a bundle that records none for a known reason (``--dp``, federated, ensemble), that
    reason, so the card does not stay silent about it."""
    if not isinstance(record, dict):
        from meddx.bundle.typicality_inputs import absent_reason

        reason = absent_reason(config or {})
        return [f"Inputs unlike the training images are not flagged: {reason}."] if reason else []
    n_val = int(record.get("n_val") or 0)
    rate = max(1 - float(record.get("quantile", QUANTILE)), 1 / (n_val + 1))  # a quantile of n: no finer than 1/(n+1)
    inputs = record.get("inputs")
    if not isinstance(inputs, dict):  # a bundle made before the intensity check
        return [f"Inputs unlike the training images are flagged by a feature-distance check (threshold from {n_val} "
                f"validation images: about {rate:.1%} of in-domain inputs flagged); it catches other image families, "
                "not subtle shifts (scanner, site, population), and passed 1 in 5 brain MRI given to a chest X-ray "
                "model and more than half of constant images (docs/typicality.md)."]
    rate += max(1 - float(inputs.get("quantile", 1.0)), 1 / (n_val + 1))  # at most the sum of the two checks'
    laid = "layout" in (inputs.get("statistics") or [])  # bundles fitted since the layout statistic
    return [f"Inputs unlike the training images are flagged by a feature-distance check and an intensity check "
            f"(contrast, brightness, clipping{', layout' if laid else ''}; thresholds from {n_val} validation images: "
            f"at most about {rate:.1%} of in-domain inputs flagged); they catch other image families and blank"
            f"{', saturated or inverted' if laid else ' or saturated'} images, not subtle "
            "shifts (scanner, site, population), and some brain MRI given to a chest X-ray model pass "
            "(docs/typicality.md)."]


def _encode(a: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "dtype": "<f4", "base64": base64.b64encode(a.tobytes()).decode("ascii")}


def _decode(d: dict[str, Any]) -> np.ndarray:
    shape = tuple(int(s) for s in d["shape"])
    a = np.frombuffer(base64.b64decode(d["base64"]), dtype="<f4")
    if a.size != int(np.prod(shape)):
        raise ValueError(f"{a.size} values for shape {shape}")
    return a.reshape(shape).astype(np.float64)


# ----------------------------------------------------------------------------- features


def head_layer(net: Any, num_classes: int) -> Any:
    """The classifier's last ``nn.Linear`` with ``num_classes`` outputs (ResNet ``fc``, DenseNet
    ``class_layers.out``, EfficientNet ``_fc``, the seed CNN's ``fc``): its input is the
    penultimate feature vector. ``None`` when the network has none."""
    from torch import nn

    heads = [m for m in net.modules() if isinstance(m, nn.Linear) and m.out_features == num_classes]
    return heads[-1] if heads else None


class FeatureTap:
    """A forward pre-hook on the head that keeps its input for the threads that asked for it.

    Per thread (the server predicts from several), and a callable object rather than a closure so
    that ``copy.deepcopy`` of a predictor (the server's explanation twin) copies it with the net."""

    def __init__(self) -> None:
        self.slots: dict[int, list[Any]] = {}

    def __call__(self, module: Any, inputs: tuple[Any, ...]) -> None:
        slot = self.slots.get(threading.get_ident())
        if slot is not None:
            slot.append(inputs[0].detach().flatten(1).double().cpu())

    def __deepcopy__(self, memo: dict[int, Any]) -> FeatureTap:
        """A fresh tap: the copy's net is a different network, so no pass under way in this one is
        its, and iterating ``slots`` while a predicting thread adds or removes its slot would raise
        (the server copies its predictor for explanations while others predict)."""
        return FeatureTap()

    def start(self) -> list[Any]:
        slot: list[Any] = []
        self.slots[threading.get_ident()] = slot
        return slot

    def stop(self) -> None:
        self.slots.pop(threading.get_ident(), None)


def feature_sample(labels: np.ndarray, task: str, limit: int | None = None) -> np.ndarray:
    """Sorted indices of the training images whose features fit the feature check: all of them up to
    ``limit`` (``FEATURE_SAMPLE``), else a seeded sample of about ``limit``, stratified by class
    (each class in proportion, and at least ``MIN_PER_CLASS`` of it or all it has; multi-label:
    uniform). The features cost a network pass per image, more than a short training run on a
    large split; the threshold comes from the validation split either way."""
    limit = FEATURE_SAMPLE if limit is None else limit
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(SAMPLE_SEED)
    if task == "multilabel" or labels.ndim != 1:
        return np.sort(rng.choice(n, limit, replace=False))
    picked = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        take = min(len(members), max(round(limit * len(members) / n), MIN_PER_CLASS))
        picked.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(picked))


def too_few_validation_images(n_val: int) -> str | None:
    """Why no check is fitted from ``n_val`` validation images (fewer than ``MIN_VAL``), worded to
    follow "checks no inputs:" and "not flagged:"; ``None`` when there are enough. Training records
    it in the plan's reasons (``typicality``), which the bundle keeps, so predict and the model card
    say this instead of "made before meddx checked inputs" (what bundles without it still say)."""
    if n_val >= MIN_VAL:
        return None
    return (f"its validation split had {n_val} image(s), fewer than the {MIN_VAL} the check's threshold is set from "
            "(a quantile of their distances), so none was fitted; train with more validation images to have it")


def fit_for_bundle(predictor: Any, train_inputs: Any, train_labels: Any, val_features: list[Any],
                   task: str) -> tuple[dict[str, Any], bytes] | None:
    """Training's hook: the training split's features through ``predictor`` (one unflipped inference
    pass, over ``feature_sample``'s images: all of a split up to ``FEATURE_SAMPLE``),
    the check fitted on them with its threshold on ``val_features`` (from the validation pass
    training made anyway), and the intensity check (``typicality_inputs``) on the statistics the
    predictor appends to each feature row; returns the ``config.json`` summary and the
    ``typicality.json`` bytes, or ``None`` when the network has no classifier head to read or the split is too small."""
    import torch

    width = APPENDED  # the predictor appends each input's intensity statistics and thumbnail to its features
    val = torch.cat(val_features).numpy() if val_features else np.zeros((0, width))
    if too_few_validation_images(len(val)):  # the quantile of a handful of distances is no threshold
        import logging

        logging.getLogger(__name__).warning("input-typicality check not fitted: %d validation images, fewer than %d "
                                            "to set its threshold from; the bundle has none", len(val), MIN_VAL)
        return None
    inputs, labels = np.asarray(train_inputs), np.asarray(train_labels)
    rows = feature_sample(labels, task)
    features: list[Any] = []
    tta, predictor.tta = predictor.tta, []  # only the unflipped pass's features are read: no flipped pass
    try:
        predictor.predict_tensor(torch.from_numpy(inputs[rows]), calibrated=False, features=features)
    finally:
        predictor.tta = tta
    if not features or len(rows) < 2:
        return None
    train = torch.cat(features).numpy()
    check, summary = fit_typicality(train[:, :-width], labels[rows], val[:, :-width], task)
    if len(rows) < len(inputs):
        summary["train_sample"] = {"n": int(len(rows)), "of": int(len(inputs)), "seed": SAMPLE_SEED,
                                   "stratified": task != "multilabel" and labels.ndim == 1}
    # the intensity check needs no network: its statistics of every training input (cheap), in
    # chunks of about 4M voxels (they are computed in float64)
    step = max(1, 4_000_000 // max(1, int(np.prod(inputs.shape[1:]))))
    stats = torch.cat([input_statistics(torch.from_numpy(inputs[i:i + step])) for i in range(0, len(inputs), step)])
    check.inputs, summary["inputs"] = fit_inputs(stats.numpy(), val[:, -width:])
    data = json.dumps(check.arrays_json()).encode("utf-8")
    # a flipped byte of the base64 arrays still decodes, as other numbers: the digest catches it
    summary["sha256"] = hashlib.sha256(data).hexdigest()
    return summary, data
