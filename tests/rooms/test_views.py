from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.avatars import avatar_for
from messaging.models import BODY_MAX_LENGTH
from rooms.models import SLOW_MODE_MAX_SECONDS, Membership, Room
from tests.support.avatars import with_avatar
from tests.support.factories import BanFactory, MembershipFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/rooms/", "/rooms/new/", "/rooms/lobby/"],
)
def test_room_pages_send_the_anonymous_to_log_in(client, room, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("action", ["join", "leave"])
def test_join_and_leave_send_the_anonymous_to_log_in(client, room, action):
    response = client.post(f"/rooms/lobby/{action}/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Membership.objects.exists()


def test_landing_page_says_what_parley_is_and_offers_sign_up(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Parley" in response.content
    assert reverse("account_signup").encode() in response.content
    assert reverse("account_login").encode() in response.content


def test_landing_page_links_signed_in_people_to_their_rooms(auth_client):
    response = auth_client.get("/")
    assert reverse("rooms:list").encode() in response.content
    assert reverse("account_signup").encode() not in response.content


def test_room_list_shows_member_counts_and_marks_my_rooms(auth_client, member, other_member):
    RoomFactory(name="Elsewhere", slug="elsewhere")

    response = auth_client.get("/rooms/")

    rooms = {room.slug: room for room in response.context["rooms"]}
    assert (rooms["lobby"].is_member, rooms["lobby"].member_count) == (True, 2)
    assert (rooms["elsewhere"].is_member, rooms["elsewhere"].member_count) == (False, 0)
    content = response.content.decode()
    assert "2 members" in content
    assert "Joined" in content


def test_creating_a_room_makes_me_owner_and_takes_me_there(auth_client, user):
    response = auth_client.post(
        "/rooms/new/", {"name": "Book Club", "description": "Monthly reads"}
    )

    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.slug}/"
    assert room.slug.startswith("book-club-")
    assert (room.name, room.description, room.created_by) == ("Book Club", "Monthly reads", user)
    assert Membership.objects.get(room=room).role == Membership.Role.OWNER


def test_creating_a_room_without_a_name_shows_a_form_error(auth_client):
    response = auth_client.post("/rooms/new/", {"name": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Room.objects.exists()


def test_a_member_gets_the_live_chat(auth_client, member):
    response = auth_client.get("/rooms/lobby/")

    assert response.status_code == 200
    assert response.templates[0].name == "rooms/room_detail.html"
    assert b'id="composer"' in response.content
    assert b"js/room.js" in response.content


def test_a_non_member_gets_a_preview_with_a_join_button_and_no_messages(auth_client, room):
    from tests.support.factories import MessageFactory

    MessageFactory(room=room, body="members-only secret")
    response = auth_client.get("/rooms/lobby/")

    assert response.status_code == 200
    assert response.templates[0].name == "rooms/room_preview.html"
    assert b"/rooms/lobby/join/" in response.content
    assert b"members-only secret" not in response.content


def test_an_unknown_room_is_a_404(auth_client):
    assert auth_client.get("/rooms/nowhere/").status_code == 404


def test_joining_makes_me_a_member_once(auth_client, user, room):
    first = auth_client.post("/rooms/lobby/join/")
    auth_client.post("/rooms/lobby/join/")

    assert first["Location"] == "/rooms/lobby/"
    assert Membership.objects.get(room=room, user=user).role == Membership.Role.MEMBER


def test_join_and_leave_refuse_get(auth_client, room):
    assert auth_client.get("/rooms/lobby/join/").status_code == 405
    assert auth_client.get("/rooms/lobby/leave/").status_code == 405


def test_leaving_removes_my_membership(auth_client, member):
    response = auth_client.post("/rooms/lobby/leave/", follow=True)

    assert not Membership.objects.filter(pk=member.pk).exists()
    assert "You left Lobby." in response.content.decode()


def test_the_only_owner_is_told_they_cannot_leave(auth_client, user, room):
    MembershipFactory(room=room, user=user, role=Membership.Role.OWNER)

    response = auth_client.post("/rooms/lobby/leave/", follow=True)

    assert Membership.objects.filter(room=room, user=user).exists()
    assert "only owner" in response.content.decode()


def test_user_text_in_room_pages_is_escaped(auth_client, user):
    auth_client.post("/rooms/new/", {"name": "<script>alert(1)</script>", "description": "x"})
    response = auth_client.get("/rooms/")
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_admin_removing_a_member_goes_through_the_service(admin_client, member):
    url = reverse("admin:rooms_membership_delete", args=[member.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_admin_lists_rooms_memberships_and_messages(admin_client, member):
    from tests.support.factories import MessageFactory

    MessageFactory(room=member.room, author=member.user, body="visible in admin")
    for name in ["rooms_room", "rooms_membership", "messaging_message"]:
        response = admin_client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
    assert b"visible in admin" in admin_client.get("/admin/messaging/message/").content


def test_signed_in_client_fixture_is_not_staff(auth_client):
    assert isinstance(auth_client, Client)
    assert auth_client.get("/admin/").status_code == 302


# --- One name, one room ------------------------------------------------------------


def test_a_new_room_cannot_take_the_name_of_a_room_i_can_see(auth_client, room):
    response = auth_client.post("/rooms/new/", {"name": "  LOBBY "})

    assert response.status_code == 200
    assert "There is already a room called “LOBBY”: pick another name." in response.text
    assert Room.objects.count() == 1


def test_a_new_room_may_take_a_name_only_a_hidden_room_holds(auth_client, private_room):
    """Refusing it would tell me the hidden room exists."""
    response = auth_client.post("/rooms/new/", {"name": "Hideout"})

    assert response.status_code == 302
    assert Room.objects.filter(name="Hideout").count() == 2


def test_renaming_a_room_to_the_name_of_another_room_i_can_see_shows_a_form_error(
    client_for, owner, room
):
    RoomFactory(name="Book Club", slug="book-club")

    response = client_for(owner.user).post(
        "/rooms/lobby/settings/", {"name": "book club", "description": "", "visibility": "public"}
    )

    assert response.status_code == 200
    assert "There is already a room called “book club”: pick another name." in response.text
    room.refresh_from_db()
    assert room.name == "Lobby"


def test_saving_a_rooms_settings_under_its_own_name_is_no_clash(client_for, owner, room):
    response = client_for(owner.user).post(
        "/rooms/lobby/settings/", {"name": "LOBBY", "description": "new", "visibility": "public"}
    )

    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.name, room.description) == ("LOBBY", "new")


# --- How many rooms one person may create -----------------------------------------


def test_past_the_room_creation_limit_the_form_says_when_i_can_create_another(
    auth_client, user, settings
):
    settings.PARLEY_ROOM_CREATE_LIMIT = 2
    settings.PARLEY_ROOM_CREATE_WINDOW = 3600
    for name in ["One", "Two"]:
        assert auth_client.post("/rooms/new/", {"name": name}).status_code == 302

    response = auth_client.post("/rooms/new/", {"name": "Three"})

    assert response.status_code == 200
    assert "You have reached the limit of 2 new rooms in 1\xa0hour." in response.text
    assert "You can create another in 59\xa0minutes" in response.text
    assert not Room.objects.filter(name="Three").exists()


def test_rooms_created_before_the_window_do_not_count(auth_client, user, settings):
    settings.PARLEY_ROOM_CREATE_LIMIT = 1
    settings.PARLEY_ROOM_CREATE_WINDOW = 3600
    auth_client.post("/rooms/new/", {"name": "One"})
    an_hour_ago = timezone.now() - timedelta(hours=1, seconds=1)
    Room.objects.filter(name="One").update(created_at=an_hour_ago)

    response = auth_client.post("/rooms/new/", {"name": "Two"})

    assert response.status_code == 302
    assert Room.objects.filter(name="Two").exists()


def test_conversations_do_not_count_towards_the_room_limit(auth_client, user, other_user, settings):
    settings.PARLEY_ROOM_CREATE_LIMIT = 1
    assert auth_client.post("/dm/grace/").status_code == 302

    assert auth_client.post("/rooms/new/", {"name": "Mine"}).status_code == 302


def test_the_composer_takes_as_many_characters_as_a_message_may_hold(auth_client, member):
    page = auth_client.get(f"/rooms/{member.room.slug}/").content.decode()

    assert f'maxlength="{BODY_MAX_LENGTH}"' in page


@pytest.mark.parametrize("role", [Membership.Role.MEMBER, Membership.Role.MODERATOR])
def test_the_room_page_says_the_room_is_locked_beside_the_composer(client_for, room, role):
    notice = "This room is locked: only moderators can post."
    membership = MembershipFactory(room=room, role=role)
    room.is_locked = True
    room.save()

    page = client_for(membership.user).get(f"/rooms/{room.slug}/").content.decode()

    assert f'role="status">{notice}</p>' in page
    assert ("is-refusal" in page) is (role == Membership.Role.MEMBER)


def test_the_room_page_hides_the_notice_when_the_room_has_no_rules_to_tell(auth_client, member):
    page = auth_client.get(f"/rooms/{member.room.slug}/").content.decode()

    assert 'role="status" hidden></p>' in page


def test_a_banned_visitor_is_told_when_the_ban_ends_instead_of_a_join_button(client_for, room):
    bob = UserFactory(username="bob")
    BanFactory(room=room, user=bob, expires_at=timezone.now() + timedelta(days=1))

    page = client_for(bob).get(f"/rooms/{room.slug}/").content.decode()

    assert "You are banned from this room. The ban ends " in page
    assert "Join room" not in page


def test_slow_mode_past_its_maximum_is_refused_by_the_form_and_the_model(client_for, owner, room):
    response = client_for(owner.user).post(
        f"/rooms/{room.slug}/settings/slow-mode/",
        {"seconds": SLOW_MODE_MAX_SECONDS + 1},
        follow=True,
    )
    room.refresh_from_db()
    room.slow_mode_seconds = SLOW_MODE_MAX_SECONDS + 1

    assert f"from 0 to {SLOW_MODE_MAX_SECONDS}." in response.content.decode()
    with pytest.raises(ValidationError):
        room.full_clean()


def test_the_member_list_shows_each_members_avatar_beside_their_name(
    auth_client, member, other_member
):
    """Initials and a colour from the username, as the room page draws them; decorative,
    since the name is written beside it."""
    other_member.user.display_name = "Grace <b>Hopper</b>"
    other_member.user.save()

    content = auth_client.get("/rooms/lobby/members/").content.decode()

    grace = avatar_for(username=other_member.user.username, display_name="Grace <b>Hopper</b>")
    assert grace.initials == "GB"
    assert (
        f'<span class="avatar avatar-{grace.color}" aria-hidden="true">GB</span>'
        "<strong>Grace &lt;b&gt;Hopper&lt;/b&gt;</strong>"
    ) in content
    mine = avatar_for(username=member.user.username, display_name=member.user.shown_name)
    assert (
        f'<span class="avatar avatar-{mine.color}" aria-hidden="true">{mine.initials}</span>'
        in (content)
    )


def test_the_member_list_and_the_room_page_show_an_uploaded_avatar(
    auth_client, member, other_member, media_root
):
    grace = with_avatar(other_member.user)
    url = f"/accounts/avatars/{grace.pk}/{grace.avatar_version}.webp"

    members = auth_client.get("/rooms/lobby/members/").content.decode()
    room_page = auth_client.get("/rooms/lobby/").content.decode()

    assert f'<img class="avatar" src="{url}" alt=""><strong>Grace Hopper</strong>' in members
    assert f"&quot;avatar_url&quot;: &quot;{url}&quot;" in room_page
