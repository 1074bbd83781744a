"""Demo users, rooms and messages for a first look. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from messaging.models import Message
from messaging.services import message_create
from rooms.models import Membership, Room
from rooms.services import direct_room_get_or_create, membership_create, room_create

DEMO_PASSWORD = "parley-demo"
ADMIN_PASSWORD = "parley-admin"

USERS = [
    ("alice", "Alice Archer"),
    ("bob", "Bob Baker"),
    ("carol", "Carol Cho"),
]

# name, description, visibility, members (the first one owns the room)
ROOMS = [
    ("General", "Say hello. Everyone is welcome here.", "public", ["alice", "bob", "carol"]),
    ("Django help", "Questions about Django and Channels.", "public", ["alice", "bob"]),
    ("Random", "Everything else.", "public", ["carol"]),
    ("Moderators", "A private room: invitation only.", "private", ["alice", "bob"]),
]
MODERATORS = {"General": ["bob"]}

CONVERSATION = {
    "General": [
        ("alice", "Welcome to Parley! 👋"),
        ("bob", "Hi Alice. Is everything here stored before we see it?"),
        ("alice", "Yes: a message is saved, then sent to everyone in the room."),
        ("carol", "And if my connection drops, the page catches up by itself."),
        (
            "bob",
            "Nice. Messages take **Markdown**: _italics_, `code`, links like https://www.djangoproject.com/",
        ),
        ("carol", "@alice can moderators delete messages? (that was a mention)"),
    ],
    "Django help": [
        ("bob", "Why does my consumer raise SynchronousOnlyOperation?"),
        ("alice", "The ORM must not run on the event loop: wrap it in database_sync_to_async."),
    ],
}


class Command(BaseCommand):
    help = "Create demo users, rooms and messages (idempotent)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        users = {}
        for username, display_name in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"display_name": display_name, "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user

        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"},
        )
        if created:
            admin.set_password(ADMIN_PASSWORD)
            admin.save()

        for name, description, visibility, members in ROOMS:
            room = Room.objects.filter(name=name).first()
            if room is None:
                room = room_create(
                    name=name,
                    description=description,
                    visibility=visibility,
                    created_by=users[members[0]],
                )
            for username in members:
                membership_create(room=room, user=users[username])
            Membership.objects.filter(
                room=room, user__username__in=MODERATORS.get(name, [])
            ).update(role=Membership.Role.MODERATOR)
            if not Message.objects.filter(room=room).exists():
                for username, body in CONVERSATION.get(name, []):
                    message_create(room=room, author=users[username], body=body)

        direct_room_get_or_create(user=users["alice"], other=users["carol"])
        self.stdout.write(
            self.style.SUCCESS("Demo data ready.")
            + "\n  Users: "
            + ", ".join(username for username, _ in USERS)
            + f" (password: {DEMO_PASSWORD})"
            + "\n  alice owns General; bob moderates it; Moderators is a private room"
            + f"\n  Site admin: admin (password: {ADMIN_PASSWORD}) at /admin/"
        )
