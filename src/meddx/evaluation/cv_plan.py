"""What a ``meddx cv`` run recorded before its first fold (``cv_plan.json``), and the checks that let
``meddx cv --resume FOLDER`` go on from it.

An interrupted cross-validation (Ctrl-C, SIGTERM, a crash, a power cut) kept its finished fold
bundles, but nothing said which data, folds and settings they were trained with, so it could not
be taken up again. Each run now writes ``cv_plan.json`` into its folder before fold 0 trains:

- ``config``: the resolved training config (its ``data`` verbatim, and ``data_path`` absolute), and
  ``fields_set``: the fields given (a config or flag), since a plan chooses some of the others
  itself (a table's learning rate) and would not if the resume gave them;
- ``k``, ``how`` and ``sha256_folds``: one digest of each fold's held-out sample ids, in order;
- ``data``: the number of development samples and one SHA-256 of their ids, labels, patient ids
  and content (image bytes or files, documents, table rows, series records);
- ``started`` (UTC) and ``runs`` (``MEDDX_HOME/runs`` then): where, and since when, its folds' training
  runs are found again (:mod:`meddx.evaluation.cv_fold_runs`);
- ``meddx_version``; and ``resumes``: one entry per resume, with the folds it reused and trained (and
  ``resumed``: those going on from their interrupted run, its folder and the epochs it held).

A resume re-reads the source, re-makes the folds and refuses, on one line naming what differs, a
source whose content changed, folds made otherwise, or any training setting that is not the one
recorded (the thread count aside): a ``cv.json`` must never mix two configurations.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import SplitData

PLAN_FILE = "cv_plan.json"
PLAN_FORMAT = 1
# config fields that change no fold's result (or that cv sets itself for every fold)
UNCOMPARED = frozenset({"data", "num_threads", "output", "add_to_registry", "verify", "evaluate_test"})


def content_digest(dev: SplitData) -> str:
    """SHA-256 of the development samples: ids, labels, patient ids and each sample's content
    (image array bytes or file bytes, document text, table rows, series records), in order."""
    from meddx.core.files import file_digest

    h = hashlib.sha256()
    for sid, label in zip(dev.ids, dev.labels):
        h.update(f"{sid}\t{np.asarray(label).tolist()}\n".encode())
    if dev.patient_ids is not None:
        h.update(("\x1e".join(str(p) for p in dev.patient_ids)).encode())
    if dev.texts is not None:
        for text in dev.texts:
            h.update(str(text).encode("utf-8", "surrogatepass") + b"\x1f")
    elif dev.table is not None:  # a DataFrame: its columns and values as CSV text
        h.update(dev.table.to_csv(index=False).encode("utf-8", "surrogatepass"))
    elif dev.images is not None:
        images = np.ascontiguousarray(dev.images)
        h.update(f"{images.shape}{images.dtype}".encode())
        h.update(images.tobytes())
    elif dev.paths is not None:
        for path in dev.paths:
            h.update(file_digest(path).encode())
    elif dev.records is not None:
        for record in dev.records:
            for part in (record.times, record.variables, record.values, record.static):
                array = np.ascontiguousarray(part)
                h.update(f"{array.shape}{array.dtype}".encode() + array.tobytes())
    return h.hexdigest()


def fold_digests(dev: SplitData, fold_index: list[np.ndarray]) -> list[str]:
    """One SHA-256 per fold of its held-out sample ids, in the fold's order."""
    return [hashlib.sha256("\n".join(str(dev.ids[i]) for i in test).encode()).hexdigest() for test in fold_index]


def settings_record(config: Any, k: int) -> dict[str, Any]:
    """The settings part of ``cv_plan.json``: what :func:`check_same_settings` compares before any data is read."""
    from meddx import __version__

    return {"meddx_version": __version__, "config": config.model_dump(mode="json"), "k": k,
            "fields_set": sorted(config.model_fields_set)}  # a plan chooses the others (lr: "set in config" or not)


def plan_record(config: Any, k: int, how: str, dev: SplitData, fold_index: list[np.ndarray]) -> dict[str, Any]:
    """The ``cv_plan.json`` content of a run about to train its folds (see the module docstring)."""
    from meddx.core.paths import meddx_home
    from meddx.training.finish import local_path

    return {"format": PLAN_FORMAT, **settings_record(config, k), "data_path": local_path(config.data),
            "how": how, "sha256_folds": fold_digests(dev, fold_index),
            "data": {"n": len(dev), "sha256_content": content_digest(dev)}, "resumes": [],
            # a fold run started earlier is another cross-validation's; a resume under another MEDDX_HOME says
            # where its fold runs are (cv_fold_runs)
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "runs": str((meddx_home() / "runs").resolve())}  # not runs_dir(): that creates the folder, before a refusal


def started_in(folder: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """``plan`` (a new run's :func:`plan_record`) with where it starts: ``folder``, absolute (a resume of the
    folder moved elsewhere goes on from the fold runs writing into it), and ``earlier_runs``, the fold runs
    into it that started in its second or later before it did (never its own: ``cv_fold_runs``)."""
    from meddx.evaluation.cv_fold_runs import earlier_runs

    return {**plan, "folder": str(Path(folder).absolute()), "earlier_runs": earlier_runs(folder, plan["started"])}


def read_plan(folder: str | Path) -> dict[str, Any]:
    """The ``cv_plan.json`` of an interrupted cross-validation in ``folder``; refused on one line when
    ``folder`` is not one: missing, finished (``cv.json``), or without a plan."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"--resume {folder}: no such folder; expected the --out folder of an interrupted meddx cv")
    if (folder / "cv.json").is_file():
        raise ConfigError(f"--resume {folder}: this cross-validation is finished (its cv.json is there); nothing "
                          "to resume. To run it again, start a new run with another --out")
    path = folder / PLAN_FILE
    if not path.is_file():
        raise ConfigError(f"--resume {folder}: no {PLAN_FILE} there; expected the folder of a meddx cv interrupted "
                          "after it started its folds (runs of older meddx versions cannot be resumed: start a new run)")
    try:
        plan = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not readable as JSON ({type(exc).__name__}); start a new run") from None
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT or not isinstance(plan.get("config"), dict):
        raise ConfigError(f"{path}: expected a cv plan of format {PLAN_FORMAT} with a 'config'; start a new run")
    return plan


def recorded_config(plan: dict[str, Any], overrides: dict[str, Any] | None = None,
                    yaml_path: str | Path | None = None, flags: dict[str, str] | None = None) -> Any:
    """The training config of a resume: the recorded one, with a YAML file's fields and ``overrides``
    (flags given again) laid over it; :func:`check_same_run` then refuses any that differ. Its
    ``data`` is the recorded text when that still names the recorded file from here (so cv.json says
    what it said), else the recorded absolute path."""
    from meddx.training.config import _read_yaml, validated_config
    from meddx.training.finish import local_path

    chosen = set(plan.get("fields_set") or []) | {"data"}  # left unset, a field stays the plan's to choose
    data = {k: v for k, v in plan["config"].items() if k in chosen}
    if local_path(data["data"]) != plan.get("data_path") and plan.get("data_path"):
        data["data"] = plan["data_path"]
    given = dict(_read_yaml(Path(yaml_path))) if yaml_path is not None else {}
    given.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if "data" in given and local_path(str(given["data"])) == local_path(data["data"]) is not None:
        given.pop("data")  # the same file named otherwise: keep the recorded text
    data.update(given)
    return validated_config(data, yaml_path, overridden=set(given), flags=flags)


def check_same_run(folder: str | Path, plan: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse, on one line naming what differs, a resume whose settings, meddx version, data content
    or folds are not those ``plan`` recorded (``now``: :func:`plan_record` of the resume)."""
    check_same_settings(folder, plan, now)
    where = f"--resume {folder}"
    if plan.get("data") != now["data"]:
        was, is_ = plan.get("data") or {}, now["data"]
        size = f" ({was.get('n')} samples there, {is_['n']} now)" if was.get("n") != is_["n"] else ""
        raise DataError(f"{where}: the data is not what the cross-validation started on: the ids, labels or content "
                        f"of its train/val samples differ from {PLAN_FILE}{size}; restore that data, or start a new run")
    if plan.get("sha256_folds") != now["sha256_folds"]:
        differ = [str(k) for k, (a, b) in enumerate(zip(plan.get("sha256_folds") or [], now["sha256_folds"])) if a != b]
        raise DataError(f"{where}: the folds made now differ from those recorded in {PLAN_FILE} (fold(s) "
                        f"{', '.join(differ) or '?'}) although the data is the same; start a new run")


def check_same_settings(folder: str | Path, plan: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse a resume whose training settings, ``--folds`` or meddx version are not those ``plan`` recorded
    (``now``: :func:`settings_record`), naming each difference; before the source is read."""
    where = f"--resume {folder}"
    before, after = plan["config"], now["config"]
    changed = [f"{key} {_shown(before.get(key))} there, {_shown(after.get(key))} now"
               for key in sorted((set(before) | set(after)) - UNCOMPARED) if before.get(key) != after.get(key)]
    given = (set(plan.get("fields_set") or []) ^ set(now["fields_set"])) - UNCOMPARED
    changed += [f"{key} given now, left to the plan there" if key in now["fields_set"] else
                f"{key} given there, left to the plan now" for key in sorted(given)
                if before.get(key) == after.get(key)]  # the same value, but a plan chooses it only when not given
    if plan.get("k") != now["k"]:
        changed.insert(0, f"folds {plan.get('k')} there, {now['k']} now")
    if changed:
        raise ConfigError(f"{where}: not the settings the cross-validation started with: {'; '.join(changed[:6])}"
                          f"{'; ...' if len(changed) > 6 else ''}. Resume with its own settings (give no other "
                          "option), or start a new run with another --out")
    if plan.get("meddx_version") != now["meddx_version"]:
        raise ConfigError(f"{where}: started with meddx {plan.get('meddx_version')}, this is {now['meddx_version']}; "
                          "its folds would be trained by two versions. Resume with the version it started with, "
                          "or start a new run")


def note_resume(folder: str | Path, plan: dict[str, Any], reused: list[int], trained: list[int],
                runs: dict[int, Any] | None = None, saved: list[int] | None = None) -> None:
    """Add this resume (time, folds reused, folds to train and, of those, the ones going on from their
    interrupted run: ``runs``, fold -> ``cv_fold_runs.FoldRun``) to ``cv_plan.json``; ``saved``: the reused
    folds whose bundle was saved without their record (their held-out part predicted again)."""
    from meddx.core.files import write_json_atomic

    entry = {"utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reused": reused, "trained": trained,
             "resumed": [{"fold": k, "run": str(run.path), "epochs_saved": run.epochs_saved}
                         for k, run in sorted((runs or {}).items())], "predicted_again": sorted(saved or [])}
    plan["resumes"] = [*(plan.get("resumes") or []), entry]
    write_json_atomic(Path(folder) / PLAN_FILE, plan)


def note_retrained(folder: str | Path, plan: dict[str, Any], k: int) -> None:
    """Fold ``k``, noted by this resume as predicted again from its saved bundle, was trained again instead
    (the bundle could not predict its held-out part): its ``cv_plan.json`` entry moves it from ``reused``
    and ``predicted_again`` to ``trained``."""
    from meddx.core.files import write_json_atomic

    entry = (plan.get("resumes") or [None])[-1]
    if not isinstance(entry, dict):
        return
    for key in ("reused", "predicted_again"):
        entry[key] = [fold for fold in entry.get(key) or [] if fold != k]
    entry["trained"] = sorted({*(entry.get("trained") or []), k})
    write_json_atomic(Path(folder) / PLAN_FILE, plan)


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_not_interrupted(folder: Path) -> None:
    """Refuse a new run's ``--out`` that holds an interrupted cross-validation (its plan, no
    ``cv.json``): its finished folds are resumed, not written over."""
    if (folder / PLAN_FILE).is_file() and not (folder / "cv.json").is_file():
        raise ConfigError(f"--out {folder}: holds an interrupted cross-validation ({PLAN_FILE}, no cv.json); resume "
                          f"it with: meddx cv --resume {folder}, or choose another --out")
