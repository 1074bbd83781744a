"""Uploaded images: decoded and checked, re-encoded clean, thumbnailed.

Plain functions of bytes in, bytes out, and no models, so that attachments and
avatars share them. Every image is decoded by Pillow before it is accepted: a
file that only claims to be an image fails here, and the re-encoding drops
everything but the pixels (EXIF, GPS, XMP, comments), after turning the
picture the way its EXIF orientation says, since that tag is dropped with the rest.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

# The raster formats accepted as images and shown inline; anything else is a plain file.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
# What re-encoding keeps of the decoder's info: colours, transparency, animation timing.
KEPT_INFO = ("icc_profile", "transparency", "duration", "loop", "background")
THUMBNAIL_BOX = (800, 600)


class ImageRejected(Exception):
    """An image that cannot be accepted; ``code`` for machines, ``detail`` for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _max_pixels(max_pixels: int | None) -> int:
    return settings.PARLEY_IMAGE_MAX_PIXELS if max_pixels is None else max_pixels


def image_open(data: bytes, *, max_pixels: int | None = None) -> Image.Image:
    """Decode ``data`` as one of ``FORMATS``, refusing it before decoding if too many pixels.

    ``Image.open`` reads only the header, so a decompression bomb (a small file
    that declares huge dimensions) is refused for its declared size before a
    single pixel is decoded; animated images count every frame.
    """
    limit = _max_pixels(max_pixels)
    too_large = ImageRejected(
        "image_too_large",
        _("Images can have at most %(n)d million pixels.") % {"n": max(1, limit // 1_000_000)},
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard only warns below twice its limit; ours decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise ImageRejected(
                    "invalid_image", _("That is not a PNG, JPEG, GIF or WebP image.")
                )
            frames = getattr(image, "n_frames", 1) if image.format != "GIF" else 1
            if image.width * image.height * frames > limit:
                raise too_large
            if image.format == "GIF":
                # A GIF's frame count is only known by reading it, so count while reading.
                frames = _gif_frames(image, limit=limit)
                if image.width * image.height * frames > limit:
                    raise too_large
            image.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError:
        raise too_large from None
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError...)
        raise ImageRejected("invalid_image", _("That image could not be read.")) from None
    return image


def _gif_frames(image: Image.Image, *, limit: int) -> int:
    frames = 1
    pixels = image.width * image.height
    while True:
        try:
            image.seek(frames)
        except EOFError:
            break
        frames += 1
        if pixels * frames > limit:
            break
    image.seek(0)
    return frames


def image_clean(data: bytes, *, max_pixels: int | None = None) -> CleanImage:
    """``data`` decoded, turned upright and re-encoded without its metadata."""
    image = image_open(data, max_pixels=max_pixels)
    image_format = image.format
    animated = getattr(image, "is_animated", False)
    info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    if not animated:
        image = ImageOps.exif_transpose(image)
    # Metadata the encoders would otherwise copy from the source.
    image.info = dict(info)
    options: dict[str, object] = {**info, "exif": b""}
    if image_format == "JPEG":
        options.update(quality=90, optimize=True)
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
    elif image_format == "WEBP":
        options.update(quality=90)
    if animated:
        options["save_all"] = True
    output = io.BytesIO()
    try:
        image.save(output, format=image_format, **options)
    except Exception:
        raise ImageRejected("invalid_image", _("That image could not be read.")) from None
    return CleanImage(
        data=output.getvalue(),
        content_type=FORMATS[image_format],
        extension=EXTENSIONS[image_format],
        width=image.width,
        height=image.height,
    )


def thumbnail_webp(
    data: bytes,
    *,
    box: tuple[int, int] = THUMBNAIL_BOX,
    square: bool = False,
    max_pixels: int | None = None,
) -> tuple[bytes, int, int]:
    """A WebP no larger than ``box`` (never enlarged), or a centred square of ``box[0]``.

    Returns ``(data, width, height)``. Only the first frame of an animation.
    """
    image = image_open(data, max_pixels=max_pixels)
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    if square:
        side = min(box[0], image.width, image.height)
        image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    else:
        image.thumbnail(box, Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=80, exif=b"")
    return output.getvalue(), image.width, image.height


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
