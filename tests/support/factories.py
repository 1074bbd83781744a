import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from messaging.models import Message
from rooms.models import Ban, Invitation, Membership, Room

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"Room {n}")
    slug = factory.Sequence(lambda n: f"room-{n}")
    description = factory.Faker("sentence")
    created_by = factory.SubFactory(UserFactory)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    room = factory.SubFactory(RoomFactory)
    role = Membership.Role.MEMBER


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    room = factory.SubFactory(RoomFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")


class BanFactory(DjangoModelFactory):
    """A ban without an end, unless ``expires_at`` is given."""

    class Meta:
        model = Ban

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    banned_by = factory.SubFactory(UserFactory)
    reason = ""
    expires_at = None


class InvitationFactory(DjangoModelFactory):
    """A link invitation with no expiry and no use limit, unless told otherwise."""

    class Meta:
        model = Invitation

    room = factory.SubFactory(RoomFactory)
    created_by = factory.SubFactory(UserFactory)
    invited_user = None
    expires_at = None
    max_uses = None
