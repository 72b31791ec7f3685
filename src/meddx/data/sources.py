"""One entry point from a user's source string to a labelled :class:`ImageSource`.

``medmnist:NAME`` and ``*.npz`` go to the MedMNIST reader; text sources (JSONL, Parquet, a
CSV/TSV without a ``path``/``image``/``mask`` column, class folders of ``.txt`` files; see
:func:`meddx.data.text.is_text_spec`) to the text reader; other ``*.csv`` to the image manifest
reader, a folder with sub-folders to the image-folder reader. A lone image, DICOM series or NIfTI
volume carries no label, so it is refused with an explanation of what a labelled source is.
A CSV with numeric columns goes to the table reader unless a text-only option (``text_column``,
``label_delimiter``) asks for the text reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError
from meddx.data.base import ImageSource

EXPECTED_SOURCE = (
    "expected a folder with one sub-folder per class (optionally under train/val/test), "
    "a CSV manifest (path,label[,patient_id][,split]), a MedMNIST .npz or medmnist:NAME; "
    "or, for text, a CSV/TSV, JSONL or Parquet file with one document per row (text,label[,id][,patient_id]"
    "[,split]) or a folder of class sub-folders holding .txt files"
)


def load_source(spec: str | Path, *, val_fraction: float = 0.1, seed: int = 0,
                carve_val: bool = True, text_options: Mapping[str, Any] | None = None,
                options: Mapping[str, Any] | None = None,
                near_copies: bool | Mapping[str, Any] = True,
                membership: Mapping[str, Any] | None = None) -> ImageSource:
    """Load the labelled image source named by ``spec``.

    When ``carve_val`` is true and the source has no ``val`` split, one is carved from train
    (``val_fraction``, ``seed``, ``near_copies``; see :func:`meddx.data.splits.carve_validation`), or read back
    from ``membership``, the record of a run's or bundle's carve (``val_membership``,
    :mod:`meddx.data.carve_record`), when it was made on these very samples. A missing
    ``test`` split is allowed and recorded in ``notes``. ``text_options`` (``text_column``,
    ``label_column``, ``id_column``, ``patient_column``, ``split_column``, ``label_delimiter``,
    ``encoding``) go to :func:`meddx.data.text.load_text_source` for a text source and are
    ignored for any other, but for ``label_delimiter``, which declares an image CSV manifest
    multi-label (:func:`meddx.data.manifest.load_manifest`). ``options`` are reader options of
    time-series and table sources
    (``labels_file``, ``window_hours``, ``label_column``, ``columns``, ...; see
    :meth:`meddx.training.config.TrainConfig.source_options`): each reader receives the ones its
    signature names (:func:`reader_kwargs`).
    """
    source = _read(spec, text_options, options)  # a val split it gives is checked by its reader (_read), once
    if carve_val and "val" not in source.splits:
        from meddx.data.splits import carve_validation

        source = carve_validation(source, fraction=val_fraction, seed=seed, near_copies=near_copies,
                                  membership=membership)
    if "test" not in source.splits:
        source.notes.append("no test split: evaluate on a separate held-out source")
    return source


def reader_kwargs(reader: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The non-``None`` entries of ``options`` that ``reader`` takes as keyword arguments, so one
    set of user options (config fields, CLI flags) can be offered to every reader."""
    import inspect

    accepted = inspect.signature(reader).parameters
    return {k: v for k, v in (options or {}).items() if v is not None and k in accepted}


def _read(spec: str | Path, text_options: Mapping[str, Any] | None = None,
          options: Mapping[str, Any] | None = None) -> ImageSource:
    text = str(spec).strip()
    if text.lower().startswith("medmnist:"):
        from meddx.data.medmnist import load_medmnist

        return _ignored_delimiter(_val_checked(load_medmnist(text)), text_options, "a MedMNIST source")
    from meddx.data.series import is_series_spec  # PhysioNet 2012, MIMIC-III, long CSV, or physionet2012:/mimic3:/series:

    if is_series_spec(text):
        from meddx.data.series import load_series_source

        return load_series_source(text, **reader_kwargs(load_series_source, options))
    if (options or {}).get("labels_file"):
        from meddx.data.series import refuse_labels_file

        refuse_labels_file(Path(text).expanduser())
    from meddx.data.tabular import is_tabular_spec  # tables (one row per patient), or tabular:PATH

    if is_tabular_spec(text) and not _asks_for_text(text, text_options):
        from meddx.data.tabular import load_tabular_source

        return load_tabular_source(text, **reader_kwargs(load_tabular_source, options))
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; {EXPECTED_SOURCE}")
    suffix = path.suffix.lower()
    if suffix == ".csv" and path.is_file():
        _refuse_semicolon_manifest(path)
    from meddx.data.text import is_text_spec

    if is_text_spec(path):
        from meddx.data.text import load_text_source

        return load_text_source(path, **dict(text_options or {}))
    if path.is_file():
        if suffix == ".npz":
            from meddx.data.medmnist import load_medmnist_file

            return _ignored_delimiter(_val_checked(load_medmnist_file(path)), text_options, "a .npz file")
        if suffix == ".csv":
            from meddx.data.manifest import load_manifest

            # --label-delimiter declares a manifest multi-label, as it does a document file
            return _val_checked(load_manifest(path, (text_options or {}).get("label_delimiter")))
        from meddx.data.io import detect_kind

        kind = detect_kind(path)
        if kind is not None:
            raise DataError(
                f"{path}: a single {_KIND_NAMES[kind]} image has no label, so it is not a labelled source; "
                f"{EXPECTED_SOURCE}"
            )
        raise DataError(f"{path}: unsupported file type {suffix or '(no extension)'!r}; {EXPECTED_SOURCE}")
    from meddx.data.imagefolder import load_imagefolder, looks_like_imagefolder

    if looks_like_imagefolder(path):
        return _ignored_delimiter(_val_checked(load_imagefolder(path)), text_options, "an image folder")
    what = _describe_flat_folder(path)
    raise DataError(f"{path}: {what}, not a labelled source; {EXPECTED_SOURCE}")


def _val_checked(source: ImageSource) -> ImageSource:
    """An image reader's source with the small-validation note for a val split it gives (split
    folders, a manifest's split column, MedMNIST; :func:`meddx.data.val_checks.note_small_validation`).
    The text, table and series readers add that note themselves, and a carved val gets it from the
    carve, so each load computes it once (``load_source`` checked every given val again)."""
    from meddx.data.val_checks import note_small_validation

    return note_small_validation(source)


def _ignored_delimiter(source: ImageSource, text_options: Mapping[str, Any] | None, what: str) -> ImageSource:
    """``source`` (an image folder, a ``.npz`` or ``medmnist:`` source) with a note when a ``label_delimiter``
    was given that it cannot use: it has no label cells to split (a folder's label is its class folder, a .npz
    holds label arrays), so it stays single-label; before, the option was ignored without a word. A multi-label
    source (a MedMNIST multi-label set) gets no note: it is what the delimiter declares, and it is how a
    multi-label bundle's recorded delimiter (``training.text_options``, ``finish.declared_multilabel``) comes
    back with its own data in ``evaluate``/``explain``/``compare`` (a folder is never multi-label, so there such a
    bundle is refused as another task, before any note is shown)."""
    delimiter = (text_options or {}).get("label_delimiter")
    if delimiter is None or source.task == "multilabel":
        return source
    source.notes.append(f"--label-delimiter {delimiter!r} ignored: {what} has no label cells to split (its labels "
                        f"are {'class folders' if what == 'an image folder' else 'arrays'}), so it is read single-label "
                        f"({source.task}); the option declares a CSV manifest or a document file multi-label")
    return source


def _asks_for_text(spec: str, text_options: Mapping[str, Any] | None) -> bool:
    """True when the user passed an option only the text reader takes (a text column or a label
    delimiter): a CSV with numeric columns beside a short text column (MIMIC-III ADMISSIONS.csv
    with ``--text-column diagnosis``) then goes to the text reader instead of the table reader,
    which refused it for its other columns. ``tabular:PATH`` still names a table."""
    if spec.lower().startswith("tabular:"):
        return False
    return any((text_options or {}).get(key) for key in ("text_column", "label_delimiter"))


def _refuse_semicolon_manifest(path: Path) -> None:
    """``DataError`` for an image manifest saved with ``;`` between columns (Excel in locales with a
    decimal comma): read as one column, it went to the text reader, whose error ("no 'label'
    column") does not say that the separator is the problem."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline().lstrip("\ufeff")
    columns = [c.strip().lower() for c in header.split(";")]
    if "," not in header and "path" in columns and "label" in columns:
        raise DataError(f"{path}: columns separated by ';' ({header.strip()}); expected a comma-separated manifest "
                        "(path,label[,patient_id][,split]): save it as 'CSV (comma delimited)' or replace ';' with ','")


_KIND_NAMES = {"pil": "PNG/JPEG/BMP/TIFF", "dicom": "DICOM", "nifti": "NIfTI"}


def _describe_flat_folder(path: Path) -> str:
    """What a folder without sub-folders holds, in words, for the error message."""
    from meddx.data.io import detect_kind

    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files:
        return "an empty folder"
    kind_of = {p: detect_kind(p) for p in files}
    kinds = set(kind_of.values())
    if kinds == {"dicom"}:
        return f"a DICOM series folder ({len(files)} files: one unlabelled volume)"
    csvs = [p.name for p in files if p.suffix.lower() == ".csv"]
    if csvs:
        return f"a folder without class sub-folders (pass the manifest instead, e.g. {path / csvs[0]})"
    images = [p for p, kind in kind_of.items() if kind is not None]  # not README, licence or notes
    if images:
        names = "/".join(_KIND_NAMES.get(k, k) for k in sorted(kinds - {None}))
        return f"a folder of {len(images)} {names} images without class sub-folders"
    return "a folder without images or class sub-folders"

