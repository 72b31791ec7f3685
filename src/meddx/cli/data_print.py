"""Printing for ``meddx data info|verify`` (split from ``cli/data.py``): image, text and
segmentation sources. The summary and the checks on stdout; ``note:`` and ``warning:`` lines on
stderr (``cli.streams``)."""

from __future__ import annotations

from pathlib import Path

from meddx.cli import streams


def _print_text_info(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{result['name']}[/bold] ({result['origin']}): text, {result['task']}, "
                  f"{result['num_classes']} classes, {result['total']} documents")
    splits = result["splits"]
    counts = Table("class", *splits, title="documents per split and class"
                   + (" (positives per label)" if result["task"] == "multilabel" else ""))
    for name in result["label_names"]:
        counts.add_row(name, *(str(s["class_counts"].get(name, 0)) for s in splits.values()))
    if result["task"] == "multilabel":  # positives per label do not add up to the documents: say how they relate
        sets = [s.get("label_sets") or {} for s in splits.values()]
        counts.add_row("[italic]no label[/italic]", *(str(c.get("no_label", "-")) for c in sets))
        counts.add_row("[italic]labels per document (mean, max)[/italic]", *(
            f"{c['mean_labels']:g}, {c['max_labels']}" if c.get("mean_labels") is not None else "-" for c in sets))
    counts.add_row("[bold]total[/bold]", *(f"[bold]{s['count']}[/bold]" for s in splits.values()))
    console.print(counts)
    lengths = Table("split", "in", "min", "median", "p95", "max", "mean", "empty", "patients", title="document lengths")
    for split, s in [*splits.items(), ("all", {**result["overall"], "patients": None})]:
        for unit in ("chars", "words"):
            v = s[unit] or {}
            lengths.add_row(split if unit == "chars" else "", unit, *(f"{v[k]:g}" if v else "-" for k in
                            ("min", "median", "p95", "max", "mean")), str(s["empty"]) if unit == "chars" else "",
                            ("-" if s["patients"] is None else str(s["patients"])) if unit == "chars" else "")
    console.print(lengths)
    read = ", ".join(f"{k}={v}" for k, v in result["columns"].items() if v is not None)
    if read:  # a folder of .txt files has no columns (its note says how it was read): no empty "columns: " line
        console.print("columns: " + read)
    print_untrainable(console, result)
    streams.notes(result["notes"])


def _print_text_conflicts(report: dict) -> None:
    """Duplicate groups with different labels, by id (documents are never printed; the counts are
    printed with the verify table)."""
    from rich.console import Console

    console = Console()
    groups = [(kind, g) for kind in ("exact", "near") for g in report[f"{kind}_duplicates"] if g["conflicting_labels"]]
    for kind, g in groups[:10]:
        console.print(f"[yellow]{kind} copies, labels differ:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']} ({m['label']})" for m in g["members"][:6]) + (" ..." if g["size"] > 6 else ""))
    if len(groups) > 10:
        console.print(f"... and {len(groups) - 10} more in the report")


def _print_swapped(report: dict) -> None:
    """The warning for a text source whose columns look swapped, printed before the verify table: its
    class counts and conflicts are about notes read as labels, and a user reads the table first."""
    from meddx.data.text_columns import ONE_ROW_NAMES

    swapped = report["summary"].get("columns_look_swapped")
    if not swapped:
        return
    # verify reads such a file (it may be conflicting duplicates): say what train will refuse
    other = ("" if ONE_ROW_NAMES in swapped else "; if not, the same documents carry different labels (listed "
             "below; --fix drop-conflicting)")
    streams.warning(f"{swapped}; labels are shown by number (#1, #2, ...), not by value (they may be note "
                    "text). If the columns are swapped, name the document column with --text-column and the label "
                    f"column with --label-column (or fix the header's order){other}. `meddx train` refuses the "
                    "file as it is")


def conflict_line(s: dict) -> str:
    """Label conflicts with each row counted once: exact-copy rows plus the rows near copies add."""
    if not s["conflicting_label_groups"]:
        return "none"
    return (f"{s['conflicting_label_groups']} group(s) of copies, {s['conflicting_label_rows']} rows in all: "
            f"{s['conflicting_exact_groups']} exact group(s) ({s['conflicting_exact_rows']} rows), "
            f"{s['conflicting_near_groups']} near group(s) (+{s['conflicting_near_rows']} rows not in those)")


def print_untrainable(console, result: dict, task: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A red line per class that has no training sample (multi-label: a label never positive in
    train), which ``meddx train`` refuses."""
    multilabel = (task or result.get("task")) == "multilabel"
    for name, where in result.get("classes_without_training_samples", {}).items():
        found = ", ".join(f"{n} in {split}" for split, n in where.items()) or "no sample in any split"
        if multilabel:
            console.print(f"[bold red]problem:[/bold red] label {name!r} is never positive in train (positive: "
                          f"{found}); `meddx train` refuses this source: move some of its positive samples to train, "
                          "or drop the label", soft_wrap=True)
            continue
        console.print(f"[bold red]problem:[/bold red] class {name!r} has no training sample ({found}); "
                      "`meddx train` refuses this source: move some of its samples to train, or drop the class",
                      soft_wrap=True)


def _per_split(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "0"


def _print_seg_info(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{result['name']}[/bold] ({result['origin']}): segmentation, {result['spatial_dims']}D, "
        f"{result['num_classes']} classes ({', '.join(result['label_names'])}), masks: {result['mask_kind']}, "
        f"{result['total']} cases"
    )
    splits = result["splits"]
    table = Table("", *splits, title="cases per split")
    rows: dict[str, list[str]] = {k: [] for k in ("cases", "patients", "decoded", "shape min", "shape median",
                                                  "shape max", "spacing median (mm)", "channels", "dtype",
                                                  "intensity min..max", "mask values", "empty masks")}
    for s in splits.values():
        shape, inten = s["shape"] or {}, s["intensity"] or {}
        rows["cases"].append(str(s["count"]))
        rows["patients"].append("-" if s["patients"] is None else str(s["patients"]))
        rows["decoded"].append(f"{s['decoded']}/{s['count']}")
        for k in ("min", "median", "max"):
            rows[f"shape {k}"].append("x".join(f"{v:g}" for v in shape.get(k, [])) or "-")
        rows["spacing median (mm)"].append("x".join(f"{v:.3g}" for v in (s["spacing"] or {}).get("median", [])) or "-")
        rows["channels"].append(",".join(map(str, s["channels"])))
        rows["dtype"].append(",".join(s["dtypes"]))
        rows["intensity min..max"].append(f"{inten['min']:.4g}..{inten['max']:.4g}" if inten else "-")
        rows["mask values"].append(",".join(map(str, s["mask_values"])))
        rows["empty masks"].append(str(s["empty_masks"]))
    for name, values in rows.items():
        table.add_row(name, *values)
    console.print(table)
    fractions = Table("class", *result["splits"], title="voxel fraction per class")
    for name in result["label_names"]:
        fractions.add_row(name, *(f"{s['class_fraction'].get(name, 0.0):.4f}" for s in result["splits"].values()))
    console.print(fractions)
    if any(s["sampled"] for s in result["splits"].values()):
        console.print("shapes, intensities and fractions come from an evenly spread sample of the cases")
    for split, s in result["splits"].items():
        for bad in s["undecodable"][:5]:
            console.print(f"[red]problem[/red] {split}: {bad['reason']}")
    streams.notes(result["notes"])


def _print_seg_verify(report: dict, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    s = report["summary"]
    title = f"verify {report['source']['name']} ({s['samples']} cases, {s['seconds']} s)"
    table = Table("check", "result", title=title)
    table.add_row("undecodable images or masks", str(s["undecodable"]))
    table.add_row("image/mask shape or affine mismatches", str(s["mismatched_pairs"]))
    table.add_row("masks with values outside the label set", str(s["masks_with_values_outside_labels"]))
    table.add_row("empty masks (warning)", str(s["empty_masks"]))
    table.add_row("exact duplicate images (groups across splits)",
                  f"{s['exact_duplicate_groups']} ({s['exact_duplicate_groups_cross_split']})")
    table.add_row("near duplicate images (groups across splits)",
                  f"{s['near_duplicate_groups']} ({s['near_duplicate_groups_cross_split']})"
                  if report["settings"]["near_duplicates"] else "skipped")
    table.add_row("cases with a copy in another split", _per_split(s["any_cross_split_samples"]))
    table.add_row("patients in more than one split", str(s["patients_across_splits"]))
    console.print(table)
    for bad in report["undecodable"][:5]:
        console.print(f"[red]undecodable[/red] {bad['reason']}", soft_wrap=True)
    for bad in report["mismatches"][:5]:
        detail = (f"image {bad['image_shape']} vs mask {bad['mask_shape']}" if bad["kind"] == "shape"
                  else f"affines differ by up to {bad['max_difference']:.3g}")
        console.print(f"[red]mismatch[/red] {bad['split']}:{bad['id']}: {detail} ({bad['mask']})", soft_wrap=True)
    for bad in report["bad_values"][:5]:
        # soft_wrap: a long path stays on one line (copyable), never broken inside a file name
        console.print(f"[red]values outside {bad['allowed']}[/red] {bad['values']} in {bad['mask']}", soft_wrap=True)
    cross = [g for g in report["exact_duplicates"] + report["near_duplicates"] if g["cross_split"]]
    for g in cross[:5]:
        console.print("[yellow]shared across splits:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']}" for m in g["members"][:4]) + (" ..." if g["size"] > 4 else ""))
    if s["has_leakage"]:
        console.print("[bold red]leakage:[/bold red] the same image or patient appears in more than one split")
    if s["has_errors"]:
        console.print("[bold red]errors:[/bold red] fix the pairs above before training")
    if not s["has_leakage"] and not s["has_errors"]:
        console.print("[green]no broken pairs, cross-split duplicates or shared patients found[/green]")
    console.print(f"report: {path}")


def _print_info(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{result['name']}[/bold] ({result['origin']}): {result['task']}, "
        f"{result['spatial_dims']}D, {result['num_classes']} classes, {result['total']} samples"
    )
    splits = result["splits"]
    counts = Table("class", *splits, title="samples per split and class"
                   + (" (positives per label)" if result["task"] == "multilabel" else ""))
    for name in result["label_names"]:
        counts.add_row(name, *(str(s["class_counts"].get(name, 0)) for s in splits.values()))
    counts.add_row("[bold]total[/bold]", *(f"[bold]{s['count']}[/bold]" for s in splits.values()))
    console.print(counts)
    images = Table("split", "decoded", "shapes (count)", "channels", "dtype (decoded)", "min", "max", "mean",
                   title="images (intensity range per stored dtype)")
    for split, s in splits.items():
        shapes = ", ".join(f"{'x'.join(map(str, x['shape']))} ({x['count']})" for x in s["shapes"][:2])
        if len(s["shapes"]) > 2:
            shapes += f", +{len(s['shapes']) - 2} more"
        grey = f" ({s['grey_rgb']} grey as RGB)" if s.get("grey_rgb") else ""  # the plan trains them as 1 channel
        first = [split, f"{s['decoded']}/{s['count']}", shapes, ",".join(map(str, s["channels"])) + grey]
        by_dtype = s.get("intensity_by_dtype") or {}
        if not by_dtype:
            images.add_row(*first, ",".join(s["dtypes"]), "-", "-", "-")
        for k, (dtype, inten) in enumerate(by_dtype.items()):
            images.add_row(*(first if k == 0 else [""] * 4), f"{dtype} ({inten['samples']})",
                           *(f"{inten[key]:.4g}" for key in ("min", "max", "mean")))
    console.print(images)
    print_spacing(console, result)
    if result.get("dtype_mix"):
        streams.warning(result["dtype_mix"])
    if any(s["sampled"] for s in splits.values()):
        console.print("shapes and intensities come from an evenly spread sample of the files (see 'decoded')")
    for split, s in splits.items():
        for bad in s.get("undecodable", [])[:5]:
            console.print(f"[red]undecodable[/red] {split}: {bad['reason']}")
    print_untrainable(console, result)
    streams.notes(result["notes"])


def _mm(values: list[float]) -> str:
    return "x".join(f"{v:.3g}" for v in values)


def spacing_axes(n: int) -> str:
    """The axes of ``n`` spacing values in array order, ``dz x dy x dx`` (volumes) or ``dy x dx``:
    named from the values themselves (a 2D source's one-slice NIfTI records three) and with a
    ``d`` so the axis ``x`` is not read as the ``x`` between values (the label was "y x x")."""
    return " x ".join(("dz", "dy", "dx")[-n:]) if 1 <= n <= 3 else f"{n} axes"


def print_spacing(console, result: dict) -> None:  # type: ignore[no-untyped-def]
    """One line per split with the voxel spacing the files record (volumes always; 2D images only
    when some file records one), and a warning when it varies: 3D classification resizes each
    voxel grid to the model's input without resampling, so spacing is the user's to keep alike."""
    splits = result["splits"]
    if result.get("spatial_dims") != 3 and not any(s.get("spacing") for s in splits.values()):
        return
    if all("undecodable" not in s for s in splits.values()):  # in-memory arrays: one line for all splits
        console.print("spacing: not recorded (in-memory arrays such as MedMNIST carry none)")
        return
    for split, s in splits.items():
        sp = s.get("spacing")
        if not sp:
            console.print(f"spacing {split}: not recorded (no decoded file records one)")
            continue
        line = (f"spacing {split} (mm, {spacing_axes(len(sp['median']))}): median {_mm(sp['median'])}, min {_mm(sp['min'])}, "
                f"max {_mm(sp['max'])} ({sp['known']} of {sp['decoded']} decoded files record one)")
        console.print(line, soft_wrap=True)
        if sp["varies"]:
            what = "volume" if result.get("spatial_dims") == 3 else "image"  # 2D: X-rays from two detectors
            streams.warning(f"spacing varies across {split} files; classification resizes each {what} to the "
                            "model's input without resampling, so resample them to one spacing")


def _print_verify(report: dict, path: Path, remedy: str | None = None) -> None:
    """The verify table and what it found; ``remedy`` (what removes shared samples from this kind of
    source) ends the leakage line."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    _print_swapped(report)
    s = report["summary"]
    table = Table("check", "result", title=f"verify {report['source']['name']} ({s['samples']} samples, {s['seconds']} s)")
    table.add_row("undecodable files", str(s["undecodable"]))
    table.add_row("exact duplicate groups (within / across splits)",
                  f"{s['exact_duplicate_groups']} ({s['exact_duplicate_groups_within_split']} / "
                  f"{s['exact_duplicate_groups_cross_split']})")
    table.add_row("samples with an exact copy in another split", _per_split(s["exact_cross_split_samples"]))
    table.add_row("near duplicate groups (across splits)",
                  f"{s['near_duplicate_groups']} ({s['near_duplicate_groups_cross_split']})"
                  if report["settings"]["near_duplicates"] else "skipped")
    table.add_row("samples with a near copy in another split", _per_split(s["near_cross_split_samples"]))
    if "flipped_rotated_groups" in s:  # image verify: mirror images and right-angle rotations
        table.add_row("flipped/rotated copy groups (across splits)",
                      f"{s['flipped_rotated_groups']} ({s['flipped_rotated_groups_cross_split']})")
    table.add_row("samples with any copy in another split", _per_split(s["any_cross_split_samples"]))
    table.add_row("duplicate groups with conflicting labels (rows)",
                  f"{s['conflicting_label_groups']} ({s['conflicting_label_rows']})")
    patients = s.get("patient_ids_known", True)
    table.add_row("patients in more than one split",
                  str(s["patients_across_splits"]) if patients else "not checked (no patient ids)")
    console.print(table)
    if s["conflicting_label_groups"]:
        console.print(f"conflicting labels: {conflict_line(s)}", soft_wrap=True)
    for bad in report["undecodable"][:5]:
        console.print(f"[red]undecodable[/red] {bad['reason']}")
    _more(console, report["undecodable"], "undecodable file(s)")
    cross = [g for g in report["exact_duplicates"] + report["near_duplicates"] if g["cross_split"]]
    for g in cross[:5]:
        console.print("[yellow]shared across splits:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']} ({m['label']})" for m in g["members"][:4]) + (" ..." if g["size"] > 4 else ""))
    _more(console, cross, "group(s) shared across splits")
    print_turned(console, report.get("flipped_rotated_copies") or [])
    print_untrainable(console, s, report.get("source", {}).get("task"))
    streams.notes(report.get("notes"))  # the reader's: a misspelt label, files left out (were in the JSON only)
    if report["summary"]["has_leakage"]:
        console.print("[bold red]leakage:[/bold red] the same content or patient appears in more than one split; "
                      "deduplicate before trusting test metrics" + (f" ({remedy})" if remedy else ""))
    elif not s.get("classes_without_training_samples"):
        console.print("[green]no cross-split duplicates or shared patients found[/green]" if patients else
                      "[green]no cross-split duplicates found[/green] (no patient ids, so patient overlap was not "
                      "checked)")
    console.print(f"report: {path}")


def print_turned(console, groups: list[dict], shown: int = 5) -> None:  # type: ignore[no-untyped-def]
    """The first flipped/rotated copy groups across splits, each member with its turn."""
    from meddx.data.verify_dihedral import TURNS

    cross = [g for g in groups if g["cross_split"]]
    for g in cross[:shown]:
        console.print("[yellow]flipped/rotated copy across splits:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']} ({m['label']}, {TURNS.get(m['transform'], m['transform'])})"
            for m in g["members"][:4]) + (" ..." if g["size"] > 4 else ""), soft_wrap=True)
    _more(console, cross, "flipped/rotated group(s) shared across splits", shown)


def _more(console, listed: list, what: str, shown: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Say how many of ``listed`` were not printed (the first ``shown`` are), and where they are."""
    if len(listed) > shown:
        console.print(f"... and {len(listed) - shown} more {what} in the report")
