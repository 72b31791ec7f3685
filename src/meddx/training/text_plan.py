"""The plan of a text run: tokenizer, sequence length, model and schedule, each with its reason.

Like the image plan (``training/plan.py``) it is written to ``plan.json`` beside the run, and an
edited copy passed back with ``--plan`` overrides any field. The tokenizer is fitted on the
training split only, and the sequence length is read from that fitted tokenizer, so nothing here
looks at validation or test documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from meddx.data.base import TextSource
from meddx.training.config import TrainConfig

DEFAULT_MODEL = "bilstm-attention"
DEFAULT_VOCAB = 20000
MAX_LENGTH_CAP = 512
SCRATCH_LR = 2e-3  # AdamW from scratch (the config default)
FINE_TUNE_LR = 5e-5  # fine-tuning a pretrained transformer: a from-scratch rate destroys its weights


class TextPlan(BaseModel):
    """The resolved automatic choices of one text run."""

    model_config = ConfigDict(extra="forbid")

    model: str
    model_args: dict[str, Any]
    tokenizer: str
    vocab_size: int
    min_frequency: int
    max_length: int
    lr: float
    batch_size: int
    epochs: int
    class_weights: list[float] | None
    early_stopping_patience: int
    seconds_per_sample: float | None = None
    embedding_init: str = "random"  # ppmi, random or pretrained (plans written before it existed: random)
    # --dp: the private vocabulary's mechanism (privacy/vocabulary.py): noise, max_words, threshold,
    # delta, words; a plan file may set noise and max_words
    dp_vocabulary: dict[str, Any] | None = None
    ensemble: int = 1  # networks trained (seeds seed..seed+K-1); the bundle averages their probabilities
    # training batches per epoch when a --time-budget is shorter than one epoch (Lightning's
    # limit_train_batches: the schedule ends there and validation still runs); None: every batch
    train_batches: int | None = Field(None, ge=1)
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        """Write the plan as indented JSON (atomically)."""
        from meddx.core.files import write_json_atomic

        write_json_atomic(path, self.model_dump())


def initial_text_plan(config: TrainConfig, source: TextSource) -> TextPlan:
    """Everything decidable before the tokenizer is fitted (``max_length`` comes after)."""
    from meddx.training.plan import _class_weights, default_patience

    reasons: dict[str, str] = {}
    if config.pretrained:
        _check_pretrained_flags(config)
        model, reasons["model"] = "hf-sequence-classifier", f"pretrained model folder {config.pretrained}"
        kind, reasons["tokenizer"] = "pretrained", "the pretrained model's own tokenizer"
    else:
        model = config.model or DEFAULT_MODEL
        reasons["model"] = "set in config" if config.model else "default for text (its attention weights explain it)"
        kind = config.tokenizer or "word"
        reasons["tokenizer"] = "set in config" if config.tokenizer else "default: word-level vocabulary from train"
    lr_set = "lr" in config.model_fields_set
    lr = config.lr if lr_set or not config.pretrained else FINE_TUNE_LR
    reasons["lr"] = "set in config" if lr_set else ("fine-tuning rate for a pretrained model" if config.pretrained
                                                    else "default AdamW rate for training from scratch")
    weights, reasons["class_weights"] = _class_weights(config, source)
    epochs = config.epochs or 20
    # a --time-budget replaces this reason when it plans the epochs (text_fit._fit_budget); before, a plan
    # made with one said "no time budget given" until then (and kept it when nothing could be timed)
    reasons["epochs"] = "set in config" if config.epochs else (
        f"default; the {config.time_budget:g} min --time-budget plans them" if config.time_budget
        else "default (no time budget given)")
    patience, reasons["early_stopping_patience"] = default_patience(
        config.early_stopping_patience, config.checkpoint or "best", epochs)
    ensemble = config.ensemble or 1
    reasons["ensemble"] = ("set in config: the mean of the networks' probabilities" if config.ensemble
                           else "default: one network")
    return TextPlan(
        model=model, model_args=dict(config.model_args), tokenizer=kind,
        vocab_size=config.vocab_size or DEFAULT_VOCAB, min_frequency=2, max_length=config.max_length or 0,
        lr=lr, batch_size=config.batch_size or 32, epochs=epochs, class_weights=weights,
        early_stopping_patience=patience, ensemble=ensemble, reasons=reasons,
    )


def _check_pretrained_flags(config: TrainConfig) -> None:
    """``--pretrained`` brings its own network, tokenizer and embeddings: refuse flags that it would
    otherwise silently override (``--model lstm`` would train the Hugging Face model instead)."""
    from meddx.core.errors import ConfigError

    given = {"--model": config.model if config.model not in (None, "hf-sequence-classifier") else None,
             "--tokenizer": config.tokenizer, "--vocab-size": config.vocab_size,
             "--embedding-init": config.embedding_init}
    clash = [f"{flag} {value}" for flag, value in given.items() if value]
    if clash:
        raise ConfigError(f"--pretrained {config.pretrained} uses that model's own network, tokenizer and vocabulary; "
                          f"drop {', '.join(clash)} (or drop --pretrained to train {config.model or 'a network'} "
                          "from scratch)")


DP_MAX_LENGTH = 256  # --dp: a fixed length, as the training documents' lengths are not released


def choose_max_length(lengths: np.ndarray, configured: int | None, private: bool = False) -> tuple[int, str]:
    """Tokens per document: the 95th percentile of the training lengths, rounded up to a multiple
    of 16 and capped at 512 (longer inputs cost time quadratically in a transformer); under
    ``--dp`` (``private``) a fixed length instead."""
    if configured:
        return int(configured), "set in config"
    if private:
        return DP_MAX_LENGTH, ("fixed under --dp: a percentile of the training documents' lengths would be "
                               "released without privacy (--max-length sets another)")
    if len(lengths) == 0:
        return 16, "no training documents: minimum length"
    p95 = float(np.percentile(lengths, 95))
    value = int(min(MAX_LENGTH_CAP, max(16, int(np.ceil(p95 / 16)) * 16)))
    return value, (f"95th percentile of {len(lengths)} training documents is {p95:.0f} tokens "
                   f"(median {np.median(lengths):.0f}); rounded up to a multiple of 16, capped at {MAX_LENGTH_CAP}")


def with_tokenizer(plan: TextPlan, vocab_size: int, pad_id: int, max_length: int, why: str) -> TextPlan:
    """Fill in what the fitted tokenizer decides: vocabulary size, padding id and sequence length."""
    data = plan.model_dump()
    data["max_length"], data["reasons"]["max_length"] = max_length, why
    data["vocab_size"] = vocab_size
    args = {"vocab_size": vocab_size, "pad_id": pad_id}
    if plan.model == "transformer":
        args["max_length"] = max_length
    data["model_args"] = {**args, **plan.model_args}
    return TextPlan(**data)


def with_embedding_init(plan: TextPlan, config: TrainConfig, dim: int, overridden: bool = False) -> TextPlan:
    """How the embedding table starts: the pretrained model's, random (as set), or PPMI vectors of the
    training split (``training/text_embeddings.py``) whenever the vocabulary is wider than the table."""
    from meddx.core.errors import ConfigError

    data = plan.model_dump()
    if config.pretrained:
        value, why = "pretrained", "the pretrained model's own embeddings"
    elif overridden:
        value, why = plan.embedding_init, "overridden by the given plan file"
    elif config.dp and config.embedding_init == "ppmi":
        raise ConfigError("--embedding-init ppmi with --dp: PPMI vectors of the training split would be released "
                          "without privacy; drop --embedding-init (random under --dp)")
    elif config.embedding_init:
        value, why = config.embedding_init, "set in config"
    elif config.dp:
        value, why = "random", "--dp: PPMI vectors of the training split would be released without privacy"
    elif plan.vocab_size > dim:
        value, why = "ppmi", (f"default: {dim}-dimensional PPMI-SVD word vectors of the training split; from-scratch "
                              "networks on small corpora start from what co-occurrence alone says about each token")
    else:
        value, why = "random", f"vocabulary ({plan.vocab_size}) not wider than the {dim}-dimensional table"
    if not config.pretrained and value not in ("ppmi", "random"):
        raise ConfigError(f"plan field embedding_init: expected ppmi or random, got {value!r}")
    if value == "ppmi" and plan.vocab_size <= dim:
        raise ConfigError(f"embedding_init ppmi needs a vocabulary wider than the embedding table: vocabulary "
                          f"{plan.vocab_size}, table width {dim}; use --embedding-init random or a larger --vocab-size")
    data["embedding_init"], data["reasons"]["embedding_init"] = value, why
    return TextPlan(**data)


def private_tokenizer(config: TrainConfig, plan: TextPlan, texts: list[str],
                      given: dict[str, Any] | None = None) -> tuple[Any, TextPlan]:
    """``--dp``: a word tokenizer over a vocabulary released privately (``privacy/vocabulary.py``;
    ``given`` is a plan file's ``dp_vocabulary``, whose ``noise`` and ``max_words`` apply), and
    the plan recording the mechanism, which the training's accountant then counts."""
    from meddx.core.errors import ConfigError
    from meddx.privacy.vocabulary import DELTA_SHARE, MAX_WORDS, NOISE, release_vocabulary
    from meddx.transforms.text import _SPECIALS, TextTokenizer

    if plan.tokenizer != "word":
        raise ConfigError(f"--tokenizer {plan.tokenizer} with --dp: subword tokenizers are not trained privately; "
                          "use --tokenizer word (a private word vocabulary) or --pretrained with a public tokenizer")
    given = given or {}
    release = release_vocabulary(texts, limit=plan.vocab_size - len(_SPECIALS["word"]),
                                 delta=config.delta * DELTA_SHARE, seed=config.seed,
                                 noise=float(given.get("noise", NOISE)), max_words=int(given.get("max_words", MAX_WORDS)))
    # The released words are the only corpus: what the tokenizer holds is the mechanism's output.
    tokenizer = TextTokenizer.fit([" ".join(release.words)], kind="word", vocab_size=len(release.words) + 2,
                                  min_frequency=1, max_length=MAX_LENGTH_CAP)
    data = plan.model_dump()
    data["dp_vocabulary"] = release.to_dict()
    data["reasons"]["tokenizer"] = (f"--dp: {len(release.words)} words released privately (Gaussian noise "
                                    f"{release.noise:g} on weighted document counts, threshold {release.threshold:.1f}, "
                                    f"at most {release.max_words} words per document)")
    return tokenizer, TextPlan(**data)


def limit_batches(plan: TextPlan, n_train: int, budget_minutes: float, processes: int = 1) -> TextPlan:
    """A budget shorter than one epoch: train the batches that fit (Lightning's
    ``limit_train_batches``, so the learning-rate schedule ends there and validation, calibration
    and the bundle still follow) and say so on stderr before training, instead of planning one
    epoch that Lightning's time limit cuts off unannounced with the schedule barely started.

    ``processes`` (``devices x num_nodes``): Lightning gives each process its shard of the epoch
    (a ``DistributedSampler``: ``ceil(n_train / processes)`` documents) and applies
    ``limit_train_batches`` to each process's loader, so ``train_batches`` counts one process's
    batches, an epoch is that many fewer batches per process, and the processes together train
    ``processes x train_batches`` batches; the note and the reason say so. The speed was measured
    in one process (the probe), so each process is assumed to train at that speed."""
    import math
    import sys

    from meddx.training.budget_words import budget_for, duration_words
    from meddx.training.plan import epochs_in_budget

    assert plan.seconds_per_sample is not None  # set by plan_epochs
    processes = max(1, int(processes))
    fits = max(1, int(epochs_in_budget(n_train, budget_minutes, plan.seconds_per_sample)
                      * math.ceil(n_train / plan.batch_size)))  # batches one process trains in the budget
    shard = math.ceil(n_train / processes)  # documents per process and epoch
    total = math.ceil(shard / plan.batch_size)  # one process's batches per epoch
    if fits >= total:
        return plan
    fraction = epochs_in_budget(shard, budget_minutes, plan.seconds_per_sample)
    one_epoch = budget_minutes / max(fraction, 1e-9)  # minutes of one epoch, the processes side by side
    documents = min(n_train, fits * plan.batch_size * processes)
    per = f" per process ({processes} processes, {shard} documents each)" if processes > 1 else ""
    data = plan.model_dump()
    data["train_batches"] = fits
    data["reasons"]["train_batches"] = (
        f"the {budget_minutes:g} min budget is {fraction:.1%} of one epoch ({duration_words(one_epoch)} at "
        f"{plan.seconds_per_sample * 1000:.1f} ms measured per sample): {fits} of {total} training batches{per} "
        f"({documents} of {n_train} documents), then validation")
    k = plan.ensemble
    given = f"--time-budget {budget_minutes * k:g} min" + (f" ({budget_minutes:g} min per network)" if k > 1 else "")
    where = (f" in each of {processes} processes ({documents} of {n_train} documents; plan.json train_batches "
             "counts one process's)") if processes > 1 else " (plan.json train_batches)"
    sys.stderr.write(f"meddx: note: {given} is shorter than one epoch (about {duration_words(one_epoch)} measured): "
                     f"training stops after {fits} of {total} batches{where}; give "
                     f"--time-budget {budget_for(one_epoch * k):g} or more for a full epoch\n")
    return TextPlan(**data)
