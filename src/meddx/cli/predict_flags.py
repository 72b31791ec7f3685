"""Which kinds of bundle each ``meddx predict`` option acts on, and the refusal of those that would not.

``meddx predict TABLE_BUNDLE rows.csv --pixel-size 0.5 --text-column note -o out/`` printed the usual
table and said nothing about the three options it never read; an image classifier took
``--attribution occlusion`` and ``--no-overlays`` the same way. An option the user gave (on the
command line or from the environment, never a default: ``click``'s parameter source) that the
loaded bundle's kind never reads is refused on one line, right after the bundle is loaded and
before any input is read, naming each option, the kinds of bundle it applies to and this bundle's
kind, worded as ``training.config_kinds`` refuses a training option the source never reads.

Kinds: 2D and 3D image classifiers, segmentation (2D or 3D), text, series and table bundles. The
table was checked against the code that reads each option (``cli.train.predict``,
``cli.predict_text``, ``predict_series``, ``predict_tabular``, ``bundle.seg_predictor``). An option
that only acts beside another (``--attribution`` picks the method of ``--explain``'s attributions
for text and table bundles; series bundles rank contributors with it on every run) is refused
without it (:data:`NEEDS`).
"""

from __future__ import annotations

from typing import Any, Iterable

from meddx.core.errors import ConfigError

IMAGE_2D, IMAGE_3D, SEGMENTATION, TEXT, SERIES, TABLE = "image2d", "image3d", "segmentation", "text", "series", "table"
KIND_WORDS = {IMAGE_2D: "2D image classifier", IMAGE_3D: "3D image classifier", SEGMENTATION: "segmentation",
              TEXT: "text", SERIES: "series", TABLE: "table"}  # in this order in a message
READS = {IMAGE_2D: "images", IMAGE_3D: "volumes (DICOM series, NIfTI)", SEGMENTATION: "images or volumes",
         TEXT: "documents", SERIES: "ICU records (series files)", TABLE: "table rows (CSV files)"}
IMAGES = frozenset({IMAGE_2D, IMAGE_3D})

# option (the predict function's parameter name) -> the kinds of bundle that read it; an option not
# listed (--json) acts on every kind.
APPLIES_TO: dict[str, frozenset[str]] = {
    "text": frozenset({TEXT}),
    "text_column": frozenset({TEXT}),
    "encoding": frozenset({TEXT}),
    "explain": frozenset({TEXT, SERIES, TABLE}),
    "attribution": frozenset({TEXT, SERIES, TABLE}),
    "output": frozenset({SEGMENTATION}),
    "pixel_size": frozenset({SEGMENTATION}),
    "overlays": frozenset({SEGMENTATION}),
    "overwrite": frozenset({TEXT, SERIES, TABLE, SEGMENTATION}),  # the files of --explain, or --output's masks
    "skip_bad": frozenset({*IMAGES, SEGMENTATION, TABLE}),  # text and series read their files together
}

# option -> (kinds where it acts only beside the other option, that option)
NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "attribution": (frozenset({TEXT, TABLE}), "explain"),
}

FLAGS = {"text": "--text", "text_column": "--text-column", "encoding": "--encoding", "explain": "--explain",
         "attribution": "--attribution", "output": "--output", "pixel_size": "--pixel-size",
         "overlays": "--overlays", "overwrite": "--overwrite", "skip_bad": "--skip-bad", "as_json": "--json"}


def bundle_kind(predictor: Any) -> str:
    """The kind of a loaded bundle (:data:`KIND_WORDS`), from its config's modality, task and dimensions."""
    config = getattr(predictor, "config", None) or {}
    modality = config.get("modality")
    if modality in ("text", "series"):
        return str(modality)
    if modality == "tabular":
        return TABLE
    if getattr(predictor, "task", None) == "segmentation" or config.get("task") == "segmentation":
        return SEGMENTATION
    return IMAGE_3D if int(config.get("spatial_dims") or 2) == 3 else IMAGE_2D


def check_predict_options(given: dict[str, Any], predictor: Any, bundle: str) -> None:
    """Refuse, on one line, the ``given`` options (parameter name -> value; those the user gave, not
    defaults: ``cli.train.flags_given``) the bundle's kind never reads, and those that act only
    beside another option the user left out (:data:`NEEDS`). ``bundle``: as the user named it."""
    kind = bundle_kind(predictor)
    wrong = [name for name in FLAGS if name in given and kind not in APPLIES_TO.get(name, frozenset({kind}))]
    if wrong:
        raise ConfigError(refusal(wrong, given, kind, getattr(predictor, "name", bundle), bundle))
    for name, (kinds, other) in NEEDS.items():
        if name in given and kind in kinds and given.get(other) is None:
            raise ConfigError(f"{_flag(name, given)}: chooses the method of {FLAGS[other]} DIR's attributions for "
                              f"{KIND_WORDS[kind]} bundles; give {FLAGS[other]} DIR, or leave it out")


def refusal(wrong: list[str], given: dict[str, Any], kind: str, name: str, bundle: str) -> str:
    """``--pixel-size: applies to segmentation bundles; table bundle 'rows' reads table rows (CSV
    files) and does not read this option: leave it out``, with the ``meddx explain`` command when an
    image classifier was asked for explanations (``--explain``, ``--attribution``, ``--overwrite``)."""
    parts = [f"{_flag(n, given)}: applies to {_listed([KIND_WORDS[k] for k in KIND_WORDS if k in APPLIES_TO[n]])} "
             "bundles" for n in wrong]
    not_documents = ", not documents," if "text" in wrong else ""
    one = len(wrong) == 1
    line = (f"{'; '.join(parts)}; {KIND_WORDS[kind]} bundle {name!r} reads {READS[kind]}{not_documents} and does "
            f"not read {'this option' if one else 'these options'}: leave {'it' if one else 'them'} out")
    if kind in IMAGES and {"explain", "attribution", "overwrite"} & set(wrong):
        line += f" (image explanations: `meddx explain {bundle} FILE... --out DIR`, Grad-CAM overlays)"
    return line


def _flag(name: str, given: dict[str, Any]) -> str:
    """The option as the user spelled it: ``--no-overlays`` for ``overlays=False``."""
    return "--no-overlays" if name == "overlays" and given.get(name) is False else FLAGS[name]


def _listed(words: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"

