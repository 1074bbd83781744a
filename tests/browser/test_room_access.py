"""The room page with the keyboard alone, and with names too long for their place."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import post_form
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]

# Tabs from the top of the page to the skip link: the top bar's links come first.
MOST_TABS_TO_THE_SKIP_LINK = 8
LONG_NAME = "Maximiliana Theodora Wilhelmina von Hohenzollern-Sigmaringen III"


def test_a_moderator_reaches_the_composer_from_the_top_in_a_few_tabs(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    ada = people(room.owner)  # the owner: every moderation link is on her page
    ada.open_room(room.slug)
    ada.page.locator(".brand").focus()  # start where a keyboard user starts: the top

    skip = ada.page.locator(".skip-link")
    for _ in range(MOST_TABS_TO_THE_SKIP_LINK):
        ada.page.keyboard.press("Tab")
        if skip.evaluate("link => link === document.activeElement"):
            break
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    expect(skip).to_have_text("Skip to composer")
    ada.shoot(screenshots_dir, "skip-link")

    ada.page.keyboard.press("Enter")
    expect(ada.composer).to_be_focused()


def test_arrow_up_in_an_empty_composer_edits_my_last_message(
    daphne_server, room: RoomOfTwo, people
):
    grace = people(room.member)
    grace.open_room(room.slug)
    grace.send("my first")
    grace.send("my latset")
    expect(grace.page.locator("#messages li.message[data-id]")).to_have_count(2)

    grace.composer.press("ArrowUp")
    editor = grace.message("my latset").locator(".message-edit-form textarea")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("my latset")
    grace.page.keyboard.press("Control+A")
    grace.page.keyboard.type("my latest")
    grace.page.keyboard.press("Enter")
    edited = grace.page.locator("#messages li.message[data-id]").last
    expect(edited.locator(".message-body")).to_have_text("my latest")
    expect(edited.locator(".message-edited")).to_be_visible()
    expect(grace.composer).to_be_focused()

    # Escape leaves it as it was, and the composer has the focus again.
    grace.composer.press("ArrowUp")
    expect(grace.page.locator(".message-edit-form textarea")).to_be_focused()
    grace.page.keyboard.press("Escape")
    expect(grace.page.locator(".message-edit-form")).to_have_count(0)
    expect(edited.locator(".message-body")).to_have_text("my latest")
    expect(grace.composer).to_be_focused()

    # With a draft in it, ArrowUp moves the caret as usual.
    grace.composer.fill("a draft")
    grace.composer.press("ArrowUp")
    expect(grace.page.locator(".message-edit-form")).to_have_count(0)
    expect(grace.composer).to_have_value("a draft")


def test_a_long_display_name_ends_in_an_ellipsis_and_keeps_its_presence_dot(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    post_form(room.member, "/accounts/profile/", {"display_name": LONG_NAME})
    grace = people(room.member)
    grace.open_room(room.slug)
    ada = people(room.owner)
    ada.open_room(room.slug)

    entry = ada.page.locator(f'#online li[data-username="{room.member_name}"]')
    expect(entry).to_have_attribute("title", re.compile(re.escape(LONG_NAME)))
    box = ada.page.locator("#online").bounding_box()
    dot = entry.locator(".presence-dot").bounding_box()
    name = entry.locator(".online-name")
    assert dot is not None
    assert dot["width"] > 0, dot
    assert box["x"] <= dot["x"], (dot, box)
    assert dot["x"] + dot["width"] <= box["x"] + box["width"], (dot, box)
    name_box = name.bounding_box()
    assert name_box["x"] + name_box["width"] <= box["x"] + box["width"] + 0.5, (name_box, box)
    # Cut short on screen, whole in the page.
    assert name.evaluate("span => span.scrollWidth > span.clientWidth")
    expect(name).to_have_text(LONG_NAME)
    ada.shoot(screenshots_dir, "long-name")
