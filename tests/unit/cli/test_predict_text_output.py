"""``meddx predict BUNDLE --text ... --explain DIR``: the closing line counts the pages it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.bundle.test_text_predictor_inputs import _predictor


def test_the_explanation_line_counts_pages_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It said "(1 HTML pages)" for one document."""
    from meddx.cli.predict_text import predict_text

    predictor = _predictor()
    for texts, expected in ((["history of seizure"], "(1 HTML page)"),
                            (["history of seizure", "carcinoma of the liver"], "(2 HTML pages)")):
        out_dir = tmp_path / str(len(texts))
        predict_text(predictor, [], texts, out_dir, "integrated-gradients", None, as_json=False)
        out = capsys.readouterr().out
        assert f"explanations: {out_dir} {expected}" in out
        assert len(list(out_dir.glob("*.html"))) == len(texts)
