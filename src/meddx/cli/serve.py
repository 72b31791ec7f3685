"""``meddx serve``: the API and web page for registered bundles (FastAPI + uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; loopback by default. Anything else "
                             "should sit behind a TLS-terminating reverse proxy."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    models: Optional[List[str]] = typer.Option(None, "--model", help="Serve only this bundle name (repeat for "
                                               "several); default: every registered name."),
    max_batch: int = typer.Option(16, "--max-batch", min=1, help="Largest micro-batch; 1 turns batching off."),
    max_wait_ms: float = typer.Option(2.0, "--max-wait-ms", min=0.0, help="How long a batch waits to fill."),
    batch_forward: bool = typer.Option(False, "--batch-forward", help="Run a micro-batch as one forward pass "
                                       "(faster for large models; probabilities then differ by ~1e-7 from the "
                                       "same input sent alone). Default: one pass per input, identical answers."),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", min=0.01, help="Largest request body."),
    max_pixels: int = typer.Option(40_000_000, "--max-pixels", min=1, help="Largest 2D image (pixels) decoded."),
    max_voxels: int = typer.Option(64_000_000, "--max-voxels", min=1, help="Largest 3D volume (voxels) decoded."),
    max_unzipped_mb: float = typer.Option(256.0, "--max-unzipped-mb", min=0.01, help="Largest DICOM series ZIP "
                                          "once unpacked (declared, then counted while unpacking)."),
    max_zip_entries: int = typer.Option(4096, "--max-zip-entries", min=1, help="Most files in a DICOM series ZIP."),
    worker_threads: int = typer.Option(0, "--workers-threads", min=0, help="Inference/decoding threads (0: the cores "
                                       "this process may use)."),
    torch_threads: int = typer.Option(0, "--torch-threads", min=0, help="Torch intra-op threads (0: cores / worker threads)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds allowed for an upload, and for a prediction "
                                  "(decoding the upload included)."),
    poll_seconds: float = typer.Option(5.0, "--poll-seconds", help="How often the registry is checked for promotions."),
    cors_origins: Optional[List[str]] = typer.Option(None, "--cors-origin", help="Allow this browser origin "
                                                     "(repeat); none by default."),
    no_docs: bool = typer.Option(False, "--no-docs", help="Hide /docs and /openapi.json."),
    ssl_certfile: Optional[str] = typer.Option(None, "--ssl-certfile", help="Serve HTTPS with this certificate."),
    ssl_keyfile: Optional[str] = typer.Option(None, "--ssl-keyfile", help="Private key for --ssl-certfile."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the production (else latest) version of each registered bundle, with API keys, an
    audit log, micro-batching and a web page at /. Create a key first: `meddx keys create`."""
    import logging

    _preflight({"--timeout": timeout, "--poll-seconds": poll_seconds, "--max-wait-ms": max_wait_ms,
                "--max-upload-mb": max_upload_mb, "--max-unzipped-mb": max_unzipped_mb}, log_level, ssl_certfile, ssl_keyfile)
    import uvicorn  # noqa: F401 - a missing serve extra is named before the checks below

    from meddx.serving.app import create_app
    from meddx.serving.settings import ServeSettings, default_threads
    from meddx.serving.stopping import run_server

    settings = ServeSettings(
        host=host, port=port, models=list(models or []), max_batch=max_batch, max_wait_ms=max_wait_ms,
        batch_forward=batch_forward,
        max_upload_mb=max_upload_mb, max_pixels=max_pixels, max_voxels=max_voxels,
        max_unzipped_mb=max_unzipped_mb, max_zip_entries=max_zip_entries,
        worker_threads=worker_threads or default_threads(), torch_threads=torch_threads,
        upload_timeout_s=timeout, predict_timeout_s=timeout, poll_seconds=poll_seconds,
        cors_origins=list(cors_origins or []), docs=not no_docs,
    )
    _check_address(host, port)
    _check_stores(list(models or []), settings.database())
    if host not in ("127.0.0.1", "localhost", "::1") and not ssl_certfile:
        typer.echo(f"meddx serve: warning: binding {host} without TLS; keys would cross the network in clear. "
                   "Put a TLS-terminating proxy in front or pass --ssl-certfile/--ssl-keyfile.", err=True)
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    status = run_server(create_app(settings), host=host, port=port, log_level=log_level, ssl_certfile=ssl_certfile,
                        ssl_keyfile=ssl_keyfile, server_header=False, timeout_keep_alive=10)
    if status:  # 0: stopped by SIGTERM or Ctrl-C after answering the requests in flight
        raise typer.Exit(status)


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's names


def _preflight(numbers: dict[str, float], log_level: str, certfile: Optional[str], keyfile: Optional[str]) -> None:
    """Refuse bad settings before uvicorn starts: a failure inside its lifespan prints a traceback
    and exits 3, and a NaN passes click's range checks (every comparison with it is false)."""
    import math

    from meddx.core.errors import ConfigError
    from meddx.core.paths import meddx_home

    for flag, value in numbers.items():
        positive = flag in ("--timeout", "--poll-seconds")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise typer.BadParameter(f"{value}; expected a finite number {'> 0' if positive else '>= 0'}",
                                     param_hint=flag)
    if log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(f"{log_level!r}; expected one of {', '.join(LOG_LEVELS)}", param_hint="--log-level")
    if keyfile and not certfile:
        raise typer.BadParameter("needs --ssl-certfile (the certificate the key belongs to)", param_hint="--ssl-keyfile")
    if certfile:
        import ssl

        for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
            if path is not None and not Path(path).is_file():
                raise typer.BadParameter(f"{path}: no such file; expected a PEM file", param_hint=flag)
        try:  # what uvicorn does at start-up, where a failure is a traceback
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConfigError(f"--ssl-certfile {certfile}" + (f" / --ssl-keyfile {keyfile}" if keyfile else "")
                              + f": cannot load the certificate and key ({exc}); expected PEM files that "
                              "belong together") from None
    meddx_home()  # MEDDX_HOME must be a usable folder (keys, audit log, registry live there)


def _check_stores(models: list[str], db: Path) -> None:
    """Open the keys/audit database and the registry now: a damaged one fails inside uvicorn's
    lifespan as a traceback. A ``--model`` not registered yet is only warned about (the server
    picks it up when it is registered)."""
    from meddx.cli.keys import keys_database
    from meddx.registry.store import list_bundles
    from meddx.serving.auth import list_keys

    with keys_database():
        list_keys(db)
    names = {record.name for record in list_bundles()}
    for name in models:
        if name not in names:
            typer.echo(f"meddx serve: warning: --model {name!r} is not registered (registered: "
                       f"{', '.join(sorted(names)) or 'none'}); it is served once registered", err=True)


def _check_address(host: str, port: int) -> None:
    """Resolve ``host`` and bind ``host:port`` once, now: uvicorn would first load every model, then
    log the failure over several lines and exit 1. (A port taken between this check and uvicorn's
    bind still fails there; this catches the common case.)"""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise typer.BadParameter(f"{host!r}: cannot resolve ({exc}); expected an address or host name",
                                 param_hint="--host") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            raise typer.BadParameter(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another "
                                     "--port, or stop what holds it", param_hint="--port") from None
