"""Every page a view renders, fetched through the HTTP client: it must say what it is.

A status code and a template context once passed while the template was empty; these tests read
the HTML a person would get: a <main> with real content and the page's own heading.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from messaging.services import message_create
from rooms.models import Membership
from tests.support.factories import InvitationFactory, MembershipFactory

# Fewer visible characters than this inside <main> is an empty page with a heading at most.
MIN_MAIN_TEXT = 40
TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"


class PageText(HTMLParser):
    """The visible text of <main> and of its first <h1>, ignoring scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.main_depth = 0
        self.mains = 0
        self.in_h1 = False
        self.skip = 0
        self.main_text: list[str] = []
        self.h1_text: list[str] = []
        self.h1_count = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "main":
            self.mains += 1
            self.main_depth += 1
        elif tag in {"script", "style", "template"}:
            self.skip += 1
        elif tag == "h1":
            self.h1_count += 1
            self.in_h1 = self.h1_count == 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.main_depth -= 1
        elif tag in {"script", "style", "template"}:
            self.skip -= 1
        elif tag == "h1":
            self.in_h1 = False

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.main_depth:
            self.main_text.append(data)
        if self.in_h1:
            self.h1_text.append(data)

    @classmethod
    def of(cls, html: str) -> "PageText":
        parser = cls()
        parser.feed(html)
        return parser

    @property
    def main(self) -> str:
        return " ".join(" ".join(self.main_text).split())

    @property
    def heading(self) -> str:
        return " ".join(" ".join(self.h1_text).split())


@dataclass(frozen=True)
class Case:
    """One page: who asks for it, how, and the heading and text it must show."""

    name: str
    role: str
    path: str
    heading: str
    shows: tuple[str, ...] = ()
    status: int = 200
    form: dict | None = None


CASES = [
    Case("landing", "anonymous", "/", "Parley is where your group talks, live.", ("Sign up",)),
    Case("log-in", "anonymous", "/accounts/login/", "Sign In", ("Password",)),
    Case("sign-up", "anonymous", "/accounts/signup/", "Sign Up", ("Password (again)",)),
    Case("rooms", "member", "/rooms/", "Rooms", ("Lobby", "Mentions")),
    Case("new-room", "member", "/rooms/new/", "Create a room", ("Name", "Private")),
    Case(
        "new-room-refused",
        "member",
        "/rooms/new/",
        "Create a room",
        ("This field is required.", "Kept description"),
        form={"name": " ", "description": "Kept description"},
    ),
    Case("room", "member", "/rooms/lobby/", "Lobby", ("Send", "Leave")),
    Case("preview", "outsider", "/rooms/lobby/", "Lobby", ("Join room",)),
    Case("members", "member", "/rooms/lobby/members/", "Members", ("@olivia", "@mona")),
    Case("settings", "owner", "/rooms/lobby/settings/", "Room settings", ("Lock the room",)),
    Case("invitations", "moderator", "/rooms/lobby/invitations/", "Invitations", ("Create",)),
    Case("audit", "moderator", "/rooms/lobby/audit/", "Audit log", ("← Lobby",)),
    Case(
        "invitation",
        "outsider",
        "/rooms/invitations/walk-invitation-token/",
        "You are invited to Hideout",
        ("Accept and join",),
    ),
    Case(
        "invitation-revoked",
        "outsider",
        "/rooms/invitations/walk-revoked-token/",
        "This invitation is no longer valid",
        ("Ask whoever sent it for a new one.",),
        410,
    ),
    Case(
        "direct-start",
        "member",
        "/dm/grace/",
        "Direct messages with Grace Hopper",
        ("Start a conversation with Grace Hopper",),
    ),
    Case("mentions", "member", "/mentions/", "Messages that mention me", ("book club",)),
    Case("search", "member", "/search/?q=club", "Search my rooms", ("book club",)),
    Case("profile", "member", "/accounts/profile/", "Your profile", ("Signed in as @ada.",)),
    Case("password", "member", "/accounts/password/change/", "Change Password", ("Current",)),
    Case("not-found", "member", "/rooms/no-such-room/", "Not found", ("Back to the rooms",), 404),
    Case(
        "forbidden", "member", "/rooms/lobby/settings/", "Not allowed", ("Back to the rooms",), 403
    ),
]


@pytest.fixture
def site(user, other_user, room, owner, moderator, outsider, private_room) -> dict[str, Client]:
    """Lobby with an owner, a moderator and a member (ada); Hideout invitations for outsiders,
    one of them revoked; grace, whom ada has not written to yet."""
    MembershipFactory(user=user, room=room)
    MembershipFactory(user=owner.user, room=private_room, role=Membership.Role.OWNER)
    InvitationFactory(room=private_room, created_by=owner.user, token="walk-invitation-token")
    InvitationFactory(
        room=private_room,
        created_by=owner.user,
        token="walk-revoked-token",
        revoked_at=timezone.now(),
    )
    message_create(room=room, author=owner.user, body="@ada the book club meets at eight")
    clients = {"anonymous": Client()}
    for role, person in {
        "member": user,
        "owner": owner.user,
        "moderator": moderator.user,
        "outsider": outsider,
    }.items():
        clients[role] = Client()
        clients[role].force_login(person)
    return clients


def fetch(site: dict[str, Client], case: Case):
    client = site[case.role]
    if case.form is None:
        return client.get(case.path)
    return client.post(case.path, case.form)


@pytest.fixture
def production_errors(settings):
    # The site's own 403/404 pages render only with DEBUG off, as in production.
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_page_has_a_main_with_its_heading_and_content(site, production_errors, case):
    response = fetch(site, case)

    assert response.status_code == case.status
    page = PageText.of(response.content.decode())
    assert page.mains == 1, f"{case.path}: {page.mains} <main> elements"
    assert len(page.main) >= MIN_MAIN_TEXT, f"{case.path}: <main> says only {page.main!r}"
    if case.heading:
        assert page.heading == case.heading
    for text in case.shows:
        assert text in page.main, f"{case.path}: {text!r} missing from {page.main!r}"


def page_templates() -> set[str]:
    """Every template a view renders as a whole page: not layouts, not partials (``_x.html``)."""
    names = {
        str(path.relative_to(TEMPLATES_DIR))
        for path in TEMPLATES_DIR.rglob("*.html")
        if not path.name.startswith("_")
    }
    return {name for name in names if not re.match(r"(base\.html|allauth/layouts/)", name)}


def test_the_pages_above_render_every_page_template_of_the_site(site, production_errors):
    """A new page template without a case above fails here, so none is left unread."""
    rendered = set()
    for case in CASES:
        rendered |= {template.name for template in fetch(site, case).templates}

    assert page_templates() - rendered == set()


def test_an_empty_template_fails_the_page_check(site, production_errors, settings, tmp_path):
    """The check itself: the New room page with an empty template has nothing in <main>."""
    (tmp_path / "rooms").mkdir()
    (tmp_path / "rooms" / "room_form.html").write_text('{% extends "base.html" %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, TEMPLATES_DIR]}]

    page = PageText.of(site["member"].get("/rooms/new/").content.decode())

    assert len(page.main) < MIN_MAIN_TEXT
    assert page.heading == ""
