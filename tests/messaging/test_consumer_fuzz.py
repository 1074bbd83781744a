"""Arbitrary frames thrown at the consumer: it answers, it never breaks.

For every frame the socket must answer with an ``error`` frame (or, for a
frame that happens to be a valid send, its acknowledgement), never raise or
close, and still accept a valid message afterwards.
"""

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.asgi import application
from messaging import protocol
from tests.support.sockets import ORIGIN, joined, send, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_CODES = {code.value for code in protocol.ErrorCode}

any_text = st.text(st.characters(exclude_categories=()), max_size=200)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(any_text, children, max_size=5)
    ),
    max_leaves=25,
)
send_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["message.send", "message.new", "", "MESSAGE.SEND"]) | any_text},
    optional={"body": json_values | any_text, "client_id": json_values | any_text},
)


def dumps(value: object) -> str:
    return json.dumps(value, allow_nan=True)


frames = st.one_of(
    json_values.map(dumps),
    send_like.map(dumps),
    any_text.map(lambda text: {"text": text}),
    st.binary(max_size=300).map(lambda data: {"bytes": data}),
    st.integers(1, 20_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 10_000).map(lambda n: '{"type": "message.send", "body": ' + "9" * n + "}"),
    st.integers(60_000, 70_000).map(
        lambda size: dumps({"type": "message.send", "body": "x" * size})
    ),
)


@pytest.fixture
def generous_limits(settings):
    settings.PARLEY_MESSAGE_BURST = settings.PARLEY_USER_MESSAGE_BURST = 100_000
    settings.PARLEY_USER_FRAME_BURST = 100_000


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames)
def test_any_frame_gets_an_answer_and_the_socket_keeps_working(generous_limits, member, frame):
    async_to_sync(_throw)(session_cookie(member.user), frame)


async def _throw(cookie: bytes, frame: str | dict) -> None:
    communicator = WebsocketCommunicator(
        application,
        "/ws/rooms/lobby/",
        headers=[(b"origin", ORIGIN), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    try:
        await _throw_at(communicator, frame)
    finally:
        await communicator.disconnect()


async def _throw_at(communicator: WebsocketCommunicator, frame: str | dict) -> None:
    await joined(communicator)
    # send_input, not send_to: send_to refuses the empty frames worth trying.
    if isinstance(frame, dict) and "bytes" in frame:
        await communicator.send_input({"type": "websocket.receive", "bytes": frame["bytes"]})
    else:
        text = frame["text"] if isinstance(frame, dict) else frame
        await communicator.send_input({"type": "websocket.receive", "text": text})

    answer = await communicator.receive_json_from(timeout=5)
    if answer["type"] == "error":
        assert answer["code"] in ERROR_CODES
        assert isinstance(answer["detail"], str)
    else:
        # Only a well-formed send can be acknowledged.
        assert answer["type"] == "message.new"

    client_id = uuid.uuid4().hex
    await send(communicator, "still working", client_id=client_id)
    ack = await communicator.receive_json_from(timeout=5)
    assert (ack["type"], ack["message"]["client_id"]) == ("message.new", client_id)
