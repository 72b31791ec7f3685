"""``simulate``: K sites carved from one source, trained with Flower on this machine.

The module is ``simulation``, not ``simulate``, so that the documented ``from meddx.federated
import simulate`` gives the function and not a submodule of the same name.

Two backends run the same Flower ``Server`` loop, strategy and ``SiteClient``:

- ``inprocess`` (default): every site is a client object in this process behind a small
  ``ClientProxy`` (below); Flower's server calls them one after another. Parameters still go
  through Flower's serialisation (``Parameters`` bytes) exactly as over the network. No extra
  processes, deterministic for a seed, and the fastest on a small CPU machine, where Ray's
  start-up (about 8 s here) and per-actor imports cost more than a round of training.
- ``ray``: Flower's Ray simulation engine (``flwr.simulation.start_simulation``), one CPU per
  site actor: the engine to use when sites should run in parallel on a larger machine.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.extras import needs_extra
from meddx.federated.config import FederatedConfig
from meddx.federated.finish import FederatedResult


def _proxy_base() -> type:
    # Run when this module is imported: without Flower, the API names the extra there.
    with needs_extra("federated learning"):
        from flwr.server.client_proxy import ClientProxy

    return ClientProxy


class InProcessProxy(_proxy_base()):  # type: ignore[misc]
    """Flower's view of a client living in this process: each call goes straight to it.

    Flower ships proxies for gRPC and Ray only; this one is the in-memory equivalent.
    """

    def __init__(self, cid: str, client: Any) -> None:
        super().__init__(cid)
        self.client = client

    def get_properties(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
        return self.client.get_properties(ins)

    def get_parameters(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
        return self.client.get_parameters(ins)

    def fit(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
        return self.client.fit(ins)

    def evaluate(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
        return self.client.evaluate(ins)

    def reconnect(self, ins: Any, timeout: float | None, group_id: int | None) -> Any:
        from flwr.common import DisconnectRes

        return DisconnectRes(reason="simulation finished")


def simulate(cfg: FederatedConfig, *, verbose: bool = False, echo: Callable[[str], None] | None = print,
             source: Any = None) -> FederatedResult:
    """Split ``cfg.data`` (or a prepared ``source``) into ``cfg.sites`` sites by ``cfg.partition``,
    run ``cfg.rounds`` Flower rounds, then bundle and evaluate the final global model.

    The coordinator's held-out test is the source's test split (never seen by a site); the
    final bundle's calibration and operating point use the union of the sites' val splits.
    The run is recorded in the registry's runs table as it starts and ends (``meddx registry runs``).
    """
    from meddx.registry.run_log import recording_run

    with recording_run(cfg) as session:
        return session.ended(_simulate(cfg, verbose=verbose, echo=echo, source=source))


def _simulate(cfg: FederatedConfig, *, verbose: bool, echo: Callable[[str], None] | None,
              source: Any) -> FederatedResult:
    import torch

    from meddx.federated.finish import finalize, federated_section, prepare_run
    from meddx.federated.logs import quiet_flower
    from meddx.federated.partition import pooled_source, split_into_sites
    from meddx.federated.preflight import check_model_input, check_run_arguments
    from meddx.federated.spec import build_task, get_weights, load_image_source, spec_from_source

    if source is None and not cfg.data:
        raise ConfigError("no data source given: pass --data SOURCE or set 'data:' in the federated config")
    check_run_arguments(cfg, simulation=True)  # before any data are read or split, or a run folder made
    quiet_flower(verbose)
    _set_threads(cfg)
    if source is None:
        source = load_image_source(cfg.data, carve_val=False, seed=cfg.seed)  # train + val are pooled anyway
    spec = spec_from_source(cfg, source)
    check_model_input(cfg, spec, cfg.data or source.origin)  # before any site is carved or run folder made
    sites = split_into_sites(source, cfg.sites, cfg.partition, seed=cfg.seed, val_fraction=cfg.site_val_fraction,
                             min_size=cfg.min_site_samples, attributes=cfg.attributes)
    names = [s.name[len(source.name) + 1:] for s in sites]
    pooled = pooled_source(source, sites)
    name, run_dir, log = prepare_run(cfg, cfg.data or source.name, echo)
    if echo:
        sizes = ", ".join(f"{n} {len(s.split('train'))}/{len(s.split('val'))}" for n, s in zip(names, sites))
        echo(f"{cfg.sites} sites ({cfg.partition}; train/val): {sizes}; {cfg.strategy}, {cfg.rounds} rounds x "
             f"{cfg.local_epochs} local epoch(s), {cfg.backend} backend")
    torch.manual_seed(cfg.seed)
    initial = get_weights(build_task(spec).net)
    held = "test" if "test" in pooled.splits else "val"
    server = _server(cfg, spec, initial, pooled, held, log)
    _run(server, cfg, sites, names)
    if server.problem:
        raise ConfigError(server.problem)
    from flwr.common import parameters_to_ndarrays

    sizes = {n: {"train": len(s.split("train")), "val": len(s.split("val"))} for n, s in zip(names, sites)}
    section = federated_section(cfg, names, partition=cfg.partition, site_sizes=sizes, log=log,
                                evaluation=f"{held} split of {source.origin}; val = union of site val splits")
    return finalize(cfg, spec, parameters_to_ndarrays(server.parameters), pooled, run_dir, name, log, section,
                    data_desc=cfg.data or source.origin)


def _server(cfg: FederatedConfig, spec: Any, initial: list[np.ndarray], pooled: Any, held: str, log: Any) -> Any:
    from flwr.server import SimpleClientManager

    from meddx.federated.server import MeddxServer, build_strategy, make_evaluate_fn
    from meddx.federated.spec import build_task, preprocessor
    from meddx.training.data import preprocess_split

    x = preprocess_split(pooled, held, preprocessor(spec), progress=False)
    evaluate_fn = make_evaluate_fn(build_task(spec), x, np.asarray(pooled.split(held).labels), log)
    strategy = build_strategy(cfg, spec, initial, evaluate_fn, log)
    return MeddxServer(client_manager=SimpleClientManager(), strategy=strategy, spec=spec, min_clients=cfg.sites,
                       log=log, connect_timeout=60.0)


def _run(server: Any, cfg: FederatedConfig, sites: list[Any], names: list[str]) -> None:
    from flwr.server import ServerConfig

    from meddx.federated.client import SiteClient

    clients = [SiteClient(site, name) for site, name in zip(sites, names)]
    config = ServerConfig(num_rounds=cfg.rounds)
    if cfg.backend == "inprocess":
        from flwr.server.server import run_fl

        for client in clients:
            server.client_manager().register(InProcessProxy(client.site, client.to_client()))
        server.set_max_workers(1)  # one site at a time: they share this machine's cores
        run_fl(server, config)
        return
    from flwr.simulation import start_simulation

    def client_fn(context: Any) -> Any:
        import torch

        torch.set_num_threads(1)  # one CPU per actor
        return clients[int(context.node_config["partition-id"])].to_client()

    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no GPUs here: silence Ray's notice
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    start_simulation(client_fn=client_fn, num_clients=len(clients), server=server, config=config,
                     client_resources={"num_cpus": 1},
                     ray_init_args={"num_cpus": min(cores, len(clients)), "include_dashboard": False,
                                    "log_to_driver": False, "configure_logging": False})


def _set_threads(cfg: FederatedConfig) -> None:
    """``num_threads`` when set; otherwise torch's default (one per core) stays."""
    if cfg.num_threads:
        import torch

        torch.set_num_threads(cfg.num_threads)
