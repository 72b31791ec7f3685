"""The clinicians' web page end to end in headless Chromium: sign in, choose the model, drop an
image, read the label, the probabilities, the heatmap and the operating point."""

from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.serve_helpers import data_root, live_server, make_home, test_settings


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (python) is not installed")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        pytest.skip("no chromium executable (looked for `chromium` on PATH and /usr/bin/chromium)")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                      "--disable-component-update", "--disable-sync", "--no-first-run"])
    yield b
    b.close()
    pw.stop()


def _wait(page: Any, expression: str, timeout: float = 30.0) -> None:
    """Poll a JS expression (page.wait_for_function would need 'unsafe-eval', which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


def test_web_page_signs_in_predicts_and_shows_the_heatmap(trained: dict, browser: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.serving.app import create_app

    home = make_home(trained["bundle"], tmp_path / "home")
    monkeypatch.setenv("MEDDX_HOME", str(home["home"]))
    image = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0]
    with data_root(home["home"]), live_server(create_app(test_settings())) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
        page.goto(url + "/")
        page.fill("#key", "mdx_0000000000_not-a-key")
        page.click("#signin")
        _wait(page, "document.querySelector('#signin-error').textContent.length > 0")
        assert "not valid" in page.inner_text("#signin-error")
        problems.clear()  # the browser logs the refused sign-in (401) as a console error: expected

        page.fill("#key", home["viewer"])
        page.click("#signin")
        page.wait_for_selector("#main:not([hidden])")
        assert page.input_value("#model") == "lesions"
        page.wait_for_selector("#card .card-grid")
        card = page.inner_text("#card")
        assert "sensitivity" in card and "specificity" in card and "P >=" in card and "youden" in card

        page.set_input_files("#file", str(image))  # what a drop does: the page predicts at once
        page.wait_for_selector("#result:not([hidden])")
        _wait(page, "document.querySelector('#overlay').complete && document.querySelector('#overlay').naturalWidth > 0")
        assert page.inner_text("#label") == "lesion"  # the known answer for this image
        rows = page.eval_on_selector_all("#probs tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
        assert rows == ["normal", "lesion"]
        assert page.evaluate("document.querySelector('#overlay').naturalWidth") == 224
        assert "gradcam" in page.inner_text("#overlay-caption")
        assert page.evaluate("sessionStorage.getItem('meddx-key')") == home["viewer"]
        assert page.evaluate("localStorage.length") == 0
        shot = tmp_path / "serve-web-page.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nweb page screenshot: {shot}")
        assert shot.stat().st_size > 20_000
        assert problems == [] and outside == []

        normal = sorted((trained["folder"] / "test" / "normal").glob("*.png"))[0]
        page.evaluate("""b64 => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
            document.querySelector("#drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
        }""", base64.b64encode(normal.read_bytes()).decode())
        _wait(page, "document.querySelector('#label').textContent === 'normal'")
        assert problems == []

        page.click("#signout")
        assert page.is_visible("#signin-panel") and page.evaluate("sessionStorage.getItem('meddx-key')") is None
        page.close()


def test_web_page_sends_a_table_row_as_json(browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table model on the page: the box asks for JSON, a pasted row gets the known label, and
    text that is not JSON is explained on the page without a request."""
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit
    from tests.integration.serve_helpers import write_marker_table

    home = tmp_path / "home"
    monkeypatch.setenv("MEDDX_HOME", str(home))
    with data_root(home):
        fit(TrainConfig(data=str(write_marker_table(tmp_path / "patients.csv")), name="rows", ci_resamples=0,
                        verify=False), progress=False)
        viewer, _ = create_key("viewer", "page")
    with data_root(home), live_server(create_app(test_settings())) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.goto(url + "/")
        page.fill("#key", viewer)
        page.click("#signin")
        page.wait_for_selector("#card .card-grid")
        assert page.input_value("#model") == "rows" and page.is_visible("#note")
        assert "JSON" in page.get_attribute("#note", "placeholder")
        assert page.inner_text('label[for="note"]') == "One patient row (JSON)"
        page.fill("#note", '{"marker": -1.9, "bp": -0.3, "noise": 0.4, "site": "north"}')
        page.click("#predict")
        page.wait_for_selector("#result:not([hidden])")
        assert page.inner_text("#label") == "healthy"
        page.fill("#note", "marker is high")
        page.click("#predict")
        _wait(page, "document.querySelector('#predict-error').textContent.length > 0")
        assert "Not valid JSON" in page.inner_text("#predict-error")
        assert problems == []
        page.close()
