"""Evaluation: functional metrics, and (built on them) confidence intervals, calibration,
operating points, cross-validation, subgroups and reports. Imports nothing heavy here; use
``from meddx.evaluation.metrics import classification_metrics``."""
