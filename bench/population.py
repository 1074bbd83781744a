"""Who takes part: users signed up through Parley's real forms, their rooms, a long history.

Every member of the fan-out is one user in every room (R rooms x M members needs M users,
not R x M): signing up costs a real password hash, about 0.4 s of server CPU each. The
long history is written straight into the database with ``manage.py shell``; sending
100,000 messages over the socket would only measure fan-out again, slowly.
"""

import json
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.servers import REPO_ROOT
from chatclient.client import create_room, join_room, signup

SIGNUP_CONCURRENCY = 8
# allauth allows 20 sign-ups a minute per IP: users arrive from their own loopback addresses.
SIGNUPS_PER_ADDRESS = 15

BULK_INSERT = """
import json, os
from django.db import connection
from accounts.models import User
from messaging.models import Message
from rooms.models import Room

room = Room.objects.get(slug=os.environ["BENCH_ROOM"])
author = User.objects.get(username=os.environ["BENCH_AUTHOR"])
total = int(os.environ["BENCH_COUNT"])
for start in range(0, total, 10000):
    Message.objects.bulk_create(
        [
            Message(
                room=room,
                author=author,
                body=f"history {n}: lorem ipsum dolor sit amet, consectetur adipiscing elit",
                html=f"<p>history {n}: lorem ipsum dolor sit amet, consectetur adipiscing elit</p>",
            )
            for n in range(start, min(total, start + 10000))
        ],
        batch_size=2000,
    )
# Fresh planner statistics, as autovacuum would gather soon after a bulk load.
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
ids = Message.objects.filter(room=room).order_by("id").values_list("id", flat=True)
print(json.dumps({"first_id": ids.first(), "last_id": ids.last(), "count": ids.count()}))
"""


@dataclass
class Population:
    rooms: list[str]  # every user is a member of each
    own_rooms: list[str]  # one per user, that user alone in it
    users: list[dict[str, Any]]  # {"username": ..., "cookies": {name: value}}
    history_room: dict[str, Any] | None = None
    clients: list[httpx.Client] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def anonymous(*, rooms: int, members: int) -> Population:
    """The baselines know no users: rooms by name, members without cookies."""
    return Population(
        rooms=[f"room{n}" for n in range(rooms)],
        own_rooms=[f"own{n}" for n in range(members)],
        users=[{"username": f"anonymous{n}", "cookies": {}} for n in range(members)],
    )


def sign_up(base_url: str, *, rooms: int, members: int, history_members: int) -> Population:
    """``members`` users, each in every one of ``rooms`` rooms and in a room of their own.

    The first ``history_members`` of them are also in the history room.
    """
    tag = secrets.token_hex(3)
    password = secrets.token_urlsafe(16)

    def user(n: int) -> httpx.Client:
        address = f"127.0.0.{2 + n // SIGNUPS_PER_ADDRESS}"
        return signup(base_url, f"bench{tag}u{n}", password, source_address=address)

    with ThreadPoolExecutor(SIGNUP_CONCURRENCY) as pool:
        clients = list(pool.map(user, range(members)))
        owner = clients[0]
        slugs = [create_room(owner, f"Bench {tag} room {n}") for n in range(rooms)]
        history_slug = create_room(owner, f"Bench {tag} history")

        def join(n: int) -> str:
            if n:
                for slug in slugs:
                    join_room(clients[n], slug)
                if n < history_members:
                    join_room(clients[n], history_slug)
            return create_room(clients[n], f"Bench {tag} own {n}")

        own_rooms = list(pool.map(join, range(members)))
    users = [
        {"username": f"bench{tag}u{n}", "cookies": dict(client.cookies)}
        for n, client in enumerate(clients)
    ]
    population = Population(rooms=slugs, own_rooms=own_rooms, users=users, clients=clients)
    population.history_room = {"slug": history_slug, "first_id": 0, "last_id": 0, "count": 0}
    return population


def history_insert(population: Population, env: dict[str, str], count: int) -> None:
    """``count`` messages by the first user into the history room, in bulk."""
    room = population.history_room
    command = [sys.executable, "manage.py", "shell", "-c", BULK_INSERT]
    done = subprocess.run(  # noqa: S603 - a fixed command
        command,
        cwd=REPO_ROOT,
        env={
            **env,
            "BENCH_ROOM": room["slug"],
            "BENCH_AUTHOR": population.users[0]["username"],
            "BENCH_COUNT": str(count),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bulk insert failed:\n{done.stderr[-3000:]}")
    room.update(json.loads(done.stdout.strip().splitlines()[-1]))
