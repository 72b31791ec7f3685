"""Forward passes whose every row gets the same bits whatever pass it falls in.

On CPU a network's output for one input depends, by a float32 step (1e-8 to 1e-7), on how many rows
its forward pass holds: a pass of one runs the matrix-vector kernels, MKL's GEMM runs rows 1-3 and a
remainder of 4 (a one-logit head, or two threads splitting the rows) by other code than full blocks,
and oneDNN picks other convolution kernels below 16 rows (MONAI's DenseNet on one thread: passes of
2-12 rows agree with each other, not with passes of 16 or more). Measured here on Linear, seed-cnn,
ResNet-18 and DenseNet-121, on one and two threads: a pass padded to a multiple of 16 rows with
copies of its last input gives every real row the bits of any other such pass (16, 32, 128, 144).

So ``meddx predict`` of one file, ``meddx serve`` (a pass per request), the Python API and
``meddx evaluate``'s ``predictions.csv`` give the same input the same probability: every pass is
padded with copies of its last input and the copies' rows dropped. Images, volumes and documents
pad to a multiple of :data:`BLOCK_ROWS` (4: full GEMM blocks, enough for every network measured on
two threads, at 4 times the work of a lone input, not 16; DenseNet on one thread still differs
between passes under and over 16 rows); inputs whose memory budget is under 4 a pass run one at a
time. Feature rows (tables, series), cheap, pad to :data:`PASS_ROWS`. Text passes also hold one
token length each (``text_predictor``).

Feature rows (tables, a series' aggregates) have one more trap: a one- or two-logit ``Linear`` over a
row of 30 floats (120 bytes) sums a row that starts off a 64-byte boundary in another order, so the
same row got other bits at odd positions of a pass. :func:`aligned_rows` gives every row a 64-byte
aligned start (a strided view BLAS reads in place).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

PASS_ROWS = 16  # feature rows (tables, series)
BLOCK_ROWS = 4  # images, volumes, documents
# budgets (samples a pass allowed by memory) under which a pass is held to the budget when padded
SMALL_BUDGET = 64


def pass_plan(n: int, batch_size: int, budget: int, rows: int = BLOCK_ROWS) -> tuple[list[tuple[int, int]], int]:
    """``((start, stop) of each pass over n inputs, the multiple of rows each pass is padded to)``.

    ``batch_size``: the caller's inputs a pass; ``budget``: the most the memory budget allows for
    inputs of this size (``predictor.batch_size_for``); ``rows``: the padding multiple wanted. A budget
    under ``rows``: one input a pass, unpadded (padding would break it); under :data:`SMALL_BUDGET`
    (volumes, large images): passes held to the budget rounded down to ``rows``."""
    step = max(1, int(batch_size))
    if budget < rows:
        return [(start, start + 1) for start in range(n)], 1
    if budget < SMALL_BUDGET:
        step = min(step, budget // rows * rows)
    return [(start, min(start + step, n)) for start in range(0, n, step)], rows


def padded(x: torch.Tensor, unit: int) -> torch.Tensor:
    """``x`` with copies of its last row appended up to a multiple of ``unit`` rows."""
    extra = (-len(x)) % unit
    if not extra or len(x) == 0:
        return x
    return torch.cat([x, x[-1:].expand(extra, *x.shape[1:])])


def padded_list(items: Sequence[Any], unit: int) -> list[Any]:
    """``items`` with its last item repeated up to a multiple of ``unit`` (records, token rows)."""
    items = list(items)
    extra = (-len(items)) % unit
    return items + [items[-1]] * extra if items and extra else items


def aligned_rows(x: torch.Tensor) -> torch.Tensor:
    """A 2D float ``(N, F)`` ``x`` as a view whose rows each start 64 bytes apart times a whole number
    (row stride rounded up to 16 float32s), so a row's position in its pass cannot change its sums;
    anything else unchanged."""
    if x.dim() != 2 or not x.is_floating_point():
        return x
    per_line = 64 // x.element_size()
    width = -(-x.shape[1] // per_line) * per_line
    if width == x.shape[1] and x.is_contiguous():
        return x
    buffer = torch.zeros(x.shape[0], width, dtype=x.dtype)
    buffer[:, : x.shape[1]] = x
    return buffer[:, : x.shape[1]]
