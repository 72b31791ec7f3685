"""A table value beyond float32 is named by its row in the user's file, not its place in a split.

Found by an audit: ``meddx train --data t.csv`` on a table whose every 4th row is ``val`` (a split
column) and whose 16th row holds ``marker`` 1e39 failed with "column 'marker' (row 4): ...": the
splits' tables are renumbered from 1, so the user looked up row 4 of their file and found nothing
wrong there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.training.config import TrainConfig


def _table(path: Path, ids: bool) -> Path:
    rng = np.random.default_rng(0)
    lines = [("id," if ids else "") + "marker,bp,split,label"]
    for r in range(1, 41):
        marker = "1e39" if r == 16 else f"{rng.normal():.3f}"
        lines.append((f"P{r:03d}," if ids else "") + f"{marker},{120 + 5 * rng.normal():.1f},"
                     f"{'val' if r % 4 == 0 else 'train'},{int(rng.random() > 0.5)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("ids, named", [
    (False, "column 'marker' (row 16 of t.csv, in the val split): 1e+39 is"),
    (True, "column 'marker' (id 'P016' in column 'id' of t.csv, in the val split): 1e+39 is"),
])
def test_the_overflow_error_names_the_row_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      ids: bool, named: str) -> None:
    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    with pytest.raises(DataError) as info:
        fit(TrainConfig(data=str(_table(tmp_path / "t.csv", ids)), seed=0, ci_resamples=0), progress=False)
    assert str(info.value).startswith(named), str(info.value)
    assert "(row 4)" not in str(info.value)  # its place in the val split


def test_a_table_without_a_file_still_names_the_row_by_position() -> None:  # a guard: predict, serve
    import pandas as pd

    from meddx.transforms.tabular import TabularPreprocessor

    pre = TabularPreprocessor(["marker"], []).fit(pd.DataFrame({"marker": [0.1, -0.4, 0.9]}))
    with pytest.raises(DataError, match=r"column 'marker' \(row 2\)"):
        pre.transform(pd.DataFrame({"marker": [0.2, 1e39]}))
