"""Writes about accounts."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.events import user_sockets_close
from accounts.models import User
from attachments import images
from attachments.services import stored_files_delete, upload_slot_take

AVATAR_SIDE = 256


class AvatarRejected(Exception):
    """An avatar upload refused; ``code`` for machines, ``detail`` for the form."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Stop the user from signing in, and close the sockets they have open."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user_sockets_close(user_id=user.pk)


def user_avatar_set(*, user: User, upload: UploadedFile) -> None:
    """Make ``upload`` the user's avatar: a centred square WebP of ``AVATAR_SIDE`` pixels.

    Raises ``AvatarRejected`` for a file too large, too many changes this hour,
    or anything that does not decode as a PNG, JPEG, GIF or WebP within
    ``PARLEY_IMAGE_MAX_PIXELS``. Only the re-encoded pixels are stored, so no
    EXIF or GPS of the original survives.
    """
    if upload.size > settings.PARLEY_AVATAR_MAX_BYTES:
        megabytes = settings.PARLEY_AVATAR_MAX_BYTES / (1024 * 1024)
        raise AvatarRejected(
            "too_large", _("An avatar can be at most %(n)s MB.") % {"n": f"{megabytes:g}"}
        )
    if not upload.size:
        raise AvatarRejected("empty", _("That file is empty."))
    # Counted before decoding, with attachments, so a stream of refused bombs is limited too.
    if wait := upload_slot_take(user_id=user.pk):
        raise AvatarRejected(
            "rate_limited",
            _("You can upload %(n)d files an hour; try again in %(m)d minutes.")
            % {"n": settings.PARLEY_UPLOADS_PER_HOUR, "m": wait // 60 + 1},
        )
    upload.seek(0)
    try:
        data, _width, _height = images.thumbnail_webp(
            upload.read(), box=(AVATAR_SIDE, AVATAR_SIDE), square=True
        )
    except images.ImageRejected as rejected:
        detail = rejected.detail
        if rejected.code == "invalid_image":
            # Pillow cannot tell a non-image from a broken one; either way, say what fits.
            detail = _("That is not a PNG, JPEG, GIF or WebP image.")
        raise AvatarRejected(rejected.code, detail) from None
    user.avatar.save("avatar.webp", ContentFile(data), save=False)
    name = user.avatar.name
    try:
        _avatar_replace(user=user, name=name)
    except Exception:
        user.avatar.storage.delete(name)
        raise


def user_avatar_remove(*, user: User) -> None:
    """Go back to initials; the stored picture is deleted once that is committed."""
    _avatar_replace(user=user, name="")


@transaction.atomic
def _avatar_replace(*, user: User, name: str) -> None:
    # Locked, so of two changes at once each deletes the picture it really replaced.
    previous = User.objects.select_for_update().values_list("avatar", flat=True).get(pk=user.pk)
    User.objects.filter(pk=user.pk).update(avatar=name, avatar_version=F("avatar_version") + 1)
    user.refresh_from_db(fields=["avatar", "avatar_version"])
    if previous:
        storage = User._meta.get_field("avatar").storage
        transaction.on_commit(lambda: stored_files_delete(storage, [previous]))
