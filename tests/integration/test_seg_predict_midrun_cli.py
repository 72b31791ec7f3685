"""``meddx predict SEG a.png bad.png --output DIR``: the mid-run error says which masks that run wrote.

``a``'s mask and overlay were written, then ``bad.png`` could not be read: the error named only
``bad.png``, and the same command run again (the input fixed) was refused as "from an earlier run".
Now the one line also gives the count and first name of the masks kept, and says a rerun needs
``--overwrite``; exit code 2, and the masks written are kept byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.integration.cli_helpers import one_line, run_cli, snapshot
from tests.integration.test_outputs_kept_seg_and_evaluate import bundles  # noqa: F401


def test_the_mid_run_error_names_the_masks_it_wrote_and_the_rerun_needs_overwrite(
        bundles: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    a = str(bundles["pngs"][0])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    out = tmp_path / "masks"
    line = one_line(run_cli(["predict", str(bundles["seg"]), a, str(bad), "--output", str(out)], capsys))
    assert str(bad) in line and "1 mask(s)" in line and "img0_mask.png" in line and "--overwrite" in line, line
    kept = snapshot(out)
    assert set(kept) == {"img0_mask.png", "img0_overlay.png"}

    Image.fromarray(np.full((20, 20), 90, np.uint8)).save(bad)  # fixed
    line = one_line(run_cli(["predict", str(bundles["seg"]), a, str(bad), "--output", str(out)], capsys))
    assert "already exists" in line and snapshot(out) == kept
    again = run_cli(["predict", str(bundles["seg"]), a, str(bad), "--output", str(out), "--overwrite"], capsys)
    assert again.code == 0, again.err
    assert {"img0_mask.png", "bad_mask.png"} <= set(snapshot(out))
