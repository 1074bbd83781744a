"""A picture uploaded on the profile page, seen at the head of the uploader's messages."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE
from tests.support.live_server import RoomOfTwo

pytestmark = [pytest.mark.browser, pytest.mark.live]

AVATAR_PATH = re.compile(r"^/accounts/avatars/\d+/1\.webp$")


def portrait_png() -> bytes:
    """A wide picture with a face-like disc in the middle, so the square crop shows."""
    image = Image.new("RGB", (900, 600), "#2f6f9f")
    draw = ImageDraw.Draw(image)
    draw.ellipse((300, 150, 600, 450), fill="#f2c14e")
    draw.ellipse((380, 250, 420, 290), fill="#1d2330")
    draw.ellipse((480, 250, 520, 290), fill="#1d2330")
    draw.arc((370, 280, 530, 400), start=20, end=160, fill="#1d2330", width=12)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def test_an_avatar_uploaded_on_the_profile_heads_my_messages_for_everyone(
    room: RoomOfTwo, people, screenshots_dir
):
    ada = people(room.owner)
    ada.page.goto(f"{ada.base_url}/accounts/profile/")
    ada.page.get_by_label("Picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": portrait_png()}
    )
    ada.page.get_by_role("button", name="Upload avatar").click()

    expect(ada.page.get_by_text("Your avatar is saved.")).to_be_visible()
    picture = ada.page.locator("img.avatar-large")
    expect(picture).to_have_attribute("src", AVATAR_PATH)
    picture.evaluate("image => image.decode()")  # the src is set before the bytes arrive
    assert picture.evaluate("image => image.naturalWidth") == 256
    expect(ada.page.get_by_role("button", name="Remove avatar")).to_be_visible()
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        ada.page.set_viewport_size(viewport)
        ada.page.screenshot(path=screenshots_dir / f"avatar-profile-{name}.png", full_page=True)
    ada.page.set_viewport_size(DESKTOP)

    ada.open_room(room.slug)
    grace = people(room.member)
    grace.open_room(room.slug)
    ada.send("Hello with my picture")
    ada.send("and a second line")
    grace.send("Nice picture!")

    head = grace.message("Hello with my picture").locator("img.avatar")
    expect(head).to_have_attribute("src", AVATAR_PATH)
    expect(head).to_be_visible()
    head.evaluate("image => image.decode()")
    assert head.evaluate("image => image.naturalWidth") == 256
    expect(grace.message("and a second line")).to_have_class(re.compile("is-continuation"))
    expect(grace.online(room.owner_name).locator("img.avatar")).to_have_attribute(
        "src", AVATAR_PATH
    )
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        grace.page.set_viewport_size(viewport)
        grace.page.screenshot(path=screenshots_dir / f"avatar-room-{name}.png")
