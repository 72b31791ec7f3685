"""The warning an evaluation carries when its split is one the bundle was fitted or selected on.

A meddx bundle fits its weights on ``train`` and chooses on ``val``: the decision threshold(s),
the temperature, the kept checkpoint (best epoch), the early-stopping epoch, and for
segmentation the test-time passes and post-processing. Numbers on those splits are optimistic,
so ``metrics.json``, the printed summary and ``report.html`` say so, naming only what the
bundle's own records (``config.json``) say was chosen there. Another source's ``train``/``val``
is held out from this bundle: the warning is given only when the evaluated source is the one
the bundle trained on, and worded conditionally when the bundle does not record its source.
"""

from __future__ import annotations

from typing import Any

FITTED_SPLITS = ("train", "val")


def split_use_warning(config: dict[str, Any], data: str, split: str, *, role: str = "bundle") -> str | None:
    """The warning for evaluating ``split`` of ``data`` with a bundle of ``config``; ``None`` for
    a held-out split (``test``, or another source's), or a ``val`` the bundle chose nothing on."""
    if split not in FITTED_SPLITS:
        return None
    same = _is_training_source(config, data)
    if same is False:
        return None
    used = ["the network's weights were fitted on it"] if split == "train" else chosen_on_val(config)
    if not used:
        return None
    name = config.get("name") or "the bundle"
    head = (f"{split} is not held out for {role} {name!r}" if same else
            f"if {data} is the source {role} {name!r} was trained on (it records none), its {split} split is not "
            "held out")
    return (f"{head}: {'; '.join(used)}. These numbers are optimistic and are not test results; report a test "
            "split or an external source")


def chosen_on_val(config: dict[str, Any]) -> list[str]:
    """What ``config`` (a bundle's ``config.json``) records as chosen on the validation split."""
    chosen = []
    decision = config.get("decision") or {}
    if decision.get("chosen_on") == "val" and (decision.get("threshold") is not None or decision.get("class_thresholds")):
        several = bool(decision.get("class_thresholds"))
        chosen.append(f"the decision threshold{'s' if several else ''} ({decision.get('rule') or 'unknown rule'})")
    calibration = config.get("calibration") or {}
    if calibration.get("fitted_on") == "val":
        temperature, shift = calibration.get("temperature"), " and class-weight shift" if calibration.get("bias") else ""
        value = (f" {float(temperature):.2f}" if isinstance(temperature, (int, float))
                 else "s (one per label)" if isinstance(temperature, list) else "")
        chosen.append(f"the calibration temperature{value}{shift}")  # its `method` is a paragraph: not repeated
    evidence = (config.get("postprocess") or {}).get("evidence") or {}
    if evidence.get("chosen_on") == "val":
        chosen.append("the test-time passes (mirroring, shifts, zoom) and post-processing")
    training = config.get("training") or {}
    if "best" in (training.get("kept_epoch") or []):
        chosen.append("the checkpoint (the epoch with the best validation score was kept)")
    stopped = _stopped_early(training)
    if stopped:
        chosen.append(stopped)
    return chosen


def _stopped_early(training: dict[str, Any]) -> str | None:
    """``"early stopping on it ended training after epoch N of M"`` when the bundle records fewer
    epochs run than planned and no time limit cut the last one; else ``None``."""
    run, planned = training.get("epochs_run"), training.get("epochs")
    if not isinstance(run, int) or not isinstance(planned, int) or run >= planned or training.get("cut_epoch"):
        return None
    return f"early stopping on it ended training after epoch {run} of {planned}"


def _is_training_source(config: dict[str, Any], data: str) -> bool | None:
    """True/False whether ``data`` is the source the bundle trained on; ``None`` when it records
    none. Paths are compared resolved (``training.finish.local_path``), names (``medmnist:...``) as text."""
    from meddx.training.finish import local_path

    training = config.get("training") or {}
    recorded = [str(v) for v in (training.get("data"), training.get("data_path")) if v]
    if not recorded:
        return None
    here = local_path(data)
    return str(data) in recorded or (here is not None and here in {local_path(r) for r in recorded})
