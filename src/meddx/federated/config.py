"""Typed configuration of a federated run (simulation or real server), loadable from YAML.

One model serves ``meddx federated simulate`` (``data``, ``sites``, ``partition`` are read) and
``meddx federated server`` (``sites`` is the number of clients to wait for; ``eval_data``,
``labels`` and ``task`` describe what the clients must hold). CLI flags override YAML fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from meddx.core.errors import ConfigError, parsed_text

STRATEGIES = ("fedavg", "fedprox")


class FederatedConfig(BaseModel):
    """Everything a federated run needs; YAML/JSON data only, no code."""

    model_config = ConfigDict(extra="forbid")

    data: str | None = Field(None, description="simulate: the source split across simulated sites")
    name: str | None = Field(None, description="bundle name (default: derived from the data)")
    model: str = Field("seed-cnn", description="registered model name (see `meddx models`)")
    model_args: dict[str, Any] = Field(default_factory=dict)
    image_size: int | None = Field(None, ge=8, description="side length after resizing (default: native, <= 128)")
    channels: int | None = Field(None, ge=1, description="input channels (default: from the data)")
    scaling: Literal["dtype", "minmax", "percentile"] = Field(
        "dtype", description="fixed per-image intensity scaling; no intensity statistic leaves a site")
    augment: Literal["none", "light", "strong", "shift"] = "none"
    rounds: int = Field(10, ge=1, description="federated rounds")
    local_epochs: int = Field(1, ge=1, description="epochs each site trains per round")
    strategy: str = Field("fedavg", description="fedavg or fedprox")
    mu: float = Field(0.01, ge=0, description="fedprox: weight of the proximal term mu/2 ||w - w_global||^2")
    sites: int = Field(3, description="simulate: number of sites; server: clients to wait for each round")
    partition: str = Field("iid", description="simulate: iid, dirichlet:ALPHA or by-column:NAME")
    attributes: str | None = Field(None, description="CSV keyed by sample id holding the by-column partition column")
    site_val_fraction: float = Field(0.15, gt=0, lt=0.5, description="share of each site held out as its validation")
    min_site_samples: int = Field(10, ge=2, description="dirichlet: every site gets at least this many samples")
    optimizer: Literal["adamw", "sgd"] = "adamw"
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(64, ge=1)
    seed: int = 0
    num_threads: int | None = Field(None, ge=1, description="torch threads (default: free cores)")
    backend: Literal["inprocess", "ray"] = Field(
        "inprocess", description="simulate: sites run one after another in this process, or as Ray actors")
    dp: Literal["none", "server", "client"] = Field(
        "none", description="differential privacy: server (Flower: clip each site's update, add noise to the "
        "aggregate) or client (Opacus DP-SGD at every site, example-level)")
    dp_noise_multiplier: float | None = Field(
        None, ge=0, description="dp: noise multiplier (server: required; client: or dp_epsilon)")
    dp_clipping_norm: float = Field(1.0, gt=0, description="dp: clipping norm (server: of each update; client: "
                                    "of each sample's gradient)")
    dp_epsilon: float | None = Field(None, gt=0, description="client dp: target epsilon over all rounds")
    dp_delta: float = Field(1e-5, gt=0, lt=1, description="client dp: delta of the (epsilon, delta) guarantee")
    # Real server: what the clients must hold, and the coordinator's own held-out data.
    eval_data: str | None = Field(None, description="server: held-out source the coordinator owns (val and test)")
    labels: list[str] | None = Field(None, description="server without eval_data: class names, in order")
    task: Literal["binary", "multiclass", "multilabel"] | None = Field(None, description="server: default from labels")
    connect_timeout: float = Field(300.0, gt=0, description="server: seconds to wait for the clients to connect")
    round_timeout: float | None = Field(None, gt=0, description="server: seconds a round may take (none: no limit)")
    val_fraction: float = Field(0.1, gt=0, lt=0.5, description="eval_data without val: fraction carved from train")
    # Final bundle (as in `meddx train`).
    threshold_rule: str = "youden"
    calibrate: bool = True
    ci_resamples: int = Field(1000, ge=0)
    verify: bool = True
    tta: bool = False
    intended_use: str | None = None
    outcome: str | None = None
    output: str | None = Field(None, description="bundle folder (default: MEDDX_HOME/bundles/NAME/VERSION)")
    add_to_registry: bool = True

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        """The bundle name becomes a run folder, a bundle folder and a registry entry: the same rule as
        ``TrainConfig.name`` (its validator, reused), checked before anything is written."""
        from meddx.training.config import TrainConfig

        return TrainConfig._plain_name(value)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        key = value.strip().lower()
        if key not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r}; expected one of {', '.join(STRATEGIES)}")
        return key

    @field_validator("sites")
    @classmethod
    def _enough_sites(cls, value: int) -> int:
        if value < 2:
            raise ValueError(f"federated learning needs at least 2 sites (clients); got {value}")
        return value

    @field_validator("partition")
    @classmethod
    def _known_partition(cls, value: str) -> str:
        from meddx.federated.partition import parse_partition

        return parsed_text(parse_partition, value)

    @model_validator(mode="after")
    def _dp_settings(self) -> "FederatedConfig":
        if self.dp == "server" and self.dp_noise_multiplier is None:
            raise ValueError("dp: server needs dp_noise_multiplier (--dp-noise), e.g. 0.5")
        if self.dp == "client":
            if self.dp_noise_multiplier is None and self.dp_epsilon is None:
                raise ValueError("dp: client needs a target dp_epsilon (--dp-epsilon) or dp_noise_multiplier (--dp-noise)")
            if self.strategy == "fedprox":
                raise ValueError("dp: client DP-SGD replaces each gradient by its clipped, noised per-sample "
                                 "version, which drops FedProx's proximal term: use strategy fedavg")
        return self

    @field_validator("threshold_rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        from meddx.evaluation.operating import parse_rule

        return parsed_text(parse_rule, value)


def load_federated_config(path: str | Path | None = None, **overrides: Any) -> FederatedConfig:
    """Read a YAML config (optional) and apply non-``None`` overrides, with one-line errors."""
    from meddx.training.config import _read_yaml

    data: dict[str, Any] = _read_yaml(Path(path)) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return FederatedConfig(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {_message(err)}"
                             for err in exc.errors())
        raise ConfigError(f"{where}invalid federated config: {problems}") from None


def _message(err: dict[str, Any]) -> str:
    """Our validators' messages already name the value; pydantic's own get it appended."""
    if err.get("type") == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return f"{err['msg']} (got {err.get('input')!r})"
