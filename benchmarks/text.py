"""Medical abstracts (5 classes): 5-fold cross-validation of the text models against TF-IDF baselines.

    python benchmarks/text.py ../shared/data/medical-abstracts-tc/medical_tc_test.csv --budget 2

Protocol (the text issue's): ``meddx data verify`` finds 113 abstracts that occur 2-3 times with
different labels (231 rows); all 231 are dropped (``--fix drop-conflicting``), leaving 2,657. The
rest is cut into 5 folds stratified by label (``meddx cv``: ``StratifiedGroupKFold``, copies of one
text kept together). In every fold each network trains under the same time budget (validation
carved from the fold's training part, 10%, chooses the epoch and the temperature), and the
TF-IDF + logistic regression baseline (class-balanced, C = 1) is fitted on the same documents and
scored on the same held-out fold. TF-IDF + linear SVM (class-balanced) is fitted here on the same
folds for reference, at C = 1 and with C chosen by an inner 5-fold CV on each fold's training part.
Macro-F1 and accuracy: mean ± sd over folds, and the pooled out-of-fold estimate with a 95%
bootstrap CI; "vs LR" is the paired pooled difference network - baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ci_text, mean_sd, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="medical_tc_test.csv")
    parser.add_argument("--budget", type=float, default=2.0, help="training minutes per fold and model")
    parser.add_argument("--epochs", default=None,
                        help="fixed epochs per model instead of a time budget, e.g. 'lstm=5,transformer=4': on a "
                             "shared machine a budget buys fewer epochs whenever another process runs")
    parser.add_argument("--models", default="lstm,bilstm-attention,transformer",
                        help="comma-separated text models from `meddx models` (lstm, bilstm-attention, transformer, "
                             "textcnn)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--embedding-init", choices=("ppmi", "random"), default=None,
                        help="how the networks' embedding tables start (default: meddx's plan, ppmi)")
    parser.add_argument("--tokenizer", choices=("word", "wordpiece", "bpe"), default=None,
                        help="the networks' tokenizer (default: meddx's plan, word)")
    parser.add_argument("--vocab-size", type=int, default=None, help="tokenizer vocabulary (default: meddx's, 20000)")
    parser.add_argument("--ensemble", type=int, default=None,
                        help="train K networks per fold (seeds 0..K-1) and average their probabilities")
    parser.add_argument("--out", type=Path, default=Path("/tmp/meddx-bench-text"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    clean = _clean(args.data, args.out)
    rows, results = [], {}
    epochs = dict(item.split("=") for item in args.epochs.split(",")) if args.epochs else {}
    for model in args.models.split(","):
        fixed = int(epochs[model]) if model in epochs else None
        results[model] = _cross_validate(clean, model, None if fixed else args.budget, args.folds, args.out, fixed,
                                         args.embedding_init, args.tokenizer, args.vocab_size, args.ensemble)
    first = results[next(iter(results))]
    svm = _svm_reference(clean, args.folds)
    base = first["summary"]["baseline"]
    rows.append(["TF-IDF + LR (balanced, C=1)", mean_sd(base, "macro_f1"), ci_text(base["pooled"]["macro_f1"]),
                 mean_sd(base, "accuracy"), ci_text(base["pooled"]["accuracy"]), "-", "-", "-"])
    for label, prefix in (("TF-IDF + linear SVM (balanced, C=1)", ""),
                          (f"TF-IDF + linear SVM (balanced, C by inner CV: {_cs(svm['tuned_c'])})", "tuned_")):
        f1, acc = svm[prefix + "f1"], svm[prefix + "acc"]
        rows.append([label, f"{np.mean(f1):.3f} ± {np.std(f1, ddof=1):.3f}", "-",
                     f"{np.mean(acc):.3f} ± {np.std(acc, ddof=1):.3f}", "-", "-", "-", f"{svm['cpu']:.2f}"])
    for model, r in results.items():
        s = r["summary"]
        diff = s["baseline"]["difference"]["macro_f1"]
        rows.append([model, mean_sd(s, "macro_f1"), ci_text(s["pooled"]["macro_f1"]), mean_sd(s, "accuracy"),
                     ci_text(s["pooled"]["accuracy"]), ci_text(diff, signed=True), r["epochs"], f"{r['cpu_minutes']:.1f}"])
    how = f"epochs per model {args.epochs}" if args.epochs else f"{args.budget:g} min training per fold"
    how += f"; embeddings start {args.embedding_init or 'as planned (ppmi)'}"
    how += f"; tokenizer {args.tokenizer or 'as planned (word)'}"
    how += f", vocabulary {args.vocab_size}" if args.vocab_size else ""
    how += f"; {args.ensemble} networks averaged per fold" if args.ensemble else ""
    print_table(f"Medical abstracts, {args.folds}-fold CV, {clean['n']} abstracts after dropping {clean['dropped']} "
                f"conflicting rows; {how}",
                ["model", "macro-F1 (mean ± sd)", "macro-F1 pooled (95% CI)", "accuracy (mean ± sd)",
                 "accuracy pooled (95% CI)", "macro-F1 vs LR (paired)", "epochs per fold", "CPU min"], rows)
    for model, r in results.items():
        diff = np.array([f["macro_f1"] for f in r["summary"]["folds"]]) - np.array(svm["tuned_f1"])
        print(f"{model} - tuned linear SVM, macro-F1 per fold: {diff.mean():+.3f} ± {diff.std(ddof=1):.3f} "
              f"({int((diff > 0).sum())} of {len(diff)} folds above)")
    if args.json:
        args.json.write_text(json.dumps({"clean": clean, "svm": svm, "results": results}, indent=2, default=str))


def _cs(values: list[float]) -> str:
    return "/".join(f"{c:g}" for c in values)


def _clean(data: Path, out: Path) -> dict:
    """Verify, drop every row of an abstract that carries conflicting labels, write the rest."""
    from meddx.data.text import load_text_source
    from meddx.data.text_verify import clean_text_source, verify_text_source, write_text_source

    source = load_text_source(data)
    report = verify_text_source(source).to_dict()
    cleaned, summary = clean_text_source(source, report, "drop-conflicting")
    out.mkdir(parents=True, exist_ok=True)
    path = write_text_source(cleaned, out / "abstracts-clean.csv")
    s = report["summary"]
    kept = summary["kept"]
    return {"path": str(path), "n": sum(kept.values()) if isinstance(kept, dict) else kept,
            "dropped": summary["removed_rows"], "conflicting_groups": s.get("conflicting_exact_groups")}


def _cross_validate(clean: dict, model: str, budget: float | None, folds: int, out: Path,
                    epochs: int | None = None, embedding_init: str | None = None, tokenizer: str | None = None,
                    vocab_size: int | None = None, ensemble: int | None = None) -> dict:
    from meddx.evaluation.cv import cross_validate
    from meddx.training.config import TrainConfig

    config = TrainConfig(data=clean["path"], model=model, time_budget=budget, epochs=epochs, name=f"abstracts-{model}",
                         max_length=256 if model == "transformer" else None, ci_resamples=1000,
                         embedding_init=embedding_init, tokenizer=tokenizer, vocab_size=vocab_size,
                         ensemble=ensemble)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = cross_validate(config, folds=folds, out=out / f"cv-{model}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    epochs = []
    for fold in summary["folds"]:
        run = json.loads((Path(fold["bundle"]) / "config.json").read_text())["training"]["run_dir"]
        trainer = Path(run) / "trainer.json"
        epochs.append(json.loads(trainer.read_text())["epochs_run"])
    return {"summary": summary, "wall_minutes": wall / 60, "cpu_minutes": cpu / 60,
            "epochs": f"{min(epochs)}-{max(epochs)}" if min(epochs) != max(epochs) else str(epochs[0])}


def _svm_reference(clean: dict, folds: int) -> dict:
    """TF-IDF + class-balanced linear SVM on the same folds as ``meddx cv``, twice: at scikit-learn's C = 1,
    and with C chosen by an inner 5-fold CV (macro-F1) on each fold's training part, so the reference a
    network is held against is a tuned one, chosen without the held-out fold."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from meddx.data.sources import load_source
    from meddx.evaluation.cv import development_split, make_folds

    source = load_source(clean["path"], carve_val=False)
    dev = development_split(source)
    fold_index, _ = make_folds(dev, source.origin, folds, 0, source=source)  # meddx cv's folds (near copies too)
    texts, y = np.array(dev.texts, dtype=object), np.asarray(dev.labels)
    out: dict = {"f1": [], "acc": [], "tuned_f1": [], "tuned_acc": [], "tuned_c": []}
    cpu = time.process_time()
    for test in fold_index:
        train = np.setdiff1d(np.arange(len(y)), test)
        plain = make_pipeline(TfidfVectorizer(), LinearSVC(class_weight="balanced")).fit(texts[train], y[train])
        inner = StratifiedKFold(5, shuffle=True, random_state=0)
        tuned = GridSearchCV(make_pipeline(TfidfVectorizer(), LinearSVC(class_weight="balanced")),
                             {"linearsvc__C": SVM_C_GRID}, scoring="f1_macro", cv=inner).fit(texts[train], y[train])
        for prefix, model in (("", plain), ("tuned_", tuned)):
            pred = model.predict(texts[test])
            out[prefix + "f1"].append(float(f1_score(y[test], pred, average="macro")))
            out[prefix + "acc"].append(float(accuracy_score(y[test], pred)))
        out["tuned_c"].append(float(tuned.best_params_["linearsvc__C"]))
    out["cpu"] = (time.process_time() - cpu) / 60
    return out


SVM_C_GRID = [0.01, 0.03, 0.1, 0.3, 1.0]


if __name__ == "__main__":
    main()
