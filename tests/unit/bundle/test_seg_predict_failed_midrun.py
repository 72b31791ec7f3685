"""An input that fails mid-run names the masks ``SegPredictor.predict_files`` had already written.

``meddx predict SEG a.png bad.png --output DIR``: ``a``'s mask was written, then ``bad.png`` could
not be read. The error named only ``bad.png``, and the same command run again (input fixed) was
refused as "from an earlier run", although the failed run wrote those masks. Now the mid-run error
says how many masks it wrote, the first one's name, and that a rerun needs ``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import ConfigError, DataError
from tests.unit.bundle.test_seg_predict_kept import _png, _snapshot
from tests.unit.bundle.test_seg_predict_inputs import _predictor_2d


def test_a_mid_run_failure_names_the_masks_already_written(tmp_path: Path) -> None:
    predictor = _predictor_2d()
    a, c = _png(tmp_path / "a.png", 10), _png(tmp_path / "c.png", 15)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot a picture")
    out = tmp_path / "out"
    with pytest.raises(DataError) as err:  # the class of the input's error is kept (exit code 2)
        predictor.predict_files([a, c, bad], out)
    line = str(err.value)
    assert "\n" not in line and str(bad) in line  # still the input's own reason first
    assert "2 mask(s)" in line and "a_mask.png" in line and "--overwrite" in line
    kept = _snapshot(out)
    assert sorted(kept) == ["a_mask.png", "a_overlay.png", "c_mask.png", "c_overlay.png"]  # nothing lost

    _png(bad, 20)  # fixed: the rerun is refused without --overwrite, and passes with it
    with pytest.raises(ConfigError, match="--overwrite"):
        predictor.predict_files([a, c, bad], out)
    assert _snapshot(out) == kept
    rows = predictor.predict_files([a, c, bad], out, overwrite=True)
    assert [Path(r["mask"]).name for r in rows] == ["a_mask.png", "c_mask.png", "bad_mask.png"]


def test_a_failure_before_any_mask_keeps_its_message(tmp_path: Path) -> None:
    predictor = _predictor_2d()
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot a picture")
    with pytest.raises(DataError) as err:
        predictor.predict_files([bad, _png(tmp_path / "a.png", 10)], tmp_path / "out")
    assert "mask(s)" not in str(err.value) and str(bad) in str(err.value)
    with pytest.raises(DataError) as err:  # nothing written either without an output folder
        predictor.predict_files([_png(tmp_path / "a.png", 10), bad])
    assert "mask(s)" not in str(err.value)
