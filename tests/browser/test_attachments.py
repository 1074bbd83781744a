"""Files in the room as people use them: chips in the composer, thumbnails, links, a lightbox."""

import re
import subprocess
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Route, expect

from chatclient.server import BIN, REPO_ROOT, LiveServer, redis_flush
from tests.support.browser import Person
from tests.support.images import image_bytes
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.redis]

# Small, so a file past it costs the test nothing; the page reads it from the server.
UPLOAD_MAX_BYTES = 256 * 1024
TOO_LARGE = "Files can be at most 0.25 MB."
REDIS_URL = "redis://127.0.0.1:6379/8"


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne with a small upload limit and its own media folder, on Redis's channel layer:
    a task worker in another process announces thumbnails through it, as in production."""
    tmp_dir = tmp_path_factory.mktemp("attachments")
    redis_flush(REDIS_URL)
    server = LiveServer(
        tmp_dir,
        redis_url=REDIS_URL,
        extra_env={"PARLEY_UPLOAD_MAX_BYTES": str(UPLOAD_MAX_BYTES), "MEDIA_ROOT": str(tmp_dir)},
    ).start()
    yield server
    server.stop()
    redis_flush(REDIS_URL)


@pytest.fixture
def task_worker(daphne_server: LiveServer) -> Iterator[Callable[[], None]]:
    """Starts ``manage.py task_worker`` on the server's database when the test says so, as
    bin/run starts one beside daphne; stopped after the test."""
    workers: list[subprocess.Popen] = []

    def start() -> None:
        with (daphne_server.tmp_dir / "task_worker.log").open("ab") as log:
            workers.append(
                subprocess.Popen(
                    [BIN / "python", "manage.py", "task_worker", "--queue-name", "*"],
                    cwd=REPO_ROOT,
                    env=daphne_server.env(),
                    stdout=log,
                    stderr=log,
                )
            )

    yield start
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=10)


def chip(person: Person, name: str):
    return person.page.locator("#upload-chips .upload-chip").filter(has_text=name)


def hold_uploads_of(person: Person, filename: str) -> list[Route]:
    """Uploads of ``filename`` stay in flight (never answered); others go through."""
    held: list[Route] = []

    def route(route: Route) -> None:
        if f'filename="{filename}"'.encode() in (route.request.post_data_buffer or b""):
            held.append(route)
        else:
            route.continue_()

    person.page.route("**/attachments/", route)
    return held


def test_files_are_uploaded_with_progress_sent_without_text_and_seen_by_the_other_member(
    room: RoomOfTwo, people, task_worker, screenshots_dir, tmp_path
):
    """Ada attaches an image and a text file (a file too large is refused on its chip, one
    in flight is cancelled, Send waits for it), sends them without text; Grace sees the
    placeholder become the thumbnail, opens it in the lightbox, closes it with Escape, and
    downloads the text file; Ada deletes the message and its files leave Grace's page."""
    ada = people(room.owner)
    ada.open_room(room.slug)
    grace = people(room.member)
    grace.open_room(room.slug)
    photo = tmp_path / "sunset.png"
    photo.write_bytes(image_bytes((1200, 800), color="orange"))
    notes = tmp_path / "meeting notes.txt"
    notes.write_bytes(b"Agenda: attachments\n")
    slow = tmp_path / "slow.bin"
    slow.write_bytes(b"\x00" * 1000)
    huge = tmp_path / "huge.bin"
    huge.write_bytes(b"\x01" * 2 * UPLOAD_MAX_BYTES)
    held = hold_uploads_of(ada, "slow.bin")

    ada.page.locator("#attach-input").set_input_files([photo, notes, slow, huge])

    expect(chip(ada, "sunset.png")).to_have_attribute("data-state", "ready")
    expect(chip(ada, "meeting notes.txt")).to_have_attribute("data-state", "ready")
    expect(chip(ada, "slow.bin")).to_have_attribute("data-state", "uploading")
    expect(chip(ada, "slow.bin").get_by_role("progressbar")).to_be_visible()
    expect(chip(ada, "huge.bin").locator(".upload-error")).to_have_text(TOO_LARGE)
    ada.composer.press("Enter")
    expect(ada.page.locator("#upload-status")).to_have_text("Sending when the upload finishes…")
    ada.shoot(screenshots_dir, "composer-chips", prefix="attachments")
    assert len(held) == 1

    chip(ada, "slow.bin").get_by_role("button", name="Cancel upload of slow.bin").click()

    # The send that waited goes now: the two ready files, no text; the refused chip stays.
    expect(chip(ada, "slow.bin")).to_have_count(0)
    expect(ada.page.locator("#upload-chips .upload-chip")).to_have_count(1)
    message = grace.page.locator("#messages li.message[data-id]")
    expect(message).to_have_count(1)
    image = message.get_by_role("button", name="Open image sunset.png")
    file_link = message.get_by_role("link", name="Download meeting notes.txt, 20 bytes")
    expect(file_link).to_be_visible()
    # Until the task worker has made the thumbnail, a box of the image's shape holds its
    # place; message.edited then brings the thumbnail.
    expect(image).to_have_class(re.compile("is-placeholder"))
    task_worker()
    thumbnail = re.compile(rf"/rooms/{room.slug}/attachments/\d+/thumbnail/$")
    # A new worker process starts Django and polls the queue first: on a loaded machine
    # that alone can take more than the default five seconds.
    expect(image.locator("img")).to_have_attribute("src", thumbnail, timeout=30_000)
    expect(image.locator("img")).to_have_js_property("complete", True)
    assert image.locator("img").evaluate("img => img.naturalWidth") == 800
    grace.shoot(screenshots_dir, "message", prefix="attachments")
    href = grace.base_url + file_link.get_attribute("href")
    download = grace.page.request.get(href)
    assert download.body() == b"Agenda: attachments\n"

    image.click()
    lightbox = grace.page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox.locator("img")).to_have_js_property("naturalWidth", 1200)
    expect(lightbox.locator(".lightbox-caption")).to_have_text("sunset.png")
    grace.shoot(screenshots_dir, "lightbox", prefix="attachments")
    grace.page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    expect(image).to_be_focused()

    mine = ada.page.locator("#messages li.message[data-id]")
    mine.hover()
    mine.get_by_role("button", name="Delete").click()
    mine.locator(".message-delete-form [type=submit]").click()
    expect(grace.page.locator("#messages .attachment")).to_have_count(0)
    assert grace.page.request.get(href).status == 404
