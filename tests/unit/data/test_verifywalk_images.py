"""Image verify as a user cleaning an export: a folder of many images that all look alike (blank frames,
a cine clip exported as PNGs) is grouped in bounded memory, with the groups and distances of all pairs."""

from __future__ import annotations

import tracemalloc
from itertools import combinations

import numpy as np
import pytest

from meddx.data.verify import _near_components


def alike(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` items with one hash and thumbnails that are the same picture plus a little noise."""
    rng = np.random.default_rng(seed)
    bits = np.tile(rng.integers(0, 2, 64).astype(bool), (n, 1))
    picture = rng.integers(0, 200, 1024)
    thumbs = np.clip(picture + rng.integers(0, 3, (n, 1024)), 0, 255).astype(np.uint8)
    return bits, thumbs


def test_many_alike_images_are_grouped_without_a_thumbnail_per_pair() -> None:
    """Before: each chunk gathered two 32x32 float thumbnails per candidate pair (3,000 alike images:
    over 7 GB and 12 minutes, killed); 300 of them needed about 380 MB."""
    bits, thumbs = alike(300)
    tracemalloc.start()
    try:
        groups = _near_components(bits, 2, thumbs, 0.98)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert groups == [(list(range(300)), 0)]
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MB"


def brute(bits: np.ndarray, limit: int) -> tuple[list[list[int]], dict[int, int]]:
    """Components of all pairs within ``limit`` bits, and each component's largest pair distance."""
    n = len(bits)
    parent = list(range(n))

    def find(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    close = [(i, j, int((bits[i] != bits[j]).sum())) for i, j in combinations(range(n), 2)]
    close = [p for p in close if p[2] <= limit]
    for i, j, _ in close:
        parent[find(j)] = find(i)
    comps: dict[int, list[int]] = {}
    for k in range(n):
        comps.setdefault(find(k), []).append(k)
    groups = sorted(c for c in comps.values() if len(c) > 1)
    largest = {g[0]: max(d for i, _, d in close if i in g) for g in groups}
    return groups, largest


@pytest.mark.parametrize("budget", [1, 7, 10**9])
def test_folded_pairs_give_the_groups_and_distances_of_all_pairs(monkeypatch, budget: int) -> None:
    import meddx.data.verify_pairs as pairs

    monkeypatch.setattr(pairs, "_PAIR_BUDGET", budget)  # fold after every few pairs, or never
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, (25, 64)).astype(bool)
    bits = np.concatenate([base, base[:12] ^ (rng.random((12, 64)) < 0.03), base[:6] ^ (rng.random((6, 64)) < 0.05),
                           np.tile(base[20], (8, 1))])
    for limit in (0, 2, 4):
        groups, largest = brute(bits, limit)
        got = pairs._near_components(bits, limit)
        assert [g for g, _ in got] == groups, (budget, limit)
        assert {g[0]: d for g, d in got} == largest, (budget, limit)
