"""docs/serving.md: a segmentation bundle in the registry is not served; it is reported as
unavailable with the reason, and the other bundles are served."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest


def test_a_segmentation_bundle_is_refused_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.bundle.bundle as bundle
    from meddx.serving.models import ModelManager
    from meddx.serving.problems import Problem
    from meddx.serving.settings import ServeSettings

    seg = SimpleNamespace(task="segmentation", config={"task": "segmentation"}, name="hippo")
    monkeypatch.setattr(bundle, "load_bundle", lambda path: seg)
    with ThreadPoolExecutor(1) as executor:
        manager = ModelManager(ServeSettings(warmup=False), executor)
        with pytest.raises(Problem) as err:
            manager._load("hippo", 1, "latest", str(tmp_path))
    assert "segmentation bundles are not served by this API" in str(err.value.detail)
