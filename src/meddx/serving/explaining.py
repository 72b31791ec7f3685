"""Explanations of served predictions, on a private copy of the network per model (``explainer``).

Grad-CAM registers hooks and flips ``requires_grad`` flags, which must not race with the batched
forward passes of ``serving.models``; each explanation also holds the model's ``explain_lock``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np

from meddx.serving.models import ServedModel


def explainer(served: ServedModel) -> Any:
    """The model's private predictor copy for explanations (made once), with its CAM layer."""
    with served.explain_lock:
        if served.explainer is None:
            twin = copy.deepcopy(served.predictor)
            from meddx.serving.cancel import stop_when_abandoned

            stop_when_abandoned(getattr(twin, "net", None))  # an explanation nobody waits for stops at its next pass
            if served.modality == "image" and "gradcam" in served.summary["explain_methods"]:
                from meddx.explain.image import target_layer

                pre = twin.config["preprocessing"]
                served.cam_layer = target_layer(twin.net, _zeros(pre))
                explain_image(served, twin, np.zeros((int(pre["channels"]), *pre["spatial_size"]), np.uint8),
                              "gradcam", lock=False)
            served.explainer = twin
    return served.explainer


def explain_text(served: ServedModel, twin: Any, text: str, method: str) -> dict[str, Any]:
    """Token attributions for one note: character spans and scores (the client has the text)."""
    from meddx.explain.api import explain

    start = time.perf_counter()
    with served.explain_lock:
        e = explain(twin, [text], method)[0]
    spans = [{"start": int(s), "end": int(t), "score": round(float(v), 6)}
             for (_, s, t), v in zip(e.tokens or [], e.attribution)]
    return {"method": method, "target": e.target, "probability": round(e.probability, 6),
            "milliseconds": round((time.perf_counter() - start) * 1000, 2), "tokens": spans}


def explain_series(served: ServedModel, twin: Any, record: Any, method: str) -> dict[str, Any]:
    """The (variable, hour) cells behind one stay's risk of the outcome class: the largest
    contributions with the values observed there (the client sent them)."""
    from meddx.explain.api import explain

    start = time.perf_counter()
    positive = twin.label_names[-1]
    with served.explain_lock:
        e = explain(twin, [record], method, target=positive)[0]
    return {"method": method, "target": e.target, "probability": round(e.probability, 6),
            "milliseconds": round((time.perf_counter() - start) * 1000, 2), "top_contributors": e.extra["top"],
            "variables": list(twin.variables), "hours": int(e.attribution.shape[1])}


def explain_row(served: ServedModel, twin: Any, row: Any, method: str) -> dict[str, Any]:
    """The columns behind one table row's decision, largest contribution first, with their values."""
    from meddx.explain.api import explain

    start = time.perf_counter()
    with served.explain_lock:
        e = explain(twin, [row], method)[0]
    return {"method": method, "target": e.target, "probability": round(e.probability, 6),
            "milliseconds": round((time.perf_counter() - start) * 1000, 2), "top_contributors": e.extra["top"]}


def _zeros(pre: dict[str, Any]) -> Any:
    import torch

    return torch.zeros(1, int(pre["channels"]), *pre["spatial_size"])


def explain_image(served: ServedModel, twin: Any, image: np.ndarray, method: str, lock: bool = True,
                  spacing: tuple[float, ...] | None = None) -> dict[str, Any]:
    """Attribution for one image with ``method`` and its overlay PNG (base64), on the private copy;
    a volume's slices drawn at the upload's voxel ``spacing`` (mm, z y x; None: square voxels)."""
    import base64
    import tempfile
    import uuid

    from meddx.explain.api import explain
    from meddx.explain.image import overlay_png, volume_overlay_png

    options = {"layer": served.cam_layer} if method in ("gradcam", "gradcam++") and served.cam_layer else {}
    start = time.perf_counter()
    if lock:
        with served.explain_lock:
            e = explain(twin, [image], method, **options)[0]
    else:
        e = explain(twin, [image], method, **options)[0]
    # the overlay writers take a path: a uniquely named file, removed at once (no temporary folder:
    # its rmdir alone cost ~2 ms per request on this machine's /tmp)
    path = Path(tempfile.gettempdir()) / f"meddx-overlay-{uuid.uuid4().hex}.png"
    title = f"{method}: {e.target} ({e.probability:.2f})"
    try:
        if image.ndim == 4:
            png = volume_overlay_png(image, e.attribution, path, title=title, spacing=spacing).read_bytes()
        else:
            scale = int(np.clip(256 // max(image.shape[1:]), 1, 8))
            png = overlay_png(image, e.attribution, path, title=title, scale=scale, spacing=spacing).read_bytes()
    finally:
        path.unlink(missing_ok=True)
    return {"method": method, "target": e.target, "probability": round(e.probability, 6),
            "milliseconds": round((time.perf_counter() - start) * 1000, 2),
            "overlay_png_base64": base64.b64encode(png).decode("ascii")}
