"""Attaching uploads to messages, thumbnails, and the clean-up of unused uploads."""

import importlib.util
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from attachments import tasks
from attachments.models import Attachment
from attachments.services import attachment_thumbnail_make, attachments_remove_unused
from messaging.models import Message
from messaging.selectors import message_list, message_payload
from messaging.services import MessageRejected, message_create
from tests.support.attachments import uploaded
from tests.support.factories import MembershipFactory, RoomFactory
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_message_with_attachments_may_have_an_empty_body(member):
    first, second = uploaded(member.user), uploaded(member.user, name="dog.png")

    message, created = message_create(
        room=member.room, author=member.user, body="  ", attachments=[second.pk, first.pk]
    )

    assert created
    assert message.body == ""
    payload = message_payload(Message.objects.get())
    assert [item["id"] for item in payload["attachments"]] == [first.pk, second.pk]
    assert payload["attachments"][1]["url"] == f"/rooms/lobby/attachments/{second.pk}/dog.png"


def test_a_message_without_body_or_attachments_is_still_empty(member):
    with pytest.raises(MessageRejected) as refused:
        message_create(room=member.room, author=member.user, body=" ", attachments=[])

    assert refused.value.code == "empty"


def test_too_many_attachments_are_refused_and_nothing_is_stored(member, settings):
    settings.PARLEY_ATTACHMENTS_PER_MESSAGE = 2
    ids = [uploaded(member.user).pk for _ in range(3)]

    with pytest.raises(MessageRejected) as refused:
        message_create(room=member.room, author=member.user, body="three", attachments=ids)

    assert refused.value.code == "too_many_attachments"
    assert refused.value.detail == "A message can carry at most 2 attachments."
    assert not Message.objects.exists()


@pytest.mark.parametrize("whose", ["someone else's", "already used", "another room's", "unknown"])
def test_only_the_senders_own_unused_uploads_in_the_room_can_be_attached(
    member, other_member, whose
):
    mine = uploaded(member.user)
    if whose == "someone else's":
        attachment = uploaded(other_member.user)
    elif whose == "already used":
        attachment = uploaded(member.user)
        message_create(
            room=member.room, author=member.user, body="first", attachments=[attachment.pk]
        )
    elif whose == "another room's":
        MembershipFactory(user=member.user, room=RoomFactory(slug="garden"))
        attachment = uploaded(member.user, slug="garden")
    else:
        attachment = Attachment(pk=10**6)
    stored = Message.objects.count()

    with pytest.raises(MessageRejected) as refused:
        message_create(
            room=member.room, author=member.user, body="x", attachments=[mine.pk, attachment.pk]
        )

    assert refused.value.code == "invalid_attachment"
    assert Message.objects.count() == stored
    assert Attachment.objects.get(pk=mine.pk).message is None, "rolled back with the message"


def test_a_resend_with_the_same_client_id_is_not_stored_twice(member):
    attachment = uploaded(member.user)
    first, _ = message_create(
        room=member.room, author=member.user, body="", client_id="c1", attachments=[attachment.pk]
    )

    again, created = message_create(
        room=member.room, author=member.user, body="", client_id="c1", attachments=[attachment.pk]
    )

    assert (again.pk, created) == (first.pk, False)
    assert Message.objects.count() == 1
    assert [item["id"] for item in message_payload(again)["attachments"]] == [attachment.pk]


def test_history_reads_attachments_in_one_query_whatever_the_number_of_messages(
    member, django_assert_num_queries
):
    for _ in range(5):
        message_create(
            room=member.room,
            author=member.user,
            body="",
            attachments=[uploaded(member.user).pk, uploaded(member.user).pk],
        )

    # messages (with authors and quoted replies), mentions, reactions, attachments
    with django_assert_num_queries(4):
        messages, _more = message_list(room=member.room, limit=50)
        payloads = [message_payload(message) for message in messages]

    assert [len(payload["attachments"]) for payload in payloads] == [2] * 5


def test_an_upload_unused_for_a_day_is_removed_and_a_used_one_kept(member, wall_clock):
    uploaded(member.user)
    used = uploaded(member.user)
    message_create(room=member.room, author=member.user, body="", attachments=[used.pk])

    wall_clock.shift(23 * 3600)
    assert attachments_remove_unused() == 0
    wall_clock.shift(2 * 3600)
    assert attachments_remove_unused() == 1

    assert list(Attachment.objects.values_list("pk", flat=True)) == [used.pk]


def test_the_clean_up_deletes_the_stored_files_once_committed(
    member, wall_clock, django_capture_on_commit_callbacks
):
    unused = uploaded(member.user)
    storage, name = unused.file.storage, unused.file.name
    wall_clock.shift(25 * 3600)

    with django_capture_on_commit_callbacks(execute=True):
        attachments_remove_unused()

    assert not storage.exists(name)


def test_the_clean_up_runs_as_a_task_and_as_a_command(member, wall_clock, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    uploaded(member.user)
    uploaded(member.user)
    wall_clock.shift(25 * 3600)

    assert tasks.attachments_remove_unused.call() == 2
    uploaded(member.user)
    wall_clock.shift(25 * 3600)
    call_command("attachments_remove_unused", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not Attachment.objects.exists()


def test_an_image_upload_enqueues_its_thumbnail_on_commit(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        uploaded(member.user)
    with django_capture_on_commit_callbacks() as others:
        uploaded(member.user, data=b"plain text", name="notes.txt")

    assert len(callbacks) == 1
    assert others == []


def test_the_thumbnail_task_makes_a_webp_in_the_box(member, settings, auth_client):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    attachment = uploaded(member.user, data=image_bytes(size=(1600, 1600)))

    assert tasks.attachment_thumbnail_make.enqueue(attachment_id=attachment.pk).return_value is True

    attachment.refresh_from_db()
    response = auth_client.get(f"/rooms/lobby/attachments/{attachment.pk}/thumbnail/")
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(body)).size == (600, 600)
    assert attachment_thumbnail_make(attachment_id=attachment.pk) is False, "made once"


def test_the_nginx_template_has_the_internal_location_and_the_upload_size(settings, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "serve_for_tests", REPO_ROOT / "platform/serve.py"
    )
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)

    config = serve.nginx_config(
        listen="127.0.0.1:8080",
        ports=[8081],
        run_dir=tmp_path,
        static_root=tmp_path / "static",
        media_root=Path("/srv/media"),
        upload_max_bytes=settings.PARLEY_UPLOAD_MAX_BYTES,
    )

    internal = config.split("location /_attachments/ {")[1].split("}")[0]
    assert "internal;" in internal
    assert "alias /srv/media/;" in internal
    upload_location = config.split("location ~ ^/rooms/[^/]+/attachments/$ {")[1].split("}")[0]
    assert f"client_max_body_size {25 * 1024 * 1024 + 64 * 1024};" in upload_location
    assert serve.UPLOAD_MAX_BYTES == settings.PARLEY_UPLOAD_MAX_BYTES
    assert serve.DEFAULTS["PARLEY_ACCEL_REDIRECT"] == "true"
