"""The protocol constants the page's scripts read come from the server, in one block."""

import json
import re

import pytest
from django.test import Client

from messaging.models import BODY_MAX_LENGTH
from messaging.protocol import ErrorCode, page_constants
from realtime import codes
from rooms.permissions import ROOM_STATE_SENTENCES

CLOSE_CODES = {
    name.removeprefix("CLOSE_"): value
    for name, value in vars(codes).items()
    if name.startswith("CLOSE_")
}


def rendered_constants(client: Client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200
    block = re.search(
        r'<script id="parley-constants" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert block, f"{path} has no parley-constants block"
    return json.loads(block.group(1))


@pytest.mark.parametrize("path", ["/rooms/", "/rooms/lobby/"], ids=["room list", "room page"])
def test_every_page_with_a_socket_renders_the_close_codes_of_realtime_codes(
    auth_client, member, path
):
    constants = rendered_constants(auth_client, path)

    assert constants["close"] == CLOSE_CODES
    assert set(constants["final_closes"]) == codes.FINAL_CLOSES
    assert set(constants["paused_closes"]) == codes.PAUSED_CLOSES
    assert {int(code) for code in constants["close_sentences"]} == (
        codes.FINAL_CLOSES | codes.PAUSED_CLOSES
    )


def test_the_room_page_renders_error_codes_limits_ping_interval_and_room_state_sentences(
    auth_client, member, settings
):
    settings.PARLEY_PING_INTERVAL = 7.5

    constants = rendered_constants(auth_client, "/rooms/lobby/")

    assert constants["errors"] == {code.name: code.value for code in ErrorCode}
    assert set(constants["wait_errors"]) <= set(constants["errors"].values())
    assert constants["limits"]["body_max_length"] == BODY_MAX_LENGTH
    assert constants["ping_interval"] == 7.5
    assert constants["room_state_sentences"] == {
        state: str(sentence) for state, sentence in ROOM_STATE_SENTENCES.items()
    }
    assert constants["posting_sentences"] == {
        "muted": "You are muted in this room until {until}.",
        "slow_mode": "Slow mode: one message every {seconds} seconds.",
    }


def test_the_paused_sentences_name_the_wait_the_page_keeps():
    constants = page_constants()

    for code in codes.PAUSED_CLOSES:
        sentence = constants["close_sentences"][str(code)]
        assert f"Retrying in {constants['paused_retry_seconds']} s." in sentence


def test_the_composer_limit_comes_from_the_model(auth_client, member):
    response = auth_client.get("/rooms/lobby/")

    assert f'maxlength="{BODY_MAX_LENGTH}"'.encode() in response.content


def test_the_constants_survive_json_unchanged():
    """Lazy sentences resolved, sets as lists: what json_script writes reads back the same."""
    constants = page_constants()

    assert json.loads(json.dumps(constants)) == constants
