"""``meddx federated simulate|server|client``: federated learning with Flower.

``simulate`` carves K sites from one source and runs them on this machine; ``server`` and
``client`` are real processes talking gRPC (TLS with ``--certificates``). Flower and torch are
imported inside the commands so ``meddx --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from meddx.core import SEED_MAX

app = typer.Typer(
    help="Federated learning with Flower: sites train on their own data and send only weights.",
    no_args_is_help=True,
)

CONFIG = typer.Argument(None, help="YAML federated config; flags override its fields.")
ROUNDS = typer.Option(None, "--rounds", help="Federated rounds (default 10).")
LOCAL_EPOCHS = typer.Option(None, "--local-epochs", help="Epochs each site trains per round (default 1).")
STRATEGY = typer.Option(None, "--strategy", help="fedavg or fedprox (default fedavg).")
MU = typer.Option(None, "--mu", help="FedProx proximal weight mu (default 0.01).")
MODEL = typer.Option(None, "--model", "-m", help="Registered model (default seed-cnn; see `meddx models`).")
LR = typer.Option(None, "--lr", help="Local learning rate (default 1e-3).")
BATCH = typer.Option(None, "--batch-size", help="Local batch size (default 64).")
SEED = typer.Option(None, "--seed", min=0, max=SEED_MAX, help="Seed of the initial weights, and of the sites and their carves (simulate) or the --eval-data carve (server); default 0.")
NAME = typer.Option(None, "--name", help="Bundle name in the registry.")
OUTPUT = typer.Option(None, "--output", "--out", "-o", help="Bundle folder (default under MEDDX_HOME/bundles).")
IMAGE_SIZE = typer.Option(None, "--image-size", help="Side length after resizing (default: native, at most 128).")
DP = typer.Option(None, "--dp", help="Differential privacy: none (default), server (Flower: clip updates, noise the "
                 "aggregate) or client (Opacus DP-SGD at every site).")
DP_NOISE = typer.Option(None, "--dp-noise", help="DP noise multiplier (server: required; client: or --dp-epsilon).")
DP_CLIP = typer.Option(None, "--dp-clip", help="DP clipping norm: of each update (server) or per-sample gradient (client); default 1.0.")
DP_EPSILON = typer.Option(None, "--dp-epsilon", help="Client DP: target epsilon over all rounds (delta 1e-5).")
BOOTSTRAP = typer.Option(None, "--bootstrap", help="Bootstrap resamples for the final report's CIs (default 1000).")
VERIFY = typer.Option(None, "--verify/--no-verify", help="Check the evaluation data for duplicates and leakage.")
THREADS = typer.Option(None, "--threads", help="Torch threads (default: one per core).")
VERBOSE = typer.Option(False, "--verbose", help="Show Flower's own log.")


def simulate(
    config: Optional[Path] = CONFIG,
    data: Optional[str] = typer.Option(None, "--data", "-d", help="Source to split across the sites (medmnist:NAME, .npz, folder, CSV)."),
    sites: Optional[int] = typer.Option(None, "--sites", "-k", help="Number of simulated sites (>= 2; default 3)."),
    partition: Optional[str] = typer.Option(None, "--partition", help="iid, dirichlet:ALPHA (label skew) or by-column:NAME."),
    attributes: Optional[str] = typer.Option(None, "--attributes", help="CSV keyed by sample id holding the by-column partition column."),
    backend: Optional[str] = typer.Option(None, "--backend", help="inprocess (default: sites one after another) or ray."),
    rounds: Optional[int] = ROUNDS, local_epochs: Optional[int] = LOCAL_EPOCHS, strategy: Optional[str] = STRATEGY,
    mu: Optional[float] = MU, model: Optional[str] = MODEL, lr: Optional[float] = LR, batch_size: Optional[int] = BATCH,
    image_size: Optional[int] = IMAGE_SIZE, seed: Optional[int] = SEED, name: Optional[str] = NAME,
    output: Optional[str] = OUTPUT, dp: Optional[str] = DP, dp_noise: Optional[float] = DP_NOISE,
    dp_clip: Optional[float] = DP_CLIP, dp_epsilon: Optional[float] = DP_EPSILON,
    bootstrap: Optional[int] = BOOTSTRAP, verify: Optional[bool] = VERIFY, threads: Optional[int] = THREADS,
    verbose: bool = VERBOSE,
) -> None:
    """Simulate K sites from one source on this machine (Flower), then bundle and evaluate the global model."""
    from meddx.federated.config import load_federated_config
    from meddx.federated.simulation import simulate as run

    cfg = load_federated_config(
        config, data=data, sites=sites, partition=partition, attributes=attributes, backend=backend, rounds=rounds,
        local_epochs=local_epochs, strategy=strategy, mu=mu, model=model, lr=lr, batch_size=batch_size,
        image_size=image_size, seed=seed, name=name, output=output, dp=dp, dp_noise_multiplier=dp_noise, dp_epsilon=dp_epsilon,
        dp_clipping_norm=dp_clip, ci_resamples=bootstrap, verify=verify, num_threads=threads)
    _summary(run(cfg, verbose=verbose, echo=typer.echo))


def server(
    config: Optional[Path] = CONFIG,
    address: str = typer.Option("127.0.0.1:8080", "--address", help="HOST:PORT to listen on."),
    min_clients: Optional[int] = typer.Option(None, "--min-clients", "-k", help="Clients to wait for; all train every round (>= 2; default 3)."),
    eval_data: Optional[str] = typer.Option(None, "--eval-data", help="Held-out source the coordinator owns: per-round global AUC, calibration, operating point, test report."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Without --eval-data: class names, comma-separated, in class-index order."),
    channels: Optional[int] = typer.Option(None, "--channels", help="Without --eval-data: input channels."),
    scaling: Optional[str] = typer.Option(None, "--scaling", help="Per-image intensity scaling: dtype (default), minmax, percentile."),
    certificates: Optional[str] = typer.Option(None, "--certificates", help="TLS: CA,CERT,KEY file paths (PEM)."),
    connect_timeout: Optional[float] = typer.Option(None, "--connect-timeout", help="Seconds to wait for the clients (default 300)."),
    rounds: Optional[int] = ROUNDS, local_epochs: Optional[int] = LOCAL_EPOCHS, strategy: Optional[str] = STRATEGY,
    mu: Optional[float] = MU, model: Optional[str] = MODEL, lr: Optional[float] = LR, batch_size: Optional[int] = BATCH,
    image_size: Optional[int] = IMAGE_SIZE, seed: Optional[int] = SEED, name: Optional[str] = NAME,
    output: Optional[str] = OUTPUT, dp: Optional[str] = DP, dp_noise: Optional[float] = DP_NOISE,
    dp_clip: Optional[float] = DP_CLIP, dp_epsilon: Optional[float] = DP_EPSILON,
    bootstrap: Optional[int] = BOOTSTRAP, verify: Optional[bool] = VERIFY, threads: Optional[int] = THREADS,
    verbose: bool = VERBOSE,
) -> None:
    """Coordinate real `meddx federated client` processes; save the final global model as a bundle."""
    from meddx.federated.config import load_federated_config
    from meddx.federated.server import run_server

    _threads(threads)
    cfg = load_federated_config(
        config, sites=min_clients, eval_data=eval_data, labels=_csv(labels), channels=channels, scaling=scaling,
        connect_timeout=connect_timeout, rounds=rounds, local_epochs=local_epochs, strategy=strategy, mu=mu,
        model=model, lr=lr, batch_size=batch_size, image_size=image_size, seed=seed, name=name, output=output,
        dp=dp, dp_noise_multiplier=dp_noise, dp_epsilon=dp_epsilon, dp_clipping_norm=dp_clip, ci_resamples=bootstrap, verify=verify,
        num_threads=threads)
    certs = tuple(_csv(certificates) or []) or None
    _summary(run_server(cfg, address, certificates=certs, verbose=verbose, echo=typer.echo))  # type: ignore[arg-type]


def client(
    server_address: str = typer.Option(..., "--server", help="The server's HOST:PORT."),
    data: str = typer.Option(..., "--data", "-d", help="This site's labelled source (never leaves this process)."),
    site: Optional[str] = typer.Option(None, "--site", help="This site's name in the server's records (default: the source's name)."),
    root_certificates: Optional[str] = typer.Option(None, "--root-certificates", help="TLS: the CA certificate (PEM) the server's certificate is signed by."),
    val_fraction: float = typer.Option(0.15, "--val-fraction", help="Site validation carved from train when the source has none."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="Seed of the validation carve."),
    max_wait: float = typer.Option(300.0, "--max-wait", help="Seconds to keep retrying to reach the server."),
    threads: Optional[int] = THREADS,
    verbose: bool = VERBOSE,
) -> None:
    """Join a federation as one site: train locally each round and send the weights back."""
    from meddx.federated.client import run_client

    _threads(threads)
    name, rounds = run_client(data, server_address, site=site, root_certificates=root_certificates,
                              val_fraction=val_fraction, seed=seed, max_wait=max_wait, verbose=verbose)
    if rounds:
        typer.echo(f"site {name}: trained {rounds} round(s); the server finished and disconnected this client")
    else:
        typer.echo(f"site {name}: the server ended the federation before any training round (see its log)")


app.command("simulate")(simulate)
app.command("server")(server)
app.command("client")(client)


def _csv(value: Optional[str]) -> Optional[list[str]]:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _threads(threads: Optional[int]) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _summary(result: Any) -> None:
    from meddx.evaluation.report_format import text_with_ci

    for split in ("val", "test"):
        m = (result.metrics or {}).get(split)
        if m:
            ci = m.get("ci") or {}
            typer.echo(f"{split}: AUC {text_with_ci(ci.get('auc'), m.get('auc'))}  accuracy "
                       f"{text_with_ci(ci.get('accuracy'), m.get('accuracy'))}  (n={m.get('n')})")
    if result.metrics.get("note", "").startswith("not evaluated"):  # on stderr: stdout stays the summary
        from meddx.cli.streams import notice

        notice(result.metrics["note"])
    typer.echo(f"run:    {result.run_dir} (federated.json, federated.png"
               f"{', report.html' if (result.run_dir / 'report.html').is_file() else ''})")
    typer.echo(f"bundle: {result.bundle_path}")
    if result.registry_ref:
        typer.echo(f"registered as {result.registry_ref}")
