"""People in browsers and the owner's moves over HTTP, for the browser tests."""

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect
from websockets.sync.client import connect

from chatclient.client import cookie_header
from chatclient.server import BIN, REPO_ROOT, LiveServer, sending_limits

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@dataclass
class Person:
    """One person's browser: a context of their own, logged in with their session cookie."""

    context: BrowserContext
    page: Page
    base_url: str
    dialogs: list[str] = field(default_factory=list)  # any alert() would be an injected script

    def __post_init__(self) -> None:
        self.page.on("dialog", self.record)

    def record(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open_room(self, slug: str) -> None:
        self.page.goto(f"{self.base_url}/rooms/{slug}/")
        expect(self.page.locator("#connection-state")).to_have_attribute("data-state", "online")

    def send(self, text: str) -> None:
        composer = self.page.locator("#composer-input")
        composer.fill(text)
        composer.press("Enter")

    def message(self, text: str, *, exact: bool = False) -> Locator:
        """The message whose body contains ``text`` or, ``exact``, is ``text`` and nothing
        else (so "Old message 3" is not also "Old message 30")."""
        has_text = re.compile(rf"^\s*{re.escape(text)}\s*$") if exact else text
        return self.page.locator("#messages li.message").filter(
            has=self.page.locator(".message-body", has_text=has_text)
        )

    def bodies(self, text: str | re.Pattern[str]) -> Locator:
        return self.page.locator("#messages .message-body").filter(has_text=text)

    def online(self, username: str) -> Locator:
        return self.page.locator(f'#online li[data-username="{username}"]')

    def badge(self, slug: str, kind: str) -> Locator:
        return self.page.locator(f'[data-slug="{slug}"] .{kind}-count')

    def leave_in_the_outbox(self, username: str, slug: str, *bodies: str) -> None:
        """Messages not yet acknowledged (``offline-<n>``), kept in localStorage as the page
        keeps them; written from another page of the site, before the room opens."""
        entries = [{"client_id": f"offline-{n}", "body": body} for n, body in enumerate(bodies)]
        self.page.goto(f"{self.base_url}/accounts/profile/")
        self.page.evaluate(
            "([key, value]) => localStorage.setItem(key, value)",
            [outbox_key(username, slug), json.dumps(entries)],
        )

    @property
    def composer(self) -> Locator:
        return self.page.locator("#composer-input")

    @property
    def room_state(self) -> Locator:
        return self.page.locator("#room-state")

    @property
    def notice(self) -> Locator:
        return self.page.locator("#chat-notice")

    def shoot(self, screenshots_dir, name: str, *, prefix: str = "room-state") -> None:
        """The page as it is now, on a desktop and on a phone."""
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=screenshots_dir / f"{prefix}-{name}-desktop.png")
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=screenshots_dir / f"{prefix}-{name}-phone.png")
        self.page.set_viewport_size(DESKTOP)


def people_opener(browser: Browser, server: LiveServer, base_url: str | None = None) -> Iterator:
    """Yields a function that opens a browser context for a logged-in HTTP client."""
    contexts: list[BrowserContext] = []
    url = base_url or server.base_url

    def open_(client: httpx.Client, viewport: dict = DESKTOP) -> Person:
        context = browser.new_context(viewport=viewport)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"], "url": url}]
        )
        contexts.append(context)
        return Person(context, context.new_page(), url)

    yield open_
    for context in contexts:
        context.close()


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> None:
    """A form POST as the browser makes it; the view answers with a redirect."""
    response = client.post(path, data={**data, "csrfmiddlewaretoken": client.cookies["csrftoken"]})
    assert response.status_code == 302, (path, response.status_code, response.text[:500])


def switch(client: httpx.Client, slug: str, name: str, **data: str) -> None:
    """Lock, unlock, archive, unarchive or slow-mode the room from its settings page."""
    post_form(client, f"/rooms/{slug}/settings/{name}/", data)


def member_action(client: httpx.Client, slug: str, username: str, action: str, **data) -> None:
    post_form(client, f"/rooms/{slug}/members/{username}/", {"action": action, **data})


def mute_for_seconds(server: LiveServer, slug: str, username: str, seconds: int) -> None:
    """A mute shorter than the members page offers (it counts minutes), through the service."""
    code = (
        "from datetime import timedelta\n"
        "from rooms.models import Membership\n"
        "from rooms.permissions import actor_get\n"
        "from rooms.services import member_mute\n"
        f"target = Membership.objects.select_related('user', 'room').get("
        f"room__slug={slug!r}, user__username={username!r})\n"
        "owner = target.room.memberships.get(role='owner').user\n"
        f"member_mute(actor=actor_get(user=owner, room=target.room), target=target, "
        f"duration=timedelta(seconds={seconds}), reason='')\n"
    )
    subprocess.run(
        [BIN / "python", "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env=server.env(),
        check=True,
        capture_output=True,
    )


def outbox_key(username: str, slug: str) -> str:
    return f"parley:outbox:{username}:{slug}"


def post_over_a_socket(
    server: LiveServer, slug: str, client: httpx.Client, *bodies: str, reply_to: int | None = None
) -> None:
    """Send messages as a plain websocket client, straight to the server, and wait until
    each is acknowledged; with ``reply_to``, each answers that message."""
    headers = {"Origin": server.base_url, "Cookie": cookie_header(client)}
    with connect(f"{server.ws_url}/ws/rooms/{slug}/", additional_headers=headers) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "history"
        for n, body in enumerate(bodies):
            frame = {"type": "message.send", "body": body, "client_id": f"direct-{n}"}
            if reply_to is not None:
                frame["reply_to"] = reply_to
            socket.send(json.dumps(frame))
        acknowledged = 0
        while acknowledged < len(bodies):
            frame = json.loads(socket.recv(timeout=5))
            assert frame["type"] != "error", frame
            acknowledged += frame["type"] == "message.new"


def post_through_the_service(
    server: LiveServer, slug: str, username: str, count: int, *, days_ago: int = 0
) -> None:
    """``count`` messages ("Old message <n>") by ``username``, stored as if written
    ``days_ago`` days back, a minute apart: a history longer than the rate limits let a
    test post over a socket."""
    code = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from accounts.models import User\n"
        "from messaging.models import Message\n"
        "from messaging.services import message_create\n"
        "from rooms.models import Room\n"
        f"room = Room.objects.get(slug={slug!r})\n"
        f"author = User.objects.get(username={username!r})\n"
        f"start = timezone.now() - timedelta(days={days_ago})\n"
        f"for n in range({count}):\n"
        "    message, _ = message_create(room=room, author=author, body=f'Old message {n}')\n"
        "    Message.objects.filter(pk=message.pk).update(\n"
        f"        created_at=start - timedelta(minutes={count} - n))\n"
    )
    subprocess.run(
        [BIN / "python", "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env={**server.env(), **sending_limits(burst=count + 10)},
        check=True,
        capture_output=True,
    )
