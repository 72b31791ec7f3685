"""From the final global weights to a normal meddx bundle, with the usual clinical evaluation.

With coordinator-held validation data (a simulation's union of site-val splits, or a real
server's ``--eval-data``) this is ``training.finish.finish_run`` unchanged: temperature and
operating point on validation, test metrics with bootstrap CIs, model card, registry; plus
``report.html`` for the test split, as ``meddx evaluate`` writes it. Without such data the bundle
keeps the operating point at 0.5 and its card says the model was not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from meddx.federated.config import FederatedConfig
from meddx.federated.records import RoundLog, plot_rounds
from meddx.federated.spec import FederationSpec


@dataclass
class FederatedResult:
    """Where a federated run put things, and what it measured."""

    run_dir: Path
    bundle_path: Path
    metrics: dict[str, Any]
    rounds: list[dict[str, Any]]
    registry_ref: str | None = None
    plot: Path | None = None
    predictions: dict[str, Any] = field(default_factory=dict)


def prepare_run(cfg: FederatedConfig, data_desc: str, echo: Callable[[str], None] | None) -> tuple[str, Path, RoundLog]:
    """Bundle name, a fresh run folder (with the resolved config) and the round log writing into it."""
    from meddx.core.files import write_json_atomic
    from meddx.training import run as runlib
    from meddx.training.fit import _default_name

    name = cfg.name or _default_name(Path(str(data_desc).split(":")[-1]).stem + "-federated")
    run_dir = runlib.new_run_dir(name)
    write_json_atomic(run_dir / "config.json", cfg.model_dump())
    write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": cfg.seed})
    return name, run_dir, RoundLog(run_dir / "federated.json", echo, total_rounds=cfg.rounds)


def federated_section(cfg: FederatedConfig, sites: list[str], *, partition: str, evaluation: str | None,
                      site_sizes: dict[str, dict[str, int]] | None = None, log: RoundLog | None = None) -> dict[str, Any]:
    """The bundle's ``config["federated"]``: how the model was trained, for the model card."""
    dp: dict[str, Any] | None = None
    if cfg.dp == "server":
        dp = _server_dp(cfg, len(sites))
    elif cfg.dp == "client":
        dp = _client_dp(cfg, log)
    return {
        "framework": "Flower (flwr)", "strategy": cfg.strategy, "mu": cfg.mu if cfg.strategy == "fedprox" else None,
        "rounds": cfg.rounds, "local_epochs": cfg.local_epochs, "sites": len(sites), "site_names": list(sites),
        "site_sizes": site_sizes, "partition": partition, "optimizer": cfg.optimizer, "lr": cfg.lr,
        "batch_size": cfg.batch_size, "differential_privacy": dp, "evaluation_data": evaluation,
        "normalisation": "fixed: per-image scaling, then mean 0.5 / std 0.5; no intensity statistic left a site",
        "model_selection": "the last round's global model (no round chosen on any split)",
        "per_round": "federated.json and federated.png in the run folder",
    }


def _server_dp(cfg: FederatedConfig, connected: int) -> dict[str, Any]:
    """What server-side DP did, as recorded: the mechanism's parameters, and no epsilon.

    Flower's fixed-clipping wrapper is a per-round Gaussian mechanism over whole sites; a
    site-level (user-level, one site = one user) (epsilon, delta) follows only from composing the
    rounds with an accountant, which neither Flower nor meddx runs here.
    """
    k = cfg.sites  # the noise is sized for this many sites (Flower's num_sampled_clients)
    sigma, clip = float(cfg.dp_noise_multiplier or 0.0), cfg.dp_clipping_norm
    return {
        "where": "server", "level": "site (user-level DP with each site as the user: a site's whole contribution "
                                    "to a round is the protected unit)",
        "method": "Flower DifferentialPrivacyServerSideFixedClipping: each round every site's update (its weights "
                  "minus the global weights) is clipped to the clipping norm (L2), the clipped updates are averaged "
                  "with equal weights (1 / sites per round; site sizes are ignored), and Gaussian noise with standard "
                  "deviation noise multiplier x clipping norm / sites per round is added to every weight",
        "noise_multiplier": sigma, "clipping_norm": clip, "sites_per_round": k, "sites_connected": connected,
        "aggregation": "unweighted mean of the clipped updates", "noise_std": sigma * clip / k,
        "rounds": cfg.rounds, "sampling_rate": 1.0,
        "epsilon": None, "delta": None,
        "accounting": "not computed. meddx runs no privacy accountant for server-side DP, so no (epsilon, delta) "
                      "guarantee is claimed; one needs an accountant (e.g. RDP) composing the rounds' Gaussian "
                      "mechanisms at this noise multiplier and sampling rate 1 (every site, every round)",
        "not_covered": "the coordinator sees each site's unclipped, noise-free update (no secure aggregation); "
                       "the temperature and operating point fitted afterwards on validation data",
    }


def _client_dp(cfg: FederatedConfig, log: RoundLog | None) -> dict[str, Any]:
    """What client-side DP-SGD did at each site: the noise multiplier and Poisson sample rate each
    site actually used, its noisy steps and the epsilon its accountant reported, so that a reader
    can recompute every site's epsilon (RDP accountant, ``delta``)."""
    from meddx.training.privacy import ACCOUNTANT

    per_site: dict[str, dict[str, Any]] = {}
    for rnd in sorted(log.rounds) if log is not None else []:  # a site's latest report wins
        for name, site in log.rounds[rnd]["sites"].items():
            if "epsilon" in site:
                per_site[name] = site

    def column(key: str, cast: Any = float) -> dict[str, Any] | None:
        values = {n: (None if s.get(key) is None else cast(s[key])) for n, s in sorted(per_site.items())}
        return values or None

    return {
        "where": "client", "level": "example (each training sample at its own site; not patient-level)",
        "method": "DP-SGD at every site (Opacus; example-level, per site)", "accountant": ACCOUNTANT,
        "noise_multiplier": cfg.dp_noise_multiplier,
        "noise_chosen": "given" if cfg.dp_noise_multiplier is not None
        else "per site, for the target epsilon over rounds x local_epochs passes of its data",
        "target_epsilon": cfg.dp_epsilon, "delta": cfg.dp_delta, "clipping_norm": cfg.dp_clipping_norm,
        "noise_multiplier_per_site": column("noise_multiplier"), "sample_rate_per_site": column("sample_rate"),
        "steps_per_site": column("dp_steps", int), "epsilon_per_site": column("epsilon"),
    }


def finalize(cfg: FederatedConfig, spec: FederationSpec, weights: list[np.ndarray], source: Any, run_dir: Path,
             name: str, log: RoundLog, section: dict[str, Any], *, data_desc: str) -> FederatedResult:
    """Bundle the final global weights; evaluate them when ``source`` has a val split."""
    from meddx.federated.spec import build_task, preprocessor, set_weights

    task = build_task(spec)
    set_weights(task.net, weights)
    net = task.net.eval()
    pre = preprocessor(spec)
    plan = _plan(cfg, spec, pre)
    train_cfg = _train_config(cfg, spec, data_desc)
    log.write()
    plot = plot_rounds(log, run_dir / "federated.png", title=f"{name}: {cfg.strategy}, {section['sites']} sites")
    if source is not None and "val" in source.splits:
        return _evaluated(train_cfg, source, plan, pre, net, run_dir, name, log, section, plot)
    why = ("the coordinator held no data (start the server with --eval-data)" if source is None else
           f"the coordinator's data ({data_desc}) hold no val split to calibrate on and choose the operating point "
           "on (add val arrays or a val split)")
    return _unevaluated(train_cfg, spec, plan, pre, net, run_dir, name, log, section, plot, why)


def _evaluated(train_cfg: Any, source: Any, plan: Any, pre: Any, net: Any, run_dir: Path, name: str, log: RoundLog,
               section: dict[str, Any], plot: Path) -> FederatedResult:
    from meddx.core.files import write_json_atomic
    from meddx.evaluation.report import write_report
    from meddx.training import run as runlib
    from meddx.training.finish import bundle_config, finish_run

    write_json_atomic(run_dir / "data.json", runlib.data_fingerprint(source))
    cfg = bundle_config(train_cfg, source, plan, pre, name, run_dir)
    cfg["federated"] = section
    cfg["training"]["kept_epoch"] = ["final"]  # the last round's model
    result = finish_run(train_cfg, source, plan, pre, net, run_dir, name, cfg=cfg)
    metrics = result.metrics or {}
    split = "test" if metrics.get("test") else "val"
    preds = (result.predictions or {}).get(split)
    if preds is not None:
        report = {**metrics[split], "bundle": str(result.bundle_path), "data": train_cfg.data,
                  "dataset": metrics.get("dataset"), "plan": cfg["training"]["plan"],
                  "plan_reasons": cfg["training"]["plan_reasons"]}
        write_report(run_dir / "report.html", report, preds.labels, preds.probs,
                     title=f"{name} (federated, {section['strategy']}) on {split}", scores=preds.scores)
    return FederatedResult(run_dir=run_dir, bundle_path=Path(result.bundle_path), metrics=metrics,
                           rounds=log.to_dict()["rounds"], registry_ref=result.registry_ref, plot=plot,
                           predictions=result.predictions or {})


def _unevaluated(train_cfg: Any, spec: FederationSpec, plan: Any, pre: Any, net: Any, run_dir: Path, name: str,
                 log: RoundLog, section: dict[str, Any], plot: Path, why: str) -> FederatedResult:
    from meddx.bundle.model_card import render_model_card
    from meddx.data.base import ImageSource
    from meddx.training.finish import bundle_config, save_and_register

    shell = ImageSource(name=name, origin="federated sites", task=spec.task, label_names=list(spec.label_names),  # type: ignore[arg-type]
                        spatial_dims=spec.spatial_dims, splits={})
    cfg = bundle_config(train_cfg, shell, plan, pre, name, run_dir)
    cfg["federated"] = section
    cfg["training"]["kept_epoch"] = ["final"]  # the last round's model
    if spec.task != "multiclass":
        cfg["decision"].update(rule="fixed:0.5", threshold=0.5, chosen_on=None)
    note = f"not evaluated: {why}; the operating point is fixed at 0.5 and the output is not recalibrated"
    metrics: dict[str, Any] = {"note": note, "federated": log.to_dict()}
    path, ref = save_and_register(train_cfg, name, net, cfg, metrics, render_model_card(cfg, metrics), run_dir)
    return FederatedResult(run_dir=run_dir, bundle_path=path, metrics=metrics, rounds=log.to_dict()["rounds"],
                           registry_ref=ref, plot=plot)


def _plan(cfg: FederatedConfig, spec: FederationSpec, pre: Any) -> Any:
    from meddx.training.plan import Plan

    epochs = cfg.rounds * cfg.local_epochs
    why = f"federated: {cfg.rounds} rounds x {cfg.local_epochs} local epoch(s) per site"
    return Plan(model=spec.model, model_args=dict(spec.model_args), image_size=list(spec.image_size),
                channels=spec.channels, batch_size=spec.batch_size, epochs=epochs, class_weights=None,
                early_stopping_patience=epochs, checkpoint="final", normalization=pre.to_dict(),
                reasons={"epochs": why, "class_weights": "off (class counts stay at the sites)",
                         "early_stopping_patience": "none: the last round's model is kept",
                         "checkpoint": "the last round's model",
                         "batch_size": "set in the federated config", "model": "set in the federated config"})


def _train_config(cfg: FederatedConfig, spec: FederationSpec, data_desc: str) -> Any:
    """The ``TrainConfig`` that ``finish_run`` and the bundle's ``training`` section read."""
    from meddx.training.config import TrainConfig

    return TrainConfig(
        data=data_desc, name=cfg.name, model=spec.model, model_args=cfg.model_args, image_size=spec.image_size[0],
        channels=spec.channels, scaling=spec.scaling, augment=cfg.augment,  # type: ignore[arg-type]
        epochs=cfg.rounds * cfg.local_epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=cfg.weight_decay,
        class_weights=False, threshold_rule=cfg.threshold_rule, calibrate=cfg.calibrate,
        ci_resamples=cfg.ci_resamples, verify=cfg.verify, intended_use=cfg.intended_use, outcome=cfg.outcome,
        tta=cfg.tta, precision="32-true", seed=cfg.seed, val_fraction=cfg.site_val_fraction, output=cfg.output,
        add_to_registry=cfg.add_to_registry, num_threads=cfg.num_threads,
    )
