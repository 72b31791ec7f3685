"""The files of an explanation run, named before any work and never written over an earlier run's.

``meddx explain --out DIR`` and the series and table ``predict --explain DIR`` write fixed names
(``0001-<input>-<method>.png|html``, ``explanations.json``): a second run into the same folder
replaced the first run's files without a word. :func:`planned_files` gives the names a run will
write, :func:`refuse_taken` refuses, in one line naming the first one already there and the two ways
on, before anything is computed; the files are then written exclusively (a file that appeared
meanwhile is kept too) unless ``overwrite``. With ``overwrite``, the files an earlier, longer run
wrote that this run does not write again (``0003-...`` after a run of two inputs) are removed once
the new files are written (:func:`stale_files`), so the folder holds what its ``explanations.json``
describes; only names reconstructed from the earlier ``explanations.json`` are candidates (with a
method meddx has, or, for the text ``predict --explain`` pages, a ``documentNNNN.html`` page), so
files meddx did not write are never touched. :func:`write_through` gives writers that replace (masks,
segmentation overlays) the same exclusive placement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from meddx.core.errors import ConfigError

SUMMARY = "explanations.json"
PAGE = "document{:04d}.html"  # ``predict --explain`` of a text bundle: one page per document, in order


def stem(index: int, source: str) -> str:
    """``0001-<file name>``: the input's position (1-based) and its name made safe for a file name."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(source).name)[:60] or "input"
    return f"{index:04d}-{name}"


def planned_files(predictor: Any, groups: Sequence[tuple[str, Sequence[str]]], folder: Path) -> list[Path]:
    """The files :func:`write_explanations` writes into ``folder`` for ``groups``, one ``(source,
    methods)`` per input in input order: a PNG (images, series) or HTML page (text) per input and
    method, a comparison PNG per 2D image explained by several methods, a NIfTI map per volume file and
    method (:mod:`meddx.explain.volume_map`), and ``explanations.json`` (table rows: that file only)."""
    from meddx.explain.volume_map import SUFFIX as MAP, writes_volume_map

    modality = predictor.config.get("modality")
    files: list[Path] = []
    if modality != "tabular":
        suffix = "html" if modality == "text" else "png"
        two_d = modality in (None, "image") and len(predictor.preprocessor.spatial_size) == 2
        for i, (source, methods) in enumerate(groups, start=1):
            files += [folder / f"{stem(i, source)}-{m}.{suffix}" for m in methods]
            if writes_volume_map(predictor, source):  # a volume's map as NIfTI on the input's grid
                files += [folder / f"{stem(i, source)}-{m}.{MAP}" for m in methods]
            if two_d and len(methods) > 1:
                files.append(folder / f"{stem(i, source)}-methods.png")
    return [*files, folder / SUMMARY]


def refuse_taken(folder: Path, files: Sequence[Path], flag: str, overwrite: bool) -> None:
    """``ConfigError`` when any of ``files`` exists (an earlier run's) and not ``overwrite``: one
    line naming the first, how many, and the two ways on; checked before the work so nothing is lost
    and no minutes are spent for a refusal. A file given as the folder is refused too, and so is a
    folder that cannot be written (or made): found after the work, that was the minutes lost."""
    from meddx.core.files import check_writable_folder
    from meddx.evaluation.output_dirs import check_out_folder

    check_out_folder(folder, flag)
    check_writable_folder(folder, flag, ConfigError)
    folder_taken = next((f for f in files if f.is_dir()), None)  # --overwrite cannot replace it: found only
    if folder_taken is not None:                                  # after the work, with half the files replaced
        raise ConfigError(f"{flag} {folder}: {folder_taken} is a folder, where this run writes a file; nothing was "
                          "written: choose another (or an empty) folder, or move that one")
    existing = [f for f in files if f.exists()]
    if not existing or overwrite:
        return
    more = f" (and {len(existing) - 1} more of the {len(files)} files to write)" if len(existing) > 1 else ""
    raise ConfigError(f"{flag} {folder}: {existing[0]}{more} already exists, from an earlier run; nothing was "
                      "written: choose another (or an empty) folder, or pass --overwrite to replace the files")


def appeared(flag: str, path: Path, done: int, during: str = "the explanations were computed") -> ConfigError:
    """The error for a file that appeared between the check and the write (kept: written exclusively)."""
    return ConfigError(f"{flag} {path.parent}: {path} appeared while {during} and was kept "
                       f"({done} file(s) written before it); choose another folder, or pass --overwrite")


def write_through(path: Path, write: Callable[[Path], Path], exclusive: bool) -> Path:
    """Put what ``write(p)`` writes at ``path`` without replacing an existing file when ``exclusive``.

    For writers that replace whatever is at ``p`` (``data.masks.write_mask``, the segmentation
    overlay), which must keep writing each format and geometry as they do: ``write`` runs on the
    same name in a private temporary folder beside ``path``, and the bytes are then placed with
    ``core.files.write_bytes_atomic`` (exclusive: ``FileExistsError`` when the name is taken)."""
    import shutil
    import tempfile

    from meddx.core.files import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        written = write(private / path.name)
        return write_bytes_atomic(path.parent / written.name, written.read_bytes(), exclusive=exclusive)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def earlier_files(folder: Path) -> list[Path]:
    """The files an earlier run wrote into ``folder`` that are still there, as its
    ``explanations.json`` lists them (each input's ``0001-<input>-<method>.png|html`` and, for
    several methods, the comparison ``-methods.png``; or the ``page`` of each document that the text
    ``predict --explain`` wrote); none when there is no summary or it is not one of meddx's."""
    import json
    import re
    from types import SimpleNamespace

    from meddx.explain.api import per_input

    try:
        entries = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("source"), str)
                                                and isinstance(e.get("method"), str) for e in entries):
        return []
    pages = [e["page"] for e in entries if "page" in e]  # the text predict pages name themselves
    if pages:
        names = [p for p in pages if isinstance(p, str) and re.fullmatch(r"document\d{4,}\.html", p)]
    else:
        # only methods meddx has: a hand-edited summary ({"method": "notes"}) names no file meddx wrote,
        # nor does one with a "/" ("../../x"); the source is reduced to a file name by ``stem``
        known = _methods()
        groups = per_input([SimpleNamespace(source=e["source"], method=e["method"]) for e in entries])
        listed = [[e.method for e in g if e.method in known] for g in groups]
        names = [f"{stem(i, g[0].source)}-{tail}" for i, (g, methods) in enumerate(zip(groups, listed), start=1)
                 for tail in [*(f"{m}.{s}" for m in methods for s in ("png", "html", "nii.gz")),
                              *(["methods.png"] if len(methods) > 1 else [])]]
    return [folder / n for n in dict.fromkeys(names) if Path(n).name == n and (folder / n).is_file()]


def _methods() -> set[str]:
    """Every attribution method whose name meddx puts into a file name (images, text, series, tables)."""
    from meddx.explain.api import TEXT_METHODS
    from meddx.explain.image import METHODS as IMAGE
    from meddx.explain.series import SERIES_METHODS
    from meddx.explain.tabular import METHODS as TABLE

    return {*IMAGE, *TEXT_METHODS, *SERIES_METHODS, *TABLE}


def stale_files(folder: Path, planned: Sequence[Path],
                earlier: Callable[[Path], list[Path]] | None = None) -> list[Path]:
    """The earlier run's files (``earlier``, default :func:`earlier_files`; segmentation passes its
    ``masks.json`` reader) that a run writing ``planned`` leaves behind: with ``--overwrite`` they
    are removed after the new files are written."""
    keep = {p.name for p in planned}
    return [f for f in (earlier or earlier_files)(folder) if f.name not in keep]


def plan_run(folder: Path, planned: Sequence[Path], flag: str, overwrite: bool) -> list[Path]:
    """Check a run's ``planned`` files before any work (:func:`refuse_taken`) and return the earlier
    run's files it leaves behind, to remove with :func:`finish_run` (none without ``overwrite``).
    Read now, before the new summary replaces the earlier list."""
    refuse_taken(folder, planned, flag, overwrite)
    return stale_files(folder, planned) if overwrite else []


def finish_run(folder: Path, summary: list[dict[str, Any]], stale: Sequence[Path], flag: str, overwrite: bool,
               done: int, *, name: str = SUMMARY, during: str = "the explanations were computed") -> Path:
    """Write the summary ``name`` (``explanations.json``; segmentation: ``masks.json``; no arrays, no
    text), exclusively unless ``overwrite``, then remove ``stale``: last, once the new run's files and
    summary are all in place, so a run that stops earlier (an error, Ctrl-C) never leaves the earlier
    files gone without the new ones. ``done``: the files written before, for the error when the
    summary appeared meanwhile (``during``: what the run was doing)."""
    from meddx.core.files import to_json, write_text_atomic

    try:
        path = write_text_atomic(folder / name, to_json(summary), exclusive=not overwrite)
    except FileExistsError:
        raise appeared(flag, folder / name, done, during=during) from None
    for f in stale:
        f.unlink(missing_ok=True)
    return path


def removed_line(stale: Sequence[Path], folder: Path, name: str = SUMMARY) -> str:
    """What the CLI prints after removing ``stale`` (:func:`finish_run`; ``name``: the summary that
    listed them): a deletion is never silent."""
    return (f"removed: {len(stale)} file{'' if len(stale) == 1 else 's'} of the earlier run in {folder} that this run "
            f"did not write again (listed in its {name}), e.g. {stale[0].name}")


def write_explanations(predictor: Any, explanations: list[Any], inputs: Sequence[Any], out: str | Path, *,
                       overwrite: bool = False, flag: str = "--out") -> list[Path]:
    """Files people look at: an overlay PNG per image and method (3D: three slices through the
    peak, and for a volume file the whole map as NIfTI aligned on it), an HTML page per document and method, a heatmap PNG per stay and method, and one
    comparison figure per 2D image when several methods ran; plus ``explanations.json`` (summaries,
    no arrays, no text). A file of those names already in ``out`` is never replaced unless
    ``overwrite`` (``ConfigError`` naming it, before anything is written); with ``overwrite`` the
    earlier run's files this run does not write again are removed (:func:`stale_files`)."""
    from meddx.explain.api import image_items, per_input

    out = Path(out)  # a folder name as a string, as evaluate_explanations(folder=) takes it
    groups = per_input(explanations)
    planned = planned_files(predictor, [(g[0].source, [e.method for e in g]) for g in groups], out)
    stale = plan_run(out, planned, flag, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    if predictor.config.get("modality") is None:  # images: aligned with the explanations (the CLI passes
        inputs = image_items(predictor, inputs)    # files already, so this only checks they are not folders)
    written: list[Path] = []
    try:
        for i, group in enumerate(groups):
            written += _input_files(predictor, group, inputs, i, out, not overwrite)
    except FileExistsError as exc:
        taken = exc.filename2 or exc.filename  # os.link names the link (2nd), open('x') the file
        raise appeared(flag, Path(taken or out / SUMMARY), len(written)) from None
    return [*written, finish_run(out, [e.to_dict() for e in explanations], stale, flag, overwrite, len(written))]


def _input_files(predictor: Any, group: list[Any], inputs: Sequence[Any], i: int, out: Path,
                 exclusive: bool) -> list[Path]:
    """The files of one input (``group``: its explanations, one per method)."""
    modality = predictor.config.get("modality")
    source, name = group[0].source, stem(i + 1, group[0].source)
    if modality == "tabular":
        return []  # rows: explanations.json holds each row's attribution per column
    if modality == "series":
        from meddx.explain.series import heatmap_png

        return [heatmap_png(e.attribution, predictor.variables, out / f"{name}-{e.method}.png",
                            title=f"{source}: {e.method}, {e.target} ({e.probability:.2f})", exclusive=exclusive)
                for e in group]
    if modality == "text":
        from meddx.core.files import write_text_atomic
        from meddx.explain.text import TokenAttribution, render_attribution_html

        files = []
        for e in group:
            attribution = TokenAttribution(tokens=e.tokens or [], scores=e.attribution, method=e.method,
                                           target=e.target, probability=e.probability, extra=e.extra)
            page = render_attribution_html(inputs[i], attribution, title=f"{predictor.name}: {source} ({e.method})")
            files.append(write_text_atomic(out / f"{name}-{e.method}.html", page, exclusive=exclusive,
                                           private=True))  # the note itself: mode 0600
        return files
    from meddx.explain.api import _read

    from meddx.explain.volume_map import SUFFIX as MAP, write_volume_map, writes_volume_map

    image = group[0].image if group[0].image is not None else _read(predictor, inputs[i], i)[0]
    files = _image_files(image, group, out, name, group[0].extra.get("spacing"), exclusive)
    if writes_volume_map(predictor, source):
        files += [write_volume_map(predictor, e.attribution, source, tuple(image.shape[1:]),
                                   out / f"{name}-{e.method}.{MAP}", exclusive) for e in group]
    return files


def _image_files(image: Any, group: list[Any], out: Path, name: str, spacing: Sequence[float] | None,
                 exclusive: bool) -> list[Path]:
    from meddx.explain.image import comparison_png, overlay_png, volume_overlay_png

    files = []
    for e in group:
        title = f"{e.method}: {e.target} ({e.probability:.2f})"
        path = out / f"{name}-{e.method}.png"
        draw = volume_overlay_png if image.ndim == 4 else overlay_png
        files.append(draw(image, e.attribution, path, title=title, spacing=spacing, exclusive=exclusive))
    if len(group) > 1 and image.ndim == 3:
        files.append(comparison_png(image, {e.method: e.attribution for e in group}, out / f"{name}-methods.png",
                                    title=f"{group[0].target} ({group[0].probability:.2f})", spacing=spacing,
                                    exclusive=exclusive))
    return files
