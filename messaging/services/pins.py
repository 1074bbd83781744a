"""Pinned messages."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import person_of
from messaging.models import Message
from messaging.selectors import message_payload
from messaging.services.messages import MessageRejected, message_in_room_get, rate_limit_check
from realtime import events
from realtime.broadcast import group_send_on_commit
from realtime.groups import room_group_name
from rooms.models import Room
from rooms.permissions import Action, Actor, PermissionDenied, check
from rooms.selectors import room_actor_get


def _pinning_actor(*, room: Room, user: User, message_id: int) -> tuple[Actor, Message]:
    actor = room_actor_get(slug=room.slug, user=user)
    try:
        check(actor, Action.PIN)
    except PermissionDenied as denied:
        raise MessageRejected.from_denial(denied) from None
    message = message_in_room_get(room=actor.room, message_id=message_id)
    # A pin is an event for every open page of the room, as a delete is.
    rate_limit_check(actor=actor)
    return actor, message


@transaction.atomic
def message_pin(*, room: Room, user: User, message_id: int) -> Message:
    """Moderators and owners pin a message for everyone; pinning it again changes nothing."""
    actor, message = _pinning_actor(room=room, user=user, message_id=message_id)
    if message.is_pinned:
        return message
    message.pinned_at = message.changed_at = timezone.now()
    message.pinned_by = user
    message.save(update_fields=["pinned_at", "pinned_by", "changed_at"])
    group_send_on_commit(
        room_group_name(actor.room.pk),
        events.message_pinned(message=message_payload(message), pinned_by=person_of(user)),
    )
    return message


@transaction.atomic
def message_unpin(*, room: Room, user: User, message_id: int) -> Message:
    actor, message = _pinning_actor(room=room, user=user, message_id=message_id)
    if not message.is_pinned:
        return message
    message.pinned_at = message.pinned_by = None
    message.changed_at = timezone.now()
    message.save(update_fields=["pinned_at", "pinned_by", "changed_at"])
    group_send_on_commit(room_group_name(actor.room.pk), events.message_unpinned(id=message.pk))
    return message
