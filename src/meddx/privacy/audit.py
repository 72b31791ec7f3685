"""Membership-inference audit of a trained bundle: how well can an attacker tell training samples
from unseen ones by the model's loss?

Attack (Yeom et al., CSF 2018, "loss threshold"): score each sample by the negative per-sample
cross-entropy of the network's own (uncalibrated) probabilities; members (training samples) tend
to have lower loss. Members and non-members are balanced per label (:func:`balanced_indices`,
drawn with a seed) and the attack is summarised as its ROC AUC with a bootstrap CI, the TPR at low FPR (0.1% and 1%; Carlini
et al., S&P 2022, argue these matter more than AUC) and the membership advantage max(TPR - FPR).
For a DP bundle the ``(epsilon, delta)`` bound TPR <= e^epsilon * FPR + delta is printed beside.

No library in our stack runs this on a meddx bundle (ML Privacy Meter and TF Privacy's attacks
need their own model wrappers), and it is a few lines over ``predict_split``, hence this module.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError

SPLITS = ("train", "val", "test")
LOW_FPR = (0.001, 0.01)
MEMBERSHIP_FILE = "membership.json"


def per_sample_loss(labels: np.ndarray, probs: np.ndarray, task: str) -> np.ndarray:
    """Cross-entropy of each sample: -log p(true class); summed binary cross-entropy per label
    for multi-label."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1 - 1e-12)
    labels = np.asarray(labels)
    if task == "multilabel":
        return -(labels * np.log(probs) + (1 - labels) * np.log(1 - probs)).sum(axis=1)
    return -np.log(probs[np.arange(len(labels)), labels.astype(int)])


def attack_metrics(member_scores: np.ndarray, nonmember_scores: np.ndarray, *, n_resamples: int = 1000,
                   seed: int = 0, epsilon: float | None = None, delta: float | None = None) -> dict[str, Any]:
    """AUC (bootstrap CI, resampling within members and non-members), TPR at low FPR, advantage.

    Higher score = "member". ``tpr_at_fpr`` uses the largest TPR whose FPR does not exceed the
    target; with fewer than 1/FPR non-members that FPR cannot be resolved (noted, TPR at FPR 0).
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    from meddx.evaluation.bootstrap import bootstrap_ci

    scores = np.concatenate([member_scores, nonmember_scores]).astype(np.float64)
    truth = np.concatenate([np.ones(len(member_scores)), np.zeros(len(nonmember_scores))]).astype(int)
    if len(member_scores) < 2 or len(nonmember_scores) < 2:
        raise ConfigError(f"the audit needs at least 2 members and 2 non-members; got {len(member_scores)} and "
                          f"{len(nonmember_scores)}")

    def statistic(idx: np.ndarray) -> dict[str, float | None]:
        y = truth[idx]
        return {"auc": float(roc_auc_score(y, scores[idx])) if 0 < y.sum() < len(y) else None}

    auc = float(roc_auc_score(truth, scores))
    ci = bootstrap_ci(statistic, len(scores), strata=truth, n_resamples=n_resamples, seed=seed)["auc"] \
        if n_resamples else None
    fpr, tpr, _ = roc_curve(truth, scores)
    out: dict[str, Any] = {
        "auc": {"estimate": auc, "ci": None if ci is None else ci["bca"], "method": "bca bootstrap, 95%",
                "n_resamples": n_resamples},
        "tpr_at_fpr": {}, "advantage": float(np.max(tpr - fpr)), "notes": [],
    }
    n_non = len(nonmember_scores)
    for target in LOW_FPR:
        out["tpr_at_fpr"][str(target)] = float(tpr[fpr <= target + 1e-12].max())
        if n_non * target < 1:
            out["notes"].append(f"FPR {target:g} is below 1/{n_non} non-members: the TPR reported is at FPR 0")
    if epsilon is not None:
        d = float(delta or 0.0)
        out["dp_bound"] = {"tpr_at_fpr": {str(t): min(1.0, math.exp(epsilon) * t + d) for t in LOW_FPR},
                           "advantage": min(1.0, (math.exp(epsilon) - 1 + 2 * d) / (math.exp(epsilon) + 1)),
                           "note": "any attack on an (epsilon, delta)-DP model: TPR <= e^eps FPR + delta; "
                                   "advantage <= (e^eps - 1 + 2 delta) / (e^eps + 1)"}
    return out


def _resolve(value: str, default: Any, load: Any, flag: str = "--holdout") -> tuple[Any, list[str], str]:
    """``(source, splits, description)`` for a ``--train``/``--holdout`` value: a split name of the
    default source, ``SOURCE@SPLIT``, or a source (all its splits). A split the default source
    lacks (a table or series source without a test split) is refused naming ``flag`` and the
    splits it has, before any prediction; the source's own message suggested ``--split``, a flag
    of ``meddx evaluate`` that the audit does not have."""
    if value in SPLITS:
        if value not in default.splits:
            others = [s for s in default.splits if s != "train"]
            hint = f"use {flag} {others[0]}" if others else "give one"
            raise ConfigError(f"{flag} {value}: the bundle's training data {default.name!r} has no {value!r} split "
                              f"(it has {', '.join(default.splits)}); {hint}, {flag} SOURCE@SPLIT or a held-out "
                              f"source (and --data for another source)")
        return default, [value], f"{default.name} ({value})"
    spec, _, split = value.rpartition("@") if "@" in value else (value, "", "")
    source = load(spec)
    splits = [split] if split else [s for s in SPLITS if s in source.splits]
    missing = [s for s in splits if s not in source.splits]
    if missing:
        raise ConfigError(f"{spec}: no {missing[0]!r} split (it has {', '.join(source.splits)})")
    return source, splits, f"{spec}" + (f" ({split})" if split else " (all splits)")


def _scores(predictor: Any, source: Any, splits: list[str]) -> tuple[np.ndarray, list[str]]:
    """Negative loss of every sample of ``splits`` (higher = looks like a member), and its label
    as a string (the stratum used to balance members and non-members)."""
    from meddx.evaluation.as_trained import check_compatible
    from meddx.evaluation.evaluate import predict_split

    check_compatible(predictor, source)
    scores, strata = [], []
    for split in splits:
        preds = predict_split(predictor, source, split)
        probs = preds.raw_probs if preds.raw_probs is not None else preds.probs
        scores.append(-per_sample_loss(preds.labels, probs, predictor.task))
        strata += [str(np.asarray(label).tolist()) for label in preds.labels]
    return np.concatenate(scores), strata


def balanced_indices(members: list[str], nonmembers: list[str], n: int | None,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Equal numbers of members and non-members *per label*: the larger side is subsampled so
    both have the same label mix. Without this, a holdout with another prevalence (MedMNIST's test
    split) gives a loss gap, and an attack AUC above 0.5, that has nothing to do with memorisation.
    ``n`` caps the samples per side (label mix kept)."""
    m, h = np.asarray(members), np.asarray(nonmembers)
    labels = sorted(set(m) & set(h))
    counts = {c: min(int((m == c).sum()), int((h == c).sum())) for c in labels}
    total = sum(counts.values())
    if n is not None and n < total:
        counts = _share(counts, n, total)
    pick_m = [rng.choice(np.flatnonzero(m == c), k, replace=False) for c, k in counts.items()]
    pick_h = [rng.choice(np.flatnonzero(h == c), k, replace=False) for c, k in counts.items()]
    return np.concatenate(pick_m or [np.zeros(0, int)]), np.concatenate(pick_h or [np.zeros(0, int)])


def _share(counts: dict[str, int], n: int, total: int) -> dict[str, int]:
    """``n`` samples split over the labels in proportion to ``counts`` (largest remainders), so
    that ``--n 100`` draws exactly 100 per side; rounding every label down drew 99 (PneumoniaMNIST, --holdout val)."""
    exact = {c: k * n / total for c, k in counts.items()}
    out = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: out[c] - exact[c])[:n - sum(out.values())]:
        out[c] += 1
    return out


def membership_audit(bundle: str | Path, *, data: str | None = None, train: str = "train", holdout: str = "test",
                     n: int | None = None, seed: int = 0, n_resamples: int = 1000) -> dict[str, Any]:
    """Run the loss-threshold attack on a bundle (folder or registry NAME[:VERSION]).

    ``train``/``holdout``: a split of ``data`` (default: the bundle's training data, its
    validation carved as in training, so ``train`` is exactly the training samples),
    ``SOURCE@SPLIT``, or a whole source. ``n`` caps the samples per side (default: as many as the label-balanced draw allows).
    """
    from meddx.data.carve_groups import carving_options
    from meddx.data.sources import load_source
    from meddx.registry.store import resolve_bundle_path
    from meddx.training.privacy import load_private_bundle

    if train == holdout:
        raise ConfigError(f"--train and --holdout are both {train!r}: members and non-members must differ "
                          "(default: --train train --holdout test)")
    path = resolve_bundle_path(str(bundle))
    predictor = load_private_bundle(path)
    if getattr(predictor, "task", None) == "segmentation":
        raise ConfigError(f"bundle {predictor.name!r} is a segmentation model; the membership audit attacks "
                          "classifiers (per-sample loss of the label), not per-voxel masks")
    training = predictor.config.get("training", {})

    def load(spec: str) -> Any:
        return load_source(spec, **carving_options(training),
                           text_options=training.get("text_options"), options=training.get("source_options"))

    default = load(data or training.get("data") or "")
    members, member_splits, member_desc = _resolve(train, default, load, "--train")
    others, other_splits, other_desc = _resolve(holdout, default, load, "--holdout")
    if members is others and set(member_splits) & set(other_splits):
        raise ConfigError(f"--train and --holdout both use split {sorted(set(member_splits) & set(other_splits))[0]}")
    m_scores, m_labels = _scores(predictor, members, member_splits)
    h_scores, h_labels = _scores(predictor, others, other_splits)
    m_pick, h_pick = balanced_indices(m_labels, h_labels, n, np.random.default_rng(seed))
    privacy = predictor.config.get("privacy")
    result = attack_metrics(m_scores[m_pick], h_scores[h_pick], n_resamples=n_resamples, seed=seed,
                            epsilon=(privacy or {}).get("epsilon"), delta=(privacy or {}).get("delta"))
    out = {
        "attack": "loss threshold (Yeom et al. 2018)",
        "score": "negative per-sample cross-entropy of the network's uncalibrated probabilities",
        "bundle": str(path), "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "members": {"data": member_desc, "n_available": int(len(m_scores)),
                    "mean_loss": float(-m_scores[m_pick].mean())},
        "nonmembers": {"data": other_desc, "n_available": int(len(h_scores)),
                       "mean_loss": float(-h_scores[h_pick].mean())},
        "n_per_side": int(len(m_pick)), "seed": seed,
        "balanced": "equal members and non-members per label (the larger side subsampled)",
        "privacy": None if privacy is None else {k: privacy.get(k) for k in ("epsilon", "delta", "accountant")},
        **result,
    }
    if holdout == "test":
        out["notes"].append("non-members from the test split: if test differs from train (site, time, device), the "
                            "attack also measures that shift; compare with --holdout val")
    return out


def write_membership(result: dict[str, Any], out: str | Path | None = None) -> Path:
    """Write ``membership.json`` (atomically) to ``out`` or ``BUNDLE/privacy/``; returns its path."""
    from meddx.core.files import write_json_atomic

    folder = Path(out) if out is not None else Path(result["bundle"]) / "privacy"
    folder.mkdir(parents=True, exist_ok=True)
    return write_json_atomic(folder / MEMBERSHIP_FILE, result)
