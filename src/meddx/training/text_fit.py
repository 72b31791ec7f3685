"""``fit`` for documents: tokenizer fitted on train -> token tensors -> the shared Lightning loop.

Reading order: plan (model, tokenizer kind) -> fit the tokenizer on the training documents only
(or take a pretrained model's own) -> sequence length from the training lengths -> encode train
and val -> (measure speed for a time budget) -> ``Trainer.fit`` with the same checkpointing,
early stopping and resume as images (``training.fit.train_and_restore``) -> best weights (with
``--ensemble K``: K networks one after another, seeds seed..seed+K-1, averaged by ``SoftmaxMean``) ->
TF-IDF + logistic regression baseline on the same training documents -> ``finish_run`` (the same
calibration, operating point, evaluation, bundle and registry code as images).

Note text never reaches a log line: only counts, lengths and ids are reported.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from meddx.core.files import write_json_atomic, write_text_atomic
from meddx.data.base import TextSource
from meddx.training.config import TrainConfig
from meddx.training.members import member_plans, write_member_plans
from meddx.training.text_plan import TextPlan

TOKENIZER_FILE = "tokenizer.json"
SELECTION = "val_select"  # best epoch and early stopping: val AUC, ties by loss (ClassificationTask)


class TokenDataset(Dataset):
    """Encoded documents ``(N, L)`` (ids, attention mask) with their labels."""

    def __init__(self, ids: np.ndarray, mask: np.ndarray, labels: np.ndarray) -> None:
        self.ids = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64))
        self.mask = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.int64))
        self.labels = torch.from_numpy(np.asarray(labels))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.ids[index], self.mask[index], self.labels[index]


def trim_collate(batch: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, ...]:
    """Stack a batch and drop the padding columns no document of the batch reaches (right
    padding), so a batch of short notes does not pay for the longest note of the corpus."""
    ids, mask, labels = (torch.stack(t) for t in zip(*batch))
    width = max(1, int(mask.sum(dim=1).max()))
    return ids[:, :width], mask[:, :width], labels


def token_loader(dataset: TokenDataset, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=0, generator=gen,
                      collate_fn=trim_collate)


def fit_text(config: TrainConfig, source: TextSource, run_dir: Path | None, *, plan_file: str | Path | None = None,
             progress: bool = True) -> Any:
    """Train a text classifier as ``config`` says; ``run_dir`` is given when resuming."""
    import lightning as L

    from meddx.models.ensemble import SoftmaxMean
    from meddx.tasks.ensemble import member_head
    from meddx.training import run as runlib
    from meddx.training.finish import finish_run
    from meddx.training.fit import FitResult, _default_name, resolve_precision, train_and_restore

    # 32-bit unless asked: bf16 autocast brings little to embedding/LSTM layers on CPU
    config = config.model_copy(update={"precision": resolve_precision(config.precision, 0)})
    resume = run_dir is not None
    _check_ensemble(config, source, config.ensemble or 1)  # before anything is written
    if config.model and not config.pretrained:  # a typo fails now, not after the baseline and tokenizer are fitted
        _check_text_model(config.model, source)
    baseline = _fit_baseline(config, source)  # so is a corpus the baseline refuses, not after training
    name = config.name or _default_name(source.name)
    from meddx.training import distributed

    if run_dir is None:  # torchrun's ranks > 0: rank 0's plan.json and tokenizer, in a private folder
        run_dir = distributed.received_run_dir() or runlib.new_run_dir(name)
    existing = run_dir / "plan.json"
    if existing.is_file():  # resume or a DDP worker: the plan and tokenizer were fixed by the first process
        plan = TextPlan(**runlib.read_json(existing))
        tokenizer = _load_tokenizer(run_dir / TOKENIZER_FILE)
        pretrained = None
    else:
        plan, tokenizer, pretrained = _plan_and_tokenizer(config, source, plan_file)
    train_ds = _encode(tokenizer, source, "train", plan.max_length)
    val_ds = _encode(tokenizer, source, "val", plan.max_length)
    # epochs from the time budget: measured now on a new run; a resumed run keeps re-planning each
    # network (its BudgetReplan state, the seconds of its share spent, comes back with its checkpoint)
    from meddx.training.plan import is_chosen

    # the reason's start, as image and segmentation runs: a resume's "raised to N by hand" note follows it
    overridden = is_chosen(plan, "epochs")
    budget_planned = bool(config.time_budget and config.epochs is None and not overridden)
    if not existing.is_file():
        if budget_planned:
            plan = _fit_budget(config, source, plan, train_ds, pretrained)  # each member gets its share
        write_text_atomic(run_dir / TOKENIZER_FILE, tokenizer.to_json())
        plan.write(run_dir / "plan.json")
        write_member_plans(run_dir, plan)  # networks 2..K: their own plan.json, re-planned on its own
        write_json_atomic(run_dir / "config.json", config.model_dump())
        write_json_atomic(run_dir / "data.json", runlib.data_fingerprint(source))
        write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": config.seed})
    if not resume:  # torchrun's rank 0: the budget-fitted plan and the tokenizer to the other processes
        distributed.share_run_files(run_dir, ["plan.json", TOKENIZER_FILE])

    _check_ensemble(config, source, plan.ensemble)  # a plan file may have changed it
    nets, kept, vectors = [], [], None
    plans = member_plans(run_dir, plan)  # each network plans and re-plans its own epochs
    for member, plan in enumerate(plans):
        # Member 0 trains in the run folder itself, member m in members/m with seed + m (initial
        # weights, dropout and batch order differ); the bundle averages their probabilities.
        seed = config.seed + member
        member_dir = runlib.member_dir(run_dir, member)
        member_resume = resume and (member_dir / "checkpoints" / "last.ckpt").is_file()
        if member:
            L.seed_everything(seed, workers=True, verbose=False)
        task = _build_task(config, source, plan, pretrained)
        if plan.embedding_init == "ppmi" and not member_resume:  # deterministic: every process of a run agrees
            vectors = _start_embeddings(task.net, train_ds, tokenizer.pad_id, config.seed, vectors)
        budget = config.time_budget / plan.ensemble if budget_planned and config.time_budget else None
        kept.append(train_and_restore(
            config, plan, task, token_loader(train_ds, plan.batch_size, shuffle=True, seed=seed),
            token_loader(val_ds, plan.batch_size * 2, shuffle=False), member_dir, progress, resume=member_resume,
            monitor=SELECTION, resume_dir=run_dir, budget_minutes=budget))
        if kept[-1] is None:
            return FitResult(run_dir=run_dir, plan=plan)  # an extra process of a multi-process run
        nets.append(task.net.eval())
    net = nets[0] if len(nets) == 1 else SoftmaxMean(nets, member_head(source.task)).eval()
    plan = plans[0]  # the run's plan.json (network 1's); the bundle records every network's epochs
    from meddx.bundle.text_predictor import text_bundle_config, text_bundle_files, text_predictor_factory

    cfg = text_bundle_config(config, source, plan, name, run_dir)
    return finish_run(config, source, plan, None, net, run_dir, name, cfg=cfg, kept=kept,
                      make_predictor=text_predictor_factory(tokenizer, baseline),
                      extra_files=text_bundle_files(tokenizer, baseline))


def _plan_and_tokenizer(config: TrainConfig, source: TextSource, plan_file: str | Path | None) -> tuple[TextPlan, Any, Any]:
    """The plan with the fitted (or pretrained) tokenizer's decisions filled in."""
    from meddx.training.plan import apply_overrides, read_plan
    from meddx.training.text_embeddings import embedding_dim
    from meddx.training.text_plan import (MAX_LENGTH_CAP, choose_max_length, initial_text_plan, with_embedding_init,
                                          with_tokenizer)
    from meddx.transforms.text import TextTokenizer

    plan = initial_text_plan(config, source)
    overrides = read_plan(plan_file, TextPlan) if plan_file else {}
    plan = apply_overrides(plan, {k: v for k, v in overrides.items() if k not in ("max_length", "model_args", "dp_vocabulary")})
    train_texts = source.split("train").texts or []
    pretrained = None
    if config.pretrained:
        from meddx.models.text import load_pretrained

        tokenizer = TextTokenizer.from_pretrained(config.pretrained)
        args, pretrained = load_pretrained(config.pretrained, source.num_classes, pad_id=tokenizer.pad_id,
                                           tokenizer_size=tokenizer.vocab_size)
        plan = plan.model_copy(update={"model_args": {**args, **plan.model_args}, "vocab_size": tokenizer.vocab_size})
        plan = _note_loading(plan, pretrained)
    elif config.dp:  # never a vocabulary counted as is: it would hold names and record numbers verbatim
        from meddx.training.text_plan import private_tokenizer

        tokenizer, plan = private_tokenizer(config, plan, train_texts, overrides.get("dp_vocabulary"))
    else:
        tokenizer = TextTokenizer.fit(train_texts, kind=plan.tokenizer, vocab_size=plan.vocab_size,
                                      min_frequency=plan.min_frequency, max_length=MAX_LENGTH_CAP)
    configured = overrides.get("max_length") or config.max_length
    length, why = choose_max_length(np.zeros(0) if config.dp else tokenizer.lengths(train_texts), configured,
                                    private=config.dp)
    if config.pretrained:
        limit = pretrained.max_tokens() or length  # RoBERTa's 514 positions take 512 tokens
        if length > limit:
            length, why = limit, f"{why}; cut to the pretrained model's {limit} positions"
        data = plan.model_dump()
        data["max_length"], data["reasons"]["max_length"] = length, why
        plan = TextPlan(**data)
    else:
        plan = with_tokenizer(plan, tokenizer.vocab_size, tokenizer.pad_id, length, why)
    if "model_args" in overrides:
        plan = apply_overrides(plan, {"model_args": {**plan.model_args, **overrides["model_args"]}})
    tokenizer.max_length = plan.max_length
    net = _check_model(plan, source)
    plan = with_embedding_init(plan, config, embedding_dim(net), overridden="embedding_init" in overrides)
    return plan, tokenizer, pretrained


def _note_loading(plan: TextPlan, pretrained: Any) -> TextPlan:
    """Say on stderr, and in the plan's reason for the model, whether the classification head is new
    or the checkpoint's own and which encoder weights the folder lacked (see ``loading_notes``)."""
    notes = list(getattr(pretrained, "loading_notes", []))
    for note in notes:
        sys.stderr.write(f"meddx: note: {note}\n")
    reason = "; ".join([plan.reasons.get("model", ""), *notes]).lstrip("; ")
    return plan.model_copy(update={"reasons": {**plan.reasons, "model": reason}})


def _check_ensemble(config: TrainConfig, source: TextSource, k: int) -> None:
    """An ensemble averages the class probabilities of networks trained one after another in one
    process: refuse what it cannot do."""
    from meddx.core.errors import ConfigError
    from meddx.training.config import check_member_seeds

    if k < 1:
        raise ConfigError(f"plan field ensemble: expected 1 or more networks, got {k}")
    check_member_seeds(config.seed, k)  # a plan file's ensemble too
    if k > 1 and source.task == "multilabel":
        raise ConfigError(f"ensemble={k}: ensembles average the class probabilities of single-label tasks; "
                          f"{source.origin} is multi-label, so drop --ensemble")
    if k > 1 and config.devices * config.num_nodes > 1:
        from meddx.training.distributed import one_process_hint

        raise ConfigError(f"ensemble={k}: ensemble members train one after another in one process; "
                          f"{one_process_hint()}, or drop --ensemble")


def _start_embeddings(net: Any, train_ds: TokenDataset, pad_id: int, seed: int,
                      vectors: np.ndarray | None) -> np.ndarray:
    """Start ``net``'s table from PPMI-SVD vectors of the training ids, computed on the first call
    only: they are the same for every network of an ensemble. Returns them for the next network."""
    from meddx.training.text_embeddings import embedding_dim, init_embeddings, ppmi_vectors

    ids, mask = train_ds.ids.numpy(), train_ds.mask.numpy()
    if vectors is None:
        table = net.get_input_embeddings().weight
        vectors = ppmi_vectors(ids, mask, int(table.shape[0]), embedding_dim(net), seed=seed)
    info = init_embeddings(net, ids, mask, pad_id, seed=seed, vectors=vectors)
    logging.getLogger(__name__).info("embedding table: %d of %d token rows started from %d-dimensional PPMI-SVD "
                                     "vectors", info["tokens_initialised"], info["vocab_size"], info["dim"])
    return vectors


def _check_model(plan: TextPlan, source: TextSource) -> Any:
    """Build the network once, so a bad name or argument fails before training starts."""
    from meddx.models.registry import create_model

    _check_text_model(plan.model, source)
    return create_model(plan.model, num_classes=source.num_classes, **plan.model_args)


def _check_text_model(name: str, source: TextSource) -> None:
    """Refuse an unknown name (suggesting and listing the text models only) or a model that reads
    something else than documents."""
    from meddx.core.errors import ModelError
    from meddx.models.registry import model_info, reads

    kind = model_info(name, input="text").get("input", "image")
    if kind != "text":
        raise ModelError(f"model {name!r} reads {reads(kind)}, but {source.origin} holds documents; pick a text model "
                         "from `meddx models` (lstm, bilstm-attention, transformer, textcnn)")


def _encode(tokenizer: Any, source: TextSource, split: str, max_length: int) -> TokenDataset:
    data = source.split(split)
    ids, mask = tokenizer.encode_batch(data.texts or [], max_length=max_length)
    if ids.shape[1] < max_length:  # fixed width so trim_collate can cut per batch
        pad = max_length - ids.shape[1]
        ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=tokenizer.pad_id)
        mask = np.pad(mask, ((0, 0), (0, pad)))
    return TokenDataset(ids, mask, data.labels)


def _build_task(config: TrainConfig, source: TextSource, plan: TextPlan, pretrained: Any) -> Any:
    from meddx.tasks.classification import ClassificationTask

    task = ClassificationTask(model_name=plan.model, model_args=plan.model_args, task=source.task,
                              num_classes=source.num_classes, class_weights=plan.class_weights, lr=plan.lr,
                              weight_decay=config.weight_decay, max_epochs=plan.epochs,
                              label_smoothing=config.label_smoothing)
    if pretrained is not None:  # the pretrained encoder's weights; the new head stays as initialised
        task.net.load_state_dict(pretrained.state_dict())
    return task


def _fit_budget(config: TrainConfig, source: TextSource, plan: TextPlan, train_ds: TokenDataset,
                pretrained: Any) -> TextPlan:
    """Epochs for ``--time-budget`` from the measured time of real training batches."""
    from meddx.training.plan import plan_epochs

    task = _build_task(config, source, plan, pretrained).train()
    opt = torch.optim.AdamW(task.parameters(), lr=1e-5)
    loader = iter(token_loader(train_ds, plan.batch_size, shuffle=True, seed=config.seed))
    times, samples = [], 0
    for step in range(6):
        try:
            batch = next(loader)
        except StopIteration:
            break
        start = time.perf_counter()
        loss = task.step(batch)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= 2:  # the first steps allocate and pick kernels
            times.append(time.perf_counter() - start)
            samples += len(batch[-1])
    if not times:  # under 3 training batches: nothing timed once the first steps are left out
        # before, the plan kept "default (no time budget given)" though a budget was given
        plan.reasons["epochs"] = (
            f"default {plan.epochs}: too few training batches ({step}) to time before training, so the "
            f"{config.time_budget:g} min --time-budget re-plans them from the first epochs' measured time "
            "(and stops training at 1.25x it)")
        return plan
    share = (config.time_budget or 0) / plan.ensemble
    plan = plan_epochs(plan, len(train_ds), share, sum(times) / samples, processes=config.devices * config.num_nodes)
    if plan.ensemble > 1:
        plan.reasons["epochs"] += f" (each of {plan.ensemble} networks' share of {config.time_budget:g} min)"
    from meddx.training.text_plan import limit_batches

    return limit_batches(plan, len(train_ds), share, processes=config.devices * config.num_nodes)


def _fit_baseline(config: TrainConfig, source: TextSource) -> Any:
    if not config.baseline or config.dp:  # under --dp it would be a second, non-private model of the notes
        return None
    from meddx.evaluation.text_baseline import TfidfBaseline

    train = source.split("train")
    return TfidfBaseline.fit(train.texts or [], train.labels, source.task, seed=config.seed)


def _load_tokenizer(path: Path) -> Any:
    from meddx.transforms.text import TextTokenizer

    return TextTokenizer.from_json(path.read_text())
