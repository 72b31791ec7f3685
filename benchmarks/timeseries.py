"""PhysioNet/CinC 2012 set A, in-hospital mortality: 5-fold CV of every meddx series model.

    python benchmarks/timeseries.py ../shared/data/physionet-2012 --epochs grud=20,series-transformer=20

Protocol (the time-series issue's): the 4,000 set-A stays, first 48 hours, cut into 5 folds
stratified by outcome and grouped by patient (``meddx cv``: ``StratifiedGroupKFold``, seed 0). In
every fold each model trains the normal way (validation carved from the fold's training part, 10%,
chooses the epoch, the temperature and the operating point) and is scored on the held-out fold.
Sequence models carry the bundled gradient-boosting baseline, fitted on the same aggregates of the
same training stays and scored on the same held-out stays, so "vs boosting" is a paired pooled
difference with a 95% bootstrap CI. AUROC and AUPRC: mean ± sd over folds, and pooled out-of-fold
with a 95% CI. CPU minutes: process time of the whole cross-validation (all folds).

Published (other splits and protocols, P12 with sets A-C): GRU-D .819/.461, Raindrop .828/.440,
mTAND .842/.482 (AUROC/AUPRC).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ci_text, mean_sd, print_table  # noqa: E402

PUBLISHED = [("GRU-D (published, P12)", ".819", ".461"), ("Raindrop (published, P12)", ".828", ".440"),
             ("mTAND (published, P12)", ".842", ".482")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="the physionet-2012 folder (set-a and Outcomes-a.txt)")
    parser.add_argument("--models", default="gbm,logreg,grud,series-transformer")
    parser.add_argument("--epochs", default="grud=20,series-transformer=20",
                        help="fixed epochs per sequence model (early stopping on val may stop sooner)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (more than the free cores is slower)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/meddx-bench-series"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    epochs = {k: int(v) for k, v in (item.split("=") for item in args.epochs.split(","))} if args.epochs else {}
    results = {m: _cross_validate(args.data, m, epochs.get(m), args.folds, args.out, args.threads)
               for m in args.models.split(",")}
    rows = []
    for model, r in results.items():
        s = r["summary"]
        base = s.get("baseline")
        vs = "-"
        if base:
            d = base["difference"]
            vs = f"AUROC {ci_text(d.get('auc'), True)}; AUPRC {ci_text(d.get('auprc'), True)}"
        rows.append([model, mean_sd(s, "auc"), ci_text(s["pooled"]["auc"]), mean_sd(s, "auprc"), ci_text(s["pooled"].get("auprc")),
                     vs, r["epochs"], f"{r['cpu_minutes']:.1f}"])
    rows += [[name, auc, "-", auprc, "-", "-", "-", "-"] for name, auc, auprc in PUBLISHED]
    print_table(f"PhysioNet 2012 set A, in-hospital mortality, {args.folds}-fold CV by patient (meddx cv)",
                ["model", "AUROC (mean ± sd)", "AUROC pooled (95% CI)", "AUPRC (mean ± sd)", "AUPRC pooled (95% CI)",
                 "vs boosting (paired, pooled)", "epochs per fold", "CPU min"], rows)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


def _cross_validate(data: str, model: str, epochs: int | None, folds: int, out: Path, threads: int) -> dict:
    from meddx.evaluation.cv import cross_validate
    from meddx.training.config import TrainConfig

    config = TrainConfig(data=data, model=model, epochs=epochs, name=f"physionet-{model}", ci_resamples=1000,
                         add_to_registry=False, num_threads=threads)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = cross_validate(config, folds=folds, out=out / f"cv-{model}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ran = []
    for fold in summary["folds"]:
        run = json.loads((Path(fold["bundle"]) / "config.json").read_text())["training"]["run_dir"]
        trainer = Path(run) / "trainer.json"
        if trainer.is_file():
            ran.append(json.loads(trainer.read_text())["epochs_run"])
    label = "-" if not ran else (str(ran[0]) if min(ran) == max(ran) else f"{min(ran)}-{max(ran)}")
    print(f"{model}: {summary['mean'].get('auc'):.3f} AUROC, {wall / 60:.1f} min", flush=True)
    return {"summary": summary, "wall_minutes": wall / 60, "cpu_minutes": cpu / 60, "epochs": label}


if __name__ == "__main__":
    main()
