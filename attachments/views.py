from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments.delivery import stored_file_response
from attachments.models import Attachment
from attachments.selectors import attachment_get_for_download, attachment_payload
from attachments.services import AttachmentRejected, attachment_upload, upload_too_large
from rooms.models import Room
from rooms.permissions import NO_SUCH_ROOM_SENTENCE
from rooms.selectors import NotAMember

# Room in the request body for the multipart boundaries and headers around the file.
MULTIPART_OVERHEAD = 64 * 1024


def _error(rejected: AttachmentRejected) -> JsonResponse:
    response = JsonResponse(
        {"error": rejected.code, "detail": rejected.detail}, status=rejected.status
    )
    if rejected.retry_after is not None:
        response["Retry-After"] = str(rejected.retry_after)
    return response


@require_POST
def attachment_upload_view(request: HttpRequest, slug: str) -> JsonResponse:
    """``file`` (multipart) to attach to a message of the room; 201 with the attachment."""
    # Refused before the body is parsed: a file too large is not even spooled.
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.PARLEY_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:
        return _error(upload_too_large())
    upload = request.FILES.get("file")
    if upload is None:
        return _error(AttachmentRejected("no_file", _("Send the file in the field “file”.")))
    try:
        attachment = attachment_upload(slug=slug, user=request.user, upload=upload)
    except (Room.DoesNotExist, NotAMember):
        # Non-members learn nothing: the same answer as for a room that does not exist.
        return _error(
            AttachmentRejected("not_found", NO_SUCH_ROOM_SENTENCE % {"slug": slug}, status=404)
        )
    except AttachmentRejected as rejected:
        return _error(rejected)
    return JsonResponse(attachment_payload(attachment, room_slug=slug), status=201)


def _attachment(request: HttpRequest, slug: str, attachment_id: int) -> Attachment:
    try:
        return attachment_get_for_download(
            slug=slug, user=request.user, attachment_id=attachment_id
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


@require_GET
def attachment_file_view(
    request: HttpRequest, slug: str, attachment_id: int, name: str
) -> HttpResponse:
    attachment = _attachment(request, slug, attachment_id)
    if name != attachment.name:
        raise Http404
    return stored_file_response(
        stored=attachment.file, content_type=attachment.content_type, display_name=attachment.name
    )


@require_GET
def attachment_thumbnail_view(request: HttpRequest, slug: str, attachment_id: int) -> HttpResponse:
    attachment = _attachment(request, slug, attachment_id)
    if not attachment.thumbnail:
        raise Http404
    return stored_file_response(
        stored=attachment.thumbnail, content_type="image/webp", display_name="thumbnail.webp"
    )
