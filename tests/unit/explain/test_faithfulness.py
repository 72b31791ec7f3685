"""Faithfulness metrics: a known-truth model separates true, random and reversed attributions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError, DataError
from meddx.explain.faithfulness import deletion_insertion, pointing_game, randomisation_check, summarise

torch.set_num_threads(1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _region_score(region: np.ndarray, scale: float = 1.0, offset: float = 0.0):
    """score(batch) = sigmoid(scale * sum of x over ``region`` (trailing axes) - offset), one per input."""
    def score(batch: np.ndarray) -> np.ndarray:
        b = np.asarray(batch, dtype=float)
        mask = np.broadcast_to(region, b.shape[1:])
        return _sigmoid(scale * (b * mask).reshape(len(b), -1).sum(axis=1) - offset)
    return score


def _image_case(shape: tuple[int, ...], attr_ndim: int):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, size=shape)
    region = np.zeros(shape[-attr_ndim:], dtype=bool)
    region[(slice(0, 2),) * attr_ndim] = True
    scale = 4.0 / (region.sum() * (np.prod(shape[:-attr_ndim]) if len(shape) > attr_ndim else 1))
    return x, region, _region_score(region, scale=scale, offset=2.0)


@pytest.mark.parametrize(("shape", "attr_ndim"), [((3, 8, 8), 2), ((2, 4, 6, 6), 3), ((12, 5), 2), ((3, 8, 8), 3)])
def test_true_attribution_beats_random_and_reverse(shape: tuple[int, ...], attr_ndim: int) -> None:
    x, region, score = _image_case(shape, attr_ndim)
    attr_shape = shape[-attr_ndim:]
    true = region.astype(float) if region.shape == attr_shape else None
    if true is None:  # full-shape map: region broadcast over channels
        true = np.broadcast_to(region, attr_shape).astype(float)
    out = deletion_insertion(score, x, true, steps=11)
    rev = deletion_insertion(score, x, -true, steps=11)
    rnd = deletion_insertion(score, x, np.random.default_rng(1).normal(size=true.shape), steps=11)
    assert out["deletion_auc"] < rnd["deletion_auc"] - 0.1 and out["deletion_auc"] < rev["deletion_auc"] - 0.1
    assert out["insertion_auc"] > rnd["insertion_auc"] + 0.1 and out["insertion_auc"] > rev["insertion_auc"] + 0.1
    assert out["deletion_auc"] < out["random_deletion_auc"] - 0.1
    assert out["insertion_auc"] > out["random_insertion_auc"] + 0.1
    full, empty = score(x[None])[0], score(np.zeros_like(x)[None])[0]
    np.testing.assert_allclose(out["deletion_curve"][[0, -1]], [full, empty])
    np.testing.assert_allclose(out["insertion_curve"][[0, -1]], [empty, full])
    np.testing.assert_allclose(out["fractions"], np.linspace(0, 1, 11))
    assert out["deletion_curve"].shape == (11,) and 0.0 <= out["deletion_auc"] <= 1.0


def test_token_ids_with_pad_baseline_and_batched_scoring() -> None:
    pad, key = 0, 7
    x = np.array([3, 7, 5, 7, 9, 4, 2, 7, 6, 8])
    calls: list[int] = []

    def score(batch: np.ndarray) -> np.ndarray:
        assert batch.dtype == x.dtype and set(np.unique(batch)) <= set(np.unique(x)) | {pad}
        calls.append(len(batch))
        return _sigmoid(2.0 * (batch == key).sum(axis=1) - 3.0)

    true = (x == key).astype(float)
    out = deletion_insertion(score, x, true, baseline=pad, steps=6, n_random=2, batch_size=4)
    assert out["deletion_auc"] < out["random_deletion_auc"] - 0.1
    assert out["insertion_auc"] > out["random_insertion_auc"] + 0.1
    np.testing.assert_allclose(out["deletion_curve"][-1], score(np.full((1, 10), pad))[0])
    assert max(calls[:-1]) == 4 and len(calls) <= 3 * 2 * 2 + 1  # batched: 2 chunks per curve, 6 curves
    with pytest.raises(DataError, match="integer"):
        deletion_insertion(score, x, true, baseline=0.5)


def test_array_baseline_is_used() -> None:
    x = np.ones((1, 4, 4))
    blurred = np.full_like(x, 0.25)
    out = deletion_insertion(lambda b: b.reshape(len(b), -1).mean(axis=1), x, np.ones((4, 4)), baseline=blurred,
                             steps=5, n_random=0)
    np.testing.assert_allclose(out["deletion_curve"], [1.0, 0.8125, 0.625, 0.4375, 0.25])
    np.testing.assert_allclose(out["insertion_curve"], out["deletion_curve"][::-1])
    assert out["deletion_auc"] == pytest.approx(0.625)


def test_bad_inputs_raise_clear_errors() -> None:
    x = np.zeros((3, 8, 8))
    score = _region_score(np.ones((8, 8), dtype=bool))
    with pytest.raises(DataError, match=r"attribution shape \(7, 8\)"):
        deletion_insertion(score, x, np.zeros((7, 8)))
    with pytest.raises(DataError, match="attribution shape"):
        deletion_insertion(score, x, np.zeros((1, 3, 8, 8)))
    with pytest.raises(ConfigError, match="steps"):
        deletion_insertion(score, x, np.zeros((8, 8)), steps=1)
    with pytest.raises(DataError, match="baseline"):
        deletion_insertion(score, x, np.zeros((8, 8)), baseline=np.zeros((8, 8)))
    with pytest.raises(DataError, match="NaN"):
        deletion_insertion(score, x, np.full((8, 8), np.nan))
    with pytest.raises(DataError, match="one probability per input"):
        deletion_insertion(lambda b: np.zeros((len(b), 2)), x, np.zeros((8, 8)))


def test_pointing_game_hits_misses_and_tolerance() -> None:
    mask = np.zeros((10, 10), dtype=bool)
    mask[2:4, 2:4] = True
    attr = np.zeros((10, 10))
    attr[3, 3] = 1.0
    assert pointing_game(attr, mask)
    attr = np.zeros((10, 10))
    attr[3, 6] = 1.0  # 3 px right of the mask's edge
    assert not pointing_game(attr, mask)
    assert not pointing_game(attr, mask, tolerance=2)
    assert pointing_game(attr, mask, tolerance=3)
    assert not pointing_game(np.ones((10, 10)), mask)  # a flat map points nowhere
    vol_mask = np.zeros((4, 6, 6), dtype=bool)
    vol_mask[1, 1, 1] = True
    vol = np.zeros((4, 6, 6))
    vol[2, 2, 1] = 5.0
    assert not pointing_game(vol, vol_mask) and pointing_game(vol, vol_mask, tolerance=2)
    with pytest.raises(DataError, match="shape"):
        pointing_game(np.zeros((10, 9)), mask)
    with pytest.raises(DataError, match="empty"):
        pointing_game(attr, np.zeros((10, 10)))


def _grad_x_input(x: torch.Tensor):
    def explain(net: torch.nn.Module) -> np.ndarray:
        inp = x.clone().requires_grad_(True)
        net(inp)[:, 0].sum().backward()
        return (inp.grad * inp).detach()[0].numpy()
    return explain


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_randomisation_check_passes_gradient_and_fails_constant(kind: str) -> None:
    torch.manual_seed(0)
    if kind == "mlp":
        net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                                  torch.nn.Linear(32, 2))
        x = torch.sign(torch.randn(1, 64))  # |x| constant: |grad x input| = |grad|, no input imprint
    else:
        net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Tanh(),
                                  torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.Tanh(), torch.nn.Flatten(),
                                  torch.nn.Linear(4 * 8 * 8, 2))
        x = torch.sign(torch.randn(1, 1, 8, 8))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    out = randomisation_check(_grad_x_input(x), net, layers=2, seed=0)
    assert out["passed"] and out["spearman"] < 0.5, out
    assert out["layers_randomised"] == (["4", "2"] if kind == "mlp" else ["5", "2"])
    assert [c["layer"] for c in out["cascade"]] == out["layers_randomised"] and out["threshold"] == 0.5
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), f"original parameter {k} changed"
    const = randomisation_check(lambda m: np.ones((8, 8)), net, layers=2)
    assert not const["passed"] and const["spearman"] == 1.0
    input_only = randomisation_check(lambda m: np.abs(x.numpy()[0]) + np.arange(x[0].numel()).reshape(x[0].shape),
                                     net, layers=1)
    assert not input_only["passed"]


def test_randomisation_check_fails_a_map_that_reverses_the_original() -> None:
    """Found by an audit: rho -1 (the randomised model's map is the original's ranks reversed, so
    still set by the input) passed because the rule was rho < 0.5; it is |rho| < 0.5."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 2))
    image = np.arange(64, dtype=float).reshape(8, 8)
    out = randomisation_check(lambda m: image if m is net else image.max() - image + 1, net)
    assert out["spearman"] == pytest.approx(-1.0) and not out["passed"]


def test_randomisation_check_bad_layers() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(4, 2))
    with pytest.raises(ConfigError, match=r"between 1 and 1.*\['0'\]"):
        randomisation_check(lambda m: np.ones(4), net, layers=2)
    with pytest.raises(ConfigError, match="unknown"):
        randomisation_check(lambda m: np.ones(4), net, layers=["fc"])


def test_summarise_means_and_bootstrap_ci() -> None:
    results = [{"deletion_auc": d, "insertion_auc": 1 - d, "random_deletion_auc": 0.5, "random_insertion_auc": 0.5}
               for d in (0.1, 0.2, 0.3, 0.2)]
    s = summarise(results, n_boot=500)
    assert s["deletion_auc"]["mean"] == pytest.approx(0.2)
    assert s["deletion_auc"]["sd"] == pytest.approx(np.std([0.1, 0.2, 0.3, 0.2], ddof=1))
    assert 0.1 <= s["deletion_auc"]["ci_low"] <= 0.2 <= s["deletion_auc"]["ci_high"] <= 0.3
    assert s["deletion_gain"]["mean"] == pytest.approx(0.3) and s["insertion_gain"]["mean"] == pytest.approx(0.3)
    assert s["random_deletion_auc"]["ci_low"] == s["random_deletion_auc"]["ci_high"] == 0.5
    with pytest.raises(DataError, match="empty"):
        summarise([])
    with pytest.raises(DataError, match="missing keys"):
        summarise([{"deletion_auc": 0.1}])


def test_top_layers_of_an_ensemble_cover_every_member() -> None:
    """Randomising only the last member's head would leave the other networks trained: the check
    must re-initialise the top layers of each member."""
    from meddx.explain.faithfulness import top_layers
    from meddx.models.ensemble import SoftmaxMean
    from meddx.models.registry import create_model
    from meddx.tasks.ensemble import member_head

    single = create_model("bilstm-attention", num_classes=3, vocab_size=30)
    assert top_layers(single, 2) == 2
    ensemble = SoftmaxMean([create_model("bilstm-attention", num_classes=3, vocab_size=30) for _ in range(2)],
                           member_head("multiclass"))
    names = top_layers(ensemble, 2)
    assert names == ["members.0.fc", "members.0.attn_score", "members.1.fc", "members.1.attn_score"]
    ids = torch.tensor([[3, 7, 9, 12, 4, 5]])

    def explain(net: torch.nn.Module) -> np.ndarray:
        with torch.no_grad():
            return net.attention(ids, None)[0].numpy()

    result = randomisation_check(explain, ensemble, layers=names)
    assert result["layers_randomised"] == names and len(result["cascade"]) == 4
