"""What a folder that is not a bundle is, for the refusal: users pass a training run folder
(``runs/NAME-TIME``, where ``meddx train`` wrote checkpoints) or a name folder
(``bundles/NAME``, holding ``v1``, ``v2``) where a bundle folder is expected, and "incomplete
bundle, missing weights.safetensors" did not tell them which folder to pass instead."""

from __future__ import annotations

import json
from pathlib import Path


def not_a_bundle_hint(path: Path) -> str | None:
    """The refusal, naming what ``path`` is and the folder (or name) to pass instead, or None when
    it looks like neither a run folder nor a bundle name folder."""
    versions = sorted((p for p in path.glob("v*") if p.name[1:].isdigit() and (p / "config.json").is_file()),
                      key=lambda p: int(p.name[1:]))
    if versions:
        names = ", ".join(p.name for p in versions)
        return (f"{path}: a folder of bundle versions ({names}), not a bundle: pass one of them, e.g. {versions[-1]}, "
                f"or the registered name `{path.name}:{versions[-1].name[1:]}`")
    if (path / "plan.json").is_file() or (path / "checkpoints").is_dir():
        saved = _bundle_of_run(path)
        where = (f"its bundle is {saved}" if saved else
                 "pass the bundle folder `meddx train` printed (`bundle: ...`) or its registered name "
                 "(`meddx registry list`)")
        return f"{path}: a training run folder, not a bundle: {where}"
    return None


def _bundle_of_run(run_dir: Path) -> Path | None:
    """The bundle under the data root whose ``config.json`` records this run folder, if any."""
    from meddx.core.errors import MeddxError
    from meddx.core.paths import bundles_dir

    target = run_dir.resolve()
    try:
        configs = sorted(bundles_dir().glob("*/v*/config.json"))
    except (OSError, MeddxError):  # an unusable data root: the generic advice still holds
        return None
    for config in configs:
        try:
            training = json.loads(config.read_text()).get("training") or {}
        except (OSError, ValueError, AttributeError):
            continue
        run = training.get("run_dir") if isinstance(training, dict) else None
        if isinstance(run, str) and Path(run).resolve() == target:
            return config.parent
    return None
