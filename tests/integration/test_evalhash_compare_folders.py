"""``meddx compare`` with another seed, level or bootstrap writes to its own default folder and keeps
the earlier ``comparison.json``; the same options again reuse one; the default keeps its name."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.test_compare_label_order import _variant
from tests.integration.test_evaluate_fitted_split_warning import _manifest  # 24 PNGs, 8 a split


def test_other_options_keep_the_earlier_comparison(tmp_path: Path) -> None:
    from meddx.evaluation.compare import compare_bundles
    from meddx.evaluation.output_dirs import location_key

    manifest = _manifest(tmp_path / "data")
    a = tiny_image_bundle(tmp_path / "a", label_names=["neg", "pos"], decision={"threshold": 0.5},
                          training={"data": str(manifest), "seed": 0, "val_fraction": 0.2})
    noise = torch.Generator().manual_seed(3)
    b = _variant(a, tmp_path / "b", labels=["neg", "pos"], threshold=0.51,
                 edit=lambda t: t + 0.05 * torch.randn(t.shape, generator=noise))
    _, first = compare_bundles(str(a), str(b), str(manifest))
    assert first.parent.name == f"b-manifest-test-{location_key(b, str(manifest))}"  # the default name, as before
    before = first.read_text()
    _, second = compare_bundles(str(a), str(b), str(manifest), n_resamples=50, seed=1)
    _, again = compare_bundles(str(a), str(b), str(manifest), n_resamples=50, seed=1)
    assert second.parent != first.parent and again == second and first.read_text() == before
    assert len(list(first.parent.parent.iterdir())) == 2
