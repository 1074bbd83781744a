"""Reactions to messages."""

import emoji as unicode_emoji
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import person_of
from messaging.models import REACTION_EMOJI_MAX_LENGTH, Message, Reaction
from messaging.services.messages import MessageRejected, message_in_room_get
from realtime import events
from realtime.broadcast import group_send_on_commit
from realtime.groups import room_group_name
from rooms.models import Room
from rooms.permissions import Action, Actor, PermissionDenied, check
from rooms.selectors import room_actor_get

REACTIONS_PER_USER_AND_MESSAGE = 20


def reaction_emoji_clean(emoji: str) -> str:
    """One Unicode emoji (a sequence such as 👍🏽 or 👩‍💻 counts as one), or ``invalid``."""
    emoji = emoji.strip()
    if len(emoji) > REACTION_EMOJI_MAX_LENGTH or not unicode_emoji.is_emoji(emoji):
        raise MessageRejected("invalid", _("A reaction must be one emoji."))
    return emoji


def _reacting_actor(*, room: Room, user: User, message_id: int) -> tuple[Actor, Message]:
    actor = room_actor_get(slug=room.slug, user=user)
    try:
        check(actor, Action.REACT)
    except PermissionDenied as denied:
        raise MessageRejected.from_denial(denied) from None
    return actor, message_in_room_get(room=actor.room, message_id=message_id)


def _changed(*, message: Message) -> None:
    """A reconnecting page asks for what changed since; this is when (selectors)."""
    Message.objects.filter(pk=message.pk).update(changed_at=timezone.now())


@transaction.atomic
def reaction_add(*, room: Room, user: User, message_id: int, emoji: str) -> bool:
    """React to a message; everyone in the room sees it live.

    Returns whether it was added: a reaction the user already made is left
    alone and announced to nobody, so a page that sends twice (two tabs, a
    double click) causes neither an error nor a second event.
    """
    emoji = reaction_emoji_clean(emoji)
    actor, message = _reacting_actor(room=room, user=user, message_id=message_id)
    mine = Reaction.objects.filter(message=message, user=user)
    if mine.filter(emoji=emoji).exists():
        return False
    if mine.count() >= REACTIONS_PER_USER_AND_MESSAGE:
        raise MessageRejected(
            "invalid",
            _("You can add at most %(n)d reactions to one message.")
            % {"n": REACTIONS_PER_USER_AND_MESSAGE},
        )
    try:
        # Its own savepoint: the same reaction from another tab may win the race.
        with transaction.atomic():
            Reaction.objects.create(message=message, user=user, emoji=emoji)
    except IntegrityError:
        return False
    _changed(message=message)
    group_send_on_commit(
        room_group_name(actor.room.pk),
        events.reaction_added(message_id=message.pk, emoji=emoji, user=person_of(user)),
    )
    return True


@transaction.atomic
def reaction_remove(*, room: Room, user: User, message_id: int, emoji: str) -> bool:
    """Take back one's own reaction; returns whether there was one to take back."""
    emoji = reaction_emoji_clean(emoji)
    actor, message = _reacting_actor(room=room, user=user, message_id=message_id)
    removed, _counts = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if not removed:
        return False
    _changed(message=message)
    group_send_on_commit(
        room_group_name(actor.room.pk),
        events.reaction_removed(message_id=message.pk, emoji=emoji, user=person_of(user)),
    )
    return True
