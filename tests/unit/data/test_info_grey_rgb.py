"""``data info`` counts the RGB files that hold grey content (equal channels).

Found by an audit: on brain-tumor-mri, whose JPEGs are grey MRI saved as RGB, ``data info`` showed
channels 3 while the planner trains 1 channel ("RGB files hold grey content"), with nothing in the
table to explain the difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.cli.data_print import _print_info
from meddx.data.info import source_info
from meddx.data.sources import load_source


def test_rgb_files_of_grey_content_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table's cells on one line each
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            grey = rng.integers(0, 255, (12, 12), dtype=np.uint8)
            Image.fromarray(grey).convert("RGB").save(tmp_path / cls / f"grey{i}.png")
        Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).save(tmp_path / cls / "colour.png")
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(tmp_path / cls / "l.png")
    info = source_info(load_source(str(tmp_path)))
    splits = info["splits"].values()  # val is carved from the 10 images
    assert info["splits"]["train"]["channels"] == [1, 3]
    assert sum(s["grey_rgb"] for s in splits) == 6  # not the colour ones, not the 1-channel ones
    _print_info(info)
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert f"({info['splits']['train']['grey_rgb']} grey as RGB)" in out
