"""The permission matrix, cell by cell: in ``rooms.permissions``, over HTTP and over the websocket.

Roles are a non-member, a member, a moderator, an owner and site staff who belong to no room.
``ALLOWED`` is the matrix of ``docs/permissions.md``; every entry point is checked against it.
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLogEntry
from messaging.models import Message
from messaging.services import MessageRejected, message_create
from rooms.models import Membership
from rooms.permissions import (
    ROOM_STATE_SENTENCES,
    Action,
    PermissionDenied,
    actor_get,
    ban_denial,
    can,
    check,
    denial,
    join_denial,
    oversees,
    room_state_notice,
)
from rooms.selectors import rooms_visible
from tests.support.factories import (
    BanFactory,
    InvitationFactory,
    MembershipFactory,
    MessageFactory,
    RoomFactory,
    UserFactory,
)
from tests.support.sockets import close_code, joined

# The websocket fixture lives with the messaging tests; here it is borrowed, not copied.

Role = Membership.Role
ROLES = ["non_member", "member", "moderator", "owner", "staff"]
MODERATORS_UP = {"moderator", "owner", "staff"}
OWNERS_UP = {"owner", "staff"}
MEMBERS_UP = {"member", "moderator", "owner", "staff"}

ALLOWED: dict[Action, set[str]] = {
    Action.READ: MEMBERS_UP,
    # Staff moderate everywhere but talk only where they have joined (docs/permissions.md).
    Action.POST: {"member", "moderator", "owner"},
    Action.UPLOAD: {"member", "moderator", "owner"},
    Action.EDIT_OWN: MEMBERS_UP,
    Action.DELETE_OWN: MEMBERS_UP,
    Action.DELETE_ANY: MODERATORS_UP,
    # A reaction speaks for the person, as a post does: staff join first.
    Action.REACT: {"member", "moderator", "owner"},
    Action.PIN: MODERATORS_UP,
    # Of one's own message; another's is the next test's.
    Action.VIEW_EDIT_HISTORY: MEMBERS_UP,
    Action.INVITE: MODERATORS_UP,
    Action.KICK: MODERATORS_UP,
    Action.BAN: MODERATORS_UP,
    Action.MUTE: MODERATORS_UP,
    Action.PROMOTE: OWNERS_UP,
    Action.TRANSFER: OWNERS_UP,
    Action.SETTINGS: OWNERS_UP,
    Action.LOCK: MODERATORS_UP,
    Action.SLOW_MODE: MODERATORS_UP,
    Action.ARCHIVE: OWNERS_UP,
    Action.VIEW_AUDIT: MODERATORS_UP,
    # The exemptions of footnote 2: a lock and slow mode hold back plain members only.
    Action.POST_WHEN_LOCKED: MODERATORS_UP,
    Action.BYPASS_SLOW_MODE: MODERATORS_UP,
}
AGAINST_MEMBERS = [Action.KICK, Action.BAN, Action.MUTE, Action.PROMOTE, Action.TRANSFER]
WRITES = [
    Action.POST,
    Action.EDIT_OWN,
    Action.DELETE_OWN,
    Action.DELETE_ANY,
    Action.REACT,
    Action.PIN,
    Action.INVITE,
    Action.LOCK,
    Action.SLOW_MODE,
]


@pytest.fixture
def cast(room, member, moderator, owner, staff_user, outsider) -> dict[str, User]:
    """One user per role in the lobby, plus a plain member (tess) and a second moderator (max)."""
    MembershipFactory(user=UserFactory(username="tess"), room=room)
    MembershipFactory(user=UserFactory(username="max"), room=room, role=Role.MODERATOR)
    return {
        "non_member": outsider,
        "member": member.user,
        "moderator": moderator.user,
        "owner": owner.user,
        "staff": staff_user,
    }


def membership_of(username: str) -> Membership:
    return Membership.objects.select_related("user", "room").get(user__username=username)


# --- The matrix in rooms.permissions -------------------------------------------------


def test_the_matrix_decides_every_action():
    assert set(ALLOWED) == set(Action)


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_take_exactly_the_actions_the_matrix_gives_it(cast, room, role, action):
    actor = actor_get(user=cast[role], room=room)

    refused = denial(actor, action, target=membership_of("tess"), message_author_id=cast[role].pk)

    if role in ALLOWED[action]:
        assert refused is None
    else:
        assert refused is not None
        assert refused.code == "forbidden"
        assert refused.detail


@pytest.mark.django_db
def test_check_and_can_give_the_same_answer_as_denial(cast, room):
    member = actor_get(user=cast["member"], room=room)
    moderator = actor_get(user=cast["moderator"], room=room)

    with pytest.raises(PermissionDenied) as refused:
        check(member, Action.LOCK)
    check(moderator, Action.LOCK)

    assert refused.value.code == "forbidden"
    assert (can(member, Action.LOCK), can(moderator, Action.LOCK)) == (False, True)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.KICK, Action.BAN, Action.MUTE])
@pytest.mark.parametrize("target", ["olivia", "max"])
def test_a_moderator_cannot_act_against_an_owner_or_another_moderator(cast, room, action, target):
    actor = actor_get(user=cast["moderator"], room=room)

    refused = denial(actor, action, target=membership_of(target))

    assert refused is not None
    assert refused.code == "forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.KICK, Action.BAN, Action.MUTE, Action.PROMOTE])
@pytest.mark.parametrize("role", ["owner", "staff"])
def test_only_an_owner_or_staff_acts_against_a_moderator(cast, room, role, action):
    actor = actor_get(user=cast[role], room=room)

    assert denial(actor, action, target=membership_of("mona")) is None


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.KICK, Action.BAN, Action.MUTE])
def test_site_staff_may_act_against_an_owner(cast, room, action):
    actor = actor_get(user=cast["staff"], room=room)

    assert denial(actor, action, target=membership_of("olivia")) is None


@pytest.mark.django_db
@pytest.mark.parametrize("action", AGAINST_MEMBERS)
@pytest.mark.parametrize("role", ["member", "moderator", "owner", "staff"])
def test_nobody_acts_on_themselves(cast, room, role, action):
    if role == "staff":
        MembershipFactory(user=cast["staff"], room=room)
    actor = actor_get(user=cast[role], room=room)

    refused = denial(actor, action, target=membership_of(cast[role].username))

    assert refused is not None
    assert refused.code == "forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_earlier_versions_of_someone_elses_message_are_for_moderators_only(cast, room, role):
    tess = membership_of("tess").user
    actor = actor_get(user=cast[role], room=room)

    refused = denial(actor, Action.VIEW_EDIT_HISTORY, message_author_id=tess.pk)

    if role in MODERATORS_UP:
        assert refused is None
    else:
        assert refused is not None
        assert refused.code == "forbidden"
        assert refused.detail


@pytest.mark.django_db
@pytest.mark.parametrize("action", AGAINST_MEMBERS)
def test_a_member_of_another_room_is_not_a_target(cast, room, action):
    elsewhere = MembershipFactory(room=RoomFactory(slug="elsewhere"))
    actor = actor_get(user=cast["owner"], room=room)

    refused = denial(actor, action, target=elsewhere)

    assert refused is not None
    assert refused.code == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "action"),
    [
        (role, action)
        for action in WRITES
        for role in ["member", "moderator", "owner", "staff"]
        # Staff join first here, so the cell is every write each role may take elsewhere.
        if role in ALLOWED[action] or role == "staff"
    ],
)
def test_an_archived_room_refuses_writes_to_everyone_with_archived(cast, room, role, action):
    if role == "staff":
        MembershipFactory(user=cast["staff"], room=room)
    room.archived_at = timezone.now()
    room.save()
    actor = actor_get(user=cast[role], room=room)

    refused = denial(actor, action, message_author_id=cast[role].pk)

    assert refused is not None
    assert refused.code == "archived"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "moderator", "owner"])
def test_an_archived_room_stays_readable_and_its_owner_may_reopen_it(cast, room, role):
    room.archived_at = timezone.now()
    room.save()
    actor = actor_get(user=cast[role], room=room)

    assert denial(actor, Action.READ) is None
    assert can(actor, Action.ARCHIVE) is (role == "owner")


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.POST, Action.EDIT_OWN])
@pytest.mark.parametrize(
    ("role", "allowed"), [("member", False), ("moderator", True), ("owner", True)]
)
def test_a_locked_room_lets_only_moderators_and_owners_post(cast, room, role, allowed, action):
    room.is_locked = True
    room.save()
    actor = actor_get(user=cast[role], room=room)

    refused = denial(actor, action, message_author_id=cast[role].pk)

    assert (refused is None) is allowed
    if not allowed:
        assert refused.code == "locked"


@pytest.mark.django_db
def test_a_muted_member_may_not_post_and_is_told_until_when(member):
    member.muted_until = timezone.now() + timedelta(minutes=5)
    member.save()
    actor = actor_get(user=member.user, room=member.room)

    refused = denial(actor, Action.POST)

    assert refused.code == "muted"
    assert refused.until == member.muted_until
    assert denial(actor, Action.READ) is None


@pytest.mark.django_db
def test_a_mute_that_has_ended_no_longer_holds_a_member_back(member):
    member.muted_until = timezone.now() - timedelta(seconds=1)
    member.save()

    assert denial(actor_get(user=member.user, room=member.room), Action.POST) is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "staff"])
def test_a_deactivated_account_may_do_nothing(cast, room, role):
    user = cast[role]
    user.is_active = False
    user.save()
    actor = actor_get(user=user, room=room)

    assert all(denial(actor, action) is not None for action in Action)


@pytest.mark.django_db
def test_site_staff_who_joined_a_room_may_post_in_it(cast, room):
    MembershipFactory(user=cast["staff"], room=room)

    assert denial(actor_get(user=cast["staff"], room=room), Action.POST) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "held_back"),
    [("member", True), ("moderator", False), ("owner", False), ("staff", False)],
)
def test_slow_mode_holds_back_only_those_the_table_does_not_exempt(cast, room, role, held_back):
    if role == "staff":
        MembershipFactory(user=cast["staff"], room=room)  # staff who joined as plain members
    room.slow_mode_seconds = 60
    room.save()

    message_create(room=room, author=cast[role], body="first")
    if held_back:
        with pytest.raises(MessageRejected) as refused:
            message_create(room=room, author=cast[role], body="second")
        assert refused.value.code == "slow_mode"
    else:
        _message, created = message_create(room=room, author=cast[role], body="second")
        assert created


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "room_kind", "expected"),
    [
        ("staff", "room", True),
        ("staff", "direct", False),
        ("inactive staff", "room", False),
        ("member", "room", False),
    ],
)
def test_site_staff_oversee_every_room_but_a_conversation(cast, room, who, room_kind, expected):
    user = cast["staff"] if "staff" in who else cast["member"]
    if who == "inactive staff":
        user.is_active = False
    target = (
        RoomFactory(slug="dm-x", kind="direct", direct_key="1:2") if room_kind == "direct" else room
    )

    assert oversees(user, target) is expected


@pytest.mark.django_db
def test_a_ban_refuses_with_banned_in_the_words_of_whoever_is_told(member, room):
    ban = BanFactory(room=room, user=UserFactory(username="bob"))

    mine, theirs = ban_denial(ban), ban_denial(ban, of_someone_else=True)

    assert (mine.code, mine.detail) == ("banned", "You are banned from this room.")
    assert (theirs.code, theirs.detail) == ("banned", "That user is banned from this room.")
    assert ban_denial(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("banned", "archived", "expected"),
    [
        (False, False, None),
        (True, False, "banned"),
        (False, True, "archived"),
        (True, True, "banned"),
    ],
)
def test_joining_is_refused_to_the_banned_and_in_an_archived_room(room, banned, archived, expected):
    ban = BanFactory(room=room, user=UserFactory(username="bob")) if banned else None
    if archived:
        room.archived_at = timezone.now()

    refused = join_denial(room=room, ban=ban)

    assert (refused.code if refused else None) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "locked", "slow", "expected"),
    [
        ("member", False, 0, ""),
        ("member", True, 0, str(ROOM_STATE_SENTENCES["locked"])),
        ("moderator", True, 0, str(ROOM_STATE_SENTENCES["locked"])),
        ("member", False, 30, "Slow mode: one message every 30 seconds."),
        ("non_member", False, 0, "You are not a member of this room."),
    ],
)
def test_the_room_state_notice_says_why_i_cannot_post_or_else_the_rooms_rules(
    cast, room, role, locked, slow, expected
):
    room.is_locked, room.slow_mode_seconds = locked, slow
    actor = actor_get(user=cast[role], room=room)

    notice = room_state_notice(room=room, post_refusal=denial(actor, Action.POST))

    assert notice == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("anonymous", {"lobby"}),
        ("non_member", {"lobby"}),
        ("insider", {"lobby", "hidden", "dm-pair"}),
        ("staff", {"lobby", "hidden"}),
    ],
)
def test_each_person_sees_the_rooms_the_rules_show_them(cast, room, who, visible):
    insider = UserFactory(username="ian")
    MembershipFactory(user=insider, room=RoomFactory(slug="hidden", visibility="private"))
    conversation = RoomFactory(
        slug="dm-pair", kind="direct", direct_key="1:2", visibility="private"
    )
    MembershipFactory(user=insider, room=conversation)
    user = {"anonymous": AnonymousUser(), "insider": insider}.get(who) or cast[who]

    assert set(rooms_visible(user=user).values_list("slug", flat=True)) == visible


# --- The same matrix over HTTP ------------------------------------------------------

# (name, method, path, form data, the action that decides, what the audit log records)
HTTP_CELLS = [
    ("members page", "get", "/rooms/lobby/members/", None, Action.READ, None),
    (
        "kick",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "kick", "reason": "spam"},
        Action.KICK,
        AuditLogEntry.Action.MEMBER_KICK,
    ),
    (
        "ban",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "ban", "reason": "spam"},
        Action.BAN,
        AuditLogEntry.Action.MEMBER_BAN,
    ),
    (
        "mute",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "mute", "minutes": "10"},
        Action.MUTE,
        AuditLogEntry.Action.MEMBER_MUTE,
    ),
    (
        "unmute",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "unmute"},
        Action.MUTE,
        AuditLogEntry.Action.MEMBER_UNMUTE,
    ),
    (
        "promote",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "promote"},
        Action.PROMOTE,
        AuditLogEntry.Action.MEMBER_PROMOTE,
    ),
    (
        "demote",
        "post",
        "/rooms/lobby/members/max/",
        {"action": "demote"},
        Action.PROMOTE,
        AuditLogEntry.Action.MEMBER_DEMOTE,
    ),
    (
        "transfer",
        "post",
        "/rooms/lobby/members/tess/",
        {"action": "transfer"},
        Action.TRANSFER,
        AuditLogEntry.Action.ROOM_TRANSFER,
    ),
    # Moderators open the settings page for lock and slow mode; owners also edit the room.
    ("settings page", "get", "/rooms/lobby/settings/", None, Action.LOCK, None),
    (
        "settings save",
        "post",
        "/rooms/lobby/settings/",
        {"name": "Renamed", "description": "", "visibility": "public"},
        Action.SETTINGS,
        AuditLogEntry.Action.ROOM_UPDATE,
    ),
    (
        "lock",
        "post",
        "/rooms/lobby/settings/lock/",
        {},
        Action.LOCK,
        AuditLogEntry.Action.ROOM_LOCK,
    ),
    (
        "unlock",
        "post",
        "/rooms/lobby/settings/unlock/",
        {},
        Action.LOCK,
        AuditLogEntry.Action.ROOM_UNLOCK,
    ),
    (
        "slow mode",
        "post",
        "/rooms/lobby/settings/slow-mode/",
        {"seconds": "30"},
        Action.SLOW_MODE,
        AuditLogEntry.Action.ROOM_SLOW_MODE,
    ),
    (
        "archive",
        "post",
        "/rooms/lobby/settings/archive/",
        {},
        Action.ARCHIVE,
        AuditLogEntry.Action.ROOM_ARCHIVE,
    ),
    (
        "unarchive",
        "post",
        "/rooms/lobby/settings/unarchive/",
        {},
        Action.ARCHIVE,
        AuditLogEntry.Action.ROOM_UNARCHIVE,
    ),
    ("invitations page", "get", "/rooms/lobby/invitations/", None, Action.INVITE, None),
    (
        "invitation create",
        "post",
        "/rooms/lobby/invitations/",
        {"username": "", "expires_in_hours": "", "max_uses": ""},
        Action.INVITE,
        AuditLogEntry.Action.INVITATION_CREATE,
    ),
    (
        "invitation revoke",
        "post",
        "/rooms/lobby/invitations/{invitation}/revoke/",
        {},
        Action.INVITE,
        AuditLogEntry.Action.INVITATION_REVOKE,
    ),
    (
        "unban",
        "post",
        "/rooms/lobby/bans/{ban}/lift/",
        {},
        Action.BAN,
        AuditLogEntry.Action.MEMBER_UNBAN,
    ),
    ("audit page", "get", "/rooms/lobby/audit/", None, Action.VIEW_AUDIT, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method", "path", "data", "action", "recorded"),
    HTTP_CELLS,
    ids=[cell[0] for cell in HTTP_CELLS],
)
@pytest.mark.parametrize("role", ROLES)
def test_http_answers_each_role_as_the_matrix_says(
    cast, room, client_for, role, name, method, path, data, action, recorded
):
    invitation = InvitationFactory(room=room, created_by=cast["owner"])
    ban = BanFactory(room=room, user=UserFactory(username="bob"))
    url = path.format(invitation=invitation.pk, ban=ban.pk)
    client = client_for(cast[role])

    response = getattr(client, method)(url, data) if data is not None else client.get(url)

    if role in ALLOWED[action]:
        assert response.status_code == (302 if method == "post" else 200)
        if recorded:
            assert AuditLogEntry.objects.filter(action=recorded, actor=cast[role]).exists()
    else:
        assert response.status_code == 403
        assert not AuditLogEntry.objects.exists()
        assert Membership.objects.filter(room=room).count() == 5
        assert membership_of("tess").role == Role.MEMBER
        assert membership_of("tess").muted_until is None


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["kick", "ban", "mute"])
@pytest.mark.parametrize("target", ["olivia", "max"])
def test_over_http_a_moderator_cannot_act_against_an_owner_or_another_moderator(
    cast, client_for, action, target
):
    response = client_for(cast["moderator"]).post(
        f"/rooms/lobby/members/{target}/", {"action": action, "minutes": "10"}
    )

    assert response.status_code == 403
    assert membership_of(target).muted_until is None
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["kick", "ban", "mute", "demote"])
def test_over_http_an_owner_acts_against_a_moderator(cast, client_for, action):
    response = client_for(cast["owner"]).post(
        "/rooms/lobby/members/mona/", {"action": action, "minutes": "10"}
    )

    assert response.status_code == 302
    assert AuditLogEntry.objects.filter(target_user=cast["moderator"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["kick", "ban", "mute", "unmute", "demote", "transfer"])
@pytest.mark.parametrize("role", ["moderator", "owner"])
def test_over_http_nobody_acts_on_themselves(cast, client_for, role, action):
    me = cast[role]

    response = client_for(me).post(
        f"/rooms/lobby/members/{me.username}/", {"action": action, "minutes": "10"}
    )

    assert response.status_code == 403
    assert Membership.objects.filter(user=me).exists()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_acting_on_someone_who_is_not_a_member_is_a_404(cast, client_for):
    response = client_for(cast["owner"]).post("/rooms/lobby/members/mallory/", {"action": "kick"})

    assert response.status_code == 404


# --- The same matrix over the websocket ---------------------------------------------

FRAME_KINDS = ["send", "edit own", "edit others'", "delete own", "delete others'"]
ALLOWED_FRAMES = {
    "send": ALLOWED[Action.POST],
    "edit own": ALLOWED[Action.EDIT_OWN],
    "edit others'": set(),  # nobody rewrites someone else's words
    "delete own": ALLOWED[Action.DELETE_OWN],
    "delete others'": ALLOWED[Action.DELETE_ANY],
}
BROADCAST = {
    "send": "message.new",
    "edit own": "message.edited",
    "edit others'": "message.edited",
    "delete own": "message.deleted",
    "delete others'": "message.deleted",
}


def frame_for(kind: str, *, own: int, others: int) -> dict:
    message_id = own if "own" in kind else others
    if kind == "send":
        return {"type": "message.send", "body": "hello", "client_id": "m-1"}
    if kind.startswith("edit"):
        return {"type": "message.edit", "id": message_id, "body": "rewritten"}
    return {"type": "message.delete", "id": message_id, "reason": "cleanup"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", FRAME_KINDS)
@pytest.mark.parametrize("role", ["member", "moderator", "owner", "staff"])
async def test_websocket_answers_each_role_as_the_matrix_says(open_socket, cast, room, role, kind):
    actor = cast[role]
    tess = await database_sync_to_async(User.objects.get)(username="tess")
    own, others = await database_sync_to_async(
        lambda: (
            MessageFactory(room=room, author=actor, body="mine").pk,
            MessageFactory(room=room, author=tess, body="hers").pk,
        )
    )()
    socket = await open_socket(actor)
    observer = await open_socket(tess)
    await joined(socket)
    await joined(observer)

    await socket.send_json_to(frame_for(kind, own=own, others=others))
    answer = await socket.receive_json_from()

    if role in ALLOWED_FRAMES[kind]:
        assert answer["type"] == BROADCAST[kind]
        assert (await observer.receive_json_from())["type"] == BROADCAST[kind]
    else:
        assert (answer["type"], answer["code"]) == ("error", "forbidden")
        assert await observer.receive_nothing()
        bodies = await database_sync_to_async(
            lambda: sorted(Message.objects.filter(deleted_at__isnull=True).values_list("body"))
        )()
        assert bodies == [("hers",), ("mine",)]


@pytest.mark.django_db(transaction=True)
async def test_a_non_member_cannot_open_a_socket_to_a_public_room(open_socket, cast):
    socket = await open_socket(cast["non_member"])
    await socket.connect()

    assert await close_code(socket) == 4403
