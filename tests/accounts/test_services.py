"""Avatars: any real image becomes a clean 256 px square WebP; anything else is refused."""

import io

import pytest
from PIL import Image

from accounts.models import User
from accounts.services import AvatarRejected, user_avatar_remove, user_avatar_set
from tests.support.avatars import avatar_file
from tests.support.images import EXE_BYTES, SVG_WITH_SCRIPT, jpeg_with_exif, png_bomb

pytestmark = pytest.mark.django_db


def stored_image(user: User) -> Image.Image:
    user.refresh_from_db()
    with user.avatar.open("rb") as stored:
        return Image.open(io.BytesIO(stored.read()))


def test_a_photo_becomes_a_256_pixel_square_webp_without_its_exif(user):
    user_avatar_set(user=user, upload=avatar_file(jpeg_with_exif(size=(900, 500)), "me.jpg"))

    image = stored_image(user)
    assert image.format == "WEBP"
    assert image.size == (256, 256)
    assert not image.getexif()
    assert "exif" not in image.info
    assert user.avatar.name.startswith("avatars/")
    assert user.avatar.name.endswith(".webp")
    assert "me" not in user.avatar.name


def test_each_new_avatar_raises_the_version_and_deletes_the_picture_it_replaced(
    user, django_capture_on_commit_callbacks
):
    user_avatar_set(user=user, upload=avatar_file())
    first_name, first_version = user.avatar.name, user.avatar_version
    storage = user.avatar.storage

    with django_capture_on_commit_callbacks(execute=True):
        user_avatar_set(user=user, upload=avatar_file())

    user.refresh_from_db()
    assert user.avatar_version == first_version + 1
    assert user.avatar.name != first_name
    assert not storage.exists(first_name)
    assert storage.exists(user.avatar.name)


def test_removing_the_avatar_goes_back_to_initials_and_deletes_the_file(
    user, django_capture_on_commit_callbacks
):
    user_avatar_set(user=user, upload=avatar_file())
    name, storage = user.avatar.name, user.avatar.storage

    with django_capture_on_commit_callbacks(execute=True):
        user_avatar_remove(user=user)

    user.refresh_from_db()
    assert not user.avatar
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png_bomb(), "image_too_large"),
        (EXE_BYTES, "invalid_image"),
        (SVG_WITH_SCRIPT, "invalid_image"),
        (b"just some text, named like a picture", "invalid_image"),
    ],
    ids=["bomb", "executable", "svg", "text"],
)
def test_bombs_and_files_that_are_not_images_are_refused_and_nothing_is_stored(user, data, code):
    with pytest.raises(AvatarRejected) as refused:
        user_avatar_set(user=user, upload=avatar_file(data, "me.png"))

    assert refused.value.code == code
    user.refresh_from_db()
    assert not user.avatar
    assert user.avatar_version == 0


def test_a_file_over_the_avatar_limit_is_refused_before_decoding(user):
    too_large = b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)

    with pytest.raises(AvatarRejected) as refused:
        user_avatar_set(user=user, upload=avatar_file(too_large))

    assert refused.value.code == "too_large"
    assert refused.value.detail == "An avatar can be at most 5 MB."


def test_avatar_changes_count_against_the_uploads_of_the_hour(user, settings):
    settings.PARLEY_UPLOADS_PER_HOUR = 2
    user_avatar_set(user=user, upload=avatar_file())
    user_avatar_set(user=user, upload=avatar_file())

    with pytest.raises(AvatarRejected) as refused:
        user_avatar_set(user=user, upload=avatar_file())

    assert refused.value.code == "rate_limited"
    assert "2 files an hour" in refused.value.detail
