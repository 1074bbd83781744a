from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rooms.forms import RoomForm
from rooms.models import Room
from rooms.selectors import membership_get, room_get, room_list, room_member_count
from rooms.services import OwnerCannotLeave, membership_create, membership_revoke, room_create


def room_get_or_404(slug: str) -> Room:
    try:
        return room_get(slug=slug)
    except Room.DoesNotExist:
        raise Http404(_("No room is called “%(slug)s”.") % {"slug": slug}) from None


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_required
def room_list_view(request: HttpRequest) -> HttpResponse:
    rooms = room_list(user=request.user)
    return render(request, "rooms/room_list.html", {"rooms": rooms})


@login_required
def room_create_view(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        room = room_create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            created_by=request.user,
        )
        return redirect(room)
    return render(request, "rooms/room_form.html", {"form": form})


@login_required
def room_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_get_or_404(slug)
    membership = membership_get(room=room, user=request.user)
    context = {
        "room": room,
        "membership": membership,
        "member_count": room_member_count(room=room),
    }
    template = "rooms/room_detail.html" if membership else "rooms/room_preview.html"
    return render(request, template, context)


@login_required
@require_POST
def room_join_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_get_or_404(slug)
    membership_create(room=room, user=request.user)
    return redirect(room)


@login_required
@require_POST
def room_leave_view(request: HttpRequest, slug: str) -> HttpResponse:
    room = room_get_or_404(slug)
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
