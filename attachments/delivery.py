"""How a checked download reaches the browser: streamed, handed to nginx, or signed by S3.

The view has already decided that the user may have the file; this module
only decides who sends the bytes and with which headers. Only the raster
images Pillow re-encoded are shown inline; everything else is a download of
opaque bytes, sandboxed, whatever it contains.
"""

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import content_disposition_header

from attachments.files import INLINE_TYPES, OCTET_STREAM

# nginx's internal location over MEDIA_ROOT (platform/nginx.conf.template).
ACCEL_PREFIX = "/_attachments/"
# A signed S3 URL works for anybody holding it: it must not outlive a moment.
SIGNED_URL_SECONDS = 60
# Files never change under their URL; the browser's cache is the member's own.
CACHE_SECONDS = 3600


def stored_file_response(
    *, stored: FieldFile, content_type: str, display_name: str, max_age: int = CACHE_SECONDS
) -> HttpResponse:
    """``max_age``: how long the browser may keep the file; longer only where the URL
    changes with the file (avatars carry a version)."""
    inline = content_type in INLINE_TYPES
    served_type = content_type if inline else OCTET_STREAM
    disposition = content_disposition_header(as_attachment=not inline, filename=display_name)
    storage = stored.storage
    if not isinstance(storage, FileSystemStorage):
        # An object store that signs URLs (django-storages' S3Storage): the
        # bucket sends the bytes, with the same type and disposition.
        url = storage.url(
            stored.name,
            parameters={
                "ResponseContentType": served_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": f"private, max-age={max_age}",
            },
            expire=SIGNED_URL_SECONDS,
        )
        response: HttpResponse = HttpResponseRedirect(url)
        # The redirect itself must not be kept past the signature's minute.
        patch_cache_control(response, private=True, no_store=True)
        return response
    if settings.PARLEY_ACCEL_REDIRECT:
        response = HttpResponse(content_type=served_type)
        response["X-Accel-Redirect"] = ACCEL_PREFIX + quote(stored.name)
    else:
        response = FileResponse(storage.open(stored.name, "rb"), content_type=served_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    # Even opened directly, a file can run no script and reach no cookie.
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, max_age=max_age)
    patch_vary_headers(response, ["Cookie"])
    return response
