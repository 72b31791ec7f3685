"""``meddx demo``: the whole spine offline, on synthetic lesion images with a known answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

DEMO_SPLITS = {"train": 800, "val": 200, "test": 300}


def demo(
    time_budget: float = typer.Option(1.0, "--time-budget", help="Minutes of training."),
    model: Optional[str] = typer.Option(
        None, "--model", "-m",
        help="Registered model to train (default: resnet18, its width planned for the budget)."),
    folder: Optional[Path] = typer.Option(None, "--folder", help="Where to write the synthetic images (default under MEDDX_HOME/datasets)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
) -> None:
    """Make a synthetic dataset, train, evaluate, save, register and predict, then summarise."""
    import time

    from rich.console import Console
    from rich.table import Table

    from meddx.bundle.bundle import load_bundle
    from meddx.core.paths import datasets_dir, meddx_home
    from meddx.training.config import validated_config
    from meddx.training.fit import fit

    root = folder or datasets_dir() / "demo-lesions"
    # Validated before the images are written (the config refuses NaN and inf): a bad flag costs nothing
    # and is one line naming it.
    cfg = validated_config({"data": str(root), "model": model, "time_budget": time_budget, "name": "demo-lesions",
                            "seed": 0}, overridden={"time_budget"} | ({"model"} if model else set()))
    console = Console()
    start = time.perf_counter()
    _make_dataset(root)  # refuses a --folder holding anything but an earlier demo's images
    console.print(f"[bold]1/4 data[/]: synthetic lesion images (28 px, label 'lesion' = a bright blob) in {root}")

    console.print(f"[bold]2/4 train[/]: {model or 'automatic model'}, {time_budget:g} min budget")
    # No model by default: the planner then narrows resnet18 when few epochs would fit the budget,
    # which on two CPU cores trains about 10 epochs instead of 3 in the same minute (docs/training.md,
    # "Time budget"; why: docs/training-notes.md, "Planning").
    result = fit(cfg, progress=progress)
    assert result.bundle_path is not None and result.metrics is not None
    console.print(plan_line(result.plan, result.run_dir))

    console.print("[bold]3/4 predict[/] on raw PNG files with the saved bundle:")
    predictor = load_bundle(result.bundle_path)
    files = sorted((root / "test" / "lesion").glob("*.png"))[:3] + sorted((root / "test" / "normal").glob("*.png"))[:3]
    table = Table("file", "truth", "predicted", "P(lesion)")
    for p in predictor.predict_files(files):
        table.add_row(Path(p.source).name, Path(p.source).parent.name, str(p.label), f"{p.probabilities['lesion']:.3f}")
    console.print(table)

    test = result.metrics.get("test", {})
    console.print("[bold]4/4 summary[/]")
    summary = Table(show_header=False)
    summary.add_row("test AUC", f"{test.get('auc', float('nan')):.3f}")
    summary.add_row("test accuracy", f"{test.get('accuracy', float('nan')):.3f} (threshold {predictor.threshold:.3f}, chosen on val)")
    summary.add_row("bundle", str(result.bundle_path))
    summary.add_row("registry", f"{result.registry_ref} in {meddx_home() / 'registry.db'}")
    summary.add_row("run folder", str(result.run_dir))
    summary.add_row("elapsed", f"{time.perf_counter() - start:.0f} s")
    console.print(summary)
    console.print(next_steps(result.registry_ref, root), soft_wrap=True)


def next_steps(ref: str | None, root: Path) -> str:
    """The commands to try next, quoted so a data root with spaces pastes into a shell as is."""
    import shlex

    from rich.markup import escape

    ref_arg = shlex.quote(str(ref))
    return escape(f"Next: meddx predict {ref_arg} IMAGE.png  |  meddx evaluate {ref_arg} --data {shlex.quote(str(root))}")


def _check_folder(root: Path) -> None:
    """Refuse a ``--folder`` that holds anything but an earlier demo's images: it would be replaced,
    and a user's own folder must never be deleted."""
    from meddx.core.errors import ConfigError

    if (root / ".complete").is_file() or not root.exists():
        return
    if not root.is_dir():
        raise ConfigError(f"--folder {root}: is a file; expected a folder for the demo images (new or empty)")
    if any(root.iterdir()):
        raise ConfigError(f"--folder {root}: holds files that are not an earlier demo's images (no .complete "
                          "marker); choose a new or empty folder (nothing in it was changed)")


def _make_dataset(root: Path) -> None:
    """Write the demo image folder once; a complete folder from an earlier run is reused.

    The images go to a temporary sibling renamed into place, so an interrupted run leaves no
    half-written folder (and the temporary one is removed on any failure)."""
    import shutil
    import uuid

    from meddx.data.synthetic import make_lesion_source, write_image_folder

    if (root / ".complete").is_file():
        return
    _check_folder(root)
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = root.parent / f".demo-{uuid.uuid4().hex[:12]}"
        tmp.mkdir()  # as a plain mkdir makes it: mkdtemp's 0o700 kept others sharing the folder from the images
    except OSError as exc:
        from meddx.core.errors import ConfigError

        raise ConfigError(f"--folder {root}: cannot write beside it in {root.parent} ({exc.strerror or exc}); "
                          "expected a writable place") from None
    try:
        source = make_lesion_source(DEMO_SPLITS["train"], DEMO_SPLITS["val"], DEMO_SPLITS["test"], size=28, seed=7)
        write_image_folder(source, tmp)
        (tmp / ".complete").write_text("synthetic lesion images written by meddx demo\n")
        if root.exists():
            root.rmdir()  # empty (checked above): never a tree with someone's files in it
        tmp.replace(root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def plan_line(plan: Any, run_dir: Path) -> str:
    """The demo's ``plan:`` line: model (and width), epochs ("1 epoch", not "1 epochs"), augmentation,
    the epoch kept and where the planner's reasons are."""
    width = plan.model_args.get("width")
    epochs = f"{plan.epochs} epoch{'' if plan.epochs == 1 else 's'}"
    return (f"plan: {plan.model}{f' (width {width})' if width else ''}, {epochs}, augmentation {plan.augment!r}, "
            f"kept the {plan.checkpoint} epoch (reasons in {run_dir / 'plan.json'})")
