"""A site in the federation: a Flower ``NumPyClient`` around one local source.

What leaves the site, and nothing else (tests intercept it):
- ``fit``: the updated weight tensors (the model's ``state_dict`` shapes), the number of
  site-train samples (FedAvg weights by it) and the scalars ``train_loss``, ``steps``,
  ``round``, the site name and, with client DP, ``epsilon`` spent so far;
- ``evaluate``: the loss and AUC of the global model on the site-val split, its size, and the
  site name and round;
- ``get_properties`` (the coordinator's check before round 1): the site name, whether its data
  fit the federation, and if not the reason (task and label names; never samples or the site's file paths).
No image, label, sample id or intensity statistic is sent.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.extras import needs_extra
from meddx.data.base import ImageSource, missing_split_advice, reindex_labels
from meddx.federated.spec import (FederationSpec, build_task, check_site, get_weights, label_index,
                                  preprocessor, set_weights)

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")  # never phone home from a hospital network
# What a site lacking a split is told (``ImageSource.split``'s default advice is evaluate's --split).
SITE_ADVICE = {"train": "a site trains on its own train split (its val is carved from it when absent): give "
                        "--data a source with training samples; held-out data belong to the server's --eval-data"}


def _numpy_client_base() -> type:
    # Run when this module is imported: without Flower, the API names the extra there.
    with needs_extra("federated learning"):
        from flwr.client import NumPyClient

    return NumPyClient


class SiteClient(_numpy_client_base()):  # type: ignore[misc]
    """One site's data and local training, answering the coordinator's instructions."""

    def __init__(self, source: ImageSource, site: str) -> None:
        self.source = source
        self.site = site
        self.problem: str | None = None  # why this site could not join (kept for the CLI's error)
        self.contacted = False  # the server has sent at least one instruction
        self.rounds_trained = 0
        self._privacy: dict[str, Any] = {}  # the DP accountant's history, kept here across rounds
        self._key: str | None = None
        self._task: Any = None
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- Flower NumPyClient -----------------------------------------------------------------
    def get_properties(self, config: dict[str, Any]) -> dict[str, Any]:
        """Answer the coordinator's pre-flight check: does this site's data fit its spec?"""
        self.contacted = True
        try:
            spec = FederationSpec.from_config(config)
        except ConfigError as exc:
            self.problem = str(exc)
            return {"site": self.site, "ok": False, "problem": self.problem}
        problems = check_site(spec, self.source, f"site {self.site!r}")
        self.problem = "; ".join(problems) or None  # printed here, with the site's file
        remote = "; ".join(check_site(spec, self.source, f"site {self.site!r}", origin=False))
        return {"site": self.site, "ok": not problems, "problem": remote}

    def get_parameters(self, config: dict[str, Any]) -> list[np.ndarray]:
        return [] if self._task is None else get_weights(self._task.net)

    def fit(self, parameters: list[np.ndarray], config: dict[str, Any]) -> tuple[list[np.ndarray], int, dict[str, Any]]:
        """Load the global weights, train ``local_epochs`` on site-train, return the new weights."""
        from meddx.federated.local import train_local

        spec, task = self._prepare(config)
        set_weights(task.net, parameters)
        x, y = self._split("train", spec)
        rnd = int(config.get("round", 0))
        mu = float(config.get("proximal_mu", 0.0))
        stats = train_local(task, x, y, spec, mu=mu, seed=spec.seed * 1000 + rnd, privacy=self._privacy)
        self.rounds_trained += 1
        return get_weights(task.net), len(y), {"site": self.site, "round": rnd, **stats}

    def evaluate(self, parameters: list[np.ndarray], config: dict[str, Any]) -> tuple[float, int, dict[str, Any]]:
        """Loss and AUC of the global weights on this site's validation split."""
        from meddx.federated.local import evaluate_arrays

        spec, task = self._prepare(config)
        set_weights(task.net, parameters)
        x, y = self._split("val", spec)
        loss, auc = evaluate_arrays(task, x, y)
        metrics = {"site": self.site, "round": int(config.get("round", 0)), "loss": float(loss),
                   "auc": float("nan") if auc is None else auc}
        return float(loss), len(y), metrics

    # -- internals ----------------------------------------------------------------------------
    def _prepare(self, config: dict[str, Any]) -> tuple[FederationSpec, Any]:
        self.contacted = True
        spec = FederationSpec.from_config(config)
        problems = check_site(spec, self.source, f"site {self.site!r}")
        if problems:
            self.problem = "; ".join(problems)
            raise ConfigError(self.problem)
        key = config["meddx_spec"]
        if key != self._key:  # a new federation spec: rebuild the model and re-preprocess
            self._key, self._task, self._arrays, self._privacy = key, build_task(spec), {}, {}
        return spec, self._task

    def _split(self, name: str, spec: FederationSpec) -> tuple[np.ndarray, np.ndarray]:
        """Preprocessed arrays of a split, computed once per spec (decoding is the slow part)."""
        from meddx.training.data import preprocess_split

        if name not in self._arrays:
            if name not in self.source.splits:
                raise ConfigError(f"site {self.site!r} has no {name} split")
            x = preprocess_split(self.source, name, preprocessor(spec), progress=False)
            index = label_index(spec, self.source) or []  # _prepare checked that the names match
            y = reindex_labels(self.source.split(name).labels, index, len(spec.label_names))
            self._arrays[name] = (x, y)
        return self._arrays[name]


def run_client(data: str, server: str, *, site: str | None = None, root_certificates: str | None = None,
               val_fraction: float = 0.15, seed: int = 0, max_wait: float | None = 300.0,
               verbose: bool = False) -> tuple[str, int]:
    """Join the federation at ``server`` (``HOST:PORT``) with the local source ``data``.

    Returns the site name and the rounds it trained, once the server has finished and
    disconnected it. The site's
    validation split is carved from its train split when the source has none.
    """
    from pathlib import Path

    from meddx.federated.logs import quiet_flower
    from meddx.federated.preflight import check_client_arguments
    from meddx.federated.spec import load_image_source

    check_client_arguments(root_certificates=root_certificates, val_fraction=val_fraction)  # before the data
    source = load_image_source(data, val_fraction=val_fraction, seed=seed)
    with missing_split_advice(SITE_ADVICE):  # not evaluate's --split advice: a site cannot choose its split
        source.split("train")
    name = site or source.name
    quiet_flower(verbose)
    import flwr.client

    client = SiteClient(source, name)
    certs = Path(root_certificates).read_bytes() if root_certificates else None
    deadline = time.monotonic() + (max_wait if max_wait is not None else float("inf"))
    while True:
        try:
            flwr.client.start_client(server_address=server, client=client.to_client(), root_certificates=certs,
                                     insecure=certs is None)
            break
        except Exception as exc:  # grpc errors: server not up yet, unreachable, TLS mismatch
            if client.problem:
                raise ConfigError(client.problem) from None
            if not client.contacted and time.monotonic() < deadline:
                time.sleep(1.0)  # the server is not listening yet: Flower's legacy client does not retry
                continue
            raise ConfigError(f"site {name!r}: no connection to {server} ({_grpc_reason(exc)}); is "
                              "`meddx federated server` running there (and TLS set the same on both sides)?") from None
    if client.problem:
        raise ConfigError(client.problem)
    return name, client.rounds_trained


def _grpc_reason(exc: Exception) -> str:
    details = getattr(exc, "details", None)
    code = getattr(exc, "code", None)
    if callable(details) and callable(code):
        return f"{code().name}: {details()}"
    return f"{type(exc).__name__}: {exc}"
