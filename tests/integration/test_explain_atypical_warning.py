"""``meddx explain`` warns, as ``meddx predict`` does, about an image unlike the training images:
its heatmap explains a prediction that is unreliable for that input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cli_helpers import run_cli


def test_explain_warns_on_a_blank_image_and_not_on_a_training_image(trained: dict, tmp_path: Path, capsys) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(blank)
    typical = next(p for p in sorted((trained["folder"] / "train").rglob("*.png")))
    result = run_cli(["explain", str(trained["bundle"]), str(blank), str(typical), "-m", "saliency",
                      "-o", str(tmp_path / "out")], capsys)
    assert result.code == 0, result.err
    assert f"warning: {blank}: unlike the images bundle 'lesions' was trained on" in result.err
    assert result.err.count("unlike the images bundle") == 1  # the training image is not flagged
    assert "unlike" not in result.out  # stdout keeps its table (and --json its JSON lines)
