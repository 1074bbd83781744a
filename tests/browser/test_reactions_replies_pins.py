"""Reactions, replies, pins and earlier versions in two browsers, as the people see them.

Screenshots (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
"""

import pytest
from playwright.sync_api import expect

from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_reaction_appears_live_and_each_person_toggles_their_own(room: RoomOfTwo, people):
    ada, grace = people(room.owner), people(room.member)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    ada.send("Lunch at noon?")
    expect(grace.message("Lunch at noon?")).to_have_count(1)

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
        "title", f"{ada_name(ada)} and {grace_name(grace)} reacted with 👍"
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


def ada_name(person) -> str:
    return person.page.locator("li.message.is-mine .message-author").first.inner_text()


def grace_name(person) -> str:
    return person.page.locator("li.message:not(.is-mine) .message-author").first.inner_text()


def test_a_reply_quotes_and_jumps_to_the_original_and_pins_show_for_everyone(
    room: RoomOfTwo, people, screenshots_dir
):
    ada, grace = people(room.owner), people(room.member)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    grace.send("Who brings the cake on Friday?")
    for n in range(12):
        grace.send(f"filler {n}")
    expect(ada.message("filler 11")).to_have_count(1)

    original = ada.message("Who brings the cake")
    original.locator(".message-reply").click()
    expect(ada.page.locator("#reply-strip")).to_contain_text("Who brings the cake on Friday?")
    ada.send("I do, chocolate.")
    expect(ada.page.locator("#reply-strip")).to_be_hidden()

    reply = grace.message("I do, chocolate.")
    expect(reply.locator(".message-quote")).to_contain_text("Who brings the cake on Friday?")
    reply.locator(".message-quote").click()
    expect(grace.message("Who brings the cake")).to_have_class("message is-mine is-focused")

    # Ada owns the room: she pins; Grace, a member, is offered no pin button.
    expect(grace.page.locator(".message-pin")).to_have_count(0)
    original.locator(".message-pin").click()
    expect(grace.message("Who brings the cake").locator(".message-pinned")).to_have_count(1)
    expect(grace.page.locator("#pins-toggle .pins-count")).to_have_text("1")
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
