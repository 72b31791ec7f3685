"""``bundle.pass_rows``: how passes are planned, padded and aligned."""

from __future__ import annotations

import torch

from meddx.bundle.pass_rows import BLOCK_ROWS, PASS_ROWS, aligned_rows, padded, padded_list, pass_plan


def test_pass_plan_pads_images_to_4_rows_to_16_and_runs_huge_inputs_alone():
    assert pass_plan(130, 128, 128) == ([(0, 128), (128, 130)], BLOCK_ROWS)
    assert pass_plan(1, 128, 128) == ([(0, 1)], BLOCK_ROWS)
    assert pass_plan(1030, 1024, 128, PASS_ROWS) == ([(0, 1024), (1024, 1030)], PASS_ROWS)  # table rows
    assert pass_plan(21, 21, 20) == ([(0, 20), (20, 21)], BLOCK_ROWS)  # 224 px: 20 a pass by the budget
    assert pass_plan(9, 128, 4) == ([(0, 4), (4, 8), (8, 9)], BLOCK_ROWS)  # 64^3 volumes
    assert pass_plan(7, 6, 6) == ([(0, 4), (4, 7)], BLOCK_ROWS)  # padding 6 to 8 would break the budget
    assert pass_plan(2, 128, 3) == ([(0, 1), (1, 2)], 1)
    x = torch.arange(3.0).reshape(3, 1)
    assert padded(x, 16).shape == (16, 1) and torch.equal(padded(x, 16)[3:], torch.full((13, 1), 2.0))
    assert padded(x, 1) is x


def test_padded_list_repeats_the_last_item():
    assert padded_list(["a", "b"], 4) == ["a", "b", "b", "b"]
    assert padded_list([], 4) == [] and padded_list(["a"], 1) == ["a"]


def test_aligned_rows_keeps_the_values_and_starts_every_row_on_64_bytes():
    x = torch.randn(5, 30)
    a = aligned_rows(x)
    assert torch.equal(a, x) and a.stride() == (32, 1) and a.data_ptr() % 64 == 0
    wide = torch.randn(3, 32)
    assert aligned_rows(wide) is wide
    ids = torch.zeros(2, 7, dtype=torch.long)
    assert aligned_rows(ids) is ids  # token ids are looked up, not summed
