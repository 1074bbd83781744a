"""Reads about attachments: what a message carries on the wire, who may download a file."""

from django.urls import reverse

from accounts.models import User
from attachments.models import Attachment
from messaging.models import Message
from realtime import events
from rooms.models import Room
from rooms.permissions import Action, can
from rooms.selectors import NotAMember, room_actor_get


def attachment_payload(attachment: Attachment, *, room_slug: str) -> events.AttachmentFields:
    """An attachment as the upload answer and every message payload give it."""
    keys = {"slug": room_slug, "attachment_id": attachment.pk}
    return events.attachment_fields(
        id=attachment.pk,
        name=attachment.name,
        size=attachment.size,
        content_type=attachment.content_type,
        url=reverse("attachments:file", kwargs={**keys, "name": attachment.name}),
        thumbnail_url=reverse("attachments:thumbnail", kwargs=keys)
        if attachment.thumbnail
        else None,
        width=attachment.width,
        height=attachment.height,
    )


def message_attachments_payload(message: Message) -> list[events.AttachmentFields]:
    """A message's attachments. Written messages carry ``attached``; listed ones have
    theirs prefetched by the message selectors (``prefetch_related("attachments")``)."""
    attached = getattr(message, "attached", None)
    if attached is None:
        attached = message.attachments.all()
    return [attachment_payload(item, room_slug=message.room.slug) for item in attached]


def attachment_get_for_download(*, slug: str, user: User, attachment_id: int) -> Attachment:
    """The attachment, if ``user`` may download it now; otherwise ``Attachment.DoesNotExist``.

    One answer for "no such room", "not a member", "no such file", "not yours
    yet" and "its message was deleted", so a download reveals nothing: those
    who may read the room get the files of the messages it shows, and an
    unused upload is its uploader's alone.
    """
    try:
        actor = room_actor_get(slug=slug, user=user)
    except (Room.DoesNotExist, NotAMember) as error:
        raise Attachment.DoesNotExist(attachment_id) from error
    if not can(actor, Action.READ):
        raise Attachment.DoesNotExist(attachment_id)
    attachment = (
        Attachment.objects.select_related("message")
        .filter(pk=attachment_id, room=actor.room)
        .first()
    )
    if attachment is None:
        raise Attachment.DoesNotExist(attachment_id)
    if attachment.message is None:
        if attachment.uploader_id != user.pk:
            raise Attachment.DoesNotExist(attachment_id)
    elif attachment.message.is_deleted:
        raise Attachment.DoesNotExist(attachment_id)
    return attachment
