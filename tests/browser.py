"""Real-browser helpers: a live server on a free port, Debian's Chromium through Playwright, axe-core.

Also a pytest plugin (tests/conftest.py lists it): the `browser` and `demo_server` fixtures.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from survey.cli import make_demo_survey

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PROJECTOR = {"width": 1920, "height": 1080}  # the conference screen
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def need_chromium() -> None:
    """Skip without Chromium on a laptop; fail in CI, where it must be there."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium through Playwright: one for each test module, a new context for each test."""
    need_chromium()
    from playwright.sync_api import sync_playwright  # only the browser tests need Playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_server(app: Flask) -> Iterator[str]:
    """The app with the open demo survey (/s/ai-at-work-demo), served live; yield its base address."""
    with app.app_context():
        make_demo_survey()
    with live_server(app) as url:
        yield url


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port in a thread; yield its base address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/screenshots/ for people to review."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, javascript: bool = True) -> list[str]:
    """Run axe-core on the page; return one line per violation (empty when clean).

    axe needs timers, which do not run with JavaScript off; then the page's HTML is checked
    in a JavaScript-enabled copy at the same address and viewport, its stylesheet included.
    """
    from axe_playwright_python.sync_playwright import Axe

    if javascript:
        return _violations(Axe().run(page))
    html = page.content().replace("<head>", f'<head><base href="{page.url}">', 1)
    context = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        copy = context.new_page()
        copy.set_content(html, wait_until="load")
        return _violations(Axe().run(copy))
    finally:
        context.close()


def _violations(results) -> list[str]:
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def assert_no_horizontal_scroll(page) -> None:
    """Fail if the page is wider than the phone's screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a {page.viewport_size['width']}px screen"


def answer_every_question(page) -> None:
    """Pick the first offered answer to every question on the page, and fill in every box."""
    for name in page.eval_on_selector_all(
        "input[type=radio], input[type=checkbox]", "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f'input[name="{name}"]').first.check()
    for box in page.locator("input.input-number").all():
        box.fill("3")
    for box in page.locator("input.input-text, textarea").all():
        box.fill("Testun prawf / test text")
