"""How `meddx serve` reports its stop (``serving.stopping``): the exit status and its one stderr line.

``_report`` reads the signals as uvicorn raises them again after stopping: the last caught first."""

from __future__ import annotations

import signal

import pytest

from meddx.serving.stopping import FORCED, _report


@pytest.mark.parametrize("stops", [[signal.SIGTERM], [signal.SIGINT], [signal.SIGTERM, signal.SIGTERM],
                                   [signal.SIGTERM, signal.SIGINT]],  # SIGINT, then SIGTERM: not forced
                         ids=["TERM", "INT", "TERM,TERM", "INT,TERM"])
def test_a_drained_stop_exits_0_naming_the_first_signal(stops: list[int], capsys: pytest.CaptureFixture) -> None:
    assert _report(stops) == 0
    assert capsys.readouterr().err.startswith(f"meddx serve: stopped by {signal.Signals(stops[-1]).name}; the requests")


@pytest.mark.parametrize("stops", [[signal.SIGINT, signal.SIGINT], [signal.SIGINT, signal.SIGTERM]],
                         ids=["INT,INT", "TERM,INT"])
def test_a_ctrl_c_after_the_first_signal_forced_the_stop_and_exits_130(stops: list[int],
                                                                     capsys: pytest.CaptureFixture) -> None:
    assert _report(stops) == FORCED == 130
    assert "without waiting for the requests in flight" in capsys.readouterr().err


def test_a_server_that_returned_on_its_own_exits_0_silently(capsys: pytest.CaptureFixture) -> None:
    assert _report([]) == 0
    assert capsys.readouterr().err == ""


def test_the_cli_still_runs_uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers (and tests) replace ``uvicorn.run`` to keep a server from starting: it is what runs."""
    import uvicorn

    from meddx.serving.stopping import run_server

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **config: seen.update(app=app, **config))
    before = signal.getsignal(signal.SIGTERM)
    assert run_server("app", port=1) == 0
    assert seen == {"app": "app", "port": 1} and signal.getsignal(signal.SIGTERM) is before
