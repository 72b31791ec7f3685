"""Load test of ``meddx serve`` on loopback: throughput and latency percentiles, batching on and off.

Self-contained: trains (or reuses) a tiny 28 px seed-cnn bundle on synthetic lesions in a data
root of its own, creates a viewer key, starts the server in a subprocess on a free loopback
port, and sends PNG uploads open-loop at a fixed rate (asyncio + httpx): request i is due at
t0 + i/rate whatever happened to earlier ones, and its latency counts from that due time, so a
slow server cannot hide its queueing (no coordinated omission). Bounded by --requests/--rate.

    python benchmarks/serve_load.py --requests 10000 --rate 50 --explain-requests 2000

Prints one Markdown table: batching on/off x no explanation / Grad-CAM, with throughput,
p50/p95/p99/max latency, errors and the mean batch size the server formed. The load generator
shares the machine with the server: on 2 cores, say so when quoting the numbers.

``--segmentation`` measures segmentation bundles instead (``serving.segment``: no micro-batching,
one case per worker thread): a 2D U-Net trained a few epochs on synthetic 32 px shapes (PNG
uploads), and a small untrained 3D U-Net (24^3 NIfTI-gz uploads, 16^3 patches, mirror and shift
test-time passes; latency does not depend on the weights), each with ``mask=auto`` and ``none``.

    python benchmarks/serve_load.py --segmentation --seg-requests 300 --seg-rate 10 --seg3d-rate 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import print_table  # noqa: E402

MAX_REQUESTS = 100_000


def ensure_bundle(home: Path, epochs: int) -> Path:
    """The lesions bundle under ``home``: trained once (synthetic 28 px lesions), then reused."""
    bundle = home / "bundles" / "lesions" / "v1"
    if bundle.is_dir():
        return bundle
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    data = home / "lesions-data"
    write_image_folder(make_lesion_source(300, 100, 200, size=28, seed=11, contrast=2.0), data)
    _meddx(home, ["train", "--data", str(data), "--model", "seed-cnn", "--epochs", str(epochs), "--name", "lesions",
                  "--no-progress", "--seed", "1"])
    return bundle


def _meddx(home: Path, argv: list[str]) -> str:
    env = {**os.environ, "MEDDX_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "meddx.cli.main", *argv], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"meddx {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``meddx serve`` in a subprocess, ready (``/readyz`` 200) when the block starts."""

    def __init__(self, home: Path, flags: list[str]) -> None:
        self.home, self.flags, self.port = home, flags, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        import httpx

        env = {**os.environ, "MEDDX_HOME": str(self.home)}
        self.proc = subprocess.Popen([sys.executable, "-m", "meddx.cli.main", "serve", "--port", str(self.port),
                                      "--log-level", "warning", *self.flags], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.proc.kill()
        raise SystemExit("server did not become ready in 180 s")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: Any) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def open_loop(url: str, key: str, payloads: list[bytes], n: int, rate: float, explain: bool,
                    model: str = "lesions", query: str = "", upload: tuple[str, str] = ("x.png", "image/png")
                    ) -> dict[str, Any]:
    """Send ``n`` uploads at ``rate`` per second; latency from each request's due time. ``explain_ms``
    collects the server's own timing: the explanation's, or a segmentation's ``segmentation_ms``."""
    import httpx

    path = f"/v1/models/{model}/predict" + ("?explain=gradcam" if explain else query)
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    explain_ms: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def one(i: int, due: float) -> None:
            try:
                r = await client.post(path, headers=headers, files={"file": (upload[0], payloads[i % len(payloads)],
                                                                             upload[1])})
                if r.status_code != 200:
                    errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                    return
                if explain:
                    explain_ms.append(r.json()["explanation"]["milliseconds"])
                elif "mask=" in query:
                    explain_ms.append(r.json()["segmentation_ms"])
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            latencies.append(time.perf_counter() - due)

        tasks = []
        start = time.perf_counter()
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {"latencies": latencies, "errors": errors, "wall": wall, "explain_ms": explain_ms}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def batching_stats(url: str, key: str) -> dict[str, Any]:
    import httpx

    return httpx.get(url + "/v1/models/lesions", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()["batching"]


def run_config(home: Path, key: str, payloads: list[bytes], flags: list[str],
               runs: list[tuple[str, int, bool, float]], warmup: int) -> list[list[Any]]:
    """Start one server with ``flags`` and measure each (label, requests, explain, rate) run on it."""
    rows = []
    with Server(home, flags) as server:
        asyncio.run(open_loop(server.url, key, payloads, warmup, runs[0][3], explain=True))  # warm: both paths
        for label, n, explain, rate in runs:
            before, cpu = batching_stats(server.url, key), server.cpu_seconds()
            result = asyncio.run(open_loop(server.url, key, payloads, n, rate, explain))
            cpu = server.cpu_seconds() - cpu
            after = batching_stats(server.url, key)
            batches = after["batches"] - before["batches"]
            lat = result["latencies"]
            rows.append([label, "gradcam" if explain else "none", n, rate, round(len(lat) / result["wall"], 1),
                         _pct(lat, 50), _pct(lat, 95), _pct(lat, 99), _pct(lat, 100),
                         sum(result["errors"].values()), round((after["items"] - before["items"]) / batches, 2)
                         if batches else None,
                         round(statistics.median(result["explain_ms"]), 1) if result["explain_ms"] else None,
                         round(1000 * cpu / n, 2)])
            if result["errors"]:
                print(f"{label}: errors {json.dumps(result['errors'])}", file=sys.stderr)
    return rows


def direct_timings(bundle: Path, payload: bytes, repeats: int = 200) -> dict[str, float]:
    """In-process: batch-1 forward, Grad-CAM alone, and the overlay PNG, median ms (1 torch thread)."""
    import io

    import numpy as np
    import torch
    from PIL import Image

    from meddx.bundle.bundle import load_bundle
    from meddx.explain.api import explain
    from meddx.explain.image import overlay_png, target_layer

    torch.set_num_threads(1)
    predictor = load_bundle(bundle)
    image = np.asarray(Image.open(io.BytesIO(payload)))[None]
    layer = target_layer(predictor.net, predictor.preprocess([image]))

    def median_ms(fn: Any) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return round(1000 * statistics.median(times), 2)

    e = explain(predictor, [image], "gradcam", layer=layer)[0]
    with tempfile.TemporaryDirectory() as tmp:
        return {"forward_batch1_ms": median_ms(lambda: predictor.predict_arrays([image])),
                "gradcam_ms": median_ms(lambda: explain(predictor, [image], "gradcam", layer=layer)),
                "overlay_png_ms": median_ms(lambda: overlay_png(image, e.attribution, Path(tmp) / "o.png", scale=8))}


def seg_bundles(home: Path, epochs: int) -> dict[str, tuple[list[bytes], tuple[str, str]]]:
    """The two segmentation bundles under ``home`` (made once) and their upload payloads."""
    import gzip

    import nibabel as nib
    import numpy as np

    from meddx.data.synthetic_seg import make_seg_case, write_seg_folder

    if not (home / "bundles" / "shapes2d").is_dir():
        data = write_seg_folder(home / "shapes-data", n=40, spatial_dims=2, size=32, classes=2, seed=1)
        _meddx(home, ["train", "--data", str(data), "--name", "shapes2d", "--epochs", str(max(epochs, 4)),
                      "--no-progress", "--seed", "0"])
    if not (home / "bundles" / "vol3d").is_dir():
        import torch

        from meddx.bundle.bundle import save_bundle
        from meddx.models.registry import create_model

        torch.manual_seed(3)
        args = {"in_channels": 1, "spatial_dims": 3, "channels": [8, 16], "image_size": [16, 16, 16]}
        folder = save_bundle(home / "bundles" / "vol3d", net=create_model("unet", num_classes=2, **args).eval(),
                             metrics={}, model_card="# vol3d (untrained, for load tests)", config={
                                 "name": "vol3d", "task": "segmentation", "label_names": ["background", "lesion"],
                                 "model": {"name": "unet", "num_classes": 2, "args": args}, "orientation": "RAS",
                                 "preprocessing": {"kind": "segmentation", "spatial_dims": 3, "channels": 1,
                                                   "size": None, "target_spacing": [1.0, 1.0, 1.0],
                                                   "normalization": "zscore", "ct_stats": None},
                                 "inference": {"patch_size": [16, 16, 16], "overlap": 0.25, "mirror": True,
                                               "mirror_axes": [0, 1, 2], "shift": True}})
        from meddx.registry.store import register_bundle

        os.environ["MEDDX_HOME"] = str(home)  # this script's own data root (the server is started with it too)
        register_bundle(folder)
    pngs = [p.read_bytes() for p in sorted((home / "shapes-data" / "images").glob("*.png"))[-10:]]
    volumes = []
    for seed in range(4):
        image, _ = make_seg_case(np.random.default_rng(seed), (24, 24, 24))
        volumes.append(gzip.compress(nib.Nifti1Image(image.astype(np.int16), np.eye(4)).to_bytes(), mtime=0))
    return {"shapes2d": (pngs, ("x.png", "image/png")), "vol3d": (volumes, ("x.nii.gz", "application/gzip"))}


def run_segmentation(home: Path, key: str, args: argparse.Namespace) -> None:
    """One server (default flags) serving both segmentation bundles; each measured with mask=auto and none."""
    bundles = seg_bundles(home, args.epochs)
    runs = [("shapes2d", "2D 32 px PNG", args.seg_requests, args.seg_rate),
            ("vol3d", "3D 24^3 NIfTI-gz", max(1, args.seg_requests // 5), args.seg3d_rate)]
    rows: list[list[Any]] = []
    with Server(home, ["--model", "shapes2d", "--model", "vol3d"]) as server:
        for model, what, n, rate in runs:
            payloads, upload = bundles[model]
            asyncio.run(open_loop(server.url, key, payloads, 5, rate, False, model, "?mask=none", upload))  # warm
            for mask in ("auto", "none"):
                cpu = server.cpu_seconds()
                result = asyncio.run(open_loop(server.url, key, payloads, n, rate, False, model, f"?mask={mask}",
                                               upload))
                cpu = server.cpu_seconds() - cpu
                lat, seg = result["latencies"], result["explain_ms"]
                rows.append([f"{model} ({what})", mask, n, rate, round(len(lat) / result["wall"], 1),
                             _pct(lat, 50), _pct(lat, 95), _pct(lat, 99), _pct(lat, 100),
                             sum(result["errors"].values()), round(statistics.median(seg), 1) if seg else None,
                             round(1000 * cpu / n, 1)])
                if result["errors"]:
                    print(f"{model}: errors {json.dumps(result['errors'])}", file=sys.stderr)
    print(f"load average after: {os.getloadavg()}")
    print_table("meddx serve, segmentation bundles, open loop on loopback (client and server on the same cores)",
                ["model", "mask", "requests", "rate/s", "throughput/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
                 "errors", "segmentation ms (server)", "server CPU ms/req"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per configuration without explanation")
    parser.add_argument("--explain-requests", type=int, default=500, help="requests per configuration with Grad-CAM")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second (open loop)")
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--max-wait-ms", type=float, default=2.0)
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests after start")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the bundle when it must be made")
    parser.add_argument("--home", type=Path, help="data root to make or reuse (default: a temporary one)")
    parser.add_argument("--only", choices=["on", "off"], help="run one batching setting only")
    parser.add_argument("--stress-rate", type=float, default=0.0, help="also run --stress-requests at this higher "
                        "rate (no explanation), where batching matters; 0: skip")
    parser.add_argument("--stress-requests", type=int, default=3000)
    parser.add_argument("--segmentation", action="store_true", help="measure segmentation bundles (2D, 3D) instead")
    parser.add_argument("--seg-requests", type=int, default=300, help="2D segmentation requests per mask "
                        "setting (3D: a fifth of them)")
    parser.add_argument("--seg-rate", type=float, default=10.0, help="2D segmentation requests per second")
    parser.add_argument("--seg3d-rate", type=float, default=2.0, help="3D segmentation requests per second")
    args = parser.parse_args()
    if args.requests + args.explain_requests + args.stress_requests > MAX_REQUESTS or args.rate <= 0:
        raise SystemExit(f"keep --requests + --explain-requests <= {MAX_REQUESTS} and --rate > 0")
    home = args.home or Path(tempfile.mkdtemp(prefix="meddx-serve-load-"))
    home.mkdir(parents=True, exist_ok=True)
    if args.segmentation:
        if args.seg_requests * 2.4 > MAX_REQUESTS or min(args.seg_rate, args.seg3d_rate) <= 0:
            raise SystemExit(f"keep --seg-requests <= {int(MAX_REQUESTS / 2.4)} and the rates > 0")
        key = _meddx(home, ["keys", "create", "--role", "viewer", "--name", "serve_load"]).strip()
        print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()}")
        return run_segmentation(home, key, args)
    bundle = ensure_bundle(home, args.epochs)
    key = _meddx(home, ["keys", "create", "--role", "viewer", "--name", "serve_load"]).strip()
    payloads = [p.read_bytes() for p in sorted((home / "lesions-data" / "test").rglob("*.png"))]
    print(f"bundle {bundle}; {len(payloads)} distinct PNG payloads ({min(map(len, payloads))}-"
          f"{max(map(len, payloads))} bytes); {os.cpu_count()} cores; load average before: {os.getloadavg()}")
    print("direct (in-process, 1 torch thread):", direct_timings(bundle, payloads[0]))
    runs = [("on", args.requests, False), ("on", args.explain_requests, True)]
    configs = {"on": ["--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms), "--batch-forward"],
               "off": ["--max-batch", "1"]}
    rows: list[list[Any]] = []
    for setting, flags in configs.items():
        if args.only and setting != args.only:
            continue
        todo = [(setting, n, e, args.rate) for _, n, e in runs]
        if args.stress_rate > 0:
            todo.append((setting, args.stress_requests, False, args.stress_rate))
        rows += run_config(home, key, payloads, flags, todo, args.warmup)
    print(f"load average after: {os.getloadavg()}")
    print_table("meddx serve, 28 px seed-cnn, open loop on loopback (client and server on the same cores)",
                ["batching", "explain", "requests", "rate/s", "throughput/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
                 "errors", "mean batch", "explain ms (server)", "server CPU ms/req"], rows)


if __name__ == "__main__":
    main()
