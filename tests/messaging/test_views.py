import pytest

from tests.support.factories import MessageFactory

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
    ["limit=0", "limit=101", "limit=abc", "before=x", "after=-1", "before=2&after=1"],
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
