"""Reads about rooms. The one place that decides who may see a room.

A private room is invisible to non-members: every entry point answers as if
it did not exist (404, close code 4404), never "forbidden", so its existence
does not leak.
"""

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import avatar_url
from rooms.models import Ban, Invitation, Membership, Room
from rooms.permissions import Actor, is_site_staff, oversees


class NotAMember(Exception):
    """The user is signed in and may know the room exists, but is not in it."""


def room_get(*, slug: str) -> Room:
    """The room with this slug; raises ``Room.DoesNotExist``."""
    return Room.objects.get(slug=slug)


def _memberships() -> QuerySet[Membership]:
    """Memberships of active accounts: the one membership lookup, which the others narrow.

    A deactivated account is in no room, whatever rows remain.
    """
    return Membership.objects.filter(user__is_active=True)


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """Every membership of ``user``."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return _memberships().filter(user=user)


def membership_get(*, room: Room, user: User) -> Membership | None:
    return memberships_of(user=user).filter(room=room).first()


def rooms_joined(*, user: User) -> QuerySet[Room]:
    """The rooms and conversations ``user`` is a member of."""
    return Room.objects.filter(pk__in=memberships_of(user=user).values("room"))


def rooms_visible(*, user: User) -> QuerySet[Room]:
    """Every room ``user`` may know exists: the one answer to "who may see a room".

    Public rooms, the user's own rooms and conversations, and for site staff
    every room they oversee (see ``rooms.permissions.oversees``): all but other
    people's conversations.
    """
    if is_site_staff(user):
        seen = Q(kind=Room.Kind.ROOM)
    else:
        seen = Q(kind=Room.Kind.ROOM, visibility=Room.Visibility.PUBLIC)
    return Room.objects.filter(seen | Q(pk__in=rooms_joined(user=user)))


def room_actor_get(*, slug: str, user: User) -> Actor:
    """``user`` as a reader of the room, if they may read it.

    Raises ``Room.DoesNotExist`` when there is no such room or it is private
    and the user is not in it, and ``NotAMember`` when the user is not one of
    a public room's members. Views, consumers and services all ask this, so
    "who may see a room" is answered in one place. ``is_active`` is read from
    the database, not the possibly stale user object, so an account
    deactivated while its socket is open is refused.
    """
    if user.is_authenticated:
        # The common case, a member, in one query: membership and room together.
        # Unordered: (room, user) is unique, and this runs for every chat message.
        membership = next(
            iter(
                memberships_of(user=user)
                .select_related("room")
                .filter(room__slug=slug)
                .order_by()[:1]
            ),
            None,
        )
        if membership is not None:
            membership.user = user
            return Actor(user=user, room=membership.room, membership=membership)
    room = room_get(slug=slug)
    if oversees(user, room):
        return Actor(user=user, room=room, membership=None)
    if room.is_private:
        raise Room.DoesNotExist(slug)
    raise NotAMember(slug)


def room_get_for_member(*, slug: str, user: User) -> Room:
    return room_actor_get(slug=slug, user=user).room


def room_get_visible(*, slug: str, user: User) -> Room:
    """The room, if ``user`` may at least see that it exists (for its preview page)."""
    return rooms_visible(user=user).get(slug=slug)


def direct_key(first: User, second: User) -> str:
    """What identifies the conversation of two people, whichever of them asks."""
    low, high = sorted([first.pk, second.pk])
    return f"{low}:{high}"


def direct_room_find(*, user: User, other: User) -> Room | None:
    """The conversation between ``user`` and ``other``, if one of them has started it."""
    return Room.objects.filter(kind=Room.Kind.DIRECT, direct_key=direct_key(user, other)).first()


def room_list(*, user: User) -> QuerySet[Room]:
    """The rooms ``user`` may see, with member counts, marking those they belong to."""
    return (
        rooms_visible(user=user)
        .filter(kind=Room.Kind.ROOM)
        .annotate(
            member_count=Count("memberships", distinct=True),
            is_member=Exists(memberships_of(user=user).filter(room=OuterRef("pk"))),
        )
    )


def room_name_taken(*, name: str, user: User, renaming: Room | None = None) -> bool:
    """Whether a room ``user`` can see (other than ``renaming``) is already called ``name``.

    Only rooms they can see count: refusing a name that only a hidden room
    holds would tell them that room exists. Case is ignored, as a reader would.
    """
    rooms = room_list(user=user).filter(name__iexact=name.strip())
    if renaming is not None:
        rooms = rooms.exclude(pk=renaming.pk)
    return rooms.exists()


def room_member_count(*, room: Room) -> int:
    return room.memberships.count()


def room_members_named(*, room: Room, usernames: set[str]) -> list[User]:
    """The members of ``room`` called one of ``usernames``: whom a message may mention."""
    members = _memberships().filter(room=room, user__username__in=usernames)
    return [membership.user for membership in members.select_related("user")]


def room_member_summaries(*, room: Room) -> list[dict]:
    """Id, username, shown name and avatar of every active member: what presence is built from."""
    return [
        {
            "id": pk,
            "username": username,
            "display_name": display_name or username,
            "avatar_url": avatar_url(user_id=pk, avatar=avatar, version=version),
        }
        for pk, username, display_name, avatar, version in _memberships()
        .filter(room=room)
        .order_by("user__username")
        .values_list(
            "user_id",
            "user__username",
            "user__display_name",
            "user__avatar",
            "user__avatar_version",
        )
    ]


def unread_counts(*, user: User) -> list[dict]:
    """For each of my rooms and conversations: unread messages and unread mentions.

    Unread means newer than my read marker, not written by me and not deleted.
    """
    from messaging.models import Mention, Message

    unread = (
        Message.objects.filter(
            room=OuterRef("room"), id__gt=OuterRef("last_read_id"), deleted_at__isnull=True
        )
        .exclude(author=user)
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    mentions = (
        Mention.objects.filter(
            user=user,
            message__room=OuterRef("room"),
            message__id__gt=OuterRef("last_read_id"),
            message__deleted_at__isnull=True,
        )
        .exclude(message__author=user)
        .order_by()
        .values("message__room")
        .annotate(n=Count("id"))
        .values("n")
    )
    memberships = (
        memberships_of(user=user)
        .select_related("room")
        .annotate(unread=Subquery(unread), mentions=Subquery(mentions))
        .order_by("room__kind", "room__name")
    )
    memberships = list(memberships)
    partners = _conversation_partners(
        user=user, room_ids=[m.room_id for m in memberships if m.room.is_direct]
    )
    return [
        {
            "id": membership.room_id,
            "slug": membership.room.slug,
            "name": partners.get(membership.room_id, membership.room.name),
            "kind": membership.room.kind,
            "unread": membership.unread or 0,
            "mentions": membership.mentions or 0,
            "last_read_id": membership.last_read_id,
        }
        for membership in memberships
    ]


def _conversation_partners(*, user: User, room_ids: list[int]) -> dict[int, str]:
    """For direct conversations: the other person's shown name, by room id."""
    if not room_ids:
        return {}
    others = (
        Membership.objects.filter(room_id__in=room_ids)
        .exclude(user=user)
        .values_list("room_id", "user__username", "user__display_name")
    )
    return {room_id: display_name or username for room_id, username, display_name in others}


def room_title(*, room: Room, user: User) -> str:
    """What the room is called for ``user``: a conversation is named after the other person."""
    if room.is_direct:
        return _conversation_partners(user=user, room_ids=[room.pk]).get(room.pk, room.name)
    return room.name


def room_members(*, room: Room) -> QuerySet[Membership]:
    return room.memberships.select_related("user").order_by("user__username")


def room_member_get(*, room: Room, username: str) -> Membership | None:
    """The membership in ``room`` of the person called ``username``: the target of an action."""
    return room_members(room=room).select_related("room").filter(user__username=username).first()


def _bans_in_force() -> QuerySet[Ban]:
    """Bans still in force: without an end, or ending later. The one definition of that."""
    return Ban.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def ban_get_active(*, room: Room, user: User) -> Ban | None:
    """The ban keeping ``user`` out of ``room``: what joining and invitations ask."""
    return _bans_in_force().filter(room=room, user=user).first()


def room_bans(*, room: Room) -> QuerySet[Ban]:
    return _bans_in_force().filter(room=room).select_related("user", "banned_by")


def invitation_get(*, token: str) -> Invitation:
    return Invitation.objects.select_related("room", "invited_user").get(token=token)


def invitation_invalid_reason(*, invitation: Invitation) -> str | None:
    """Why the invitation can no longer be used, in a sentence; None while it can."""
    if invitation.revoked_at is not None:
        return _("It was revoked by the room's owners.")
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        return _("It expired on %(when)s UTC.") % {
            "when": invitation.expires_at.strftime("%Y-%m-%d %H:%M")
        }
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return _("It has been used as many times as it allowed.")
    return None


def invitations_usable() -> QuerySet[Invitation]:
    """Invitations that can still be used: not revoked, not expired, not used up.

    ``invitation_invalid_reason`` says which of these an unusable one fails.
    """
    return Invitation.objects.filter(
        Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")),
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
        revoked_at__isnull=True,
    )


def room_invitations(*, room: Room) -> QuerySet[Invitation]:
    """The room's invitations not revoked, each marked ``usable`` or not."""
    return (
        room.invitations.filter(revoked_at__isnull=True)
        .annotate(usable=Exists(invitations_usable().filter(pk=OuterRef("pk"))))
        .select_related("invited_user", "created_by")
    )


def invitations_for_user(*, user: User) -> list[Invitation]:
    """Usable invitations addressed to ``user`` for rooms they are not in yet."""
    return list(
        invitations_usable()
        .filter(invited_user=user)
        .exclude(room__in=rooms_joined(user=user))
        .select_related("room", "created_by")
    )
