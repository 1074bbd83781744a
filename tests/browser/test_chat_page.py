"""The room page in a real browser: live delivery, composing, and user text kept as text."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from chatclient.server import LiveServer
from tests.support.browser import DESKTOP, PHONE, Person, outbox_key
from tests.support.live_server import PASSWORD, RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]

XSS = "<img src=x onerror=alert(1)>"


def log_in_through_the_form(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form:has(#id_login) [type=submit]").click()
    page.wait_for_url(f"{server.base_url}/rooms/")


@pytest.fixture
def chat(
    browser: Browser, daphne_server: LiveServer, room: RoomOfTwo, people
) -> Iterator[tuple[Person, Person]]:
    """The room open in two browsers: the owner logged in through the form, the member by cookie."""
    ada_context = browser.new_context(viewport=DESKTOP)
    ada = Person(ada_context, ada_context.new_page(), daphne_server.base_url)
    grace = people(room.member)
    log_in_through_the_form(ada.page, daphne_server, room.owner_name)
    ada.open_room(room.slug)
    grace.open_room(room.slug)
    yield ada, grace
    ada_context.close()


def test_a_message_sent_with_enter_appears_once_in_both_browsers(chat):
    """Enter sends; the other member sees it live and the sender sees it exactly once."""
    ada, grace = chat

    ada.send("Hello from Ada's browser")

    expect(grace.bodies("Hello from Ada's browser")).to_have_count(1)
    expect(ada.page.locator("#messages li.message[data-id]")).to_have_count(1)
    expect(ada.bodies("Hello from Ada's browser")).to_have_count(1)
    expect(ada.page.locator("#composer-input")).to_have_value("")


def test_load_older_stays_hidden_when_the_whole_history_is_shown(chat):
    """A room with a few messages has nothing older to load, so the button is not shown."""
    ada, grace = chat
    ada.send("The only message")
    expect(grace.bodies("The only message")).to_have_count(1)

    grace.page.reload()
    expect(grace.page.locator("#connection-state")).to_have_attribute("data-state", "online")

    expect(grace.bodies("The only message")).to_have_count(1)
    for member in (ada, grace):
        expect(member.page.locator("#load-older")).to_be_hidden()


def test_markup_in_a_message_is_shown_as_text_and_never_run(chat, screenshots_dir):
    """An HTML payload arrives as literal text: no element is created and no script runs."""
    ada, grace = chat
    ada.send("Try to break the page")
    expect(grace.bodies("Try to break the page")).to_have_count(1)

    grace.send(XSS)

    for member in (ada, grace):
        body = member.page.locator("#messages li.message[data-id] .message-body").last
        expect(body).to_have_text(XSS)
        assert body.text_content() == XSS
        assert member.page.locator("#messages img").count() == 0
        assert member.dialogs == []

    ada.page.screenshot(path=screenshots_dir / "room-desktop-ada.png")
    grace.page.screenshot(path=screenshots_dir / "room-desktop-grace.png")
    grace.page.set_viewport_size(PHONE)
    grace.page.screenshot(path=screenshots_dir / "room-phone-grace.png")


def test_shift_enter_makes_a_new_line_instead_of_sending(chat, room):
    """Shift+Enter adds a line break to the draft; the message sent later keeps it."""
    ada, _ = chat
    composer = ada.page.locator("#composer-input")

    composer.press_sequentially("first line")
    composer.press("Shift+Enter")
    composer.press_sequentially("second line")

    expect(composer).to_have_value("first line\nsecond line")
    expect(ada.page.locator("#messages li.message")).to_have_count(0)

    composer.press("Enter")

    body = ada.page.locator("#messages li.message[data-id] .message-body")
    expect(body).to_have_count(1)
    assert body.text_content() == "first line\nsecond line"
    stored = room.owner.get(f"/rooms/{room.slug}/messages/").json()["messages"]
    assert [message["body"] for message in stored] == ["first line\nsecond line"]


def test_a_message_left_in_the_outbox_is_sent_when_the_page_opens_again(
    people, daphne_server, room
):
    """An unacknowledged message survives in localStorage and is delivered, once, on return."""
    grace = people(room.member)
    grace.leave_in_the_outbox(room.member_name, room.slug, "Written before the tab crashed")
    page = grace.page

    page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/")

    sent = page.locator("#messages li.message[data-id] .message-body")
    expect(sent.filter(has_text="Written before the tab crashed")).to_have_count(1)
    expect(page.locator("#messages .is-pending")).to_have_count(0)
    key = outbox_key(room.member_name, room.slug)
    assert page.evaluate("(key) => localStorage.getItem(key)", key) is None
    page.reload()
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    expect(sent.filter(has_text="Written before the tab crashed")).to_have_count(1)
    stored = room.owner.get(f"/rooms/{room.slug}/messages/").json()["messages"]
    assert [m["client_id"] for m in stored] == ["offline-0"]


def promote_or_demote(room, action: str) -> None:
    changed = room.owner.post(
        f"/rooms/{room.slug}/members/{room.member_name}/",
        data={"action": action, "csrfmiddlewaretoken": room.owner.cookies["csrftoken"]},
    )
    assert changed.status_code == 302


def test_a_message_a_moderator_removes_vanishes_from_the_other_open_page(chat, room):
    """The owner makes Grace a moderator; she removes Ada's message; Ada's page drops it live."""
    ada, grace = chat
    ada.send("Something against the rules")
    ada.send("Something fine")
    expect(grace.bodies("Something fine")).to_have_count(1)
    offending = grace.page.locator("#messages li.message").filter(
        has_text="Something against the rules"
    )
    expect(offending.locator(".message-delete")).to_have_count(0)
    grace.page.evaluate("window.__marker = 'not reloaded'")

    promote_or_demote(room, "promote")
    # The open page gains the moderation controls in place, on messages already shown too.
    expect(offending.locator(".message-delete")).to_have_count(1)
    assert grace.page.evaluate("window.__marker") == "not reloaded"
    offending.hover()  # the message's buttons show on hover, or on focus from the keyboard
    offending.locator(".message-delete").click()
    offending.locator(".message-delete-form input").fill("spam")
    offending.locator(".message-delete-form [type=submit]").click()

    expect(ada.bodies("Something against the rules")).to_have_count(0)
    expect(grace.bodies("Something against the rules")).to_have_count(0)
    expect(ada.bodies("Something fine")).to_have_count(1)
    stored = room.owner.get(f"/rooms/{room.slug}/messages/").json()["messages"]
    assert [m["body"] for m in stored] == ["Something fine"]
    audit = room.owner.get(f"/rooms/{room.slug}/audit/")
    assert "spam" in audit.text


def test_a_role_change_shows_and_hides_the_controls_without_a_reload(chat, room):
    """Promoted, Grace's open page shows Invite, Settings, Audit log and delete buttons on
    others' messages; demoted, they go again; the page is never reloaded."""
    ada, grace = chat
    ada.send("Hello from the owner")
    ada_message = grace.page.locator("#messages li.message").filter(has_text="Hello from the owner")
    header = grace.page.locator(".chat-header")
    links = [header.get_by_role("link", name=name) for name in ("Invite", "Settings", "Audit log")]
    expect(ada_message).to_have_count(1)
    grace.page.evaluate("window.__marker = 'not reloaded'")

    promote_or_demote(room, "promote")
    for link in links:
        expect(link).to_be_visible()
    expect(ada_message.locator(".message-delete")).to_have_count(1)

    promote_or_demote(room, "demote")
    for link in links:
        expect(link).to_have_count(0)
    expect(ada_message.locator(".message-delete")).to_have_count(0)
    assert grace.page.evaluate("window.__marker") == "not reloaded"
    expect(grace.page.locator("#connection-state")).to_have_attribute("data-state", "online")


def test_an_author_edits_a_message_and_the_other_page_shows_the_new_text(chat):
    """Edit from the message menu; the other member sees the new text marked as edited."""
    ada, grace = chat
    ada.send("Helo everyone")
    expect(grace.bodies("Helo everyone")).to_have_count(1)

    mine = ada.page.locator("#messages li.message[data-id]").filter(has_text="Helo everyone")
    mine.hover()
    mine.locator(".message-edit").click()
    mine.locator(".message-edit-form textarea").fill("Hello everyone")
    mine.locator(".message-edit-form textarea").press("Enter")

    expect(grace.bodies("Hello everyone")).to_have_count(1)
    expect(grace.bodies("Helo everyone")).to_have_count(0)
    expect(grace.page.locator("#messages .message-edited")).to_have_count(1)


def test_a_kicked_member_is_told_plainly(chat, room):
    """Kicking closes the member's socket and their page says why instead of failing silently."""
    _, grace = chat
    kicked = room.owner.post(
        f"/rooms/{room.slug}/members/{room.member_name}/",
        data={"action": "kick", "csrfmiddlewaretoken": room.owner.cookies["csrftoken"]},
    )
    assert kicked.status_code == 302

    expect(grace.page.locator("#chat-notice")).to_contain_text("removed you from this room")
    expect(grace.page.locator("#connection-state")).to_have_attribute("data-state", "offline")
