"""Asking for bf16-mixed on 3D inputs is said, not silent: ``auto`` keeps 3D in fp32 because the bf16
backward of 3D convolutions gave non-finite gradients on this CPU, and README's YAML example once
set ``precision: bf16-mixed`` for a 3D file."""

from __future__ import annotations

import logging

from meddx.training.trainer import resolve_precision


def test_bf16_on_3d_is_kept_but_warned_about(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert resolve_precision("bf16-mixed", 3) == "bf16-mixed"  # the user's choice stands
    assert "bf16-mixed on 3D inputs" in caplog.text and "non-finite gradients" in caplog.text


def test_auto_and_2d_bf16_say_nothing(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert resolve_precision("auto", 3) == "32-true"
        resolve_precision("bf16-mixed", 2)
        resolve_precision("32-true", 3)
    assert caplog.text == ""
