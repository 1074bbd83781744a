"""Creating, revoking and accepting invitations."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from rooms.forms import InvitationForm
from rooms.models import Invitation
from rooms.permissions import Action, PermissionDenied
from rooms.selectors import (
    invitation_get,
    invitation_invalid_reason,
    membership_get,
    room_invitations,
)
from rooms.services import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from rooms.views.common import actor_or_404, refusals_as_403, require


@login_required
def room_invitations_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_or_404(request, slug)
    require(actor, Action.INVITE)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invited_user = None
        if username := form.cleaned_data["username"].strip():
            invited_user = User.objects.filter(username=username, is_active=True).first()
            if invited_user is None:
                form.add_error("username", _("Nobody is called “%(name)s”.") % {"name": username})
        if not form.errors:
            hours = form.cleaned_data["expires_in_hours"]
            try:
                invitation_create(
                    actor=actor,
                    invited_user=invited_user,
                    expires_at=timezone.now() + timedelta(hours=hours) if hours else None,
                    max_uses=form.cleaned_data["max_uses"],
                )
            except PermissionDenied as denied:
                form.add_error(None, denied.detail)
            else:
                messages.success(request, _("Invitation created."))
                return redirect("rooms:invitations", slug=slug)
    context = {
        "room": actor.room,
        "form": form,
        "invitations": room_invitations(room=actor.room),
    }
    return render(request, "rooms/room_invitations.html", context)


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    actor = actor_or_404(request, slug)
    invitation = Invitation.objects.filter(pk=invitation_id, room=actor.room).first()
    if invitation is None:
        raise Http404
    with refusals_as_403():
        invitation_revoke(actor=actor, invitation=invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("rooms:invitations", slug=slug)


@login_required
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's landing page: see the room's name, accept with one click."""
    try:
        invitation = invitation_get(token=token)
    except Invitation.DoesNotExist:
        raise Http404(_("No such invitation.")) from None
    room = invitation.room
    # An invitation addressed to someone else does not reveal its (maybe private) room.
    if invitation.invited_user_id not in (None, request.user.pk):
        raise Http404(_("No such invitation."))
    problem = None
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, user=request.user)
        except InvitationUnusable as unusable:
            problem = unusable.detail
            invitation.refresh_from_db()
        except PermissionDenied as denied:
            problem = denied.detail
        else:
            return redirect(room)
    elif membership_get(room=room, user=request.user) is not None:
        return redirect(room)
    if (invalid := invitation_invalid_reason(invitation=invitation)) is not None:
        # Whoever holds a dead link learns nothing more about the (maybe private) room.
        return render(request, "rooms/invitation_invalid.html", {"reason": invalid}, status=410)
    status = 410 if problem else 200
    return render(
        request,
        "rooms/invitation_detail.html",
        {"invitation": invitation, "room": room, "problem": problem},
        status=status,
    )
