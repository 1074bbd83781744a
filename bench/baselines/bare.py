"""The practical upper bound: a broadcast server on ``websockets`` with no auth and no database.

    python -m bench.baselines.bare --port 8765

A socket at ``/<room>`` joins that room; every text frame it sends is relayed,
as it is, to the room's other sockets. No parsing, no storage, no checks.
"""

import argparse
import asyncio
import signal
from collections import defaultdict

import websockets
from websockets.asyncio.server import ServerConnection, broadcast

rooms: defaultdict[str, set[ServerConnection]] = defaultdict(set)


async def relay(ws: ServerConnection) -> None:
    members = rooms[ws.request.path.strip("/")]
    members.add(ws)
    try:
        async for frame in ws:
            # broadcast() writes without awaiting each socket, as a chat server should.
            broadcast([other for other in members if other is not ws], frame)
    finally:
        members.discard(ws)


async def serve(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    # No compression: none of the other servers in the benchmark compresses either.
    async with websockets.serve(relay, host, port, compression=None, max_queue=None):
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines.bare")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
