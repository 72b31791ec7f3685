"""Groups of near-identical images from their perceptual hashes and thumbnails (split from
``data/verify.py``), in memory bounded by the source's size, not by its number of close pairs.

A folder of thousands of images that look alike (blank frames, an ultrasound cine clip exported as
PNGs, a scanner's test pattern) puts them all in one band bucket: every pair is a near duplicate. The
first version gathered a 32x32 thumbnail for each candidate pair (3,000 such images: 6 GB per chunk
of 512 rows) and kept every confirmed pair as a Python tuple, once per band; it ran out of memory.
Here a chunk's correlations are one matrix product of thumbnails, a pair is taken in the first band
its hashes agree on only, and confirmed pairs are folded into a spanning star per component (with
the component's largest distance) whenever more than :data:`_PAIR_BUDGET` have gathered; the groups
and their largest linking distance are exactly those of all pairs.
"""

from __future__ import annotations

import numpy as np

from meddx.data.splits import code_groups, component_codes

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)
_ROW_CHUNK = 512
_CELLS = 2**21  # rows x bucket members compared at once (popcount and correlation arrays of a few MB)
_PAIR_BUDGET = 2**20  # confirmed pairs kept before they are folded into one star per component


def _near_components(bits: np.ndarray, limit: int, thumbs: np.ndarray | None = None,
                     min_correlation: float = 0.98) -> list[tuple[list[int], int]]:
    """Connected groups of near-identical items, and the largest hash distance linking them.

    Candidates: pigeonhole banding. Two hashes differing in at most ``limit`` bits agree exactly
    on at least one of ``limit + 1`` disjoint bands, so only items sharing a band value are
    compared. Confirmation (when ``thumbs`` is given): the thumbnails' Pearson correlation must
    reach ``min_correlation``, because the hashes of small or sparse images (28 px MedMNIST,
    binary masks) collide for images that are merely alike.
    """
    n, nbits = bits.shape
    packed = np.packbits(bits, axis=1)
    unit = None if thumbs is None else _standardise(thumbs)
    pairs = _Pairs(n)
    buckets: list[np.ndarray] = []  # each band's bucket of every item: a pair counts in its first common band
    for band in np.array_split(np.arange(nbits), min(limit + 1, nbits)):
        _, bucket = np.unique(np.packbits(bits[:, band], axis=1), axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        for members in np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1):
            if len(members) > 1:
                for a, b, d in _close_pairs(packed, members, limit, unit, min_correlation):
                    earlier = np.zeros(len(a), dtype=bool)
                    for seen in buckets:
                        earlier |= seen[a] == seen[b]
                    pairs.add(a[~earlier], b[~earlier], d[~earlier])
        buckets.append(bucket)
    return pairs.components()


class _Pairs:
    """Confirmed pairs of ``n`` items, folded into one star per component (carrying the component's
    largest distance) when more than :data:`_PAIR_BUDGET` have gathered."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.parts: list[np.ndarray] = []  # (k, 3) arrays: a, b, distance
        self.size = 0

    def add(self, a: np.ndarray, b: np.ndarray, d: np.ndarray) -> None:
        if len(a):
            self.parts.append(np.stack([a, b, d], axis=1).astype(np.int64))
            self.size += len(a)
            if self.size > _PAIR_BUDGET:
                self.parts = [self._folded()]
                self.size = len(self.parts[0])

    def _folded(self) -> np.ndarray:
        """One edge from each component's first item to each other member, all carrying the
        component's largest distance: the same components and largest distances as the pairs."""
        pairs = np.concatenate(self.parts)
        codes = component_codes(self.n, pairs[:, :2])
        largest = np.zeros(self.n, dtype=np.int64)
        np.maximum.at(largest, codes[pairs[:, 0]], pairs[:, 2])
        first = np.full(self.n, self.n, dtype=np.int64)  # per code: the component's smallest item
        np.minimum.at(first, codes, np.arange(self.n))
        members = np.unique(pairs[:, :2])
        roots = first[codes[members]]
        members = members[members != roots]
        return np.stack([first[codes[members]], members, largest[codes[members]]], axis=1)

    def components(self) -> list[tuple[list[int], int]]:
        if not self.parts:
            return []
        pairs = np.concatenate(self.parts)
        codes = component_codes(self.n, pairs[:, :2])
        edge_max = np.zeros(self.n, dtype=np.int64)  # per component code: the largest linking distance
        np.maximum.at(edge_max, codes[pairs[:, 0]], pairs[:, 2])
        return [(members, int(edge_max[codes[members[0]]])) for members in code_groups(codes)]


def _standardise(thumbs: np.ndarray) -> np.ndarray:
    """Rows scaled so a dot product is the Pearson correlation; constant rows stay zero."""
    x = thumbs.astype(np.float32)
    x -= x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 1e-6)


def _close_pairs(packed: np.ndarray, members: np.ndarray, limit: int, unit: np.ndarray | None,
                 min_correlation: float):  # type: ignore[no-untyped-def]
    """Pairs (i < j) among ``members`` within ``limit`` hash bits (and correlated, if ``unit``), as
    arrays ``(a, b, distance)``, one triple of arrays per chunk of rows."""
    block = packed[members]
    units = None if unit is None else unit[members]
    flat = None if units is None else ~units.any(axis=1)  # blank images: correlation 0, yet alike
    step = max(1, min(_ROW_CHUNK, _CELLS // len(members)))
    for start in range(0, len(members), step):
        rows = members[start:start + step]
        dist = _POPCOUNT[block[start:start + step, None, :] ^ block[None, :, :]].sum(axis=-1)
        ii, jj = np.nonzero(dist <= limit)
        keep = rows[ii] < members[jj]
        ii, jj = ii[keep], jj[keep]
        if units is not None and flat is not None and len(ii):
            corr = units[start:start + step] @ units.T  # one product per chunk, not a thumbnail per pair
            keep = (corr[ii, jj] >= min_correlation) | (flat[start + ii] & flat[jj])
            ii, jj = ii[keep], jj[keep]
        yield rows[ii], members[jj], dist[ii, jj].astype(np.int64)
