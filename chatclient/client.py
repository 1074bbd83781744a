"""A chat client that behaves like the room page, for the fault tests and the soak.

It keeps an outbox of unacknowledged messages and resends it after every
(re)connect, reconnects with backoff and jitter unless the close code is final
(``realtime.codes.FINAL_CLOSES``, as the page does), catches up with ``?after=``
and the history endpoint, and merges every copy of a message by id into one
ordered list. One deliberate difference from the page: its own acknowledgements
do not move the catch-up cursor (see ``ChatClient._merge``); ``page_cursor=True``
restores the page's rule. Raw counters say how it got there; ``problems`` collects
whatever broke the protocol's promises. The HTTP steps (sign up, create and join
rooms) go through the real forms.
"""

import asyncio
import bisect
import contextlib
import json
import random
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from realtime.codes import FINAL_CLOSES

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTTP_TIMEOUT = 10.0
PONG = json.dumps({"type": "pong"})
RETRIED_ERRORS = frozenset({"unavailable", "rate_limited"})
NO_CLOSE_FRAME = 1006
CATCH_UP_PAGE = 100


class StepFailed(AssertionError):
    """An HTTP step answered unexpectedly; an AssertionError, so tests report it as one."""


# ---------------------------------------------------------------------------
# HTTP steps
# ---------------------------------------------------------------------------


def _expect(ok: bool, response: httpx.Response) -> None:
    if not ok:
        request = response.request
        raise StepFailed(
            f"{request.method} {request.url.path} answered {response.status_code} "
            f"{response.headers.get('location', '')}\n{response.text[:2000]}"
        )


def _post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    # The unmasked cookie value is a valid form token, as Django's own JavaScript recipe uses.
    return client.post(path, data={**data, "csrfmiddlewaretoken": client.cookies["csrftoken"]})


def signup(
    base_url: str, username: str, password: str, *, source_address: str | None = None
) -> httpx.Client:
    """Sign up through allauth's real form; the client comes back logged in.

    ``source_address`` (e.g. another loopback address) makes the user arrive from its own IP,
    as real users do: allauth limits sign-ups per IP.
    """
    # trust_env off: traffic goes straight to the local server, never through a proxy.
    transport = httpx.HTTPTransport(local_address=source_address) if source_address else None
    client = httpx.Client(
        base_url=base_url, timeout=HTTP_TIMEOUT, trust_env=False, transport=transport
    )
    form = client.get("/accounts/signup/")
    form.raise_for_status()
    token = CSRF_INPUT.search(form.text)
    _expect(token is not None, form)
    response = client.post(
        "/accounts/signup/",
        data={
            "username": username,
            "email": "",
            "password1": password,
            "password2": password,
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    _expect(response.status_code == 302 and response.headers["location"] == "/rooms/", response)
    return client


def create_room(client: httpx.Client, name: str) -> str:
    response = _post(client, "/rooms/new/", {"name": name, "description": ""})
    _expect(response.status_code == 302, response)
    match = re.fullmatch(r"/rooms/([-\w]+)/", response.headers["location"])
    _expect(match is not None, response)
    return match.group(1)


def join_room(client: httpx.Client, slug: str) -> None:
    response = _post(client, f"/rooms/{slug}/join/", {})
    joined = response.status_code == 302 and response.headers["location"] == f"/rooms/{slug}/"
    _expect(joined, response)


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


def stored_messages(client: httpx.Client, slug: str) -> list[dict[str, Any]]:
    """Every message of the room, oldest first, paged through the history endpoint."""
    messages: list[dict[str, Any]] = []
    after = 0
    while True:
        response = client.get(
            f"/rooms/{slug}/messages/", params={"after": after, "limit": CATCH_UP_PAGE}
        )
        _expect(response.status_code == 200, response)
        page = response.json()
        messages += page["messages"]
        if not page["has_more"] or not page["messages"]:
            return messages
        after = page["messages"][-1]["id"]


async def wait_until(
    predicate: Callable[[], object], *, within: float, what: str | Callable[[], str] = ""
) -> None:
    """Poll ``predicate`` until it holds; ``TimeoutError`` naming ``what`` after ``within`` s.

    ``what`` may be a function, so the message can describe the state at the timeout.
    """
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise TimeoutError(f"not within {within} s: {described or predicate}")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------
# The websocket client
# ---------------------------------------------------------------------------


def _identity(message: dict[str, Any]) -> tuple[Any, ...]:
    # What no copy of a message may change; the body may, once edits exist.
    return (message["author"]["username"], message.get("client_id"), message.get("created_at"))


@dataclass
class ClientStats:
    """Raw counters: how the client reached its list, not whether the list is right."""

    connects: int = 0  # handshakes that succeeded
    sessions: int = 0  # sockets that delivered their history frame
    drops: int = 0  # sockets dropped on purpose
    transmissions: int = 0  # message.send frames written, first sends and resends
    overlaps: int = 0  # copies of a message already in the list (normal after catch-up)
    http_pages: int = 0
    frames: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    connect_failures: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - 1)


class ChatClient:
    """One member's socket to one room, as the page keeps it; ``start()`` runs it in a task."""

    def __init__(
        self,
        *,
        base_url: str,
        slug: str,
        username: str,
        cookies: httpx.Cookies,
        backoff_min: float = 0.5,
        backoff_max: float = 15.0,
        receive_buffer: int | None = None,
        page_cursor: bool = False,
    ) -> None:
        self.base_url = base_url
        self.slug = slug
        self.username = username
        self.cookies = cookies
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.receive_buffer = receive_buffer
        self.page_cursor = page_cursor
        self.outbox: dict[str, str] = {}  # client_id -> body, until acknowledged
        self.bodies: dict[str, str] = {}  # every message ever queued here
        self.sent_at: dict[str, float] = {}
        self.acknowledged: dict[str, int] = {}  # client_id -> stored id
        self.refused: dict[str, str] = {}  # client_id -> error code, given up for good
        self.ack_frames: Counter[str] = Counter()  # message.new frames carrying my client_id
        self.transmitted: Counter[str] = Counter()  # message.send frames written per client_id
        self.error_frames: list[dict[str, Any]] = []
        self.seen: dict[int, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []  # what the page would show, by id
        self.arrived_at: dict[int, float] = {}
        self.after: int | None = None  # where a reconnect catches up from (see _merge)
        self.final_close: int | None = None
        self.problems: list[str] = []
        self.stats = ClientStats()
        self.ready = asyncio.Event()  # set while a socket is open and caught up
        self._ws: ClientConnection | None = None
        self._live = asyncio.Event()  # cleared while paused: no reading, no reconnecting
        self._live.set()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._retries: Counter[str] = Counter()
        self._background: set[asyncio.Task] = set()
        self._http: httpx.AsyncClient | None = None

    # -- what a user (or a test) does -------------------------------------------------------

    def start(self) -> "ChatClient":
        self._task = asyncio.create_task(self._run(), name=f"chat-{self.username}")
        return self

    async def stop(self) -> None:
        self._stopping.set()
        self._live.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            await self._task
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> "ChatClient":
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def send(self, body: str, client_id: str | None = None) -> str:
        """Queue a message and send it if a socket is open; it stays queued until acknowledged."""
        client_id = client_id or uuid4().hex
        self.outbox[client_id] = body
        self.bodies[client_id] = body
        self.sent_at[client_id] = time.monotonic()
        await self._transmit(client_id)
        return client_id

    async def drop(self, *, graceful: bool = False) -> bool:
        """Lose the socket: aborted like a dead network, or closed without reading what is left."""
        ws, self._ws = self._ws, None
        if ws is None:
            return False
        self.stats.drops += 1
        self.ready.clear()
        if graceful:
            await ws.close()
        else:
            ws.transport.abort()
        return True

    def pause(self) -> None:
        """Stop reading (and reconnecting) until ``resume()``: a frozen tab or a slow reader."""
        self._live.clear()

    def resume(self) -> None:
        self._live.set()

    def describe(self) -> str:
        """One line of state, for the message of a failed wait."""
        stats = self.stats
        return (
            f"{self.username}: ready={self.ready.is_set()} after={self.after} "
            f"shown={len(self.messages)} outbox={len(self.outbox)} connects={stats.connects} "
            f"sessions={stats.sessions} closes={dict(stats.closes)} "
            f"failures={dict(stats.connect_failures)} errors={dict(stats.errors)}"
        )

    @property
    def ids(self) -> list[int]:
        return [message["id"] for message in self.messages]

    @property
    def resends(self) -> int:
        """Frames written for a message already written once."""
        return sum(count - 1 for count in self.transmitted.values() if count > 1)

    @property
    def duplicates(self) -> int:
        """Ids shown more than once; the merge must keep this at zero."""
        return len(self.messages) - len(set(self.ids))

    # -- the connection loop ------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            await self._live.wait()
            if self._stopping.is_set():
                return
            ws = await self._open()
            if ws is not None:
                if self._stopping.is_set():
                    await ws.close()
                    return
                code, served = await self._session(ws)
                if code in FINAL_CLOSES:
                    self.final_close = code
                    return
                if served:
                    failures = 0
            if self._stopping.is_set():
                return
            failures += 1
            ceiling = min(self.backoff_max, self.backoff_min * 2 ** (failures - 1))
            # Jitter spreads a crowd of reconnecting clients out, as the page does.
            await self._sleep(ceiling / 2 + random.random() * ceiling / 2)  # noqa: S311

    async def _open(self) -> ClientConnection | None:
        base = urlsplit(self.base_url)
        query = "" if self.after is None else f"?after={self.after}"
        url = f"ws://{base.netloc}/ws/rooms/{self.slug}/{query}"
        headers = {"Origin": self.base_url, "Cookie": self._cookie_header()}
        sock = None
        try:
            if self.receive_buffer:
                sock = await self._small_buffer_socket(base.hostname, base.port)
            return await websockets.connect(
                url,
                additional_headers=headers,
                open_timeout=5,
                close_timeout=2,
                max_size=2**24,  # a catch-up of 500 long messages is bigger than the 1 MiB default
                proxy=None,
                sock=sock,
            )
        except InvalidStatus as error:
            self.stats.connect_failures[f"http {error.response.status_code}"] += 1
        except (OSError, InvalidHandshake, TimeoutError, EOFError) as error:
            self.stats.connect_failures[type(error).__name__] += 1
        if sock is not None:
            sock.close()
        return None

    async def _small_buffer_socket(self, host: str, port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        except OSError:
            sock.close()
            raise
        return sock

    async def _session(self, ws: ClientConnection) -> tuple[int | None, bool]:
        self._ws = ws
        self.stats.connects += 1
        served = False
        code = None
        try:
            # Resent at once, before the history frame: the client_id makes it safe.
            for client_id in list(self.outbox):
                await self._transmit(client_id)
            while True:
                await self._live.wait()
                text = await ws.recv()
                await self._live.wait()  # paused while this frame was on its way: hold it
                if self._ws is not ws:
                    break  # dropped: whatever was still buffered was never read
                served = await self._handle(text) or served
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else NO_CLOSE_FRAME
            self.stats.closes[code] += 1
        except (httpx.HTTPError, ValueError) as error:  # the catch-up failed: start over
            self.problems.append(f"catch-up over HTTP failed: {error!r}")
        finally:
            if self._ws is ws:
                self._ws = None
            self.ready.clear()
            ws.transport.abort()
        return code, served

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _transmit(self, client_id: str) -> None:
        ws = self._ws
        if ws is None or client_id not in self.outbox:
            return  # sent when the next socket opens
        frame = {"type": "message.send", "body": self.outbox[client_id], "client_id": client_id}
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(frame))
            self.stats.transmissions += 1
            self.transmitted[client_id] += 1

    def _retry_later(self, client_id: str, delay: float) -> None:
        async def retry() -> None:
            await self._sleep(delay)
            if client_id in self.outbox and not self._stopping.is_set():
                await self._transmit(client_id)

        task = asyncio.create_task(retry())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies.jar)

    # -- frames -----------------------------------------------------------------------

    async def _handle(self, text: str) -> bool:
        """Act on one frame; True for the history frame that makes the socket usable."""
        try:
            frame = json.loads(text)
            kind = frame["type"]
        except (ValueError, TypeError, KeyError):
            self.problems.append(f"unreadable frame: {text[:200]!r}")
            return False
        self.stats.frames[kind] += 1
        if kind == "ping":
            # Unanswered, the server closes the socket with 4408 (a reader that never sends).
            if self._ws is not None:
                await self._ws.send(PONG)
        elif kind == "message.new":
            message = frame["message"]
            own = message.get("client_id") in self.bodies
            if own:
                self.ack_frames[message["client_id"]] += 1
            self._merge(message, stream=not own)
        elif kind == "error":
            self._error(frame)
        elif kind == "history":
            catching_up = self.after is not None
            for message in frame["messages"]:
                self._merge(message)
            if catching_up and frame["has_more"] and frame["messages"]:
                await self._catch_up_over_http(frame["messages"][-1]["id"])
            if self.after is None:
                self.after = 0  # an empty room: a reconnect must still ask for what it missed
            self.stats.sessions += 1
            self.ready.set()
            return True
        # Other frame types (edits, deletions, room and member updates) do not touch delivery.
        return False

    async def _catch_up_over_http(self, cursor: int) -> None:
        # Pages are read before any live frame, so ``cursor`` has no gap behind it.
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, cookies=self.cookies, timeout=HTTP_TIMEOUT, trust_env=False
            )
        while True:
            response = await self._http.get(
                f"/rooms/{self.slug}/messages/", params={"after": cursor, "limit": CATCH_UP_PAGE}
            )
            response.raise_for_status()
            page = response.json()
            self.stats.http_pages += 1
            for message in page["messages"]:
                self._merge(message)
            if not page["has_more"] or not page["messages"]:
                return
            cursor = page["messages"][-1]["id"]

    def _merge(self, message: dict[str, Any], *, stream: bool = True) -> None:
        """Show ``message`` once; ``stream`` is False for this client's own acknowledgements.

        The cursor for ``?after=`` only follows the history, the HTTP pages and the broadcasts,
        which arrive in id order. An acknowledgement is sent straight after the commit and can
        overtake the broadcast of an earlier message, or outlive one the channel layer lost;
        catching up from it would skip that message for good (the page's rule, kept behind
        ``page_cursor`` to show exactly that).
        """
        message_id = message.get("id")
        if not isinstance(message_id, int) or message.get("room") != self.slug:
            self.problems.append(f"malformed message: {message!r:.200}")
            return
        client_id = message.get("client_id")
        mine = message["author"]["username"] == self.username and client_id in self.bodies
        known = self.seen.get(message_id)
        if known is not None:
            self.stats.overlaps += 1
            if _identity(known) != _identity(message):
                self.problems.append(f"message {message_id} differs between copies")
        else:
            self.seen[message_id] = message
            self.arrived_at[message_id] = time.monotonic()
            bisect.insort(self.messages, message, key=lambda m: m["id"])
        if stream or self.page_cursor:
            self.after = max(self.after or 0, message_id)
        if mine:
            self._acknowledge(client_id, message)

    def _acknowledge(self, client_id: str, message: dict[str, Any]) -> None:
        if message["body"] != self.bodies[client_id].strip():
            self.problems.append(f"{client_id} came back with another body: {message!r:.200}")
        stored = self.acknowledged.setdefault(client_id, message["id"])
        if stored != message["id"]:
            self.problems.append(f"{client_id} stored twice: ids {stored} and {message['id']}")
        self.outbox.pop(client_id, None)

    def _error(self, frame: dict[str, Any]) -> None:
        code, client_id = frame.get("code"), frame.get("client_id")
        self.stats.errors[code] += 1
        self.error_frames.append(frame)
        if client_id not in self.outbox:
            return
        if code not in RETRIED_ERRORS:
            self.refused[client_id] = code  # refused for good, as the page marks it "not sent"
            del self.outbox[client_id]
            return
        self._retries[client_id] += 1
        if code == "rate_limited":
            delay = float(frame.get("retry_after") or self.backoff_min) + random.random() / 10  # noqa: S311
        else:
            exponent = self._retries[client_id] - 1
            delay = min(self.backoff_max, self.backoff_min * 2 ** min(exponent, 10))
        self._retry_later(client_id, delay)
