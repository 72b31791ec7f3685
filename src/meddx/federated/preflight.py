"""Refusals that need no data, made before any data is read, any site is carved or any run folder
is written.

A federated run used to read and split its data (printing the carving's notes) and to create its
run folder before it found that ``--dp client`` cannot take ``--model resnet18``; the user then
waited for nothing and found an empty run. Everything decided by the arguments alone is checked
here first: the model (an image classifier that exists; under client DP one Opacus takes without
swapping layers), the simulation's partition source and backend, a client's certificate file and
validation fraction. Once the data are read, and still before any site is carved or run folder
written, :func:`check_model_input` builds the network at the data's own input size.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError, MeddxError
from meddx.federated.config import FederatedConfig

# A geometry every registered image classifier builds with: the DP check needs a network, not the
# data's exact size (whether a model has BatchNorm does not depend on its input size).
_PROBE_SIDE = {2: 32, 3: 16}


def check_run_arguments(cfg: FederatedConfig, *, simulation: bool) -> None:
    """Refuse, in one line, what ``cfg`` alone makes impossible (simulate and server)."""
    _check_model(cfg)
    if simulation:
        _check_partition(cfg)
        if cfg.backend == "ray" and importlib.util.find_spec("ray") is None:
            raise ConfigError("--backend ray needs Ray: pip install 'meddx[federated]' (flwr[simulation]), or use "
                              "--backend inprocess")


def check_client_arguments(*, root_certificates: str | None, val_fraction: float) -> None:
    """A client's own flags, checked before its data are read."""
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"--val-fraction: expected a number between 0 and 1 (exclusive); got {val_fraction}")
    if root_certificates and not Path(root_certificates).is_file():
        raise ConfigError(f"{root_certificates}: CA certificate not found (--root-certificates, a PEM file)")


def _check_model(cfg: FederatedConfig) -> None:
    """An image classifier of that name; under ``--dp client`` one that needs no layer swap."""
    from meddx.models.registry import model_info

    info = model_info(cfg.model, input="image", output="logits")  # unknown: close matches among classifiers
    if (info.get("input"), info.get("output")) != ("image", "logits"):
        from meddx.models.registry import MODELS

        kind = "a segmentation model" if info.get("output") == "segmentation" else f"a {info.get('input')} model"
        raise ConfigError(f"--model {cfg.model}: {kind}; federated runs train image classifiers: "
                          f"{', '.join(MODELS.names_where(input='image', output='logits'))}")
    if cfg.dp != "client":
        return
    from meddx.federated.spec import FederationSpec, build_task, client_dp_settings

    dims = tuple(info.get("dims") or (2,))
    spatial = 2 if 2 in dims else int(dims[0])
    side = cfg.image_size or _PROBE_SIDE.get(spatial, 32)
    channels = cfg.channels or 1
    probe = FederationSpec(
        model=cfg.model, model_args={"in_channels": channels, "spatial_dims": spatial, "image_size": side,
                                     **cfg.model_args},
        task="binary", label_names=["class_0", "class_1"], image_size=[side] * spatial, channels=channels,
        client_dp=client_dp_settings(cfg))
    try:
        build_task(probe)  # raises the layer-swap refusal (or the missing Opacus) as a ConfigError
    except ConfigError:
        raise
    except (MeddxError, ValueError, RuntimeError, TypeError):
        return  # a geometry the probe guessed wrong: check_model_input builds it at the data's own


def check_model_input(cfg: FederatedConfig, spec: Any, data: str) -> None:
    """Build the network at the federation's real input (``spec``: the data's size and channels,
    known once they are read, from an array's shape or at most 32 sampled files; or ``--image-size``
    and ``--channels``), before any site is carved, run folder made or round run. The checks before
    the data build it at a probe size: seed-cnn takes 32 px, not the data's 8 px, and the run failed
    only after printing its sites and writing a run folder. Under ``--dp client`` this is the Opacus
    check at the real size too."""
    from meddx.federated.spec import build_task

    try:
        build_task(spec)
    except ConfigError:
        raise  # the layer-swap refusal, or a missing Opacus: already one line
    except (MeddxError, ValueError, RuntimeError, TypeError) as exc:
        size = "x".join(str(s) for s in spec.image_size)
        origin = "--image-size" if cfg.image_size else f"the images of {data}"
        why = str(exc) if isinstance(exc, MeddxError) else f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"--model {cfg.model} cannot take {size} px input with {spec.channels} channel(s) "
                          f"({origin}): {why}; pass an --image-size it takes, or pick another model") from None


def _check_partition(cfg: FederatedConfig) -> None:
    """``by-column`` needs a CSV holding the column: ``--attributes``, or a CSV manifest as the data
    (a source handed over in Python, without ``cfg.data``, is checked when it is split)."""
    from meddx.federated.partition import column_file, parse_partition

    partition: Any = parse_partition(cfg.partition)
    if partition.kind == "by-column" and (cfg.attributes or cfg.data):
        column_file(partition.column or "", cfg.attributes, str(Path(str(cfg.data or "")).expanduser()))
