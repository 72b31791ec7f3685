"""A missing split's error advises what the caller can do (found by a docs audit: ``data/base.py``
told every caller to "evaluate on val (--split val ...)", advice only ``evaluate`` and its kin can
follow). ``evaluate`` keeps its advice; a federated site is told what a site needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.base import ImageSource, SplitData, missing_split_advice


def _source(splits: tuple[str, ...]) -> ImageSource:
    data = {s: SplitData(ids=[f"{s}-0", f"{s}-1"], labels=np.array([0, 1]), images=np.zeros((2, 1, 4, 4), np.uint8))
            for s in splits}
    return ImageSource(name="held", origin="held.npz", task="binary", label_names=["a", "b"], spatial_dims=2,
                       splits=data)


def test_evaluate_on_a_source_without_test_advises_split_val_or_train() -> None:
    from meddx.evaluation.evaluate import predict_split

    with pytest.raises(DataError) as err:
        predict_split(None, _source(("train", "val")), "test")  # the split is looked up before the bundle is used
    msg = str(err.value)
    assert msg.startswith("held.npz: no split 'test'; available splits: train, val; evaluate on val (--split val")
    assert "--split train" in msg


def test_a_caller_gives_its_own_advice_or_none() -> None:
    source = _source(("val",))
    with missing_split_advice({"train": "give the site training samples"}), pytest.raises(DataError) as err:
        source.split("train")
    assert str(err.value) == "held.npz: no split 'train'; available splits: val; give the site training samples"
    with missing_split_advice({}), pytest.raises(DataError) as err:
        source.split("test")
    assert str(err.value) == "held.npz: no split 'test'; available splits: val"
    with pytest.raises(DataError, match="--split val"):  # the default is back outside the block
        source.split("test")


def test_a_federated_site_without_train_is_told_what_a_site_needs(tmp_path: Path) -> None:
    """A site folder with only ``test/``: refused before connecting, with a site's advice (it used to
    try the server and report 'no connection' or fail inside Flower's admission check)."""
    from PIL import Image

    from meddx.federated.client import run_client

    for label in ("normal", "tumour"):
        folder = tmp_path / "site" / "test" / label
        folder.mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((12, 12), 40 * i + (label == "tumour") * 100, np.uint8)).save(folder / f"{i}.png")
    with pytest.raises(DataError) as err:
        run_client(str(tmp_path / "site"), "127.0.0.1:1", max_wait=0)
    msg = str(err.value)
    assert "no split 'train'; available splits: test; a site trains on its own train split" in msg
    assert "--split" not in msg and "\n" not in msg
