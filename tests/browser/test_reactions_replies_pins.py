"""Reactions, replies, pins and earlier versions in two browsers, as the people see them.

Screenshots (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from chatclient.server import LiveServer, sending_limits
from tests.support.browser import post_over_a_socket, post_through_the_service
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The browsers' server, with a message allowance big enough to scroll a message away."""
    server = LiveServer(
        tmp_path_factory.mktemp("browser-reactions"), extra_env=sending_limits(burst=100)
    ).start()
    yield server
    server.stop()


def test_a_reaction_appears_live_and_each_person_toggles_their_own(room: RoomOfTwo, people):
    ada, grace = people(room.owner), people(room.member)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    ada.send("Lunch at noon?")
    expect(grace.message("Lunch at noon?")).to_have_count(1)

    ada.message("Lunch at noon?").hover()  # the action bar shows on hover
    ada.message("Lunch at noon?").locator(".message-react").click()
    ada.page.get_by_role("button", name="React with 👍").click()

    chip = grace.message("Lunch at noon?").locator(".reaction-chip", has_text="👍")
    expect(chip).to_have_text("👍1")
    expect(chip).not_to_have_class("reaction-chip is-mine")
    chip.click()
    expect(chip).to_have_text("👍2")
    expect(chip).to_have_attribute("aria-pressed", "true")
    mine_for_ada = ada.message("Lunch at noon?").locator(".reaction-chip")
    expect(mine_for_ada).to_have_text("👍2")
    expect(mine_for_ada).to_have_attribute(
        "title", f"{room.owner_name} and {room.member_name} reacted with 👍"
    )

    chip.click()
    expect(chip).to_have_text("👍1")
    expect(mine_for_ada).to_have_attribute("aria-pressed", "true")

    # The picker by keyboard: its search finds an emoji by name.
    ada.message("Lunch at noon?").locator(".message-react").press("Enter")
    ada.page.locator(".emoji-search").fill("party")
    ada.page.locator(".emoji-grid:not(.emoji-frequent) .emoji-choice").first.press("Enter")
    expect(grace.message("Lunch at noon?").locator(".reaction-chip")).to_have_count(2)
    assert ada.dialogs == []
    assert grace.dialogs == []


def test_a_reply_quotes_and_jumps_to_the_original_and_pins_show_for_everyone(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    ada, grace = people(room.owner), people(room.member)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    grace.send("Who brings the cake on Friday?")
    expect(ada.message("Who brings the cake")).to_have_count(1)
    post_over_a_socket(daphne_server, room.slug, room.member, *(f"filler {n}" for n in range(12)))
    expect(ada.message("filler 11")).to_have_count(1)

    original = ada.message("Who brings the cake")
    original.hover()
    original.locator(".message-reply").click()
    expect(ada.page.locator("#reply-strip")).to_contain_text("Who brings the cake on Friday?")
    ada.send("I do, chocolate.")
    expect(ada.page.locator("#reply-strip")).to_be_hidden()

    reply = grace.message("I do, chocolate.")
    expect(reply.locator(".message-quote")).to_contain_text("Who brings the cake on Friday?")
    reply.locator(".message-quote").click()
    expect(grace.message("Who brings the cake")).to_have_class(re.compile(r"\bis-focused\b"))

    # Ada owns the room: she pins; Grace, a member, is offered no pin button.
    expect(grace.page.locator(".message-pin")).to_have_count(0)
    original.hover()
    original.locator(".message-pin").click()
    expect(grace.message("Who brings the cake").locator(".message-pinned")).to_have_count(1)
    expect(grace.page.locator("#pins-toggle .pins-count")).to_have_text("1")
    ada.message("I do, chocolate.").hover()
    ada.message("I do, chocolate.").locator(".message-react").click()
    ada.page.get_by_role("button", name="React with 🎉").click()
    expect(grace.message("I do, chocolate.").locator(".reaction-chip")).to_have_text("🎉1")

    grace.page.locator("#message-scroller").evaluate("node => node.scrollTop = node.scrollHeight")
    grace.page.locator("#pins-toggle").click()
    panel = grace.page.locator("#pins-panel")
    expect(panel.locator(".pin")).to_have_count(1)
    expect(panel).to_contain_text("Who brings the cake on Friday?")
    grace.shoot(screenshots_dir, "pins-panel", prefix="reactions")
    panel.locator(".pin-jump").click()
    expect(panel).to_be_hidden()
    expect(grace.message("Who brings the cake")).to_be_in_viewport()
    reply.scroll_into_view_if_needed()
    grace.shoot(screenshots_dir, "reply-reactions-pin", prefix="reactions")

    original.hover()
    original.locator(".message-pin").click()  # unpin
    expect(grace.page.locator("#pins-toggle .pins-count")).to_have_text("")
    expect(grace.message("Who brings the cake").locator(".message-pinned")).to_have_count(0)


def test_the_author_opens_the_earlier_versions_and_other_members_see_plain_text(
    room: RoomOfTwo, people
):
    ada, grace = people(room.owner), people(room.member)
    grace.open_room(room.slug)
    ada.open_room(room.slug)
    grace.send("Meeting at 3pm in room B")
    expect(ada.message("Meeting at 3pm")).to_have_count(1)
    grace.message("Meeting at 3pm").hover()
    grace.message("Meeting at 3pm").locator(".message-edit").click()
    edit = grace.page.locator(".message-edit-form textarea")
    edit.fill("Meeting at 4pm in room B")
    edit.press("Enter")

    expect(grace.message("Meeting at 4pm").locator("button.message-edited")).to_have_count(1)
    # Ada owns the room, so she may see the versions too; a plain member would see text.
    expect(ada.message("Meeting at 4pm").locator("button.message-edited")).to_have_count(1)
    grace.message("Meeting at 4pm").locator("button.message-edited").click()
    dialog = grace.page.locator("#edit-history")
    expect(dialog.locator(".edit-version")).to_have_count(2)
    expect(dialog.locator(".edit-version").first).to_contain_text("Meeting at 3pm in room B")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_a_quote_of_a_message_older_than_the_page_loads_it_there_and_highlights_it(
    daphne_server, room: RoomOfTwo, people
):
    """The original is pages older than what the room opens with: a click on the quote
    loads the older pages, scrolls to the original and highlights it, on the same page."""
    post_through_the_service(daphne_server, room.slug, room.owner_name, 80, days_ago=1)
    history = room.owner.get(f"/rooms/{room.slug}/messages/?limit=100").json()["messages"]
    old = next(m for m in history if m["body"] == "Old message 3")
    post_over_a_socket(daphne_server, room.slug, room.member, "Yes, that one.", reply_to=old["id"])

    grace = people(room.member)
    grace.open_room(room.slug)
    exactly_old_3 = re.compile(r"^\s*Old message 3\s*$")
    expect(grace.bodies(exactly_old_3)).to_have_count(0)
    grace.page.evaluate("window.stillThisPage = true")  # gone if the page navigated
    grace.message("Yes, that one.").locator(".message-quote").click()

    target = grace.message("Old message 3", exact=True)
    expect(target).to_have_class(re.compile(r"\bis-focused\b"))
    expect(target).to_be_in_viewport()
    assert grace.page.evaluate("window.stillThisPage") is True
    assert "?at=" not in grace.page.url
