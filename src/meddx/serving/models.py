"""Loaded models, keyed by name and version, with hot swap when the registry changes.

The server serves, per bundle name, the version promoted to ``production`` or else the latest
registered one. ``refresh`` (at start, every ``poll_seconds``, and after an admin promotes or
rolls back) loads any new target version in a loader thread, warms it up, and only then swaps
the name's entry in one dict assignment: requests that already hold the old ``ServedModel``
finish on it, new ones get the new one, and the old batcher is closed once its last request is
done. A version that fails to load (a pickle in the folder, missing files) is reported and the
version already serving stays.

Explanations run on a private copy of the network (``serving.explaining``). Segmentation bundles
are served by ``serving.segment``. A bundle this server cannot run (``NotServable``) answers 422
``model-not-servable`` and is not tried again; any other failed load (I/O, a bundle still being
written) answers 503 ``model-unavailable`` with Retry-After and is tried again at every poll.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from meddx.serving.batching import MicroBatcher
from meddx.serving.problems import Problem
from meddx.serving.settings import ServeSettings
from meddx.serving.summary import card_summary, modality, model_summary

log = logging.getLogger("meddx.serving")


class NotServable(Exception):
    """A bundle this server cannot run whatever is retried (a capability it lacks, not a failed
    read): its predict requests get 422 ``model-not-servable`` with the reason, never 503."""


@dataclass
class ServedModel:
    """One loaded bundle version and its batcher."""

    name: str
    version: int
    stage: str
    path: str
    predictor: Any
    batcher: MicroBatcher
    summary: dict[str, Any]
    card: dict[str, Any]
    loaded_at: float = field(default_factory=time.time)
    inflight: int = 0
    explainer: Any = None
    cam_layer: str | None = None
    explain_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def modality(self) -> str:
        return modality(self.predictor.config)

    @property
    def segmentation(self) -> bool:
        return getattr(self.predictor, "task", None) == "segmentation"


def predict_batch(predictor: Any, inputs: list[Any], shared: bool = False) -> list[dict[str, Any]]:
    """Run one batch (preprocessed image arrays, texts or records) and shape each answer.

    ``shared`` False (the server's default): each input gets its own forward pass at batch size
    1, so an answer never depends on which requests happened to share its batch. Convolution and
    matrix kernels sum in another order at other batch sizes (and texts are padded to the longest
    in the batch): a shared pass moved probabilities by ~1e-7, enough to give one image two audited
    outputs and, at the threshold, two labels. ``shared`` True: one pass for the whole batch.

    In a worker thread watching the batch's requests (``serving.cancel``), an input whose request
    gave up (timed out) gets ``None`` without its pass; when all did, the batch stops."""
    if not shared:
        from meddx.serving.cancel import abandoned, check

        out: list[Any] = []
        for i, x in enumerate(inputs):
            check()
            out.append(None if abandoned(i) else predict_batch(predictor, [x], shared=True)[0])
        return out
    kind = modality(predictor.config)
    if kind == "series":  # SeriesRecord objects, checked against the bundle's variables by the route
        raw = predictor.predict_records(inputs, calibrated=False)
    elif kind == "text":
        raw = predictor.predict_texts(inputs, calibrated=False)
    elif kind == "tabular":  # one-row DataFrames, typed by the route
        import pandas as pd

        raw = predictor.predict_rows(pd.concat(inputs, ignore_index=True), calibrated=False)
    else:
        import torch

        features: list[Any] = []  # images: whether each looks like the training images (bundle.typicality)
        raw = predictor.predict_tensor(torch.from_numpy(np.stack(inputs)), calibrated=False, features=features)
        checks = predictor.typicality_of(features, ["the uploaded image"] * len(inputs))
    calibrated = predictor.calibrate(raw)
    labels = predictor.decide(calibrated)
    answers = [answer(predictor, lab, cal, r) for lab, cal, r in zip(labels, calibrated, raw)]
    if kind == "image":
        answers = [{**a, **check} for a, check in zip(answers, checks)]
    elif kind == "series":  # a stay without observations gets the risk of an empty series: say so, as predict does
        answers = [{**a, **predictor.observed(x, x.id)} for a, x in zip(answers, inputs)]
    return answers


def answer(predictor: Any, label: Any, calibrated: np.ndarray, raw: np.ndarray) -> dict[str, Any]:
    """Label at the operating point, calibrated probabilities (what the decision uses), the
    network's own (uncalibrated) ones, and the calibrated probability behind the label."""
    names = list(predictor.label_names)
    if predictor.task == "binary":
        headline: float | None = float(calibrated[1])
    elif predictor.task == "multiclass":
        headline = float(calibrated[names.index(label)])
    else:
        headline = None
    threshold = predictor.class_thresholds if predictor.task == "multilabel" and predictor.class_thresholds \
        else predictor.threshold
    # full precision, as `meddx predict --json` writes them: a client can reproduce the decision
    # at the threshold exactly (a rounded .500000 may sit on either side of it)
    return {"label": label, "calibrated_probability": headline,
            "probabilities": {n: float(v) for n, v in zip(names, calibrated)},
            "uncalibrated_probabilities": {n: float(v) for n, v in zip(names, raw)},
            "threshold": threshold}


class ModelManager:
    """The name -> ``ServedModel`` map the routes read, and the loading behind it."""

    def __init__(self, settings: ServeSettings, executor: Executor) -> None:
        self.settings = settings
        self.executor = executor
        self.models: dict[str, ServedModel] = {}
        self.errors: dict[str, str] = {}  # transient: 503 model-unavailable, retried at each poll
        self.not_servable: dict[str, str] = {}  # permanent: 422 model-not-servable, not retried
        self._failed: set[tuple[str, int]] = set()  # versions not servable (never loaded again)
        self._records: dict[tuple[str, int], Any] = {}  # the registry rows chosen, checked against their folders
        self._logged: dict[tuple[str, int], str] = {}  # the last failure logged per version (no log per poll)
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="meddx-loader")
        self._refresh_lock = asyncio.Lock()
        self.ready = False

    # ------------------------------------------------------------------ lookup
    def get(self, name: str) -> ServedModel:
        served = self.models.get(name)
        if served is not None:
            return served
        if name in self.not_servable:  # retrying cannot help: a 4xx, unlike a failed load
            raise Problem(422, "model-not-servable", f"model {name!r} is registered but this server cannot run it: "
                          f"{self.not_servable[name]}")
        if name in self.errors:
            raise Problem(503, "model-unavailable", f"model {name!r} could not be loaded: {self.errors[name]}; it is "
                          f"tried again every {self.settings.poll_seconds:g} s",
                          headers={"Retry-After": str(max(1, int(round(self.settings.poll_seconds))))})
        raise Problem(404, "unknown-model", f"no served model {name!r}; served: {', '.join(sorted(self.models)) or '(none)'}"
                      " (GET /v1/models)")

    # ------------------------------------------------------------------ loading
    def _targets(self) -> dict[str, tuple[int, str, str]]:
        """name -> (version, stage, path): production when promoted, else the latest version."""
        from meddx.registry.store import list_bundles, stages

        promoted = {name: v for (name, stage), v in stages().items() if stage == "production"}
        wanted = set(self.settings.models)
        by_name: dict[str, list[Any]] = {}
        for record in list_bundles():  # newest version first per name
            if not wanted or record.name in wanted:
                by_name.setdefault(record.name, []).append(record)
        out: dict[str, tuple[int, str, str]] = {}
        for name, records in by_name.items():
            chosen = next((r for r in records if r.version == promoted.get(name)), None)
            stage = "production" if chosen is not None else "latest"
            chosen = chosen or records[0]
            out[name] = (chosen.version, stage, chosen.path)
            self._records[name, chosen.version] = chosen
        missing = wanted - set(out)
        for name in missing:
            self.errors[name] = "not in the registry (meddx registry list)"
        return out

    async def refresh(self) -> list[str]:
        """Load and swap in every changed target; returns ``name:version`` of what was swapped in."""
        async with self._refresh_lock:
            loop = asyncio.get_running_loop()
            targets = await loop.run_in_executor(self._loader, self._targets)
            swapped = []
            for name, (version, stage, path) in sorted(targets.items()):
                current = self.models.get(name)
                if current is not None and current.version == version:
                    current.stage = current.summary["stage"] = stage
                    continue
                if (name, version) in self._failed:
                    continue
                try:
                    served = await loop.run_in_executor(self._loader, self._load, name, version, stage, path)
                except Exception as exc:  # keep serving the old version; say why in /v1/models
                    self._note_failure(name, version, exc)
                    if current is not None:  # its answers must not claim a stage the registry gave v{version}
                        current.stage = current.summary["stage"] = f"kept: {stage} v{version} failed to load"
                    continue
                self.models[name] = served  # the atomic swap: one reference assignment
                self.errors.pop(name, None)
                self.not_servable.pop(name, None)
                swapped.append(f"{name}:{version}")
                log.info("serving %s v%s (%s)", name, version, stage)
                if current is not None:
                    loop.create_task(self._retire(current))
            for name in set(self.models) - set(targets):  # unregistered: stop serving it
                loop.create_task(self._retire(self.models.pop(name)))
            self.ready = True
            return swapped

    def _note_failure(self, name: str, version: int, exc: Exception) -> None:
        """Record why ``name`` v``version`` is not served: not servable (permanent, not retried), or a
        failed load (an I/O error, a bundle still being written: retried at the next poll, logged
        once per distinct reason)."""
        reason = f"v{version}: {exc}"
        if isinstance(exc, NotServable):
            self._failed.add((name, version))
            self.not_servable[name] = reason
            self.errors.pop(name, None)
        else:
            self.errors[name] = reason
            self.not_servable.pop(name, None)
        if self._logged.get((name, version)) != reason:
            self._logged[(name, version)] = reason
            log.error("model %s v%s not loaded: %s", name, version, exc)

    def _load(self, name: str, version: int, stage: str, path: str) -> ServedModel:
        from meddx.bundle.bundle import load_bundle
        from meddx.registry.store import StaleEntryError

        if not Path(path).is_dir():  # deleted behind the registry's back: say how to drop the row
            raise StaleEntryError.of(SimpleNamespace(name=name, version=version, path=path))
        if (name, version) in self._records:  # a folder that now holds another bundle is not served as this one
            from meddx.registry.same_bundle import check_same_bundle

            check_same_bundle(self._records[name, version])
        predictor = load_bundle(path)
        kind = modality(predictor.config)
        if predictor.task == "segmentation":
            from meddx.serving.segment import served_segmenter

            return served_segmenter(self, name, version, stage, path, predictor)
        if kind == "series" and not hasattr(predictor, "predict_records"):
            raise NotServable("this series bundle's predictor has no predict_records, which answering a JSON "
                              "record needs")
        from meddx.explain.api import methods_for

        methods = list(methods_for(predictor))
        shared = self.settings.batch_forward
        batcher = MicroBatcher(lambda inputs: predict_batch(predictor, inputs, shared), self.executor,
                               max_batch=self.settings.max_batch, max_wait_ms=self.settings.max_wait_ms,
                               name=f"{name}:{version}")
        card_md = (Path(path) / "model_card.md").read_text(encoding="utf-8", errors="replace")
        served = ServedModel(name=name, version=version, stage=stage, path=path, predictor=predictor,
                             batcher=batcher, summary=model_summary(name, version, stage, predictor.config,
                                                                    predictor.metrics, methods),
                             card=card_summary(predictor.config, predictor.metrics, card_md))
        if self.settings.warmup:
            self._warm_up(served)
        return served

    def _warm_up(self, served: ServedModel) -> None:
        """First forward passes (allocator, kernels, lazy imports) happen before the first request."""
        if served.segmentation:
            from meddx.serving.segment import warm_up

            warm_up(served.predictor)
            return
        if served.modality == "text":
            predict_batch(served.predictor, ["warm-up"] * 2, self.settings.batch_forward)
            return
        if served.modality != "image":
            return
        pre = served.predictor.config["preprocessing"]
        blank = np.zeros((int(pre["channels"]), *pre["spatial_size"]), dtype=np.uint8)
        x = preprocess(served, blank)
        sizes = {1, min(4, self.settings.max_batch), self.settings.max_batch} if self.settings.batch_forward else {1}
        for n in sorted(sizes):
            predict_batch(served.predictor, [x] * n, self.settings.batch_forward)
        if "gradcam" in served.summary["explain_methods"]:
            from meddx.serving.explaining import explainer

            explainer(served)

    async def _retire(self, old: ServedModel) -> None:
        """Close a replaced model's batcher after its in-flight requests finished (at most 60 s)."""
        deadline = time.monotonic() + 60
        while old.inflight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await old.batcher.close()

    async def poll_forever(self) -> None:
        """Notice promotions, rollbacks and new registrations made by other processes."""
        while True:
            await asyncio.sleep(self.settings.poll_seconds)
            try:
                await self.refresh()
            except Exception as exc:  # a locked or missing registry must not stop the server
                log.warning("registry poll failed: %s", type(exc).__name__)

    async def close(self) -> None:
        for served in list(self.models.values()):
            await served.batcher.close()
        self._loader.shutdown(wait=False, cancel_futures=True)


def readable(served: ServedModel, image: np.ndarray, *, fourth_axis: bool = False) -> np.ndarray:
    """A decoded upload as the bundle reads it, by ``meddx predict``'s rule
    (``Predictor.readable_image``: a one-slice volume is a 2D image, channels convert only as grey
    and colour do, a 3D model refuses a single slice); 422 otherwise."""
    from meddx.bundle.predictor import single_slice_as_2d
    from meddx.core.errors import DataError

    try:
        return served.predictor.readable_image(image, "the uploaded image", fourth_axis=fourth_axis)
    except DataError as exc:
        dims = len(served.predictor.preprocessor.spatial_size)
        kind = "wrong-dimensions" if single_slice_as_2d(image, dims).ndim - 1 != dims else "unreadable-image"
        raise Problem(422, kind, str(exc)) from None


def preprocess(served: ServedModel, image: np.ndarray) -> np.ndarray:
    """The bundle's preprocessing of one image already passed through :func:`readable` (done per
    request, in parallel threads)."""
    return served.predictor.preprocessor.transform(image)
