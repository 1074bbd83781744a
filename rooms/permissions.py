"""Every "may this user do this here?" question, answered in one place.

Views, the consumer, services and the admin all ask :func:`denial` (or
:func:`check`); nobody re-implements a rule. The matrix is written out in
``docs/permissions.md`` and tested cell by cell.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from rooms.models import Ban, Membership, Room

Role = Membership.Role


class Action(StrEnum):
    READ = "read"
    POST = "post"
    EDIT_OWN = "message.edit_own"
    DELETE_OWN = "message.delete_own"
    DELETE_ANY = "message.delete_any"
    REACT = "message.react"
    PIN = "message.pin"
    VIEW_EDIT_HISTORY = "message.edit_history"
    INVITE = "invite"
    KICK = "member.kick"
    BAN = "member.ban"
    MUTE = "member.mute"
    PROMOTE = "member.promote"
    TRANSFER = "room.transfer"
    SETTINGS = "room.settings"
    LOCK = "room.lock"
    SLOW_MODE = "room.slow_mode"
    ARCHIVE = "room.archive"
    VIEW_AUDIT = "room.audit"
    # Uploading a file to attach is posting it: the same rules hold. Downloading
    # one is READ, for attachments of messages still shown (attachments/selectors.py).
    UPLOAD = "attachment.upload"
    # Not steps anyone takes but exemptions from the posting rules, kept in the
    # same table so "who is held back" has one answer.
    POST_WHEN_LOCKED = "post.when_locked"
    BYPASS_SLOW_MODE = "post.bypass_slow_mode"


# The lowest role that may take each action (before the special rules below).
LOWEST_ROLE: dict[Action, str] = {
    Action.READ: Role.MEMBER,
    Action.POST: Role.MEMBER,
    Action.EDIT_OWN: Role.MEMBER,
    Action.DELETE_OWN: Role.MEMBER,
    Action.DELETE_ANY: Role.MODERATOR,
    Action.REACT: Role.MEMBER,
    Action.PIN: Role.MODERATOR,
    # Members see the earlier versions of their own messages only (denial() below).
    Action.VIEW_EDIT_HISTORY: Role.MEMBER,
    Action.INVITE: Role.MODERATOR,
    Action.KICK: Role.MODERATOR,
    Action.BAN: Role.MODERATOR,
    Action.MUTE: Role.MODERATOR,
    Action.PROMOTE: Role.OWNER,
    Action.TRANSFER: Role.OWNER,
    Action.SETTINGS: Role.OWNER,
    Action.LOCK: Role.MODERATOR,
    Action.SLOW_MODE: Role.MODERATOR,
    Action.ARCHIVE: Role.OWNER,
    Action.VIEW_AUDIT: Role.MODERATOR,
    Action.UPLOAD: Role.MEMBER,
    Action.POST_WHEN_LOCKED: Role.MODERATOR,
    Action.BYPASS_SLOW_MODE: Role.MODERATOR,
}
RANK = {Role.MEMBER: 1, Role.MODERATOR: 2, Role.OWNER: 3}
STAFF_RANK = 4  # site staff act as owners everywhere, and above them
# Actions aimed at another member: the actor must outrank the target.
AGAINST_MEMBERS = {Action.KICK, Action.BAN, Action.MUTE, Action.PROMOTE, Action.TRANSFER}
# Actions that write; an archived room is read-only for everyone.
WRITES = {
    Action.POST,
    Action.EDIT_OWN,
    Action.DELETE_OWN,
    Action.DELETE_ANY,
    Action.REACT,
    Action.PIN,
    Action.INVITE,
    Action.LOCK,
    Action.SLOW_MODE,
    Action.UPLOAD,
}


# What a room's state says to someone who may not post in it: the refusal's
# detail, the composer's notice on the page (sent to it in its constants) and
# the server-rendered notice, all from here.
ROOM_STATE_SENTENCES = {
    "archived": _lazy("This room is archived: it is read-only."),
    "locked": _lazy("This room is locked: only moderators can post."),
}
SLOW_MODE_SENTENCE = _lazy("Slow mode: one message every %(seconds)s seconds.")
MUTED_SENTENCE = _lazy("You are muted in this room until %(until)s.")
# A room someone may not know about answers as one that does not exist.
NO_SUCH_ROOM_SENTENCE = _lazy("No room is called “%(slug)s”.")
BANNED_SENTENCE = _lazy("You are banned from this room.")
BANNED_OTHER_SENTENCE = _lazy("That user is banned from this room.")


def is_site_staff(user: User) -> bool:
    """Site staff act as owners in every room and outrank owners."""
    return user.is_staff and user.is_active


def oversees(user: User, room: Room) -> bool:
    """Whether ``user`` may read and moderate ``room`` without being one of its members.

    Site staff do, in every room but a direct conversation, which belongs to
    its two people alone.
    """
    return is_site_staff(user) and not room.is_direct


@dataclass(frozen=True)
class Denial:
    """Why an action is refused: a code for machines, a sentence for people."""

    code: str
    detail: str
    until: datetime | None = None


class PermissionDenied(Exception):
    def __init__(self, denial: Denial) -> None:
        super().__init__(denial.detail)
        self.denial = denial
        self.code = denial.code
        self.detail = denial.detail


@dataclass(frozen=True)
class Actor:
    """A user as seen from one room: their membership there, if any."""

    user: User
    room: Room
    membership: Membership | None

    @property
    def role(self) -> str | None:
        if is_site_staff(self.user):
            return Role.OWNER
        return self.membership.role if self.membership else None

    @property
    def rank(self) -> int:
        if is_site_staff(self.user):
            return STAFF_RANK
        return RANK[self.membership.role] if self.membership else 0


def actor_get(*, user: User, room: Room) -> Actor:
    # Imported here: the selectors build Actors, so they import this module.
    from rooms.selectors import membership_get

    return Actor(user=user, room=room, membership=membership_get(room=room, user=user))


def _target_rank(target: Membership) -> int:
    if is_site_staff(target.user):
        return STAFF_RANK
    return RANK[target.role]


def _reaches(role: str, action: Action) -> bool:
    return RANK[role] >= RANK[LOWEST_ROLE[action]]


def denial(
    actor: Actor,
    action: Action,
    *,
    target: Membership | None = None,
    message_author_id: int | None = None,
) -> Denial | None:
    """``None`` if ``actor`` may take ``action``; otherwise why not."""
    room = actor.room
    role = actor.role
    if role is None or not actor.user.is_active:
        return Denial("forbidden", _("You are not a member of this room."))
    if not _reaches(role, action):
        return Denial("forbidden", _("Your role in this room does not allow that."))
    if action in WRITES and room.is_archived:
        return Denial("archived", str(ROOM_STATE_SENTENCES["archived"]))
    if action in AGAINST_MEMBERS:
        if target is None or target.room_id != room.pk:
            return Denial("not_found", _("That person is not a member of this room."))
        if target.user_id == actor.user.pk:
            return Denial("forbidden", _("You cannot do that to yourself."))
        if action != Action.TRANSFER and actor.rank <= _target_rank(target):
            return Denial(
                "forbidden",
                _("Moderators cannot act against owners or other moderators."),
            )
    if action in {Action.EDIT_OWN, Action.DELETE_OWN} and message_author_id != actor.user.pk:
        return Denial("forbidden", _("You can only change your own messages."))
    if (
        action == Action.VIEW_EDIT_HISTORY
        and message_author_id != actor.user.pk
        and not _reaches(role, Action.DELETE_ANY)
    ):
        return Denial(
            "forbidden",
            _("Only its author and the room's moderators can see earlier versions of a message."),
        )
    if action == Action.REACT and actor.membership is None:
        # A reaction speaks for the person, as a post does: staff join first.
        return Denial("forbidden", _("Join the room to react in it."))
    if action in {Action.POST, Action.EDIT_OWN, Action.UPLOAD}:
        membership = actor.membership
        if membership is None and action in {Action.POST, Action.UPLOAD}:
            # Staff read and moderate anywhere, but speak only where they joined.
            return Denial("forbidden", _("Join the room to post in it."))
        if room.is_locked and not _reaches(role, Action.POST_WHEN_LOCKED):
            return Denial("locked", str(ROOM_STATE_SENTENCES["locked"]))
        if membership is not None and membership.is_muted:
            return Denial(
                "muted",
                MUTED_SENTENCE % {"until": membership.muted_until.strftime("%Y-%m-%d %H:%M UTC")},
                until=membership.muted_until,
            )
    return None


def check(
    actor: Actor,
    action: Action,
    *,
    target: Membership | None = None,
    message_author_id: int | None = None,
) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may take ``action``."""
    refused = denial(actor, action, target=target, message_author_id=message_author_id)
    if refused is not None:
        raise PermissionDenied(refused)


def can(actor: Actor, action: Action, **kwargs: object) -> bool:
    return denial(actor, action, **kwargs) is None  # type: ignore[arg-type]


def ban_denial(ban: Ban | None, *, of_someone_else: bool = False) -> Denial | None:
    """Why a banned user may not join the room, nor be invited to it; ``None`` without a ban."""
    if ban is None:
        return None
    sentence = BANNED_OTHER_SENTENCE if of_someone_else else BANNED_SENTENCE
    return Denial("banned", str(sentence), until=ban.expires_at)


def join_denial(*, room: Room, ban: Ban | None) -> Denial | None:
    """``None`` if someone who may see ``room`` may join it; otherwise why not.

    ``ban`` is their active ban there, if any. Whether a private room may be
    joined without an invitation is :func:`oversees`; accepting an invitation
    asks :func:`ban_denial` alone, and words an archived room its own way.
    """
    if (banned := ban_denial(ban)) is not None:
        return banned
    if room.is_archived:
        return Denial("archived", str(ROOM_STATE_SENTENCES["archived"]))
    return None


def room_state_notice(*, room: Room, post_refusal: Denial | None) -> str:
    """What the room page says beside the composer; empty when there is nothing to say.

    Why the reader may not post (``post_refusal``, from :func:`denial`), or else
    the rules everyone posts under: a lock, slow mode.
    """
    if post_refusal is not None:
        return post_refusal.detail
    if room.is_locked:
        return str(ROOM_STATE_SENTENCES["locked"])
    if room.slow_mode_seconds:
        return SLOW_MODE_SENTENCE % {"seconds": room.slow_mode_seconds}
    return ""
