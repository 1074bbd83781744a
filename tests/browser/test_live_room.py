"""The live room in two browsers: presence, typing, unread counts, mentions, formatting,
older history and direct messages, as the people using it see them.

Each test opens its own browser contexts (one per person) on one daphne process; the
screenshots (desktop 1280x800 and phone 375x812) go to test-artifacts/screenshots/.
"""

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from chatclient.client import create_room, join_room, signup
from chatclient.server import LiveServer, sending_limits
from tests.support.browser import post_over_a_socket
from tests.support.live_server import PASSWORD, RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]

OLDER_MESSAGES = 70  # more than the 50 a page is greeted with


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The browsers' server, with a message allowance big enough to seed a long history."""
    server = LiveServer(
        tmp_path_factory.mktemp("browser-live-room"),
        extra_env=sending_limits(burst=500),
    ).start()
    yield server
    server.stop()


# --- Presence and typing ---------------------------------------------------------------


def test_presence_and_typing_appear_and_disappear_live(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    ada = people(room.owner)
    ada.open_room(room.slug)
    expect(ada.online(room.owner_name)).to_have_count(1)
    expect(ada.online(room.member_name)).to_have_count(0)

    grace = people(room.member)
    grace.open_room(room.slug)
    expect(ada.online(room.member_name)).to_have_count(1)
    expect(grace.page.locator("#online li[data-username]")).to_have_count(2)

    composer = grace.page.locator("#composer-input")
    composer.press_sequentially("Hel")
    expect(ada.page.locator("#typing")).to_have_text(f"{room.member_name} is typing…")
    expect(grace.page.locator("#typing")).to_have_text("")
    ada.shoot(screenshots_dir, "typing", prefix="live-room")

    composer.fill("")  # the draft is gone: she stopped typing
    expect(ada.page.locator("#typing")).to_have_text("")

    composer.press_sequentially("Hello, Ada")
    expect(ada.page.locator("#typing")).to_have_text(f"{room.member_name} is typing…")
    composer.press("Enter")  # sending clears it too
    expect(ada.page.locator("#messages .message-body").filter(has_text="Hello, Ada")).to_have_count(
        1
    )
    expect(ada.page.locator("#typing")).to_have_text("")

    grace.page.close()
    expect(ada.online(room.member_name)).to_have_count(0)
    expect(ada.online(room.owner_name)).to_have_count(1)
    ada.shoot(screenshots_dir, "presence", prefix="live-room")


# --- Unread counts and mentions ----------------------------------------------------------


def test_unread_counts_and_a_mention_move_live_in_the_sidebar_and_the_room_list(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    """Ada reads another room while Grace writes in the first; opening it clears the counts."""
    second = create_room(room.owner, f"Second {uuid.uuid4().hex[:6]}")
    join_room(room.member, second)
    ada = people(room.owner)
    ada.open_room(second)
    room_list = ada.context.new_page()
    room_list.goto(f"{daphne_server.base_url}/rooms/")
    listed = room_list.locator(f'[data-slug="{room.slug}"]')
    grace = people(room.member)
    grace.open_room(room.slug)
    expect(ada.badge(room.slug, "unread")).to_be_hidden()

    grace.send("Is anyone here?")
    expect(ada.badge(room.slug, "unread")).to_have_text("1")
    expect(ada.badge(room.slug, "unread")).to_be_visible()
    expect(listed.locator(".unread-count")).to_have_text("1")
    expect(ada.badge(room.slug, "mention")).to_be_hidden()

    composer = grace.page.locator("#composer-input")
    composer.press_sequentially(f"@{room.owner_name[:3]}")
    suggestion = grace.page.locator(f'#mention-suggestions li[data-username="{room.owner_name}"]')
    expect(suggestion).to_be_visible()
    composer.press("Tab")
    expect(composer).to_have_value(f"@{room.owner_name} ")
    composer.press_sequentially("could you look at this?")
    composer.press("Enter")

    expect(ada.badge(room.slug, "unread")).to_have_text("2")
    expect(ada.badge(room.slug, "mention")).to_have_text("@1")
    expect(ada.page.locator("[data-total-mentions]")).to_have_text("1")
    expect(listed.locator(".unread-count")).to_have_text("2")
    expect(listed.locator(".mention-count")).to_have_text("@1")
    expect(ada.badge(second, "unread")).to_be_hidden()
    ada.shoot(screenshots_dir, "unread-sidebar", prefix="live-room")
    room_list.screenshot(path=screenshots_dir / "live-room-unread-room-list-desktop.png")

    ada.open_room(room.slug)
    mentioning = ada.page.locator("#messages li.message.mentions-me")
    expect(mentioning).to_have_count(1)
    expect(mentioning.locator("span.mention")).to_have_text(f"@{room.owner_name}")
    expect(ada.page.locator("#messages .unread-divider")).to_have_count(1)
    # Reading here clears the counts on the other open page too.
    expect(listed.locator(".unread-count")).to_be_hidden()
    expect(listed.locator(".mention-count")).to_be_hidden()
    expect(ada.badge(room.slug, "unread")).to_be_hidden()
    ada.shoot(screenshots_dir, "mention", prefix="live-room")


# --- Formatting and hostile markup --------------------------------------------------------

XSS = [
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "<img src=x onerror=\"window.pwned='img';alert(1)\">",
    "<svg onload=\"window.pwned='svg'\"><script>window.pwned='script'</script></svg>",
    '<a href="javascript:alert(1)">a link</a>',
    "<iframe src=\"javascript:window.parent.pwned='iframe'\"></iframe>",
    "![x](https://example.com/x.png)",
    '[style](https://example.com "t" style="position:fixed")',
]


def test_formatting_is_rendered_and_hostile_markup_stays_inert(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    ada = people(room.owner)
    ada.open_room(room.slug)
    grace = people(room.member)
    grace.open_room(room.slug)

    grace.send("**bold** _italic_ `code()` and https://example.com/docs")
    body = ada.page.locator("#messages li.message[data-id] .message-body").last
    expect(body.locator("strong")).to_have_text("bold")
    expect(body.locator("em")).to_have_text("italic")
    expect(body.locator("code")).to_have_text("code()")
    link = body.locator("a")
    expect(link).to_have_attribute("href", "https://example.com/docs")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "nofollow noopener noreferrer")

    for payload in XSS:
        grace.send(payload)
    expect(ada.page.locator("#messages li.message[data-id]")).to_have_count(1 + len(XSS))
    ada.page.locator("#messages .message-body").filter(has_text="click me").first.click()

    for person in (ada, grace):
        messages = person.page.locator("#messages")
        expect(messages.locator("li.message.is-pending")).to_have_count(0)
        for dangerous in ("script", "img", "svg", "iframe", "[style]", "[onerror]", "[onload]"):
            assert messages.locator(dangerous).count() == 0, dangerous
        hrefs = messages.locator("a").evaluate_all("links => links.map(a => a.href)")
        assert all(href.startswith(("http:", "https:")) for href in hrefs), hrefs
        assert person.page.evaluate("() => window.pwned") is None
        assert person.dialogs == []
    # What was typed is shown as text.
    expect(ada.page.locator("#messages .message-body").filter(has_text="onerror")).to_have_count(1)
    ada.shoot(screenshots_dir, "formatting", prefix="live-room")


# --- Older history -----------------------------------------------------------------------


def test_scrolling_to_the_top_loads_older_messages_without_moving_what_i_read(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    bodies = [f"Message number {n:02d}" for n in range(1, OLDER_MESSAGES + 1)]
    post_over_a_socket(daphne_server, room.slug, room.owner, *bodies)
    grace = people(room.member)
    grace.open_room(room.slug)
    shown = grace.page.locator("#messages li.message[data-id]")
    expect(shown).to_have_count(50)
    expect(shown.last).to_be_in_viewport()
    expect(grace.page.locator("#load-older")).to_be_visible()
    anchor = shown.first.get_attribute("data-id")

    # Scroll to the top and note where the first shown message is, before anything loads.
    top_before = grace.page.evaluate(
        """(id) => {
            document.getElementById("message-scroller").scrollTop = 0;
            return document.querySelector(`#messages li[data-id="${id}"]`)
                .getBoundingClientRect().top;
        }""",
        anchor,
    )

    expect(shown).to_have_count(OLDER_MESSAGES)
    expect(grace.page.locator("#load-older")).to_be_hidden()
    top_after = grace.page.evaluate(
        """(id) => document.querySelector(`#messages li[data-id="${id}"]`)
            .getBoundingClientRect().top""",
        anchor,
    )
    ids = [int(i) for i in shown.evaluate_all("items => items.map(li => li.dataset.id)")]
    assert ids == sorted(ids)
    assert shown.first.locator(".message-body").text_content() == "Message number 01"
    assert abs(top_after - top_before) <= 2, (top_before, top_after)
    grace.shoot(screenshots_dir, "older-history", prefix="live-room")


# --- Direct messages ---------------------------------------------------------------------


def test_a_direct_conversation_is_invisible_to_a_third_person(
    daphne_server, room: RoomOfTwo, people, screenshots_dir
):
    ada = people(room.owner)
    ada.page.goto(f"{daphne_server.base_url}/dm/{room.member_name}/")
    ada.page.get_by_role("button", name=f"Start a conversation with {room.member_name}").click()
    expect(ada.page.locator("#connection-state")).to_have_attribute("data-state", "online")
    dm_slug = ada.page.url.rstrip("/").rsplit("/", 1)[-1]
    assert dm_slug.startswith("dm-")
    expect(ada.page.locator(".chat-title")).to_have_text(room.member_name)
    ada.send("just between us")
    expect(ada.page.locator("#messages li.message[data-id]")).to_have_count(1)

    grace = people(room.member)
    grace.open_room(room.slug)
    expect(grace.badge(dm_slug, "unread")).to_have_text("1")
    grace.page.locator(f'#sidebar [data-slug="{dm_slug}"]').click()
    expect(grace.page.locator("#messages .message-body")).to_have_text(["just between us"])
    ada.shoot(screenshots_dir, "direct", prefix="live-room")

    mallory_client = signup(daphne_server.base_url, f"mallory-{uuid.uuid4().hex[:8]}", PASSWORD)
    try:
        mallory = people(mallory_client)
        mallory.page.goto(f"{daphne_server.base_url}/rooms/")
        assert dm_slug not in mallory.page.content()
        assert room.member_name not in mallory.page.locator("main").inner_text()
        refused = mallory.page.goto(f"{daphne_server.base_url}/rooms/{dm_slug}/")
        assert refused.status == 404
        assert "just between us" not in mallory.page.content()
        history = mallory.page.request.get(f"{daphne_server.base_url}/rooms/{dm_slug}/messages/")
        assert history.status == 404
        mallory.page.goto(f"{daphne_server.base_url}/search/?q=between")
        assert "just between us" not in mallory.page.content()
        mallory.shoot(screenshots_dir, "direct-third-person", prefix="live-room")
    finally:
        mallory_client.close()
