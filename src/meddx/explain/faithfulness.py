"""How far an attribution can be believed, whatever method computed it and whatever the modality.

An attribution map says which parts of an input (pixels or voxels, tokens, variable x time cells)
a prediction rests on. A map can look plausible and still not describe the model, so these
checks test it against the model itself or against ground truth:

- ``deletion_insertion`` (Petsiuk, Das & Saenko 2018, "RISE", BMVC): remove the features the map
  calls most important first and watch the class probability fall (deletion: low AUC is good), or
  start from an uninformative baseline and put them back (insertion: high AUC is good). Both are
  reported next to the same curves for random orders, so a user sees whether the map beats chance.
- ``pointing_game`` (Zhang et al. 2018, "Top-down neural attention by excitation backprop", IJCV):
  does the map's maximum fall inside the annotated lesion (with a tolerance)?
- ``randomisation_check`` (Adebayo et al. 2018, "Sanity checks for saliency maps", NeurIPS):
  cascading model-parameter randomisation; a map that does not change when the top of the model
  is destroyed does not explain the model.
- ``summarise``: mean, sd and a percentile-bootstrap 95% CI of each AUC over a sample of inputs.

Shape convention: ``attribution.shape == x.shape[-attribution.ndim:]``. The attribution covers the
trailing axes of ``x``; leading axes (channels) are broadcast, so deleting a pixel of a (C,H,W)
image with a (H,W) map deletes it in every channel. A map with the full shape of ``x`` scores each
channel separately. Token ids (L,) take an (L,) map and an integer baseline such as the pad id.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from scipy import ndimage
from scipy.stats import spearmanr

from meddx.core.errors import ConfigError, DataError

Score = Callable[[np.ndarray], np.ndarray]

_AUC_KEYS = ("deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc")


# --- deletion / insertion ----------------------------------------------------------------


def _check_attribution(x: np.ndarray, attribution: np.ndarray) -> None:
    if attribution.ndim == 0 or attribution.ndim > x.ndim or x.shape[x.ndim - attribution.ndim:] != attribution.shape:
        raise DataError(
            f"attribution shape {attribution.shape} does not match the input shape {x.shape}: expected the "
            f"trailing axes of the input (e.g. {x.shape[1:] or x.shape} or {x.shape}); leading channel axes are "
            "broadcast"
        )
    if not np.all(np.isfinite(attribution)):
        raise DataError(f"attribution contains {int((~np.isfinite(attribution)).sum())} NaN or infinite values")


def _baseline_array(x: np.ndarray, baseline: np.ndarray | float) -> np.ndarray:
    base = np.asarray(baseline)
    if base.ndim and base.shape != x.shape:
        raise DataError(f"baseline must be a scalar or have the input's shape {x.shape}; got shape {base.shape}")
    if x.dtype.kind in "iub" and base.dtype.kind == "f" and not np.all(np.equal(np.mod(base, 1), 0)):
        raise DataError(f"the input has integer dtype {x.dtype} (token ids?) but the baseline is not integer-valued; "
                        "pass an integer baseline such as the pad id")
    return np.broadcast_to(base.astype(x.dtype, copy=False), x.shape)


def _curve(score: Score, x: np.ndarray, base: np.ndarray, rank: np.ndarray, counts: np.ndarray,
           insert: bool, batch_size: int) -> np.ndarray:
    """Scores of the inputs whose ``counts[i]`` top-ranked features are deleted (or inserted)."""
    lead = (1,) * (x.ndim - rank.ndim)
    out: list[np.ndarray] = []
    for start in range(0, len(counts), batch_size):
        ks = counts[start:start + batch_size]
        chosen = rank[None] < ks.reshape((-1,) + (1,) * rank.ndim)  # (B, *attr_shape)
        chosen = chosen.reshape((len(ks),) + lead + rank.shape)
        batch = np.where(chosen, x, base) if insert else np.where(chosen, base, x)
        raw = score(batch)
        if isinstance(raw, torch.Tensor):
            raw = raw.detach().cpu().numpy()
        scores = np.asarray(raw, dtype=float)
        if scores.shape != (len(ks),):
            raise DataError(f"score(batch) must return one probability per input, shape ({len(ks)},); "
                            f"got shape {scores.shape}")
        out.append(scores)
    return np.concatenate(out)


def _auc(fractions: np.ndarray, curve: np.ndarray) -> float:
    return float(np.trapezoid(curve, fractions))


def deletion_insertion(score: Score, x: np.ndarray, attribution: np.ndarray, *,
                       baseline: np.ndarray | float = 0.0, steps: int = 20, n_random: int = 3, seed: int = 0,
                       batch_size: int = 64) -> dict[str, Any]:
    """Deletion and insertion curves and AUCs of one attribution (Petsiuk et al. 2018, RISE).

    ``score(batch)`` takes a batch shaped ``(N, *x.shape)`` and returns ``(N,)`` probabilities of
    the explained class. Features are ranked by attribution, highest first (ties keep C order).
    At each of ``steps`` fractions equally spaced from 0 to 1, deletion replaces that fraction of
    the top-ranked features with ``baseline`` (a value, or an array shaped like ``x``: a blurred
    image, [PAD] ids, the training mean), and insertion starts from the baseline and puts that
    fraction back. Each AUC is the trapezoid rule over fractions 0..1 of a probability curve, so it
    lies in [0, 1]: a faithful map has a low deletion AUC and a high insertion AUC. The same curves
    for ``n_random`` seeded random orders give the chance reference (``random_*_auc``, their mean).
    Inputs of a curve are scored ``batch_size`` at a time, never one by one.
    """
    x = np.asarray(x)
    attribution = np.asarray(attribution, dtype=float)
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ConfigError(f"steps must be an integer >= 2 (the curve needs its 0% and 100% points); got {steps!r}")
    if n_random < 0 or batch_size < 1:
        raise ConfigError(f"n_random must be >= 0 and batch_size >= 1; got n_random={n_random}, "
                          f"batch_size={batch_size}")
    _check_attribution(x, attribution)
    base = _baseline_array(x, baseline)
    n = attribution.size
    fractions = np.linspace(0.0, 1.0, int(steps))
    counts = np.rint(fractions * n).astype(int)

    def rank_of(order: np.ndarray) -> np.ndarray:
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        return rank.reshape(attribution.shape)

    rank = rank_of(np.argsort(-attribution.reshape(-1), kind="stable"))
    deletion = _curve(score, x, base, rank, counts, False, batch_size)
    insertion = _curve(score, x, base, rank, counts, True, batch_size)
    rng = np.random.default_rng(seed)
    rand_del, rand_ins = [], []
    for _ in range(n_random):
        rrank = rank_of(rng.permutation(n))
        rand_del.append(_auc(fractions, _curve(score, x, base, rrank, counts, False, batch_size)))
        rand_ins.append(_auc(fractions, _curve(score, x, base, rrank, counts, True, batch_size)))
    return {
        "deletion_auc": _auc(fractions, deletion),
        "insertion_auc": _auc(fractions, insertion),
        "deletion_curve": deletion,
        "insertion_curve": insertion,
        "fractions": fractions,
        "random_deletion_auc": float(np.mean(rand_del)) if rand_del else float("nan"),
        "random_insertion_auc": float(np.mean(rand_ins)) if rand_ins else float("nan"),
    }


# --- pointing game -----------------------------------------------------------------------


def pointing_game(attribution: np.ndarray, mask: np.ndarray, tolerance: int = 0) -> bool:
    """Whether the attribution's maximum lies in the ground-truth mask (Zhang et al. 2018).

    The mask is grown by ``tolerance`` pixels/voxels (Euclidean distance, via
    ``scipy.ndimage.distance_transform_edt``; Zhang et al. used 15 px at 224 px) to forgive small
    misalignments. When several points tie for the maximum, all of them must be inside: a flat map
    points nowhere and must not score a hit by the accident of array order.
    """
    attribution = np.asarray(attribution, dtype=float)
    mask = np.asarray(mask)
    if attribution.shape != mask.shape:
        raise DataError(f"attribution shape {attribution.shape} and mask shape {mask.shape} must be equal")
    if tolerance < 0:
        raise ConfigError(f"tolerance must be >= 0 pixels/voxels; got {tolerance}")
    if not np.all(np.isfinite(attribution)):
        raise DataError("attribution contains NaN or infinite values")
    mask = mask.astype(bool)
    if not mask.any():
        raise DataError("the ground-truth mask is empty: the pointing game needs at least one positive pixel/voxel")
    if tolerance > 0:
        mask = ndimage.distance_transform_edt(~mask) <= tolerance
    peaks = attribution == attribution.max()
    return bool(mask[peaks].all())


# --- model-parameter randomisation -------------------------------------------------------


def _parameterised_layers(net: torch.nn.Module) -> list[str]:
    """Names of modules that own parameters directly, in registration order (input -> output)."""
    return [name for name, module in net.named_modules()
            if name and any(True for _ in module.parameters(recurse=False))]


def top_layers(net: torch.nn.Module, k: int = 2) -> int | list[str]:
    """What the randomisation check re-initialises: the top ``k`` parameterised layers or, for an
    ensemble (``members``, as in :class:`meddx.models.ensemble.SoftmaxMean`), the top ``k`` of every
    member, so that no member keeps its trained output layers while the check calls the model destroyed."""
    members = getattr(net, "members", None)
    if members is None:
        return min(k, len(_parameterised_layers(net)))
    names: list[str] = []
    for i, member in enumerate(members):
        own = _parameterised_layers(member)
        names += [f"members.{i}.{name}" for name in reversed(own[len(own) - min(k, len(own)):])]
    return names


def _reinitialise(module: torch.nn.Module) -> None:
    if hasattr(module, "reset_parameters"):
        module.reset_parameters()
        return
    with torch.no_grad():
        for p in module.parameters(recurse=False):
            p.normal_(0.0, 0.02 if p.ndim > 1 else 0.0)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    a = np.abs(np.asarray(a, dtype=float)).reshape(-1)
    b = np.abs(np.asarray(b, dtype=float)).reshape(-1)
    if a.shape != b.shape:
        raise DataError(f"explain() returned maps of different shapes before and after randomisation: "
                        f"{a.shape} vs {b.shape}")
    if np.array_equal(a, b):
        return 1.0  # includes two identical constant maps, for which the rank correlation is undefined
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0  # one map became (or was) flat: no rank relation left between them
    return float(spearmanr(a, b).statistic)


def randomisation_check(explain: Callable[[torch.nn.Module], np.ndarray], net: torch.nn.Module, *,
                        layers: int | Sequence[str] = 2, seed: int = 0, threshold: float = 0.5) -> dict[str, Any]:
    """Cascading model-parameter randomisation (Adebayo et al. 2018, "Sanity checks for saliency maps").

    Re-initialises, one after another from the output down, the top ``layers`` parameterised
    modules (those owning parameters, in registration order, which for sequential nets is
    input -> output; pass a list of module names to choose them explicitly) of a deep copy of
    ``net`` -- the original is never touched -- and recomputes ``explain(copy)`` after each. The
    Spearman rank correlation of the flattened absolute maps, original vs fully randomised, is
    ``spearman``; the check ``passed`` when its absolute value is below ``threshold``. A method that
    returns the same map for a destroyed model (an edge detector, a constant) explains the input,
    not the model; so does one whose map is the original's ranks reversed (rho near -1), which is
    why the absolute value is compared, as in Adebayo et al.'s absolute rank correlation.
    ``cascade`` lists the correlation after each layer. Identical maps count as 1, a map that turns
    flat as 0.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"threshold must be in (0, 1]; got {threshold}")
    available = _parameterised_layers(net)
    if isinstance(layers, (int, np.integer)):
        if not 1 <= layers <= len(available):
            raise ConfigError(f"layers must be between 1 and {len(available)} (the parameterised layers of the "
                              f"model: {available}); got {layers}")
        chosen = list(reversed(available[len(available) - int(layers):]))
    else:
        chosen = list(layers)
        unknown = [name for name in chosen if name not in available]
        if unknown or not chosen:
            raise ConfigError(f"unknown or no layer names {unknown}; parameterised layers are {available}")
    original = np.asarray(explain(net))
    randomised = copy.deepcopy(net)
    modules = dict(randomised.named_modules())
    cascade = []
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        for name in chosen:
            _reinitialise(modules[name])
            cascade.append({"layer": name, "spearman": _spearman(original, np.asarray(explain(randomised)))})
    rho = cascade[-1]["spearman"]
    return {"spearman": rho, "passed": bool(abs(rho) < threshold), "layers_randomised": chosen,
            "threshold": float(threshold), "cascade": cascade}


# --- summary over a sample of inputs -----------------------------------------------------


def summarise(results: list[dict[str, Any]], *, n_boot: int = 2000, seed: int = 0,
              level: float = 0.95) -> dict[str, dict[str, float]]:
    """Mean, sd and percentile-bootstrap CI of each AUC over per-input ``deletion_insertion`` results.

    Inputs are resampled with replacement (``n_boot`` times, seeded). The unit is the input: when
    several inputs come from one patient the interval is too narrow; use
    ``meddx.evaluation.bootstrap`` with patient groups then. Also summarises the per-input gaps to
    chance, ``deletion_gain`` (random minus attribution deletion AUC) and ``insertion_gain``, both
    positive when the attribution beats random orders.
    """
    if not results:
        raise DataError("summarise() needs at least one deletion_insertion result; got an empty list")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"level must be in (0, 1); got {level}")
    missing = [k for k in _AUC_KEYS if k not in results[0]]
    if missing:
        raise DataError(f"results must be dicts returned by deletion_insertion(); missing keys {missing}")
    values = {k: np.array([float(r[k]) for r in results]) for k in _AUC_KEYS}
    values["deletion_gain"] = values["random_deletion_auc"] - values["deletion_auc"]
    values["insertion_gain"] = values["insertion_auc"] - values["random_insertion_auc"]
    rng = np.random.default_rng(seed)
    n = len(results)
    draws = rng.integers(0, n, size=(n_boot, n))
    alpha = (1.0 - level) / 2.0
    out: dict[str, dict[str, float]] = {}
    for key, v in values.items():
        boot = v[draws].mean(axis=1)
        out[key] = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if n > 1 else float("nan"),
                    "ci_low": float(np.quantile(boot, alpha)), "ci_high": float(np.quantile(boot, 1 - alpha)),
                    "n": n}
    return out
