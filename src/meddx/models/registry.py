"""The model registry: every architecture is a small factory registered by name.

``create_model("resnet18", in_channels=3, num_classes=9)`` is the only way the rest of meddx
builds a network, so a model is chosen by a name in a config file and rebuilt from a bundle's
``config.json`` without code. The family modules (``vision``, ``segmentation``, ...) register
their factories when imported; they are imported on the first call here, never at
``import meddx.models``, so ``import meddx`` stays fast and does not import torch or MONAI.

Metadata registered with each name (``model_info``):

- ``dims``: tuple of the spatial dimensions the factory supports, e.g. ``(2, 3)``;
- ``description``: one line for ``meddx models``;
- ``input``: the key of the Sample the model reads (``"image"``, ``"text"``, ...);
- ``output``: ``"logits"`` for ``(B, num_classes)`` or ``"segmentation"`` for
  ``(B, num_classes, *spatial)``.

The contract test (``tests/unit/models/test_model_contract.py``) reads ``input``/``output``
to know how to exercise a model, so a newly registered model is tested at once.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from meddx.core.registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

MODELS: Registry[Any] = Registry("model")

# First-stage channels of the meddx ResNets: the paper's 64, and the narrower 32 that the 3D
# default and the budget planner use. Here, in the light module, so that planners can read them
# without importing MONAI.
RESNET_WIDTH = 64
RESNET_NARROW_WIDTH = 32
# The 3D classifier ``meddx train`` builds when no model is named (``training.plan.make_plan``): the
# registered resnet18-3d with a strided 3x3 stem and 32 first-stage channels (8.3M parameters at 28^3,
# ~7 ms per training sample on CPU), not its own defaults (stem auto, i.e. small up to 64 px, and width
# 64: the MedMNIST3D baseline, 33.1M parameters, ~0.4 s per sample), which ``--model resnet18-3d`` builds.
# ``meddx models`` and the plan's ``reasons.model`` say so.
DEFAULT_3D_MODEL = "resnet18-3d"
DEFAULT_3D_ARGS: dict[str, Any] = {"stem": "strided", "width": RESNET_NARROW_WIDTH}
# ``stem="auto"`` (vision.py): the small-image stem (3x3/1, no pool) for images whose smallest side is at
# most this (MedMNIST's 28 and 64 px), the standard 7x7/2 + max-pool above. The image models that take
# a ``stem``, here so that the budget planner can keep a shrunken input's stem without importing MONAI.
SMALL_STEM_MAX = 64
STEM_MODELS = ("densenet121", "resnet18", "resnet18-3d", "resnet50", "resnet50-3d")


def auto_stem(sizes: tuple[int, ...] | list[int]) -> str:
    """The stem ``stem="auto"`` resolves to for an input of ``sizes``: ``small`` or ``standard``."""
    return "small" if min(sizes) <= SMALL_STEM_MAX else "standard"


def with_resolved_stem(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` of model ``name`` with ``stem="auto"`` (given, or the factory default) replaced by the stem
    it builds for ``args["image_size"]`` (the factories' 28 px when absent): what a bundle records, so
    that loading it rebuilds the network it trained even if the ``auto`` rule changes. Other models,
    a stem already chosen, or a size the factory would refuse (it names the error): ``args`` unchanged."""
    if name not in STEM_MODELS or args.get("stem", "auto") != "auto":
        return dict(args)
    size = args.get("image_size", 28)
    sizes = list(size) if isinstance(size, (list, tuple)) else [size]
    if not sizes or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        return dict(args)
    return {**args, "stem": auto_stem(sizes)}


# The table/series models fitted by scikit-learn (no epochs), here for readers of run folders that
# must not import torch (``meddx registry run``); ``models.tabular`` registers them.
SKLEARN_FITTED = ("logreg", "gbm")

# One module per family under meddx.models (DESIGN.md). A family that does not exist yet is
# skipped (checked with find_spec, so a real ImportError inside an existing family still
# surfaces instead of silently hiding its models).
_FAMILIES: tuple[str, ...] = ("vision", "segmentation", "text", "text_cnn", "timeseries", "tabular")
_loaded = False


def _load_families() -> None:
    """Import every existing family module once so that its ``@MODELS.register`` calls run."""
    global _loaded
    if _loaded:
        return
    for family in _FAMILIES:
        module = f"meddx.models.{family}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _loaded = True


# The families that register the models of each input kind (meddx.models.catalog's first field). A
# bundle rebuilding its network imports only those: a text bundle's predict imported every family,
# MONAI's included (about 6 s of a 10 s cold `meddx predict` on a busy machine). The catalog test
# checks the catalog against the registry, and test_model_families that each name's factory lives here.
FAMILIES_BY_INPUT: dict[str, tuple[str, ...]] = {"text": ("text", "text_cnn"), "series": ("timeseries",),
                                                 "features": ("tabular",), "image": ("vision", "segmentation")}


def _load_families_of(name: str) -> None:
    """Import the family modules that register ``name`` (by the catalog's input kind); all of them
    for a name the catalog does not know, so an unknown name lists every registered one."""
    from meddx.models.catalog import CATALOG

    families = FAMILIES_BY_INPUT.get(CATALOG[name][0]) if name in CATALOG else None
    if families is None or _loaded:
        _load_families()
        return
    for family in families:
        importlib.import_module(f"meddx.models.{family}")


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the registered model ``name``.

    ``None`` keyword values are dropped (the factory default applies). An unknown name, or an
    argument the factory does not take, raises :class:`meddx.core.errors.ModelError` listing
    close matches / the valid arguments.
    """
    _load_families_of(name)
    return MODELS.create(name, **kwargs)


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching the shell-style ``pattern`` (e.g. ``"resnet*"``), sorted."""
    _load_families()
    return MODELS.names(pattern)


# What a model of each input kind reads, in words for errors ("model 'logreg' reads table features").
INPUT_WORDS = {"image": "images", "text": "documents", "features": "table features", "series": "time series"}


def reads(kind: str) -> str:
    """What a model whose ``input`` is ``kind`` reads, in words (``"features"`` -> ``"table features"``)."""
    return INPUT_WORDS.get(kind, kind)


def model_info(name: str, input: str | None = None, output: str | None = None) -> dict[str, Any]:
    """Metadata of ``name``: at least ``dims`` (supported spatial dims) and ``description``.

    With ``input`` (``"text"``, ``"features"``, ``"image"``, ``"series"``) and optionally ``output``,
    an unknown name is answered with close matches among, and a list of, the models that match
    only: a typo for a text source lists the text models, not the whole zoo. A registered model of
    another kind is returned as usual; the caller says what it reads.
    """
    _load_families()
    if input is not None or output is not None:
        where = {k: v for k, v in (("input", input), ("output", output)) if v is not None}
        what = _KIND_WORDS.get((input, output)) or _KIND_WORDS.get((input, None)) or "model"
        MODELS.check_name(name, MODELS.names_where(**where), what)
    return MODELS.info(name)


# How an error names the models of one (input, output).
_KIND_WORDS = {("text", None): "text model", ("features", None): "table model", ("series", None): "time-series model",
               ("image", None): "image model", ("image", "logits"): "image classifier",
               ("image", "segmentation"): "segmentation model"}
