"""``meddx demo`` ends with commands to paste: a data root with spaces must survive the shell."""

from __future__ import annotations

import shlex
from pathlib import Path


def test_next_steps_quote_a_data_root_with_spaces() -> None:
    from meddx.cli.demo import next_steps

    root = Path("/tmp/my home ü/datasets/demo-lesions")
    line = next_steps("demo-lesions:1", root)
    evaluate = line.split("|")[1]
    assert shlex.split(evaluate)[-2:] == ["--data", str(root)]


def test_the_next_steps_line_is_printed_whole(capsys) -> None:
    import meddx.cli.demo as demo

    from rich.console import Console

    root = Path("/tmp/" + "long folder name " * 6)
    Console(width=60).print(demo.next_steps("demo-lesions:1", root), soft_wrap=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and shlex.quote(str(root)) in out
