"""The room page follows what I may do there, live: refused messages keep their text,
notices and the composer follow lock, archive, mute and slow mode without a reload, a
rename and a removal reach the open page.

Screenshots (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from chatclient.client import create_room, join_room
from tests.support.browser import (
    member_action,
    mute_for_seconds,
    switch,
)
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]

STORED = re.compile(r"\d+")  # a message with an id: the server acknowledged it
LOCKED = "This room is locked: only moderators can post."
ARCHIVED = "This room is archived: it is read-only."


# --- A refused message keeps its text ----------------------------------------------------


def test_a_message_held_back_by_slow_mode_is_shown_and_arrives_by_itself(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    switch(room.owner, room.slug, "slow-mode", seconds="3")
    grace = people(room.member)
    grace.open_room(room.slug)
    expect(grace.room_state).to_have_text("Slow mode: one message every 3 seconds.")

    grace.send("first, straight through")
    expect(grace.message("first, straight through")).to_have_attribute("data-id", STORED)
    grace.send("second, after the wait")
    held = grace.message("second, after the wait")
    expect(held.locator(".message-status")).to_contain_text("sending again in")
    expect(held.locator("button", has_text="Edit")).to_be_visible()
    expect(grace.notice).to_contain_text("Slow mode is on")
    grace.shoot(screenshots_dir, "slow-mode-waiting")

    # Nobody presses anything: once the wait is over it is sent and acknowledged.
    expect(held).to_have_attribute("data-id", STORED, timeout=10_000)
    expect(held).not_to_have_class(re.compile("is-pending"))
    # ... and the notice that asked for the wait goes with it.
    expect(grace.notice).to_be_hidden()


def test_a_message_held_back_by_slow_mode_can_be_taken_back_into_the_composer(
    daphne_server, room: RoomOfTwo, people
):
    switch(room.owner, room.slug, "slow-mode", seconds="60")
    grace = people(room.member)
    grace.open_room(room.slug)
    grace.send("first")
    expect(grace.message("first")).to_have_attribute("data-id", STORED)
    grace.send("a thought worth keeping")
    held = grace.message("a thought worth keeping")
    expect(held.locator(".message-status")).to_contain_text("sending again in")

    held.locator("button", has_text="Edit").click()
    expect(grace.composer).to_have_value("a thought worth keeping")
    expect(grace.composer).to_be_focused()
    expect(grace.message("a thought worth keeping")).to_have_count(0)


def test_a_muted_members_unsent_message_keeps_its_text_with_retry_edit_and_copy(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    """Written before the mute, sent after it: refused, but the words are still there."""
    member_action(room.owner, room.slug, room.member_name, "mute", minutes="30")
    grace = people(room.member)
    grace.context.grant_permissions(["clipboard-read", "clipboard-write"])
    grace.leave_in_the_outbox(room.member_name, room.slug, "written on the train")
    grace.open_room(room.slug)

    refused = grace.message("written on the train")
    expect(refused).to_have_class(re.compile("is-failed"))
    expect(refused.locator(".message-status")).to_have_text("not sent")
    for label in ("Retry", "Edit", "Copy"):
        expect(refused.locator("button", has_text=label)).to_be_visible()
    # Why, said once, beside a composer that does not take input.
    expect(grace.room_state).to_contain_text("You are muted in this room until")
    expect(grace.page.get_by_text("You are muted in this room until")).to_have_count(1)
    expect(grace.composer).to_be_disabled()
    grace.shoot(screenshots_dir, "muted-refused")

    # A reload keeps it, refused and not sent again.
    grace.open_room(room.slug)
    expect(refused).to_have_class(re.compile("is-failed"))
    expect(refused.locator(".message-status")).to_have_text("not sent")

    refused.locator("button", has_text="Copy").click()
    expect(refused.locator("button", has_text="Copied")).to_be_visible()
    assert grace.page.evaluate("() => navigator.clipboard.readText()") == "written on the train"

    refused.locator("button", has_text="Edit").click()
    expect(grace.composer).to_have_value("written on the train")
    expect(grace.message("written on the train")).to_have_count(0)

    # Unmuted: the composer opens, live, with the text still in it, and it goes out.
    grace.page.evaluate("() => { window.notReloaded = true; }")
    member_action(room.owner, room.slug, room.member_name, "unmute")
    expect(grace.composer).to_be_enabled()
    expect(grace.room_state).to_be_hidden()
    grace.composer.press("Enter")
    expect(grace.message("written on the train")).to_have_attribute("data-id", STORED)
    assert grace.page.evaluate("() => window.notReloaded") is True


def test_retry_sends_a_refused_message_again_once_the_refusal_is_lifted(
    daphne_server, room: RoomOfTwo, people
):
    switch(room.owner, room.slug, "lock")
    grace = people(room.member)
    grace.leave_in_the_outbox(room.member_name, room.slug, "let me in")
    grace.open_room(room.slug)
    refused = grace.message("let me in")
    expect(refused).to_have_class(re.compile("is-failed"))

    switch(room.owner, room.slug, "unlock")
    expect(grace.composer).to_be_enabled()
    refused.locator("button", has_text="Retry").click()
    expect(grace.message("let me in")).to_have_attribute("data-id", STORED)


# --- Notices and the composer follow the state live ----------------------------------------


def test_lock_and_archive_disable_the_composer_and_lifting_them_clears_the_notice_live(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    grace = people(room.member)
    grace.open_room(room.slug)
    ada = people(room.owner)
    ada.open_room(room.slug)
    grace.page.evaluate("() => { window.notReloaded = true; }")

    switch(room.owner, room.slug, "lock")
    expect(grace.room_state).to_have_text(LOCKED)
    expect(grace.page.get_by_text(LOCKED)).to_have_count(1)
    expect(grace.composer).to_be_disabled()
    expect(grace.page.locator("#composer button[type=submit]")).to_be_disabled()
    # The owner may still post in a locked room: told the rule, not refused.
    expect(ada.room_state).to_have_text(LOCKED)
    expect(ada.composer).to_be_enabled()
    grace.shoot(screenshots_dir, "locked")

    switch(room.owner, room.slug, "unlock")
    expect(grace.room_state).to_be_hidden()
    expect(grace.composer).to_be_enabled()
    grace.send("free to talk again")
    expect(grace.message("free to talk again")).to_have_attribute("data-id", STORED)
    expect(grace.notice).to_be_hidden()

    switch(room.owner, room.slug, "archive")
    expect(grace.room_state).to_have_text(ARCHIVED)
    expect(grace.composer).to_be_disabled()
    expect(ada.composer).to_be_disabled()
    grace.shoot(screenshots_dir, "archived")
    switch(room.owner, room.slug, "unarchive")
    expect(grace.room_state).to_be_hidden()
    expect(grace.composer).to_be_enabled()
    assert grace.page.evaluate("() => window.notReloaded") is True


def test_a_locked_room_says_so_once_when_the_page_opens(daphne_server, room: RoomOfTwo, people):
    switch(room.owner, room.slug, "lock")
    grace = people(room.member)
    grace.open_room(room.slug)
    expect(grace.page.get_by_text(LOCKED)).to_have_count(1)
    expect(grace.composer).to_be_disabled()


def test_mute_and_unmute_reach_the_open_page_without_a_reload(
    daphne_server, room: RoomOfTwo, people
):
    grace = people(room.member)
    grace.open_room(room.slug)
    grace.page.evaluate("() => { window.notReloaded = true; }")

    member_action(room.owner, room.slug, room.member_name, "mute", minutes="10")
    expect(grace.room_state).to_contain_text("You are muted in this room until")
    expect(grace.composer).to_be_disabled()
    member_action(room.owner, room.slug, room.member_name, "unmute")
    expect(grace.room_state).to_be_hidden()
    expect(grace.composer).to_be_enabled()
    assert grace.page.evaluate("() => window.notReloaded") is True


def test_a_mute_that_runs_out_lifts_itself_on_the_open_page(daphne_server, room: RoomOfTwo, people):
    mute_for_seconds(daphne_server, room.slug, room.member_name, 10)
    grace = people(room.member)
    grace.open_room(room.slug)
    expect(grace.room_state).to_contain_text("You are muted in this room until")
    expect(grace.composer).to_be_disabled()
    # No event marks the end of a mute: the page knows when it is.
    expect(grace.room_state).to_be_hidden(timeout=20_000)
    expect(grace.composer).to_be_enabled()


# --- A rename and a removal reach the open page --------------------------------------------


def test_a_rename_on_the_settings_page_updates_every_place_the_member_sees_it(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    grace = people(room.member)
    grace.open_room(room.slug)
    expect(grace.page.locator(".chat-description")).to_be_hidden()
    ada = people(room.owner)
    ada.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/settings/")
    ada.page.fill("#id_name", "Kitchen Talk")
    ada.page.fill("#id_description", "Recipes, mostly")
    ada.page.locator("form.form button[type=submit]").first.click()
    expect(ada.page.locator(".flash")).to_contain_text("Room settings saved.")

    expect(grace.page.locator(".chat-title")).to_have_text("Kitchen Talk")
    expect(grace.page.locator(".chat-description")).to_have_text("Recipes, mostly")
    expect(grace.page.locator(".chat-description")).to_be_visible()
    expect(grace.page).to_have_title("Kitchen Talk · Parley")
    sidebar = grace.page.locator(f'#sidebar [data-slug="{room.slug}"] .sidebar-name')
    expect(sidebar).to_have_text("Kitchen Talk")
    expect(grace.composer).to_have_attribute("placeholder", "Message Kitchen Talk")
    grace.shoot(screenshots_dir, "renamed")


def test_a_kicked_member_loses_the_composer_the_leave_button_and_the_sidebar_entry(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    elsewhere = create_room(room.owner, "Elsewhere")
    join_room(room.member, elsewhere)
    grace = people(room.member)
    grace.open_room(room.slug)
    other_page = grace.context.new_page()
    other_page.goto(f"{daphne_server.base_url}/rooms/{elsewhere}/")
    expect(other_page.locator("#connection-state")).to_have_attribute("data-state", "online")
    expect(other_page.locator(f'#sidebar [data-slug="{room.slug}"]')).to_have_count(1)

    member_action(room.owner, room.slug, room.member_name, "kick", reason="")

    expect(grace.notice).to_have_text(
        "A moderator removed you from this room. You may join it again."
    )
    expect(grace.page.locator("#composer")).to_be_hidden()
    expect(grace.page.locator("#leave-room")).to_be_hidden()
    expect(grace.page.locator(f'#sidebar [data-slug="{room.slug}"]')).to_have_count(0)
    expect(grace.page.locator("#connection-state")).to_have_text("Disconnected")
    # Her other page's sidebar drops the room too, badge and all.
    expect(other_page.locator(f'#sidebar [data-slug="{room.slug}"]')).to_have_count(0)
    expect(other_page.locator(f'#sidebar [data-slug="{elsewhere}"]')).to_have_count(1)
    grace.shoot(screenshots_dir, "kicked")


def test_a_banned_member_is_told_so_and_cannot_post(daphne_server, room: RoomOfTwo, people):
    grace = people(room.member)
    grace.open_room(room.slug)
    member_action(room.owner, room.slug, room.member_name, "ban", reason="")
    expect(grace.notice).to_have_text("A moderator banned you from this room.")
    expect(grace.page.locator("#composer")).to_be_hidden()
    expect(grace.page.locator("#leave-room")).to_be_hidden()
    expect(grace.page.locator(f'#sidebar [data-slug="{room.slug}"]')).to_have_count(0)
