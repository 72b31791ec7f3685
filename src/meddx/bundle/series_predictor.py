"""Inference from a time-series bundle: the fitted series preprocessing, the network, and the
gradient-boosting baseline beside it.

A series bundle is an ordinary bundle whose ``config.json`` holds the fitted preprocessing
(variables, normalisation from the training stays, binning) and, for models on aggregates, the
fitted feature imputation/scaling; ``baseline.safetensors`` holds the boosting baseline's trees
when one was fitted (its preprocessing and operating point are in ``config.json["baseline"]``).
``SeriesPredictor`` reuses the image ``Predictor``'s decision rule, calibration and thresholds;
only the input path differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from meddx.bundle.predictor import Prediction, Predictor
from meddx.core.errors import BundleError, DataError

BASELINE_FILE = "baseline.safetensors"
FAR_SDS = 100.0  # far_values_note: PhysioNet set A's own observations lie within 58 training sds
EMPTY_RISK = ("the risk given is the model's answer for an empty series (static descriptors only), not a reading of "
              "measurements")


class SeriesPredictor(Predictor):
    """A series bundle ready to score stays; build it with ``meddx.bundle.load_bundle``."""

    def __init__(self, config: dict[str, Any], net: torch.nn.Module, baseline: Any = None,
                 path: Path | None = None, metrics: dict | None = None) -> None:
        self.baseline = baseline
        super().__init__(config, net, path=path, metrics=metrics)
        prep = config["preprocessing"]
        self.pipeline: str = prep["pipeline"]
        self.features = None
        if prep.get("features") is not None:
            from meddx.transforms.tabular import TabularPreprocessor

            self.features = TabularPreprocessor.from_dict(prep["features"])

    def _build_preprocessor(self, config: dict[str, Any]) -> Any:
        from meddx.transforms.timeseries import SeriesPreprocessor

        return SeriesPreprocessor.from_dict(config["preprocessing"]["series"])

    @property
    def variables(self) -> list[str]:
        return list(self.preprocessor.variables)

    def encode(self, records: Sequence[Any]) -> tuple[torch.Tensor, ...]:
        """The network's inputs for ``records``: the series arrays, or the aggregate features."""
        if self.pipeline == "sequence":
            from meddx.training.series_fit import encode_sequences

            return encode_sequences(self.preprocessor, list(records))
        from meddx.training.series_fit import aggregate_frame

        x = self.features.transform(aggregate_frame(self.preprocessor, list(records)))  # type: ignore[union-attr]
        return (torch.from_numpy(np.asarray(x, dtype=np.float32)),)

    @torch.inference_mode()
    def _raw_record_probs(self, records: Sequence[Any], batch_size: int) -> np.ndarray:
        from meddx.bundle.pass_rows import PASS_ROWS, aligned_rows, padded_list
        from meddx.tasks.classification import probs_from_logits

        outs = []
        step = max(1, int(batch_size))
        for start in range(0, len(records), step):
            chunk = records[start:start + step]  # padded with its last stay: bits alike in any pass (pass_rows)
            inputs = self.encode(padded_list(chunk, PASS_ROWS))
            logits = self.net(*map(aligned_rows, inputs))  # aggregates: rows 64-byte aligned (pass_rows)
            outs.append(probs_from_logits(logits.double(), self.task)[:len(chunk)])  # type: ignore[arg-type]
        if not outs:
            return np.zeros((0, len(self.label_names)), dtype=np.float64)
        return torch.cat(outs).numpy()

    def predict_records(self, records: Sequence[Any], batch_size: int = 256, calibrated: bool = True) -> np.ndarray:
        """Class probabilities ``(N, K)`` of stays (``SeriesRecord``): temperature-scaled unless
        ``calibrated=False``."""
        self._check_records(records)
        probs = self._raw_record_probs(list(records), batch_size)
        return self.calibrate(probs) if calibrated else probs

    def predict_split_data(self, data: Any, calibrated: bool = True) -> np.ndarray:
        """Probabilities of a split's stays (``evaluation.evaluate.predict_split`` calls this)."""
        return self.predict_records(data.records or [], calibrated=calibrated)

    def predict_arrays(self, images: Sequence[np.ndarray], batch_size: int = 128, calibrated: bool = True) -> np.ndarray:
        raise DataError(f"bundle {self.name!r} scores ICU/EHR time series; pass patient files (PhysioNet .txt "
                        "or a long CSV patient_id,time,variable,value)")

    def predict_stays(self, records: Sequence[Any], sources: Sequence[str] | None = None) -> list[Prediction]:
        """Label and probabilities per stay; ``sources`` names each (file, record id) in the output.
        Each prediction's ``extra`` holds ``observations`` (the count read in the bundle's window)
        and, for a stay without any, an ``empty_stay_warning`` (:meth:`empty_stays_note` for them all)."""
        probs = self.predict_records(records)
        labels = self.decide(probs)
        names = list(sources) if sources is not None else [r.id for r in records]
        return [Prediction(source=s, label=lab, probabilities={n: float(v) for n, v in zip(self.label_names, row)},
                           threshold=self.threshold, extra=self.observed(r, s))
                for s, lab, row, r in zip(names, labels, probs, records)]

    def predict_files(self, paths: Sequence[str | Path]) -> list[Prediction]:
        """One prediction per stay of patient files (PhysioNet 2012 ``.txt``, long CSVs), read as
        ``meddx predict`` reads them (:func:`meddx.data.series_files.read_patient_files`)."""
        from meddx.data.series_files import read_patient_files

        return self.predict_stays(read_patient_files(paths, self.config))

    def empty_stays_note(self, records: Sequence[Any]) -> str | None:
        """One note naming the stays with no observation in the bundle's window (a file of static
        descriptors only, or of times all past the window): their risk is what the model gives an
        empty series, not a reading of measurements, and nothing else would say so."""
        empty = [r.id for r in records if len(r) == 0]
        if not empty:
            return None
        shown = ", ".join(empty[:10]) + (f" (and {len(empty) - 10} more)" if len(empty) > 10 else "")
        return (f"{len(empty)} stay(s) without any observation in the bundle's {self.window_hours:g}-h window: "
                f"{shown}; {EMPTY_RISK}")

    def far_values_note(self, records: Sequence[Any]) -> str | None:
        """One note counting observations more than ``FAR_SDS`` training standard deviations from the
        variable's training mean (``lactate`` 1e30, ``HR`` 99999: a unit or a missing-value code). The
        sequence models clip them and the trees read them as the highest value seen, so the stay is
        scored as extreme, and nothing said so. On PhysioNet set A no training observation lies beyond
        58 (Urine), so the note is for values far outside any ICU's."""
        pre = self.preprocessor
        mean, std = np.asarray(pre.mean_, np.float64), np.asarray(pre.std_, np.float64)
        seen = np.asarray(getattr(pre, "n_observed_", np.ones(len(mean))), np.float64) > 0
        count, first = 0, None
        for r in records:
            if not len(r):
                continue
            v = np.asarray(r.variables, np.int64)
            far = np.flatnonzero(seen[v] & (np.abs(np.asarray(r.values, np.float64) - mean[v]) > FAR_SDS * std[v]))
            count += len(far)
            if len(far) and first is None:
                first = (r.id, int(v[far[0]]), float(r.values[far[0]]), float(r.times[far[0]]))
        if first is None:
            return None
        stay, j, value, hour = first
        return (f"{count} observation(s) lie more than {FAR_SDS:g} training standard deviations from their variable's "
                f"training mean (e.g. {pre.variables[j]} {value:g} in stay {stay} at {hour:g} h; training mean "
                f"{mean[j]:.4g}, sd {std[j]:.4g}); the model reads them as extreme values: check the unit, and "
                "whether the value codes a missing measurement")

    def unused_note(self, records: Sequence[Any]) -> str | None:
        """One note counting the observations (and static descriptors) of ``records`` that the model
        does not read: of a variable no training stay observed (a full MIMIC-III extract's ``HR`` for a
        bundle trained on the demo copy, which has no CHARTEVENTS). They are ignored (the model learnt no
        weight for them), so the risk is that of a stay without them, and nothing said so."""
        pre = self.preprocessor
        seen = np.asarray(getattr(pre, "n_observed_", np.ones(len(pre.variables))), np.int64) > 0
        static_seen = np.asarray(getattr(pre, "static_n_observed_", np.ones(len(pre.static_names))), np.int64) > 0
        counts = np.zeros(len(seen), np.int64)
        static = np.zeros(len(static_seen), np.int64)
        for r in records:
            if len(r):
                counts += np.bincount(np.asarray(r.variables, np.int64), minlength=len(seen))
            static += np.isfinite(np.asarray(r.static, np.float64)).astype(np.int64)[:len(static)]
        unused = counts * ~seen
        parts = [f"{int(unused.sum())} observation(s) of {_named(pre.variables, unused)}"] if unused.any() else []
        if (static * ~static_seen).any():
            parts.append(f"{int((static * ~static_seen).sum())} value(s) of static descriptor(s) "
                         f"{_named(pre.static_names, static * ~static_seen, counted=False)}")
        if not parts:
            return None
        return (f"{' and '.join(parts)} not used: no training stay observed them, so the model learnt nothing for "
                "them and scores those stays as if they were not measured")

    @property
    def window_hours(self) -> float:
        """Hours after admission the bundle reads (its training window)."""
        return float((self.config.get("series") or {}).get("window_hours", 48.0))

    def observed(self, record: Any, name: str) -> dict[str, Any]:
        """``{"observations": n}`` (read in the bundle's window), plus ``empty_stay_warning`` naming
        ``name`` when there is none: the extra fields of a stay's prediction, here and in serving."""
        extra: dict[str, Any] = {"observations": len(record)}
        if len(record) == 0:
            extra["empty_stay_warning"] = (f"{name}: no observation in the bundle's {self.window_hours:g}-h window; "
                                           f"{EMPTY_RISK}")
        return extra

    def baseline_predictor(self) -> "SeriesPredictor | None":
        """The gradient-boosting baseline stored with this bundle, as a predictor with its own
        operating point (chosen on the same validation split by the same rule)."""
        if self.baseline is None or "baseline" not in self.config:
            return None
        section = self.config["baseline"]
        config = {**self.config, "name": f"{self.name} baseline ({section['model']})",
                  "model": section["spec"], "preprocessing": section["preprocessing"],
                  "decision": section.get("decision") or {"rule": self.config["decision"].get("rule"), "threshold": None},
                  "calibration": {"temperature": 1.0, "fitted_on": None, "method": None}, "tta": []}
        config.pop("baseline", None)
        return SeriesPredictor(config, self.baseline)

    def _check_records(self, records: Sequence[Any]) -> None:
        n_vars = len(self.preprocessor.variables)
        for r in records:
            if len(r.variables) and int(np.max(r.variables)) >= n_vars:
                raise DataError(f"stay {r.id!r}: variable index {int(np.max(r.variables))} is not one of the "
                                f"bundle's {n_vars} variables")


def _named(names: Sequence[str], counts: np.ndarray, counted: bool = True, shown: int = 6) -> str:
    """``HR (120), SysBP (80)`` (``counted=False``: ``Height, Weight``): the names whose count is
    non-zero, most first, at most ``shown`` of them, then how many more."""
    order = [int(j) for j in np.argsort(-counts, kind="stable") if counts[j] > 0]
    text = ", ".join(f"{names[j]} ({int(counts[j])})" if counted else str(names[j]) for j in order[:shown])
    return text + (f" and {len(order) - shown} more" if len(order) > shown else "")


def series_bundle_config(config: Any, source: Any, plan: Any, pre: Any, features: Any, name: str,
                         run_dir: Path) -> dict[str, Any]:
    """The shared bundle ``config.json`` (``training.finish.bundle_config``) with what differs for
    series: the fitted series (and feature) preprocessing, no test-time flips, the reader options."""
    from meddx.training.finish import bundle_config

    preprocessing = {"kind": "series", "pipeline": plan.pipeline, "series": pre.to_dict(),
                     "features": None if features is None else features.to_dict(),
                     "description": _describe(pre, plan)}
    cfg = bundle_config(config.model_copy(update={"tta": False}), source, plan, preprocessing, name, run_dir)
    cfg["modality"] = "series"
    cfg["series"] = {"variables": list(source.variables), "static_names": list(source.static_names),
                     "window_hours": plan.window_hours, "resample": plan.resample}
    training = cfg["training"]
    training["source_options"] = dict(getattr(source, "options", {}) or {})
    training["cleaning"] = getattr(source, "cleaning", {})
    training["plan"].pop("augment", None)
    training["plan"]["lr"] = plan.lr
    return cfg


def _describe(pre: Any, plan: Any) -> str:
    """The model card's input line."""
    what = (f"{len(pre.variables)} time-series variables and {len(pre.static_names)} static descriptors over the "
            f"first {plan.window_hours:g} h of each stay")
    if plan.pipeline == "aggregate":
        return (f"{what}, summarised per variable as first/last/min/max/mean/count (missing where never observed; "
                "imputation and scaling fitted on the training stays only)")
    steps = "hourly bins (last value per hour)" if plan.resample == "hourly" else "the observation times"
    return (f"{what}, on {steps} with observation masks and time since last observation; values normalised with "
            "the training stays' mean and standard deviation only")


def series_predictor_factory(baseline: dict[str, Any] | None) -> Callable[[dict[str, Any], Any], SeriesPredictor]:
    """``make_predictor`` for ``finish_run``: a SeriesPredictor around the trained network, with the
    baseline (when fitted) described in the config."""
    def make(config: dict[str, Any], net: Any) -> SeriesPredictor:
        if baseline is not None and "baseline" not in config:
            config["baseline"] = {
                "model": baseline["model"],
                "spec": baseline["spec"],
                "preprocessing": {**config["preprocessing"], "pipeline": "aggregate",
                                  "features": baseline["features"].to_dict()},
                "settings": "gradient boosting on per-variable first/last/min/max/mean/count (NaN kept), "
                            "balanced class weights, fitted on the same training stays",
                "decision": None,
            }
        return SeriesPredictor(config, net, None if baseline is None else baseline["net"])

    return make


def series_bundle_files(baseline: dict[str, Any] | None) -> dict[str, bytes]:
    """The extra files of a series bundle: the baseline's weights, when fitted."""
    if baseline is None:
        return {}
    from meddx.bundle.integrity import weights_bytes

    state = {k: v.detach().cpu().contiguous() for k, v in baseline["net"].state_dict().items()}
    return {BASELINE_FILE: weights_bytes(state)}  # with the SHA-256 of its data, as weights.safetensors


def load_predictor(path: Path, config: dict[str, Any], net: Any, metrics: dict[str, Any]) -> SeriesPredictor:
    """The series half of ``load_bundle``: the baseline's weights beside the network's."""
    baseline = None
    if "baseline" in config:
        file = path / BASELINE_FILE
        if not file.is_file():
            raise BundleError(f"{path}: config.json names a baseline but {BASELINE_FILE} is missing")
        from meddx.bundle.bundle import load_weights
        from meddx.models.registry import create_model

        spec = config["baseline"]["spec"]
        baseline = create_model(spec["name"], num_classes=spec["num_classes"], **spec.get("args", {}))
        load_weights(baseline, file, spec["name"])  # checksum, shapes and kinds checked as the network's
        baseline.eval()
    return SeriesPredictor(config, net, baseline, path=path, metrics=metrics)
