"""The timeline as people read it: grouped messages, avatars, links to one message."""

import re

import pytest
from playwright.sync_api import Locator, expect

from tests.support.browser import DESKTOP, PHONE, post_over_a_socket, post_through_the_service
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]


def seen(locator: Locator) -> bool:
    """Shown to the eye: not clipped down to the pixel that screen-reader-only text keeps."""
    box = locator.bounding_box()
    return box is not None and box["width"] > 1 and box["height"] > 1


def test_one_authors_messages_in_a_row_share_one_name_and_a_link_to_one_is_copied(
    browser, daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    """Two messages by Ada in a row show her name and avatar once; Grace's starts a new
    group; Copy link puts the message's ?at= link on the clipboard and says so."""
    ada = people(room.owner)
    ada.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ada.open_room(room.slug)
    grace = people(room.member)
    grace.open_room(room.slug)

    ada.send("First from Ada")
    expect(ada.bodies("First from Ada")).to_have_count(1)
    ada.send("- second from Ada\n- **as a list**")
    expect(grace.page.locator("#messages li.message[data-id]")).to_have_count(2)
    grace.send("> Grace quotes\n\nand ~~strikes~~ a word")

    for person in (ada, grace):
        items = person.page.locator("#messages li.message[data-id]")
        expect(items).to_have_count(3)
        expect(items.nth(0)).not_to_have_class(re.compile("is-continuation"))
        expect(items.nth(1)).to_have_class(re.compile("is-continuation"))
        expect(items.nth(2)).not_to_have_class(re.compile("is-continuation"))
        # The later message of a group names its author to screen readers, not on screen.
        authors = person.page.locator("#messages .message-author")
        expect(authors).to_have_count(3)
        assert [seen(authors.nth(n)) for n in range(3)] == [True, False, True]
        expect(items.nth(1)).to_match_aria_snapshot(f"- listitem:\n  - text: {room.owner_name}")
        expect(person.page.locator("#messages .avatar:visible")).to_have_count(2)
        expect(items.nth(0).locator(".avatar")).to_have_text("A")
        expect(person.page.locator("#messages .day-divider")).to_have_count(1)
    expect(grace.page.locator("#messages li ul li strong")).to_have_text("as a list")
    expect(grace.page.locator("#messages blockquote")).to_have_text("Grace quotes")
    expect(grace.page.locator("#messages s")).to_have_text("strikes")
    expect(ada.online(room.member_name).locator(".avatar")).to_have_text("G")

    second = ada.message("second from Ada")
    second.hover()
    second.get_by_role("button", name="Copy link").click()
    expect(second.get_by_role("status")).to_have_text("Link copied")
    link = ada.page.evaluate("navigator.clipboard.readText()")
    second_id = second.get_attribute("data-id")
    assert link == f"{daphne_server.base_url}/rooms/{room.slug}/?at={second_id}"

    # Deleting the head of a group makes the next message its head.
    first = ada.message("First from Ada")
    first.hover()
    first.get_by_role("button", name="Delete").click()
    first.locator(".message-delete-form [type=submit]").click()
    expect(grace.bodies("First from Ada")).to_have_count(0)
    expect(grace.message("second from Ada")).not_to_have_class(re.compile("is-continuation"))
    expect(grace.message("second from Ada").locator(".message-author")).to_be_visible()

    ada.page.mouse.move(0, 0)
    ada.shoot(screenshots_dir, "grouped", prefix="timeline")
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    ada.page.set_viewport_size(PHONE)
    assert ada.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_link_to_an_old_message_opens_the_room_there_and_a_bad_one_says_so(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    """Far older than the latest page, the message is loaded, scrolled to and highlighted;
    the room then catches up to the newest. An id of no message here opens the room with
    a notice."""
    post_through_the_service(daphne_server, room.slug, room.owner_name, 80, days_ago=2)
    post_over_a_socket(daphne_server, room.slug, room.member, "Newest of all")
    history = room.owner.get(f"/rooms/{room.slug}/messages/?limit=100").json()["messages"]
    old = next(m for m in history if m["body"] == "Old message 3")

    grace = people(room.member)
    grace.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/?at={old['id']}")
    expect(grace.page.locator("#connection-state")).to_have_attribute("data-state", "online")

    target = grace.message("Old message 3", exact=True)
    expect(target).to_have_class(re.compile("is-focused"))
    expect(target).to_be_in_viewport()
    expect(grace.bodies("Newest of all")).to_have_count(1)
    expect(grace.page.locator("#messages .day-divider")).to_have_count(2)
    grace.shoot(screenshots_dir, "jumped", prefix="timeline")

    grace.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/?at=999999")
    expect(grace.page.locator("#connection-state")).to_have_attribute("data-state", "online")
    expect(grace.notice).to_have_text("That message is not in this room, or was deleted.")
    expect(grace.bodies("Newest of all")).to_have_count(1)
