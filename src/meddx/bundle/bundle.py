"""A trained model as a self-describing folder; ``load_bundle`` needs no training data.

Layout: ``weights.safetensors``, ``config.json`` (model name and args, fitted preprocessing,
label names, task, decision threshold; for image bundles the ``orientation`` volumes were read
in, ``"RAS"``, absent in bundles written before, which read the files' stored voxel order),
``metrics.json``, ``model_card.md`` and ``meddx_version``; a text bundle adds ``tokenizer.json`` and its TF-IDF baseline's arrays. Nothing is pickled, so loading a bundle cannot run code.
``config.json``'s ``format`` is ``meddx-bundle/1``, or ``/2`` when it needs it (``integrity.format_for``).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meddx.bundle.folder_hint import not_a_bundle_hint
from meddx.bundle.integrity import READABLE, blamed as _blamed, format_for, format_message as _format_message
from meddx.bundle.integrity import check_data_checksum as _check_data_checksum, weights_bytes as _weights_bytes
from meddx.bundle.pickles import refuse_pickles as _refuse_pickles
from meddx.core.errors import BundleError

if TYPE_CHECKING:
    from meddx.bundle.predictor import Predictor

REQUIRED_FILES = ("weights.safetensors", "config.json", "metrics.json", "model_card.md", "meddx_version")


def check_destination_free(path: str | Path, flag: str = "--output") -> None:
    """Refuse a bundle destination that exists, saying what is there. Training calls it before
    the first epoch too, so a taken ``--output`` does not cost a whole run."""
    from meddx.core.files import check_writable_folder

    path = Path(path)
    if not path.exists():
        # where the bundle folder would be made: found only when the bundle was saved, a read-only place
        # cost the whole training run and named a temporary folder (``ro/.b-2959116242a9: permission denied``)
        check_writable_folder(path, flag, BundleError)
        return
    what = ("a bundle" if (path / "config.json").is_file() else "a file" if path.is_file()
            else "a folder that is not a bundle")
    raise BundleError(f"{path}: {what} already exists there; choose another {flag} or remove it "
                      "(a bundle is never written over)")


def save_bundle(
    path: str | Path,
    *,
    net: Any,
    config: dict[str, Any],
    metrics: dict[str, Any],
    model_card: str,
    overwrite: bool = False,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a bundle folder atomically: built in a temporary sibling, then renamed into place.

    An existing bundle is never half-overwritten: without ``overwrite`` it is an error, with
    it the old folder is replaced only once the new one is complete. ``extra_files`` (name ->
    bytes) are written beside the standard files, e.g. a text bundle's ``tokenizer.json``.
    """
    from meddx import __version__

    path = Path(path)
    if not overwrite:
        check_destination_free(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()  # as a plain mkdir makes it: mkdtemp's 0o700 kept a team's shared folder from reading the bundle
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        (tmp / "weights.safetensors").write_bytes(_weights_bytes(state))
        # the oldest format that describes it (a list temperature: 2), not a format a loaded config carried
        _write_json(tmp / "config.json", {"format": format_for(config),
                                          **{k: v for k, v in config.items() if k != "format"}})
        _write_json(tmp / "metrics.json", metrics)
        (tmp / "model_card.md").write_text(model_card)
        (tmp / "meddx_version").write_text(__version__ + "\n")
        for fname, data in (extra_files or {}).items():
            if Path(fname).name != fname or fname in REQUIRED_FILES:
                raise BundleError(f"extra bundle file {fname!r}: must be a plain file name, not a standard file")
            (tmp / fname).write_bytes(data)
        if overwrite and path.exists():  # without overwrite, a folder that appeared meanwhile is kept
            old = path.with_name(f".{path.name}-old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.replace(tmp, path)
            except OSError:  # another process wrote a bundle there since the check (rename onto a full folder)
                if not path.exists():
                    raise
                check_destination_free(path)
                raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_bundle_config(path: str | Path, registered: Any = None) -> dict[str, Any]:
    """Check the bundle folder is complete and return its ``config.json``. ``registered``: the registry
    row the folder was found through (``registry.resolve``), compared with the config as read here
    (``registry.same_bundle``), so a name's ``config.json`` is read once."""
    path = Path(path)
    if not path.is_dir():
        found = "a file" if path.is_file() else "no such directory"  # `predict x.png y.png`: the image came first
        raise BundleError(f"{path}: not a bundle folder ({found}); expected a bundle folder or NAME[:VERSION] "
                          "(see `meddx registry list`)")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise BundleError(not_a_bundle_hint(path) or  # a run folder or bundles/NAME: say what to pass instead
                          f"{path}: incomplete bundle, missing {', '.join(missing)}; "
                          f"a bundle holds {', '.join(REQUIRED_FILES)}")
    _refuse_pickles(path)
    config = _read_json(path / "config.json")
    if not isinstance(config, dict):
        raise BundleError(f"{path / 'config.json'}: expected a JSON object, found a JSON {type(config).__name__}")
    if registered is not None:  # the folder may hold another bundle since it was registered
        from meddx.registry.same_bundle import check_same_bundle

        check_same_bundle(registered, config)
    if config.get("format") not in READABLE:
        raise BundleError(_format_message(path, config.get("format")))
    for key in ("task", "label_names", "model", "preprocessing"):
        if key not in config:
            raise BundleError(f"{path / 'config.json'}: missing field {key!r}")
    _check_fields(path / "config.json", config)
    from meddx.bundle.config_keys import check_known_fields
    from meddx.bundle.config_values import check_values

    check_known_fields(path, config)  # a misspelt field is refused, not silently ignored
    check_values(path / "config.json", config)  # values that would change every prediction silently
    return config


TASKS = ("binary", "multiclass", "multilabel", "segmentation")


def _check_class_weighting(config: dict[str, Any], k: int, bad: Any) -> None:
    """A multi-class bundle whose class weights were removed from its probabilities records
    ``calibration.bias`` (−log w_k) and ``decision.class_weights`` (w_k): k finite numbers each,
    the weights positive. A multi-label bundle whose ``pos_weight`` shifts were removed records
    ``calibration.bias`` (−log w_j, or since stop 45 fitted between −log w_j and −log w_j / T_j), k finite
    numbers, and no decision weights (its per-label
    thresholds were chosen on the corrected probabilities). Other tasks: no weights (a binary bias,
    one number, is checked after)."""
    multi, lists = config["task"] == "multiclass", []
    for section, key in (("calibration", "bias"), ("decision", "class_weights")):
        value = config.get(section)
        found = value.get(key) if isinstance(value, dict) else None
        lists.append(isinstance(found, list))
        labelled = key == "bias" and config["task"] == "multilabel" and isinstance(found, list)
        if found is None or (key == "bias" and not (multi or labelled)) or (
                key == "bias" and type(found) in (int, float) and found == 0):
            continue  # a binary bias is checked below; 0 was allowed before multi-class biases existed
        if not (multi or labelled):
            raise bad(f"{section}.{key}", "absent (decision weights are for multi-class models only)", found)
        ok = isinstance(found, list) and len(found) == k and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and -1e6 < v < 1e6 and (v > 0 or key == "bias")
            for v in found)
        if not ok:
            raise bad(f"{section}.{key}", f"{k} finite{' positive' if key != 'bias' else ''} numbers, one per "
                      + ("label (a positive-weighted multi-label model" if labelled else "class (a class-weighted "
                         "multi-class model") + "; a single log-odds bias is for binary models only)", found)
    if multi and lists[0] != lists[1]:  # weights removed but argmax decisions, or weighted twice
        raise bad("decision.class_weights", "present exactly when calibration.bias holds one number per class",
                  config["decision"].get("class_weights") if isinstance(config.get("decision"), dict) else None)


def _check_label_temperatures(config: dict[str, Any], k: int, bad: Any) -> bool:
    """Whether ``calibration.temperature`` is a list: then the task must be multi-label and the list hold
    ``k`` finite numbers > 0, one per label (``evaluation.label_temperature``); one number is checked after,
    as before. ``calibration.not_fitted``, when present, must name labels (strings from ``label_names``) beside
    either: reports and ``GET /v1/models`` print it, and a non-string entry crashed the check itself."""
    calibration = config.get("calibration")
    left = calibration.get("not_fitted") if isinstance(calibration, dict) else None  # names, whatever T holds
    if left is not None and (not isinstance(left, list)
                             or not all(isinstance(n, str) and n in config["label_names"] for n in left)):
        raise bad("calibration.not_fitted", "a list of names from label_names (the labels left at T = 1)", left)
    found = calibration.get("temperature") if isinstance(calibration, dict) else None
    if not isinstance(found, list):
        return False
    if config["task"] != "multilabel":
        raise bad("calibration.temperature", f"one number (one temperature per label is for multi-label models; "
                  f"this one is {config['task']})", found)
    if len(found) != k or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1e6
                                  for v in found):
        raise bad("calibration.temperature", f"one number, or {k} finite numbers > 0, one per label in "
                  "label_names", found)
    return True


def _check_fields(where: Path, config: dict[str, Any]) -> None:
    """Refuse a hand-edited or damaged config whose fields would crash loading or silently
    mislabel predictions (a label list that does not match the network's outputs)."""
    def bad(field: str, expected: str, found: Any) -> BundleError:
        return BundleError(f"{where}: field {field!r} must be {expected}; found {found!r}")

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    if config["task"] not in TASKS:
        raise bad("task", f"one of {', '.join(TASKS)}", config["task"])
    labels = config["label_names"]
    if (not isinstance(labels, list) or not labels or not all(isinstance(n, str) for n in labels)
            or len(set(labels)) != len(labels)):
        raise bad("label_names", "a non-empty list of distinct strings", labels)
    if config["task"] == "binary" and len(labels) != 2:
        raise bad("label_names", "two names for a binary task", labels)
    model = config["model"]
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        raise bad("model", "an object with the model's 'name', 'args' and 'num_classes'", model)
    if not isinstance(model.get("args", {}), dict):
        raise bad("model.args", "an object (argument name -> value)", model.get("args"))
    if model.get("num_classes") != len(labels) or isinstance(model.get("num_classes"), bool):
        raise bad("model.num_classes", f"{len(labels)} (one output per name in label_names)", model.get("num_classes"))
    ensemble = model.get("ensemble", 1)
    if ensemble is not None and (not isinstance(ensemble, int) or isinstance(ensemble, bool) or ensemble < 1):
        raise bad("model.ensemble", "a positive whole number of members", ensemble)
    if not isinstance(config["preprocessing"], dict):
        raise bad("preprocessing", "an object", config["preprocessing"])
    _check_class_weighting(config, len(labels), bad)  # multi-class/-label: bias (and decision weights) per class
    calibration = config.get("calibration")
    listed = config["task"] == "multiclass" or (  # one per class or label, checked above
        config["task"] == "multilabel" and isinstance(calibration, dict) and isinstance(calibration.get("bias"), list))
    binary_bias = ("bias",) if not listed else ()
    per_label = _check_label_temperatures(config, len(labels), bad)  # multi-label: one T per label
    for section, keys in (("decision", ("threshold",)),
                          ("calibration", (*(() if per_label else ("temperature",)), *binary_bias))):
        value = config.get(section)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise bad(section, "an object", value)
        for key in keys:
            if value.get(key) is not None and not number(value[key]):
                raise bad(f"{section}.{key}", "a number", value[key])
    n_val = (config.get("calibration") or {}).get("n_val")  # absent in bundles written before it
    if n_val is not None and (not isinstance(n_val, int) or isinstance(n_val, bool) or n_val < 1):
        raise bad("calibration.n_val", "the number of validation cases calibration was fitted on (a whole number)", n_val)
    bias = (config.get("calibration") or {}).get("bias") if binary_bias else None
    if bias is not None and not -1e6 < bias < 1e6:  # a number by now; NaN fails the comparison
        raise bad("calibration.bias", "a finite number", bias)
    if bias and config["task"] != "binary":
        raise bad("calibration.bias", "absent or 0 (a log-odds bias is fitted for binary models only)",
                  config["calibration"]["bias"])
    per_class = (config.get("decision") or {}).get("class_thresholds")
    if per_class is not None and (not isinstance(per_class, dict) or set(per_class) != set(labels)
                                  or not all(number(v) and -1e6 < v < 1e6 for v in per_class.values())):
        raise bad("decision.class_thresholds", "an object with one finite threshold for each name in label_names",
                  per_class)
    if not isinstance(config.get("tta", []), list):
        raise bad("tta", "a list", config.get("tta"))
    if config.get("dicom_voi") is not None and not isinstance(config["dicom_voi"], bool):
        raise bad("dicom_voi", "true or false: whether X-ray DICOM is read through its VOI window (absent: not, "
                  "as bundles written before it)", config["dicom_voi"])
    from meddx.data.dicom_voi import PRESENTATION_READING as LEVEL

    shown = config.get("dicom_presentation")
    if shown is not None and not isinstance(shown, bool) and not (isinstance(shown, int) and 0 <= shown <= LEVEL):
        raise bad("dicom_presentation", f"true, false or a level 0 to {LEVEL}: the presentation steps its training "
                  "applied (true: X-ray PresentationLUTShape INVERSE and enhanced frame VOIs, 2: also the "
                  "PresentationLUTSequence, 3: also a 16-bit TIFF's MaxSampleValue/BitsPerSample; absent: none, as "
                  "bundles written before them; higher: a newer meddx)", shown)
    from meddx.data.orientation import valid_orientation

    if config.get("orientation") is not None and not valid_orientation(config["orientation"]):
        raise bad("orientation", "the voxel orientation volumes are read in, three axis codes such as 'RAS' "
                  "(absent: the files' stored order, as bundles written before it)", config["orientation"])


def _bundle_folder(ref: str | Path) -> tuple[Path, Any]:
    """The folder of a bundle given as a path (``~`` expanded) or as a registry reference
    (``registry.resolve``: NAME means the production version), resolved as the CLI resolves it: a
    plain NAME that is also a folder here but not a bundle (a data folder ``xray/`` beside the bundle
    ``xray``) means the registered bundle; and the registry row it was found through, or ``None``."""
    path = Path(ref).expanduser()
    if not str(ref).strip():
        return path, None
    from meddx.registry.resolve import resolve_bundle
    from meddx.registry.store import _is_plain_name

    return resolve_bundle(str(ref)) if _is_plain_name(str(ref)) else (path, None)


def load_bundle(path: str | Path) -> Predictor:
    """Rebuild the predictor (network, preprocessing, threshold) from a bundle folder (``~``
    expanded) or a registry reference ``NAME[:VERSION]``, as the CLI takes them.

    A damaged or hand-edited bundle raises a one-line ``BundleError`` naming the file (and field):
    weights that fail their recorded checksum, do not match the model, or a config field whose
    value the model or predictor cannot use."""
    path, registered = _bundle_folder(path)
    config = read_bundle_config(path, registered)  # read once: the registry's check runs on it
    from meddx.bundle.stem_record import with_trained_stem

    with _blamed(path / "config.json", "network from field 'model'"):  # "auto" stem: as the weights were trained
        net = _network(with_trained_stem(config["model"], path / "weights.safetensors"), config["task"])
    load_weights(net, path / "weights.safetensors", config["model"]["name"])
    net.eval()
    with _blamed(path / "config.json", "predictor from its fields ('preprocessing', 'decision', ...)"):
        return _predictor(path, config, net)


def _network(spec: dict[str, Any], task: str) -> Any:
    """The untrained network ``spec`` (config.json ``model``) names, with DP substitutions and an ensemble's head."""
    from meddx.models.ensemble import build_network
    from meddx.tasks.ensemble import member_head

    net = build_network(spec, member_head(task) if int(spec.get("ensemble", 1) or 1) > 1 else None)
    if spec.get("opacus_substitutions"):  # a DP-trained network keeps the layers Opacus needed (GroupNorm, ...)
        from meddx.training.privacy_layers import apply_substitutions

        net = apply_substitutions(net)
    return net


def load_weights(net: Any, weights: Path, model: str) -> None:
    """Load ``weights`` into ``net``: the file must read as safetensors, pass its recorded data
    checksum, and hold exactly the model's tensors with their shapes and kinds (float/integer).
    Also loads a series bundle's ``baseline.safetensors``, so every network file is checked alike."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        data = weights.read_bytes()
        state = load(data)
    except (SafetensorError, OSError) as exc:
        raise BundleError(f"{weights}: cannot read weights ({exc})") from None
    _check_data_checksum(weights, data)
    mismatch = f"{weights}: weights do not match model {model!r}"
    expected = net.state_dict()
    for key, tensor in state.items():  # load_state_dict would silently cast integers into float weights
        if key in expected and tensor.is_floating_point() != expected[key].is_floating_point():
            raise BundleError(f"{mismatch} (tensor {key!r} is {str(tensor.dtype).removeprefix('torch.')}, "
                              f"the model's is {str(expected[key].dtype).removeprefix('torch.')})")
    try:
        result = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # tensor shapes differ
        first = str(exc).split("\n\t")[1] if "\n\t" in str(exc) else str(exc)
        raise BundleError(f"{mismatch} ({first.strip()})") from None
    if result.missing_keys or result.unexpected_keys:
        raise BundleError(
            f"{mismatch} (missing {len(result.missing_keys)} tensors, unexpected {len(result.unexpected_keys)})"
        )


def _predictor(path: Path, config: dict[str, Any], net: Any) -> Predictor:
    """The predictor of the bundle's modality and task around the loaded ``net``."""
    from meddx.bundle.predictor import Predictor

    if config.get("modality") == "text":
        from meddx.bundle.text_predictor import load_text_predictor

        return load_text_predictor(path, config, net, _read_json(path / "metrics.json"))
    if config.get("modality") in ("series", "tabular"):  # fitted encoders in the bundle's JSON files
        import importlib

        module = importlib.import_module(f"meddx.bundle.{config['modality']}_predictor")
        return module.load_predictor(path, config, net, _read_json(path / "metrics.json"))
    if config["task"] == "segmentation":
        from meddx.bundle.seg_predictor import SegPredictor

        return SegPredictor(config=config, net=net, path=path, metrics=_read_json(path / "metrics.json"))  # type: ignore[return-value]
    return Predictor(config=config, net=net, path=path, metrics=_read_json(path / "metrics.json"))


def _write_json(path: Path, data: Any) -> None:
    from meddx.core.files import to_json

    path.write_text(to_json(data))  # inside the temporary bundle folder: the folder rename is atomic


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # invalid JSON, or bytes that are not UTF-8
        raise BundleError(f"{path}: not valid JSON ({exc})") from None
