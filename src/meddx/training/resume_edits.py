"""What ``--resume`` does with a run's edited ``config.json``.

A resume reads the run's own ``config.json``. Before, only ``lr`` and ``weight_decay`` edits were
refused (the restored optimiser keeps the first; ``run.check_resumable``); any other edit went
through without a word: ``batch_size``, ``augment``, ``class_weights`` or ``epochs`` were ignored
(the run's ``plan.json`` decides them), ``seed``, ``precision`` or ``label_smoothing`` changed the
remaining epochs while the bundle recorded the edit as if it had held from the start.

Every checkpoint now carries the config the run trained with (:class:`ConfigRecord`), and
:func:`check_config_edits` compares ``config.json`` with it before anything is read or trained:

- fields that act only after training (the operating point, calibration, confidence intervals,
  the model card's text, the bundle's name and place, test evaluation, registration, thread
  count) are honoured, and a note names each edit: choosing them again is what a resume is for;
- fields the run's ``plan.json`` resolved (model, size, epochs, batch size, augmentation, class
  weights, ...) are refused: a resume follows ``plan.json``, where ``epochs`` can be raised;
- every other field shaped the epochs already trained (data reading, seed, precision, loss,
  privacy, processes, budget) and is refused: the bundle would misdescribe the run.

A checkpoint from before the record (no ``meddx_config``) is resumed as before, unchecked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

from meddx.core.errors import ConfigError

KEY = "meddx_config"  # where checkpoints hold the config the run trained with

# act after the last epoch (or only on speed): a resume honours an edit, with a note
AFTER_TRAINING = frozenset({
    "name", "output", "add_to_registry", "threshold_rule", "per_class_thresholds", "calibrate", "ci_resamples",
    "verify", "attributes", "intended_use", "outcome", "tta", "evaluate_test", "largest_component", "num_threads",
})
# resolved into plan.json when the run started; a resume follows plan.json
PLANNED = frozenset({
    "model", "model_args", "image_size", "channels", "augment", "epochs", "batch_size", "class_weights",
    "early_stopping_patience", "checkpoint", "patch_size", "target_spacing", "ensemble", "tokenizer", "vocab_size",
    "max_length", "embedding_init", "resample",
})


class ConfigRecord(Callback):
    """Put the run's config (as its ``config.json`` held it when training started) in every checkpoint."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = json.loads(json.dumps(config, default=str))  # plain JSON values: loads with weights_only

    def on_save_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        checkpoint[KEY] = self.config


def check_config_edits(run_dir: Path, config: Any, checkpoint: Path, plan: dict[str, Any] | None = None) -> None:
    """Refuse ``config.json`` edits a resume cannot honour; print a note for those it honours.

    ``config``: the validated ``config.json``; ``plan``: the run's ``plan.json`` (an ``epochs``
    edit made in both files alike is honoured, since the plan carries it)."""
    import torch

    started = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True).get(KEY)
    if not isinstance(started, dict):
        return  # written before the record existed
    now = json.loads(json.dumps(config.model_dump(mode="json"), default=str))
    edits = {k: (started[k], now[k]) for k in now if k in started and started[k] != now[k] and k != "data"}
    if (plan or {}).get("epochs") is not None and edits.get("epochs", (None, None))[1] == plan["epochs"]:
        edits.pop("epochs")  # raised in plan.json too, the documented way: nothing is ignored
    refused = [k for k in edits if k not in AFTER_TRAINING]
    path = run_dir / "config.json"
    if refused:
        k = refused[0]
        raise ConfigError(f"{path}: {k} {_shown(edits[k][1])} differs from the {_shown(edits[k][0])} the run started "
                          f"with ({_why(k, plan or {})}); restore it, or start a new run"
                          + (f" (also edited: {', '.join(refused[1:])})" if refused[1:] else ""))
    if edits:
        changes = ", ".join(f"{k} {_shown(new)} (was {_shown(old)})" for k, (old, new) in edits.items())
        sys.stderr.write(f"meddx: note: {path}: edits a resume honours (they act after training): {changes}\n")


def _shown(value: Any) -> str:
    """A config value as config.json spells it (``null``, ``true``, ``"light"``)."""
    return json.dumps(value)


def _why(field: str, plan: dict[str, Any]) -> str:
    """Why a resume cannot honour an edit of ``field``."""
    says = f", which says {_shown(plan[field])}" if field in plan else ""
    if field == "epochs":
        return f"a resume trains for the epochs of its plan.json{says}: to train longer raise \"epochs\" there"
    if field in PLANNED:
        return f"the run's plan.json resolved it when the run started{says}, and a resume follows plan.json"
    return "the epochs already trained used the first value, and the bundle would record the edit for all of them"
