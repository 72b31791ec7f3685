"""``meddx serve``: the API and web page for registered bundles (FastAPI + uvicorn)."""

from __future__ import annotations

from typing import List, Optional

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; loopback by default. Anything else "
                             "should sit behind a TLS-terminating reverse proxy."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    models: Optional[List[str]] = typer.Option(None, "--model", help="Serve only this bundle name (repeat for "
                                               "several); default: every registered name."),
    max_batch: int = typer.Option(16, "--max-batch", min=1, help="Largest micro-batch; 1 turns batching off."),
    max_wait_ms: float = typer.Option(2.0, "--max-wait-ms", min=0.0, help="How long a batch waits to fill."),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", min=0.01, help="Largest request body."),
    max_pixels: int = typer.Option(40_000_000, "--max-pixels", help="Largest 2D image (pixels) decoded."),
    max_voxels: int = typer.Option(64_000_000, "--max-voxels", help="Largest 3D volume (voxels) decoded."),
    worker_threads: int = typer.Option(0, "--workers-threads", help="Inference/decoding threads (0: the cores "
                                       "this process may use)."),
    torch_threads: int = typer.Option(0, "--torch-threads", help="Torch intra-op threads (0: cores / worker threads)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds allowed for an upload and for a prediction."),
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

    import uvicorn

    from meddx.serving.app import create_app
    from meddx.serving.settings import ServeSettings, default_threads

    settings = ServeSettings(
        host=host, port=port, models=list(models or []), max_batch=max_batch, max_wait_ms=max_wait_ms,
        max_upload_mb=max_upload_mb, max_pixels=max_pixels, max_voxels=max_voxels,
        worker_threads=worker_threads or default_threads(), torch_threads=torch_threads,
        upload_timeout_s=timeout, predict_timeout_s=timeout, poll_seconds=poll_seconds,
        cors_origins=list(cors_origins or []), docs=not no_docs,
    )
    if host not in ("127.0.0.1", "localhost", "::1") and not ssl_certfile:
        typer.echo(f"meddx serve: warning: binding {host} without TLS; keys would cross the network in clear. "
                   "Put a TLS-terminating proxy in front or pass --ssl-certfile/--ssl-keyfile.", err=True)
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, ssl_certfile=ssl_certfile,
                ssl_keyfile=ssl_keyfile, server_header=False, timeout_keep_alive=10)
