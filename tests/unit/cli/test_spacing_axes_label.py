"""``meddx data info`` names the spacing axes as ``dy x dx`` (``dz x dy x dx`` for volumes), from
the number of values shown: it printed "y x x", the axis x read as the x between values."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from meddx.cli.data_print import _print_info
from meddx.data.info import source_info
from meddx.data.sources import load_source


def test_data_info_names_2d_spacing_axes_unambiguously(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / "slices" / cls).mkdir(parents=True)
        for i in range(3):  # 2D NIfTI slices, 0.5 mm columns (x) and 0.7 mm rows (y)
            image = nib.Nifti1Image(rng.integers(0, 100, (28, 30)).astype(np.int16), np.diag([0.5, 0.7, 3.0, 1.0]))
            nib.save(image, tmp_path / "slices" / cls / f"{i}.nii.gz")
    _print_info(source_info(load_source(str(tmp_path / "slices"))))
    out = capsys.readouterr().out
    assert "spacing train (mm, dy x dx): median 0.7x0.5" in out
    assert "y x x" not in out


def test_the_axes_follow_the_number_of_values() -> None:
    from meddx.cli.data_print import spacing_axes

    assert [spacing_axes(n) for n in (1, 2, 3, 4)] == ["dx", "dy x dx", "dz x dy x dx", "4 axes"]
