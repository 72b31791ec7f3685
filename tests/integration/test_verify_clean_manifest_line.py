"""``meddx data verify --clean-manifest`` ends with one readable line (stdout, a result): what it removed and kept per
split, in words (``kept train 4, test 2``), not a Python dict."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from cli_helpers import run_cli


def _folder(root: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (("train", 2), ("test", 1)):
        for label in ("normal", "lesion"):
            (root / split / label).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / split / label / f"{i}.png")
    (root / "test" / "normal" / "copy.png").write_bytes((root / "train" / "normal" / "0.png").read_bytes())
    return root


def test_the_clean_manifest_line_names_the_kept_counts_per_split(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # one line, as a wide terminal shows it
    folder = _folder(tmp_path / "imgs")
    clean = tmp_path / "clean.csv"
    result = run_cli(["data", "verify", str(folder), "--report", str(tmp_path / "r.json"),
                      "--clean-manifest", str(clean)], capsys)
    assert result.code == 1, result.err  # the copy leaks across splits
    line = next(x for x in result.out.splitlines() if x.startswith("clean manifest:"))
    assert line.endswith("(removed 1 from test; kept train 4, test 2)"), line
    rows = list(csv.DictReader(clean.open()))
    assert len(rows) == 6 and not any(r["path"].endswith("copy.png") for r in rows)
