"""Reads about messages."""

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import person_of
from attachments.selectors import message_attachments_payload
from messaging.formatting import body_render
from messaging.models import Message, MessageRevision
from realtime import events
from rooms.models import Room
from rooms.selectors import rooms_joined


def message_payload(message: Message) -> events.MessageFields:
    """A message as it travels on the wire (realtime/events.py)."""
    return events.message_fields(
        id=message.pk,
        room=message.room.slug,
        author=person_of(message.author),
        body=message.body,
        html=message.html or body_render(message.body),
        mentions=message_mentioned_usernames(message),
        created_at=events.iso_utc(message.created_at),
        edited_at=events.iso_utc(message.edited_at),
        client_id=message.client_id or None,
        attachments=message_attachments_payload(message),
        reply_to=message_reply_quote(message),
        reactions=message_reaction_counts(message),
        pinned=message.is_pinned,
    )


REPLY_EXCERPT_LENGTH = 140


def message_reply_quote(message: Message) -> events.ReplyTo | None:
    """What a reply shows of the message it answers; the selectors fetch it with its author."""
    if message.reply_to_id is None:
        return None
    quoted = message.reply_to
    # A deleted body is never served again, not even as a quote.
    excerpt = (
        _("This message was deleted.")
        if quoted.is_deleted
        else Truncator(" ".join(quoted.body.split())).chars(REPLY_EXCERPT_LENGTH)
    )
    return events.reply_to(
        id=quoted.pk,
        author=person_of(quoted.author),
        excerpt=excerpt,
    )


def message_reaction_counts(message: Message) -> list[events.ReactionCount]:
    """Each emoji on the message once, in the order it was first used, with who used it.

    A message just written carries ``reacted`` (none); listed ones have their
    reactions prefetched by the selectors below.
    """
    reactions = getattr(message, "reacted", None)
    if reactions is None:
        reactions = message.reactions.all()
    users: dict[str, list[str]] = {}
    for reaction in sorted(reactions, key=lambda reaction: reaction.pk):
        users.setdefault(reaction.emoji, []).append(reaction.user.username)
    return [events.reaction_count(emoji=emoji, users=names) for emoji, names in users.items()]


def messages_for_payload(messages: QuerySet[Message]) -> QuerySet[Message]:
    """``messages`` with everything ``message_payload`` reads, in a fixed number of queries."""
    return messages.select_related("author", "room", "reply_to__author").prefetch_related(
        "mentions__user", "reactions__user", "attachments"
    )


def message_mentioned_usernames(message: Message) -> list[str]:
    """Who the message mentions. Written messages carry ``mentioned``; listed ones
    have their mentions prefetched by the selectors below."""
    mentioned = getattr(message, "mentioned", None)
    if mentioned is None:
        mentioned = [mention.user for mention in message.mentions.all()]
    return sorted(user.username for user in mentioned)


def message_new_frame_text(message: Message) -> str:
    """The ``message.new`` frame for ``message``, encoded as the text sent on the wire."""
    return events.message_new_text(message_payload(message))


def message_list(
    *, room: Room, limit: int, before: int | None = None, after: int | None = None
) -> tuple[list[Message], bool]:
    """Up to ``limit`` messages of ``room``, oldest first, and whether more exist.

    With ``after`` the messages right after that id (catching up); otherwise
    the latest ones, or the latest ones before ``before`` (scrolling back).
    """
    # Deleted messages keep their place in the id order but are never served.
    messages = messages_for_payload(Message.objects.filter(room=room, deleted_at__isnull=True))
    if after is not None:
        page = list(messages.filter(id__gt=after).order_by("id")[: limit + 1])
        return page[:limit], len(page) > limit
    if before is not None:
        messages = messages.filter(id__lt=before)
    page = list(messages.order_by("-id")[: limit + 1])
    return page[:limit][::-1], len(page) > limit


def message_list_around(
    *, room: Room, message_id: int, limit: int
) -> tuple[list[Message], bool, bool]:
    """The message ``message_id`` of ``room`` with up to ``limit`` messages in all around it,
    oldest first, and whether older and newer ones exist beyond them.

    Raises ``Message.DoesNotExist`` alike for an id of another room, a deleted message
    and no message at all, so a link tells nothing about a room its reader is not in.
    """
    if not Message.objects.filter(room=room, id=message_id, deleted_at__isnull=True).exists():
        raise Message.DoesNotExist
    # The message itself and the older half; the newer half after it.
    before, has_older = message_list(room=room, limit=(limit + 1) // 2, before=message_id + 1)
    after, has_newer = message_list(room=room, limit=limit - len(before), after=message_id)
    return before + after, has_older, has_newer


def message_get_by_client_id(*, room: Room, author: User, client_id: str) -> Message | None:
    return (
        messages_for_payload(Message.objects.all())
        .filter(room=room, author=author, client_id=client_id)
        .first()
    )


def message_changes_since(
    *, room: Room, up_to: int, since: datetime
) -> tuple[list[Message], list[int]]:
    """Messages up to id ``up_to`` edited, and ids deleted, after ``since``.

    A reconnecting client already has those messages; catching up by id alone
    would miss what happened to them while it was away. Reactions and pins
    added or removed count as edits: the page replaces the whole message.
    """
    older = Message.objects.filter(room=room, id__lte=up_to)
    deleted = list(older.filter(deleted_at__gt=since).values_list("id", flat=True))
    edited = list(
        messages_for_payload(
            older.filter(Q(edited_at__gt=since) | Q(changed_at__gt=since), deleted_at__isnull=True)
        )
    )
    return edited, deleted


def message_pin_list(*, room: Room) -> list[Message]:
    """The room's pinned messages, the latest pin first."""
    return list(
        messages_for_payload(
            Message.objects.filter(room=room, pinned_at__isnull=False, deleted_at__isnull=True)
        ).order_by("-pinned_at", "-id")
    )


def message_get_in_room(*, room: Room, message_id: int) -> Message:
    """A message of ``room`` that is not deleted; ``Message.DoesNotExist`` otherwise."""
    return Message.objects.select_related("author", "room").get(
        pk=message_id, room=room, deleted_at__isnull=True
    )


def message_versions(*, message: Message) -> list[dict[str, str | None]]:
    """Every text the message had, oldest first, the current one last."""
    revisions = MessageRevision.objects.filter(message=message).order_by("id")
    versions = [
        {"body": revision.body, "html": revision.html, "at": events.iso_utc(revision.written_at)}
        for revision in revisions
    ]
    versions.append(
        {
            "body": message.body,
            "html": message.html or body_render(message.body),
            "at": events.iso_utc(message.edited_at or message.created_at),
        }
    )
    return versions


SEARCH_LIMIT = 50


def message_search(*, user: User, query: str, room: Room | None = None) -> list[Message]:
    """Messages in the user's rooms (or one of them) matching ``query``, best first.

    PostgreSQL ranks with its full-text search (stemming, "quoted phrases",
    -exclusions); SQLite, the embedded default, falls back to every word
    appearing somewhere in the body, newest first.
    """
    messages = Message.objects.filter(
        deleted_at__isnull=True, room__in=rooms_joined(user=user)
    ).select_related("author", "room")
    if room is not None:
        messages = messages.filter(room=room)
    query = query.strip()
    if not query:
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("body", config="english")
        search = SearchQuery(query, config="english", search_type="websearch")
        # Match with @@ (the document against the query); rank only orders the matches.
        messages = (
            messages.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-id")
        )
    else:
        for word in query.split()[:10]:
            messages = messages.filter(body__icontains=word.strip('"'))
        messages = messages.order_by("-id")
    return list(messages[:SEARCH_LIMIT])


def mention_list(*, user: User, limit: int = 100) -> list[Message]:
    """Messages that mention ``user``, newest first, in rooms they are still in."""
    return list(
        Message.objects.filter(
            mentions__user=user, deleted_at__isnull=True, room__in=rooms_joined(user=user)
        )
        .select_related("author", "room")
        .order_by("-id")[:limit]
    )
