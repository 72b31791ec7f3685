"""A loaded ensemble averages its task's own head (DESIGN.md: the head is never re-implemented).

``SoftmaxMean`` used to apply its own ``torch.softmax`` to each member; a bundle's ensemble now
gets the head from ``meddx.tasks.heads`` (through ``tasks.ensemble.member_head``), so a change of
head there reaches ensembles too, while saved ensembles predict bit-identically.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.models.ensemble import SoftmaxMean
from meddx.models.registry import create_model
from meddx.tasks.ensemble import member_head


def _seg_ensemble_bundle(path: Path) -> Path:
    """A 2-member untrained 2D U-Net segmentation bundle (weights seeded 0 and 1)."""
    args = {"in_channels": 1, "spatial_dims": 2, "image_size": [16, 16], "channels": [4, 8]}
    members = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        members.append(create_model("unet", num_classes=3, **args).eval())
    config = {"name": "ens", "task": "segmentation", "label_names": ["background", "a", "b"],
              "model": {"name": "unet", "num_classes": 3, "args": args, "ensemble": 2},
              "preprocessing": {"kind": "segmentation", "spatial_dims": 2, "channels": 1, "size": [16, 16],
                                "target_spacing": None, "normalization": "zscore", "ct_stats": None},
              "inference": {"patch_size": [16, 16], "overlap": 0.5, "mirror": False, "mirror_axes": []}}
    net = SoftmaxMean(members, member_head("segmentation")).eval()
    return save_bundle(path, net=net, config=config, metrics={}, model_card="# ens")


def _old_formula(members: list[torch.nn.Module], *inputs: torch.Tensor) -> torch.Tensor:
    """What SoftmaxMean computed before it took the task's head: its own softmax per member."""
    total = sum(torch.softmax(net(*inputs).float(), dim=1) for net in members)
    return torch.log((total / len(members)).clamp_min(1e-12))


def test_a_loaded_segmentation_ensemble_predicts_bit_identically(tmp_path: Path) -> None:
    predictor = load_bundle(_seg_ensemble_bundle(tmp_path / "ens"))
    x = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        assert torch.equal(predictor.net(x), _old_formula(list(predictor.net.members), x))


def test_a_loaded_ensemble_averages_the_task_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed head in tasks.heads (here a temperature of 2) changes what the ensemble averages."""
    import meddx.tasks.heads as heads

    predictor = load_bundle(_seg_ensemble_bundle(tmp_path / "ens"))
    monkeypatch.setattr(heads, "segmentation_probs", lambda logits: torch.softmax(logits.float() / 2, dim=1))
    x = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        mean = sum(torch.softmax(net(x) / 2, dim=1) for net in predictor.net.members) / 2
        torch.testing.assert_close(predictor.net(x), torch.log(mean.clamp_min(1e-12)), rtol=0, atol=1e-6)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_text_members_average_the_classification_head_bit_identically(task: str) -> None:
    torch.manual_seed(0)
    members = [create_model("bilstm-attention", num_classes=3, vocab_size=40).eval() for _ in range(2)]
    ids = torch.tensor([[5, 9, 12, 3, 0, 0], [7, 7, 2, 30, 11, 4]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        out = SoftmaxMean(members, member_head(task))(ids, mask)  # type: ignore[arg-type]
        assert torch.equal(out, _old_formula(members, ids, mask))


def test_a_multilabel_ensemble_is_refused() -> None:
    with pytest.raises(ValueError, match="multi-label"):
        member_head("multilabel")
