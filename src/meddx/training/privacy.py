"""Differential privacy for training: DP-SGD (Abadi et al. 2016) through Opacus.

Reading order: :func:`make_compatible` (``training.privacy_layers``) replaces the layers Opacus cannot take (BatchNorm ->
GroupNorm, LSTM -> DPLSTM, MultiheadAttention -> DPMultiheadAttention, in-place activations and
residual additions made out of place) -> :func:`noise_for` turns a target epsilon into a noise
multiplier over the planned steps (``opacus.accountants.utils.get_noise_multiplier``) ->
:class:`DPEngine` attaches per-sample gradient hooks (``GradSampleModule``), wraps the optimizer
in ``DPOptimizer`` (clip each sample's gradient, add Gaussian noise) and counts every noisy step
in the accountant's history -> the loader becomes a Poisson-sampled ``DPDataLoader`` (what the
accountant assumes) -> epsilon per epoch; training stops before an epoch would exceed the target.

Two entry points:

- :func:`make_private_for` ``(net, optimizer, loader, config) -> (net, optimizer, loader, engine)``
  for plain torch loops (a federated client): call :func:`make_compatible` on the network
  *before* building its optimizer; ``engine.epsilon()`` is the privacy spent so far, and
  ``engine.state_dict()`` carries the accountant across rounds.
- :func:`private_training` for the Lightning path (``training.fit.train_and_restore``), returning a
  callback (``training.privacy_callback``) that does the same around ``Trainer.fit`` and writes
  ``privacy.json`` in the run folder; ``finish_run`` copies it into the bundle's ``config.json``.

The guarantee is per training *sample* (example-level DP); a patient with several samples is
protected with epsilon times their number of samples (group privacy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError
from meddx.training.privacy_layers import apply_substitutions, load_private_bundle, make_compatible

__all__ = ["ACCOUNTANT", "DPEngine", "apply_substitutions", "load_private_bundle", "make_compatible",
           "make_private_for", "private_training", "privacy_section"]

ACCOUNTANT = "rdp"  # Renyi DP (Mironov 2017): the accountant Opacus' get_noise_multiplier defaults to
PRIVACY_FILE = "privacy.json"
VOCABULARY_PRIOR = ("the private vocabulary", ", or the vocabulary's noise (plan field dp_vocabulary.noise)")


def require_opacus() -> Any:
    """The ``opacus`` module, or a one-line error naming the extra to install."""
    from meddx.core.extras import needs_extra

    with needs_extra("--dp (DP-SGD)"):  # a broken install is not called a missing extra
        import opacus
    return opacus


def check_delta(delta: float, n: int) -> None:
    """Refuse a ``delta`` that is not below ``1 / n`` for a training set of ``n`` samples: an
    (epsilon, delta) guarantee with delta >= 1/n is met by a mechanism that publishes some
    training samples outright, so it protects nobody in particular (Dwork & Roth 2014, 2.3)."""
    import math

    if n > 0 and delta * n >= 1:
        suggest = 10.0 ** math.floor(math.log10(1.0 / n) - 1)
        raise ConfigError(f"--delta {delta:g} is not below 1/n = 1/{n} for the {n} training samples (delta*n = "
                          f"{delta * n:.3g}): such a guarantee allows publishing some samples whole; use a delta "
                          f"well below 1/n, e.g. --delta {suggest:g}")


def noise_for(config: Any, sample_rate: float, steps: int, prior: list[tuple[float, float, int]] | None = None,
              delta: float | None = None, prior_what: tuple[str, str] = VOCABULARY_PRIOR) -> float:
    """The noise multiplier: given, or the smallest that keeps ``config.epsilon`` after ``steps``
    (at ``delta``, default ``config.delta``), counting the ``prior`` mechanisms' accountant entries
    (the private vocabulary, an image run's statistics) before DP-SGD's. ``prior_what`` names them
    and what to do when they alone spend the target (:func:`prior_description`)."""
    if config.noise_multiplier is not None:
        return float(config.noise_multiplier)
    delta = config.delta if delta is None else delta
    if prior:
        return _noise_after(prior, config.epsilon, delta, sample_rate, max(1, steps), prior_what)
    from opacus.accountants.utils import get_noise_multiplier

    try:
        return float(get_noise_multiplier(target_epsilon=config.epsilon, target_delta=delta,
                                          sample_rate=sample_rate, steps=max(1, steps), accountant=ACCOUNTANT))
    except ValueError as exc:
        raise ConfigError(f"epsilon {config.epsilon} at delta {delta} cannot be reached in {steps} steps at "
                          f"sample rate {sample_rate:.4g} ({exc}); raise the target (--epsilon; federated: --dp-epsilon) "
                          "or plan fewer passes (--epochs; federated: --rounds x --local-epochs)") from None


def _noise_after(prior: list[tuple[float, float, int]], target: float, delta: float, sample_rate: float,
                 steps: int, prior_what: tuple[str, str] = VOCABULARY_PRIOR) -> float:
    """Bisection, as Opacus' ``get_noise_multiplier`` does, over the composed history (Opacus'
    helper starts from an empty one)."""
    from opacus.accountants import create_accountant

    def epsilon(noise: float) -> float:
        accountant = create_accountant(mechanism=ACCOUNTANT)
        accountant.history = [*prior, (noise, sample_rate, steps)]
        return float(accountant.get_epsilon(delta=delta))

    floor = epsilon(1e6)
    if floor >= target:
        what, remedy = prior_what
        raise ConfigError(f"epsilon {target}: {what} alone spends {floor:.3f} at delta {delta:g}; raise --epsilon "
                          f"above {floor:.3f}{remedy}")
    low, high = 0.0, 10.0
    while epsilon(high) > target:
        low, high = high, 2 * high
    while target - epsilon(high) > 0.01:
        mid = (low + high) / 2
        low, high = (mid, high) if epsilon(mid) > target else (low, mid)
    return high


def prior_mechanisms(plan: Any) -> tuple[list[tuple[float, float, int]], float]:
    """Mechanisms that read the training data before DP-SGD (an image run's normalisation
    statistics, a text run's vocabulary): their accountant entries and the share of delta they took."""
    vocab, stats = getattr(plan, "dp_vocabulary", None), getattr(plan, "dp_statistics", None)
    entries = [(float(m["noise"]), 1.0, 1) for m in (stats, vocab) if m]
    return entries, float(vocab["delta"]) if vocab else 0.0


def prior_description(plan: Any) -> tuple[str, str]:
    """What :func:`prior_mechanisms` released, for an error when it alone spends the target epsilon,
    and the remedy besides a larger epsilon (only the vocabulary's noise can be set)."""
    if getattr(plan, "dp_vocabulary", None):
        return VOCABULARY_PRIOR
    return ("the private release of the intensity normalisation statistics (noise 10, counted before DP-SGD)",
            " (that release's noise is fixed)")


class DPEngine:
    """The privacy state of one DP-SGD training: settings, per-sample hooks and the accountant.

    ``history`` is the Opacus accountant history, ``[(noise_multiplier, sample_rate, steps)]``;
    :meth:`epsilon` recomputes epsilon from it with the named accountant (cheap for RDP).
    """

    def __init__(self, *, noise_multiplier: float, max_grad_norm: float, sample_rate: float, delta: float,
                 target_epsilon: float | None = None, accountant: str = ACCOUNTANT,
                 prior: list[tuple[float, float, int]] | None = None) -> None:
        self.noise_multiplier, self.max_grad_norm = float(noise_multiplier), float(max_grad_norm)
        self.sample_rate, self.delta, self.target_epsilon = float(sample_rate), float(delta), target_epsilon
        self.accountant = accountant
        self.history: list[tuple[float, float, int]] = []
        self.prior = list(prior or [])  # mechanisms before DP-SGD (private vocabulary), counted in epsilon
        self._gsm: Any = None

    @property
    def steps(self) -> int:
        """Noisy optimizer steps taken so far."""
        return sum(int(n) for _, _, n in self.history)

    def epsilon(self, extra_steps: int = 0) -> float:
        """Epsilon spent at ``delta`` so far, or after ``extra_steps`` more steps."""
        from opacus.accountants import create_accountant

        history = [*self.prior, *self.history]
        if extra_steps:
            history.append((self.noise_multiplier, self.sample_rate, int(extra_steps)))
        if not history:
            return 0.0
        accountant = create_accountant(mechanism=self.accountant)
        accountant.history = history
        return float(accountant.get_epsilon(delta=self.delta))

    def record_step(self, *_: Any) -> None:
        """One noisy step (the DPOptimizer's step hook)."""
        if self.history and self.history[-1][:2] == (self.noise_multiplier, self.sample_rate):
            noise, rate, n = self.history[-1]
            self.history[-1] = (noise, rate, n + 1)
        else:
            self.history.append((self.noise_multiplier, self.sample_rate, 1))

    def attach(self, net: Any) -> None:
        """Per-sample gradient hooks on ``net``'s layers; ``net`` itself (and its state dict) is
        unchanged, so checkpoints and bundles keep the plain network's keys."""
        from opacus import GradSampleModule

        self.detach()
        self._gsm = GradSampleModule(net, batch_first=True, loss_reduction="mean", strict=True)

    def detach(self) -> None:
        """Remove the hooks and per-sample gradients (after training)."""
        if self._gsm is not None:
            self._gsm._close()
            self._gsm = None

    def wrap_optimizer(self, optimizer: Any, expected_batch_size: int) -> Any:
        """``DPOptimizer`` around ``optimizer`` (its param groups and state are shared), stepping
        the accountant on every noisy step."""
        from opacus.optimizers import DPOptimizer

        if isinstance(optimizer, DPOptimizer):
            return optimizer
        dp = DPOptimizer(optimizer, noise_multiplier=self.noise_multiplier, max_grad_norm=self.max_grad_norm,
                         expected_batch_size=max(1, int(expected_batch_size)), loss_reduction="mean")
        dp.attach_step_hook(self.record_step)
        return dp

    def state_dict(self) -> dict[str, Any]:
        return {"history": [list(h) for h in self.history], "noise_multiplier": self.noise_multiplier,
                "sample_rate": self.sample_rate}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = [(float(a), float(b), int(c)) for a, b, c in state.get("history", [])]


def poisson_loader(loader: Any) -> Any:
    """The same dataset and collation, sampled as the accountant assumes (each sample joins each
    batch with probability ``1 / len(loader)``; batches vary in size and may be empty)."""
    from opacus.data_loader import DPDataLoader

    return DPDataLoader.from_data_loader(loader)


def make_private_for(net: Any, optimizer: Any, loader: Any, config: Any, *,
                     epochs: int | None = None) -> tuple[Any, Any, Any, DPEngine]:
    """DP-SGD for a plain torch loop: ``(net, optimizer, loader, engine)``.

    ``config`` has the TrainConfig DP fields (``epsilon`` or ``noise_multiplier``, ``delta``,
    ``max_grad_norm``). With a target epsilon, ``epochs`` (default ``config.epochs``) is the total
    number of passes over ``loader`` the budget must cover (all federated rounds together).
    ``net`` must already be compatible (:func:`make_compatible`, before the optimizer is built);
    it gets per-sample hooks but keeps its class and state-dict keys. Check ``engine.epsilon()``
    after each epoch; ``engine.detach()`` removes the hooks.
    """
    require_opacus()
    _quiet_opacus()
    from opacus.validators import ModuleValidator

    if ModuleValidator.validate(net.train(), strict=False):
        raise ConfigError("the network has layers Opacus cannot handle: call "
                          "meddx.training.privacy.make_compatible(net) before building its optimizer")
    check_delta(config.delta, len(loader.dataset))
    dp_loader = poisson_loader(loader)
    total_epochs = epochs or getattr(config, "epochs", None)
    if config.noise_multiplier is None and not total_epochs:
        raise ConfigError("a target epsilon needs the number of epochs it must cover (pass epochs=...)")
    steps_per_epoch = len(dp_loader)
    engine = DPEngine(noise_multiplier=noise_for(config, dp_loader.sample_rate, steps_per_epoch * (total_epochs or 1)),
                      max_grad_norm=config.max_grad_norm, sample_rate=dp_loader.sample_rate, delta=config.delta,
                      target_epsilon=config.epsilon)
    engine.attach(net)
    expected = int(len(loader.dataset) * dp_loader.sample_rate)
    return net, engine.wrap_optimizer(optimizer, expected), dp_loader, engine


def private_training(config: Any, plan: Any, task: Any, train_loader: Any, run_dir: Path) -> tuple[Any, Any, Any]:
    """Prepare a Lightning run for DP-SGD: ``(config, train_loader, callback)``.

    Makes ``task.net`` compatible, checks one forward/backward with per-sample gradients on two
    training samples (so an unsupported model fails here, in one line, not mid-epoch), chooses the
    noise for the planned epochs and forces 32-bit precision (bf16 autocast is not used with
    Opacus' per-sample gradients).
    """
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.privacy_callback import PrivacyCallback

    if not isinstance(task, ClassificationTask):
        raise ConfigError("--dp applies to classification (images, documents, series, tables); "
                          f"{type(task).__name__} training cannot be made private here")
    check_delta(config.delta, len(train_loader.dataset))
    _quiet_opacus()
    name = task.hparams.get("model_name", "the model")
    task.net, replaced = make_compatible(task.net, name)
    weighted = _batch_size_mean(task)
    _trial_step(task, train_loader, name)
    loader = poisson_loader(train_loader)
    # a text --time-budget under one epoch stops each epoch after plan.train_batches steps (Lightning's
    # limit_train_batches): the noise is chosen, and later epochs checked, for the steps actually taken
    steps_per_epoch = min(len(loader), getattr(plan, "train_batches", None) or len(loader))
    prior, prior_delta = prior_mechanisms(plan)
    delta = config.delta - prior_delta  # the accountant's share; the vocabulary's threshold took the rest
    noise = noise_for(config, loader.sample_rate, steps_per_epoch * plan.epochs, prior, delta, prior_description(plan))
    engine = DPEngine(noise_multiplier=noise, max_grad_norm=config.max_grad_norm, sample_rate=loader.sample_rate,
                      delta=delta, target_epsilon=config.epsilon, prior=prior)
    notes = outside_the_guarantee(plan)
    if weighted:
        notes.append("class-weighted loss averaged over the batch size, not the weight sum (each sample's gradient "
                     "must not depend on the others' labels)")
    if config.precision != "32-true":
        notes.append(f"precision forced to 32-true (was {config.precision}): Opacus' per-sample gradients run in fp32")
    base = {"mechanism": "DP-SGD", "library": f"opacus {require_opacus().__version__}", "accountant": ACCOUNTANT,
            "unit": "training sample (example-level DP)", "target_epsilon": config.epsilon, "delta": config.delta,
            "noise_multiplier": noise, "max_grad_norm": config.max_grad_norm, "sample_rate": loader.sample_rate,
            "expected_batch_size": int(len(train_loader.dataset) * loader.sample_rate),
            "steps_per_epoch": steps_per_epoch, "planned_epochs": plan.epochs, "replaced_layers": replaced,
            "noise_chosen": "for the target epsilon over the planned epochs" if config.noise_multiplier is None
            else "given", "notes": notes, "accountant_delta": delta,
            "vocabulary": getattr(plan, "dp_vocabulary", None), "statistics": getattr(plan, "dp_statistics", None)}
    callback = PrivacyCallback(engine, base, run_dir / PRIVACY_FILE, steps_per_epoch)
    return config.model_copy(update={"precision": "32-true"}), loader, callback


def _batch_size_mean(task: Any) -> bool:
    """Make a class-weighted cross-entropy average over the batch size instead of the batch's weight
    sum (torch's ``reduction="mean"``), whose sum couples every sample's gradient to the other
    samples' labels: removing one sample would move every other clipped gradient, so the
    sensitivity would exceed the clipping norm. The module keeps its class's buffers and state-dict
    keys. Returns whether the loss was changed."""
    import torch.nn.functional as F
    from torch import nn

    loss = task.loss_fn
    if type(loss) is not nn.CrossEntropyLoss or loss.weight is None:
        return False

    class BatchSizeMeanCrossEntropy(nn.CrossEntropyLoss):
        def forward(self, input: Any, target: Any) -> Any:
            per_sample = F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                                         reduction="none", label_smoothing=self.label_smoothing)
            return per_sample.sum() / max(1, per_sample.shape[0])

    loss.__class__ = BatchSizeMeanCrossEntropy
    return True


def outside_the_guarantee(plan: Any) -> list[str]:
    """What the run fitted on its training data without privacy, for the bundle and model card.
    Image statistics are released privately and class weights off under ``--dp`` unless set; text
    vocabularies are released privately, lengths fixed and the TF-IDF baseline not fitted."""
    kind, outside = type(plan).__name__, []
    if getattr(plan, "class_weights", None):
        outside.append("class weights from the training class counts (set by the user)")
    if kind == "SeriesPlan":
        outside.append("per-variable normalisation statistics (means, standard deviations) of the training split")
    if kind == "TabularPlan":
        outside.append("feature standardisation, imputation values and category levels of the training split")
    notes = [f"outside the guarantee: {what}" for what in outside]
    if getattr(plan, "dp_statistics", None):
        notes.append("intensity normalisation statistics released privately (counted in epsilon)")
    if getattr(plan, "dp_vocabulary", None):
        notes.append("vocabulary released privately (counted in epsilon); sequence length fixed; no TF-IDF baseline")
    return notes


def _quiet_opacus() -> None:
    """Hide known-harmless warnings: hooks firing on outputs when the input needs no gradient (the
    first layer), RDP's largest order being optimal at large sample rates (the bound is then
    conservative), and channels-last weights receiving standard-layout noisy gradients."""
    import warnings

    warnings.filterwarnings("ignore", message=".*Full backward hook is firing.*")
    warnings.filterwarnings("ignore", message=".*Optimal order is the largest alpha.*")
    warnings.filterwarnings("ignore", message=".*gradient layout contract.*")
    warnings.filterwarnings("ignore", message=".*Using a non-full backward hook.*")


def _trial_step(task: Any, loader: Any, name: str) -> None:
    """One forward/backward of two samples with per-sample gradients, then everything reset."""
    from torch.utils.data import DataLoader, Subset

    dataset = loader.dataset
    batch = next(iter(DataLoader(Subset(dataset, list(range(min(2, len(dataset))))), batch_size=2,
                                 collate_fn=loader.collate_fn)))
    engine = DPEngine(noise_multiplier=1.0, max_grad_norm=1.0, sample_rate=0.5, delta=1e-5)
    was_training = task.training
    try:
        task.train()
        engine.attach(task.net)
        task.step(batch)["loss"].backward()
        missing = [n for n, p in task.net.named_parameters() if p.requires_grad and getattr(p, "grad_sample", None) is None]
        if missing:
            raise RuntimeError(f"no per-sample gradient for {', '.join(missing[:3])}")
    except ConfigError:
        raise
    except Exception as exc:  # any failure inside Opacus' hooks: name the model and the cause
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"model {name!r} cannot be trained with DP-SGD: Opacus could not compute per-sample "
                          f"gradients ({type(exc).__name__}: {first}); choose another model (seed-cnn, resnet18, "
                          "lstm, bilstm-attention)") from None
    finally:
        engine.detach()
        task.zero_grad(set_to_none=True)
        task.train(was_training)


def privacy_section(run_dir: Path) -> dict[str, Any] | None:
    """The run's ``privacy.json`` (written per epoch by a DP run), or ``None`` for other runs."""
    path = Path(run_dir) / PRIVACY_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def add_to_bundle_config(cfg: dict[str, Any], run_dir: Path) -> None:
    """Copy a DP run's privacy section into a bundle ``config.json`` (``privacy``), and mark the
    model when its layers were substituted (``model.opacus_substitutions``)."""
    section = privacy_section(run_dir)
    if section is None:
        return
    cfg["privacy"] = section
    plan = cfg.get("training", {}).get("plan")
    if isinstance(plan, dict) and "precision" in plan:
        plan["precision"] = "32-true"  # what DP-SGD trained with (see the section's notes)
    if section.get("bundle_layers") == "substituted":
        cfg["model"]["opacus_substitutions"] = section.get("replaced_layers", [])
