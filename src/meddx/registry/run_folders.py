"""What a run folder says about its run, read from the files training leaves there.

The registry's ``runs`` rows are filled from here when a run ends, and for folders made before
runs were recorded (``meddx registry runs`` reconciles them): ``config.json`` (data, seed),
``plan.json`` (model), ``data.json`` (task, modality), ``trainer.json`` (why training stopped),
``metrics.json`` (written last: the run finished) and ``checkpoints/last.ckpt`` (resumable).
Only names, paths and numbers are read back; never note text.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

# the file that marks a run folder's kind, checked in this order (data.json tells text from images)
_KIND_FILES = (("cv.json", "cv"), ("cv_plan.json", "cv"), ("federated.json", "federated"),
               ("fingerprint.json", "segmentation"),
               ("series_preprocessing.json", "series"), ("preprocessing.json", "tabular"))
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")  # new_run_dir's <name>-<UTC time>[-n]


def read_json_quietly(path: Path) -> dict[str, Any]:
    """A run file's JSON object, or ``{}`` when it is missing, damaged or not an object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def describe(folder: Path) -> dict[str, Any]:
    """The row fields a run folder's files give: ``kind``, ``task``, ``model``, ``data``, ``seed``,
    ``note`` (why training stopped early, e.g. the time limit) and ``metrics`` (headline, when
    ``metrics.json`` exists); a field the files do not give is left out."""
    from meddx.registry.store import headline_metrics

    config, plan, data = (read_json_quietly(folder / f) for f in ("config.json", "plan.json", "data.json"))
    trainer, metrics = read_json_quietly(folder / "trainer.json"), read_json_quietly(folder / "metrics.json")
    out: dict[str, Any] = {"kind": kind_of(folder, data)}
    for key, value in (("task", data.get("task")), ("model", plan.get("model") or config.get("model")),
                       ("data", config.get("data")), ("seed", config.get("seed")),
                       ("note", f"stopped by {trainer['stopped_by']}" if trainer.get("stopped_by") else None)):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            out[key] = value
    if metrics:
        out["metrics"] = headline_metrics(metrics)
    return out


def kind_of(folder: Path, data: dict[str, Any] | None = None) -> str | None:
    """``image``, ``text``, ``series``, ``tabular``, ``segmentation``, ``federated`` or ``cv``
    from the files in ``folder``; ``None`` before any was written."""
    for name, kind in _KIND_FILES:
        if (folder / name).is_file():
            return kind
    dims = (data if data is not None else read_json_quietly(folder / "data.json")).get("spatial_dims")
    return {0: "text", 2: "image", 3: "image"}.get(dims) if isinstance(dims, int) else None


def legacy_status(folder: Path) -> str:
    """The status of a run found on disk with no row: ``finished`` (``metrics.json`` or ``cv.json``,
    written last), ``interrupted`` (a checkpoint or a cv plan to resume from), else ``failed``."""
    if (folder / "metrics.json").is_file() or (folder / "cv.json").is_file():
        return "finished"
    return "interrupted" if resumable(folder) or resumable_cv(folder) else "failed"


def run_name(folder: Path) -> str:
    """The run's name: its folder name without the time ``new_run_dir`` added."""
    return _STAMP.sub("", folder.name) or folder.name


def started_at(folder: Path) -> float:
    """When the run began: the UTC time in its folder name, else the folder's change time."""
    m = _STAMP.search(folder.name)
    try:
        if m:
            return float(calendar.timegm(time.strptime(m.group(1), "%Y%m%d-%H%M%S")))
    except (ValueError, OverflowError):  # digits that are no time (a folder named by hand)
        pass
    try:
        return folder.stat().st_ctime
    except OSError:
        return time.time()


def last_written(folder: Path) -> float | None:
    """The latest modification time of the run's files (top level and checkpoints), else ``None``."""
    times = []
    for path in [*folder.glob("*"), *folder.glob("checkpoints/*")]:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times) if times else None


def resumable(folder: Path) -> bool:
    """Whether ``meddx train --resume`` can go on from ``folder``: a last checkpoint, no bundle yet."""
    return (folder / "checkpoints" / "last.ckpt").is_file() and not (folder / "metrics.json").is_file()


def resumable_cv(folder: Path) -> bool:
    """Whether ``meddx cv --resume`` can go on from ``folder``: a cv plan (written before fold 0), no ``cv.json``."""
    return (folder / "cv_plan.json").is_file() and not (folder / "cv.json").is_file()


# ----------------------------------------------------------------------------- processes
def this_process() -> tuple[int, str | None, str]:
    """``(pid, start, host)`` of this process; ``start`` tells a later process given the same pid apart."""
    return os.getpid(), process_start(os.getpid()), socket.gethostname()


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), else ``None``."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int | None, start: str | None, host: str | None) -> bool | None:
    """Whether the process that recorded a run still runs: ``None`` (cannot tell) for another host
    or no pid; a live pid whose start time differs from the recorded one is another process."""
    if not pid or (host and host != socket.gethostname()):
        return None
    try:
        os.kill(int(pid), 0)
    except PermissionError:  # alive, another user's
        return True
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    now = process_start(int(pid))
    return not (start and now and now != start)


_PLAN_KEYS = ("model", "epochs", "batch_size", "image_size", "ensemble")
_CONFIG_KEYS = ("lr", "time_budget", "devices", "num_nodes", "dp", "precision")


def config_summary(folder: Path) -> dict[str, Any]:
    """The settings a reader compares runs by: from ``plan.json`` (model, epochs, batch size, image
    size, ensemble) and ``config.json`` (learning rate, time budget, processes, DP, precision);
    unset ones are left out."""
    plan, config = read_json_quietly(folder / "plan.json"), read_json_quietly(folder / "config.json")
    out = {k: plan[k] for k in _PLAN_KEYS if plan.get(k) not in (None, "", [], {})}
    out.update({k: config[k] for k in _CONFIG_KEYS if config.get(k) not in (None, False, "", [])})
    if fitted_by_sklearn(plan, read_json_quietly(folder / "trainer.json")):  # gbm/logreg: no epochs
        out = {k: v for k, v in out.items() if k not in ("epochs", "batch_size", "lr")} | {"fitted_by": "scikit-learn"}
    return out


def fitted_by_sklearn(plan: dict[str, Any], trainer: dict[str, Any]) -> bool:
    """Whether a run's model was fitted by scikit-learn (a table's ``gbm``/``logreg``, recorded in its
    ``trainer.json``, or a series' aggregate one, whose ``plan.json`` says so), which trains no epochs:
    its plan's epochs, batch size and learning rate were never used."""
    from meddx.models.registry import SKLEARN_FITTED

    return trainer.get("fitted_by") == "scikit-learn" or (plan.get("pipeline") == "aggregate"
                                                          and plan.get("model") in SKLEARN_FITTED)
