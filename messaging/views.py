from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from messaging.models import Message
from messaging.selectors import (
    mention_list,
    message_get_in_room,
    message_list,
    message_list_around,
    message_payload,
    message_pin_list,
    message_search,
    message_versions,
)
from rooms.models import Room
from rooms.permissions import NO_SUCH_ROOM_SENTENCE, Action, Actor, denial
from rooms.selectors import NotAMember, room_actor_get, room_get_for_member

HISTORY_PAGE_MAX = 100


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _id_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    value = int(raw)  # ValueError for the caller to report
    if value < 0:
        raise ValueError(raw)
    return value


@require_GET
def room_messages_view(request: HttpRequest, slug: str) -> JsonResponse:
    """A page of a room's history for its members, oldest first.

    ``?before=<id>`` scrolls back, ``?after=<id>`` catches up, ``?around=<id>`` opens the
    room at one message (``has_more_after`` then says whether newer ones follow), ``limit``
    is 1-100.
    """
    # A JSON endpoint answers with a status, not a redirect to the login page.
    try:
        room = room_get_for_member(slug=slug, user=request.user)
    except Room.DoesNotExist:
        return _error(404, NO_SUCH_ROOM_SENTENCE % {"slug": slug})
    except NotAMember:
        return _error(403, _("Only members of this room can read its messages."))
    try:
        before = _id_param(request, "before")
        after = _id_param(request, "after")
        around = _id_param(request, "around")
    except ValueError:
        return _error(400, _("before, after and around must be message ids (whole numbers)."))
    if sum(value is not None for value in (before, after, around)) > 1:
        return _error(400, _("Give one of before, after and around."))
    try:
        limit = int(request.GET.get("limit") or 50)
    except ValueError:
        limit = 0
    if not 1 <= limit <= HISTORY_PAGE_MAX:
        return _error(
            400, _("limit must be a whole number from 1 to %(max)d.") % {"max": HISTORY_PAGE_MAX}
        )
    if around is not None:
        try:
            messages, has_more, has_more_after = message_list_around(
                room=room, message_id=around, limit=limit
            )
        except Message.DoesNotExist:
            return _error(404, _("That message is not in this room, or was deleted."))
        return JsonResponse(
            {
                "messages": [message_payload(message) for message in messages],
                "has_more": has_more,
                "has_more_after": has_more_after,
            }
        )
    messages, has_more = message_list(room=room, limit=limit, before=before, after=after)
    return JsonResponse(
        {"messages": [message_payload(message) for message in messages], "has_more": has_more}
    )


def _reader_or_404(request: HttpRequest, slug: str) -> Actor | JsonResponse:
    """The user as a reader of the room; a 404 answer for anyone else, the signed-out too,
    so these endpoints tell nobody outside which rooms or messages exist."""
    try:
        return room_actor_get(slug=slug, user=request.user)
    except (Room.DoesNotExist, NotAMember):
        return _error(404, NO_SUCH_ROOM_SENTENCE % {"slug": slug})


@require_GET
def room_pins_view(request: HttpRequest, slug: str) -> JsonResponse:
    """The room's pinned messages for its members, the latest pin first."""
    actor = _reader_or_404(request, slug)
    if isinstance(actor, JsonResponse):
        return actor
    pins = message_pin_list(room=actor.room)
    return JsonResponse({"pins": [message_payload(message) for message in pins]})


@require_GET
def message_history_view(request: HttpRequest, slug: str, message_id: int) -> JsonResponse:
    """Every version of an edited message, oldest first, for those the rules let see them."""
    actor = _reader_or_404(request, slug)
    if isinstance(actor, JsonResponse):
        return actor
    try:
        message = message_get_in_room(room=actor.room, message_id=message_id)
    except Message.DoesNotExist:
        return _error(404, _("There is no such message in this room."))
    refused = denial(actor, Action.VIEW_EDIT_HISTORY, message_author_id=message.author_id)
    if refused is not None:
        return _error(403, refused.detail)
    return JsonResponse({"versions": message_versions(message=message)})


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    """Search my rooms, or one of them with ``?room=<slug>``."""
    query = request.GET.get("q", "")[:200]
    room = None
    if slug := request.GET.get("room"):
        try:
            room = room_get_for_member(slug=slug, user=request.user)
        except (Room.DoesNotExist, NotAMember):
            raise Http404 from None
    results = message_search(user=request.user, query=query, room=room) if query else []
    return render(
        request, "messaging/search.html", {"query": query, "room": room, "results": results}
    )


@login_required
def mentions_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "messaging/mentions.html", {"mentioned": mention_list(user=request.user)}
    )
