"""Owners and moderators running a room over HTTP, and the audit log that remembers it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from messaging.services import message_delete
from rooms.models import Ban, Membership
from tests.support.factories import BanFactory, MembershipFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

Logged = AuditLogEntry.Action


@pytest.fixture
def tess(room) -> Membership:
    """A plain member for owners and moderators to act on."""
    return MembershipFactory(user=UserFactory(username="tess"), room=room)


@pytest.fixture
def owner_client(owner, client_for):
    return client_for(owner.user)


@pytest.fixture
def moderator_client(moderator, client_for):
    return client_for(moderator.user)


def act(client, username: str, action: str, **fields: str):
    return client.post(f"/rooms/lobby/members/{username}/", {"action": action, **fields})


def only_entry() -> AuditLogEntry:
    (entry,) = AuditLogEntry.objects.all()
    return entry


# --- Who may reach the moderation pages -----------------------------------------------

MODERATION_POSTS = [
    ("/rooms/lobby/members/ada/", {"action": "kick"}),
    ("/rooms/lobby/settings/", {"name": "Taken"}),
    ("/rooms/lobby/settings/lock/", {}),
    ("/rooms/lobby/settings/archive/", {}),
    ("/rooms/lobby/invitations/", {}),
]


@pytest.mark.parametrize(("url", "data"), MODERATION_POSTS)
def test_the_anonymous_are_sent_to_log_in_and_nothing_changes(client, member, url, data):
    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Membership.objects.filter(pk=member.pk).exists()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize(
    "url", ["/rooms/lobby/members/", "/rooms/lobby/settings/", "/rooms/lobby/audit/"]
)
def test_the_anonymous_cannot_see_moderation_pages(client, room, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_member_actions_refuse_get(owner_client, tess):
    response = owner_client.get("/rooms/lobby/members/tess/")

    assert response.status_code == 405
    assert Membership.objects.filter(pk=tess.pk).exists()


def test_an_unknown_switch_is_a_404(owner_client):
    assert owner_client.post("/rooms/lobby/settings/explode/").status_code == 404


# --- What each member action does ----------------------------------------------------


def test_kicking_removes_the_membership_and_the_kicked_member_may_rejoin(
    owner_client, client_for, tess
):
    response = act(owner_client, "tess", "kick", reason="spam")

    assert response.status_code == 302
    assert response["Location"] == "/rooms/lobby/members/"
    assert not Membership.objects.filter(pk=tess.pk).exists()
    assert client_for(tess.user).post("/rooms/lobby/join/").status_code == 302
    assert Membership.objects.filter(user=tess.user, room=tess.room).exists()


def test_a_ban_for_some_minutes_keeps_the_user_out_until_it_ends(owner_client, client_for, tess):
    act(owner_client, "tess", "ban", minutes="60", reason="flooding")

    ban = Ban.objects.get(user=tess.user)
    assert ban.expires_at == pytest.approx(
        timezone.now() + timedelta(minutes=60), abs=timedelta(seconds=5)
    )
    assert ban.reason == "flooding"
    assert not Membership.objects.filter(user=tess.user).exists()
    assert client_for(tess.user).post("/rooms/lobby/join/").status_code == 403
    assert not Membership.objects.filter(user=tess.user).exists()


def test_a_ban_without_minutes_lasts_until_lifted(owner_client, client_for, tess):
    act(owner_client, "tess", "ban")
    ban = Ban.objects.get(user=tess.user)
    assert ban.expires_at is None

    owner_client.post(f"/rooms/lobby/bans/{ban.pk}/lift/")

    assert not Ban.objects.exists()
    assert client_for(tess.user).post("/rooms/lobby/join/").status_code == 302


def test_an_expired_ban_no_longer_keeps_anyone_out(room, client_for, outsider):
    BanFactory(room=room, user=outsider, expires_at=timezone.now() - timedelta(seconds=1))

    assert client_for(outsider).post("/rooms/lobby/join/").status_code == 302
    assert Membership.objects.filter(user=outsider, room=room).exists()


def test_a_banned_user_sees_why_on_the_room_page(room, client_for, outsider):
    BanFactory(room=room, user=outsider)

    response = client_for(outsider).get("/rooms/lobby/")

    assert response.status_code == 200
    assert "You are banned from this room." in response.content.decode()
    assert b"/rooms/lobby/join/" not in response.content


def test_muting_sets_when_it_ends_and_unmuting_clears_it(moderator_client, tess):
    act(moderator_client, "tess", "mute", minutes="15")
    tess.refresh_from_db()
    assert tess.muted_until == pytest.approx(
        timezone.now() + timedelta(minutes=15), abs=timedelta(seconds=5)
    )

    act(moderator_client, "tess", "unmute")
    tess.refresh_from_db()
    assert tess.muted_until is None


def test_a_mute_needs_a_duration(moderator_client, tess):
    response = act(moderator_client, "tess", "mute")

    assert response.status_code == 302
    tess.refresh_from_db()
    assert tess.muted_until is None
    assert not AuditLogEntry.objects.exists()


def test_an_owner_promotes_a_member_and_demotes_them_again(owner_client, tess):
    act(owner_client, "tess", "promote")
    tess.refresh_from_db()
    assert tess.role == Membership.Role.MODERATOR

    act(owner_client, "tess", "demote")
    tess.refresh_from_db()
    assert tess.role == Membership.Role.MEMBER


def test_transferring_ownership_leaves_the_old_owner_a_moderator(owner_client, owner, tess):
    act(owner_client, "tess", "transfer")

    owner.refresh_from_db()
    tess.refresh_from_db()
    assert (tess.role, owner.role) == (Membership.Role.OWNER, Membership.Role.MODERATOR)


def test_the_members_page_offers_moderators_only_the_actions_they_may_take(
    moderator_client, owner, tess
):
    response = moderator_client.get("/rooms/lobby/members/")

    rows = {row["membership"].user.username: row["can"] for row in response.context["rows"]}
    assert rows["tess"] == {
        "kick": True,
        "ban": True,
        "mute": True,
        "promote": False,
        "transfer": False,
    }
    assert not any(rows["olivia"].values())
    assert not any(rows["mona"].values())


def test_a_plain_member_sees_the_members_but_no_controls(auth_client, member, tess):
    response = auth_client.get("/rooms/lobby/members/")

    assert response.status_code == 200
    assert response.context["may_moderate"] is False
    assert b"member-action-form" not in response.content


@pytest.mark.parametrize(
    ("who", "controls"),
    [
        (
            "member",
            {"moderate": False, "invite": False, "settings": False, "audit": False}
            | {"react": True, "pin": False, "edit_history": False},
        ),
        (
            "moderator",
            {"moderate": True, "invite": True, "settings": True, "audit": True}
            | {"react": True, "pin": True, "edit_history": True},
        ),
        (
            "owner",
            {"moderate": True, "invite": True, "settings": True, "audit": True}
            | {"react": True, "pin": True, "edit_history": True},
        ),
    ],
)
def test_the_room_page_offers_each_role_only_the_controls_it_may_use(
    request, client_for, who, controls
):
    response = client_for(request.getfixturevalue(who).user).get("/rooms/lobby/")

    assert response.context["can"] == controls
    # Every role's links are on the page (a role change shows them in place); the ones
    # this role may not use are hidden.
    page = response.content.decode()
    for control, path in [("invite", "invitations"), ("settings", "settings"), ("audit", "audit")]:
        link = re.search(rf'<a href="/rooms/lobby/{path}/" data-control="{control}"[^>]*>', page)
        assert link, f"no {control} link"
        assert ("hidden" not in link.group(0)) is controls[control]


def test_the_room_page_tells_a_muted_member_why_they_cannot_post(auth_client, member):
    member.muted_until = timezone.now() + timedelta(minutes=5)
    member.save()

    response = auth_client.get("/rooms/lobby/")

    assert response.context["post_refusal"].code == "muted"


# --- The audit log records every moderation action -----------------------------------


def _delete_message_as_moderator(moderator, tess) -> None:
    message = MessageFactory(room=tess.room, author=tess.user)
    message_delete(room=tess.room, user=moderator.user, message_id=message.pk, reason="off topic")


# (what is done, the audit action, the target's username, the reason given)
AUDITED = [
    (lambda c, m, t: act(c, "tess", "kick", reason="spam"), Logged.MEMBER_KICK, "tess", "spam"),
    (
        lambda c, m, t: act(c, "tess", "ban", reason="abuse", minutes="5"),
        Logged.MEMBER_BAN,
        "tess",
        "abuse",
    ),
    (
        lambda c, m, t: c.post(
            f"/rooms/lobby/bans/{BanFactory(room=t.room, user=t.user).pk}/lift/"
        ),
        Logged.MEMBER_UNBAN,
        "tess",
        "",
    ),
    (
        lambda c, m, t: act(c, "tess", "mute", reason="cool off", minutes="10"),
        Logged.MEMBER_MUTE,
        "tess",
        "cool off",
    ),
    (lambda c, m, t: act(c, "tess", "unmute"), Logged.MEMBER_UNMUTE, "tess", ""),
    (lambda c, m, t: act(c, "tess", "promote"), Logged.MEMBER_PROMOTE, "tess", ""),
    (lambda c, m, t: act(c, "mona", "demote"), Logged.MEMBER_DEMOTE, "mona", ""),
    (lambda c, m, t: act(c, "tess", "transfer"), Logged.ROOM_TRANSFER, "tess", ""),
    (
        lambda c, m, t: _delete_message_as_moderator(m, t),
        Logged.MESSAGE_DELETE,
        "tess",
        "off topic",
    ),
    (lambda c, m, t: c.post("/rooms/lobby/settings/lock/"), Logged.ROOM_LOCK, None, ""),
    (lambda c, m, t: c.post("/rooms/lobby/settings/unlock/"), Logged.ROOM_UNLOCK, None, ""),
    (
        lambda c, m, t: c.post("/rooms/lobby/settings/slow-mode/", {"seconds": "20"}),
        Logged.ROOM_SLOW_MODE,
        None,
        "",
    ),
    (lambda c, m, t: c.post("/rooms/lobby/settings/archive/"), Logged.ROOM_ARCHIVE, None, ""),
    (lambda c, m, t: c.post("/rooms/lobby/settings/unarchive/"), Logged.ROOM_UNARCHIVE, None, ""),
    (
        lambda c, m, t: c.post(
            "/rooms/lobby/settings/",
            {"name": "Parlour", "description": "New", "visibility": "public"},
        ),
        Logged.ROOM_UPDATE,
        None,
        "",
    ),
    (
        lambda c, m, t: c.post("/rooms/lobby/invitations/", {"username": "mallory"}),
        Logged.INVITATION_CREATE,
        "mallory",
        "",
    ),
]


@pytest.mark.parametrize(
    ("do", "logged", "target", "reason"), AUDITED, ids=[str(row[1]) for row in AUDITED]
)
def test_every_moderation_action_records_actor_action_target_and_reason(
    owner_client, owner, moderator, tess, outsider, do, logged, target, reason
):
    do(owner_client, moderator, tess)

    entry = only_entry()
    actor = moderator.user if logged == Logged.MESSAGE_DELETE else owner.user
    assert (entry.room, entry.actor, entry.action) == (owner.room, actor, logged)
    assert (entry.target_user.username if entry.target_user else None) == target
    assert entry.reason == reason
    assert entry.created_at == pytest.approx(timezone.now(), abs=timedelta(seconds=5))


def test_a_moderators_deletion_records_the_message(moderator, tess):
    message = MessageFactory(room=tess.room, author=tess.user)

    message_delete(room=tess.room, user=moderator.user, message_id=message.pk, reason="rude")

    assert only_entry().target_message == message


def test_deleting_my_own_message_is_not_moderation(member):
    message = MessageFactory(room=member.room, author=member.user)

    message_delete(room=member.room, user=member.user, message_id=message.pk)

    assert not AuditLogEntry.objects.exists()


def test_a_settings_change_records_only_what_changed(owner_client, room):
    owner_client.post(
        "/rooms/lobby/settings/",
        {"name": "Parlour", "description": room.description, "visibility": "private"},
    )

    assert only_entry().details == {"name": "Parlour", "visibility": "private"}
    room.refresh_from_db()
    assert (room.name, room.slug, room.is_private) == ("Parlour", "lobby", True)


def test_a_refused_action_leaves_no_trace_in_the_audit_log(moderator_client, owner):
    assert act(moderator_client, "olivia", "kick").status_code == 403

    assert not AuditLogEntry.objects.exists()


# --- Who sees the audit log -----------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "moderator"])
def test_owners_and_moderators_read_the_rooms_audit_log(
    request, client_for, owner, moderator, tess, who
):
    act(client_for(owner.user), "tess", "kick", reason="spam, again")

    response = client_for(request.getfixturevalue(who).user).get("/rooms/lobby/audit/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "olivia" in content
    assert "kicked" in content
    assert "@tess" in content
    assert "spam, again" in content


def test_members_may_not_read_the_audit_log(auth_client, member):
    assert auth_client.get("/rooms/lobby/audit/").status_code == 403


def test_the_audit_page_shows_only_this_rooms_log(owner_client, owner, client_for):
    elsewhere = MembershipFactory(role=Membership.Role.OWNER).room
    MembershipFactory(room=elsewhere, user=UserFactory(username="xavier"))
    client_for(elsewhere.memberships.get(role="owner").user).post(
        f"/rooms/{elsewhere.slug}/members/xavier/", {"action": "kick"}
    )

    response = owner_client.get("/rooms/lobby/audit/")

    assert list(response.context["entries"]) == []
    assert b"xavier" not in response.content


def test_the_audit_page_shows_the_slow_mode_that_was_set_and_when_it_was_turned_off(
    owner_client, owner
):
    owner_client.post("/rooms/lobby/settings/slow-mode/", {"seconds": "30"})
    owner_client.post("/rooms/lobby/settings/slow-mode/", {"seconds": "0"})

    rows = re.findall(
        r"<td>olivia</td>\s*<td>([^<]*)</td>", owner_client.get("/rooms/lobby/audit/").text
    )

    assert rows == ["turned slow mode off", "set slow mode to 30 s"]
