"""One client, one message at a time: how long from send to the server's acknowledgement.

    python -m bench.ack [--messages 200] [--gap 0.02]

Starts its own embedded server (daphne, SQLite, the production settings as the benchmark runs
them), signs one user up through the real form, and sends ``--messages`` messages ``--gap``
seconds apart, each waiting for its ``message.new`` acknowledgement. The acknowledgement comes
after the message is stored and committed, so this is the floor under every delivery's latency:
nothing reaches another member before it. Prints p50, p90, p99 and the minimum in milliseconds.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import websockets

from bench.servers import PRODUCTION, UNLIMITED
from chatclient.client import cookie_header, create_room, signup
from chatclient.server import LiveServer


async def measure(ws_url: str, origin: str, cookie: str, messages: int, gap: float) -> list[float]:
    headers = {"Cookie": cookie, "Origin": origin}
    async with websockets.connect(ws_url, additional_headers=headers) as socket:
        await socket.recv()  # history
        latencies = []
        for n in range(messages):
            frame = {"type": "message.send", "body": f"ack probe {n}", "client_id": f"ack-{n}"}
            started = time.perf_counter()
            await socket.send(json.dumps(frame))
            while json.loads(await socket.recv())["type"] != "message.new":
                pass
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(gap)
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between messages")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp), extra_env={**UNLIMITED, **PRODUCTION})
        server.start()
        try:
            client = signup(server.base_url, "ackprobe", "ack-probe-password-1")
            slug = create_room(client, "Ack probe")
            latencies = asyncio.run(
                measure(
                    f"{server.ws_url}/ws/rooms/{slug}/",
                    server.base_url,
                    cookie_header(client),
                    options.messages,
                    options.gap,
                )
            )
        finally:
            server.stop()
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"send -> acknowledgement, {len(latencies)} messages: p50 {cuts[49]:.2f} ms, "
        f"p90 {cuts[89]:.2f} ms, p99 {cuts[98]:.2f} ms, min {min(latencies):.2f} ms"
    )


if __name__ == "__main__":
    main()
