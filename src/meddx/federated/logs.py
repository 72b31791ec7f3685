"""Flower's logging, tamed: no telemetry, and its INFO chatter only when asked for.

Flower logs every message it sends at INFO and prints a banner each time a deprecated entry
point (``start_server``/``start_client``, used on purpose: see ``server.py``) is called. meddx
prints its own per-round lines; ``verbose`` restores Flower's.
"""

from __future__ import annotations

import logging
import os

from meddx.core.extras import needs_extra


class _DropDeprecation(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "DEPRECATED FEATURE" not in str(record.msg)


def quiet_flower(verbose: bool = False) -> None:
    """Disable Flower telemetry; show Flower's own log only at WARNING and up unless ``verbose``."""
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
    with needs_extra("federated learning"):
        from flwr.supercore.logger import FLOWER_LOGGER

    FLOWER_LOGGER.setLevel(logging.INFO if verbose else logging.WARNING)
    if not any(isinstance(f, _DropDeprecation) for f in FLOWER_LOGGER.filters):
        FLOWER_LOGGER.addFilter(_DropDeprecation())
