"""An output folder that cannot be written is refused before the work, in one line naming the flag.

Found by review: ``meddx predict SEG_BUNDLE FILE... --output DIR`` into a read-only DIR (or one
under a read-only folder) segmented the first input, then failed on a temporary name
(``DIR/.a_mask.png.k3j2/``) with no word of ``--output``; ``meddx explain --out DIR`` computed every
map first. Now ``explain.outputs.refuse_taken``, which every such output checks first, refuses it.
The tests run as root, whom permissions do not stop, so the folder is made read-only where the check
tries it (``core.files.check_writable_folder`` makes a probe folder): ``os.mkdir`` refuses there.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import ConfigError
from tests.unit.bundle.test_seg_predict_inputs import _predictor_2d


def _read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    real = os.mkdir

    def mkdir(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).parent == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)


@pytest.mark.parametrize("sub", ["", "new/deeper"])
def test_segmentation_into_a_read_only_folder_is_refused_before_segmenting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sub: str) -> None:
    predictor = _predictor_2d()
    image = np.zeros((40, 40), np.uint8)
    image[10:30, 12:28] = 200
    Image.fromarray(image).save(tmp_path / "a.png")
    locked = tmp_path / "locked"
    locked.mkdir()
    _read_only(monkeypatch, locked)
    segmented: list[int] = []
    monkeypatch.setattr(type(predictor), "predict_case", lambda self, *x, **k: segmented.append(1))
    out = locked / sub if sub else locked
    with pytest.raises(ConfigError) as err:
        predictor.predict_files([tmp_path / "a.png"], out)
    line = str(err.value)
    assert line.startswith(f"--output {out}: ") and "writable" in line and "\n" not in line
    assert segmented == [] and list(locked.iterdir()) == []


def test_text_pages_into_a_read_only_folder_are_refused_before_predicting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.cli.predict_text import predict_text
    from tests.unit.bundle.test_text_predictor_inputs import _predictor

    predictor = _predictor()
    monkeypatch.setattr(type(predictor), "predict_documents", lambda *a, **k: pytest.fail("predicted"))
    _read_only(monkeypatch, tmp_path)
    with pytest.raises(ConfigError, match=rf"^--explain {tmp_path}: cannot write in {tmp_path} \(permission denied\)"):
        predict_text(predictor, [], ["history of seizure"], tmp_path, "auto", None, as_json=False)
