"""A run started before carved validation grouped near copies resumes on the split it started with.

Found in review: after the near-copy grouping landed, resuming such a run re-carved validation the
new way, and the data check refused it as "not the data run started on" (a misleading message: the
data had not changed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli


def _folder(root: Path) -> Path:
    """Two classes of 12 smooth random PNGs each, plus a JPEG re-encoding of each class's first image."""
    from PIL import Image
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(7)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(12):
            field = gaussian_filter(rng.standard_normal((32, 32)), sigma=3)
            field = (field - field.min()) / (field.max() - field.min())
            Image.fromarray((field * 255).astype(np.uint8)).save(root / label / f"{i}.png")
        Image.open(root / label / "0.png").save(root / label / "0-copy.jpg", quality=70)
    return root


def _straddling_seed(root: Path) -> int:
    """A seed whose carve without near-copy grouping (the old one) splits a copy from its original."""
    from meddx.data.sources import load_source

    for seed in range(50):
        val = {(Path(p).parent.name, Path(p).name) for p in
               load_source(root, seed=seed, near_copies=False).split("val").paths}
        if any(((c, "0.png") in val) != ((c, "0-copy.jpg") in val) for c in ("a", "b")):
            return seed
    raise AssertionError("no seed splits a near copy from its original")


def test_a_run_carved_the_old_way_resumes_on_its_own_split(tmp_path: Path, meddx_home: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.data.splits as splits

    root = _folder(tmp_path / "images")
    seed = _straddling_seed(root)
    carve = splits.carve_validation

    def old_carving(source, fraction=0.1, seed=0, near_copies=True, membership=None):  # type: ignore[no-untyped-def]
        return carve(source, fraction=fraction, seed=seed, near_copies=False, membership=membership)

    with monkeypatch.context() as patch:  # the run starts under the carving of earlier meddx versions
        patch.setattr(splits, "carve_validation", old_carving)
        first = run_cli(["train", "--data", str(root), "--model", "seed-cnn", "--epochs", "1",
                         "--seed", str(seed), "--name", "oldcarve", "--no-progress"], capsys)
    assert first.code == 0, first.err
    run_dir = next((meddx_home / "runs").iterdir())
    notes = json.loads((run_dir / "data.json").read_text())["notes"]
    assert any(n.startswith("validation carved") and "near copies" not in n for n in notes)
    plan = json.loads((run_dir / "plan.json").read_text())
    (run_dir / "plan.json").write_text(json.dumps({**plan, "epochs": 2}))
    resumed = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert resumed.code == 0, resumed.err
    assert json.loads((meddx_home / "bundles" / "oldcarve" / "v2" / "config.json").read_text())["training"][
        "epochs_run"] == 2
