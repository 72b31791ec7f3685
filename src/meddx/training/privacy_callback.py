"""The Lightning side of DP-SGD: a callback that makes ``Trainer.fit`` private.

Built by :func:`meddx.training.privacy.private_training`. At fit start it attaches the
per-sample gradient hooks to ``pl_module.net`` (the network object and its state-dict keys stay
as they are, so checkpoints and the best-epoch reload work unchanged) and swaps the strategy's
optimizer for a ``DPOptimizer`` sharing its param groups (the LR schedule keeps working). After
each training epoch it logs ``epsilon`` (progress bar and ``metrics.csv``), writes the run's
``privacy.json``, and stops training when one more epoch would exceed the target epsilon. The
accountant's history travels in the checkpoints, so a resumed run keeps counting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

from meddx.core.errors import ConfigError
from meddx.core.files import write_json_atomic


class PrivacyCallback(Callback):
    """DP-SGD around ``Trainer.fit``; ``base`` holds the settings written to ``privacy.json``."""

    def __init__(self, engine: Any, base: dict[str, Any], path: Path, steps_per_epoch: int) -> None:
        self.engine, self.base, self.path = engine, base, Path(path)
        self.steps_per_epoch = int(steps_per_epoch)
        self.per_epoch: list[dict[str, Any]] = []
        self.stopped: str | None = None
        self.bundle_layers: str | None = None
        self._trainer: Any = None

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if trainer.world_size > 1:
            raise ConfigError("--dp trains in one process: drop --devices/--num-nodes (multi-process DP-SGD "
                              "needs distributed Poisson sampling, not supported here)")
        self._trainer = trainer
        self.engine.attach(pl_module.net)
        expected = self.base["expected_batch_size"]
        trainer.strategy.optimizers = [self.engine.wrap_optimizer(opt, expected) for opt in trainer.strategy.optimizers]
        # A resumed run (history restored from the checkpoint, before this hook) that was extended
        # gets the same check as every epoch end: the first new epoch must not exceed the target.
        resumed_with_more = self.engine.history and len(self.per_epoch) < (trainer.max_epochs or 0)
        upcoming = self._over_target() if resumed_with_more else None
        if upcoming is not None:
            trainer.should_stop = True
            self.base["noise_multiplier"] = self.engine.history[-1][0]  # the noise every recorded step used
            self.stopped = (f"not resumed after epoch {len(self.per_epoch)}: one more epoch would spend epsilon "
                            f"{upcoming:.3f} > target {self.engine.target_epsilon}")

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        eps = self.engine.epsilon()
        pl_module.log("epsilon", eps, prog_bar=True, on_step=False, on_epoch=True)
        self._record(trainer.current_epoch, eps)
        if trainer.current_epoch + 1 < (trainer.max_epochs or 0) and not trainer.should_stop:
            upcoming = self._over_target()
            if upcoming is not None:
                trainer.should_stop = True
                self.stopped = (f"stopped after epoch {trainer.current_epoch + 1}: one more epoch would spend "
                                f"epsilon {upcoming:.3f} > target {self.engine.target_epsilon}")
        self.write()

    def _over_target(self) -> float | None:
        """The epsilon one more epoch would bring, when that exceeds the target (else ``None``)."""
        target = self.engine.target_epsilon
        if target is None:
            return None
        upcoming = self.engine.epsilon(extra_steps=self.steps_per_epoch)
        return upcoming if upcoming > target else None

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self.engine.detach()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.engine.detach()

    def _record(self, epoch: int, eps: float) -> None:
        self.per_epoch = [e for e in self.per_epoch if e["epoch"] != epoch + 1]  # re-run after a resume
        self.per_epoch.append({"epoch": epoch + 1, "epsilon": eps, "steps": self.engine.steps})

    def _entries(self) -> list[dict[str, Any]]:
        """Per-epoch entries, plus the current epoch when its steps are not recorded yet (the
        checkpoint is saved after validation, before ``on_train_epoch_end``)."""
        recorded = self.per_epoch[-1]["steps"] if self.per_epoch else 0
        if self._trainer is None or self.engine.steps <= recorded:
            return list(self.per_epoch)
        return [*self.per_epoch, {"epoch": self._trainer.current_epoch + 1, "epsilon": self.engine.epsilon(),
                                  "steps": self.engine.steps}]

    def section(self) -> dict[str, Any]:
        """The ``privacy`` section of the run (and of the bundle's ``config.json``)."""
        entries = self._entries()
        return {**self.base, "epsilon": self.engine.epsilon(), "steps": self.engine.steps, "epochs": len(entries),
                "per_epoch": entries, "stopped_early": self.stopped, "bundle_layers": self.bundle_layers,
                "accountant_history": [list(h) for h in [*self.engine.prior, *self.engine.history]]}

    def write(self) -> None:
        write_json_atomic(self.path, self.section())

    def finalize(self, task: Any) -> None:
        """After the best epoch is loaded: hand the bundle the registered architecture when the
        weights fit it, and write the final ``privacy.json``."""
        from meddx.training.privacy_layers import bundle_network

        self.engine.detach()
        task.net, substituted = bundle_network(task)
        self.bundle_layers = "substituted" if substituted else "original architecture"
        self.write()

    def state_dict(self) -> dict[str, Any]:
        return {"engine": self.engine.state_dict(), "per_epoch": self._entries(), "stopped": self.stopped}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.engine.load_state_dict(state_dict.get("engine", {}))
        self.per_epoch = list(state_dict.get("per_epoch", []))
        self.stopped = state_dict.get("stopped")
