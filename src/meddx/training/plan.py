"""Self-configuration: decisions taken from the data, written to ``plan.json`` (nnU-Net style).

Each choice records why it was made. A user edits the JSON and passes it back with
``--plan`` (or sets the matching config field) to override any of them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from meddx.core.errors import ConfigError
from meddx.data.base import ImageSource
from meddx.models.registry import DEFAULT_3D_ARGS, DEFAULT_3D_MODEL, RESNET_NARROW_WIDTH
from meddx.training.class_weights import _class_weights  # noqa: F401 (re-exported: text, table, series plans)
from meddx.training.config import TrainConfig
from meddx.training.plan_file import apply_overrides, check_no_conflicts, read_plan, where  # noqa: F401 (re-exported)

MAX_SIDE_2D = 128  # larger 2D images are resized to this: CPU training cost grows with pixels
MAX_SIDE_3D = 64
# At or below this side (28 px MedMNIST), bilinear resampling by the `light` affine blurs what
# little detail there is, and a validation AUC near 1 stops a schedule early on noise: whole-pixel
# shifts with the schedule run to its end won test AUC in every such pair of 8 or more epochs
# measured, lost at 96 px, and lost on validation in 2-3-epoch runs (benchmarks/RESULTS.md,
# "Size-dependent defaults").
SMALL_SIDE = 32
SMALL_MIN_EPOCHS = 8
# reasons.model of a run that names the 3D default's model without its arguments (models.registry.DEFAULT_3D_ARGS)
_NAMED_3D_DEFAULT = (f"; {DEFAULT_3D_MODEL} with its own defaults (stem auto: small up to 64 px; width 64: the "
                     "MedMNIST3D baseline, 4x the parameters and tens of times the CPU time per sample), not the 3D "
                     f"default's stem {DEFAULT_3D_ARGS['stem']} and width {DEFAULT_3D_ARGS['width']}: set model_args "
                     f"{{stem: {DEFAULT_3D_ARGS['stem']}, width: {DEFAULT_3D_ARGS['width']}}} (YAML config or plan.json) "
                     "for the default's network")
# One loss weight per class (per label): a negative one trains away from a class, NaN/inf poison the loss.
# Shared by every plan schema (image, table, series) so a hand-edited plan is checked alike.
ClassWeights = list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None


class Plan(BaseModel):
    """The resolved automatic choices of one run."""

    model_config = ConfigDict(extra="forbid")

    model: str
    model_args: dict[str, Any]
    image_size: list[Annotated[int, Field(ge=1)]]  # a hand-edited plan: [0, 0] must not reach the resize
    channels: Annotated[int, Field(ge=1)]
    batch_size: Annotated[int, Field(ge=1)]
    epochs: Annotated[int, Field(ge=1)]
    class_weights: ClassWeights
    early_stopping_patience: int
    # "best": the epoch with the best val AUC; "final": the last epoch when the schedule ran to its end
    checkpoint: Literal["best", "final"] = "best"
    augment: Literal["none", "light", "strong", "shift"] = "light"  # train-time preset (plans before it: light)
    normalization: dict[str, Any] | None = None
    dp_statistics: dict[str, Any] | None = None  # --dp: the private release of normalization (privacy/statistics.py)
    seconds_per_sample: float | None = None
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        """Write the plan as indented JSON (atomically)."""
        from meddx.core.files import write_json_atomic

        write_json_atomic(path, self.model_dump())


def native_geometry(source: ImageSource, sample: int = 32, *, split: str = "train") -> tuple[list[int], int, str]:
    """Median spatial size and channel count of the images of ``split`` (the training images by default;
    a federation's coordinator may hold held-out splits only), with a description. Array sources
    answer from the array's shape; file sources from at most ``sample`` files."""
    part = source.split(split)
    if part.images is not None:
        return list(part.images.shape[2:]), int(part.images.shape[1]), "array shape"
    rng = np.random.default_rng(0)
    picks = rng.choice(len(part), size=min(sample, len(part)), replace=False)
    shapes, grey_as_rgb, channels = [], True, 1
    for i in picks:
        img = source.get_image(split, int(i))
        shapes.append(img.shape[1:])
        channels = max(channels, img.shape[0])
        if img.shape[0] >= 3 and not (np.array_equal(img[0], img[1]) and np.array_equal(img[0], img[2])):
            grey_as_rgb = False
    size = [int(v) for v in np.median(np.array(shapes), axis=0)]
    if channels >= 3 and grey_as_rgb:
        return size, 1, f"median of {len(picks)} files; RGB files hold grey content (equal channels), using 1 channel"
    return size, min(channels, 3), f"median of {len(picks)} files"


def make_plan(config: TrainConfig, source: ImageSource, overrides: dict[str, Any] | None = None) -> Plan:
    """Decide model, size, channels, batch size, class weights and (provisional) epochs."""
    reasons: dict[str, str] = {}
    native, channels, how = native_geometry(source)
    dims = source.spatial_dims
    if config.image_size is not None:
        size = [config.image_size] * dims if isinstance(config.image_size, int) else list(config.image_size)
        check_image_size(size, dims, "image_size (config)")
        reasons["image_size"] = "set in config"
    else:
        cap = MAX_SIDE_2D if dims == 2 else MAX_SIDE_3D
        side = min(cap, int(max(native)))
        size = [side] * dims if len(set(native)) > 1 or max(native) > cap else native
        shape = "square" if dims == 2 else "cubic"
        made = f"; resized to a {shape} {size} (aspect ratio not kept)" if list(size) != list(native) else ""
        reasons["image_size"] = f"native size {native} ({how}), capped at {cap} per axis{made}"
    if config.channels is not None:
        check_channels(config.channels, channels, how)
        channels, reasons["channels"] = config.channels, "set in config"
    else:
        reasons["channels"] = f"from the data ({how})"
    model = config.model or ("resnet18" if dims == 2 else DEFAULT_3D_MODEL)
    reasons["model"] = "set in config" if config.model else f"default for {dims}D classification"
    default_args: dict[str, Any] = {}
    if dims == 3 and not config.model:
        # On CPU the paper's small-stem 3D ResNet-18 costs ~0.4 s per 28^3 training sample; a
        # strided 3x3 stem and 32 first-stage channels cost ~7 ms (bf16), so tens of epochs fit.
        default_args = dict(DEFAULT_3D_ARGS)
        reasons["model"] += f"; strided stem and width {RESNET_NARROW_WIDTH} so 3D training fits a CPU budget"
    elif dims == 3 and model == DEFAULT_3D_MODEL and not set(DEFAULT_3D_ARGS) & set(config.model_args):
        reasons["model"] += _NAMED_3D_DEFAULT  # the same name as the default, another network: say so
    batch = config.batch_size or default_batch_size(size)
    reasons["batch_size"] = "set in config" if config.batch_size else f"default for {int(np.prod(size))} pixels per sample"
    weights, reasons["class_weights"] = _class_weights(config, source)
    epochs = config.epochs or 20
    reasons["epochs"] = "set in config" if config.epochs else "default (no time budget given)"
    checkpoint, augment = config.checkpoint or "best", config.augment or "light"  # unless chosen: size_defaults
    for field in ("checkpoint", "augment"):
        if getattr(config, field):
            reasons[field] = "set in config"
    patience, reasons["early_stopping_patience"] = default_patience(config.early_stopping_patience, checkpoint, epochs)
    plan = Plan(
        model=model,
        model_args={"in_channels": channels, "spatial_dims": dims, "image_size": model_image_size(size), **default_args,
                    **config.model_args},
        image_size=size,
        channels=channels,
        batch_size=batch,
        epochs=epochs,
        class_weights=weights,
        early_stopping_patience=patience,
        checkpoint=checkpoint,
        augment=augment,
        reasons=reasons,
    )
    plan = apply_overrides(plan, overrides or {})  # validated first: a bad value is named as such
    check_no_conflicts(config, overrides or {}, dims)
    plan = size_defaults(_sync_model_args(plan, overrides or {}, channels, how))
    if "image_size" in (overrides or {}):
        check_image_size(plan.image_size, dims, f"image_size ({where(overrides)})")
    _check_model(plan, source, overrides or {})
    return plan


def model_image_size(size: list[int]) -> int | list[int]:
    """The ``image_size`` argument of the network for the planned input ``size``: one int for a
    square (cubic) input, else every side (seed-cnn sizes its dense layer from all of them)."""
    return int(size[0]) if len(set(size)) == 1 else [int(s) for s in size]


def check_image_size(size: list[int], dims: int, where: str) -> None:
    """Refuse an input size with a side count other than the source's spatial dimensions (a 2D
    source resized to ``[32]`` or ``[32, 32, 32]`` would fail deep inside preprocessing or the network)."""
    if len(size) != dims:
        raise ConfigError(f"{where} {list(size)}: the source holds {dims}D images; expected one side length or "
                          f"{dims} values")


def _sync_model_args(plan: Plan, overrides: dict[str, Any], native_channels: int, how: str) -> Plan:
    """A plan file that changes ``image_size`` or ``channels`` changes the network built for them
    (seed-cnn's dense layer, a ResNet's stem, the first convolution), as the same flag does; a
    channel count the images cannot become is refused.

    A plan file that also gives ``model_args`` (every copy of a written plan.json does) keeps its
    other arguments as written, but its ``image_size`` and ``in_channels``, where present, follow
    the plan's ``image_size`` and ``channels``: a network built for another input cannot train on
    this one (an edited size with the copied ``model_args`` crashed seed-cnn mid-training)."""
    if "channels" in overrides:
        check_channels(plan.channels, native_channels, how)
    args = dict(plan.model_args)
    given = "model_args" in overrides
    if "image_size" in overrides and (not given or "image_size" in args):
        args["image_size"] = model_image_size(plan.image_size)
    if "channels" in overrides and (not given or "in_channels" in args):
        args["in_channels"] = plan.channels
    return plan if args == plan.model_args else plan.model_copy(update={"model_args": args})


def check_classes_present(source: ImageSource) -> None:
    """Refuse, before anything is written, a single-label source whose training split cannot teach
    every class: one class only (it would report perfect accuracy and an undefined AUC), or a
    class that occurs only in val/test (the network would never predict it, and the baseline and
    calibration fitted on train have no column for it)."""
    from meddx.core.errors import DataError

    labels = np.asarray(source.split("train").labels)
    if source.task == "multilabel" or labels.ndim != 1:
        _check_labels_vary(source, labels)
        return
    if len(np.unique(labels)) < 2:
        only = source.label_names[int(labels[0])] if len(labels) else "none"
        raise DataError(f"{source.origin}: the training split holds one class only ({only!r}, {len(labels)} samples); "
                        "expected examples of at least two classes")
    missing = [i for i in range(len(source.label_names)) if not np.any(labels == i)]
    if missing:
        where = {name: int(np.sum(np.asarray(data.labels) == missing[0])) for name, data in source.splits.items()
                 if name != "train"}
        found = ", ".join(f"{n} {split}" for split, n in where.items() if n)
        raise DataError(f"{source.origin}: class {source.label_names[missing[0]]!r} has no training sample "
                        f"({found or 'only outside train'}; {len(missing)} such class(es)); expected every class "
                        "in the training split: move some of its samples to train, or drop the class")


def _check_labels_vary(source: ImageSource, labels: np.ndarray) -> None:
    """Refuse a multi-label training split in which a label is never positive (or always): the
    network cannot learn it, and the run reported a validation AUC of .12 for such a label
    without a word (its ``pos_weight`` was the whole split)."""
    from meddx.core.errors import DataError

    if labels.ndim != 2 or not len(labels):
        return
    positives = labels.sum(axis=0)
    for k, n in enumerate(positives):
        if 0 < n < len(labels):
            continue
        name = source.label_names[k] if k < len(source.label_names) else str(k)
        elsewhere = {split: int(np.asarray(data.labels)[:, k].sum()) for split, data in source.splits.items()
                     if split != "train" and np.asarray(data.labels).ndim == 2}
        found = ", ".join(f"{n_pos} positive in {split}" for split, n_pos in elsewhere.items())
        what = "never" if n == 0 else "always"
        raise DataError(f"{source.origin}: label {name!r} is {what} positive in the training split ({len(labels)} "
                        f"samples{'; ' + found if found else ''}); expected positive and negative training examples "
                        "of every label: move some samples to train, or drop the label")


def check_channels(wanted: int, native: int, how: str) -> None:
    """Refuse a channel count the images cannot meaningfully become: grey (1), RGB (3) or their
    own count are accepted (grey repeated into 2 channels is no input a network can use)."""
    from meddx.transforms.image import channels_convertible

    accepted = {native: f"{native} (their own)", 1: "1 (grey)"}
    if channels_convertible(native, 3):
        accepted.setdefault(3, "3 (RGB)")
    if wanted not in accepted:
        raise ConfigError(f"channels={wanted}: the training images have {native} channel(s) ({how}); expected "
                          + " or ".join(accepted[c] for c in sorted(accepted)))


def default_patience(configured: int | None, checkpoint: str, epochs: int) -> tuple[int, str]:
    """Early-stopping patience and why: the configured one, else off (= epochs) when the final
    epoch is kept (stopping early would forfeit the schedule's low-rate end), else a third of
    the epochs and at least 4."""
    if configured:
        return configured, "set in config"
    if checkpoint == "final":
        return epochs, "off (= epochs): the final epoch is kept, so the schedule runs to its end"
    return max(4, epochs // 3), "epochs // 3, at least 4"


def patience_is_chosen(plan: Any) -> bool:
    """Whether the plan's patience was set by the user (config or plan file), as its reason
    records, rather than derived from the epochs (any plan schema)."""
    return is_chosen(plan, "early_stopping_patience")


def is_chosen(plan: Any, field: str) -> bool:
    """Whether ``field`` was set by the user (config or plan file), as the plan's reason for it
    records, rather than decided by the planner (any plan schema, or a plan's dict)."""
    reasons = plan.get("reasons") if isinstance(plan, dict) else getattr(plan, "reasons", None)
    why = str((reasons or {}).get(field, ""))
    return why.startswith(("set in config", "overridden"))


def size_defaults(plan: Plan) -> Plan:
    """Augmentation and kept epoch for the planned input size and epochs, where the user chose
    neither: whole-pixel shifts and the final epoch at ``SMALL_SIDE`` or less with at least
    ``SMALL_MIN_EPOCHS`` epochs, else ``light`` and the best val epoch. Called again once a time
    budget has fixed the input size and the epochs."""
    side = max(plan.image_size)
    small = side <= SMALL_SIDE and plan.epochs >= SMALL_MIN_EPOCHS
    if side > SMALL_SIDE:
        why = f"{side} px per side > {SMALL_SIDE}"
    elif not small:
        why = f"{side} px per side but only {plan.epochs} epochs (< {SMALL_MIN_EPOCHS})"
    else:
        why = f"{side} px per side <= {SMALL_SIDE} and {plan.epochs} epochs >= {SMALL_MIN_EPOCHS}"
    data = plan.model_dump()
    if not is_chosen(plan, "augment"):
        data["augment"] = "shift" if small else "light"
        data["reasons"]["augment"] = (f"default ({why}): " + (
            "whole-pixel shifts and flips, no resampling of tiny images" if small else "flips and a small affine"))
    if not is_chosen(plan, "checkpoint"):
        data["checkpoint"] = "final" if small else "best"
        data["reasons"]["checkpoint"] = (f"default ({why}): " + (
            "the final epoch, the schedule run to its end" if small
            else "the epoch with the best val AUC (a schedule cut short keeps its best epoch too)"))
    if not patience_is_chosen(plan):
        data["early_stopping_patience"], data["reasons"]["early_stopping_patience"] = _automatic_patience(data)
    return Plan(**data)


def default_batch_size(size: list[int]) -> int:
    """Batch size by pixels (voxels) per sample: large batches for small images."""
    pixels = int(np.prod(size))
    if len(size) == 3:
        return 32 if pixels <= 32**3 else 8
    return 128 if pixels <= 64 * 64 else 32 if pixels <= 128 * 128 else 16


def _check_model(plan: Plan, source: ImageSource, overrides: dict[str, Any]) -> None:
    """Build the network once, so a bad name or argument fails before any data is decoded."""
    from meddx.core.errors import ModelError
    from meddx.models.registry import create_model, model_info

    info = model_info(plan.model, input="image", output="logits")  # a typo lists image classifiers only
    if info.get("output") == "segmentation":
        raise ModelError(f"model {plan.model!r} is a segmentation network (image -> mask), but {source.origin} is a "
                         "classification source; pick a classifier from `meddx models` (e.g. resnet18, densenet121)")
    dims = info.get("dims", (2, 3))
    if source.spatial_dims not in dims:
        raise ModelError(
            f"model {plan.model!r} supports {'/'.join(f'{d}D' for d in dims)} input, but {source.origin} "
            f"holds {source.spatial_dims}D images; pick one from `meddx models`"
        )
    check_class_weight_count(plan.class_weights, source, overrides)
    create_model(plan.model, num_classes=source.num_classes, **plan.model_args)


def check_class_weight_count(weights: list[float] | None, source: Any, overrides: dict[str, Any]) -> None:
    """One weight per class of ``source`` (any plan schema): a hand-edited plan's wrong count fails
    here, naming the file, not deep in the loss or silently in a scikit-learn fit; so do all-zero
    weights of a binary or multi-class task (scikit-learn raises on all-zero sample weights, a
    weighted cross-entropy divides 0 by 0), and a binary weight of 0 (a model of one class: a [0, 1]
    logreg plan's bundle said P .645 at prevalence .188, with no note)."""
    if weights is not None and len(weights) != source.num_classes:
        raise ConfigError(f"class_weights {weights} ({where(overrides)}): {source.origin} has {source.num_classes} "
                          f"classes ({', '.join(source.label_names)}); expected one weight per class")
    task = getattr(source, "task", None)
    if weights and task != "multilabel" and not any(weights):  # every row's loss weight 0
        raise ConfigError(f"class_weights {weights} ({where(overrides)}): every class weight is 0, so no training "
                          "row counts; expected at least one weight > 0")
    if weights and task == "binary" and not all(weights):  # one class ignored: a one-class model, no finite shift
        raise ConfigError(f"class_weights {weights} ({where(overrides)}): a binary weight of 0 makes the loss ignore "
                          "one of the two classes, and its probabilities cannot be calibrated back; expected two "
                          "weights > 0")


def plan_epochs(plan: Any, n_train: int, budget_minutes: float, seconds_per_sample: float,
                processes: int = 1) -> Any:
    """Fit the number of epochs into a time budget from a measured training speed.

    Validation is about a third of a training step per sample; 10% of the budget is kept
    for loading, evaluation and saving. ``processes`` (``devices x num_nodes``): each trains
    its ``DistributedSampler`` share, ``ceil(n_train / processes)`` samples per epoch, at the
    measured speed (the probe runs with one process's threads), side by side with the others.
    """
    epochs = int(max(1, min(200, epochs_in_budget(n_train, budget_minutes, seconds_per_sample, processes))))
    data = plan.model_dump()
    data.update(epochs=epochs, seconds_per_sample=seconds_per_sample)
    if not patience_is_chosen(plan):  # a chosen patience stays; an automatic one follows the epochs
        data["early_stopping_patience"] = _automatic_patience(data)[0]
    processes = max(1, int(processes))
    samples = (f"{n_train} samples" if processes == 1 else
               f"{math.ceil(n_train / processes)} samples per process: {n_train} shared by {processes} processes")
    data["reasons"]["epochs"] = (
        f"{budget_minutes:g} min budget / ({samples} x {seconds_per_sample * 1000:.1f} ms measured per sample)"
    )
    return type(plan)(**data)


def _automatic_patience(data: dict[str, Any]) -> tuple[int, str]:
    """The automatic patience, and why, for the epochs and kept epoch in ``data`` (a dumped plan of
    any schema; one without a ``checkpoint`` field keeps what its patience reason says)."""
    why = data["reasons"].get("early_stopping_patience", "")
    keep = data.get("checkpoint") or ("final" if why.startswith("off") else "best")
    return default_patience(None, keep, data["epochs"])


def epochs_in_budget(n_train: int, budget_minutes: float, seconds_per_sample: float, processes: int = 1) -> float:
    """Epochs (fractional) that fit the budget when each of ``processes`` trains its share of
    every epoch; see ``plan_epochs`` for the allowances."""
    per_epoch = math.ceil(n_train / max(1, int(processes))) * seconds_per_sample * 1.15
    return budget_minutes * 60 * 0.9 / max(per_epoch, 1e-9)
