"""``meddx data info`` says when the test split holds one class only.

A hospital export whose ``Testing/`` folder has one class folder trained, printed "test: AUC n/a"
and was explained only by ``meddx evaluate``, after a model was trained; ``data info`` said nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from meddx.data.info import source_info
from meddx.data.sources import load_source


def _folder(root: Path, test_classes: tuple[str, ...]) -> Path:
    for split, classes in (("Training", ("normal", "tumour")), ("Testing", test_classes)):
        for k, cls in enumerate(classes):
            (root / split / cls).mkdir(parents=True)
            for i in range(3):
                Image.fromarray(np.full((8, 8), 40 * k + i, np.uint8)).save(root / split / cls / f"{i}.png")
    return root


def test_one_class_test_split_is_noted(tmp_path: Path) -> None:
    notes = source_info(load_source(str(_folder(tmp_path / "a", ("normal",)))))["notes"]
    assert ("test holds one class only ('normal', 3 samples): AUC and AUPRC will be undefined on it and it "
            "measures specificity alone; add samples of the other class(es) to test") in notes
    notes = source_info(load_source(str(_folder(tmp_path / "b", ("tumour",)))))["notes"]
    assert any(n.startswith("test holds one class only ('tumour', 3 samples)") and "sensitivity alone" in n
               for n in notes)


def test_two_class_test_split_has_no_such_note(tmp_path: Path) -> None:
    notes = source_info(load_source(str(_folder(tmp_path / "c", ("normal", "tumour")))))["notes"]
    assert not [n for n in notes if "one class only" in n]
