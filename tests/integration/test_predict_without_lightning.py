"""Predicting with an image bundle through the Python API must not load Lightning.

A server or a script that only predicts pays Lightning's import (seconds, and its plugins) for
nothing; 6d40934 moved the predictors' head to ``tasks.heads`` for this. A clean interpreter
(a subprocess) loads a tiny bundle, predicts a PNG and lists the Lightning modules it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.integration.bundle_helpers import tiny_image_bundle

SCRIPT = """
import json, sys
from meddx import load_bundle
predictor = load_bundle(sys.argv[1])
rows = [p.to_dict() for p in predictor.predict_files([sys.argv[2]])]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("lightning", "pytorch_lightning", "lightning_fabric"))
print(json.dumps({"rows": rows, "heavy": heavy}))
"""


def test_predicting_an_image_bundle_does_not_import_lightning(tmp_path: Path) -> None:
    from PIL import Image

    bundle = tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "lesion"], decision={"threshold": 0.5},
                               training={})
    png = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)).save(png)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(bundle), str(png)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(out["rows"]) == 1 and set(out["rows"][0]["probabilities"]) == {"normal", "lesion"}
    assert out["heavy"] == [], f"predicting imported {out['heavy'][:5]}"
