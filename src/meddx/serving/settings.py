"""Every knob of the server in one dataclass: network, limits, batching, threads, CORS."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_threads() -> int:
    """Inference threads sized to the cores this process may use (affinity, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class ServeSettings:
    """How ``create_app`` serves. Defaults are safe for one clinic workstation.

    ``models``: bundle names to serve (empty: every registered name). ``max_batch`` 1 turns
    micro-batching off. ``batch_forward`` False (default): a micro-batch runs one forward pass per
    input, so each answer equals the one its input gets alone; True: one shared pass (faster for
    large models; probabilities then move by ~1e-7 with the batch mates). ``torch_threads`` 0 means cores // worker threads (at least 1).
    ``db``: the SQLite file for keys and the audit log (default ``MEDDX_HOME/serving.db``).
    ``max_zip_entries``/``max_unzipped_mb`` bound a DICOM series sent as one ZIP (``serving.series_zip``);
    its voxels count against ``max_voxels`` as a volume's do.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    models: list[str] = field(default_factory=list)
    max_batch: int = 16
    max_wait_ms: float = 2.0
    batch_forward: bool = False
    max_queue: int = 256
    worker_threads: int = field(default_factory=default_threads)
    torch_threads: int = 0
    max_upload_mb: float = 20.0
    max_pixels: int = 40_000_000
    max_voxels: int = 64_000_000
    max_zip_entries: int = 4096  # a DICOM series ZIP: entries in its directory
    max_unzipped_mb: float = 256.0  # ... and the bytes they unpack to (declared, then counted)
    max_text_chars: int = 100_000
    upload_timeout_s: float = 30.0
    predict_timeout_s: float = 30.0  # decoding the upload and predicting, from when the body is in
    poll_seconds: float = 5.0
    warmup: bool = True
    cors_origins: list[str] = field(default_factory=list)
    key_cache_seconds: float = 2.0
    docs: bool = True
    db: Path | None = None

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def resolved_torch_threads(self) -> int:
        if self.torch_threads > 0:
            return self.torch_threads
        return max(1, default_threads() // max(1, self.worker_threads))

    def database(self) -> Path:
        """``db`` or ``MEDDX_HOME/serving.db`` (keys and audit log, apart from the bundle registry)."""
        from meddx.core.paths import meddx_home

        return Path(self.db) if self.db else meddx_home() / "serving.db"
