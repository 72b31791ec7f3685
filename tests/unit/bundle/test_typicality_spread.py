"""The intensity check on images whose training split has a (nearly) constant statistic.

Binary masks (AdrenalMNIST3D: every volume 0/255) all have their whole area at the extremes, so
the share-at-extremes statistic has an interquartile range of 0 on train; scored by a spread of
1e-6, one voxel of another value made an ordinary mask atypical."""

from __future__ import annotations

import numpy as np
import torch

from meddx.bundle.typicality_inputs import EPS, InputCheck, fit_inputs, input_statistics


def _masks(n: int, seed: int) -> torch.Tensor:
    """``n`` 0/1 masks (1, 12, 12, 12): a random box each, as float inputs."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 12, 12, 12), dtype=np.float32)
    for i in range(n):
        lo = rng.integers(1, 5, size=3)
        hi = lo + rng.integers(3, 7, size=3)
        x[i, 0, lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1.0
    return torch.from_numpy(x)


def _fitted() -> InputCheck:
    check, _ = fit_inputs(input_statistics(_masks(200, 0)).numpy(), input_statistics(_masks(60, 1)).numpy())
    return check


def test_masks_with_one_voxel_of_another_value_are_not_flagged() -> None:
    check = _fitted()
    test = _masks(50, 2)
    test[:, 0, 0, 0, 0] = 0.01  # one voxel of 1728 slightly above the background: the same mask
    score, _ = check.scores(input_statistics(test).numpy())
    clean, _ = check.scores(input_statistics(_masks(50, 2)).numpy())
    assert (clean > check.threshold).mean() <= 0.1  # the test masks themselves: in domain
    assert (score > check.threshold).mean() <= (clean > check.threshold).mean() + 0.02  # before: all 50


def test_blank_and_full_volumes_are_still_flagged() -> None:
    check = _fitted()
    faults = torch.stack([torch.zeros(1, 12, 12, 12), torch.ones(1, 12, 12, 12)])
    score, _ = check.scores(input_statistics(faults).numpy())
    assert (score > check.threshold).all()


def test_the_floor_is_stored_and_files_without_it_keep_theirs() -> None:
    check = _fitted()
    again = InputCheck.from_json(check.to_json())
    assert again.spread_floor == check.spread_floor > EPS
    older = {key: value for key, value in check.to_json().items() if key != "spread_floor"}
    assert InputCheck.from_json(older).spread_floor == EPS  # the rule its threshold was set by
