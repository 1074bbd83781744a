"""A walk through every page a person can reach, as each role, on a desktop and on a phone.

Each stop says what the page must show; on every page the walk also wants no console error, no
failed request, no sideways scrolling and no serious or critical axe-core violation. Screenshots
of every page, role and window go to test-artifacts/walk/ for a person to look at.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from chatclient.client import create_room, join_room, signup
from chatclient.server import REPO_ROOT, LiveServer
from tests.support.live_server import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
ROLES = ("owner", "moderator", "member", "outsider")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "walk"
BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()
# On a phone the top bar and the chat header hold one row of text (the room's description is
# hidden there): taller than this, they have wrapped.
ONE_ROW_BARS = (".topbar", ".chat-header")
ONE_ROW_HEIGHT = 60


@dataclass
class Cast:
    """The people and rooms of the walk, set up through the pages a newcomer would use."""

    tag: str
    names: dict[str, str]
    sessions: dict[str, str]
    lobby: str
    lobby_name: str
    hideout_name: str
    corner: str
    corner_name: str
    invitation_path: str
    word: str

    def message(self) -> str:
        return f"Welcome @{self.names['member']}, the {self.word} starts at eight"


def sign_up_through_the_form(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.base_url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"{server.base_url}/rooms/")


def create_room_through_the_form(page: Page, name: str, *, private: bool = False) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New room").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill(f"Where the walk meets ({name})")
    page.get_by_role("radio", name="Private" if private else "Public").check()
    page.get_by_role("button", name="Create room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.url.rstrip("/").rsplit("/", 1)[1]


def log_in_through_the_form(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.base_url}/accounts/login/")
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"{server.base_url}/rooms/")


@pytest.fixture(scope="module")
def cast(browser: Browser, daphne_server: LiveServer) -> Cast:
    tag = uuid4().hex[:6]
    names = {role: f"{role}-{tag}" for role in ROLES}
    others = {role: signup(daphne_server.base_url, names[role], PASSWORD) for role in ROLES[1:]}
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    sign_up_through_the_form(page, daphne_server, names["owner"])
    lobby_name, hideout_name = f"Walk lobby {tag}", f"Walk hideout {tag}"
    lobby = create_room_through_the_form(page, lobby_name)
    for role in ("moderator", "member"):
        join_room(others[role], lobby)
    cast = Cast(
        tag=tag,
        names=names,
        sessions={},
        lobby=lobby,
        lobby_name=lobby_name,
        hideout_name=hideout_name,
        corner="",
        corner_name=f"Outsiders' corner {tag}",
        invitation_path="",
        word=f"quiz{tag}",
    )
    page.reload()
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    page.get_by_label("Message", exact=True).fill(cast.message())
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("#messages .message-body").filter(has_text=cast.word)).to_have_count(1)

    page.goto(f"{daphne_server.base_url}/rooms/{lobby}/members/")
    row = page.locator(f"tr[data-username='{names['moderator']}']")
    row.get_by_label("Action").select_option("promote")
    row.get_by_role("button", name="Apply").click()
    expect(page.locator(f"tr[data-username='{names['moderator']}']")).to_contain_text("Moderator")

    page.goto(f"{daphne_server.base_url}/rooms/")
    hideout = create_room_through_the_form(page, hideout_name, private=True)
    page.goto(f"{daphne_server.base_url}/rooms/{hideout}/invitations/")
    page.get_by_role("button", name="Create invitation").click()
    link = page.get_by_label("Invitation link").first.input_value()
    cast.invitation_path = re.sub(r"^https?://[^/]+", "", link)

    cast.sessions = {role: client.cookies["sessionid"] for role, client in others.items()}
    cast.sessions["owner"] = next(
        cookie["value"] for cookie in context.cookies() if cookie["name"] == "sessionid"
    )
    context.close()
    cast.corner = create_room(others["outsider"], cast.corner_name)
    for client in others.values():
        client.close()
    return cast


@pytest.fixture(scope="module")
def contexts(browser: Browser, daphne_server: LiveServer, cast: Cast) -> Iterator[dict]:
    """One signed-in browser context per role, opened on first use and shared by its pages."""
    opened: dict[str, BrowserContext] = {}

    def context_for(role: str) -> BrowserContext:
        if role not in opened:
            opened[role] = browser.new_context(viewport=VIEWPORTS["desktop"])
            if role != "anonymous":
                cookie = {"name": "sessionid", "value": cast.sessions[role]}
                opened[role].add_cookies([{**cookie, "url": daphne_server.base_url}])
        return opened[role]

    yield context_for
    for context in opened.values():
        context.close()


@dataclass
class Watch:
    """What went wrong on one page while it loaded and was looked at."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _failed(self, request) -> None:
        self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def look(self, *, phone: bool) -> list[str]:
        """Sideways scrolling, bars on one row (phones) and axe, added to what listeners saw."""
        width = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            self.problems.append(f"scrolls sideways: {width[0]} px wide in a {width[1]} px window")
        for bar in ONE_ROW_BARS if phone else ():
            box = self.page.locator(bar).bounding_box() if self.page.locator(bar).count() else None
            if box and box["height"] > ONE_ROW_HEIGHT:
                self.problems.append(f"{bar} takes more than one row: {box['height']:.0f} px high")
        results = AXE.run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                targets = [(node["target"], node["html"][:120]) for node in violation["nodes"]][:3]
                self.problems.append(
                    f"axe {violation['impact']} {violation['id']}: {violation['help']} {targets}"
                )
        return self.problems


# What each page must show, per role. A function gets the page, the cast and the role.
Shows = Callable[[Page, Cast, str], None]


def h1(page: Page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def shows_room_list(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Rooms")
    expect(page.locator("main").get_by_role("link", name=cast.lobby_name)).to_be_visible()
    expect(page.locator("main").get_by_role("link", name=cast.corner_name)).to_be_visible()


def shows_new_room_form(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Create a room")
    expect(page.get_by_label("Name")).to_be_visible()
    expect(page.get_by_role("radio", name="Private")).to_be_visible()
    expect(page.get_by_role("button", name="Create room")).to_be_visible()


def shows_live_room(page: Page, cast: Cast, role: str) -> None:
    h1(page, cast.lobby_name)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    expect(page.locator("#messages .message-body").filter(has_text=cast.word)).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_visible()
    menu = page.locator(".chat-header")
    expect(menu.get_by_role("link", name="Settings")).to_have_count(int(role != "member"))
    expect(menu.get_by_role("link", name="Audit log")).to_have_count(int(role != "member"))


def shows_sidebar(page: Page, cast: Cast, role: str) -> None:
    """The room's sidebar: beside the chat on a desktop, behind the Rooms button on a phone."""
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    toggle = page.get_by_role("button", name="Rooms")
    if toggle.is_visible():
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    sidebar = page.get_by_role("navigation", name="My rooms and conversations")
    expect(sidebar.get_by_role("link", name=cast.lobby_name)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Mentions")).to_be_visible()
    expect(sidebar.get_by_role("searchbox")).to_be_visible()


def shows_preview(page: Page, cast: Cast, role: str) -> None:
    h1(page, cast.lobby_name if role == "outsider" else cast.corner_name)
    expect(page.get_by_role("button", name="Join room")).to_be_visible()
    expect(page.locator("#messages")).to_have_count(0)


def preview_path(cast: Cast, role: str) -> str:
    """A room the role is not in: the outsider's lobby, everyone else's the outsider's corner."""
    return f"/rooms/{cast.lobby if role == 'outsider' else cast.corner}/"


def shows_members(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Members")
    for other in ("owner", "moderator", "member"):
        expect(page.locator(f"[data-username='{cast.names[other]}']")).to_be_visible()
    actions = page.get_by_role("button", name="Apply")
    if role == "member":
        expect(actions).to_have_count(0)
    else:
        expect(actions.first).to_be_visible()


def shows_settings(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Room settings")
    expect(page.get_by_role("button", name="Lock the room")).to_be_visible()
    expect(page.get_by_label("Slow mode (seconds)")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_count(int(role == "owner"))


def shows_invitations(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Invitations")
    expect(page.get_by_label("Invite a user by username")).to_be_visible()
    expect(page.get_by_role("button", name="Create invitation")).to_be_visible()


def shows_audit(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Audit log")
    expect(page.locator("main table")).to_contain_text(cast.names["moderator"])


def shows_mentions(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Messages that mention me")
    if role == "member":
        expect(page.locator("main").get_by_text(cast.word)).to_be_visible()
    else:
        expect(page.get_by_text("Nobody has mentioned you yet.")).to_be_visible()


def shows_search(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Search my rooms")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(cast.word)
    if role == "outsider":
        expect(page.get_by_text("No message matches.")).to_be_visible()
    else:
        expect(page.locator("main .results")).to_contain_text(cast.word)


def shows_profile(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Your profile")
    expect(page.get_by_text(f"Signed in as @{cast.names[role]}.")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_visible()


def shows_password_change(page: Page, cast: Cast, role: str) -> None:
    h1(page, re.compile("change password", re.IGNORECASE))
    expect(page.get_by_label(re.compile("^Current Password"))).to_be_visible()
    expect(page.get_by_label(re.compile("^New Password:?$"))).to_be_visible()


DM_PARTNER = {"owner": "member", "moderator": "owner", "member": "owner"}


def shows_conversation(page: Page, cast: Cast, role: str) -> None:
    # The members list's "Message" link; a page with a button to start the conversation is
    # the rooms engineer's change in flight, a redirect straight into it is today's behaviour.
    start = page.locator("main form[method=post] [type=submit]")
    if page.locator("#chat").count() == 0 and start.count() == 1:
        start.click()
    h1(page, cast.names[DM_PARTNER[role]])
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "online")
    expect(page.get_by_label("Message", exact=True)).to_be_visible()


def shows_invitation(page: Page, cast: Cast, role: str) -> None:
    h1(page, f"You are invited to {cast.hideout_name}")
    expect(page.get_by_role("button", name="Accept and join")).to_be_visible()


def shows_log_in(page: Page, cast: Cast, role: str) -> None:
    h1(page, re.compile("sign in|log in", re.IGNORECASE))
    expect(page.get_by_label(re.compile("^Login"))).to_be_visible()
    expect(page.get_by_label(re.compile("^Password"))).to_be_visible()


def shows_sign_up(page: Page, cast: Cast, role: str) -> None:
    h1(page, re.compile("sign up", re.IGNORECASE))
    expect(page.get_by_label(re.compile("^Username"))).to_be_visible()
    expect(page.get_by_label(re.compile("^Password \\(again\\)"))).to_be_visible()


def shows_landing(page: Page, cast: Cast, role: str) -> None:
    h1(page, "Parley is where your group talks, live.")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()


@dataclass(frozen=True)
class Stop:
    name: str
    path: Callable[[Cast, str], str]
    shows: Shows
    roles: tuple[str, ...]


MEMBERS = ("owner", "moderator", "member")
MODERATORS = ("owner", "moderator")
EVERYONE = ROLES
STOPS = [
    Stop("rooms", lambda c, r: "/rooms/", shows_room_list, EVERYONE),
    Stop("new-room", lambda c, r: "/rooms/new/", shows_new_room_form, EVERYONE),
    Stop("room", lambda c, r: f"/rooms/{c.lobby}/", shows_live_room, MEMBERS),
    Stop("sidebar", lambda c, r: f"/rooms/{c.lobby}/", shows_sidebar, MEMBERS),
    Stop("preview", preview_path, shows_preview, EVERYONE),
    Stop("members", lambda c, r: f"/rooms/{c.lobby}/members/", shows_members, MEMBERS),
    Stop("settings", lambda c, r: f"/rooms/{c.lobby}/settings/", shows_settings, MODERATORS),
    Stop(
        "invitations", lambda c, r: f"/rooms/{c.lobby}/invitations/", shows_invitations, MODERATORS
    ),
    Stop("audit", lambda c, r: f"/rooms/{c.lobby}/audit/", shows_audit, MODERATORS),
    Stop("mentions", lambda c, r: "/mentions/", shows_mentions, EVERYONE),
    Stop("search", lambda c, r: f"/search/?q={c.word}", shows_search, EVERYONE),
    Stop("profile", lambda c, r: "/accounts/profile/", shows_profile, EVERYONE),
    Stop("password", lambda c, r: "/accounts/password/change/", shows_password_change, EVERYONE),
    Stop("dm", lambda c, r: f"/dm/{c.names[DM_PARTNER[r]]}/", shows_conversation, MEMBERS),
    Stop("invitation", lambda c, r: c.invitation_path, shows_invitation, ROLES[1:]),
    Stop("landing", lambda c, r: "/", shows_landing, ("anonymous",)),
    Stop("log-in", lambda c, r: "/accounts/login/", shows_log_in, ("anonymous",)),
    Stop("sign-up", lambda c, r: "/accounts/signup/", shows_sign_up, ("anonymous",)),
]


def walk_params() -> list:
    params = []
    for viewport in VIEWPORTS:
        for stop in STOPS:
            for role in stop.roles:
                name = f"{viewport}-{role}-{stop.name}"
                params.append(pytest.param(stop, role, viewport, id=name))
    return params


def screenshot(page: Page, viewport: str, role: str, name: str) -> None:
    path = ARTIFACTS / viewport / f"{role}-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)


@pytest.mark.parametrize(("stop", "role", "viewport"), walk_params())
def test_every_page_shows_what_it_is_cleanly(stop, role, viewport, cast, contexts, daphne_server):
    """The page says what it is, loads without errors, fits the window and passes axe."""
    page = contexts(role).new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    watch = Watch(page)
    try:
        page.goto(daphne_server.base_url + stop.path(cast, role))
        try:
            stop.shows(page, cast, role)
        finally:
            screenshot(page, viewport, role, stop.name)
        assert watch.look(phone=viewport == "phone") == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_everyone_logs_in_and_out_through_the_header(role, viewport, browser, cast, daphne_server):
    """The log-in form takes each role to its rooms; the header's Log out ends the session."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    watch = Watch(page)
    try:
        log_in_through_the_form(page, daphne_server, cast.names[role])
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name=cast.names[role])).to_be_visible()

        nav.get_by_role("button", name="Log out").click()

        page.wait_for_url(f"{daphne_server.base_url}/")
        shows_landing(page, cast, role)
        screenshot(page, viewport, role, "logged-out")
        page.goto(f"{daphne_server.base_url}/rooms/")
        expect(page).to_have_url(re.compile("/accounts/login/"))
        assert watch.look(phone=viewport == "phone") == []
    finally:
        context.close()
