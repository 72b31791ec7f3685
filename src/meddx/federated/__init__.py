"""Federated learning with Flower: sites train the same ``ClassificationTask`` on their own data
and send only weights; the coordinator aggregates (FedAvg, FedProx), evaluates and saves a normal
bundle.

- :func:`simulate` (``meddx federated simulate``): K sites carved from one source on this machine.
- :func:`run_server` / :func:`run_client` (``meddx federated server|client``): real processes
  talking gRPC (optionally TLS).

Imports are lazy: ``import meddx.federated`` does not import Flower or torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FederatedConfig", "load_federated_config", "parse_partition", "run_client", "run_server", "simulate",
           "split_into_sites"]

_WHERE = {
    "FederatedConfig": "meddx.federated.config",
    "load_federated_config": "meddx.federated.config",
    "parse_partition": "meddx.federated.partition",
    "split_into_sites": "meddx.federated.partition",
    "run_client": "meddx.federated.client",
    "run_server": "meddx.federated.server",
    "simulate": "meddx.federated.simulation",
}


def __getattr__(name: str) -> Any:
    """The public API, imported on first use (``from meddx.federated import simulate``)."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'meddx.federated' has no attribute {name!r}")
