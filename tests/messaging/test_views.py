import pytest

from messaging.services import message_delete
from tests.support.factories import MessageFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_history_gives_members_the_latest_messages_oldest_first(auth_client, member):
    messages = [MessageFactory(room=member.room) for _ in range(3)]

    response = auth_client.get("/rooms/lobby/messages/?limit=2")

    assert response.status_code == 200
    data = response.json()
    assert [m["id"] for m in data["messages"]] == [messages[1].pk, messages[2].pk]
    assert data["has_more"] is True
    first = data["messages"][0]
    assert set(first) == {
        "id",
        "room",
        "author",
        "body",
        "html",
        "mentions",
        "created_at",
        "edited_at",
        "client_id",
        "attachments",
        "reply_to",
        "reactions",
        "pinned",
    }
    assert first["room"] == "lobby"


def test_history_pages_back_with_before(auth_client, member):
    messages = [MessageFactory(room=member.room) for _ in range(3)]

    data = auth_client.get(f"/rooms/lobby/messages/?before={messages[1].pk}").json()

    assert [m["id"] for m in data["messages"]] == [messages[0].pk]
    assert data["has_more"] is False


def test_history_catches_up_with_after(auth_client, member):
    messages = [MessageFactory(room=member.room) for _ in range(3)]

    data = auth_client.get(f"/rooms/lobby/messages/?after={messages[0].pk}").json()

    assert [m["id"] for m in data["messages"]] == [messages[1].pk, messages[2].pk]


def test_history_is_403_for_non_members(auth_client, room):
    MessageFactory(room=room, body="secret")
    response = auth_client.get("/rooms/lobby/messages/")
    assert response.status_code == 403
    assert "secret" not in response.content.decode()
    assert response.json()["detail"]


def test_history_is_403_not_a_redirect_for_the_anonymous(client, room):
    response = client.get("/rooms/lobby/messages/")
    assert response.status_code == 403


def test_history_of_an_unknown_room_is_404(auth_client):
    assert auth_client.get("/rooms/nowhere/messages/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "before=x",
        "after=-1",
        "before=2&after=1",
        "around=x",
        "around=-3",
        "around=2&before=5",
        "around=2&after=1",
    ],
)
def test_history_explains_bad_parameters_with_a_400(auth_client, member, query):
    response = auth_client.get(f"/rooms/lobby/messages/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_history_accepts_the_largest_page(auth_client, member):
    assert auth_client.get("/rooms/lobby/messages/?limit=100").status_code == 200


def test_history_of_a_member_who_left_is_403(auth_client, member):
    auth_client.post("/rooms/lobby/leave/")
    assert auth_client.get("/rooms/lobby/messages/").status_code == 403


# --- Opening the room at one message (?at=<id> on the room page) ---------------------


def test_history_around_a_message_gives_it_with_its_neighbours(auth_client, member):
    messages = [MessageFactory(room=member.room) for _ in range(10)]
    target = messages[4]

    data = auth_client.get(f"/rooms/lobby/messages/?around={target.pk}&limit=4").json()

    assert [m["id"] for m in data["messages"]] == [m.pk for m in messages[3:7]]
    assert data["has_more"] is True
    assert data["has_more_after"] is True


def test_history_around_the_oldest_message_says_nothing_is_older(auth_client, member):
    messages = [MessageFactory(room=member.room) for _ in range(3)]

    data = auth_client.get(f"/rooms/lobby/messages/?around={messages[0].pk}&limit=1").json()

    assert [m["id"] for m in data["messages"]] == [messages[0].pk]
    assert data["has_more"] is False
    assert data["has_more_after"] is True


def test_history_around_leaves_deleted_neighbours_out(auth_client, member):
    messages = [MessageFactory(room=member.room, author=member.user) for _ in range(3)]
    message_delete(room=member.room, user=member.user, message_id=messages[1].pk)

    data = auth_client.get(f"/rooms/lobby/messages/?around={messages[2].pk}").json()

    assert [m["id"] for m in data["messages"]] == [messages[0].pk, messages[2].pk]
    assert data["has_more"] is False
    assert data["has_more_after"] is False


def test_history_around_a_message_of_another_room_a_deleted_one_or_none_is_one_404(
    auth_client, member, outsider
):
    """The same answer whatever the reason, so a link tells nothing about another room."""
    elsewhere = MessageFactory(room=RoomFactory(slug="hideout"), author=outsider)
    deleted = MessageFactory(room=member.room, author=member.user)
    message_delete(room=member.room, user=member.user, message_id=deleted.pk)

    answers = [
        auth_client.get(f"/rooms/lobby/messages/?around={message_id}")
        for message_id in (elsewhere.pk, deleted.pk, 999_999)
    ]

    assert {response.status_code for response in answers} == {404}
    assert len({response.json()["detail"] for response in answers}) == 1
    assert str(elsewhere.body) not in answers[0].content.decode()


def test_history_around_is_403_for_non_members(auth_client, room):
    message = MessageFactory(room=room)

    assert auth_client.get(f"/rooms/lobby/messages/?around={message.pk}").status_code == 403
