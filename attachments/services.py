"""Writes about attachments: upload, claim by a message, thumbnail, clean-up."""

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from attachments import images
from attachments.files import HEAD_BYTES, content_type_detect, display_name_clean
from attachments.models import Attachment
from messaging.models import Message
from rooms.permissions import Action, PermissionDenied, check
from rooms.selectors import room_actor_get

logger = logging.getLogger(__name__)

# An upload no message has claimed by then is removed (attachments_remove_unused).
UNUSED_LIFETIME = timedelta(days=1)
HOUR = 3600


class AttachmentRejected(Exception):
    """An upload or an attachment refused; ``status`` is the HTTP status that fits."""

    def __init__(
        self, code: str, detail: str, *, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


def upload_too_large() -> AttachmentRejected:
    megabytes = settings.PARLEY_UPLOAD_MAX_BYTES / (1024 * 1024)
    return AttachmentRejected(
        "too_large",
        _("Files can be at most %(n)s MB.") % {"n": f"{megabytes:g}"},
        status=413,
    )


def upload_slot_take(*, user_id: int) -> int:
    """Count an upload in the user's current hour; 0 if allowed, else seconds to wait.

    A window per clock hour in the cache, shared by all workers: a counter
    needs only add and incr, which every cache backend makes atomic.
    """
    now = time.time()
    key = f"parley:uploads:{user_id}:{int(now // HOUR)}"
    cache.add(key, 0, timeout=HOUR + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=HOUR + 60)
        count = 1
    if count <= settings.PARLEY_UPLOADS_PER_HOUR:
        return 0
    return int(HOUR - now % HOUR) + 1


def attachment_upload(*, slug: str, user: User, upload: UploadedFile) -> Attachment:
    """Store an upload to a room for ``user`` to attach to a message there.

    Raises ``Room.DoesNotExist`` or ``NotAMember`` (the caller answers both
    alike), or ``AttachmentRejected``. Images are decoded and re-encoded
    before anything is stored; their thumbnail is made by a task once the
    upload is committed.
    """
    actor = room_actor_get(slug=slug, user=user)
    try:
        check(actor, Action.UPLOAD)
    except PermissionDenied as denied:
        raise AttachmentRejected(denied.code, denied.detail, status=403) from None
    if upload.size > settings.PARLEY_UPLOAD_MAX_BYTES:
        raise upload_too_large()
    if not upload.size:
        raise AttachmentRejected("empty", _("That file is empty."))
    # Counted before any decoding, so a stream of refused bombs is limited too.
    if wait := upload_slot_take(user_id=user.pk):
        raise AttachmentRejected(
            "rate_limited",
            _("You can upload %(n)d files an hour; try again in %(m)d minutes.")
            % {"n": settings.PARLEY_UPLOADS_PER_HOUR, "m": wait // 60 + 1},
            status=429,
            retry_after=wait,
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    content_type, extension = content_type_detect(head)
    width = height = None
    content: File
    if content_type in images.FORMATS.values():
        try:
            clean = images.image_clean(upload.read())
        except images.ImageRejected as rejected:
            raise AttachmentRejected(rejected.code, rejected.detail) from None
        content = ContentFile(clean.data)
        content_type, extension = clean.content_type, clean.extension
        width, height = clean.width, clean.height
    else:
        content = upload
        # Stored opaque: whatever the bytes are, no server may guess a type from the name.
        extension = "bin"
    attachment = Attachment(
        room=actor.room,
        uploader=user,
        name=display_name_clean(upload.name or ""),
        content_type=content_type,
        size=content.size,
        width=width,
        height=height,
    )
    attachment.file.save(f"upload.{extension}", content, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            if attachment.is_image:
                transaction.on_commit(lambda: _thumbnail_enqueue(attachment.pk))
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def _thumbnail_enqueue(attachment_id: int) -> None:
    from attachments.tasks import attachment_thumbnail_make

    attachment_thumbnail_make.enqueue(attachment_id=attachment_id)


def too_many_attachments() -> AttachmentRejected:
    limit = settings.PARLEY_ATTACHMENTS_PER_MESSAGE
    return AttachmentRejected(
        "too_many_attachments",
        _("A message can carry at most %(n)d attachments.") % {"n": limit},
    )


def attachments_count_check(ids: Sequence[int]) -> None:
    if len(set(ids)) > settings.PARLEY_ATTACHMENTS_PER_MESSAGE:
        raise too_many_attachments()


def attachments_claim(*, message: Message, ids: Sequence[int]) -> list[Attachment]:
    """Attach the uploads ``ids`` to a message being stored; call inside its transaction.

    Only unused uploads of the message's author in its room qualify; if any
    other id is given, ``AttachmentRejected`` rolls the message back with them.
    """
    ids = list(dict.fromkeys(ids))
    attachments_count_check(ids)
    if not ids:
        return []
    # One statement checks and claims, so an upload can go to one message only
    # even when two are sent at once, and not to one the clean-up is removing.
    claimed = Attachment.objects.filter(
        pk__in=ids, room_id=message.room_id, uploader_id=message.author_id, message__isnull=True
    ).update(message=message)
    if claimed != len(ids):
        raise AttachmentRejected(
            "invalid_attachment",
            _(
                "An attachment is not one of your unused uploads in this room "
                "(it may have been removed after a day); upload it again."
            ),
        )
    return list(Attachment.objects.filter(message=message).order_by("id"))


def attachment_thumbnail_make(*, attachment_id: int) -> bool:
    """Make an image's WebP thumbnail; announce it when its message is shown already.

    Returns whether a thumbnail was made. The row is locked while the
    thumbnail is recorded, so a message claiming the upload at the same time
    either sees the thumbnail in its own payload or is committed before this
    reads it and gets the announcement.
    """
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or not attachment.is_image or attachment.thumbnail:
        return False
    with attachment.file.open("rb") as source:
        data, _width, _height = images.thumbnail_webp(source.read())
    attachment.thumbnail.save("thumbnail.webp", ContentFile(data), save=False)
    name = attachment.thumbnail.name
    with transaction.atomic():
        current = Attachment.objects.select_for_update().filter(pk=attachment_id).first()
        if current is None or current.thumbnail:
            # Removed meanwhile, or made twice: keep one thumbnail.
            transaction.on_commit(lambda: attachment.thumbnail.storage.delete(name))
            return False
        current.thumbnail.name = name
        current.save(update_fields=["thumbnail"])
        if current.message_id is not None:
            _message_changed_announce(message_id=current.message_id)
    return True


def _message_changed_announce(*, message_id: int) -> None:
    # Imported here: messaging's selectors import this app's selectors.
    from messaging.selectors import message_payload, messages_for_payload
    from realtime import events
    from realtime.broadcast import group_send_on_commit
    from realtime.groups import room_group_name

    # A page that was away when the thumbnail came asks for what changed since.
    Message.objects.filter(pk=message_id).update(changed_at=timezone.now())
    message = messages_for_payload(
        Message.objects.filter(pk=message_id, deleted_at__isnull=True)
    ).first()
    if message is not None:
        group_send_on_commit(
            room_group_name(message.room_id),
            events.message_edited(message=message_payload(message)),
        )


def attachments_remove_unused(*, now: datetime | None = None) -> int:
    """Remove uploads no message claimed within ``UNUSED_LIFETIME``; return how many."""
    cutoff = (now or timezone.now()) - UNUSED_LIFETIME
    removed = 0
    for attachment in Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff):
        with transaction.atomic():
            # Asked again in the delete: a message may claim it in the meantime.
            deleted, _counts = Attachment.objects.filter(
                pk=attachment.pk, message__isnull=True
            ).delete()
            if deleted:
                names = [field.name for field in (attachment.file, attachment.thumbnail) if field]
                storage = attachment.file.storage
                transaction.on_commit(
                    lambda names=names, storage=storage: stored_files_delete(storage, names)
                )
                removed += 1
    return removed


def stored_files_delete(storage: object, names: list[str]) -> None:
    """Delete files no row names any more (after the commit that let go of them)."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the row is gone; a file left behind is only space
            logger.warning("Could not delete the stored file %s", name)
