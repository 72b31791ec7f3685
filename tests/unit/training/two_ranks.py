"""Two real processes started as torchrun would start them (``RANK``, ``WORLD_SIZE``, a free
``MASTER_PORT``), for the unit tests of meddx's torchrun code: each runs a script that writes
``rank<N>.json`` into a folder the test reads back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_ranks(script: Path, args: list[str], results: Path) -> tuple[list[int], dict[str, dict]]:
    """Exit codes of ``python script *args`` as ranks 0 and 1 (their stderr printed, shown when a
    check fails), and the ``rank*.json`` files they wrote into ``results``, by stem."""
    base = {**os.environ, "TORCHELASTIC_RUN_ID": "test", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, str(script), *args], stderr=subprocess.PIPE, text=True,
                              env={**base, "RANK": str(rank), "LOCAL_RANK": str(rank)}) for rank in (0, 1)]
    codes, errors = [], []
    for proc in procs:
        try:
            errors.append(proc.communicate(timeout=120)[1])
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            raise
        codes.append(proc.returncode)
    print("\n".join(e[-2000:] for e in errors))
    return codes, {p.stem: json.loads(p.read_text()) for p in results.glob("rank*.json")}
