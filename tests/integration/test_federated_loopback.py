"""Real processes on loopback: ``meddx federated server`` here, three ``meddx federated client``
processes beside it. One FedAvg round must equal the weighted mean of what the clients sent, what
they sent must be weights and scalars only, and a client with other labels must stop the run with
the reason on both sides (that run over TLS, with certificates made here)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject: str, key, issuer, signer):  # type: ignore[no-untyped-def]
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(hours=1)))

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("meddx test CA", ca_key, None, ca_key).add_extension(
        x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256())
    cert = build("localhost", key, ca.subject, ca_key).add_extension(x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
    ).sign(ca_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def _start_clients(address: str, sites: dict[str, Path], home: Path, *extra: str) -> dict[str, subprocess.Popen]:
    env = {**os.environ, "MEDDX_HOME": str(home), "FLWR_TELEMETRY_ENABLED": "0"}
    return {name: subprocess.Popen([sys.executable, "-m", "meddx.cli.main", "federated", "client", "--server", address,
                                    "--data", str(path), "--site", name, "--threads", "1", "--max-wait", "120", *extra],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for name, path in sites.items()}


def _finish(procs: dict[str, subprocess.Popen]) -> dict[str, tuple[int, str, str]]:
    out = {}
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        out[name] = (proc.returncode, stdout, stderr)
    return out


def test_three_client_processes_one_fedavg_round(tmp_path: Path, meddx_home: Path, capsys,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from flwr.common import parameters_to_ndarrays
    from flwr.server.strategy import FedAvg

    from meddx.bundle.bundle import load_bundle

    sites = {f"site{i}": write_npz(tmp_path / f"site{i}.npz", 50 + 30 * i, seed=i + 1) for i in range(3)}
    held = write_npz(tmp_path / "held.npz", 20, seed=9, n_val=40, n_test=60)
    sent: list = []
    aggregated: list = []
    original = FedAvg.aggregate_fit

    def intercept(self, server_round, results, failures):  # type: ignore[no-untyped-def]
        sent.extend((res.parameters, res.num_examples, dict(res.metrics)) for _, res in results)
        out = original(self, server_round, results, failures)
        aggregated.extend(parameters_to_ndarrays(out[0]))
        return out

    monkeypatch.setattr(FedAvg, "aggregate_fit", intercept)
    address = f"127.0.0.1:{_free_port()}"
    procs = _start_clients(address, sites, meddx_home)
    try:
        result = run_cli(["federated", "server", "--address", address, "--min-clients", "3", "--rounds", "1",
                          "--eval-data", str(held), "--bootstrap", "50", "--name", "loopback", "--threads", "1",
                          "--connect-timeout", "120"], capsys)
    finally:
        finished = _finish(procs)
    assert result.code == 0, result.err + str(finished)
    for name, (code, stdout, stderr) in finished.items():
        assert code == 0, stderr
        assert f"site {name}: trained 1 round(s)" in stdout

    # FedAvg: the new global weights are the sample-weighted mean of the three clients' weights.
    weights = [(parameters_to_ndarrays(p), n) for p, n, _ in sent]
    assert sorted(n for _, n in weights) == [42, 68, 93]  # 85% of 50/80/110 train samples (site-val carved)
    total = sum(n for _, n in weights)
    for i, got in enumerate(aggregated):
        want = sum(w[i].astype(np.float64) * n for w, n in weights) / total
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    bundle = meddx_home / "bundles" / "loopback" / "v1"
    for got, want in zip(load_bundle(bundle).net.state_dict().values(), aggregated):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
    assert json.loads((bundle / "metrics.json").read_text())["test"]["n"] == 60

    # What crossed the network: weight tensors of the model's shapes and scalar metrics, no data.
    shapes = [tuple(v.shape) for v in load_bundle(bundle).net.state_dict().values()]
    for (params, _, metrics), (name, path) in zip(sorted(sent, key=lambda s: s[2]["site"]), sorted(sites.items())):
        assert [a.shape for a in parameters_to_ndarrays(params)] == shapes
        assert set(metrics) == {"site", "round", "train_loss", "steps"} and metrics["site"] == name
        payload = b"".join(params.tensors) + repr(metrics).encode()
        with np.load(path) as npz:
            images, labels = npz["train_images"], npz["train_labels"]
        assert not any(img.tobytes() in payload for img in images)
        assert labels.tobytes() not in payload and b"train-0" not in payload


def test_a_client_with_other_labels_is_refused_on_both_sides(tmp_path: Path, meddx_home: Path, capsys) -> None:
    sites = {"good": write_npz(tmp_path / "good.npz", 40, seed=1),
             "odd": write_npz(tmp_path / "odd.npz", 40, seed=2, classes=3)}
    ca, cert, key = _certificates(tmp_path)
    address = f"127.0.0.1:{_free_port()}"
    procs = _start_clients(address, sites, meddx_home, "--root-certificates", str(ca))
    try:
        result = run_cli(["federated", "server", "--address", address, "--min-clients", "2", "--rounds", "1",
                          "--labels", "class_0,class_1", "--image-size", "20", "--channels", "1",
                          "--connect-timeout", "120", "--certificates", f"{ca},{cert},{key}"], capsys)
    finally:
        finished = _finish(procs)
    assert result.code == 2, result.out
    assert "TLS on" in result.out and "site 'odd'" in result.err and "['class_0', 'class_1', 'class_2']" in result.err
    assert "odd.npz" not in result.err  # the site's file path stays at the site (audit)
    assert not (meddx_home / "bundles").exists()
    code, _, stderr = finished["odd"]
    assert code == 2 and "but the server expects binary with labels ['class_0', 'class_1']" in stderr
    assert "odd.npz" in stderr  # the site's own message names its file
    code, stdout, _ = finished["good"]
    assert code == 0 and "ended the federation before any training round" in stdout
