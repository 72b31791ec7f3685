"""Contract of the time-series models: shapes, gradients, padding invariance, safetensors round trip."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load, save

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models, model_info

V, S, T = 5, 3, 12


def _batch(n: int = 4, steps: int = T, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    mask = (torch.rand(n, steps, V, generator=g) < 0.4).float()
    values = torch.randn(n, steps, V, generator=g) * mask
    delta = torch.rand(n, steps, V, generator=g)
    times = torch.sort(torch.rand(n, steps, generator=g), dim=1).values
    step_mask = torch.ones(n, steps)
    step_mask[0, steps // 2:] = 0  # a shorter stay
    static = torch.randn(n, S, generator=g)
    static_mask = torch.ones(n, S)
    return values, mask, delta, times, step_mask, static, static_mask


def _series_models() -> list[str]:
    return [m for m in list_models() if model_info(m).get("input") == "series"]


def test_both_series_models_are_registered() -> None:
    assert {"grud", "series-transformer"} <= set(_series_models())


@pytest.mark.parametrize("name", _series_models())
def test_logits_gradients_and_round_trip(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=2, n_variables=V, n_static=S)
    batch = _batch()
    logits = model(*batch)
    assert logits.shape == (4, 2)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0, 1])).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    model.eval()
    fresh = create_model(name, num_classes=2, n_variables=V, n_static=S).eval()
    fresh.load_state_dict(load(save(model.state_dict())))
    with torch.no_grad():
        torch.testing.assert_close(fresh(*batch), model(*batch), rtol=0, atol=0)


@pytest.mark.parametrize("name", _series_models())
def test_padding_never_changes_a_row(name: str) -> None:
    model = create_model(name, num_classes=2, n_variables=V, n_static=S).eval()
    batch = _batch()
    padded = []
    for i, t in enumerate(batch):
        if i < 5:  # time-indexed inputs: append 6 padding steps
            extra = torch.zeros(t.shape[0], 6, *t.shape[2:])
            padded.append(torch.cat([t, extra], dim=1))
        else:
            padded.append(t)
    with torch.no_grad():
        torch.testing.assert_close(model(*padded), model(*batch), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", _series_models())
def test_a_stay_without_observations_gives_finite_logits(name: str) -> None:
    model = create_model(name, num_classes=2, n_variables=V, n_static=S).eval()
    batch = list(_batch(n=2))
    batch[1] = torch.zeros_like(batch[1])
    batch[0] = torch.zeros_like(batch[0])
    batch[4] = torch.zeros_like(batch[4])  # no real steps at all
    with torch.no_grad():
        assert torch.isfinite(model(*batch)).all()


def test_grud_missing_input_decays_towards_the_mean() -> None:
    """With the input decay fixed at exp(-delta), an unobserved value is the last one times exp(-delta)."""
    from meddx.models.timeseries import GRUD

    model = GRUD(2, n_variables=1, n_static=0).eval()
    seen = []
    model.cell.register_forward_hook(lambda mod, args, out: seen.append(args[0][:, 0].clone()))
    with torch.no_grad():
        model.decay_x_weight.fill_(1.0)
        model.decay_x_bias.zero_()
        values = torch.tensor([[[2.0], [0.0]]])
        mask = torch.tensor([[[1.0], [0.0]]])
        delta = torch.tensor([[[0.0], [0.5]]])
        model(values, mask, delta, torch.zeros(1, 2), torch.ones(1, 2), torch.zeros(1, 0), torch.zeros(1, 0))
    assert seen[0].item() == pytest.approx(2.0)
    assert seen[1].item() == pytest.approx(2.0 * torch.exp(torch.tensor(-0.5)).item())


def test_bad_arguments_are_model_errors() -> None:
    with pytest.raises(ModelError, match="n_variables"):
        create_model("grud", num_classes=2, n_variables=0)
    with pytest.raises(ModelError, match="divisible"):
        create_model("series-transformer", num_classes=2, n_variables=3, d_model=30, heads=4)
