import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from chatclient.server import REPO_ROOT
from tests.support.browser import people_opener
from tests.support.live_server import RoomOfTwo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; missing, it skips locally and fails in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip("Chromium is not installed: apt-get install -y chromium (bin/test does this)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def people(browser: Browser, daphne_server) -> Iterator:
    """Opens a browser context for a logged-in HTTP client; all are closed afterwards."""
    yield from people_opener(browser, daphne_server)


@pytest.fixture
def room(daphne_server, room_of_two) -> RoomOfTwo:
    return room_of_two(daphne_server)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = REPO_ROOT / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
