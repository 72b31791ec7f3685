"""Flipped and rotated copies: a sample that is another's mirror image or right-angle rotation.

Public image sets (brain MRI, dermoscopy, pathology tiles) often hold a training image's mirror,
or its 90/180/270-degree rotation, in the test split: augmentation output saved next to the
originals, or a slide exported twice. The perceptual hash of a flipped image shares nothing with
the original's, so the near-copy search (:mod:`meddx.data.verify_pairs`) never sees these pairs.

Here each distinct 2D image's 32x32 grey thumbnail (the picture ``phash`` hashes, kept with every
fingerprint) is turned by each element of the dihedral group (flips, rotations, transposes), its
64-bit perceptual hash recomputed from it, and the turned hashes are looked up among the
originals' hashes by the same pigeonhole banding as near copies (only items sharing one of
``limit + 1`` hash bands are compared, so the work stays near linear), then confirmed by the
correlation of the turned and the original thumbnails. Six turns suffice: a pair found under a
rotation by 90 degrees is the same pair as one under 270 degrees read the other way.

A pair whose two images are already exact or near copies of each other (a symmetric picture:
its mirror is itself) is not reported again. Copies are grouped by connected components over
the exact/near clusters they link, each member naming how it is turned relative to the group's
first member. Volumes are not searched (their symmetries are 48, not 8).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

TURNS: dict[str, str] = {
    "as is": "as is",
    "flip_lr": "flipped left-right",
    "flip_ud": "flipped up-down",
    "rot90": "rotated 90 degrees counter-clockwise",
    "rot180": "rotated 180 degrees",
    "rot270": "rotated 270 degrees counter-clockwise",
    "transpose": "transposed (flipped about the main diagonal)",
    "transverse": "flipped about the anti-diagonal",
}
"""Each element of the dihedral group by its report name, and how the printed summary words it."""

_SEARCHED = ("flip_lr", "flip_ud", "rot90", "rot180", "transpose", "transverse")  # rot270: rot90 read backwards
_SIDE = 32  # thumbnail side (verify._THUMB)
_ROW_CHUNK = 512
_CELLS = 2**20  # rows x bucket members compared at once (about 40 MB of popcount work arrays)


def turn(array: np.ndarray, name: str) -> np.ndarray:
    """``array`` (last two axes: rows, columns) turned by the dihedral element ``name``."""
    if name == "as is":
        return array
    if name == "flip_lr":
        return array[..., ::-1]
    if name == "flip_ud":
        return array[..., ::-1, :]
    if name.startswith("rot"):
        return np.rot90(array, int(name[3:]) // 90, axes=(-2, -1))
    if name == "transpose":
        return np.swapaxes(array, -1, -2)
    if name == "transverse":
        return np.swapaxes(np.rot90(array, 2, axes=(-2, -1)), -1, -2)
    raise KeyError(name)


_PROBE = np.arange(4).reshape(2, 2)  # the 8 turns of an asymmetric 2x2 array are all different


def compose(outer: str, inner: str) -> str:
    """The turn equal to ``inner`` then ``outer``."""
    done = turn(turn(_PROBE, inner), outer)
    return next(name for name in TURNS if np.array_equal(turn(_PROBE, name), done))


def thumb_hashes(thumbs: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """64-bit perceptual hashes (``imagehash.phash`` at hash size 8) of (n, 32, 32) thumbnails,
    ``chunk`` thumbnails at a time (their float64 DCT: 8 KB each, and two copies in the transform)."""
    import scipy.fftpack

    out = np.empty((len(thumbs), 64), dtype=bool)
    for start in range(0, len(thumbs), chunk):
        x = thumbs[start:start + chunk].astype(np.float64)
        dct = scipy.fftpack.dct(scipy.fftpack.dct(x, axis=1), axis=2)[:, :8, :8].reshape(len(x), 64)
        out[start:start + chunk] = dct > np.median(dct, axis=1, keepdims=True)
    return out


def _standardise(thumbs: np.ndarray) -> np.ndarray:
    """(n, 1024) rows scaled so a dot product is the Pearson correlation; constant rows stay zero."""
    from meddx.data.verify_pairs import _standardise as standardise

    return standardise(thumbs.reshape(len(thumbs), -1))


def dihedral_links(thumbs: np.ndarray, cluster: np.ndarray, limit: int,
                   min_correlation: float) -> dict[tuple[int, int], tuple[str, int]]:
    """Turned copies among ``thumbs`` ((n, 32, 32) uint8), keyed by the pair of ``cluster`` codes
    they link (clusters: exact/near copies of each other; a pair inside one cluster is no news).

    A value ``(name, distance)`` for key ``(a, b)`` means an image of cluster ``a`` is an image of
    cluster ``b`` turned by ``name``, its hash ``distance`` bits away; one link per cluster pair."""
    n = len(thumbs)
    base = thumb_hashes(thumbs)
    packed = np.packbits(base, axis=1)
    unit = _standardise(thumbs)  # a turned thumbnail standardised is the standardised one turned: no copy
    bands = np.array_split(np.arange(64), min(limit + 1, 64))
    links: dict[tuple[int, int], tuple[str, int]] = {}
    for name in _SEARCHED:
        turned = turn(thumbs, name)
        bits = thumb_hashes(turned)
        tpacked = np.packbits(bits, axis=1)
        for band in bands:
            keys = np.packbits(np.concatenate([base[:, band], bits[:, band]]), axis=1)
            _, bucket = np.unique(keys, axis=0, return_inverse=True)
            bucket = bucket.ravel()
            order = np.argsort(bucket, kind="stable")
            for members in np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1):
                orig, turn_of = members[members < n], members[members >= n] - n
                if not len(orig) or not len(turn_of):
                    continue
                _link(links, name, packed, tpacked, unit, cluster, orig, turn_of, limit, min_correlation)
    return links


def _link(links: dict[tuple[int, int], tuple[str, int]], name: str, packed: np.ndarray, tpacked: np.ndarray,
          unit: np.ndarray, cluster: np.ndarray, orig: np.ndarray, turn_of: np.ndarray, limit: int,
          min_correlation: float) -> None:
    """Add to ``links`` the pairs of one band bucket: originals ``orig`` against the ``name``-turned
    ``turn_of``, within ``limit`` hash bits and correlated, in different clusters. Rows go in chunks
    and correlations are one matrix product per chunk (never a thumbnail gathered per pair), so
    memory stays bounded when thousands of near-identical images share a bucket."""
    from meddx.data.verify_pairs import _POPCOUNT

    turned_units = turn(unit[turn_of].reshape(-1, _SIDE, _SIDE), name).reshape(len(turn_of), -1)
    candidates = tpacked[turn_of]
    step = max(1, min(_ROW_CHUNK, _CELLS // len(turn_of)))
    for start in range(0, len(orig), step):
        rows = orig[start:start + step]
        dist = _POPCOUNT[packed[rows][:, None, :] ^ candidates[None, :, :]].sum(axis=-1)
        close = (dist <= limit) & (cluster[rows][:, None] != cluster[turn_of][None, :])
        if not close.any():
            continue
        close &= (unit[rows] @ turned_units.T) >= min_correlation
        ii, jj = np.nonzero(close)
        pairs, first = np.unique(np.stack([cluster[rows[ii]], cluster[turn_of[jj]]], axis=1), axis=0,
                                 return_index=True)
        for (ca, cb), k in zip(pairs.tolist(), first.tolist()):
            if (ca, cb) not in links and (cb, ca) not in links:
                links[ca, cb] = (name, int(dist[ii[k], jj[k]]))


def flipped_rotated_members(prints: dict[str, tuple[np.ndarray, np.ndarray]], by_digest: dict[str, list[int]],
                            near_groups: list[list[int]], max_distance: int | None,
                            min_correlation: float) -> list[tuple[list[int], dict[int, str], int]]:
    """Groups of flipped/rotated copies among the samples of 2D fingerprints ``prints`` (digest ->
    hash bits, 32x32 thumbnail; ``by_digest``: digest -> sample indices; ``near_groups``: the near
    groups already found, as sample indices). Each group: its sorted sample indices, each
    sample's turn relative to the group's first sample, and the largest hash distance of its
    links. ``max_distance`` counts bits per ``prints``' hash length; scaled to the 64 bits here."""
    digests = [d for d, (bits, thumb) in prints.items() if thumb.size == _SIDE * _SIDE]
    if len(digests) < 2:
        return []
    nbits = len(prints[digests[0]][0])
    limit = 2 if max_distance is None else round(max_distance * 64 / nbits)
    group_of = {k: g for g, members in enumerate(near_groups) for k in members}
    cluster = np.array([group_of.get(by_digest[d][0], len(near_groups) + i) for i, d in enumerate(digests)])
    thumbs = np.stack([prints[d][1].reshape(_SIDE, _SIDE) for d in digests])
    links = dihedral_links(thumbs, cluster, limit, min_correlation)
    if not links:
        return []
    samples: dict[int, list[int]] = defaultdict(list)  # cluster code -> its samples
    for i, d in enumerate(digests):
        samples[int(cluster[i])] += by_digest[d]
    return [_oriented(component, links, samples) for component in _components(links)]


def _components(links: dict[tuple[int, int], tuple[str, int]]) -> list[list[int]]:
    """Cluster codes joined by links, each component's codes sorted."""
    from meddx.data.splits import code_groups, component_codes

    codes = sorted({c for pair in links for c in pair})
    index = {c: k for k, c in enumerate(codes)}
    comp = component_codes(len(codes), [(index[a], index[b]) for a, b in links])
    return [[codes[k] for k in members] for members in code_groups(comp)]


def _oriented(component: list[int], links: dict[tuple[int, int], tuple[str, int]],
              samples: dict[int, list[int]]) -> tuple[list[int], dict[int, str], int]:
    """One group: its samples, each one's turn relative to the first sample, the largest distance."""
    inside = {pair: link for pair, link in links.items() if pair[0] in component}
    root = min(component, key=lambda c: min(samples[c]))
    turn_of = {root: "as is"}
    pending = [root]
    while pending:  # breadth first over the links: a = turn(b) so b = inverse(turn)(a)
        c = pending.pop()
        for (a, b), (name, _) in inside.items():
            if a == c and b not in turn_of:
                turn_of[b] = compose(_inverse(name), turn_of[a])
                pending.append(b)
            elif b == c and a not in turn_of:
                turn_of[a] = compose(name, turn_of[b])
                pending.append(a)
    members = sorted(k for c in component for k in samples[c])
    return members, {k: turn_of[c] for c in component for k in samples[c]}, max(d for _, d in inside.values())


def _inverse(name: str) -> str:
    return next(other for other in TURNS if compose(other, name) == "as is")
