"""Invitations: the way into private rooms, refused when expired, used up, revoked or banned."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLogEntry
from rooms.models import Invitation, Membership
from rooms.permissions import PermissionDenied, actor_get
from rooms.services import invitation_revoke
from tests.support.factories import (
    BanFactory,
    InvitationFactory,
    MembershipFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hideout_owner(private_room, other_user) -> Membership:
    return MembershipFactory(user=other_user, room=private_room, role=Membership.Role.OWNER)


@pytest.fixture
def link(private_room, hideout_owner) -> Invitation:
    return InvitationFactory(room=private_room, created_by=hideout_owner.user)


def is_member(user, room) -> bool:
    return Membership.objects.filter(user=user, room=room).exists()


# --- Accepting ------------------------------------------------------------------------


def test_the_anonymous_are_sent_to_log_in_from_an_invitation(client, link):
    response = client.get(link.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_unknown_token_is_a_404(client_for, outsider):
    assert client_for(outsider).get("/rooms/invitations/not-a-token/").status_code == 404


def test_a_link_shows_the_room_and_accepting_joins_it(client_for, outsider, link, private_room):
    client = client_for(outsider)

    page = client.get(link.get_absolute_url())
    assert page.status_code == 200
    assert "You are invited to Hideout" in page.content.decode()
    assert b"Accept and join" in page.content

    response = client.post(link.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == "/rooms/hideout/"
    assert is_member(outsider, private_room)
    assert client.get("/rooms/hideout/").status_code == 200
    link.refresh_from_db()
    assert link.uses == 1


def test_a_member_opening_an_invitation_goes_straight_to_the_room(client_for, link, hideout_owner):
    response = client_for(hideout_owner.user).get(link.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == "/rooms/hideout/"


def test_an_addressed_invitation_is_usable_only_by_its_addressee(
    client_for, outsider, private_room, hideout_owner
):
    invitee = UserFactory(username="ivy")
    invitation = InvitationFactory(
        room=private_room, created_by=hideout_owner.user, invited_user=invitee, max_uses=1
    )
    stranger = client_for(outsider)

    page = stranger.get(invitation.get_absolute_url())
    refused = stranger.post(invitation.get_absolute_url())

    # Someone else's invitation does not even reveal which (private) room it is for.
    assert (page.status_code, refused.status_code) == (404, 404)
    assert private_room.name not in refused.content.decode()
    assert b"Accept and join" not in refused.content
    assert not is_member(outsider, private_room)
    assert client_for(invitee).post(invitation.get_absolute_url()).status_code == 302
    assert is_member(invitee, private_room)


def test_an_addressed_invitation_is_listed_for_its_addressee(client_for, private_room):
    invitee = UserFactory(username="ivy")
    invitation = InvitationFactory(room=private_room, invited_user=invitee, max_uses=1)

    response = client_for(invitee).get("/rooms/")

    assert list(response.context["invitations"]) == [invitation]
    assert invitation.get_absolute_url().encode() in response.content
    assert [r.slug for r in response.context["rooms"]] == []


def _expired(link: Invitation) -> None:
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()


def _used_up(link: Invitation) -> None:
    link.max_uses = 2
    link.uses = 2
    link.save()


def _revoked(link: Invitation) -> None:
    link.revoked_at = timezone.now()
    link.save()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_expired, "It expired on "),
        (_used_up, "It has been used as many times as it allowed."),
        (_revoked, "It was revoked by the room's owners."),
    ],
    ids=["expired", "used up", "revoked"],
)
def test_an_unusable_invitation_says_why_shows_nothing_of_the_room_and_nobody_joins(
    client_for, outsider, link, private_room, spoil, reason
):
    private_room.description = "Where the plans for the surprise party live"
    private_room.save()
    spoil(link)
    client = client_for(outsider)

    page = client.get(link.get_absolute_url())
    refused = client.post(link.get_absolute_url())

    for response in [page, refused]:
        assert response.status_code == 410
        content = response.content.decode()
        assert "This invitation is no longer valid" in content
        assert reason.replace("'", "&#x27;") in content
        assert "Hideout" not in content
        assert "surprise party" not in content
        assert "Accept and join" not in content
    assert not is_member(outsider, private_room)
    assert client.get("/rooms/hideout/").status_code == 404


def test_a_usable_invitation_shows_the_rooms_name_and_description(
    client_for, outsider, link, private_room
):
    private_room.description = "Where the plans live"
    private_room.save()

    content = client_for(outsider).get(link.get_absolute_url()).content.decode()

    assert "You are invited to Hideout" in content
    assert "Where the plans live" in content
    assert "Accept and join" in content


def test_a_use_limit_lets_in_exactly_that_many(client_for, link, private_room):
    link.max_uses = 2
    link.save()
    first, second, third = (UserFactory() for _ in range(3))

    statuses = [
        client_for(u).post(link.get_absolute_url()).status_code for u in (first, second, third)
    ]

    assert statuses == [302, 302, 410]
    assert [is_member(u, private_room) for u in (first, second, third)] == [True, True, False]
    link.refresh_from_db()
    assert link.uses == 2


def test_an_invitation_that_expires_while_its_page_is_open_is_refused(
    client_for, outsider, link, private_room
):
    client = client_for(outsider)
    assert client.get(link.get_absolute_url()).status_code == 200
    _expired(link)

    assert client.post(link.get_absolute_url()).status_code == 410
    assert not is_member(outsider, private_room)


def test_a_banned_user_cannot_accept_an_invitation(client_for, outsider, link, private_room):
    BanFactory(room=private_room, user=outsider)

    response = client_for(outsider).post(link.get_absolute_url())

    assert response.status_code in {403, 410}
    assert "You are banned from this room." in response.content.decode()
    assert not is_member(outsider, private_room)
    link.refresh_from_db()
    assert link.uses == 0


def test_a_user_whose_ban_expired_may_accept(client_for, outsider, link, private_room):
    BanFactory(room=private_room, user=outsider, expires_at=timezone.now() - timedelta(seconds=1))

    assert client_for(outsider).post(link.get_absolute_url()).status_code == 302
    assert is_member(outsider, private_room)


def test_an_invitation_to_an_archived_room_is_refused(client_for, outsider, link, private_room):
    private_room.archived_at = timezone.now()
    private_room.save()

    assert client_for(outsider).post(link.get_absolute_url()).status_code == 410
    assert not is_member(outsider, private_room)


# --- Creating and revoking -----------------------------------------------------------


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MODERATOR])
def test_owners_and_moderators_create_a_link_and_it_is_audited(client_for, private_room, role):
    creator = MembershipFactory(room=private_room, role=role).user

    response = client_for(creator).post(
        "/rooms/hideout/invitations/", {"username": "", "expires_in_hours": "24", "max_uses": "5"}
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.created_by, invitation.max_uses, invitation.invited_user) == (
        creator,
        5,
        None,
    )
    assert invitation.expires_at == pytest.approx(
        timezone.now() + timedelta(hours=24), abs=timedelta(seconds=5)
    )
    entry = AuditLogEntry.objects.get()
    assert (entry.room, entry.actor, entry.action) == (
        private_room,
        creator,
        AuditLogEntry.Action.INVITATION_CREATE,
    )


def test_inviting_by_username_addresses_the_invitation_to_that_user(
    client_for, hideout_owner, outsider
):
    client_for(hideout_owner.user).post("/rooms/hideout/invitations/", {"username": "mallory"})

    invitation = Invitation.objects.get()
    assert (invitation.invited_user, invitation.max_uses) == (outsider, 1)
    assert AuditLogEntry.objects.get().target_user == outsider


def test_inviting_an_unknown_username_is_a_form_error(client_for, hideout_owner):
    response = client_for(hideout_owner.user).post(
        "/rooms/hideout/invitations/", {"username": "nobody"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not Invitation.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_a_banned_user_cannot_be_invited(client_for, hideout_owner, outsider, private_room):
    BanFactory(room=private_room, user=outsider)

    response = client_for(hideout_owner.user).post(
        "/rooms/hideout/invitations/", {"username": "mallory"}
    )

    assert response.status_code == 200
    assert "That user is banned from this room." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_plain_member_may_not_create_or_revoke_invitations(client_for, link, private_room, user):
    MembershipFactory(user=user, room=private_room)
    client = client_for(user)

    assert client.get("/rooms/hideout/invitations/").status_code == 403
    assert client.post("/rooms/hideout/invitations/", {"username": ""}).status_code == 403
    assert client.post(f"/rooms/hideout/invitations/{link.pk}/revoke/").status_code == 403
    assert Invitation.objects.get().revoked_at is None
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MODERATOR])
def test_owners_and_moderators_revoke_and_it_is_audited(
    client_for, outsider, link, private_room, role
):
    revoker = MembershipFactory(room=private_room, role=role).user

    response = client_for(revoker).post(f"/rooms/hideout/invitations/{link.pk}/revoke/")

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    entry = AuditLogEntry.objects.get()
    assert (entry.actor, entry.action) == (revoker, AuditLogEntry.Action.INVITATION_REVOKE)
    assert client_for(outsider).post(link.get_absolute_url()).status_code == 410
    assert not is_member(outsider, private_room)


def test_the_invitations_page_lists_only_live_invitations(client_for, hideout_owner, link):
    InvitationFactory(room=link.room, revoked_at=timezone.now())

    response = client_for(hideout_owner.user).get("/rooms/hideout/invitations/")

    assert list(response.context["invitations"]) == [link]


def test_another_rooms_invitation_cannot_be_revoked_through_this_room(client_for, owner, link):
    response = client_for(owner.user).post(f"/rooms/lobby/invitations/{link.pk}/revoke/")

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_invitation_revoke_refuses_an_invitation_of_another_room(owner, link):
    """The service itself guards the room, as the member services do, not only the view."""
    actor = actor_get(user=owner.user, room=owner.room)

    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=actor, invitation=link)

    link.refresh_from_db()
    assert link.revoked_at is None
    assert not AuditLogEntry.objects.exists()


def test_a_moderator_of_one_room_cannot_invite_to_another(client_for, private_room):
    other_moderator = MembershipFactory(
        room=RoomFactory(slug="elsewhere"), role=Membership.Role.MODERATOR
    ).user

    response = client_for(other_moderator).post("/rooms/hideout/invitations/", {"username": ""})

    assert response.status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_the_invitations_page_marks_only_the_invitations_that_can_no_longer_be_used(
    client_for, owner, room
):
    InvitationFactory(room=room, created_by=owner.user)
    InvitationFactory(room=room, created_by=owner.user, max_uses=1, uses=1)
    InvitationFactory(
        room=room, created_by=owner.user, expires_at=timezone.now() - timedelta(minutes=1)
    )

    page = client_for(owner.user).get(f"/rooms/{room.slug}/invitations/").content.decode()

    assert page.count('<span class="badge badge-muted">unusable</span>') == 2
