"""The websocket protocol of a room: frames in, frames out, close and error codes.

Client → server: ``message.send`` ``{body, client_id, attachments?, reply_to?}``,
``message.edit`` ``{id, body}``, ``message.delete`` ``{id, reason?}``, ``reaction.add`` /
``reaction.remove`` ``{id, emoji}``, ``message.pin`` / ``message.unpin`` ``{id}``, ``pong``
(the answer to a ``ping``).
Server → client: ``ping``, ``history``, ``message.new``, ``message.edited``, ``message.deleted``,
``reaction.added``, ``reaction.removed``, ``message.pinned``, ``message.unpinned``,
``room.updated``, ``member.updated``, ``removed`` and ``error`` frames (see README).
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from attachments.services import too_many_attachments, upload_too_large
from messaging.models import BODY_MAX_LENGTH, CLIENT_ID_MAX_LENGTH, REACTION_EMOJI_MAX_LENGTH
from realtime import codes
from realtime.codes import (  # noqa: F401  (the protocol's close codes, defined there)
    CLOSE_FLOODING,
    CLOSE_NO_PONG,
    CLOSE_NO_SUCH_ROOM,
    CLOSE_NOT_A_MEMBER,
    CLOSE_TOO_MANY,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHENTICATED,
    FINAL_CLOSES,
    PAUSED_CLOSES,
)
from realtime.events import error as error_frame
from realtime.events import ping
from rooms.permissions import MUTED_SENTENCE, ROOM_STATE_SENTENCES, SLOW_MODE_SENTENCE

# The server's heartbeat (every PARLEY_PING_INTERVAL seconds) and the page's answer.
PING_TEXT = json.dumps(ping())
PONG_MAX_CHARS = 64

HISTORY_LIMIT = 50
CATCH_UP_LIMIT = 500


class ErrorCode(StrEnum):
    INVALID = "invalid"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"
    MUTED = "muted"
    LOCKED = "locked"
    SLOW_MODE = "slow_mode"
    ARCHIVED = "archived"
    # A message's attachments (attachments/services.py).
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    INVALID_ATTACHMENT = "invalid_attachment"


# Refusals that pass by themselves: they carry retry_after, and the page sends again after it.
WAIT_ERRORS = (ErrorCode.SLOW_MODE, ErrorCode.RATE_LIMITED)
# Refusals that tell the page what its user may do in the room (rooms/permissions.py codes).
POSTING_ERRORS = (ErrorCode.MUTED, ErrorCode.LOCKED, ErrorCode.ARCHIVED)

# How long a page waits before reconnecting after a paused close.
PAUSED_RETRY_SECONDS = 30
# What the page says when a socket closes for good or pauses.
CLOSE_SENTENCES = {
    CLOSE_UNAUTHENTICATED: _lazy("You are signed out. Log in again to keep chatting."),
    CLOSE_NOT_A_MEMBER: _lazy("You are no longer a member of this room."),
    CLOSE_NO_SUCH_ROOM: _lazy("This room no longer exists."),
    CLOSE_TOO_MANY: _lazy(
        "Too many Parley tabs or windows are open: close some of them. Retrying in %(n)d s."
    ),
    CLOSE_FLOODING: _lazy(
        "You were sending too fast, so the connection was closed. Retrying in %(n)d s."
    ),
}


class ProtocolError(Exception):
    """A frame the server answers with an ``error`` frame instead of acting on it."""

    def __init__(self, code: ErrorCode, detail: str, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id

    def as_frame(self) -> dict[str, Any]:
        return error_frame(code=self.code, detail=self.detail, client_id=self.client_id)


@dataclass(frozen=True)
class SendMessage:
    body: str
    client_id: str
    # Ids of the sender's uploads (POST /rooms/<slug>/attachments/).
    attachments: tuple[int, ...] = ()
    reply_to: int | None = None


@dataclass(frozen=True)
class EditMessage:
    id: int
    body: str


@dataclass(frozen=True)
class DeleteMessage:
    id: int
    reason: str


@dataclass(frozen=True)
class Typing:
    active: bool


@dataclass(frozen=True)
class MarkRead:
    id: int


@dataclass(frozen=True)
class AddReaction:
    id: int
    emoji: str


@dataclass(frozen=True)
class RemoveReaction:
    id: int
    emoji: str


@dataclass(frozen=True)
class PinMessage:
    id: int


@dataclass(frozen=True)
class UnpinMessage:
    id: int


Frame = (
    SendMessage
    | EditMessage
    | DeleteMessage
    | Typing
    | MarkRead
    | AddReaction
    | RemoveReaction
    | PinMessage
    | UnpinMessage
)
FRAME_TYPES = (
    "message.send",
    "message.edit",
    "message.delete",
    "typing",
    "read",
    "reaction.add",
    "reaction.remove",
    "message.pin",
    "message.unpin",
)
# Frames that name a message and nothing else.
ID_FRAMES: dict[str, type[PinMessage | UnpinMessage | MarkRead]] = {
    "read": MarkRead,
    "message.pin": PinMessage,
    "message.unpin": UnpinMessage,
}
REASON_MAX_LENGTH = 500
ATTACHMENT_IDS_MAX = 100
MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number is no id, not a database error


def page_constants() -> dict[str, Any]:
    """What the page's scripts know of the protocol, JSON-safe, for ``json_script``.

    The one source of the codes, limits and sentences static/js/constants.js reads,
    so no script holds a copy that could drift from the server.
    """
    return {
        "close": {
            name.removeprefix("CLOSE_"): value
            for name, value in vars(codes).items()
            if name.startswith("CLOSE_")
        },
        "final_closes": sorted(FINAL_CLOSES),
        "paused_closes": sorted(PAUSED_CLOSES),
        "paused_retry_seconds": PAUSED_RETRY_SECONDS,
        "close_sentences": {
            str(code): str(sentence) % {"n": PAUSED_RETRY_SECONDS}
            if code in PAUSED_CLOSES
            else str(sentence)
            for code, sentence in CLOSE_SENTENCES.items()
        },
        "errors": {code.name: code.value for code in ErrorCode},
        "wait_errors": [code.value for code in WAIT_ERRORS],
        "posting_errors": [code.value for code in POSTING_ERRORS],
        "limits": {
            "body_max_length": BODY_MAX_LENGTH,
            "reason_max_length": REASON_MAX_LENGTH,
            "history_limit": HISTORY_LIMIT,
            # What the page checks before uploading; the server checks again.
            "upload_max_bytes": settings.PARLEY_UPLOAD_MAX_BYTES,
            "attachments_per_message": settings.PARLEY_ATTACHMENTS_PER_MESSAGE,
        },
        # The page says the server's own words when it refuses a file before uploading it.
        "upload_sentences": {
            rejected.code: rejected.detail
            for rejected in (upload_too_large(), too_many_attachments())
        },
        "ping_interval": settings.PARLEY_PING_INTERVAL,
        "room_state_sentences": {
            state: str(sentence) for state, sentence in ROOM_STATE_SENTENCES.items()
        },
        # The page fills in {until} (a UTC minute) and {seconds} itself, as they change live.
        "posting_sentences": {
            "muted": str(MUTED_SENTENCE) % {"until": "{until}"},
            "slow_mode": str(SLOW_MODE_SENTENCE) % {"seconds": "{seconds}"},
        },
    }


def is_pong(text: str | None) -> bool:
    """A ``{"type": "pong"}`` frame, recognised before the consumer (and its limits) see it."""
    if text is None or len(text) > PONG_MAX_CHARS or '"pong"' not in text:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "pong"


def _is_storable_text(value: str) -> bool:
    # Lone surrogates (legal in JSON escapes) cannot be encoded, and NUL is
    # refused by PostgreSQL: both would fail at the database, not here.
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def frame_parse(*, text_data: str | None, bytes_data: bytes | None, max_bytes: int) -> Frame:
    """Validate one incoming frame; raise ``ProtocolError`` with a readable reason."""
    if text_data is None:
        raise ProtocolError(ErrorCode.INVALID, _("Frames must be JSON text, not binary."))
    # Refused before parsing: a huge frame costs no JSON decoding. A character
    # is at most 4 bytes, so only long frames pay for measuring their bytes.
    if len(text_data) * 4 > max_bytes and (
        len(text_data.encode("utf-8", "surrogatepass")) > max_bytes
    ):
        raise ProtocolError(
            ErrorCode.TOO_LARGE,
            _("Frames can be at most %(n)d bytes.") % {"n": max_bytes},
        )
    try:
        data = json.loads(text_data)
    except (ValueError, RecursionError):
        raise ProtocolError(ErrorCode.INVALID, _("That frame is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.INVALID, _("A frame must be a JSON object."))

    client_id = data.get("client_id")
    echo_id = client_id if isinstance(client_id, str) and len(client_id) <= 64 else None
    frame_type = data.get("type")
    if frame_type not in FRAME_TYPES:
        raise ProtocolError(
            ErrorCode.INVALID,
            _("Unknown frame type; expected one of %(types)s.") % {"types": ", ".join(FRAME_TYPES)},
            echo_id,
        )
    if frame_type == "message.send":
        return _send_parse(data, client_id, echo_id)
    if frame_type == "typing":
        active = data.get("active", True)
        if not isinstance(active, bool):
            raise ProtocolError(ErrorCode.INVALID, _("active must be true or false."))
        return Typing(active=active)
    message_id = data.get("id")
    if not _is_id(message_id):
        raise ProtocolError(ErrorCode.INVALID, _("id must be a message id."), echo_id)
    if frame_type in ID_FRAMES:
        return ID_FRAMES[frame_type](id=message_id)
    if frame_type in ("reaction.add", "reaction.remove"):
        emoji = _text_field(data, "emoji", echo_id)
        if len(emoji) > REACTION_EMOJI_MAX_LENGTH:
            raise ProtocolError(ErrorCode.INVALID, _("A reaction must be one emoji."), echo_id)
        reaction = AddReaction if frame_type == "reaction.add" else RemoveReaction
        return reaction(id=message_id, emoji=emoji)
    if frame_type == "message.edit":
        return EditMessage(id=message_id, body=_text_field(data, "body", echo_id))
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or not _is_storable_text(reason):
        raise ProtocolError(ErrorCode.INVALID, _("reason must be a string."), echo_id)
    return DeleteMessage(id=message_id, reason=reason[:REASON_MAX_LENGTH])


def _is_id(value: object) -> bool:
    # bool is an int in Python; an id is not.
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _text_field(data: dict[str, Any], name: str, echo_id: str | None) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.INVALID, _("%(f)s must be a string.") % {"f": name}, echo_id)
    if not _is_storable_text(value):
        raise ProtocolError(
            ErrorCode.INVALID,
            _("%(f)s contains characters that cannot be stored.") % {"f": name},
            echo_id,
        )
    return value


def _send_parse(data: dict[str, Any], client_id: object, echo_id: str | None) -> SendMessage:
    if client_id is None:
        client_id = ""
    if not isinstance(client_id, str) or not _is_storable_text(client_id):
        raise ProtocolError(ErrorCode.INVALID, _("client_id must be a string."))
    if len(client_id) > CLIENT_ID_MAX_LENGTH:
        raise ProtocolError(
            ErrorCode.INVALID,
            _("client_id must be at most %(n)d characters.") % {"n": CLIENT_ID_MAX_LENGTH},
        )
    reply_to = data.get("reply_to")
    if reply_to is not None and not _is_id(reply_to):
        raise ProtocolError(
            ErrorCode.INVALID, _("reply_to must be the id of a message, or null."), echo_id
        )
    return SendMessage(
        body=_text_field(data, "body", echo_id),
        client_id=client_id,
        attachments=_attachment_ids(data, echo_id),
        reply_to=reply_to,
    )


def _attachment_ids(data: dict[str, Any], echo_id: str | None) -> tuple[int, ...]:
    """The ``attachments`` of a ``message.send``: a short list of ids; how many and
    whose they may be is checked where the message is stored."""
    ids = data.get("attachments", [])
    if ids is None:
        ids = []
    if (
        not isinstance(ids, list)
        # Generous here, so that the count's own refusal, with its limit, comes from the service.
        or len(ids) > ATTACHMENT_IDS_MAX
        or not all(_is_id(id_) for id_ in ids)
    ):
        raise ProtocolError(
            ErrorCode.INVALID, _("attachments must be a list of upload ids."), echo_id
        )
    return tuple(ids)
