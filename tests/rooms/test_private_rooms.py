"""A private room never leaks its existence or its messages to a non-member.

Every entry point answers a non-member exactly as it answers for a room that does not exist:
absent from the list, 404 pages, 404 JSON, websocket closed with 4404.
"""

import pytest
from channels.db import database_sync_to_async

from audit.models import AuditLogEntry
from rooms.models import Membership
from tests.support.factories import BanFactory, InvitationFactory, MembershipFactory, MessageFactory
from tests.support.sockets import close_code, joined

# The websocket fixture lives with the messaging tests; here it is borrowed, not copied.


@pytest.fixture
def insider(private_room, user) -> Membership:
    return MembershipFactory(user=user, room=private_room)


@pytest.fixture
def hideout_owner(private_room, other_user) -> Membership:
    return MembershipFactory(user=other_user, room=private_room, role=Membership.Role.OWNER)


@pytest.fixture
def secret(private_room, hideout_owner):
    return MessageFactory(room=private_room, author=hideout_owner.user, body="the password is 42")


# --- The list ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_private_room_is_not_listed_for_a_non_member(client_for, outsider, private_room, room):
    response = client_for(outsider).get("/rooms/")

    assert [r.slug for r in response.context["rooms"]] == ["lobby"]
    assert b"Hideout" not in response.content
    assert b"hideout" not in response.content


@pytest.mark.django_db
def test_a_private_room_is_listed_for_its_members_and_site_staff(
    client_for, insider, staff_user, private_room
):
    for viewer in [insider.user, staff_user]:
        response = client_for(viewer).get("/rooms/")

        assert [r.slug for r in response.context["rooms"]] == ["hideout"]
        assert b"Private" in response.content


# --- Pages ---------------------------------------------------------------------------

HIDEOUT_GETS = [
    "/rooms/hideout/",
    "/rooms/hideout/members/",
    "/rooms/hideout/settings/",
    "/rooms/hideout/audit/",
    "/rooms/hideout/invitations/",
]
HIDEOUT_POSTS = [
    ("/rooms/hideout/join/", {}),
    ("/rooms/hideout/leave/", {}),
    ("/rooms/hideout/members/grace/", {"action": "kick"}),
    ("/rooms/hideout/settings/", {"name": "Mine now"}),
    ("/rooms/hideout/settings/lock/", {}),
    ("/rooms/hideout/settings/archive/", {}),
    ("/rooms/hideout/invitations/", {}),
    ("/rooms/hideout/invitations/{invitation}/revoke/", {}),
    ("/rooms/hideout/bans/{ban}/lift/", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", HIDEOUT_GETS)
def test_every_page_of_a_private_room_is_a_404_for_a_non_member(client_for, outsider, secret, url):
    client = client_for(outsider)

    response = client.get(url)

    assert response.status_code == 404
    assert client.get(url.replace("hideout", "nowhere")).status_code == 404
    assert b"Hideout" not in response.content
    assert b"the password is 42" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "data"), HIDEOUT_POSTS)
def test_every_action_on_a_private_room_is_a_404_for_a_non_member_and_changes_nothing(
    client_for, outsider, hideout_owner, private_room, url, data
):
    invitation = InvitationFactory(room=private_room)
    ban = BanFactory(room=private_room)
    url = url.format(invitation=invitation.pk, ban=ban.pk)

    response = client_for(outsider).post(url, data)

    assert response.status_code == 404
    assert not Membership.objects.filter(user=outsider).exists()
    assert Membership.objects.filter(pk=hideout_owner.pk).exists()
    assert not AuditLogEntry.objects.exists()
    private_room.refresh_from_db()
    assert (private_room.name, private_room.is_locked, private_room.is_archived) == (
        "Hideout",
        False,
        False,
    )


@pytest.mark.django_db
def test_a_former_member_of_a_private_room_gets_a_404_too(client_for, insider):
    insider.delete()

    assert client_for(insider.user).get("/rooms/hideout/").status_code == 404


@pytest.mark.django_db
def test_a_banned_user_learns_nothing_about_a_private_room(client_for, outsider, private_room):
    BanFactory(room=private_room, user=outsider)

    response = client_for(outsider).get("/rooms/hideout/")

    assert response.status_code == 404
    assert b"banned" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["insider", "staff_user"])
def test_members_and_site_staff_get_the_private_room(request, client_for, secret, viewer):
    who = request.getfixturevalue(viewer)
    user = getattr(who, "user", who)

    response = client_for(user).get("/rooms/hideout/")

    assert response.status_code == 200
    assert response.templates[0].name == "rooms/room_detail.html"


@pytest.mark.django_db
def test_making_a_room_private_hides_it_from_non_members_at_once(client_for, owner, outsider):
    client_for(owner.user).post(
        "/rooms/lobby/settings/",
        {"name": "Lobby", "description": "", "visibility": "private"},
    )

    assert client_for(outsider).get("/rooms/lobby/").status_code == 404
    assert client_for(outsider).post("/rooms/lobby/join/").status_code == 404
    assert client_for(owner.user).get("/rooms/lobby/").status_code == 200


# --- History JSON --------------------------------------------------------------------


@pytest.mark.django_db
def test_history_of_a_private_room_is_a_404_for_a_non_member_like_a_missing_room(
    client_for, outsider, secret
):
    client = client_for(outsider)

    hidden = client.get("/rooms/hideout/messages/")
    missing = client.get("/rooms/nowhere/messages/")

    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["detail"] == missing.json()["detail"].replace("nowhere", "hideout")
    assert b"the password is 42" not in hidden.content


@pytest.mark.django_db
def test_history_of_a_private_room_is_a_404_for_the_anonymous(client, secret):
    assert client.get("/rooms/hideout/messages/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["insider", "staff_user"])
def test_members_and_site_staff_read_a_private_rooms_history(request, client_for, secret, viewer):
    who = request.getfixturevalue(viewer)

    response = client_for(getattr(who, "user", who)).get("/rooms/hideout/messages/")

    assert response.status_code == 200
    assert [m["body"] for m in response.json()["messages"]] == ["the password is 42"]


# --- Websocket -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_non_members_socket_to_a_private_room_closes_with_4404(
    open_socket, outsider, secret
):
    socket = await open_socket(outsider, "hideout")
    await socket.connect()

    assert await close_code(socket) == 4404


@pytest.mark.django_db(transaction=True)
async def test_a_banned_users_socket_to_a_private_room_closes_with_4404(
    open_socket, outsider, private_room
):
    await database_sync_to_async(BanFactory)(room=private_room, user=outsider)
    socket = await open_socket(outsider, "hideout")
    await socket.connect()

    assert await close_code(socket) == 4404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewer", ["insider", "staff_user"])
async def test_members_and_site_staff_connect_to_a_private_room_and_read_it(
    open_socket, insider, staff_user, secret, viewer
):
    user = insider.user if viewer == "insider" else staff_user

    history = await joined(await open_socket(user, "hideout"))

    assert [m["body"] for m in history["messages"]] == ["the password is 42"]
