"""A manifest path that is missing says why, where that can be seen.

Two exports a hospital team meets: a manifest kept in ``lists/`` whose paths were written from
the project folder (``data/a.png``, there as ``./data/a.png`` but read as ``lists/data/a.png``),
and a manifest written on a Windows workstation with drive paths (``C:\\export\\a.png``). Both
were "not found" with no hint why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.manifest import load_manifest


def _project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "lists").mkdir()
    for i in range(2):
        Image.fromarray(np.full((4, 4), i * 50, np.uint8)).save(root / "data" / f"{i}.png")
    return root / "lists"


@pytest.mark.parametrize("sep", ["/", "\\"])
def test_path_from_the_current_folder_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       sep: str) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text(f"path,label\ndata{sep}0.png,a\ndata{sep}1.png,b\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load_manifest(Path("lists/m.csv"))
    msg = str(err.value)
    assert msg.startswith("lists/m.csv: line 2: file ") and "2 missing file(s) in all" in msg
    assert (f"the file is there relative to the current folder ({tmp_path}), but paths are read relative to "
            "the CSV's folder") in msg and "write them relative to lists" in msg
    assert "\n" not in msg


def test_windows_drive_path_is_named_as_such(tmp_path: Path) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("path,label\nC:\\export\\0.png,a\n\\\\pacs\\share\\1.png,b\n")
    with pytest.raises(DataError, match=r"line 2: .* it is a Windows drive or network path, which this machine "
                                        r"cannot open; write the paths relative to the CSV$"):
        load_manifest(lists / "m.csv")


def test_a_plainly_missing_file_gets_no_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("path,label\ndata/9.png,a\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load_manifest(lists / "m.csv")
    assert str(err.value).endswith(f"expected paths relative to {lists} or absolute")


def test_empty_split_cell_is_named_as_empty(tmp_path: Path) -> None:
    """A split cell left blank in the spreadsheet read "unknown split ''"."""
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("path,label,split\n../data/0.png,a,Train\n../data/1.png,b, \n")
    with pytest.raises(DataError, match=r"line 3: empty split \(1 row\(s\) in all\); expected one of test, .* in "
                                        r"every row \(or no split column: all rows train\)$"):
        load_manifest(lists / "m.csv")
