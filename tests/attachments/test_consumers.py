"""Attachments over the room's socket: sent with a message, refused clearly, thumbnails live."""

import pytest
from channels.db import database_sync_to_async

from attachments.services import attachment_thumbnail_make
from messaging.models import Message
from tests.support.attachments import uploaded
from tests.support.sockets import joined

pytestmark = pytest.mark.django_db(transaction=True)

uploaded_async = database_sync_to_async(uploaded)


async def test_a_message_with_only_attachments_reaches_everyone_with_their_fields(
    open_socket, member, other_member
):
    attachment = await uploaded_async(member.user)
    sender, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(sender)
    await joined(reader)

    await sender.send_json_to(
        {"type": "message.send", "body": "", "client_id": "a-1", "attachments": [attachment.pk]}
    )

    for socket in (sender, reader):
        frame = await socket.receive_json_from()
        assert frame["type"] == "message.new"
        assert frame["message"]["attachments"] == [
            {
                "id": attachment.pk,
                "name": "cat.png",
                "size": attachment.size,
                "content_type": "image/png",
                "url": f"/rooms/lobby/attachments/{attachment.pk}/cat.png",
                "thumbnail_url": None,
                "width": 40,
                "height": 20,
            }
        ]


async def test_too_many_attachments_are_an_error_frame_and_nothing_is_stored(
    open_socket, member, settings
):
    settings.PARLEY_ATTACHMENTS_PER_MESSAGE = 1
    ids = [(await uploaded_async(member.user)).pk for _ in range(2)]
    socket = await open_socket(member.user)
    await joined(socket)

    await socket.send_json_to(
        {"type": "message.send", "body": "two", "client_id": "a-2", "attachments": ids}
    )

    frame = await socket.receive_json_from()
    assert (frame["type"], frame["code"], frame["client_id"]) == (
        "error",
        "too_many_attachments",
        "a-2",
    )
    assert frame["detail"] == "A message can carry at most 1 attachments."
    assert not await database_sync_to_async(Message.objects.exists)()


@pytest.mark.parametrize("attachments", [[0], ["7"], [True], "7", [{"id": 7}]])
async def test_attachments_that_are_not_a_list_of_ids_are_invalid(open_socket, member, attachments):
    socket = await open_socket(member.user)
    await joined(socket)

    await socket.send_json_to(
        {"type": "message.send", "body": "x", "client_id": "a-3", "attachments": attachments}
    )

    frame = await socket.receive_json_from()
    assert (frame["code"], frame["detail"]) == (
        "invalid",
        "attachments must be a list of upload ids.",
    )


async def test_someone_elses_upload_cannot_be_attached(open_socket, member, other_member):
    theirs = await uploaded_async(other_member.user)
    socket = await open_socket(member.user)
    await joined(socket)

    await socket.send_json_to(
        {"type": "message.send", "body": "mine", "client_id": "a-4", "attachments": [theirs.pk]}
    )

    frame = await socket.receive_json_from()
    assert frame["code"] == "invalid_attachment"
    assert "unused uploads" in frame["detail"]
    assert not await database_sync_to_async(Message.objects.exists)()


async def test_a_thumbnail_made_by_the_task_reaches_open_pages_as_message_edited(
    open_socket, member, other_member
):
    attachment = await uploaded_async(member.user)
    sender, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(sender)
    await joined(reader)
    await sender.send_json_to(
        {"type": "message.send", "body": "look", "client_id": "a-5", "attachments": [attachment.pk]}
    )
    for socket in (sender, reader):
        assert (await socket.receive_json_from())["type"] == "message.new"

    made = await database_sync_to_async(attachment_thumbnail_make)(attachment_id=attachment.pk)

    assert made
    for socket in (sender, reader):
        frame = await socket.receive_json_from()
        assert frame["type"] == "message.edited"
        assert frame["message"]["edited_at"] is None, "not an edit by its author"
        assert frame["message"]["attachments"][0]["thumbnail_url"] == (
            f"/rooms/lobby/attachments/{attachment.pk}/thumbnail/"
        )


async def test_history_carries_the_attachments_and_their_thumbnails(open_socket, member):
    attachment = await uploaded_async(member.user)
    socket = await open_socket(member.user)
    await joined(socket)
    await socket.send_json_to(
        {"type": "message.send", "body": "", "client_id": "a-6", "attachments": [attachment.pk]}
    )
    await socket.receive_json_from()
    await database_sync_to_async(attachment_thumbnail_make)(attachment_id=attachment.pk)
    await socket.disconnect()

    history = await joined(await open_socket(member.user))

    [message] = history["messages"]
    assert message["attachments"][0]["thumbnail_url"].endswith("/thumbnail/")
