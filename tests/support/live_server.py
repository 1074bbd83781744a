"""Rooms on a live server, and the backends the scaled servers share."""

import secrets
from dataclasses import dataclass
from uuid import uuid4

import httpx

from chatclient.client import create_room, join_room, signup
from chatclient.server import LiveServer

PASSWORD = "correct-horse-battery"
# Throwaway names on the local servers; the database is dropped again at the end.
SCALED_DATABASE = "parley_live_test"
SCALED_DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{SCALED_DATABASE}"
SCALED_REDIS_URL = "redis://127.0.0.1:6379/14"


@dataclass
class RoomOfTwo:
    """A room on a live server with its owner and one other member, each logged in."""

    slug: str
    owner: httpx.Client
    member: httpx.Client
    owner_name: str
    member_name: str

    def close(self) -> None:
        self.owner.close()
        self.member.close()


def loopback_address() -> str:
    """A loopback address of its own for each new person: allauth limits sign-ups per IP,
    and a module of tests signs up more people a minute than one address may."""
    return "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


def room_with_two_members(server: LiveServer) -> RoomOfTwo:
    tag = uuid4().hex[:8]
    owner_name, member_name = f"ada-{tag}", f"grace-{tag}"
    owner = signup(server.base_url, owner_name, PASSWORD, source_address=loopback_address())
    member = signup(server.base_url, member_name, PASSWORD, source_address=loopback_address())
    slug = create_room(owner, f"Test Room {tag}")
    join_room(member, slug)
    return RoomOfTwo(slug, owner, member, owner_name, member_name)
