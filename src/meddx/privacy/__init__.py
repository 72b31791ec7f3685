"""Privacy audits of trained bundles (membership inference). DP-SGD training itself lives in
``meddx.training.privacy``. Nothing heavy is imported here: ``meddx --help`` stays fast."""

from __future__ import annotations

__all__ = ["membership_audit", "write_membership"]


def __getattr__(name: str):  # lazy: the audit imports numpy/sklearn only when used
    if name in __all__:
        from meddx.privacy import audit

        return getattr(audit, name)
    raise AttributeError(f"module 'meddx.privacy' has no attribute {name!r}")
