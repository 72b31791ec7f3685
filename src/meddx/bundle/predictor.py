"""Inference from a loaded bundle: preprocessing, network, head and decision rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from meddx.core.errors import DataError

# Samples per forward pass scale with their size: a pass holds the activations of all its samples
# at once, and a small-stem 3D ResNet keeps 64 channels at full resolution (a 64^3 volume: 67 MB per
# activation per sample), so a fixed 128 held gigabytes. A fixed voxel budget per pass keeps memory
# alike for 28 px images (still 128 a pass) and volumes (64^3: 4 a pass). Eval-mode networks treat
# every sample on its own; the float rounding a pass's size would change is kept alike by padding
# every pass (bundle.pass_rows).
VOXELS_PER_PASS = 2**20
MAX_BATCH = 128


def batch_size_for(shape: Sequence[int], voxels_per_pass: int = VOXELS_PER_PASS) -> int:
    """Samples per forward pass for inputs of ``shape`` ``(N, C, *spatial)`` (or ``(C, *spatial)``):
    ``voxels_per_pass`` spatial voxels at most, between 1 and ``MAX_BATCH``."""
    spatial = tuple(shape)[2:] if len(shape) >= 4 else tuple(shape)[1:]
    voxels = int(np.prod(spatial)) if spatial else 1
    return max(1, min(MAX_BATCH, voxels_per_pass // max(1, voxels)))


@dataclass
class Prediction:
    """One prediction: the decided label(s) and the probability of every class."""

    source: str
    label: str | list[str]
    probabilities: dict[str, float]
    threshold: float | dict[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The row ``meddx predict --json`` writes: source, label, probabilities and threshold, then the
        ``extra`` fields (typicality, spacing and channel notes, a series stay's observations)."""
        base = {"source": self.source, "label": self.label, "probabilities": self.probabilities,
                "threshold": self.threshold}
        return {**base, **{k: v for k, v in self.extra.items() if k not in base}}


class Predictor:
    """A bundle ready to predict; build it with ``meddx.bundle.load_bundle``."""

    def __init__(self, config: dict[str, Any], net: torch.nn.Module, path: Path | None = None, metrics: dict | None = None) -> None:
        self.config = config
        self.net = net.eval()
        self.path = path
        self.metrics = metrics or {}
        self.task: str = config["task"]
        self.label_names: list[str] = list(config["label_names"])
        self.preprocessor = self._build_preprocessor(config)
        decision = config.get("decision", {})
        self.threshold: float | None = decision.get("threshold")
        # Per-label thresholds (multi-label); multi-class per-class thresholds are for reporting only.
        self.class_thresholds: dict[str, float] | None = decision.get("class_thresholds")
        # one number (binary, multi-class, and multi-label bundles written before stop 44), or one per label
        # (multi-label: evaluation.label_temperature)
        temperature = config.get("calibration", {}).get("temperature")
        self.temperature: float | list[float] = ([float(t) for t in temperature] if isinstance(temperature, list)
                                                 else float(temperature or 1.0))
        # models trained with a class-weighted loss: the bias removing the loss's log-odds shift (binary: one
        # number; multi-class: −log w_k per class; multi-label: one per label; binary and multi-label fitted with T
        # between −log w and −log w / T since stop 45, −log w before: evaluation.shift_fit); 0 for bundles without one
        bias = config.get("calibration", {}).get("bias")
        self.calibration_bias: float | list[float] = ([float(b) for b in bias] if isinstance(bias, list)
                                                      else float(bias or 0.0))
        # multi-class with the weights removed from its probabilities: decides by argmax p_k·w_k
        # (evaluation.decision); None: argmax, as every bundle written before the record
        self.decision_weights: list[float] | None = decision.get("class_weights") if self.task == "multiclass" else None
        self.tta: list[str] = list(config.get("tta", []))
        # The voxel orientation volumes were read in for training ("RAS"); bundles written before
        # reorientation existed have none and read files in their stored order, as they were trained.
        self.orientation: str | None = config.get("orientation")
        # Whether inputs look like the training images (bundle.typicality); None: a bundle without the record
        from meddx.bundle.typicality import check_head, load_typicality

        self.typicality = load_typicality(path, config)
        if self.typicality is not None:  # a check the network cannot feed is refused now, not at predict
            check_head(self.typicality, self.net, len(self.label_names), path)
        self._tap: Any = None

    def _build_preprocessor(self, config: dict[str, Any]) -> Any:
        """The fitted input transform of this kind of bundle (images: ``ImagePreprocessor``)."""
        from meddx.transforms.image import ImagePreprocessor

        return ImagePreprocessor.from_dict(config["preprocessing"])

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.path.name if self.path else "bundle"))

    def preprocess(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """Apply the bundle's fitted preprocessing to raw channel-first arrays."""
        return torch.from_numpy(self.preprocessor.transform_many(images))

    @property
    def decision_thresholds(self) -> float | list[float] | None:
        """The threshold argument of ``classification_metrics`` for this bundle's decision rule."""
        from meddx.evaluation.operating import thresholds_of

        return thresholds_of(self.config.get("decision", {}), self.label_names)

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        """Apply the bundle's temperature (fitted on validation; multi-label: one per label) and, for a
        class-weighted model, its log-odds bias (the loss's shift removed); identity when there are none."""
        t = self.temperature
        unit = all(v == 1.0 for v in t) if isinstance(t, list) else t == 1.0
        if (unit and not self.calibration_bias) or len(probs) == 0:
            return probs
        from meddx.evaluation.calibration import apply_temperature

        return apply_temperature(probs, self.temperature, self.task, bias=self.calibration_bias)

    def predict_tensor(self, x: torch.Tensor, batch_size: int | None = None, calibrated: bool = True,
                       features: list[Any] | None = None) -> np.ndarray:
        """Class probabilities ``(N, K)`` for preprocessed inputs: averaged over TTA flips, then
        temperature-scaled unless ``calibrated=False`` (the raw network output, for calibration reports).
        ``batch_size`` ``None``: as many samples a pass as :func:`batch_size_for` allows their size.
        ``features``: a list that receives the penultimate features of the same passes (unflipped),
        one ``(n, D + APPENDED)`` tensor per pass, the last columns each input's intensity statistics
        and thumbnail (``typicality_inputs.input_statistics``), for :meth:`typicality_of`."""
        probs = self._raw_probs(x, batch_size or batch_size_for(tuple(x.shape)), features)
        return self.calibrate(probs) if calibrated else probs

    @torch.inference_mode()
    def _raw_probs(self, x: torch.Tensor, batch_size: int, features: list[Any] | None = None) -> np.ndarray:
        from meddx.bundle.pass_rows import BLOCK_ROWS, PASS_ROWS, aligned_rows, padded, pass_plan
        from meddx.tasks.heads import probs_from_logits

        tap = self._feature_tap() if features is not None else None
        slot = tap.start() if tap is not None else None
        outs = []
        rows = PASS_ROWS if x.dim() == 2 else BLOCK_ROWS  # table rows are cheap, images not
        bounds, unit = pass_plan(len(x), batch_size, batch_size_for(tuple(x.shape)), rows)
        try:
            for start, stop in bounds:  # each pass padded so its rows' bits do not depend on it (pass_rows)
                xb, m = aligned_rows(padded(x[start:stop], unit)), stop - start
                probs = probs_from_logits(self._forward(xb).double(), self.task)[:m]  # type: ignore[arg-type]
                if slot:  # the head's input of this pass (not the flipped one's), then the input's statistics
                    from meddx.bundle.typicality_inputs import input_statistics

                    features.append(torch.cat([slot[-1][:m], input_statistics(xb[:m])], dim=1))  # type: ignore[union-attr]
                    slot.clear()
                if "hflip" in self.tta:
                    flipped = probs_from_logits(self._forward(torch.flip(xb, dims=[-1])).double(), self.task)  # type: ignore[arg-type]
                    probs = (probs + flipped[:m]) / 2
                outs.append(probs)
        finally:
            if tap is not None:
                tap.stop()
        if not outs:
            return np.zeros((0, len(self.label_names)), dtype=np.float64)
        return torch.cat(outs).numpy()

    def _forward(self, xb: torch.Tensor) -> torch.Tensor:
        """The network on one batch. An input it cannot take (``config.json``'s preprocessing size or
        channels edited away from those the network was built for) is a ``BundleError`` naming the
        fields, not a torch traceback from deep inside the network."""
        try:
            return self.net(xb)
        except RuntimeError as exc:
            said = str(exc).strip().split("\n")[0]
            if not any(word in said for word in ("shape", "size", "channels")) or "memory" in said:
                raise
            from meddx.core.errors import BundleError

            where = self.path / "config.json" if self.path else "config.json"
            raise BundleError(f"{where}: network {self.config['model']['name']!r} cannot take the input field "
                              f"'preprocessing' gives ({tuple(xb.shape[1:])}, channels first: {said}); its fields "
                              "'model' and 'preprocessing' disagree (edited by hand?): restore config.json from "
                              "the bundle's source") from None

    def _feature_tap(self) -> Any:
        """The hook that hands out the head's input (registered once); None when no head is found."""
        if self._tap is None:
            from meddx.bundle.typicality import FeatureTap, head_layer

            head = head_layer(self.net, len(self.label_names))
            if head is None:
                return None
            self._tap = FeatureTap()
            head.register_forward_pre_hook(self._tap)
        return self._tap

    def typicality_of(self, features: list[Any], where: Sequence[str]) -> list[dict[str, Any]]:
        """Per input (named by ``where``): ``typical`` and ``typicality`` (distance, threshold,
        quantile, and the intensity check's ``intensity_*`` fields), and a ``typicality_warning`` for an
        atypical one; ``{"typicality": None}`` for a bundle without the record (``bundle.typicality``),
        with ``typicality_reason`` when the bundle tells why it has none (``--dp``, federated)."""
        from meddx.bundle.typicality_inputs import APPENDED, absent_reason, flagged, warning_part

        joined = torch.cat(features).numpy() if features else np.zeros((0, 0))
        if self.typicality is None or len(joined) != len(where):  # no record, or no head whose input to read
            reason = absent_reason(self.config) if self.typicality is None else None
            return [{"typicality": None, **({"typicality_reason": reason} if reason else {})} for _ in where]
        width = APPENDED
        out = []
        for name, record in zip(where, self.typicality.judge(joined[:, :-width], joined[:, -width:])):
            typical = record.pop("typical")
            row: dict[str, Any] = {"typical": typical, "typicality": record}
            if not typical:
                by_inputs = flagged(record)
                parts = [f"feature distance {record['distance']:.3g} above {record['threshold']:.3g}, the "
                         f"{record['quantile']:.1%} quantile of its validation images"] \
                    if record["distance"] > record["threshold"] or not by_inputs else []
                if by_inputs:
                    parts.append(warning_part(record))
                row["typicality_warning"] = (f"{name}: unlike the images bundle {self.name!r} was trained on "
                                             f"({'; '.join(parts)}); its prediction is unreliable for this input")
            out.append(row)
        return out

    def predict_arrays(self, images: Sequence[np.ndarray], batch_size: int | None = None,
                       calibrated: bool = True) -> np.ndarray:
        """Class probabilities for raw (not yet preprocessed) channel-first arrays."""
        return self.predict_tensor(self.preprocess(images), batch_size=batch_size, calibrated=calibrated)

    def decide(self, probs: np.ndarray) -> list[str | list[str]]:
        """Labels from probabilities with the bundle's rule (threshold for binary/multi-label;
        multi-class: argmax, of p_k·w_k for a class-weighted model whose weights were removed)."""
        if self.task == "binary":
            t = 0.5 if self.threshold is None else self.threshold
            return [self.label_names[int(p[1] >= t)] for p in probs]
        if self.task == "multiclass":
            from meddx.evaluation.decision import decided_class

            weights = None if self.decision_weights is None else np.asarray(self.decision_weights, dtype=np.float64)
            return [self.label_names[int(i)] for i in decided_class(probs, weights)]
        t = 0.5 if self.threshold is None else self.threshold
        per_label = [self.class_thresholds.get(n, t) if self.class_thresholds else t for n in self.label_names]
        return [[n for n, p, tn in zip(self.label_names, row, per_label) if p >= tn] for row in probs]

    def readable_image(self, image: np.ndarray, where: str, *, fourth_axis: bool = False) -> np.ndarray:
        """``image`` (channel first) as this bundle reads it, or a ``DataError`` naming ``where``
        when its dimensionality or channels cannot be: one check for predict and explain.

        A single slice is no volume: a 3D bundle refuses ``(C, 1, H, W)`` (a 2D bundle reads it as
        the 2D image it is). Channels convert only as grey and colour do (grey, RGB and RGBA to
        the bundle's grey or RGB); another count that differs from the bundle's, and any count of
        a 4D NIfTI's time points or modalities (``fourth_axis``, ``LoadedImage.fourth_axis``: three
        volumes are T1/T2/FLAIR, not RGB), is refused rather than averaged, unless training itself
        was told to read such images with the bundle's channel count (``channels`` set in the config).
        """
        dims = len(self.preprocessor.spatial_size)
        image = single_slice_as_2d(image, dims)
        if image.ndim - 1 != dims:
            raise DataError(f"{where}: image has {image.ndim - 1} spatial dimensions (shape {tuple(image.shape)}), "
                            f"but bundle {self.name!r} expects {dims}D input")
        if dims == 3 and image.shape[1] == 1 and self.preprocessor.spatial_size[0] > 1:
            raise DataError(f"{where}: a volume of a single slice (shape {tuple(image.shape)}), but bundle "
                            f"{self.name!r} classifies 3D volumes; give the whole volume or DICOM series folder")
        if not self._channels_readable(image.shape[0], fourth_axis):
            raise DataError(f"{where}: {image.shape[0]} channels, but bundle {self.name!r} reads "
                            f"{self.preprocessor.channels}-channel images (grey or RGB convert automatically; a 4D "
                            "NIfTI's 4th axis, time or modality, is read as channels: save the 3D volume meant)")
        return image

    def _channels_readable(self, c: int, fourth_axis: bool = False) -> bool:
        """Whether a ``c``-channel image converts to the bundle's channels (see ``readable_image``)."""
        from meddx.training.plan import is_chosen
        from meddx.transforms.image import channels_convertible

        channels = self.preprocessor.channels
        if c == channels:
            return True
        chosen = is_chosen({"reasons": self.config.get("training", {}).get("plan_reasons")}, "channels")
        colour = not fourth_axis and c in (1, 3, 4) and channels in (1, 3)
        return channels_convertible(c, channels) and (colour or chosen)

    def read(self, path: str | Path) -> np.ndarray:
        """The image at ``path`` as this bundle reads it: volumes in the bundle's ``orientation``
        (stored order for bundles without one), checked by :meth:`readable_image`."""
        return self.read_loaded(path).array

    def read_loaded(self, path: str | Path) -> Any:
        """:meth:`read` as a ``data.io.LoadedImage``: the checked array and the spacing the file records."""
        from meddx.data.io import read_image
        from meddx.data.orientation import reading_for

        with reading_for(self):  # orientation and X-ray VOI as the bundle's training read them
            loaded = read_image(path)
        loaded.array = self.readable_image(loaded.array, str(path), fourth_axis=loaded.fourth_axis)
        return loaded

    @property
    def training_spacing(self) -> dict[str, Any] | None:
        """The training volumes' spacing (median, min, max in mm) when the bundle records it."""
        return (self.config.get("training") or {}).get("spacing") or None

    def predict_files(self, paths: Sequence[str | Path]) -> list[Prediction]:
        """Read PNG/JPEG/DICOM/NIfTI files and predict each; a folder stands for the image files
        beneath it (3D bundles: its DICOM series and NIfTI volumes; ``data.inputs``)."""
        from meddx.data.inputs import expand_image_inputs

        from meddx.bundle.input_notes import channels_note

        paths = expand_image_inputs(paths, len(self.preprocessor.spatial_size))
        spacings: list[Any] = []
        notes: list[dict[str, Any]] = []

        def arrays() -> Any:
            for p in paths:
                loaded = self.read_loaded(p)
                spacings.append(loaded.spacing)
                notes.append(channels_note(loaded.array, self.preprocessor.channels, str(p)))
                yield loaded.array

        # Each file is preprocessed as soon as it is read, so only the bundle-sized inputs are kept:
        # a folder of CT volumes is not held in memory at full resolution all at once.
        x = self.preprocessor.transform_many(arrays())
        features: list[Any] = []
        probs = self.predict_tensor(torch.from_numpy(x), features=features)
        typicality = self.typicality_of(features, [str(p) for p in paths])
        labels = self.decide(probs)
        return [
            Prediction(
                source=str(p),
                label=lab,
                probabilities={n: float(v) for n, v in zip(self.label_names, row)},
                threshold=self.class_thresholds if self.task == "multilabel" and self.class_thresholds else self.threshold,
                extra={**self._spacing_extra(str(p), sp), **note, **typ},
            )
            for p, lab, row, sp, note, typ in zip(paths, labels, probs, spacings, notes, typicality)
        ]

    def _spacing_extra(self, where: str, spacing: Any) -> dict[str, Any]:
        """For a 3D bundle: the file's ``spacing`` (mm, ``(dz, dy, dx)``, ``None`` when it records
        none), the bundle's ``training_spacing`` when recorded, and a ``spacing_warning`` when they
        differ (``spacing_warning``); nothing for 2D bundles."""
        if len(self.preprocessor.spatial_size) != 3:
            return {}
        from meddx.bundle.spacing import spacing_warning

        out: dict[str, Any] = {"spacing": None if spacing is None else [round(float(v), 4) for v in spacing]}
        if self.training_spacing:
            out["training_spacing"] = self.training_spacing.get("median")
            warning = spacing_warning(where, spacing, self.training_spacing)
            if warning:
                out["spacing_warning"] = warning
        return out


def single_slice_as_2d(image: Any, dims: int) -> Any:
    """A volume of one slice, ``(C, 1, H, W)`` (a 2D NIfTI saved as x*y*1), as the 2D image
    ``(C, H, W)`` a 2D bundle reads; anything else unchanged."""
    if dims == 2 and image.ndim == 4 and image.shape[1] == 1:
        return image[:, 0]
    return image
