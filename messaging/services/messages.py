"""Writing, editing and deleting messages, and read markers."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from attachments.services import AttachmentRejected, attachments_claim, attachments_count_check
from audit.models import AuditLogEntry
from audit.services import audit_record
from messaging.formatting import body_render, mentioned_usernames
from messaging.models import BODY_MAX_LENGTH, Mention, Message, MessageRevision
from messaging.selectors import (
    message_get_by_client_id,
    message_new_frame_text,
    message_payload,
    messages_for_payload,
)
from messaging.throttle import message_token_take, retry_after_seconds
from realtime import events
from realtime.broadcast import group_send_on_commit
from realtime.groups import (
    room_activity_group_name,
    room_group_name,
    room_messages_group_name,
    user_group_name,
)
from rooms.models import Membership, Room
from rooms.permissions import Action, Actor, PermissionDenied, can, check
from rooms.selectors import membership_get, room_actor_get, room_members_named


class MessageRejected(Exception):
    """A message that breaks a rule of the room; ``code`` names the rule."""

    def __init__(
        self, code: str, detail: str, retry_after: float | None = None, **extra: object
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.extra = extra

    @classmethod
    def from_denial(cls, denied: PermissionDenied) -> "MessageRejected":
        extra = {}
        if denied.denial.until is not None:
            extra["until"] = events.iso_utc(denied.denial.until)
        return cls(denied.code, denied.detail, **extra)


def message_body_clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise MessageRejected("empty", _("A message cannot be empty."))
    if len(body) > BODY_MAX_LENGTH:
        raise MessageRejected(
            "too_long",
            _("A message can be at most %(max)d characters; this one has %(n)d.")
            % {"max": BODY_MAX_LENGTH, "n": len(body)},
        )
    return body


def _mentioned_members(*, room: Room, author: User, body: str) -> list[User]:
    """Other room members named with ``@username`` in ``body`` (one query, only if any)."""
    names = mentioned_usernames(body) - {author.username}
    if not names:
        return []
    return room_members_named(room=room, usernames=names)


def _render(*, room: Room, author: User, body: str) -> tuple[str, list[User]]:
    mentioned = _mentioned_members(room=room, author=author, body=body)
    return body_render(body, mentions=[user.username for user in mentioned]), mentioned


def _slow_mode_wait(*, actor: Actor) -> float:
    """Seconds the member must still wait in slow mode (0 when they may post)."""
    room, membership = actor.room, actor.membership
    if not room.slow_mode_seconds or can(actor, Action.BYPASS_SLOW_MODE):
        return 0.0
    if membership is None or membership.last_posted_at is None:
        return 0.0
    ready_at = membership.last_posted_at + timedelta(seconds=room.slow_mode_seconds)
    return max(0.0, (ready_at - timezone.now()).total_seconds())


def _slow_mode_check(*, actor: Actor) -> None:
    wait = _slow_mode_wait(actor=actor)
    if wait:
        raise MessageRejected(
            "slow_mode",
            _("Slow mode is on: you can post again in %(s)d s.") % {"s": int(wait) + 1},
            retry_after=retry_after_seconds(wait),
        )


def _slow_mode_restart(*, actor: Actor, at: datetime) -> None:
    if actor.room.slow_mode_seconds and actor.membership is not None:
        Membership.objects.filter(pk=actor.membership.pk).update(last_posted_at=at)


def rate_limit_check(*, actor: Actor) -> None:
    """Take a token for a message written, edited or deleted; refuse when none is left."""
    retry_after = message_token_take(user_id=actor.user.pk, room_id=actor.room.pk)
    if retry_after:
        raise MessageRejected(
            "rate_limited",
            _("You are sending messages too fast; wait %(s).1f s.") % {"s": retry_after},
            retry_after=retry_after_seconds(retry_after),
        )


def _post_allowed(*, actor: Actor) -> None:
    """Raise ``MessageRejected`` unless the room's rules let ``actor`` post now.

    Takes a token from the author's rate-limit buckets when they may.
    """
    try:
        check(actor, Action.POST)
    except PermissionDenied as denied:
        raise MessageRejected.from_denial(denied) from None
    _slow_mode_check(actor=actor)
    rate_limit_check(actor=actor)


def message_create(
    *,
    room: Room,
    author: User,
    body: str,
    client_id: str = "",
    sender_channel: str = "",
    attachments: Sequence[int] = (),
    reply_to_id: int | None = None,
) -> tuple[Message, bool]:
    """Store a message and announce it to the room once it is committed.

    Returns ``(message, created)``. Membership and the room's rules (lock,
    mute, archive, slow mode) are checked here, on every message, because a
    socket opened earlier outlives a membership or a rule changed since. A
    ``client_id`` the author already used in this room returns the stored
    message instead of a second copy, so a client may resend safely: a resend
    is never refused by the rules (rate limit, slow mode, mute), though one
    that passes them uses a rate-limit token before the constraint finds it.
    ``sender_channel`` is the sending socket, which acknowledges by itself and
    so is skipped by the broadcast: the acknowledgement then does not depend
    on the channel layer. ``attachments`` are ids of the author's unused
    uploads in the room, claimed in the message's transaction: a message with
    attachments may have an empty body. ``reply_to_id`` quotes a message of the same room
    (one deleted since the page showed it is still quoted, as deleted).

    Raises ``rooms.selectors.NotAMember``, ``Room.DoesNotExist`` or
    ``MessageRejected``.
    """
    actor = room_actor_get(slug=room.slug, user=author)
    room = actor.room
    body = message_body_clean(body) if body.strip() or not attachments else ""
    try:
        attachments_count_check(attachments)
    except AttachmentRejected as rejected:
        raise MessageRejected(rejected.code, rejected.detail) from None
    try:
        _post_allowed(actor=actor)
    except MessageRejected:
        # A resend of a message already stored is answered with it, whatever the
        # rules say now. New messages skip this lookup: the unique constraint on
        # client_id catches a resend that gets this far (below).
        existing = client_id and message_get_by_client_id(
            room=room, author=author, client_id=client_id
        )
        if existing:
            return existing, False
        raise
    quoted = _reply_target(room=room, message_id=reply_to_id)
    html, mentioned = _render(room=room, author=author, body=body)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                room=room,
                author=author,
                body=body,
                html=html,
                client_id=client_id,
                reply_to=quoted,
            )
            message.mentioned = mentioned
            message.reacted = []
            Mention.objects.bulk_create(Mention(message=message, user=user) for user in mentioned)
            try:
                message.attached = attachments_claim(message=message, ids=attachments)
            except AttachmentRejected as rejected:
                # Raised inside the transaction: the message is not stored either.
                raise MessageRejected(rejected.code, rejected.detail) from None
            _slow_mode_restart(actor=actor, at=message.created_at)
            # The same text acknowledges the message to its sender (message.frame_text).
            message.frame_text = frame_text = message_new_frame_text(message)
            # To every process with a socket in the room, once each, encoded once.
            messages_group = room_messages_group_name(room.pk)
            group_send_on_commit(
                messages_group,
                events.message_new_event(
                    text=frame_text, sender_channel=sender_channel, group=messages_group
                ),
            )
            group_send_on_commit(
                room_activity_group_name(room.pk),
                events.room_activity(
                    room=room.slug,
                    id=message.pk,
                    author_id=author.pk,
                    author=author.shown_name,
                    mention_ids=[user.pk for user in mentioned],
                    excerpt=body[:140],
                ),
            )
    except IntegrityError:
        # The same resend raced this one and won: answer with its message.
        existing = message_get_by_client_id(room=room, author=author, client_id=client_id)
        if not client_id or existing is None:
            raise
        return existing, False
    return message, True


def _reply_target(*, room: Room, message_id: int | None) -> Message | None:
    if message_id is None:
        return None
    quoted = Message.objects.select_related("author").filter(pk=message_id, room=room).first()
    if quoted is None:
        raise MessageRejected(
            "not_found", _("A reply can only quote a message of this room; that one is not.")
        )
    return quoted


def message_in_room_get(*, room: Room, message_id: int) -> Message:
    try:
        return messages_for_payload(Message.objects.all()).get(
            pk=message_id, room=room, deleted_at__isnull=True
        )
    except Message.DoesNotExist:
        raise MessageRejected("not_found", _("There is no such message in this room.")) from None


@transaction.atomic
def message_edit(*, room: Room, user: User, message_id: int, body: str) -> Message:
    """Authors edit their own messages; everyone in the room sees the new text live.

    An edit puts new text in front of the room as a post does, so it obeys the
    same slow mode and rate limit (and restarts the slow-mode wait).
    """
    actor = room_actor_get(slug=room.slug, user=user)
    message = message_in_room_get(room=actor.room, message_id=message_id)
    try:
        check(actor, Action.EDIT_OWN, message_author_id=message.author_id)
    except PermissionDenied as denied:
        raise MessageRejected.from_denial(denied) from None
    earlier = MessageRevision(
        message=message,
        body=message.body,
        html=message.html,
        written_at=message.edited_at or message.created_at,
        editor=user,
    )
    message.body = message_body_clean(body)
    _slow_mode_check(actor=actor)
    rate_limit_check(actor=actor)
    # Kept before it is replaced: who may see earlier versions is a rule
    # (Action.VIEW_EDIT_HISTORY), so the text must exist to be refused.
    earlier.save()
    message.html, mentioned = _render(room=actor.room, author=message.author, body=message.body)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "html", "edited_at"])
    _slow_mode_restart(actor=actor, at=message.edited_at)
    message.mentions.exclude(user__in=mentioned).delete()
    Mention.objects.bulk_create(
        (Mention(message=message, user=user) for user in mentioned), ignore_conflicts=True
    )
    message.mentioned = mentioned
    group_send_on_commit(
        room_group_name(actor.room.pk), events.message_edited(message=message_payload(message))
    )
    return message


@transaction.atomic
def message_delete(*, room: Room, user: User, message_id: int, reason: str = "") -> Message:
    """Soft-delete: authors their own, moderators and owners any, with an optional reason.

    The row stays for the audit trail; its body is never served again and
    every open page removes it at once.
    """
    actor = room_actor_get(slug=room.slug, user=user)
    message = message_in_room_get(room=actor.room, message_id=message_id)
    own = message.author_id == user.pk
    try:
        check(actor, Action.DELETE_OWN if own else Action.DELETE_ANY, message_author_id=user.pk)
    except PermissionDenied as denied:
        raise MessageRejected.from_denial(denied) from None
    # Each delete is an event for every open page of the room, as a post is.
    rate_limit_check(actor=actor)
    message.deleted_at = timezone.now()
    message.deleted_by = user
    message.save(update_fields=["deleted_at", "deleted_by"])
    if not own:
        audit_record(
            room=actor.room,
            actor=user,
            action=AuditLogEntry.Action.MESSAGE_DELETE,
            target_user=message.author,
            target_message=message,
            reason=reason.strip()[:500],
        )
    group_send_on_commit(room_group_name(actor.room.pk), events.message_deleted(id=message.pk))
    return message


def membership_read_mark(*, room: Room, user: User, message_id: int) -> int:
    """Move the member's read marker forward to ``message_id`` (never back).

    Returns the marker as stored. The id is capped at the room's newest
    message, so a client cannot mark the future as read.
    """
    newest = Message.objects.filter(room=room, id__lte=message_id).order_by("-id").first()
    if newest is not None:
        Membership.objects.filter(room=room, user=user, last_read_id__lt=newest.pk).update(
            last_read_id=newest.pk
        )
    membership = membership_get(room=room, user=user)
    last_read_id = membership.last_read_id if membership else 0
    if membership is not None:
        # Every page of this user (other tabs, the sidebar) learns the new marker.
        group_send_on_commit(
            user_group_name(user.pk), events.room_read(room=room.slug, last_read_id=last_read_id)
        )
    return last_read_id


# --- Reactions and pins: changes to a message that leave its text alone
