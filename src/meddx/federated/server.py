"""The coordinator: Flower's server loop and strategies, with meddx's checks and records around them.

Why Flower's legacy ``start_server``/``start_client`` (gRPC bidirectional streaming) rather than
``flower-superlink`` + ``flower-supernode`` + ``flwr run``: in Flower 1.41 the legacy entry points
still ship (``flwr.compat``), run a whole federation from two ordinary commands with no app
bundle (FAB) to build, install and register, and give the server object back when training
ends, so the final weights become a bundle in the same process. Both paths use the same
strategy classes (``flwr.server.strategy.FedAvg``/``FedProx``, the DP wrappers). Moving to the
SuperLink architecture is a change of transport only; the client, strategy and bundle code stay.

Before round 1 the server asks every connected client (``get_properties``) whether its data fit
the federation's spec (task, label names, dimensions, pixel type); any refusal stops the run on
both sides with the reason.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from meddx.core.errors import ConfigError, MeddxError
from meddx.core.extras import needs_extra
from meddx.federated.config import FederatedConfig
from meddx.federated.records import RoundLog
from meddx.federated.spec import FederationSpec

Echo = Callable[[str], None]


def build_strategy(cfg: FederatedConfig, spec: FederationSpec, initial: list[np.ndarray],
                   evaluate_fn: Callable[..., Any] | None, log: RoundLog) -> Any:
    """FedAvg or FedProx over every connected site each round, sending the spec and round number
    with each instruction.

    With ``cfg.dp == "server"`` the strategy is wrapped in Flower's server-side DP with fixed
    clipping and aggregates the clipped updates with equal weights (:class:`EqualWeightFedAvg`),
    the mean that wrapper's noise is sized for."""
    from flwr.common import ndarrays_to_parameters
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg, FedProx

    def instructions(rnd: int) -> dict[str, Any]:
        return {**spec.to_config(), "round": rnd}

    k = cfg.sites
    kwargs = dict(fraction_fit=1.0, fraction_evaluate=1.0, min_fit_clients=k, min_evaluate_clients=k,
                  min_available_clients=k, evaluate_fn=evaluate_fn, on_fit_config_fn=instructions,
                  on_evaluate_config_fn=instructions, accept_failures=True,
                  initial_parameters=ndarrays_to_parameters(initial),
                  fit_metrics_aggregation_fn=log.fit_metrics, evaluate_metrics_aggregation_fn=log.evaluate_metrics)
    server_dp = cfg.dp == "server"
    if cfg.strategy == "fedprox":
        strategy: Any = (EqualWeightFedProx if server_dp else FedProx)(proximal_mu=cfg.mu, **kwargs)
    elif cfg.strategy == "fedavg":
        strategy = (EqualWeightFedAvg if server_dp else FedAvg)(**kwargs)
    else:  # FederatedConfig validates this; kept for direct callers
        raise ConfigError(f"unknown strategy {cfg.strategy!r}; expected fedavg or fedprox")
    if server_dp:
        strategy = DifferentialPrivacyServerSideFixedClipping(
            strategy, noise_multiplier=cfg.dp_noise_multiplier, clipping_norm=cfg.dp_clipping_norm,
            num_sampled_clients=k)
    return strategy


class _EqualWeights:
    """Mixin for FedAvg/FedProx: the plain mean of the sites' parameters, every site weighing 1/k.

    Why: Flower's ``DifferentialPrivacyServerSideFixedClipping`` clips each site's update to norm C
    and adds Gaussian noise with standard deviation ``noise_multiplier * C / k`` to the aggregate,
    which is the sensitivity of an *unweighted* mean of k clipped updates (DP-FedAvg, McMahan et
    al. 2018). FedAvg's sample-weighted mean gives a large site more than 1/k, so its update would
    move the model by more than C/k and get less protection than the noise multiplier says.
    The metrics hook still receives each site's real sample count.
    """

    def aggregate_fit(self, server_round: int, results: list[tuple[Any, Any]],
                      failures: list[Any]) -> tuple[Any, dict[str, Any]]:
        """Unweighted mean of the (already clipped) parameters; metrics as FedAvg reports them."""
        from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
        from flwr.server.strategy.aggregate import aggregate

        if not results or (failures and not self.accept_failures):  # type: ignore[attr-defined]
            return None, {}
        mean = aggregate([(parameters_to_ndarrays(res.parameters), 1) for _, res in results])
        metrics: dict[str, Any] = {}
        if self.fit_metrics_aggregation_fn:  # type: ignore[attr-defined]
            metrics = self.fit_metrics_aggregation_fn(  # type: ignore[attr-defined]
                [(res.num_examples, res.metrics) for _, res in results])
        return ndarrays_to_parameters(mean), metrics


def _strategy_classes() -> tuple[type, type]:
    # Run when this module is imported: without Flower, the API names the extra there.
    with needs_extra("federated learning"):
        from flwr.server.strategy import FedAvg, FedProx

    return FedAvg, FedProx


class EqualWeightFedAvg(_EqualWeights, _strategy_classes()[0]):  # type: ignore[misc]
    """FedAvg with an unweighted mean of the sites' parameters (server-side DP)."""


class EqualWeightFedProx(_EqualWeights, _strategy_classes()[1]):  # type: ignore[misc]
    """FedProx (proximal term sent to the sites) with an unweighted mean (server-side DP)."""


def make_evaluate_fn(task: Any, x: np.ndarray, y: np.ndarray, log: RoundLog) -> Callable[..., Any]:
    """Flower's centralised evaluation: the global model on the coordinator's held-out data."""
    from meddx.federated.local import evaluate_arrays
    from meddx.federated.spec import set_weights

    def evaluate(server_round: int, arrays: list[np.ndarray], config: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        set_weights(task.net, arrays)
        loss, auc = evaluate_arrays(task, x, y)
        log.record_global(server_round, loss, auc)
        return float(loss), {"auc": float("nan") if auc is None else auc}

    return evaluate


def _server_class() -> type:
    with needs_extra("federated learning"):
        from flwr.server import Server

    return Server


class MeddxServer(_server_class()):  # type: ignore[misc]
    """Flower's ``Server`` with an admission check before round 1 and a record of failed sites."""

    def __init__(self, *, client_manager: Any, strategy: Any, spec: FederationSpec, min_clients: int,
                 log: RoundLog, connect_timeout: float = 300.0) -> None:
        super().__init__(client_manager=client_manager, strategy=strategy)
        self.spec, self.min_clients, self.log, self.connect_timeout = spec, min_clients, log, connect_timeout
        self.problem: str | None = None
        self.sites: list[str] = []

    def fit(self, num_rounds: int, timeout: float | None) -> tuple[Any, float]:
        from flwr.server import History

        try:
            self._admit(timeout)
            return super().fit(num_rounds, timeout)
        except MeddxError as exc:  # stop cleanly: run_fl then disconnects every client
            self.problem = str(exc)
            return History(), 0.0

    def fit_round(self, server_round: int, timeout: float | None) -> Any:
        out = super().fit_round(server_round, timeout)
        if out is not None:
            results, failures = out[2]
            if failures:
                self.log.record_failures(server_round, [_describe(f) for f in failures])
            if not results:
                raise MeddxError(f"round {server_round}: every site failed ({'; '.join(map(_describe, failures))})")
        return out

    def _admit(self, timeout: float | None) -> None:
        from flwr.common import GetPropertiesIns

        manager = self.client_manager()
        if not manager.wait_for(self.min_clients, timeout=int(self.connect_timeout)):
            raise ConfigError(f"only {manager.num_available()} of {self.min_clients} clients connected within "
                              f"{self.connect_timeout:g} s; start more `meddx federated client` processes or lower "
                              "--min-clients")
        problems, names = [], []
        for cid, proxy in list(manager.all().items()):
            try:
                props = proxy.get_properties(GetPropertiesIns(config=self.spec.to_config()), timeout=timeout,
                                             group_id=0).properties
            except Exception as exc:  # a client that crashed or does not speak meddx
                problems.append(f"client {cid} did not answer the admission check ({type(exc).__name__}: {exc})")
                continue
            if not props.get("ok"):
                problems.append(str(props.get("problem") or f"client {cid} refused the federation spec"))
            names.append(str(props.get("site", cid)))
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"several clients call themselves {', '.join(map(repr, dupes))}: give each a distinct --site")
        if problems:
            raise ConfigError("; ".join(problems))
        self.sites = sorted(names)


def _describe(failure: Any) -> str:
    if isinstance(failure, BaseException):
        return f"{type(failure).__name__}: {failure}"
    proxy, res = failure
    return f"client {proxy.cid}: {getattr(res.status, 'message', '')}"


def run_server(cfg: FederatedConfig, address: str, *, certificates: tuple[str, str, str] | None = None,
               verbose: bool = False, echo: Echo | None = print) -> Any:
    """Coordinate ``cfg.rounds`` rounds over ``cfg.sites`` clients at ``address``; save the bundle.

    ``cfg.eval_data`` (a held-out source the coordinator owns) gives the per-round global AUC
    (its test split, else val) and the validation/test of the final bundle; without it the
    bundle keeps the operating point at 0.5 and says so. The run is recorded in the registry's runs
    table as it starts and ends (``meddx registry runs``).
    """
    from meddx.registry.run_log import recording_run

    with recording_run(cfg, data=cfg.eval_data) as session:
        return session.ended(_run_server(cfg, address, certificates=certificates, verbose=verbose, echo=echo))


def _run_server(cfg: FederatedConfig, address: str, *, certificates: tuple[str, str, str] | None,
                verbose: bool, echo: Echo | None) -> Any:
    import torch

    from meddx.federated.finish import finalize, federated_section, prepare_run
    from meddx.federated.logs import quiet_flower
    from meddx.federated.preflight import check_model_input, check_run_arguments
    from meddx.federated.spec import build_task, get_weights, spec_from_flags, spec_from_source

    check_run_arguments(cfg, simulation=False)  # before the eval data are read or a run folder made
    quiet_flower(verbose)
    certs = _read_certificates(certificates)
    source = load_eval_source(cfg) if cfg.eval_data else None
    spec = spec_from_source(cfg, source) if source is not None else spec_from_flags(cfg)
    if source is not None and cfg.labels and list(cfg.labels) != list(source.label_names):
        raise ConfigError(f"--labels {cfg.labels} differ from the labels of --eval-data {cfg.eval_data}: "
                          f"{source.label_names}")
    check_model_input(cfg, spec, str(cfg.eval_data or "--image-size/--channels"))  # before the run folder
    name, run_dir, log = prepare_run(cfg, cfg.eval_data or "federated", echo)
    torch.manual_seed(cfg.seed)
    task = build_task(spec)
    initial = get_weights(task.net)
    evaluate_fn = None
    if source is not None:
        from meddx.training.data import preprocess_split

        held = "test" if "test" in source.splits else "val"
        x = preprocess_split(source, held, _pre(spec), progress=False)
        evaluate_fn = make_evaluate_fn(build_task(spec), x, np.asarray(source.split(held).labels), log)
    from flwr.server import ServerConfig, SimpleClientManager, start_server

    server = MeddxServer(client_manager=SimpleClientManager(), strategy=build_strategy(cfg, spec, initial, evaluate_fn, log),
                         spec=spec, min_clients=cfg.sites, log=log, connect_timeout=cfg.connect_timeout)
    if echo:
        echo(f"federated server on {address}: waiting for {cfg.sites} clients ({cfg.strategy}, {cfg.rounds} rounds, "
             f"TLS {'on' if certs else 'off'})")
    with _signals_restored():
        try:
            start_server(server_address=address, server=server, certificates=certs,
                         config=ServerConfig(num_rounds=cfg.rounds, round_timeout=cfg.round_timeout))
        except RuntimeError as exc:
            raise ConfigError(f"cannot serve on {address} ({exc}); pick a free HOST:PORT") from None
    if server.problem:
        raise ConfigError(server.problem)
    final = _final_weights(server)
    section = federated_section(cfg, server.sites, partition="real sites (each client's own data)",
                                evaluation=cfg.eval_data, log=log)
    eval_source = _without_train(source) if source is not None else None
    return finalize(cfg, spec, final, eval_source, run_dir, name, log, section, data_desc=cfg.eval_data or "federated")


def load_eval_source(cfg: FederatedConfig) -> Any:
    """The coordinator's ``--eval-data``: held-out data, so a source without a train split is read
    (a MedMNIST-style ``.npz`` of ``val_*``/``test_*`` arrays only); val is carved from train only
    when the source has train and no val."""
    from meddx.data.base import held_out_allowed
    from meddx.federated.spec import load_image_source

    with held_out_allowed():
        return load_image_source(str(cfg.eval_data), val_fraction=cfg.val_fraction, seed=cfg.seed)


def _final_weights(server: Any) -> list[np.ndarray]:
    from flwr.common import parameters_to_ndarrays

    return parameters_to_ndarrays(server.parameters)


def _pre(spec: FederationSpec) -> Any:
    from meddx.federated.spec import preprocessor

    return preprocessor(spec)


def _without_train(source: Any) -> Any:
    """The coordinator's eval source minus its train split, which trained nothing here."""
    from dataclasses import replace

    splits = {k: v for k, v in source.splits.items() if k != "train"}
    return replace(source, splits=splits, notes=[*source.notes, "coordinator-held data: val and test only"])


def _read_certificates(paths: tuple[str, str, str] | None) -> tuple[bytes, bytes, bytes] | None:
    if not paths:
        return None
    if len(paths) != 3:
        raise ConfigError(f"--certificates needs three paths CA,CERT,KEY; got {len(paths)}")
    out = []
    for what, path in zip(("CA certificate", "server certificate", "server private key"), paths):
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: {what} not found (--certificates CA,CERT,KEY)")
        out.append(p.read_bytes())
    return out[0], out[1], out[2]


@contextlib.contextmanager
def _signals_restored() -> Iterator[None]:
    """Flower installs SIGINT/SIGTERM handlers for its server; give the caller's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            with contextlib.suppress(ValueError, TypeError):  # not the main thread, or a C handler
                signal.signal(sig, handler)
