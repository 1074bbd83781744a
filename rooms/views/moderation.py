"""Pages where owners and moderators run a room: members, settings, audit log."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.selectors import audit_list
from rooms.forms import MemberActionForm, RoomForm, SlowModeForm
from rooms.models import SLOW_MODE_MAX_SECONDS, Ban, Membership, Room
from rooms.permissions import Action, Actor, can
from rooms.selectors import room_bans, room_member_get, room_members
from rooms.services import (
    member_ban,
    member_kick,
    member_mute,
    member_role_set,
    member_unban,
    member_unmute,
    ownership_transfer,
    room_archive_set,
    room_lock_set,
    room_slow_mode_set,
    room_update,
)
from rooms.views.common import actor_or_404, refusals_as_403, require


def _member_or_404(actor: Actor, username: str) -> Membership:
    membership = room_member_get(room=actor.room, username=username)
    if membership is None:
        raise Http404(_("%(name)s is not a member of this room.") % {"name": username})
    return membership


@login_required
def room_members_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_or_404(request, slug)
    members = list(room_members(room=actor.room))
    rows = [
        {
            "membership": membership,
            "can": {
                "kick": can(actor, Action.KICK, target=membership),
                "ban": can(actor, Action.BAN, target=membership),
                "mute": can(actor, Action.MUTE, target=membership),
                "promote": can(actor, Action.PROMOTE, target=membership),
                "transfer": can(actor, Action.TRANSFER, target=membership),
            },
        }
        for membership in members
    ]
    context = {
        "room": actor.room,
        "rows": rows,
        "may_moderate": can(actor, Action.DELETE_ANY),
        "bans": room_bans(room=actor.room) if can(actor, Action.DELETE_ANY) else [],
        "form": MemberActionForm(),
    }
    return render(request, "rooms/room_members.html", context)


@login_required
@require_POST
def member_action_view(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    actor = actor_or_404(request, slug)
    target = _member_or_404(actor, username)
    form = MemberActionForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(" ".join(e) for e in form.errors.values())
        messages.error(request, errors)
        return redirect("rooms:members", slug=slug)
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    minutes = form.cleaned_data["minutes"]
    with refusals_as_403():
        if action == "kick":
            member_kick(actor=actor, target=target, reason=reason)
        elif action == "ban":
            expires = timezone.now() + timedelta(minutes=minutes) if minutes else None
            member_ban(actor=actor, target=target, reason=reason, expires_at=expires)
        elif action == "mute":
            member_mute(
                actor=actor, target=target, duration=timedelta(minutes=minutes), reason=reason
            )
        elif action == "unmute":
            member_unmute(actor=actor, target=target)
        elif action == "promote":
            member_role_set(actor=actor, target=target, role=Membership.Role.MODERATOR)
        elif action == "demote":
            member_role_set(actor=actor, target=target, role=Membership.Role.MEMBER)
        else:
            ownership_transfer(actor=actor, target=target)
    messages.success(
        request, _("Done: %(action)s %(name)s.") % {"action": action, "name": username}
    )
    return redirect("rooms:members", slug=slug)


@login_required
@require_POST
def ban_lift_view(request: HttpRequest, slug: str, ban_id: int) -> HttpResponse:
    actor = actor_or_404(request, slug)
    ban = Ban.objects.select_related("room", "user").filter(pk=ban_id, room=actor.room).first()
    if ban is None:
        raise Http404
    with refusals_as_403():
        member_unban(actor=actor, ban=ban)
    messages.success(request, _("%(name)s may join again.") % {"name": ban.user.username})
    return redirect("rooms:members", slug=slug)


@login_required
def room_settings_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_or_404(request, slug)
    may_edit = can(actor, Action.SETTINGS)
    if not (may_edit or can(actor, Action.LOCK)):
        require(actor, Action.SETTINGS)
    room = actor.room
    # A form over a copy: a failed save must not rename the room shown on the page.
    form = RoomForm(
        request.POST or None,
        instance=Room(name=room.name, description=room.description, visibility=room.visibility),
        user=request.user,
        renaming=room,
    )
    if request.method == "POST":
        require(actor, Action.SETTINGS)
        if form.is_valid():
            room_update(
                actor=actor,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                visibility=form.cleaned_data["visibility"],
            )
            messages.success(request, _("Room settings saved."))
            return redirect("rooms:settings", slug=slug)
    context = {
        "room": room,
        "form": form,
        "may_edit": may_edit,
        "slow_mode_form": SlowModeForm(initial={"seconds": room.slow_mode_seconds}),
        "may_lock": can(actor, Action.LOCK),
        "may_archive": can(actor, Action.ARCHIVE),
    }
    return render(request, "rooms/room_settings.html", context)


@login_required
@require_POST
def room_switch_view(request: HttpRequest, slug: str, switch: str) -> HttpResponse:
    """Lock, unlock, slow mode, archive, unarchive: one POST each."""
    actor = actor_or_404(request, slug)
    with refusals_as_403():
        if switch in {"lock", "unlock"}:
            room_lock_set(actor=actor, locked=switch == "lock")
        elif switch in {"archive", "unarchive"}:
            room_archive_set(actor=actor, archived=switch == "archive")
        elif switch == "slow-mode":
            form = SlowModeForm(request.POST)
            if not form.is_valid():
                messages.error(
                    request,
                    _("Slow mode takes a number of seconds from 0 to %(max)d.")
                    % {"max": SLOW_MODE_MAX_SECONDS},
                )
                return redirect("rooms:settings", slug=slug)
            room_slow_mode_set(actor=actor, seconds=form.cleaned_data["seconds"])
        else:
            raise Http404
    messages.success(request, _("Room updated."))
    return redirect("rooms:settings", slug=slug)


@login_required
def room_audit_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_or_404(request, slug)
    require(actor, Action.VIEW_AUDIT)
    entries = audit_list(room=actor.room)[:500]
    return render(request, "rooms/room_audit.html", {"room": actor.room, "entries": entries})
