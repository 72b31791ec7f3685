"""The in-memory description of an image classification source, shared by every reader.

A reader (MedMNIST npz, image folder, CSV manifest, DICOM/NIfTI) returns an ``ImageSource``:
per split, the sample ids, labels, optional patient ids, and either the decoded arrays
(small sources such as MedMNIST) or the file paths (decoded lazily with ``read_image``).
Arrays are channel-first: ``(C, H, W)`` for 2D, ``(C, D, H, W)`` for 3D.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

TaskType = Literal["binary", "multiclass", "multilabel"]
SPLITS = ("train", "val", "test")
# Class names that mean "no finding": in a two-class source this class becomes class 0, so the
# finding is the positive class that sensitivity, PPV and the ROC curve refer to.
NEGATIVE_NAMES = frozenset({"normal", "negative", "healthy", "benign", "none", "no", "absent", "control",
                            "no_finding", "no finding", "no_tumor", "notumor", "no_tumour", "nofinding"})


# Readers refuse a source with fewer label values than this: a classifier cannot be trained on one
# class. ``meddx evaluate`` lowers it to 1 (``one_class_allowed``) for an external set drawn from a
# single class (a sensitivity study on confirmed cases), whose labels it maps onto the bundle's.
_MIN_CLASSES: ContextVar[int] = ContextVar("meddx_min_classes", default=2)


@contextlib.contextmanager
def _holding(var: ContextVar[Any], value: Any) -> Iterator[None]:
    """``var`` set to ``value`` inside the block (this thread or task only), restored after it."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def one_class_allowed() -> contextlib.AbstractContextManager[None]:
    """Inside the block, readers accept a source whose labels hold a single value."""
    return _holding(_MIN_CLASSES, 1)


def too_few_classes(n: int) -> bool:
    """Whether a reader must refuse a source with ``n`` distinct label values."""
    return n < _MIN_CLASSES.get()


# Readers of files whose splits are fixed arrays (MedMNIST ``.npz``) refuse a file without training
# arrays: training needs them. A caller that reads held-out data only (the federation coordinator's
# ``--eval-data``) accepts any non-empty subset of the splits inside ``held_out_allowed``.
_TRAIN_REQUIRED: ContextVar[bool] = ContextVar("meddx_train_required", default=True)


def held_out_allowed() -> contextlib.AbstractContextManager[None]:
    """Inside the block, readers accept a source without a ``train`` split (held-out data)."""
    return _holding(_TRAIN_REQUIRED, False)


def train_required() -> bool:
    """Whether a reader must refuse a source that holds no ``train`` split."""
    return _TRAIN_REQUIRED.get()


# What a missing split's error advises. The default is the advice of the commands that take a split
# by name (``evaluate``/``explain``/``compare --split``); another caller (a federation, an audit)
# gives its own inside ``missing_split_advice``, so no user is told to pass a flag their command lacks.
EVALUATE_ADVICE: dict[str, str] = {
    "test": "evaluate on val (--split val, carved as in training), give a source with a test split (a split "
            "column or folder), or evaluate a separate held-out file without one with --split train (all its "
            "rows are read as 'train')",
}
_SPLIT_ADVICE: ContextVar[Mapping[str, str]] = ContextVar("meddx_split_advice", default=EVALUATE_ADVICE)


def missing_split_advice(advice: Mapping[str, str]) -> contextlib.AbstractContextManager[None]:
    """Inside the block, ``ImageSource.split(name)`` of a missing split ends its error with
    ``advice[name]`` (nothing for a name ``advice`` lacks) instead of ``evaluate``'s advice."""
    return _holding(_SPLIT_ADVICE, dict(advice))


def order_label_names(names: set[str] | list[str]) -> list[str]:
    """Class order for a source read from folder or manifest labels.

    Numeric when every name is an integer, else alphabetical; with exactly two classes, one of
    which names the absence of a finding (``normal``, ``negative``, ``healthy``, ...), that one
    comes first so the finding is the positive class.
    """
    names = set(names)
    if names and all(n.lstrip("-").isdigit() for n in names):
        return sorted(names, key=int)
    ordered = sorted(names)
    negatives = [n for n in ordered if n.strip().lower() in NEGATIVE_NAMES]
    if len(ordered) == 2 and len(negatives) == 1:
        ordered.remove(negatives[0])
        ordered.insert(0, negatives[0])
    return ordered


def reindex_labels(labels: np.ndarray, index: list[int] | np.ndarray, n_classes: int) -> np.ndarray:
    """Labels of a source whose class ``k`` is class ``index[k]`` of an ``n_classes``-class label
    set, in that set's order: class indices remapped, or multi-label columns placed (the set's
    other labels never positive). How an external test set or a federated site lacking a class, or
    listing the classes in another order, is aligned by name with a bundle's or federation's classes."""
    labels = np.asarray(labels)
    index = np.asarray(index, dtype=np.int64)
    if labels.ndim == 1:
        return index[labels.astype(np.int64)] if len(labels) else labels.astype(np.int64)
    out = np.zeros((len(labels), n_classes), dtype=labels.dtype)
    out[:, index] = labels
    return out


def case_clash_notes(names: list[str], what: str) -> list[str]:
    """A note naming class names that differ only in case or spaces (``Pneumonia`` and
    ``pneumonia``, from two exports): they stay two classes, as written, but a user almost always
    meant one, and otherwise learns it only from "class has no training sample" at train time."""
    spellings: dict[str, list[str]] = {}
    for n in names:
        spellings.setdefault(" ".join(n.lower().replace("_", " ").split()), []).append(n)
    clashes = [sorted(v) for v in spellings.values() if len(v) > 1]
    if not clashes:
        return []
    shown = "; ".join(" and ".join(repr(n) for n in c) for c in clashes[:3])
    return [f"{what} that differ only in case or spacing are separate classes: {shown}; rename to one spelling "
            "if they are one class"]


@dataclass
class SplitData:
    """One split of a source.

    ``labels`` is ``(N,)`` int64 class indices for binary/multi-class and ``(N, L)`` 0/1 for
    multi-label. Exactly one of ``images`` (``(N, C, *spatial)``, original dtype), ``paths``,
    ``texts`` (documents of a :class:`TextSource`), ``records`` (irregular time series of a
    ``SeriesSource``, one ``SeriesRecord`` per stay) and ``table`` (the feature columns of a
    ``TabularSource``, a pandas DataFrame with one row per sample) is set.
    """

    ids: list[str]
    labels: np.ndarray
    patient_ids: list[str] | None = None
    images: np.ndarray | None = None
    paths: list[str] | None = None
    texts: list[str] | None = None
    records: list[Any] | None = None
    table: Any = None

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: np.ndarray | list[int]) -> "SplitData":
        """A new split holding the samples at ``index`` (in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        return SplitData(
            ids=[self.ids[i] for i in idx],
            labels=self.labels[idx],
            patient_ids=None if self.patient_ids is None else [self.patient_ids[i] for i in idx],
            images=None if self.images is None else self.images[idx],
            paths=None if self.paths is None else [self.paths[i] for i in idx],
            texts=None if self.texts is None else [self.texts[i] for i in idx],
            records=None if self.records is None else [self.records[i] for i in idx],
            table=None if self.table is None else self.table.iloc[idx].reset_index(drop=True),
        )


@dataclass
class ImageSource:
    """A labelled image source with its splits, as read from disk.

    ``notes`` records what the reader decided (e.g. how a validation split was carved) so the
    decision can be written next to the run.
    """

    name: str
    origin: str
    task: TaskType
    label_names: list[str]
    spatial_dims: int
    splits: dict[str, SplitData]
    notes: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def split(self, name: str) -> SplitData:
        """The split called ``name``; a clear error listing the available ones otherwise, ending
        with the caller's advice (:func:`missing_split_advice`; default: ``evaluate``'s)."""
        from meddx.core.errors import DataError

        if name not in self.splits:
            advice = _SPLIT_ADVICE.get().get(name)
            hint = f"; {advice}" if advice else ""
            raise DataError(f"{self.origin}: no split {name!r}; available splits: "
                            f"{', '.join(self.splits) or 'none'}{hint}")
        return self.splits[name]

    def get_image(self, split: str, index: int) -> np.ndarray:
        """Channel-first array of one sample (decoded from disk when the split holds paths).

        A decoded file must have the source's ``spatial_dims`` (a one-slice volume counts as 2D):
        a multi-frame DICOM (cine clip, enhanced volume) among 2D images, or a 2D file among
        volumes, is a ``DataError`` naming the file, which ``data info|verify`` list as
        undecodable, instead of a numpy error deep inside training.
        """
        return self.get_loaded(split, index).array

    def get_loaded(self, split: str, index: int) -> Any:
        """``get_image``'s array as a ``data.io.LoadedImage``, with the voxel spacing the file
        records (``None`` for in-memory arrays, which carry none), for ``data info``."""
        from meddx.data.io import LoadedImage, read_image

        data = self.split(split)
        if data.images is not None:
            return LoadedImage(np.asarray(data.images[index]), None, str(data.ids[index]))
        path = data.paths[index]  # type: ignore[index]
        loaded = read_image(path)
        image = loaded.array
        if self.spatial_dims == 2 and image.ndim == 4 and image.shape[1] == 1:
            loaded.array = image[:, 0]  # a 2D image saved as a one-slice volume (NIfTI x*y*1)
            loaded.spacing = None if loaded.spacing is None else tuple(loaded.spacing)[-2:]
            return loaded
        if image.ndim - 1 != self.spatial_dims:
            from meddx.core.errors import DataError

            what = f"a volume of {image.shape[1]} frames or slices" if image.ndim == 4 else "a 2D image"
            raise DataError(f"{path}: {what} (shape {tuple(image.shape)}), but source {self.name!r} holds "
                            f"{self.spatial_dims}D images (decided when the source was read; see its notes); expected every file "
                            f"{self.spatial_dims}D: remove this file, or export the single frame or whole volume meant")
        return loaded


@dataclass
class TextSource(ImageSource):
    """A labelled text source (notes, abstracts): every split holds ``texts``; ``spatial_dims`` is 0.

    It is an :class:`ImageSource` so that everything that only needs ids, labels, patients and
    splits (validation carving, cross-validation folds, class counts) works unchanged.
    ``columns`` records which input columns held the text, label, id and patient, so that
    evaluation re-reads a file exactly as training did.
    """

    columns: dict[str, str | None] = field(default_factory=dict)

    def get_text(self, split: str, index: int) -> str:
        """The document at ``index`` of ``split``."""
        return self.split(split).texts[index]  # type: ignore[index]

    def get_image(self, split: str, index: int) -> np.ndarray:
        from meddx.core.errors import DataError

        raise DataError(f"{self.origin}: a text source has no images (sample {self.split(split).ids[index]!r})")


def is_text_source(source: ImageSource) -> bool:
    """True for a :class:`TextSource` (documents), false for image sources."""
    return isinstance(source, TextSource)
