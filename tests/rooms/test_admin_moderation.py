"""Site admins moderate in the Django admin: the same services, the same live effects."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from messaging.models import Message
from rooms.models import Ban, Membership, Room
from tests.support.factories import BanFactory, MembershipFactory, MessageFactory
from tests.support.sockets import close_code, joined

# The websocket fixture lives with the messaging tests; here it is borrowed, not copied.

Logged = AuditLogEntry.Action


def run_action(admin_client, model: str, action: str, *objects):
    """POST an admin action on the changelist, as the "Go" button does."""
    return admin_client.post(
        reverse(f"admin:{model}_changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )


def entries(action: str) -> list[AuditLogEntry]:
    return list(AuditLogEntry.objects.filter(action=action).select_related("actor", "target_user"))


# --- Actions call the services ----------------------------------------------------------


@pytest.mark.django_db
def test_removing_messages_soft_deletes_them_and_records_the_admin(
    admin_client, admin_user, member
):
    messages = [MessageFactory(room=member.room, author=member.user) for _ in range(2)]

    response = run_action(admin_client, "messaging_message", "remove_messages", *messages)

    assert response.status_code == 302
    for message in messages:
        message.refresh_from_db()
        assert message.deleted_at is not None
        assert message.deleted_by == admin_user
    assert Message.objects.count() == 2
    logged = entries(Logged.MESSAGE_DELETE)
    assert {entry.target_message_id for entry in logged} == {m.pk for m in messages}
    assert {(entry.actor, entry.target_user) for entry in logged} == {(admin_user, member.user)}
    assert all(entry.reason for entry in logged)


@pytest.mark.django_db
def test_the_admin_cannot_hard_delete_messages(admin_client, member):
    message = MessageFactory(room=member.room, author=member.user)

    response = admin_client.post(
        reverse("admin:messaging_message_delete", args=[message.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Message.objects.filter(pk=message.pk, deleted_at__isnull=True).exists()


@pytest.mark.django_db
def test_banning_from_the_admin_removes_the_member_and_keeps_them_out(
    admin_client, admin_user, member, client_for
):
    run_action(admin_client, "rooms_membership", "ban", member)

    assert not Membership.objects.filter(pk=member.pk).exists()
    ban = Ban.objects.get()
    assert (ban.user, ban.banned_by, ban.expires_at) == (member.user, admin_user, None)
    (entry,) = entries(Logged.MEMBER_BAN)
    assert (entry.actor, entry.target_user) == (admin_user, member.user)
    assert entry.reason
    assert client_for(member.user).post("/rooms/lobby/join/").status_code == 403


@pytest.mark.django_db
def test_the_admin_bans_even_an_owner(admin_client, owner):
    run_action(admin_client, "rooms_membership", "ban", owner)

    assert Ban.objects.filter(user=owner.user).exists()


@pytest.mark.django_db
def test_muting_for_an_hour_and_unmuting_from_the_admin(admin_client, admin_user, member):
    run_action(admin_client, "rooms_membership", "mute_for_an_hour", member)
    member.refresh_from_db()
    assert member.muted_until == pytest.approx(
        timezone.now() + timedelta(hours=1), abs=timedelta(seconds=5)
    )

    run_action(admin_client, "rooms_membership", "unmute", member)
    member.refresh_from_db()
    assert member.muted_until is None
    assert [e.actor for e in entries(Logged.MEMBER_MUTE) + entries(Logged.MEMBER_UNMUTE)] == [
        admin_user,
        admin_user,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "logged", "is_locked", "is_archived"),
    [
        ("lock", Logged.ROOM_LOCK, True, False),
        ("archive", Logged.ROOM_ARCHIVE, False, True),
    ],
)
def test_locking_and_archiving_rooms_from_the_admin(
    admin_client, admin_user, room, action, logged, is_locked, is_archived
):
    run_action(admin_client, "rooms_room", action, room)

    room.refresh_from_db()
    assert (room.is_locked, room.is_archived) == (is_locked, is_archived)
    assert [entry.actor for entry in entries(logged)] == [admin_user]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "logged"), [("unlock", Logged.ROOM_UNLOCK), ("unarchive", Logged.ROOM_UNARCHIVE)]
)
def test_unlocking_and_reopening_rooms_from_the_admin(admin_client, action, logged):
    if action == "unlock":
        room = Room.objects.create(name="Quiet", slug="quiet", is_locked=True)
    else:
        room = Room.objects.create(name="Old", slug="old", archived_at=timezone.now())

    run_action(admin_client, "rooms_room", action, room)

    room.refresh_from_db()
    assert not (room.is_locked if action == "unlock" else room.is_archived)
    assert len(entries(logged)) == 1


@pytest.mark.django_db
def test_unbanning_from_the_admin_lets_the_user_back(
    admin_client, admin_user, room, outsider, client_for
):
    ban = BanFactory(room=room, user=outsider)

    run_action(admin_client, "rooms_ban", "unban", ban)

    assert not Ban.objects.exists()
    assert [(e.actor, e.target_user) for e in entries(Logged.MEMBER_UNBAN)] == [
        (admin_user, outsider)
    ]
    assert client_for(outsider).post("/rooms/lobby/join/").status_code == 302


@pytest.mark.django_db
def test_deleting_a_ban_in_the_admin_is_an_unban(admin_client, room, outsider):
    ban = BanFactory(room=room, user=outsider)

    admin_client.post(reverse("admin:rooms_ban_delete", args=[ban.pk]), {"post": "yes"})

    assert not Ban.objects.exists()
    assert len(entries(Logged.MEMBER_UNBAN)) == 1


@pytest.mark.django_db
def test_a_refused_admin_action_is_reported_and_changes_nothing(admin_client, admin_user, room):
    mine = MembershipFactory(user=admin_user, room=room)

    response = run_action(admin_client, "rooms_membership", "ban", mine)

    assert response.status_code == 302
    shown = [str(m) for m in admin_client.get(response["Location"]).context["messages"]]
    assert any("yourself" in text for text in shown)
    assert Membership.objects.filter(pk=mine.pk).exists()
    assert not Ban.objects.exists()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["delete page", "delete_selected action"])
def test_deleting_a_membership_in_the_admin_is_a_kick_in_the_audit_log(
    admin_client, admin_user, member, how
):
    if how == "delete page":
        admin_client.post(
            reverse("admin:rooms_membership_delete", args=[member.pk]), {"post": "yes"}
        )
    else:
        admin_client.post(
            reverse("admin:rooms_membership_changelist"),
            {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"},
        )

    assert not Membership.objects.filter(pk=member.pk).exists()
    assert [(e.actor, e.target_user) for e in entries(Logged.MEMBER_KICK)] == [
        (admin_user, member.user)
    ]


@pytest.mark.django_db
def test_changing_a_role_in_the_admin_is_recorded_like_a_promotion(
    admin_client, admin_user, member
):
    url = reverse("admin:rooms_membership_change", args=[member.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}

    response = admin_client.post(url, {**data, "role": "moderator"})

    assert response.status_code == 302

    member.refresh_from_db()
    assert member.role == Membership.Role.MODERATOR
    assert [e.actor for e in entries(Logged.MEMBER_PROMOTE)] == [admin_user]


# --- The audit log in the admin is read-only --------------------------------------------


@pytest.fixture
def logged_kick(owner, member) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        room=owner.room,
        actor=owner.user,
        action=Logged.MEMBER_KICK,
        target_user=member.user,
        reason="spam",
    )


@pytest.mark.django_db
def test_the_admin_lists_the_whole_audit_log(admin_client, logged_kick):
    elsewhere = MembershipFactory(role=Membership.Role.OWNER)
    AuditLogEntry.objects.create(room=elsewhere.room, actor=elsewhere.user, action=Logged.ROOM_LOCK)

    response = admin_client.get(reverse("admin:audit_auditlogentry_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert b"spam" in response.content


@pytest.mark.django_db
def test_the_admin_shows_an_audit_entry_without_a_way_to_change_it(admin_client, logged_kick):
    url = reverse("admin:audit_auditlogentry_change", args=[logged_kick.pk])

    page = admin_client.get(url)
    changed = admin_client.post(url, {"reason": "nothing happened", "action": Logged.ROOM_LOCK})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert changed.status_code == 403
    logged_kick.refresh_from_db()
    assert (logged_kick.reason, logged_kick.action) == ("spam", Logged.MEMBER_KICK)


@pytest.mark.django_db
def test_the_admin_can_neither_add_nor_delete_audit_entries(admin_client, logged_kick):
    add = admin_client.get(reverse("admin:audit_auditlogentry_add"))
    delete = admin_client.post(
        reverse("admin:audit_auditlogentry_delete", args=[logged_kick.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:audit_auditlogentry_changelist"),
        {"action": "delete_selected", "_selected_action": [logged_kick.pk], "post": "yes"},
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert bulk.status_code in {200, 302}
    assert AuditLogEntry.objects.filter(pk=logged_kick.pk).exists()


# --- An admin action reaches connected clients live ----------------------------------------


async def admin_does(admin_client, model: str, action: str, obj) -> None:
    response = await database_sync_to_async(run_action)(admin_client, model, action, obj)
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
async def test_a_message_removed_in_the_admin_vanishes_from_open_pages(
    open_socket, admin_client, member, other_member
):
    message = await database_sync_to_async(MessageFactory)(room=member.room, author=member.user)
    author, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(author)
    await joined(reader)

    await admin_does(admin_client, "messaging_message", "remove_messages", message)

    expected = {"type": "message.deleted", "id": message.pk}
    assert await author.receive_json_from() == expected
    assert await reader.receive_json_from() == expected


@pytest.mark.django_db(transaction=True)
async def test_a_ban_in_the_admin_closes_the_banned_members_socket(
    open_socket, admin_client, member, other_member
):
    stayer, banned = await open_socket(member.user), await open_socket(other_member.user)
    await joined(stayer)
    await joined(banned)

    await admin_does(admin_client, "rooms_membership", "ban", other_member)

    removed = await banned.receive_json_from()
    assert (removed["type"], removed["reason"]) == ("removed", "banned")
    assert await close_code(banned) == 4403
    assert await stayer.receive_nothing()


@pytest.mark.django_db(transaction=True)
async def test_a_membership_deleted_in_the_admin_closes_that_members_socket(
    open_socket, admin_client, member
):
    socket = await open_socket(member.user)
    await joined(socket)

    response = await database_sync_to_async(admin_client.post)(
        reverse("admin:rooms_membership_delete", args=[member.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert (await socket.receive_json_from())["type"] == "removed"
    assert await close_code(socket) == 4403


@pytest.mark.django_db(transaction=True)
async def test_a_mute_and_a_lock_in_the_admin_take_effect_on_open_sockets(
    open_socket, admin_client, member
):
    socket = await open_socket(member.user)
    await joined(socket)

    await admin_does(admin_client, "rooms_membership", "mute_for_an_hour", member)
    update = await socket.receive_json_from()
    await socket.send_json_to({"type": "message.send", "body": "hi", "client_id": "c-1"})
    muted = await socket.receive_json_from()
    await admin_does(admin_client, "rooms_room", "lock", member.room)
    locked = await socket.receive_json_from()

    assert (update["type"], update["is_me"]) == ("member.updated", True)
    assert update["member"]["muted_until"]
    assert muted["code"] == "muted"
    assert (locked["type"], locked["room"]["is_locked"]) == ("room.updated", True)
