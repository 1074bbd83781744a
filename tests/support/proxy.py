"""A TCP proxy on 127.0.0.1 that a test can stall or cut, for the faults of a network."""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

CHUNK = 65536


@dataclass(eq=False)
class _Link:
    """One proxied connection: the client's side and the target's."""

    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    stalled: bool = False

    def cut(self) -> None:
        for writer in self.writers:
            writer.transport.abort()


class TcpProxy:
    """127.0.0.1:``port`` forwarded to 127.0.0.1:``target_port``, served from its own thread.

    A thread with an event loop of its own, not the test's: starting daphne (migrations
    included) blocks the test while the proxy must keep answering, and browser tests have no
    loop at all. ``stall()`` silences every connection open now, both ways, without closing
    it, as behind a dead NAT entry; connections made later forward again. ``outage()``
    closes the listener and cuts every open connection, so connecting is refused;
    ``recover()`` listens on the same port again.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0  # chosen by the system when the proxy first listens
        self.request_lines: list[str] = []  # the first line each connection sent
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "TcpProxy":
        self._thread.start()
        self.recover()
        return self

    def stall(self) -> None:
        self._call(self._stall())

    def outage(self) -> None:
        self._call(self._refuse())

    def recover(self) -> None:
        self._call(self._listen())

    def requests_for(self, path: str) -> int:
        """How many connections asked for ``path`` (websocket handshakes included)."""
        return sum(line.split(" ")[1:2] == [path] for line in list(self.request_lines))

    def close(self) -> None:
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stall(self) -> None:
        for link in self._links:
            link.stalled = True

    async def _refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in self._links:
            link.cut()
        self._links.clear()

    async def _shut_down(self) -> None:
        await self._refuse()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        link = _Link([writer, upstream])
        self._links.add(link)
        await asyncio.gather(
            self._pipe(link, reader, upstream, first=True),
            self._pipe(link, upstream_reader, writer, first=False),
        )
        self._links.discard(link)

    async def _pipe(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        first: bool,
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(CHUNK):
                if first:
                    first = False
                    self.request_lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                if link.stalled:
                    continue  # read and dropped: neither side hears a thing, and nobody closes
                writer.write(data)
                await writer.drain()
        if not link.stalled:
            link.cut()
