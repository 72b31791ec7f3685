"""The validation rows of a multi-process run that are real samples (tasks/distributed.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from meddx.tasks.distributed import real_rows


@pytest.mark.parametrize("n, world, batch", [(11, 2, 4), (10, 2, 4), (7, 3, 2), (5, 4, 8), (1, 2, 1)])
def test_the_mask_keeps_every_validation_sample_exactly_once(n: int, world: int, batch: int) -> None:
    """Found by an audit: with --devices 2 the validation AUC that picks the epoch counted the
    sampler's repeat of sample 0 (11 samples scored as 12)."""
    dataset = TensorDataset(torch.arange(n))
    seen: list[int] = []
    for rank in range(world):  # as Lightning builds it for validation: shuffle off, padded to equal counts
        sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=False)
        loader = DataLoader(dataset, batch_size=batch, sampler=sampler)
        module = SimpleNamespace(_trainer=SimpleNamespace(world_size=world, global_rank=rank, val_dataloaders=loader))
        for batch_idx, (ids,) in enumerate(loader):
            mask = real_rows(module, len(ids), batch_idx)
            seen += ids[mask].tolist()
    assert sorted(seen) == list(range(n))


def test_one_process_keeps_every_row() -> None:
    assert real_rows(SimpleNamespace(_trainer=None), 4, 0) is None
    assert real_rows(SimpleNamespace(_trainer=SimpleNamespace(world_size=1)), 4, 0) is None
