import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from messaging.protocol import page_constants
from rooms.forms import RoomForm
from rooms.models import Membership, Room
from rooms.permissions import (
    Action,
    Actor,
    actor_get,
    can,
    denial,
    join_denial,
    room_state_notice,
)
from rooms.selectors import (
    ban_get_active,
    direct_room_find,
    invitations_for_user,
    room_list,
    room_member_count,
    room_member_summaries,
    room_title,
    unread_counts,
)
from rooms.services import (
    OwnerCannotLeave,
    RoomCreateLimited,
    direct_room_get_or_create,
    membership_revoke,
    room_create,
    room_join,
)
from rooms.views.common import refusals_as_403, room_visible_or_404


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def room_list_view(request: HttpRequest) -> HttpResponse:
    unread = {item["slug"]: item for item in unread_counts(user=request.user)}
    rooms = list(room_list(user=request.user))
    for room in rooms:
        room.unread = unread.get(room.slug, {}).get("unread", 0)
        room.mentions = unread.get(room.slug, {}).get("mentions", 0)
    context = {
        "rooms": rooms,
        "invitations": invitations_for_user(user=request.user),
        "conversations": [item for item in unread.values() if item["kind"] == Room.Kind.DIRECT],
        "page_constants": page_constants(),
    }
    return render(request, "rooms/room_list.html", context)


@login_required
def room_create_view(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            room = room_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                visibility=form.cleaned_data["visibility"],
                created_by=request.user,
            )
        except RoomCreateLimited as limited:
            form.add_error(None, limited.detail)
        else:
            return redirect(room)
    return render(request, "rooms/room_form.html", {"form": form})


def _page_controls(actor: Actor) -> dict[str, bool]:
    """Which of the room page's role-dependent controls ``actor`` sees."""
    return {
        "moderate": can(actor, Action.DELETE_ANY),
        "invite": can(actor, Action.INVITE),
        "settings": can(actor, Action.SETTINGS) or can(actor, Action.LOCK),
        "audit": can(actor, Action.VIEW_AUDIT),
        "react": can(actor, Action.REACT),
        "pin": can(actor, Action.PIN),
        # Of other people's messages: everyone may see their own.
        "edit_history": can(actor, Action.VIEW_EDIT_HISTORY),
    }


@login_required
def room_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_visible_or_404(request, slug)
    actor = actor_get(user=request.user, room=room)
    context = {
        "room": room,
        "membership": actor.membership,
        "member_count": room_member_count(room=room),
    }
    if actor.role is None:
        ban = ban_get_active(room=room, user=request.user)
        context["join_refusal"] = join_denial(room=room, ban=ban)
        return render(request, "rooms/room_preview.html", context)
    context["can"] = _page_controls(actor)
    # A role change reaches the open page as member.updated: it shows the controls of
    # the new role from this table instead of reloading.
    context["room_controls"] = {
        "mine": context["can"],
        "by_role": {
            role: _page_controls(
                Actor(
                    user=request.user,
                    room=room,
                    membership=Membership(room=room, user=request.user, role=role),
                )
            )
            for role in Membership.Role.values
        },
    }
    context["post_refusal"] = post_refusal = denial(actor, Action.POST)
    context["room_state"] = room_state_notice(room=room, post_refusal=post_refusal)
    context["title"] = room_title(room=room, user=request.user)
    context["page_constants"] = page_constants()
    mine = unread_counts(user=request.user)
    context["sidebar"] = {
        "rooms": [item for item in mine if item["kind"] == Room.Kind.ROOM],
        "direct": [item for item in mine if item["kind"] == Room.Kind.DIRECT],
    }
    context["members_json"] = json.dumps(
        [
            {
                "username": member["username"],
                "display_name": member["display_name"],
                "avatar_url": member["avatar_url"],
            }
            for member in room_member_summaries(room=room)
        ]
    )
    return render(request, "rooms/room_detail.html", context)


@login_required
@require_POST
def room_join_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_visible_or_404(request, slug)
    with refusals_as_403():
        try:
            room_join(room=room, user=request.user)
        except Room.DoesNotExist:
            raise Http404 from None
    return redirect(room)


@login_required
@require_POST
def room_leave_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_visible_or_404(request, slug)
    try:
        left = membership_revoke(room=room, user=request.user)
    except OwnerCannotLeave:
        messages.error(
            request,
            _("You are the only owner of %(room)s, so you cannot leave it.") % {"room": room},
        )
        return redirect(room)
    if left:
        messages.success(request, _("You left %(room)s.") % {"room": room})
    return redirect("rooms:list")


@login_required
@require_http_methods(["GET", "POST"])
def direct_view(request: HttpRequest, username: str) -> HttpResponse:
    """My conversation with ``username``: opened if it exists, started only by a POST."""
    other = User.objects.filter(username=username, is_active=True).first()
    if other is None or other.pk == request.user.pk:
        raise Http404(_("There is nobody else called “%(name)s”.") % {"name": username})
    if request.method == "POST":
        return redirect(direct_room_get_or_create(user=request.user, other=other))
    room = direct_room_find(user=request.user, other=other)
    if room is not None:
        return redirect(room)
    return render(request, "rooms/direct_start.html", {"other": other})
