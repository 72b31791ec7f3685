"""``SegPredictor.predict_files(paths, out_dir)`` never replaces an earlier run's masks unless ``overwrite``.

The masks and overlays have fixed names (``<stem>_mask.png``, ``<stem>_overlay.png``): a second run
into the same folder replaced the first run's without a word. Now, as for explanations
(``explain.outputs``), the names are computed before anything is segmented and one already there is
refused in one line naming it; each file is then placed exclusively, so one that appears meanwhile
is kept too; ``overwrite=True`` replaces them. Masks keep the input's format and geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import ConfigError
from tests.unit.bundle.test_seg_predict_inputs import _predictor_2d


def _png(path: Path, top: int) -> Path:
    image = np.zeros((40, 40), np.uint8)
    image[top:30, 12:28] = 200
    Image.fromarray(image).save(path)
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_earlier_runs_mask_is_refused_before_segmenting_and_kept(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = _predictor_2d()
    a, b = _png(tmp_path / "a.png", 10), _png(tmp_path / "b.png", 20)
    out = tmp_path / "out"
    rows = predictor.predict_files([a], out)
    assert Path(rows[0]["mask"]).name == "a_mask.png" and Path(rows[0]["overlay"]).is_file()
    before = _snapshot(out)

    segmented: list[int] = []
    original = type(predictor).predict_case
    monkeypatch.setattr(type(predictor), "predict_case",
                        lambda self, *x, **k: segmented.append(1) or original(self, *x, **k))
    with pytest.raises(ConfigError) as err:
        predictor.predict_files([b, a], out)
    line = str(err.value)
    assert str(out / "a_mask.png") in line and "--overwrite" in line and "\n" not in line
    assert segmented == [] and _snapshot(out) == before  # no work, b's files not written either

    _png(a, 25)  # the same name, another picture: its mask differs
    rows = predictor.predict_files([a], out, overwrite=True)
    mask = np.asarray(Image.open(rows[0]["mask"]))
    assert mask.shape == (40, 40) and (out / "a_mask.png").read_bytes() != before["a_mask.png"]
    assert mask[20, 20] == 0 and mask[27, 20] == 1  # the new picture's region (rows 25..29)


def test_a_mask_that_appears_while_segmenting_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check before the work passed (the file was not there yet); the write still refuses."""
    predictor = _predictor_2d()
    a = _png(tmp_path / "a.png", 10)
    out = tmp_path / "out"
    late = out / "a_mask.png"
    original = type(predictor).predict_case

    def segment_while_another_run_writes(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out.mkdir(exist_ok=True)
        late.write_bytes(b"another run's mask")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(predictor), "predict_case", segment_while_another_run_writes)
    with pytest.raises(ConfigError) as err:
        predictor.predict_files([a], out)
    assert str(late) in str(err.value) and "appeared" in str(err.value)
    assert _snapshot(out) == {"a_mask.png": b"another run's mask"}  # no temporary files left either


def test_an_overlay_of_an_earlier_run_is_refused_too(tmp_path: Path) -> None:
    predictor = _predictor_2d()
    a = _png(tmp_path / "a.png", 10)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a_overlay.png").write_bytes(b"an earlier overlay")
    with pytest.raises(ConfigError, match="a_overlay.png"):
        predictor.predict_files([a], out)
    predictor.predict_files([a], out, overlays=False)  # without overlays it is not in the way
    assert (out / "a_overlay.png").read_bytes() == b"an earlier overlay" and (out / "a_mask.png").is_file()


def test_a_nifti_mask_keeps_the_inputs_affine_through_the_exclusive_write(tmp_path: Path) -> None:
    nib = pytest.importorskip("nibabel")
    from tests.unit.data.test_orientation_bundles import _segmenter

    data = np.random.default_rng(0).random((12, 10, 9)).astype(np.float32)
    affine = np.diag([0.5, 0.7, 2.0, 1.0])
    affine[:3, 3] = [10.0, -4.0, 3.0]
    nib.save(nib.Nifti1Image(data, affine), str(tmp_path / "vol.nii.gz"))
    out = tmp_path / "out"
    rows = _segmenter(None).predict_files([tmp_path / "vol.nii.gz"], out)
    written = nib.load(rows[0]["mask"])
    assert Path(rows[0]["mask"]).name == "vol_mask.nii.gz" and (out / "vol_overlay.png").is_file()
    np.testing.assert_allclose(written.affine, affine)
    assert written.shape == data.shape
    assert sorted(p.name for p in out.iterdir()) == ["masks.json", "vol_mask.nii.gz", "vol_overlay.png"]  # no temporary
