"""MedMNIST ``.npz`` files: the 18 official datasets by name, or any file with the same keys.

``medmnist:pneumoniamnist`` (or ``medmnist:adrenalmnist3d_64``) resolves to
``$MEDDX_HOME/datasets/<flag>[_<size>].npz``; when that file is absent it is downloaded from the
official Zenodo record and checked against the MD5 published in MedMNIST's ``info.py``. Offline,
the error says which file to put where. Images stay uint8 and become channel-first
(``(N, 1, H, W)``, ``(N, 3, H, W)`` or ``(N, 1, D, H, W)``); sample ids are ``"{split}-{i}"``,
the position in the file, so they are stable across runs.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.io import check_finite
from meddx.core.paths import datasets_dir
from meddx.data.base import SPLITS, ImageSource, SplitData, TaskType, train_required

ZENODO_URL = "https://zenodo.org/records/10519652/files/{file}?download=1"
EXPECTED_KEYS = tuple(f"{s}_{k}" for s in SPLITS for k in ("images", "labels"))
_MD5_CHECK_MAX_BYTES = 200 * 2**20  # hashing a multi-GB 224 px file on every load is too slow


@dataclass(frozen=True)
class MedMNISTInfo:
    """What MedMNIST's ``info.py`` (v3.0.2) records for one dataset flag."""

    task: TaskType
    sizes: tuple[int, int, int]  # official train/val/test counts
    md5: dict[int, str]  # image size (28, 64, 128, 224) -> MD5 of the official file
    labels: tuple[str, ...]
    is_3d: bool = False


def _md5(*values: str) -> dict[int, str]:
    return dict(zip((28, 64, 128, 224), values))


_ORGANS = ("bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver",
           "lung-left", "lung-right", "pancreas", "spleen")
# Sizes, tasks and MD5 (28, 64) from ../shared/data/medmnist/SOURCE.md (MedMNIST info.py v3.0.2);
# MD5 (128, 224) and label names from the same info.py (label names unchanged since v2.1).
# RetinaMNIST is ordinal regression officially; meddx treats its 5 grades as multiclass.
KNOWN: dict[str, MedMNISTInfo] = {
    "pathmnist": MedMNISTInfo("multiclass", (89996, 10004, 7180), _md5(
        "a8b06965200029087d5bd730944a56c1", "55aa9c1e0525abe5a6b9d8343a507616",
        "ac42d08fb904d92c244187169d1fd1d9", "2c51a510bcdc9cf8ddb2af93af1eadec"),
        ("adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle",
         "normal colon mucosa", "cancer-associated stroma", "colorectal adenocarcinoma epithelium")),
    "chestmnist": MedMNISTInfo("multilabel", (78468, 11219, 22433), _md5(
        "02c8a6516a18b556561a56cbdd36c4a8", "9de6cd0b934ebb5b7426cfba5efbae16",
        "db107e5590b27930b62dbaf558aebee3", "45bd33e6f06c3e8cdb481c74a89152aa"),
        ("atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia",
         "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia")),
    "dermamnist": MedMNISTInfo("multiclass", (7007, 1003, 2005), _md5(
        "0744692d530f8e62ec473284d019b0c7", "b70a2f5635c6199aeaa28c31d7202e1f",
        "2defd784463fa5243564e855ed717de1", "8974907d8e169bef5f5b96bc506ae45d"),
        ("actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma",
         "benign keratosis-like lesions", "dermatofibroma", "melanoma", "melanocytic nevi",
         "vascular lesions")),
    "octmnist": MedMNISTInfo("multiclass", (97477, 10832, 1000), _md5(
        "c68d92d5b585d8d81f7112f81e2d0842", "e229e9440236b774d9f0dfef9d07bdaf",
        "0a97e76651ace45c5d943ee3f65b63ae", "abc493b6d529d5de7569faaef2773ba3"),
        ("choroidal neovascularization", "diabetic macular edema", "drusen", "normal")),
    "pneumoniamnist": MedMNISTInfo("binary", (4708, 524, 624), _md5(
        "28209eda62fecd6e6a2d98b1501bb15f", "8f4eceb4ccffa70c672198ea285246c6",
        "05b46931834c231683c68f40c47b2971", "d6a3c71de1b945ea11211b03746c1fe1"),
        ("normal", "pneumonia")),
    "retinamnist": MedMNISTInfo("multiclass", (1080, 120, 400), _md5(
        "bd4c0672f1bba3e3a89f0e4e876791e4", "afda852cc34dcda56f86ad2b2457dbcc",
        "e48e916a24454daf90583d4e6efb1a18", "eae7e3b6f3fcbda4ae613ebdcbe35348"),
        ("0", "1", "2", "3", "4")),
    "breastmnist": MedMNISTInfo("binary", (546, 78, 156), _md5(
        "750601b1f35ba3300ea97c75c52ff8f6", "742edef2a1fd1524b2efff4bd7ba9364",
        "363e4b3f8d712e9b5de15470a2aaadf1", "b56378a6eefa9fed602bb16d192d4c8b"),
        ("malignant", "normal, benign")),
    "bloodmnist": MedMNISTInfo("multiclass", (11959, 1712, 3421), _md5(
        "7053d0359d879ad8a5505303e11de1dc", "2b94928a2ae4916078ca51e05b6b800b",
        "adace1e0ed228fccda1f39692059dd4c", "b718ff6835fcbdb22ba9eacccd7b2601"),
        ("basophil", "eosinophil", "erythroblast",
         "immature granulocytes(myelocytes, metamyelocytes and promyelocytes)", "lymphocyte",
         "monocyte", "neutrophil", "platelet")),
    "tissuemnist": MedMNISTInfo("multiclass", (165466, 23640, 47280), _md5(
        "ebe78ee8b05294063de985d821c1c34b", "123ece2eba09d0aa5d698fda57103344",
        "61b955355d7425a89687b06cca3ce0c2", "b077128c4a949f0a4eb01517f9037b9c"),
        ("Collecting Duct, Connecting Tubule", "Distal Convoluted Tubule",
         "Glomerular endothelial cells", "Interstitial endothelial cells", "Leukocytes",
         "Podocytes", "Proximal Tubule Segments", "Thick Ascending Limb")),
    "organamnist": MedMNISTInfo("multiclass", (34561, 6491, 17778), _md5(
        "68e3f8846a6bd62f0c9bf841c0d9eacc", "2dcccc29b88e6da5a01161ef20cda288",
        "eeae80d0a227a8d099027e1b3cfd3b60", "50747347e05c87dd3aaf92c49f9f3170"), _ORGANS),
    "organcmnist": MedMNISTInfo("multiclass", (12975, 2392, 8216), _md5(
        "b9ceb9546e10131b32923c5bbeaea2b1", "3ce34a8724ea6f548e6db4744d03b6a9",
        "773c1f009daa3fe5d9a2a201b2a7ed94", "050f5e875dc056f6768abf94ec9995d1"), _ORGANS),
    "organsmnist": MedMNISTInfo("multiclass", (13932, 2452, 8827), _md5(
        "9ab87b696fb54e2a387ebe992d6ed5f1", "53a6d115339d874c25e309a994ff46d3",
        "ded0c5fa01a95dc4978b956f613e9b8e", "b354719e553fbbb2513d5533f52a4cb1"), _ORGANS),
    "organmnist3d": MedMNISTInfo("multiclass", (971, 161, 610), _md5(
        "a0c5a1ff56af4f155c46d46fbb45a2fe", "58a2205adf14a9d0a189cb06dc78bf10"),
        ("liver", "kidney-right", "kidney-left", "femur-right", "femur-left", "bladder", "heart",
         "lung-right", "lung-left", "spleen", "pancreas"), is_3d=True),
    "nodulemnist3d": MedMNISTInfo("binary", (1158, 165, 310), _md5(
        "8755a7e9e05a4d9ce80a24c3e7a256f3", "c47c5b7d457bf6332200d2ea6d64ecd8"),
        ("benign", "malignant"), is_3d=True),
    "adrenalmnist3d": MedMNISTInfo("binary", (1188, 98, 298), _md5(
        "bbd3c5a5576322bc4cdfea780653b1ce", "17721accfe9fb005146a47d33bc54b2f"),
        ("normal", "hyperplasia"), is_3d=True),
    "fracturemnist3d": MedMNISTInfo("multiclass", (1027, 103, 240), _md5(
        "6aa7b0143a6b42da40027a9dda61302f", "f01d7e6316aedf4210da0da5b7437b42"),
        ("buckle rib fracture", "nondisplaced rib fracture", "displaced rib fracture"), is_3d=True),
    "vesselmnist3d": MedMNISTInfo("binary", (1335, 191, 382), _md5(
        "b41fd4f7e7e2feedddb201585ecafa1b", "6bb274a8846e1097066dcd64e2c4520f"),
        ("vessel", "aneurysm"), is_3d=True),
    "synapsemnist3d": MedMNISTInfo("binary", (1230, 177, 352), _md5(
        "1235b78a3cd6280881dd7850a78eadb6", "43bd14ebf3af9d3dd072446fedc14d5e"),
        ("inhibitory synapse", "excitatory synapse"), is_3d=True),
}

_NAME_RE = re.compile(r"^(?P<flag>[a-z0-9]+?)(?:_(?P<size>28|64|128|224))?$")


def parse_name(name: str) -> tuple[str, int]:
    """``"adrenalmnist3d_64"`` -> ``("adrenalmnist3d", 64)``; unknown flags or sizes raise."""
    name = name.strip().lower().removeprefix("medmnist:")
    match = _NAME_RE.match(name)
    flag = match.group("flag") if match else name
    if not match or flag not in KNOWN:
        close = difflib.get_close_matches(flag, KNOWN, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise DataError(
            f"medmnist:{name}: unknown MedMNIST dataset; {hint}expected one of {', '.join(KNOWN)} "
            "with an optional _64/_128/_224 size suffix"
        )
    size = int(match.group("size") or 28)
    if size not in KNOWN[flag].md5:
        sizes = ", ".join(str(s) for s in KNOWN[flag].md5)
        raise DataError(f"medmnist:{name}: size {size} does not exist for {flag}; available sizes: {sizes}")
    return flag, size


def file_name(flag: str, size: int) -> str:
    """Official file name: ``pneumoniamnist.npz`` for 28 px, ``pneumoniamnist_64.npz`` otherwise."""
    return f"{flag}.npz" if size == 28 else f"{flag}_{size}.npz"


def load_medmnist(name: str, *, download: bool = True) -> ImageSource:
    """Load a MedMNIST dataset by name, from ``datasets_dir()`` or by download (MD5-checked).

    ``name`` is ``"pneumoniamnist"``, ``"medmnist:pneumoniamnist"`` or with a size suffix
    (``"adrenalmnist3d_64"``). Raises ``DataError`` naming the expected file and URL when the
    file is absent and cannot be downloaded.
    """
    flag, size = parse_name(name)
    fname = file_name(flag, size)
    dest = datasets_dir() / fname
    if not dest.exists():
        url = ZENODO_URL.format(file=fname)
        if not download:
            raise DataError(
                f"medmnist:{flag}{'' if size == 28 else f'_{size}'}: {dest} not found and downloads are off; "
                f"download {url} and put it at {dest}"
            )
        try:
            _download(url, dest, KNOWN[flag].md5[size])
        except DataError:
            raise
        except Exception as exc:  # offline, DNS, HTTP error, timeout, disk full
            raise DataError(
                f"medmnist:{flag}{'' if size == 28 else f'_{size}'}: {dest} not found and the download from "
                f"{url} failed ({exc}); download it on a machine with internet and put it at {dest}"
            ) from exc
    return load_medmnist_file(dest, flag=flag, size=size)


def load_medmnist_file(path: str | Path, *, flag: str | None = None, size: int | None = None) -> ImageSource:
    """Read a MedMNIST-style ``.npz`` (keys ``{train,val,test}_{images,labels}``).

    When ``flag`` is not given it is guessed from the file name (``pneumoniamnist_reconstructed.npz``
    -> pneumoniamnist); a known flag supplies the task and label names, otherwise the task is
    inferred from the labels. ``val``/``test`` may be absent; ``train`` is required too, except
    inside ``data.base.held_out_allowed`` (held-out data: any non-empty subset of the splits).
    Each split needs both its arrays (``{split}_images`` and ``{split}_labels``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected a MedMNIST .npz file")
    if flag is None:
        flag, size = _guess_flag(path.stem)
    info = KNOWN.get(flag) if flag else None
    notes: list[str] = []
    import zipfile

    if not zipfile.is_zipfile(path):  # np.load would call any other file "pickled data"
        raise DataError(f"{path}: not a .npz archive (no zip directory: a truncated download or another format "
                        "renamed); expected a MedMNIST .npz file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            present = _present_splits(path, list(npz.files))
            raw = {s: (npz[f"{s}_images"], npz[f"{s}_labels"]) for s in present}
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot read as .npz ({exc}); expected a MedMNIST .npz file") from exc
    missing = [s for s in SPLITS if s not in raw]
    if missing:
        notes.append(f"{path.name}: no {'/'.join(missing)} split in the file")

    is_3d = info.is_3d if info else None
    splits: dict[str, SplitData] = {}
    for split, (images, labels) in raw.items():
        images = _channel_first(images, is_3d, path, split)
        check_finite(images, f"{path}: {split}_images")
        labels = _labels(labels, len(images), path, split)
        ids = [f"{split}-{i}" for i in range(len(images))]
        splits[split] = SplitData(ids=ids, labels=labels, images=images)
    _check_splits_agree(splits, path)
    spatial_dims = next(iter(splits.values())).images.ndim - 2  # type: ignore[union-attr]

    task, label_names = _task_and_names(splits, info, notes, path)
    if info is not None:
        counts = tuple(len(splits[s]) if s in splits else 0 for s in SPLITS)
        if counts != info.sizes:
            notes.append(f"{path.name}: split sizes {counts} differ from the official {flag} sizes {info.sizes}")
        notes.append(_md5_note(path, info, size or 28))
    name = flag + ("" if not size or size == 28 else f"_{size}") if info else path.stem
    return ImageSource(name=name, origin=str(path), task=task, label_names=label_names,
                       spatial_dims=spatial_dims, splits=splits, notes=notes)


# ------------------------------------------------------------------------------------ helpers
def _present_splits(path: Path, keys: list[str]) -> list[str]:
    """The splits whose two arrays the file holds, in ``SPLITS`` order.

    A half pair (``val_images`` without ``val_labels``) is refused, naming the missing key. Without
    ``train_*`` the file is refused unless the caller reads held-out data (``held_out_allowed``):
    training needs training images, a federation coordinator's ``--eval-data`` does not.
    """
    found = ", ".join(keys) or "none"
    for split in SPLITS:
        pair = (f"{split}_images", f"{split}_labels")
        half = [k for k in pair if k not in keys]
        if len(half) == 1:
            raise DataError(f"{path}: {pair[pair.index(half[0]) - 1]} without {half[0]}; found keys: {found}; "
                            f"expected both arrays of a split ({pair[0]} and {pair[1]})")
    present = [s for s in SPLITS if f"{s}_images" in keys]
    if not present:
        raise DataError(f"{path}: missing MedMNIST keys; found keys: {found}; expected {', '.join(EXPECTED_KEYS)}")
    if "train" not in present and train_required():
        raise DataError(f"{path}: no training arrays (train_images, train_labels missing; found keys: {found}); "
                        "training needs them: a file of val/test arrays only is held-out data, read by `meddx "
                        "evaluate --data` or as a federated server's --eval-data")
    return present


def _download(url: str, dest: Path, md5: str | None, timeout: float = 30.0) -> None:
    """Stream ``url`` to a temp file beside ``dest``, check its MD5, then rename it into place."""
    import urllib.request

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    digest = hashlib.md5()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            while chunk := resp.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if md5 is not None and digest.hexdigest() != md5:
            raise DataError(
                f"{url}: downloaded file has MD5 {digest.hexdigest()}, expected {md5}; the download is "
                f"corrupted or the file changed: retry, or put the official file at {dest}"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _guess_flag(stem: str) -> tuple[str | None, int | None]:
    """Longest known flag the file name starts with, and a size suffix right after it."""
    stem = stem.lower()
    for flag in sorted(KNOWN, key=len, reverse=True):
        if stem.startswith(flag):
            m = re.match(r"_(28|64|128|224)(?:$|_)", stem[len(flag):])
            return flag, int(m.group(1)) if m else 28
    return None, None


def _channel_first(images: np.ndarray, is_3d: bool | None, path: Path, split: str) -> np.ndarray:
    """(N,H,W) -> (N,1,H,W); (N,H,W,3) or (N,H,W,1) -> (N,C,H,W); (N,D,H,W) -> (N,1,D,H,W).

    For a file of unknown name an axis of length 1 is a channel, never a depth of one slice:
    (N,H,W,1) is grey channel-last and (N,1,H,W) already channel-first.
    """
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4:
        if is_3d is None and images.shape[1] == 1 and images.shape[-1] != 1:  # (N, 1, H, W)
            return images
        rgb = images.shape[-1] in (1, 3) and images.shape[1] != 3 if is_3d is None else not is_3d
        if rgb and images.shape[-1] in (1, 3):
            return np.ascontiguousarray(np.moveaxis(images, -1, 1))
        return images[:, None]
    if images.ndim == 5 and images.shape[-1] in (1, 3):  # (N, D, H, W, C)
        return np.ascontiguousarray(np.moveaxis(images, -1, 1))
    raise DataError(
        f"{path}: {split}_images has shape {images.shape}; expected (N,H,W), (N,H,W,1|3) or (N,D,H,W)"
    )


def _labels(labels: np.ndarray, n: int, path: Path, split: str) -> np.ndarray:
    """(N,) or (N,1) -> (N,) int64 class indices; (N,L) with L>1 -> (N,L) int64 0/1."""
    if labels.shape[0] != n:
        raise DataError(f"{path}: {split}_labels has {labels.shape[0]} rows but {split}_images has {n}; expected equal")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim not in (1, 2):
        raise DataError(f"{path}: {split}_labels has shape {labels.shape}; expected (N,), (N,1) or (N,L)")
    if labels.dtype == np.bool_:  # multi-label 0/1 stored as booleans
        labels = labels.astype(np.uint8)
    if not np.issubdtype(labels.dtype, np.number) or np.issubdtype(labels.dtype, np.complexfloating):
        raise DataError(f"{path}: {split}_labels holds {labels.dtype} values; expected integer class indices")
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise DataError(f"{path}: {split}_labels has non-integer or non-finite values; expected class indices "
                        "(0, 1, ...), not scores")
    if np.any(labels < 0):
        raise DataError(f"{path}: {split}_labels has negative values; expected class indices >= 0")
    return labels.astype(np.int64)


def _check_splits_agree(splits: dict[str, SplitData], path: Path) -> None:
    """Every split has the first split's label layout ((N,) or (N,L) with the same L; 0/1 when
    multi-label) and image dimensions (2D or 3D): a (N,2) ``train_labels`` beside (N,1) ``val_labels``
    reached the loss as a shape mismatch deep inside torch, a 3D ``val_images`` beside 2D training
    images an error naming neither the file nor the split."""
    (first, data), *rest = splits.items()
    for split, other in rest:
        if other.labels.shape[1:] != data.labels.shape[1:]:
            raise DataError(f"{path}: {split}_labels has shape {other.labels.shape} but {first}_labels has "
                            f"{data.labels.shape}; expected the same label columns in every split")
        if other.images.ndim != data.images.ndim:  # type: ignore[union-attr]
            dims = [(s, d.images.ndim - 2) for s, d in ((split, other), (first, data))]  # type: ignore[union-attr]
            raise DataError(f"{path}: {dims[0][0]}_images are {dims[0][1]}D but {dims[1][0]}_images are {dims[1][1]}D; "
                            "expected all 2D or all 3D images")
    for split, other in splits.items():
        if other.labels.ndim == 2 and other.labels.size and other.labels.max() > 1:
            raise DataError(f"{path}: {split}_labels is multi-label (N,{other.labels.shape[1]}) but holds values "
                            f"up to {int(other.labels.max())}; expected 0/1 per label (or one class index per row, (N,))")


def _task_and_names(splits: dict[str, SplitData], info: MedMNISTInfo | None, notes: list[str],
                    path: Path) -> tuple[TaskType, list[str]]:
    first = next(iter(splits.values()))  # train, else val, else test
    multilabel = first.labels.ndim == 2
    if multilabel:
        n = first.labels.shape[1]
    else:
        n = max((int(s.labels.max()) + 1 for s in splits.values() if len(s)), default=2)
    if info is not None and (info.task == "multilabel") == multilabel and n <= len(info.labels):
        return info.task, list(info.labels)
    if info is not None:
        notes.append(f"{path.name}: labels do not match the official table; task and names inferred")
    task: TaskType = "multilabel" if multilabel else ("binary" if n <= 2 else "multiclass")
    return task, [f"class_{i}" for i in range(max(n, 2))]


def _md5_note(path: Path, info: MedMNISTInfo, size: int) -> str:
    official = info.md5.get(size)
    if official is None or path.stat().st_size > _MD5_CHECK_MAX_BYTES:
        return f"{path.name}: MD5 not checked (file too large or no official MD5)"
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    if digest == official:
        return f"{path.name}: MD5 {digest} matches the official Zenodo file"
    return f"{path.name}: MD5 {digest} differs from the official {official}: not the official file"
