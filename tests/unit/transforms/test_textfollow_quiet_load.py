"""``--pretrained PATH`` printed transformers' own "LOAD REPORT" table (missing and unexpected keys of
the new head) and its "Loading weights" bar into meddx's output, although meddx says in words whether
the head is new. ``quiet_load`` silences both for the load and restores the user's settings after."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")


def _mlm_folder(folder: Path) -> Path:
    """A tiny BERT saved with a masked-LM head: loading it for classification makes a new head."""
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64)
    transformers.BertForMaskedLM(config).save_pretrained(folder)
    return folder


def _load(folder: Path) -> dict:
    _, info = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(folder), num_labels=3, local_files_only=True, output_loading_info=True)
    return info


@contextlib.contextmanager
def _transformers_records() -> Iterator[list[str]]:
    """The messages transformers logs inside the block (a handler beside its own stderr handler: it does not
    propagate)."""
    import logging

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logging.getLogger("transformers").addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger("transformers").removeHandler(handler)


def test_the_load_report_is_silenced_during_the_load_only(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from transformers.utils import logging as hf_logging

    from meddx.transforms.text_pretrained import quiet_load

    folder = _mlm_folder(tmp_path / "mlm")
    with _transformers_records() as records:
        _load(folder)
        assert any("LOAD REPORT" in r for r in records)  # what the user saw: the reference, so this test can fail
        assert "Loading weights" in capfd.readouterr().err
        records.clear()
        before = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        with quiet_load():
            info = _load(folder)
    assert not any("LOAD REPORT" in r for r in records) and "Loading weights" not in capfd.readouterr().err
    assert "classifier.weight" in info["missing_keys"]  # the load is the same: meddx's own note reads this
    assert (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()) == before


def test_settings_come_back_after_an_error(tmp_path: Path) -> None:
    from transformers.utils import logging as hf_logging

    from meddx.transforms.text_pretrained import quiet_load

    hf_logging.set_verbosity_info()
    hf_logging.disable_progress_bar()
    try:
        with pytest.raises(OSError), quiet_load():
            assert hf_logging.get_verbosity() == hf_logging.ERROR
            _load(tmp_path / "absent")
        assert hf_logging.get_verbosity() == hf_logging.INFO and not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.set_verbosity_warning()
        hf_logging.enable_progress_bar()


def test_load_pretrained_shows_no_load_report_and_keeps_its_own_note(tmp_path: Path,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    from meddx.models.text import load_pretrained

    folder = _mlm_folder(tmp_path / "mlm")
    with _transformers_records() as records:
        _, module = load_pretrained(folder, 3)
    assert not any("LOAD REPORT" in r for r in records), records
    assert "Loading weights" not in capfd.readouterr().err
    assert any("a new, randomly initialised 3-class classification head" in n for n in module.loading_notes)
