"""Core types shared by every stage: errors, paths under the data root, name registries."""

SEED_MAX = 2**32 - 1
"""Largest seed numpy's and Lightning's generators accept (every ``--seed`` is checked against it)."""
