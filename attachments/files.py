"""What an uploaded file is and what it may be called, decided from its content."""

import unicodedata
from pathlib import PurePath

import filetype

from attachments import images
from attachments.models import NAME_MAX_LENGTH

HEAD_BYTES = 8192
# Shown inline by the browser: the raster images Pillow has decoded and re-encoded.
# Everything else, SVG and HTML included, is only ever a download.
INLINE_TYPES = frozenset(images.FORMATS.values())
OCTET_STREAM = "application/octet-stream"


def content_type_detect(head: bytes) -> tuple[str, str]:
    """``(content type, extension)`` of a file from its first bytes.

    ``filetype`` knows binary formats by their magic numbers; markup is
    recognised only to be labelled for what it is, since it is never served
    inline; other UTF-8 is text.
    """
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime, kind.extension
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in start[:1024] and (start.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype"))):
        return "image/svg+xml", "svg"
    if start.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body")):
        return "text/html", "html"
    if b"\x00" not in head:
        try:
            # The head may cut a character in two: only that last one may fail.
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 3:
                return OCTET_STREAM, "bin"
        return "text/plain", "txt"
    return OCTET_STREAM, "bin"


def display_name_clean(name: str) -> str:
    """The uploader's file name as shown: no folders, no control or direction characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        char for char in name if unicodedata.category(char)[0] not in "CZ" or char == " "
    )
    name = name.strip().strip(".").strip()
    if len(name) > NAME_MAX_LENGTH:
        suffix = PurePath(name).suffix[:20]
        name = name[: NAME_MAX_LENGTH - len(suffix)] + suffix
    return name or "file"
