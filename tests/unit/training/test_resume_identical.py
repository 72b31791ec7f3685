"""A run interrupted after its first epoch and resumed ends with the same weights, bit for bit,
as the same run left alone (``--seed N --deterministic``).

Found by an audit: a resumed run re-created the loader's shuffling generator, the augmentation's
own generators and the global ones from the seed, so the epochs after the interruption shuffled
and augmented as the first epochs had (6 of 7 tensors of a seed-cnn differed after 3 epochs).
Under ``--dp`` the resumed run also normalised its training images in float32 with the released
statistics, where the release had done it in float64 (other inputs in the last bit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import torch

import meddx.training.checkpoint as checkpoint
from meddx.training.config import TrainConfig
from meddx.training.fit import TrainingInterrupted, fit


def _train(config: TrainConfig, **options: Any) -> Path:
    return fit(config, progress=False, **options).run_dir


def _interrupted_after_first_epoch_then_resumed(config: TrainConfig, **options: Any) -> Path:
    """Ctrl-C right after epoch 0's ``last.ckpt`` is written (as test_training_interrupt does), then
    ``meddx train --resume`` of the run folder."""
    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if trainer.current_epoch == 0:
            raise KeyboardInterrupt

    with mock.patch.object(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt):
        with pytest.raises(TrainingInterrupted) as caught:
            fit(config, progress=False, **options)
    run_dir = Path(str(caught.value).rsplit("--resume ", 1)[1])
    assert torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] == 0
    fit(None, resume=run_dir, progress=False)
    return run_dir


def _assert_same_final_state(left: Path, right: Path) -> None:
    a, b = (torch.load(d / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True) for d in (left, right))
    assert a["epoch"] == b["epoch"] == 2
    differing = [k for k in a["state_dict"] if not torch.equal(a["state_dict"][k], b["state_dict"][k])]
    assert not differing, f"{len(differing)} of {len(a['state_dict'])} tensors differ: {differing[:4]}"
    moments = [(x, y) for s, t in zip(a["optimizer_states"][0]["state"].values(), b["optimizer_states"][0]["state"].values())
               for x, y in zip(s.values(), t.values())]
    assert moments and all(torch.equal(x, y) for x, y in moments)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    return write_image_folder(make_lesion_source(48, 16, 8, size=16, seed=3, contrast=2.0),
                              tmp_path_factory.mktemp("lesions16"))


@pytest.mark.parametrize("options", [{"augment": "light"}, {"augment": "shift", "dp": True, "noise_multiplier": 1.0}],
                         ids=["light-augmentation", "dp"])
def test_a_resumed_image_run_ends_bit_identical_to_an_uninterrupted_one(image_folder: Path, options: dict) -> None:
    if options.get("dp"):
        pytest.importorskip("opacus")
    config = TrainConfig(data=str(image_folder), model="seed-cnn", epochs=3, seed=7, deterministic=True,
                         batch_size=16, precision="32-true", **options)
    _assert_same_final_state(_train(config), _interrupted_after_first_epoch_then_resumed(config))


def test_a_resumed_run_whose_plan_file_set_the_statistics_ends_bit_identical(image_folder: Path,
                                                                           tmp_path: Path) -> None:
    """Found by an audit: with ``normalization`` from a ``--plan`` file the first run re-normalised the
    array it had normalised with the fitted statistics (float64), the resume normalised the images
    directly (float32, as val, test and predict do): other inputs in the last bit, 5 of 7 tensors
    differed after 3 epochs. The first run now normalises once, as the resume does."""
    import json

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"normalization": {"mean": [0.3], "std": [0.7]}}))
    config = TrainConfig(data=str(image_folder), model="seed-cnn", epochs=3, seed=7, deterministic=True,
                         batch_size=16, precision="32-true", augment="light")
    left = _train(config, plan_file=plan)
    _assert_same_final_state(left, _interrupted_after_first_epoch_then_resumed(config, plan_file=plan))
    assert json.loads((left / "plan.json").read_text())["normalization"]["mean"] == [0.3]


def test_a_resumed_text_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path: Path) -> None:
    """Documents: the loader's shuffling and the global generator (dropout of bilstm-attention)."""
    from meddx.data.synthetic_text import write_text_csv

    notes = write_text_csv(tmp_path / "notes.csv", n=90, seed=3)
    config = TrainConfig(data=str(notes), model="bilstm-attention", epochs=3, seed=5, deterministic=True,
                         baseline=False)
    _assert_same_final_state(_train(config), _interrupted_after_first_epoch_then_resumed(config))


def test_a_resumed_segmentation_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path: Path) -> None:
    """Patch sampling (a numpy Generator) and MONAI dictionary transforms, whose affine grid's
    generator sits deeper below the loader than the image path's."""
    from meddx.data.synthetic_seg import write_seg_folder

    folder = write_seg_folder(tmp_path / "seg", n=16, spatial_dims=2, size=32, seed=1)
    config = TrainConfig(data=str(folder), epochs=3, seed=5, deterministic=True)
    _assert_same_final_state(_train(config), _interrupted_after_first_epoch_then_resumed(config))


def test_the_generators_of_a_loader_are_found_in_the_same_order_after_use() -> None:
    """What the checkpoint holds must map back onto a freshly built loader, generator by generator."""
    import numpy as np

    from meddx.training.rng_state import get_state, loader_generators, set_state
    from meddx.training.seg_data import PatchDataset, build_seg_augmentation
    from meddx.training.seg_fit import _loader

    def build() -> Any:
        images = [np.random.default_rng(i).normal(size=(1, 24, 24)).astype(np.float32) for i in range(4)]
        masks = [(im[0] > 0.5).astype(np.uint8) for im in images]
        return _loader(PatchDataset(images, masks, [16, 16], augment=build_seg_augmentation("strong", 2, seed=3),
                                    seed=3, length=8), 4, shuffle=True, seed=3)

    used, fresh = build(), build()
    list(used)  # one epoch: every generator moves
    gens = loader_generators(used)
    # the loader's, the patch sampler's and one per random transform (and per inner transform)
    assert len(gens) > 10 and len(gens) == len(loader_generators(fresh))
    for target, source in zip(loader_generators(fresh), gens):
        set_state(target, get_state(source))
    assert all(torch.equal(x["image"], y["image"]) for x, y in zip(used, fresh))
