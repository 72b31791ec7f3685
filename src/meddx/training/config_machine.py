"""Refuse thread and process counts this machine cannot give, before anything is read or trained.

``--threads 100000`` ended in an ``ImportError`` traceback ("failed to map segment") or
``ValueError: Overflow`` from ``torch.set_num_threads``; ``--devices 100000`` asked Lightning to start
that many training processes on a machine of a few cores. Intra-op threads beyond the usable cores
only wait on each other (../shared/DEPENDENCIES.md measured 15x slower), so ``--threads`` above the
cores is refused on one line naming how many there are. A few more processes than cores is allowed
(slow, but a real run: two DDP processes on one core, as a test worker pinned to one core runs them);
far more is refused. Checked for new runs only (flags and the YAML config): a run resumed on another
machine keeps the counts it recorded.
"""

from __future__ import annotations

import os
from typing import Any

from meddx.core.errors import ConfigError


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity), as ``trainer.set_threads`` counts them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# At most this many training processes per usable core (and never fewer than MIN_DEVICES_CAP allowed).
DEVICES_PER_CORE = 4
MIN_DEVICES_CAP = 8


def check_machine_limits(config: Any) -> None:
    """Refuse ``num_threads`` (``--threads``) above the usable cores, and ``devices`` (``--devices``,
    processes on this machine) above ``DEVICES_PER_CORE`` per core (at least ``MIN_DEVICES_CAP``)."""
    cores = usable_cores()
    threads = config.num_threads
    if "num_threads" in config.model_fields_set and threads is not None and threads > cores:
        raise ConfigError(f"{config.named('num_threads')} {threads}: this machine has {cores} usable CPU core(s); "
                          f"expected at most {cores} (more threads than cores only wait on each other)")
    cap = max(MIN_DEVICES_CAP, DEVICES_PER_CORE * cores)
    if "devices" in config.model_fields_set and config.devices > cap:
        raise ConfigError(f"{config.named('devices')} {config.devices}: this machine has {cores} usable CPU core(s); "
                          f"expected at most {cap} training processes ({DEVICES_PER_CORE} per core)")
