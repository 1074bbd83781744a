"""What every room view needs: the room as this user may see it, and refusals."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.permissions import NO_SUCH_ROOM_SENTENCE, Action, Actor, PermissionDenied, check
from rooms.selectors import NotAMember, room_actor_get, room_get_visible


def room_visible_or_404(request: HttpRequest, slug: str) -> Room:
    """The room, if the user may know it exists (its preview page); 404 otherwise."""
    try:
        return room_get_visible(slug=slug, user=request.user)
    except Room.DoesNotExist:
        raise Http404(NO_SUCH_ROOM_SENTENCE % {"slug": slug}) from None


def actor_or_404(request: HttpRequest, slug: str) -> Actor:
    """The signed-in user as a reader of the room: 404 if hidden, 403 if not a member."""
    try:
        return room_actor_get(slug=slug, user=request.user)
    except Room.DoesNotExist:
        raise Http404(NO_SUCH_ROOM_SENTENCE % {"slug": slug}) from None
    except NotAMember:
        raise HttpForbidden(_("Only members of this room can do that.")) from None


@contextmanager
def refusals_as_403() -> Iterator[None]:
    """Turn a permission refusal inside the block into a 403 page that says why."""
    try:
        yield
    except PermissionDenied as denied:
        raise HttpForbidden(denied.detail) from None


def require(actor: Actor, action: Action, **kwargs: object) -> None:
    with refusals_as_403():
        check(actor, action, **kwargs)  # type: ignore[arg-type]
