"""Direct messages: ``/dm/<username>/`` opens a private room of exactly two people.

It is created once, works like a room for its two people, is never listed,
and answers everyone else as if it did not exist.
"""

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client

from messaging.models import Message
from rooms.models import Membership, Room
from rooms.selectors import unread_counts
from rooms.services import direct_room_get_or_create, room_create
from tests.support.factories import MessageFactory, RoomFactory, UserFactory
from tests.support.sockets import close_code, joined, send

# The websocket fixture lives with the messaging tests; here it is borrowed, not copied.


@pytest.fixture
def conversation(user, other_user) -> Room:
    """Ada's conversation with Grace."""
    return direct_room_get_or_create(user=user, other=other_user)


# --- Opening a conversation ------------------------------------------------------------


@pytest.mark.django_db
def test_looking_at_a_conversation_that_does_not_exist_yet_creates_nothing(auth_client, other_user):
    response = auth_client.get("/dm/grace/")

    assert response.status_code == 200
    assert b"Start a conversation with Grace Hopper" in response.content
    assert b'<form method="post" action="/dm/grace/">' in response.content
    assert b"csrfmiddlewaretoken" in response.content
    assert not Room.objects.exists()


@pytest.mark.django_db
def test_starting_a_conversation_creates_it_once_and_takes_me_there(client_for, user, other_user):
    """Both people, in either order and any number of times, reach the same room."""
    first = client_for(user).post("/dm/grace/")
    again = client_for(user).post("/dm/grace/")
    from_grace = client_for(other_user).post("/dm/ada/")

    room = Room.objects.get(kind=Room.Kind.DIRECT)
    assert first.status_code == 302
    assert (
        first["Location"] == again["Location"] == from_grace["Location"] == f"/rooms/{room.slug}/"
    )
    assert Room.objects.count() == 1


@pytest.mark.django_db
def test_looking_at_an_existing_conversation_takes_either_person_there(
    client_for, conversation, user, other_user
):
    from_ada = client_for(user).get("/dm/grace/")
    from_grace = client_for(other_user).get("/dm/ada/")

    assert from_ada.status_code == from_grace.status_code == 302
    assert from_ada["Location"] == from_grace["Location"] == f"/rooms/{conversation.slug}/"
    assert Room.objects.count() == 1


@pytest.mark.django_db
def test_starting_a_conversation_needs_the_forms_csrf_token(user, other_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post("/dm/grace/")

    assert response.status_code == 403
    assert not Room.objects.exists()


@pytest.mark.django_db
def test_a_conversation_is_a_private_room_of_its_two_people_as_equals(
    conversation, user, other_user
):
    memberships = Membership.objects.filter(room=conversation).order_by("user__username")

    assert conversation.is_direct
    assert conversation.is_private
    assert [(m.user, m.role) for m in memberships] == [
        (user, Membership.Role.MEMBER),
        (other_user, Membership.Role.MEMBER),
    ]


@pytest.mark.django_db
def test_the_conversation_page_is_named_after_the_other_person(client_for, conversation, user):
    response = client_for(user).get(f"/rooms/{conversation.slug}/")

    assert response.status_code == 200
    assert response.context["title"] == "Grace Hopper"


@pytest.mark.django_db
def test_a_conversation_with_myself_is_a_404(auth_client, user):
    assert auth_client.get("/dm/ada/").status_code == 404
    assert auth_client.post("/dm/ada/").status_code == 404
    assert not Room.objects.exists()


@pytest.mark.django_db
def test_a_conversation_with_nobody_or_a_deactivated_account_is_a_404(auth_client, user):
    UserFactory(username="gone", is_active=False)

    assert auth_client.get("/dm/nobody/").status_code == 404
    assert auth_client.post("/dm/gone/").status_code == 404
    assert not Room.objects.exists()


@pytest.mark.django_db
def test_the_anonymous_are_sent_to_log_in_and_create_nothing(client, other_user):
    response = client.post("/dm/grace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Room.objects.exists()


# --- Found by its two people, never by a slug --------------------------------------------


@pytest.mark.django_db
def test_a_room_holding_the_pairs_old_slug_is_not_taken_for_their_conversation(
    user, other_user, outsider
):
    low, high = sorted([user.pk, other_user.pk])
    squat = RoomFactory(slug=f"dm-{low}-{high}", name="trap", created_by=outsider)

    conversation = direct_room_get_or_create(user=user, other=other_user)

    assert conversation != squat
    assert conversation.is_direct
    assert set(conversation.memberships.values_list("user", flat=True)) == {user.pk, other_user.pk}
    assert not squat.memberships.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dm-2-3", "DM 2 3", "dm"])
def test_a_created_room_never_gets_a_slug_kept_for_conversations(user, name):
    room = room_create(name=name, created_by=user)

    assert not room.slug.startswith("dm-")
    assert room.slug.startswith("room-dm")


@pytest.mark.django_db
def test_the_admin_cannot_give_a_room_a_conversation_slug(user):
    room = Room(name="Trap", slug="dm-1-2", created_by=user)

    with pytest.raises(ValidationError) as refused:
        room.full_clean()

    assert "slug" in refused.value.message_dict


@pytest.mark.django_db
def test_only_one_conversation_can_exist_per_pair(conversation, user, other_user):
    with pytest.raises(IntegrityError):
        Room.objects.create(
            name="again",
            slug="dm-again",
            kind=Room.Kind.DIRECT,
            direct_key=conversation.direct_key,
            visibility=Room.Visibility.PRIVATE,
        )


# --- Never listed, and invisible to a third person -------------------------------------


@pytest.mark.django_db
def test_a_conversation_is_never_listed_as_a_room_for_anyone(
    client_for, conversation, user, other_user, outsider, staff_user, room
):
    for viewer in [user, other_user, outsider, staff_user]:
        response = client_for(viewer).get("/rooms/")

        assert [r.slug for r in response.context["rooms"]] == ["lobby"]


@pytest.mark.django_db
def test_its_two_people_find_it_under_their_direct_messages(client_for, conversation, user):
    response = client_for(user).get("/rooms/")

    assert [item["slug"] for item in response.context["conversations"]] == [conversation.slug]
    assert [item["name"] for item in response.context["conversations"]] == ["Grace Hopper"]


@pytest.mark.django_db
def test_a_third_person_sees_no_trace_of_the_conversation(client_for, conversation, outsider, room):
    """Not on the room list, not in the sidebar of a room page, not in search."""
    MessageFactory(room=conversation, body="just between us")
    Membership.objects.create(user=outsider, room=room)
    mallory = client_for(outsider)

    pages = [
        mallory.get("/rooms/"),
        mallory.get("/rooms/lobby/"),
        mallory.get("/search/?q=between"),
    ]

    for response in pages:
        assert response.status_code == 200
        assert conversation.slug.encode() not in response.content
        assert b"just between us" not in response.content
        assert b"Grace Hopper" not in response.content
    assert [item["slug"] for item in unread_counts(user=outsider)] == ["lobby"]


@pytest.mark.django_db
def test_a_third_person_gets_404_everywhere_over_http(client_for, conversation, outsider):
    MessageFactory(room=conversation, body="just between us")
    mallory = client_for(outsider)
    slug = conversation.slug

    page = mallory.get(f"/rooms/{slug}/")
    history = mallory.get(f"/rooms/{slug}/messages/")
    join = mallory.post(f"/rooms/{slug}/join/")
    search = mallory.get("/search/", {"q": "between", "room": slug})

    assert [page.status_code, history.status_code, join.status_code, search.status_code] == [
        404,
        404,
        404,
        404,
    ]
    assert b"just between us" not in history.content
    assert history["Content-Type"] == "application/json"
    assert not Membership.objects.filter(room=conversation, user=outsider).exists()


@pytest.mark.django_db
def test_the_conversation_answers_a_third_person_exactly_like_a_room_that_does_not_exist(
    client_for, conversation, outsider
):
    mallory = client_for(outsider)

    hidden = mallory.get(f"/rooms/{conversation.slug}/messages/")
    missing = mallory.get("/rooms/dm-999998-999999/messages/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(conversation.slug, "?") == missing.json()[
        "detail"
    ].replace("dm-999998-999999", "?")


# --- Over the websocket ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_third_persons_socket_is_closed_with_4404(open_socket, outsider, user, other_user):
    conversation = await database_sync_to_async(direct_room_get_or_create)(
        user=user, other=other_user
    )
    socket = await open_socket(outsider, conversation.slug)
    await socket.connect()

    assert await close_code(socket) == 4404


@pytest.mark.django_db(transaction=True)
async def test_the_two_people_talk_in_it_like_in_a_room(open_socket, user, other_user):
    conversation = await database_sync_to_async(direct_room_get_or_create)(
        user=user, other=other_user
    )
    ada = await open_socket(user, conversation.slug)
    grace = await open_socket(other_user, conversation.slug)
    await joined(ada)
    await joined(grace)

    await send(ada, "psst, @grace")
    mine = await ada.receive_json_from()
    theirs = await grace.receive_json_from()

    assert mine == theirs
    assert theirs["message"]["room"] == conversation.slug
    assert theirs["message"]["mentions"] == ["grace"]
    assert await database_sync_to_async(Message.objects.filter(room=conversation).count)() == 1
