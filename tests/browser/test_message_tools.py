"""Each message's one action bar (React, Reply, Pin, Copy link, Edit, Delete) and what the
actions leave on it, as people see them on a desktop and on a phone.

Screenshots (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from chatclient.server import LiveServer, sending_limits
from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("browser-tools"), extra_env=sending_limits(burst=100)
    ).start()
    yield server
    server.stop()


def react(person, text: str, emoji: str) -> None:
    person.message(text).hover()
    person.message(text).get_by_role("button", name="React", exact=True).click()
    person.page.get_by_role("button", name=f"React with {emoji}").click()


def test_a_busy_room_on_a_desktop_and_a_phone(
    browser, daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    """Grouped messages with reactions, a reply, a pin and an edit; the action bar, the
    picker, the pins panel and the earlier versions open over it."""
    ada, grace = people(room.owner), people(room.member)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    grace.send("Who brings the cake on Friday?")
    expect(ada.bodies("Who brings the cake")).to_have_count(1)
    grace.send("I can bring plates and candles, and a knife long enough for a big one.")
    expect(ada.bodies("plates and candles")).to_have_count(1)
    grace.send("Short one")
    expect(ada.bodies("Short one")).to_have_count(1)
    ada.message("Who brings the cake").hover()
    ada.message("Who brings the cake").get_by_role("button", name="Reply").click()
    ada.send("I do, chocolate.")
    expect(grace.bodies("I do, chocolate.")).to_have_count(1)
    ada.message("Short one").hover()
    ada.message("Short one").get_by_role("button", name="Reply").click()
    ada.send(
        "With a very long word: Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung"
    )
    react(ada, "Who brings the cake", "👍")
    react(grace, "Who brings the cake", "👍")
    react(grace, "Who brings the cake", "🎉")
    react(grace, "plates and candles", "❤️")
    ada.message("Who brings the cake").hover()
    ada.message("Who brings the cake").get_by_role("button", name="Pin").click()
    ada.message("very long word").hover()
    ada.message("very long word").get_by_role("button", name="Pin").click()
    ada.message("I do, chocolate.").hover()
    ada.message("I do, chocolate.").get_by_role("button", name="Edit").click()
    edit = ada.page.locator(".message-edit-form textarea")
    edit.fill("I do, chocolate with cherries.")
    edit.press("Enter")
    expect(ada.message("chocolate with cherries").locator("button.message-edited")).to_have_count(1)
    expect(ada.message("Who brings the cake").locator(".reaction-chip")).to_have_count(2)
    items = ada.page.locator("#messages li.message[data-id]")
    expect(items).to_have_count(5)
    expect(ada.page.locator("#messages li.message[data-id] > .message-actions")).to_have_count(5)
    expect(ada.message("plates and candles")).to_have_class(re.compile("is-continuation"))
    # A continuation that quotes and is pinned: its badge, then the quote, then its text.
    quoting = ada.message("very long word")
    expect(quoting).to_have_class(re.compile("is-continuation"))
    expect(quoting.locator(".message-pinned")).to_be_visible()
    pinned_box, quote_box, body_box = (
        quoting.locator(part).bounding_box()
        for part in (".message-pinned", ".message-quote", ".message-body")
    )
    assert pinned_box["y"] + pinned_box["height"] <= quote_box["y"]
    assert quote_box["y"] + quote_box["height"] <= body_box["y"]
    ada.page.mouse.move(0, 0)
    expect(ada.message("plates and candles").locator(".message-actions")).to_have_css(
        "opacity", "0"
    )
    ada.page.screenshot(path=screenshots_dir / "tools-room-desktop.png")

    # A continuation line, by mouse and by keyboard: the whole bar, clear of its text.
    continuation = ada.message("plates and candles")
    continuation.hover()
    bar = continuation.locator(".message-actions")
    expect(bar).to_have_css("opacity", "1")
    expect(bar.get_by_role("button")).to_have_text(["React", "Reply", "Pin", "Copy link", "Delete"])
    assert not overlaps(bar.bounding_box(), continuation.locator(".message-body").bounding_box())
    ada.page.screenshot(path=screenshots_dir / "tools-hover-continuation-desktop.png")
    ada.page.mouse.move(0, 0)
    continuation.locator(".reaction-chip").focus()
    ada.page.keyboard.press("Tab")
    expect(continuation.get_by_role("button", name="React", exact=True)).to_be_focused()
    expect(bar).to_have_css("opacity", "1")

    ada.message("Short one").hover()
    ada.message("Short one").get_by_role("button", name="React", exact=True).click()
    picker = ada.page.locator(".emoji-picker")
    expect(picker).to_be_visible()
    assert within(picker.bounding_box(), DESKTOP)
    ada.page.screenshot(path=screenshots_dir / "tools-picker-desktop.png")
    ada.page.keyboard.press("Escape")
    expect(picker).to_be_hidden()

    ada.page.locator("#pins-toggle").click()
    ada.page.screenshot(path=screenshots_dir / "tools-pins-panel-desktop.png")
    ada.page.locator("#pins-toggle").click()
    ada.message("chocolate with cherries").locator("button.message-edited").click()
    expect(ada.page.locator("#edit-history .edit-version")).to_have_count(2)
    ada.page.screenshot(path=screenshots_dir / "tools-edit-history-desktop.png")

    # On a phone's touch screen every bar is shown, under its message, inside the screen.
    phone = on_a_phone(browser, daphne_server, room.owner)
    phone.open_room(room.slug)
    expect(phone.page.locator("#messages li.message[data-id] > .message-actions")).to_have_count(5)
    for n in range(5):
        expect(
            phone.page.locator("#messages li.message[data-id]").nth(n).locator(".message-actions")
        ).to_be_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.message("Short one").scroll_into_view_if_needed()
    phone.page.screenshot(path=screenshots_dir / "tools-room-phone.png")
    phone.message("Short one").get_by_role("button", name="React", exact=True).tap()
    picker = phone.page.locator(".emoji-picker")
    expect(picker).to_be_visible()
    assert within(picker.bounding_box(), PHONE)
    phone.page.screenshot(path=screenshots_dir / "tools-picker-phone.png")
    phone.page.keyboard.press("Escape")
    phone.page.locator("#pins-toggle").tap()
    phone.page.screenshot(path=screenshots_dir / "tools-pins-panel-phone.png")
    phone.page.locator("#pins-toggle").tap()
    phone.message("chocolate with cherries").locator("button.message-edited").tap()
    expect(phone.page.locator("#edit-history .edit-version")).to_have_count(2)
    phone.page.screenshot(path=screenshots_dir / "tools-edit-history-phone.png")


def on_a_phone(browser, server: LiveServer, client) -> Person:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"], "url": server.base_url}]
    )
    return Person(context, context.new_page(), server.base_url)


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def within(box: dict, viewport: dict) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
        and box["y"] + box["height"] <= viewport["height"]
    )
