"""Uploads and downloads over HTTP: who may, what is accepted, how files are served."""

import io

import pytest
from django.test import Client
from PIL import Image

from attachments.models import Attachment
from messaging.services import message_create, message_delete
from tests.support.attachments import upload, uploaded
from tests.support.factories import MembershipFactory
from tests.support.images import (
    EXE_BYTES,
    GPS_IFD,
    HTML_BYTES,
    SVG_WITH_SCRIPT,
    image_bytes,
    jpeg_with_exif,
    png_bomb,
)

pytestmark = pytest.mark.django_db


def download(client: Client, url: str):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


# --- Uploading


def test_a_member_uploads_an_image_and_gets_its_fields(auth_client, member):
    response = upload(auth_client, image_bytes(size=(40, 20)), name="cat.png")

    assert response.status_code == 201
    data = response.json()
    attachment = Attachment.objects.get()
    assert data == {
        "id": attachment.pk,
        "name": "cat.png",
        "size": attachment.size,
        "content_type": "image/png",
        "url": f"/rooms/lobby/attachments/{attachment.pk}/cat.png",
        "thumbnail_url": None,
        "width": 40,
        "height": 20,
    }
    assert "cat" not in attachment.file.name
    assert attachment.file.name.endswith(".png")


@pytest.mark.parametrize("slug", ["lobby", "hideout", "nowhere"])
def test_a_non_member_upload_is_a_404_like_an_unknown_room(
    client_for, outsider, room, private_room, slug
):
    response = upload(client_for(outsider), image_bytes(), slug=slug)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert not Attachment.objects.exists()


def test_an_anonymous_upload_is_a_404(client, room):
    assert upload(client, image_bytes()).status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(user, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert upload(client, image_bytes()).status_code == 403
    assert not Attachment.objects.exists()


def test_a_muted_member_cannot_upload(auth_client, member, wall_clock):
    from datetime import timedelta

    from django.utils import timezone

    member.muted_until = timezone.now() + timedelta(hours=1)
    member.save()

    response = upload(auth_client, image_bytes())

    assert (response.status_code, response.json()["error"]) == (403, "muted")


def test_an_oversized_upload_is_refused_with_413_and_a_sentence(auth_client, member, settings):
    settings.PARLEY_UPLOAD_MAX_BYTES = 1024 * 1024

    response = upload(auth_client, b"x" * (1024 * 1024 + 1), name="big.txt")

    assert response.status_code == 413
    assert response.json() == {"error": "too_large", "detail": "Files can be at most 1 MB."}
    assert not Attachment.objects.exists()


def test_a_request_body_far_too_large_is_refused_before_it_is_parsed(auth_client, member, settings):
    settings.PARLEY_UPLOAD_MAX_BYTES = 1000

    response = upload(auth_client, b"x" * 200_000, name="big.txt")

    assert response.status_code == 413


def test_uploads_per_hour_are_limited_until_the_hour_passes(
    auth_client, member, settings, wall_clock
):
    settings.PARLEY_UPLOADS_PER_HOUR = 2
    assert [upload(auth_client, b"hello").status_code for _ in range(2)] == [201, 201]

    refused = upload(auth_client, b"hello")

    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "2 files an hour" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3601
    wall_clock.shift(3601)
    assert upload(auth_client, b"hello").status_code == 201


def test_an_image_bomb_is_refused_and_nothing_is_stored(auth_client, member, settings):
    response = upload(auth_client, png_bomb(), name="bomb.png")

    assert response.status_code == 400
    assert response.json()["error"] == "image_too_large"
    assert not Attachment.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.*"))


def test_a_png_that_is_html_is_stored_as_html_and_only_ever_downloaded(auth_client, member):
    data = upload(auth_client, HTML_BYTES, name="cute.png").json()

    assert (data["content_type"], data["width"], data["thumbnail_url"]) == ("text/html", None, None)
    response, body = download(auth_client, data["url"])
    assert body == HTML_BYTES
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_an_exe_named_jpg_is_an_executable_download(auth_client, member):
    data = upload(auth_client, EXE_BYTES, name="holiday.jpg").json()

    assert data["content_type"] == "application/x-msdownload"
    assert data["width"] is None
    response, _body = download(auth_client, data["url"])
    assert response["Content-Disposition"].startswith("attachment;")
    assert Attachment.objects.get().file.name.endswith(".bin")


def test_an_svg_with_a_script_is_a_sandboxed_download_never_inline(auth_client, member):
    data = upload(auth_client, SVG_WITH_SCRIPT, name="logo.svg").json()

    assert data["content_type"] == "image/svg+xml"
    response, body = download(auth_client, data["url"])
    assert body == SVG_WITH_SCRIPT
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_photo_is_stored_upright_without_its_exif_or_position(auth_client, member):
    data = upload(auth_client, jpeg_with_exif(size=(40, 20)), name="walk.jpg").json()

    response, body = download(auth_client, data["url"])
    image = Image.open(io.BytesIO(body))
    assert (data["width"], data["height"]) == (20, 40) == image.size
    assert dict(image.getexif()) == {}
    assert dict(image.getexif().get_ifd(GPS_IFD)) == {}
    assert response["Content-Disposition"] == 'inline; filename="walk.jpg"'
    assert response["Content-Type"] == "image/jpeg"
    assert data["size"] == len(body)


def test_a_display_name_loses_its_folders_and_control_characters(auth_client, member):
    data = upload(auth_client, b"notes", name="../../etc/pa\u202esswd.txt").json()

    assert data["name"] == "passwd.txt"


# --- Downloading


def test_an_unused_upload_is_its_uploaders_alone(auth_client, member, other_member, client_for):
    attachment = uploaded(member.user)
    url = f"/rooms/lobby/attachments/{attachment.pk}/cat.png"

    assert auth_client.get(url).status_code == 200
    assert client_for(other_member.user).get(url).status_code == 404


def test_members_download_a_sent_attachment_and_non_members_get_a_404(
    member, other_member, outsider, client_for
):
    attachment = uploaded(member.user)
    message_create(room=member.room, author=member.user, body="", attachments=[attachment.pk])
    url = f"/rooms/lobby/attachments/{attachment.pk}/cat.png"

    response, body = download(client_for(other_member.user), url)
    assert response.status_code == 200
    assert body == attachment.file.open("rb").read()
    assert "private" in response["Cache-Control"]
    assert client_for(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_a_file_that_does_not_exist_and_a_wrong_name_are_404s(auth_client, member):
    attachment = uploaded(member.user)

    assert (
        auth_client.get(f"/rooms/lobby/attachments/{attachment.pk + 1}/cat.png").status_code == 404
    )
    assert auth_client.get(f"/rooms/lobby/attachments/{attachment.pk}/dog.png").status_code == 404


def test_a_file_of_a_deleted_message_is_a_404_for_everyone(member, other_member, client_for):
    attachment = uploaded(member.user)
    message, _ = message_create(
        room=member.room, author=member.user, body="", attachments=[attachment.pk]
    )
    message_delete(room=member.room, user=member.user, message_id=message.pk)

    for user in (member.user, other_member.user):
        assert (
            client_for(user).get(f"/rooms/lobby/attachments/{attachment.pk}/cat.png").status_code
            == 404
        )


def test_a_member_of_another_room_cannot_reach_a_file_through_their_own_room(member, client_for):
    attachment = uploaded(member.user)
    elsewhere = MembershipFactory(room__slug="garden")

    response = client_for(elsewhere.user).get(f"/rooms/garden/attachments/{attachment.pk}/cat.png")

    assert response.status_code == 404


def test_behind_nginx_django_checks_and_nginx_sends_the_bytes(auth_client, member, settings):
    settings.PARLEY_ACCEL_REDIRECT = True
    attachment = uploaded(member.user)

    response = auth_client.get(f"/rooms/lobby/attachments/{attachment.pk}/cat.png")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_attachments/{attachment.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]


def test_behind_nginx_a_stranger_still_gets_a_404_and_no_redirect(
    member, outsider, client_for, settings
):
    settings.PARLEY_ACCEL_REDIRECT = True
    attachment = uploaded(member.user)

    response = client_for(outsider).get(f"/rooms/lobby/attachments/{attachment.pk}/cat.png")

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_there_is_no_thumbnail_until_it_is_made(auth_client, member):
    attachment = uploaded(member.user)

    assert (
        auth_client.get(f"/rooms/lobby/attachments/{attachment.pk}/thumbnail/").status_code == 404
    )
