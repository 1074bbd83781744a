"""The pins and edit-history endpoints: who gets what, and who is told nothing."""

import pytest
from django.test import Client

from messaging.services import message_create, message_edit, message_pin
from tests.support.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(member):
    message, _ = message_create(room=member.room, author=member.user, body="frist")
    return message_edit(room=member.room, user=member.user, message_id=message.pk, body="first")


def history_url(message) -> str:
    return f"/rooms/lobby/messages/{message.pk}/history/"


# --- Pins


def test_members_get_the_pinned_messages_latest_pin_first(auth_client, member, moderator):
    older, newer, unpinned = (MessageFactory(room=member.room) for _ in range(3))
    for message in (older, newer):
        message_pin(room=member.room, user=moderator.user, message_id=message.pk)

    response = auth_client.get("/rooms/lobby/pins/")

    assert response.status_code == 200
    pins = response.json()["pins"]
    assert [pin["id"] for pin in pins] == [newer.pk, older.pk]
    assert all(pin["pinned"] for pin in pins)
    assert unpinned.pk not in [pin["id"] for pin in pins]


def test_pins_are_404_for_the_signed_out_and_non_members(client_for, room, outsider):
    for client in (Client(), client_for(outsider)):
        response = client.get("/rooms/lobby/pins/")
        assert response.status_code == 404
        assert "detail" in response.json()


# --- Edit history


def test_the_author_sees_every_version_oldest_first(auth_client, edited):
    response = auth_client.get(history_url(edited))

    assert response.status_code == 200
    versions = response.json()["versions"]
    assert [v["body"] for v in versions] == ["frist", "first"]
    assert set(versions[0]) == {"body", "html", "at"}


def test_a_moderator_sees_the_versions_of_someone_elses_message(client_for, edited, moderator):
    response = client_for(moderator.user).get(history_url(edited))
    assert response.status_code == 200


def test_another_member_is_told_why_not_with_a_403(client_for, edited, other_member):
    response = client_for(other_member.user).get(history_url(edited))

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only its author and the room's moderators can see earlier versions of a message."
    )


def test_history_is_404_for_the_signed_out_and_non_members(client_for, edited, outsider):
    for client in (Client(), client_for(outsider)):
        assert client.get(history_url(edited)).status_code == 404


def test_history_of_a_message_of_another_room_is_404(auth_client, member):
    elsewhere = MessageFactory()
    assert auth_client.get(history_url(elsewhere)).status_code == 404
