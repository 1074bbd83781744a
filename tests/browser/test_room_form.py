"""The New room page in a real browser: the form is there, refuses an empty name, creates a room."""

from collections.abc import Iterator
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Page, expect

from chatclient.client import signup
from chatclient.server import LiveServer
from tests.support.live_server import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def signed_in_page(browser: Browser, daphne_server: LiveServer) -> Iterator[Page]:
    client = signup(daphne_server.base_url, f"rosa-{uuid4().hex[:8]}", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"], "url": daphne_server.base_url}]
    )
    client.close()
    yield context.new_page()
    context.close()


def test_the_new_room_page_shows_a_form_to_fill_in(signed_in_page, daphne_server):
    page = signed_in_page
    page.goto(f"{daphne_server.base_url}/rooms/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New room").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Create a room")
    expect(page.get_by_label("Name")).to_be_visible()
    expect(page.get_by_label("Description")).to_be_visible()
    expect(page.get_by_role("radio", name="Public")).to_be_checked()
    expect(page.get_by_role("radio", name="Private")).to_be_visible()
    expect(page.get_by_role("button", name="Create room")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel")).to_have_attribute("href", "/rooms/")


def test_an_empty_name_is_refused_with_the_error_next_to_the_field(signed_in_page, daphne_server):
    page = signed_in_page
    page.goto(f"{daphne_server.base_url}/rooms/new/")
    page.get_by_label("Description").fill("Kept while the name is fixed")

    page.get_by_role("button", name="Create room").click()

    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{name.get_attribute('aria-describedby')}")
    expect(error).to_have_text("This field is required.")
    expect(error).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Kept while the name is fixed")
    assert page.url == f"{daphne_server.base_url}/rooms/new/"


def test_a_valid_form_creates_the_room_and_lands_in_it(signed_in_page, daphne_server):
    page = signed_in_page
    name = f"Reading circle {uuid4().hex[:6]}"
    page.goto(f"{daphne_server.base_url}/rooms/new/")
    page.get_by_label("Name").fill(name)
    page.get_by_role("radio", name="Private").check()

    page.get_by_role("button", name="Create room").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    assert page.url.startswith(f"{daphne_server.base_url}/rooms/reading-circle-")
