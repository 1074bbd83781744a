"""Writes about messages."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from messaging.models import BODY_MAX_LENGTH, Message
from messaging.selectors import message_get_by_client_id, message_new_frame_text
from messaging.throttle import message_token_take
from rooms.events import room_event_send_on_commit
from rooms.models import Room
from rooms.selectors import room_get_for_member


class MessageRejected(Exception):
    """A message that breaks a rule of the room; ``code`` names the rule."""

    def __init__(self, code: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


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


def message_create(
    *, room: Room, author: User, body: str, client_id: str = "", sender_channel: str = ""
) -> tuple[Message, bool]:
    """Store a message and announce it to the room once it is committed.

    Returns ``(message, created)``. Membership is checked here, on every
    message, because a socket opened earlier outlives a membership revoked
    since. A ``client_id`` the author already used in this room returns the
    stored message instead of a second copy, so a client may resend safely;
    resends are not rate limited, new messages are. ``sender_channel`` is the
    sending socket, which acknowledges by itself and so is skipped by the
    broadcast: the acknowledgement then does not depend on the channel layer.

    Raises ``rooms.selectors.NotAMember``, ``Room.DoesNotExist`` or
    ``MessageRejected``.
    """
    room = room_get_for_member(slug=room.slug, user=author)
    body = message_body_clean(body)
    if client_id:
        existing = message_get_by_client_id(room=room, author=author, client_id=client_id)
        if existing is not None:
            return existing, False
    retry_after = message_token_take(user_id=author.pk, room_id=room.pk)
    if retry_after:
        raise MessageRejected(
            "rate_limited",
            _("You are sending messages too fast; wait %(s).1f s.") % {"s": retry_after},
            retry_after=round(retry_after, 2),
        )
    try:
        with transaction.atomic():
            message = Message.objects.create(
                room=room, author=author, body=body, client_id=client_id
            )
            room_event_send_on_commit(
                room=room,
                event={
                    "type": "message.new",
                    # Encoded once here, not once per receiving socket.
                    "text": message_new_frame_text(message),
                    "sender_channel": sender_channel,
                },
            )
    except IntegrityError:
        # The same resend raced this one and won: answer with its message.
        existing = message_get_by_client_id(room=room, author=author, client_id=client_id)
        if not client_id or existing is None:
            raise
        return existing, False
    return message, True
