"""The room page's connection as its reader sees it: a stalled connection is noticed and
caught up on, and a server that refuses the socket is explained in its own words.

The server pings every second here, so the page gives up on a silent connection after
2 * 1 + 5 = 7 seconds (the shared heartbeat contract).
"""

import contextlib
import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from websockets.sync.client import connect

from chatclient.client import cookie_header
from chatclient.server import LiveServer
from tests.support.browser import people_opener, post_over_a_socket
from tests.support.live_server import RoomOfTwo
from tests.support.proxy import TcpProxy

pytestmark = [pytest.mark.browser, pytest.mark.live]

MAX_SOCKETS = 3

RECORD_BADGE_STATES = """() => {
  const badge = document.getElementById("connection-state");
  window.badgeStates = [];
  new MutationObserver(() => window.badgeStates.push([badge.dataset.state, badge.textContent]))
    .observe(badge, { attributes: true, attributeFilter: ["data-state"] });
}"""


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("browser-connection"),
        extra_env={
            "PARLEY_PING_INTERVAL": "1",
            "PARLEY_MAX_SOCKETS_PER_USER": str(MAX_SOCKETS),
            # Two messages at once, then one a second: a quick third is rate-limited.
            "PARLEY_MESSAGE_BURST": "2",
            "PARLEY_MESSAGE_RATE": "1",
        },
    ).start()
    yield server
    server.stop()


@pytest.fixture
def proxy(daphne_server) -> Iterator[TcpProxy]:
    proxy = TcpProxy(daphne_server.port).start()
    yield proxy
    proxy.close()


def test_a_stalled_connection_is_noticed_and_the_page_catches_up_after_reconnecting(
    browser: Browser, daphne_server, room: RoomOfTwo, proxy, screenshots_dir
):
    for open_person in people_opener(browser, daphne_server, base_url=proxy.base_url):
        grace = open_person(room.member)
        grace.open_room(room.slug)
        state = grace.page.locator("#connection-state")
        constants = json.loads(grace.page.locator("#parley-constants").text_content())
        assert constants["ping_interval"] == 1

        # Every state the badge passes through, with its text: the page may be
        # "Reconnecting" for less than a second, shorter than a locator's polling.
        grace.page.evaluate(RECORD_BADGE_STATES)

        proxy.stall()
        post_over_a_socket(daphne_server, room.slug, room.owner, "said while you were away")

        # Nothing closed the connection: the page works out by itself that it is dead.
        expect(grace.message("said while you were away")).to_have_count(1, timeout=30_000)
        expect(state).to_have_attribute("data-state", "online")
        shown = grace.page.evaluate("() => window.badgeStates")
        assert any(badge == "reconnecting" and "Reconnecting" in text for badge, text in shown), (
            shown
        )
        handshake = f" /ws/rooms/{room.slug}/"
        room_handshakes = [line for line in proxy.request_lines if handshake in line]
        assert len(room_handshakes) >= 2, proxy.request_lines
        grace.shoot(screenshots_dir, "caught-up-after-a-stall")
        # The sidebar's socket came through the same stall and reconnected too.
        for _ in range(150):  # bounded: fifteen seconds at most
            if proxy.requests_for("/ws/inbox/") >= 2:
                break
            grace.page.wait_for_timeout(100)
        assert proxy.requests_for("/ws/inbox/") >= 2, proxy.request_lines


def test_too_many_open_sockets_is_explained_as_too_many_tabs(
    browser: Browser, daphne_server, room: RoomOfTwo, screenshots_dir
):
    headers = {"Origin": daphne_server.base_url, "Cookie": cookie_header(room.member)}
    url = f"{daphne_server.ws_url}/ws/rooms/{room.slug}/"
    with contextlib.ExitStack() as stack:
        for _ in range(MAX_SOCKETS):
            socket = stack.enter_context(connect(url, additional_headers=headers))
            socket.recv(timeout=5)  # its history: the socket holds a slot
        for open_person in people_opener(browser, daphne_server):
            grace = open_person(room.member)
            grace.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/")
            expect(grace.notice).to_contain_text("Too many Parley tabs or windows are open")
            expect(grace.page.locator("#connection-state")).to_have_text("Paused…")
            grace.shoot(screenshots_dir, "too-many-tabs")


def test_rate_limited_messages_go_out_by_themselves_and_their_notice_goes_with_them(
    browser: Browser, daphne_server, room: RoomOfTwo, screenshots_dir
):
    for open_person in people_opener(browser, daphne_server):
        grace = open_person(room.member)
        grace.open_room(room.slug)
        bodies = [f"quick message {n}" for n in range(1, 5)]
        for body in bodies:
            grace.send(body)
        expect(grace.notice).to_contain_text("You are sending messages too fast")
        grace.shoot(screenshots_dir, "rate-limited")
        stored = grace.page.locator("#messages li.message[data-id] .message-body")
        expect(stored).to_have_text(bodies, timeout=15_000)
        expect(grace.notice).to_be_hidden()


# --- The page's side of the heartbeat and close-code contract, against a scripted socket ---


class ScriptedRoomSocket:
    """Stands in for the server's room socket: greets with an empty history, then does
    what the test says; it records what the page sends and how often it connects."""

    def __init__(self, page, *, then) -> None:
        self.connections = 0
        self.received: list[dict] = []
        self.then = then
        page.route_web_socket(re.compile(r"/ws/rooms/"), self.accept)

    def accept(self, socket) -> None:
        self.connections += 1
        socket.on_message(lambda text: self.received.append(json.loads(text)))
        socket.send(json.dumps({"type": "history", "messages": [], "has_more": False}))
        self.then(self, socket)


def test_the_page_answers_a_ping_with_a_pong(browser: Browser, daphne_server, room: RoomOfTwo):
    for open_person in people_opener(browser, daphne_server):
        grace = open_person(room.member)
        script = ScriptedRoomSocket(
            grace.page, then=lambda _script, socket: socket.send(json.dumps({"type": "ping"}))
        )
        grace.open_room(room.slug)
        expect(grace.page.locator("#connection-state")).to_have_text("Connected")
        for _ in range(50):  # bounded: five seconds at most
            if {"type": "pong"} in script.received:
                break
            grace.page.wait_for_timeout(100)
        assert {"type": "pong"} in script.received, script.received


def test_flooding_is_explained_as_sending_too_fast_and_waits_before_reconnecting(
    browser: Browser, daphne_server, room: RoomOfTwo, screenshots_dir
):
    for open_person in people_opener(browser, daphne_server):
        grace = open_person(room.member)
        script = ScriptedRoomSocket(
            grace.page, then=lambda _script, socket: socket.close(code=4420, reason="flooding")
        )
        grace.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/")
        expect(grace.notice).to_have_text(
            "You were sending too fast, so the connection was closed. Retrying in 30 s."
        )
        expect(grace.page.locator("#connection-state")).to_have_text("Paused…")
        grace.page.wait_for_timeout(2000)
        assert script.connections == 1  # no hammering while paused
        grace.shoot(screenshots_dir, "flooding")


def test_no_answer_to_ping_just_reconnects(browser: Browser, daphne_server, room: RoomOfTwo):
    def close_the_first(script: ScriptedRoomSocket, socket) -> None:
        if script.connections == 1:
            socket.close(code=4408, reason="no answer to ping")

    for open_person in people_opener(browser, daphne_server):
        grace = open_person(room.member)
        script = ScriptedRoomSocket(grace.page, then=close_the_first)
        grace.page.goto(f"{daphne_server.base_url}/rooms/{room.slug}/")
        for _ in range(50):  # bounded: the first backoff is well under a second
            if script.connections == 2:
                break
            grace.page.wait_for_timeout(100)
        assert script.connections == 2
        expect(grace.page.locator("#connection-state")).to_have_text("Connected")
        expect(grace.notice).to_be_hidden()
