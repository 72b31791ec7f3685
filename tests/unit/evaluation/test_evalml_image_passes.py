"""``meddx evaluate`` predicts a split of images in passes none of which holds a single image when the
split has more (``evaluation.image_passes``): a lone image ran another CPU kernel and got a probability
a float32 step from its byte-identical twin's (tests/integration/test_evalml_walk.py)."""

from __future__ import annotations

import pytest

from meddx.evaluation.image_passes import pass_bounds


@pytest.mark.parametrize(("n", "per_pass", "expected"), [
    (129, 128, [(0, 129)]),  # the 129th image joins the pass before it
    (257, 128, [(0, 128), (128, 257)]),
    (17, 16, [(0, 17)]),
    (3, 2, [(0, 3)]),
    (130, 128, [(0, 128), (128, 130)]),  # a last pass of two is left as it is
    (128, 128, [(0, 128)]),
    (1, 128, [(0, 1)]),  # a split of one image: nothing to pair it with
    (3, 1, [(0, 1), (1, 2), (2, 3)]),  # one a pass by the memory budget: every image alike
    (0, 128, []),
])
def test_no_pass_of_one_image_unless_every_pass_is(n: int, per_pass: int, expected: list[tuple[int, int]]) -> None:
    bounds = pass_bounds(n, per_pass)
    assert bounds == expected
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(n))
