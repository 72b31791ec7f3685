"""The federation's contract: what every site builds and how it reads its data.

The coordinator sends a :class:`FederationSpec` (as one JSON string in Flower's config, which
holds only scalars) with every instruction; a site checks its own data against it (task, label
names, dimensions, pixel type) before it trains. Model weights travel as the network's
``state_dict`` tensors in order; nothing else about a site's data leaves it.

Preprocessing is fixed, not fitted: intensities are scaled per image (``dtype``: divided by the
pixel type's maximum; ``minmax``/``percentile``: each image to [0, 1]) and then normalised with
the constants mean 0.5, std 0.5. ``meddx train`` fits a mean and standard deviation on the
training split; in a federation that would mean sites sending intensity statistics, so we do
without (it costs little: the network's first layer absorbs a fixed affine map).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.data.base import SPLITS, ImageSource

SPEC_KEY = "meddx_spec"
FIXED_MEAN = 0.5
FIXED_STD = 0.5


@dataclass
class FederationSpec:
    """Model, labels, input geometry and local-training settings shared by every site."""

    model: str
    model_args: dict[str, Any]
    task: str
    label_names: list[str]
    image_size: list[int]
    channels: int
    scaling: str = "dtype"
    dtype_max: float = 255.0
    augment: str = "none"
    local_epochs: int = 1
    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 64
    seed: int = 0
    client_dp: dict[str, Any] | None = None  # DP-SGD settings when every site trains privately
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def spatial_dims(self) -> int:
        return len(self.image_size)

    def to_config(self) -> dict[str, str]:
        """Flower config entry (scalar values only): the spec as one JSON string."""
        return {SPEC_KEY: json.dumps(asdict(self), sort_keys=True)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "FederationSpec":
        """Read the spec a coordinator sent; a clear error when it is missing or malformed."""
        text = config.get(SPEC_KEY)
        if not isinstance(text, str):
            raise ConfigError("the server's instruction carries no meddx federation spec: is the server a "
                              "`meddx federated server` of a compatible meddx version?")
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"the server's federation spec cannot be read ({exc}); update meddx on both sides") from None


def load_image_source(data: str, **options: Any) -> ImageSource:
    """``load_source`` for federated runs, which train image classifiers: a segmentation,
    document, series or table source is refused in one line instead of failing inside a site."""
    from meddx.data.base import is_text_source
    from meddx.data.segmentation import is_segmentation_source
    from meddx.data.sources import load_source

    if is_segmentation_source(data):
        kind = "a segmentation source (images + masks)"
    else:
        source = load_source(data, **options)
        modality = getattr(source, "modality", None) or ("text" if is_text_source(source) else "image")
        if modality == "image":
            return source
        kind = {"text": "a document source", "series": "an ICU/EHR series source",
                "tabular": "a table"}.get(modality, f"a {modality} source")
    raise ConfigError(f"{data}: {kind}; federated learning in meddx trains image classifiers (2D/3D) for now. "
                      "Train this source centrally with `meddx train --data ...`")


def spec_from_source(cfg: Any, source: ImageSource) -> FederationSpec:
    """The spec of a federation whose data look like ``source``: geometry (size, channels, pixel kind)
    from its train split, or from its first split when it holds none (a coordinator's held-out set)."""
    from meddx.training.plan import MAX_SIDE_2D, MAX_SIDE_3D, native_geometry

    native, channels, _ = native_geometry(source, split=geometry_split(source))
    cap = MAX_SIDE_2D if source.spatial_dims == 2 else MAX_SIDE_3D
    side = cfg.image_size or min(cap, int(max(native)))
    size = [side] * source.spatial_dims if cfg.image_size or len(set(native)) > 1 or max(native) > cap else native
    return FederationSpec(
        model=cfg.model,
        model_args={"in_channels": cfg.channels or channels, "spatial_dims": source.spatial_dims,
                    "image_size": size[0], **cfg.model_args},
        task=source.task, label_names=list(source.label_names), image_size=[int(s) for s in size],
        channels=int(cfg.channels or channels), scaling=cfg.scaling, dtype_max=_dtype_max(source),
        augment=cfg.augment, local_epochs=cfg.local_epochs, optimizer=cfg.optimizer, lr=cfg.lr,
        weight_decay=cfg.weight_decay, batch_size=cfg.batch_size, seed=cfg.seed, client_dp=client_dp_settings(cfg),
    )


def client_dp_settings(cfg: Any) -> dict[str, Any] | None:
    """What each site's DP-SGD needs (``None`` unless ``cfg.dp == "client"``); with a target epsilon the
    noise covers all ``rounds x local_epochs`` passes over a site's data."""
    if getattr(cfg, "dp", "none") != "client":
        return None
    return {"noise_multiplier": cfg.dp_noise_multiplier, "epsilon": cfg.dp_epsilon, "delta": cfg.dp_delta,
            "max_grad_norm": cfg.dp_clipping_norm, "epochs": cfg.rounds * cfg.local_epochs}


def spec_from_flags(cfg: Any) -> FederationSpec:
    """A server's spec without data of its own: labels, task, size and channels from the config."""
    if not cfg.labels or len(cfg.labels) < 2:
        raise ConfigError("the server needs the class names the sites hold: pass --eval-data SOURCE (a held-out "
                          "set it owns) or --labels NAME,NAME[,...] (at least 2, in class-index order)")
    if not cfg.image_size or not cfg.channels:
        raise ConfigError("without --eval-data the server cannot see the images: pass --image-size and --channels")
    task = cfg.task or ("binary" if len(cfg.labels) == 2 else "multiclass")
    size = [int(cfg.image_size)] * 2
    return FederationSpec(
        model=cfg.model, model_args={"in_channels": cfg.channels, "spatial_dims": 2, "image_size": size[0],
                                     **cfg.model_args},
        task=task, label_names=list(cfg.labels), image_size=size, channels=int(cfg.channels), scaling=cfg.scaling,
        augment=cfg.augment, local_epochs=cfg.local_epochs, optimizer=cfg.optimizer, lr=cfg.lr,
        weight_decay=cfg.weight_decay, batch_size=cfg.batch_size, seed=cfg.seed, client_dp=client_dp_settings(cfg),
    )


def check_site(spec: FederationSpec, source: ImageSource, site: str = "this site", *,
               origin: bool = True) -> list[str]:
    """What makes ``source`` unfit to join this federation (empty when it fits).

    ``origin=False`` leaves the site's file path out of the messages: the answer to the
    coordinator's admission check names the site only (its paths stay at the site)."""
    problems = []
    if label_index(spec, source) is None:
        where = f"{site} ({source.origin})" if origin else site
        problems.append(f"{where} holds a {source.task} task with labels {list(source.label_names)}, but the server "
                        f"expects {spec.task} with labels {spec.label_names}; a site's label names must be among the "
                        "federation's (matched by name, in any order), so relabel the site's data or start the "
                        "server with the same labels")
    if source.spatial_dims != spec.spatial_dims:
        problems.append(f"{site} holds {source.spatial_dims}D images but the federation trains on "
                        f"{spec.spatial_dims}D input")
    if spec.scaling == "dtype" and not problems and len(source.split("train")):
        found = _dtype_max(source)
        if (found == 1.0) != (spec.dtype_max == 1.0):  # integers by their own bit depth; floats by the federation's
            kind = {True: "floating-point values (CT in HU, NIfTI)", False: "integer pixels"}
            problems.append(f"{site} stores {kind[found == 1.0]}, but the federation's images are "
                            f"{kind[spec.dtype_max == 1.0]}: 'dtype' divides an integer image by its bit depth and "
                            "a floating-point one records none, so they have no common scale; start the server with "
                            "--scaling percentile")
    return problems


def label_index(spec: FederationSpec, source: ImageSource) -> list[int] | None:
    """The federation's class index of each of the site's labels, matched by name; ``None`` when
    they cannot be matched. Label order is each reader's own (sorted folder names, a manifest's
    values), so sites are aligned by name, never by index. A single-label site may hold a subset of
    the federation's classes (a hospital without any case of one class); a multi-label site must
    hold every label (a missing column would read as 'never positive')."""
    names, wanted = list(source.label_names), list(spec.label_names)
    multilabel = source.task == "multilabel"
    if multilabel != (spec.task == "multilabel") or len(set(names)) != len(names) or not set(names) <= set(wanted):
        return None
    if multilabel and set(names) != set(wanted):
        return None
    return [wanted.index(name) for name in names]


def preprocessor(spec: FederationSpec) -> Any:
    """The fixed (unfitted) image preprocessing of the federation; also what the bundle stores."""
    from meddx.transforms.image import ImagePreprocessor

    return ImagePreprocessor.from_dict({
        "spatial_size": list(spec.image_size), "channels": spec.channels, "scaling": spec.scaling,
        "dtype_max": spec.dtype_max, "normalize": True,
        "mean": [FIXED_MEAN] * spec.channels, "std": [FIXED_STD] * spec.channels,
    })


def build_task(spec: FederationSpec) -> Any:
    """The ``ClassificationTask`` (network, loss, head) every site and the server build."""
    from meddx.tasks.classification import ClassificationTask

    task = ClassificationTask(model_name=spec.model, model_args=dict(spec.model_args), task=spec.task,  # type: ignore[arg-type]
                              num_classes=len(spec.label_names), class_weights=None, lr=spec.lr,
                              weight_decay=spec.weight_decay, max_epochs=spec.local_epochs)
    if spec.client_dp:
        task.net = _dp_compatible(task.net, spec.model)
    return task


def _dp_compatible(net: Any, name: str) -> Any:
    """The network with in-place operations made out of place for Opacus; refused when Opacus would
    have to swap layers (BatchNorm -> GroupNorm changes the weights every site and the bundle share)."""
    from meddx.training.privacy import make_compatible

    fixed, replaced = make_compatible(net, name)
    swapped = [r for r in replaced if "->" in r]
    if swapped:
        raise ConfigError(f"client DP: model {name!r} needs layer substitutions for Opacus ({'; '.join(swapped)}); "
                          "pick a model without BatchNorm (e.g. seed-cnn) or use --dp server")
    return fixed


def get_weights(net: Any) -> list[np.ndarray]:
    """The network's ``state_dict`` tensors, in order, as contiguous numpy arrays."""
    return [np.ascontiguousarray(v.detach().cpu().numpy()) for v in net.state_dict().values()]


def set_weights(net: Any, arrays: list[np.ndarray]) -> None:
    """Load ``arrays`` (in ``state_dict`` order) into ``net``; refuse a count or shape mismatch."""
    import torch

    state = net.state_dict()
    if len(arrays) != len(state):
        raise ConfigError(f"received {len(arrays)} weight tensors but the model has {len(state)}: the server and "
                          "the site build different models")
    new = {}
    for (key, old), arr in zip(state.items(), arrays):
        if tuple(arr.shape) != tuple(old.shape):
            raise ConfigError(f"weight {key!r}: received shape {tuple(arr.shape)}, the model has {tuple(old.shape)}")
        new[key] = torch.as_tensor(np.asarray(arr)).to(old.dtype)
    net.load_state_dict(new)


def geometry_split(source: ImageSource) -> str:
    """The split whose images give the federation's geometry: train, else the first non-empty of val
    and test (a coordinator's ``--eval-data`` may hold held-out splits only)."""
    names = [s for s in SPLITS if s in source.splits]
    for name in names:
        if len(source.splits[name]):
            return name
    raise ConfigError(f"{source.origin}: no images in any split ({', '.join(names) or 'none'}); expected at "
                      "least one image to take the federation's input size and pixel type from")


def _dtype_max(source: ImageSource) -> float:
    """The first image's bit depth (of train, else of the first split: ``geometry_split``; 255 for 8-bit,
    4095 for a 12-bit DICOM: the depth its reader records, ``data.bit_depth.integer_max``); 1.0 for floats.
    Under ``dtype`` scaling an integer image is divided by its own depth, so sites of other depths agree;
    only integers against floats do not."""
    from meddx.data.bit_depth import integer_max

    image = np.asanyarray(source.get_image(geometry_split(source), 0))  # "any": keep a BitDepthArray's value_max
    return integer_max(image) if np.issubdtype(image.dtype, np.integer) else 1.0
