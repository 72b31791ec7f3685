"""SoftmaxMean: the mean of member probabilities, as logits; build_network from a bundle spec."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from meddx.models.ensemble import SoftmaxMean, build_network
from meddx.tasks.ensemble import member_head


class _Fixed(nn.Module):
    """Returns fixed logits (broadcast over the batch), whatever the input."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.tensor(logits)[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(x.shape[0], -1, *x.shape[2:])


def test_output_softmax_is_the_mean_of_member_probabilities() -> None:
    a, b = _Fixed([2.0, 0.0, -1.0]), _Fixed([-3.0, 1.0, 0.5])
    x = torch.zeros(2, 1, 4, 5)
    out = SoftmaxMean([a, b], member_head("segmentation"))(x)
    expected = (torch.softmax(a(x), 1) + torch.softmax(b(x), 1)) / 2
    assert out.shape == (2, 3, 4, 5)
    torch.testing.assert_close(torch.softmax(out, 1), expected)
    # The ensemble decides by the mean probability, not by either member: a says class 0
    # (p .84), b says class 1 (p .51); the mean puts class 0 first (.43 vs .32).
    assert int(out[0, :, 0, 0].argmax()) == 0 and int(b(x)[0, :, 0, 0].argmax()) == 1


def test_one_member_is_that_member() -> None:
    a = _Fixed([0.3, -0.2])
    x = torch.zeros(1, 1, 2, 2)
    one = SoftmaxMean([a], member_head("segmentation"))
    torch.testing.assert_close(torch.softmax(one(x), 1), torch.softmax(a(x), 1))
    with pytest.raises(ValueError):
        SoftmaxMean([], member_head("segmentation"))


def test_build_network_from_a_bundle_spec() -> None:
    spec = {"name": "unet", "num_classes": 3, "args": {"spatial_dims": 2, "image_size": 32, "channels": [8, 16]}}
    single = build_network(spec)
    ensemble = build_network({**spec, "ensemble": 2}, member_head("segmentation"))
    assert not isinstance(single, SoftmaxMean) and isinstance(ensemble, SoftmaxMean)
    keys = ensemble.state_dict().keys()
    assert {k.split(".")[1] for k in keys} == {"0", "1"} and all(k.startswith("members.") for k in keys)
    # members are independent copies: loading member weights into one leaves the other alone
    ensemble.members[0].load_state_dict(single.state_dict())
    x = torch.randn(1, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ensemble.members[0].eval()(x), single.eval()(x))
        assert not torch.allclose(ensemble.members[1].eval()(x), single(x))


def _text_pair(name: str) -> tuple[nn.Module, nn.Module]:
    from meddx.models.registry import create_model

    torch.manual_seed(0)
    a, b = (create_model(name, num_classes=3, vocab_size=40).eval() for _ in range(2))
    return a, b


def test_text_members_get_ids_and_mask_and_their_attention_is_averaged() -> None:
    a, b = _text_pair("bilstm-attention")
    ids = torch.tensor([[5, 9, 12, 3, 0, 0], [7, 7, 2, 30, 11, 4]])
    mask = (ids != 0).long()
    net = SoftmaxMean([a, b], member_head("multiclass")).eval()
    with torch.no_grad():
        expected = (torch.softmax(a(ids, mask), 1) + torch.softmax(b(ids, mask), 1)) / 2
        torch.testing.assert_close(torch.softmax(net(ids, mask), 1), expected)
        weights = net.attention(ids, mask)
        torch.testing.assert_close(weights, (a.attention(ids, mask) + b.attention(ids, mask)) / 2)
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert float(weights[0, 4:].abs().sum()) == 0.0  # padding gets no weight in any member
    assert net.input_embeddings() == [a.get_input_embeddings(), b.get_input_embeddings()]


def test_attention_is_absent_when_the_members_have_none() -> None:
    assert hasattr(SoftmaxMean(list(_text_pair("bilstm-attention")), member_head("multiclass")), "attention")
    assert not hasattr(SoftmaxMean(list(_text_pair("transformer")), member_head("multiclass")), "attention")
    assert not hasattr(SoftmaxMean([_Fixed([0.0, 1.0])], member_head("segmentation")), "attention")
