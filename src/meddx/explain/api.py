"""``explain(bundle, inputs, method=...)``: one entry point for every bundle kind, and its files.

Image bundles: the raw files (PNG/JPEG/DICOM/NIfTI) go through the bundle's own preprocessing,
then ``explain.image`` (Grad-CAM, Grad-CAM++, occlusion, integrated gradients, saliency); maps
come back at the model's input resolution and are drawn on the image at its original resolution.
Text bundles: documents go to ``explain.text`` (attention, integrated gradients). Time-series
bundles: stays (``SeriesRecord`` or patient files) go to ``explain.series`` (integrated gradients,
occlusion) and come back as variable x hour grids. The class explained is the one the bundle decides (its own threshold or argmax) unless ``target`` names one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.explain.outputs import write_explanations  # noqa: F401  (its home before; the files it writes)

TEXT_METHODS = ("attention", "integrated-gradients")


@dataclass
class Explanation:
    """One input's attribution for one method and class.

    ``attribution``: ``(*spatial)`` at the model's input size for images, ``(n_tokens,)`` for
    text (``tokens`` then holds each token's character span), ``(variables, hours)`` for series
    (``extra["top"]`` lists the largest cells), ``(columns,)`` for table rows (``extra["columns"]``).
    """

    source: str
    method: str
    target: str
    probability: float
    attribution: np.ndarray
    seconds: float
    tokens: list[tuple[str, int, int]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # images: the array as the bundle read it, kept so the overlay is drawn without reading the file again
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    # images: ``Predictor.typicality_of``'s warning for an input unlike the training images (else None), from
    # the features of the pass that gave ``probability``: the CLI prints it without a pass of its own
    typicality_warning: str | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON summary: no arrays, no document text (token spans are offsets only). ``peak`` is
        the index of the largest |attribution| and ``peak_value`` its signed value (negative: evidence
        against the class), the point the volume figure slices through (``explain.figures``)."""
        from meddx.explain.figures import peak_index

        a = self.attribution
        peak = list(peak_index(a)) if a.size else None
        value = float(a[tuple(peak)]) if peak is not None else None
        # 6 significant digits, not decimals: a saliency or integrated-gradients peak of 3e-7 is no 0.0
        value = float(f"{value:.6g}") if value is not None and np.isfinite(value) else None  # NaN is no JSON
        return {"source": self.source, "method": self.method, "target": self.target,
                "probability": round(self.probability, 6), "milliseconds": round(self.seconds * 1000, 2),
                "shape": list(a.shape), "peak": peak, "peak_value": value, **self.extra}


def methods_for(predictor: Any) -> tuple[str, ...]:
    """The attribution methods a bundle supports; a segmentation bundle gets a clear refusal."""
    from meddx.explain.image import METHODS

    if predictor.config.get("task") == "segmentation":
        raise ConfigError(
            f"bundle {predictor.name!r} is a segmentation model: its output is already a per-voxel map, so there "
            "is no decision to attribute; explanations are for classification bundles (images, documents, series, "
            f"tables). For its masks and overlays run: meddx predict {predictor.name} FILE --output DIR"
        )
    if predictor.config.get("modality") == "text":
        return TEXT_METHODS if hasattr(predictor.net, "attention") else ("integrated-gradients",)
    if predictor.config.get("modality") == "series":
        from meddx.explain.series import methods_for_series

        return methods_for_series(predictor)
    if predictor.config.get("modality") == "tabular":
        from meddx.explain.tabular import METHODS as TABLE_METHODS

        has_grad = any(p.requires_grad for p in predictor.net.parameters())
        return TABLE_METHODS if has_grad else ("ablation",)
    return METHODS


def resolve_methods(predictor: Any, methods: Sequence[str]) -> list[str]:
    """``auto`` -> the fastest sound method; ``all`` -> every supported one; unknown -> error."""
    valid = methods_for(predictor)
    out: list[str] = []
    for m in methods or ["auto"]:
        if m == "all":
            out += [v for v in valid if v not in out]
        elif m == "auto":
            out.append("gradcam" if predictor.config.get("modality") in (None, "image") else valid[0])
        elif m not in valid:
            raise ConfigError(f"method {m!r} is not available for bundle {predictor.name!r}; choose from "
                              f"{', '.join(valid)}, auto or all")
        else:
            out.append(m)
    return list(dict.fromkeys(out))


def target_index(predictor: Any, probs: np.ndarray, target: int | str | None) -> int:
    """The class to explain: ``target`` by index or name, else the bundle's decision for these probabilities."""
    names = list(predictor.label_names)
    if target is not None and not isinstance(target, str):
        k = int(target)
        if not 0 <= k < len(names):
            raise ConfigError(f"target class {k} is not one of 0..{len(names) - 1}")
        return k
    if target is not None:
        if target not in names:
            raise ConfigError(f"--target {target!r} is not a class of bundle {predictor.name!r}: {', '.join(names)}")
        return names.index(target)
    decided = predictor.decide(probs[None])[0]
    if isinstance(decided, list):  # multi-label: the most probable label
        return int(np.argmax(probs))
    return names.index(decided)


def explain(bundle: Any, inputs: Sequence[Any], method: str | Sequence[str] = "auto", *,
            target: int | str | None = None, names: Sequence[str] | None = None,
            **options: Any) -> list[Explanation]:
    """Explain each input with each method; ``bundle`` is a loaded predictor, a folder or NAME[:VERSION].

    Image inputs are file paths (a folder: the images beneath it) or raw channel-first arrays;
    text inputs are strings, named by ``names`` (as ``predict`` names them: the file, ``FILE:ID``)
    or ``text1``, ``text2``...; series inputs are ``SeriesRecord`` objects or patient files
    (PhysioNet ``.txt``, long CSV).
    ``options`` go to the method (``steps``, ``layer``; occlusion of images: ``window``, ``stride``).
    """
    predictor = as_predictor(bundle)
    methods = resolve_methods(predictor, [method] if isinstance(method, str) else list(method))
    if predictor.config.get("modality") == "text":
        if names is not None and len(names) != len(inputs):
            raise ConfigError(f"names: {len(names)} given for {len(inputs)} documents; expected one per document")
        labels = list(names) if names is not None else [f"text{i + 1}" for i in range(len(inputs))]
        return [_explain_text(predictor, text, label, m, target, options)
                for text, label in zip(inputs, labels) for m in methods]
    if predictor.config.get("modality") == "series":
        return [_explain_series(predictor, record, m, target, options)
                for record in series_inputs(predictor, inputs) for m in methods]
    if predictor.config.get("modality") == "tabular":
        return [e for m in methods for e in _explain_rows(predictor, inputs, m, target)]
    out = []
    for i, item in enumerate(image_items(predictor, inputs)):
        image, name, spacing = _read(predictor, item, i)
        seen = _predicted(predictor, image, name)  # one pass per image, whatever the number of methods
        for m in methods:
            out.append(_explain_image(predictor, image, name, m, target, options, spacing, seen))
            out[-1].image = image
    return out


def _predicted(predictor: Any, image: np.ndarray, name: str) -> tuple[Any, np.ndarray, str | None]:
    """The image preprocessed, its (calibrated) probabilities and its typicality warning, from one
    prediction pass: the head's input of that pass feeds the typicality check (``Predictor.typicality_of``,
    as ``predict_files`` judges a file), so the warning costs no pass of its own."""
    x = predictor.preprocess([image])
    features: list[Any] | None = [] if getattr(predictor, "typicality", None) is not None else None
    probs = predictor.predict_tensor(x, features=features)[0]
    warning = predictor.typicality_of(features, [name])[0].get("typicality_warning") if features is not None else None
    return x, probs, warning


def as_predictor(bundle: Any) -> Any:
    """A loaded predictor as is; a bundle folder or registry NAME[:VERSION] loaded."""
    if hasattr(bundle, "net") and hasattr(bundle, "config"):
        return bundle
    from meddx.bundle.bundle import load_bundle
    from meddx.registry.store import resolve_bundle_path

    return load_bundle(resolve_bundle_path(str(bundle)))


def image_items(predictor: Any, inputs: Sequence[Any]) -> list[Any]:
    """Image inputs one per image: arrays as given, a folder replaced by the images beneath it."""
    from meddx.data.inputs import expand_image_inputs

    dims = len(predictor.preprocessor.spatial_size)
    return [x for item in inputs for x in ([item] if isinstance(item, np.ndarray) else expand_image_inputs([item], dims))]


def _read(predictor: Any, item: Any, i: int) -> tuple[np.ndarray, str, tuple[float, ...] | None]:
    """The image as the bundle reads it (checked: dimensionality, channels), its name and the voxel
    spacing the file records (arrays: none); the explanation and the overlay use the same array."""
    if isinstance(item, np.ndarray):
        return predictor.readable_image(item, f"input{i + 1}"), f"input{i + 1}", None
    loaded = predictor.read_loaded(item)  # volumes in the orientation the bundle was trained on
    return loaded.array, str(item), loaded.spacing


def _explain_image(predictor: Any, image: np.ndarray, name: str, method: str, target: str | None,
                   options: dict[str, Any], spacing: tuple[float, ...] | None = None,
                   seen: tuple[Any, np.ndarray, str | None] | None = None) -> Explanation:
    """``extra``: ``image_peak`` (the peak on the image's own grid, where the figure puts it); the
    ``spacing`` read (mm, z y x or y x; ``None``: not recorded) and how the figures draw it
    (``figure_voxels`` for a volume, ``figure_pixels`` for a 2D image); for occlusion its
    ``window``, ``stride`` and ``forward_passes``. ``seen``: :func:`_predicted`'s pass over ``image``."""
    from meddx.explain.figures import image_peak, pixel_note, spacing_note
    from meddx.explain.image import image_attributions

    x, probs, warning = seen if seen is not None else _predicted(predictor, image, name)
    k = target_index(predictor, probs, target)
    start = time.perf_counter()
    attribution = image_attributions(predictor.net, x, method, k, **options)[0]
    seconds = time.perf_counter() - start
    extra: dict[str, Any] = {"image_peak": list(image_peak(attribution, image.shape[1:]))}
    if image.ndim in (3, 4):
        extra["spacing"] = None if spacing is None else [round(float(v), 4) for v in spacing]
        if image.ndim == 4:
            extra["figure_voxels"] = spacing_note(spacing)
        else:
            extra["figure_pixels"] = pixel_note(spacing)
    if method == "occlusion":
        extra.update(occlusion_plan(tuple(x.shape[2:]), options.get("window"), options.get("stride")))
    return Explanation(source=name, method=method, target=predictor.label_names[k], probability=float(probs[k]),
                       attribution=attribution, seconds=seconds, extra=extra, typicality_warning=warning)


def occlusion_notice(predictor: Any, methods: Sequence[str], window: int | None = None,
                     stride: int | None = None) -> str | None:
    """The line the CLI prints before explaining image inputs with occlusion (which can take
    minutes on a 3D bundle): how many forward passes each image costs; ``None`` without occlusion.
    A ``window`` or ``stride`` outside what the model input allows is refused here, before any work."""
    if predictor.config.get("modality") not in (None, "image"):
        return None
    if "occlusion" not in resolve_methods(predictor, methods):
        return None
    size = tuple(int(n) for n in predictor.preprocessor.spatial_size)
    plan = occlusion_plan(size, window, stride, flags=("--window", "--stride"))
    x = "x".join
    return (f"occlusion: {plan['forward_passes']} forward passes per image (window {x(map(str, plan['window']))}, "
            f"stride {x(map(str, plan['stride']))} of the {x(map(str, size))} model input)")


def occlusion_plan(spatial: tuple[int, ...], window: int | None = None, stride: int | None = None,
                   flags: tuple[str, str] = ("window", "stride")) -> dict[str, Any]:
    """The window, stride and number of forward passes occlusion runs over an input of ``spatial``
    size (model input voxels), for the explanation's JSON and the CLI's notice before it starts."""
    from meddx.explain.image import occlusion_geometry

    sides, strides, passes = occlusion_geometry(spatial, window, stride, flags=flags)
    return {"window": list(sides), "stride": list(strides), "forward_passes": passes}


def _explain_text(predictor: Any, text: str, name: str, method: str, target: str | None,
                  options: dict[str, Any]) -> Explanation:
    from meddx.explain.text import token_attributions
    from meddx.transforms.text_checks import nothing_to

    problem = nothing_to("explain", text)  # empty, "..." (only punctuation), bytes not UTF-8
    if problem:
        raise DataError(f"{name}: {problem}")
    start = time.perf_counter()  # the document is encoded and scored once, inside token_attributions
    result = token_attributions(predictor, text, method=method, target=target, **options)
    return Explanation(source=name, method=method, target=result.target, probability=result.probability,
                       attribution=np.asarray(result.scores, dtype=np.float32), seconds=time.perf_counter() - start,
                       tokens=result.tokens, extra={k2: v for k2, v in result.extra.items()})


def series_inputs(predictor: Any, inputs: Sequence[Any]) -> list[Any]:
    """Stays to explain: ``SeriesRecord`` objects as they are, patient files read with the bundle's
    variables and window."""
    from meddx.data.series import SeriesRecord

    records = [x for x in inputs if isinstance(x, SeriesRecord)]
    files = [x for x in inputs if not isinstance(x, SeriesRecord)]
    if files:
        from meddx.data.series_files import read_patient_files

        records += read_patient_files(files, predictor.config)
    return records


def _explain_rows(predictor: Any, inputs: Sequence[Any], method: str, target: str | None) -> list[Explanation]:
    """Table rows (a DataFrame, or CSV files read with the training options): one attribution per
    raw column, one-hot and missing-indicator inputs summed back to their column."""
    import pandas as pd

    from meddx.explain.tabular import row_attributions

    from meddx.bundle.tabular_predictor import file_names, row_labels

    files = [x for x in inputs if not isinstance(x, pd.DataFrame)]
    shown = dict(zip(map(id, files), file_names(files)))  # a path where two inputs share a file name
    names: list[str] = []
    labels: list[str] = []  # how an error names each row: its row in its own file, as predict does
    frames = []
    for i, item in enumerate(inputs):
        if isinstance(item, pd.DataFrame):
            names += [f"input{i + 1}-row{j + 1}" for j in range(len(item))]
            labels += [f"row {j + 1} of input {i + 1}" for j in range(len(item))]
            frames.append(item)
        else:
            rows, frame = predictor.read_rows(item, shown[id(item)])
            names += rows  # already FILE:ID or FILE:rowN
            labels += row_labels(item, rows, shown[id(item)])
            frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    probs = predictor.predict_tensor(predictor.encode(table, labels))
    targets = [target_index(predictor, p, target) for p in probs]
    start = time.perf_counter()
    attr, columns, _ = row_attributions(predictor, table, method, target=targets)
    seconds = (time.perf_counter() - start) / max(1, len(table))
    from meddx.explain.tabular import _value

    def top(i: int) -> list[dict[str, Any]]:
        order = np.argsort(-np.abs(attr[i]), kind="stable")[:5]
        return [{"column": columns[j], "value": _value(table[columns[j]].iloc[i]),
                 "attribution": round(float(attr[i, j]), 6)} for j in order]

    return [Explanation(source=name, method=method, target=predictor.label_names[k], probability=float(probs[i, k]),
                        attribution=attr[i].astype(np.float32), seconds=seconds,
                        extra={"columns": columns, "top": top(i)})
            for i, (name, k) in enumerate(zip(names, targets))]


def _explain_series(predictor: Any, record: Any, method: str, target: str | None,
                    options: dict[str, Any]) -> Explanation:
    from meddx.explain.series import series_attributions, top_contributors

    probs = predictor.predict_records([record])[0]
    k = target_index(predictor, probs, target)
    start = time.perf_counter()
    attribution = series_attributions(predictor, record, method, k, **options)
    return Explanation(source=record.id, method=method, target=predictor.label_names[k], probability=float(probs[k]),
                       attribution=attribution, seconds=time.perf_counter() - start,
                       extra={"top": top_contributors(attribution, predictor.variables, record)})


def per_input(explanations: list[Explanation]) -> list[list[Explanation]]:
    """The explanations of each input in input order. :func:`explain` gives every method of one
    input in turn, so a new input starts where the source changes or a method repeats: the same
    file given twice is two inputs, not one group drawn on the wrong image."""
    groups: list[list[Explanation]] = []
    for e in explanations:
        if not groups or groups[-1][0].source != e.source or any(g.method == e.method for g in groups[-1]):
            groups.append([e])
        else:
            groups[-1].append(e)
    return groups
