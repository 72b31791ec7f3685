"""DenseNet-121 builds the stem it is asked for.

Found by a walk of the model registry: ``stem="strided"`` (documented for densenet121 in
``meddx models`` as "strided (3x3/2, no pool)") silently built the standard 7x7/2 + max-pool stem,
so a user choosing it got another network than the one named in the plan and the listing.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models import create_model


@pytest.mark.parametrize(("stem", "kernel", "stride", "pooled"), [
    ("small", 3, 1, False), ("strided", 3, 2, False), ("standard", 7, 2, True)])
def test_densenet_stem_is_the_one_asked_for(stem: str, kernel: int, stride: int, pooled: bool) -> None:
    net = create_model("densenet121", image_size=32, stem=stem)
    conv0 = net.features.conv0
    assert (conv0.kernel_size, conv0.stride) == ((kernel, kernel), (stride, stride))
    assert isinstance(net.features.pool0, nn.Identity) is not pooled
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 2)


def test_densenet_strided_stem_in_3d_and_its_smallest_size() -> None:
    net = create_model("densenet121", spatial_dims=3, image_size=16, stem="strided")
    assert net.features.conv0.stride == (2, 2, 2)
    assert net(torch.zeros(2, 1, 16, 16, 16)).shape == (2, 2)
    assert create_model("densenet121", image_size=15, stem="strided")(torch.zeros(2, 1, 15, 15)).shape == (2, 2)
    with pytest.raises(ModelError, match="strided stem needs image_size >= 15"):
        create_model("densenet121", image_size=14, stem="strided")
