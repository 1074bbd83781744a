"""A person's avatar: initials on a colour of a fixed palette, chosen by the username.

Mirrored line for line by ``static/js/avatar.js`` (the room page draws avatars for
people it learns about over the socket); ``tests/support/avatar_cases.json`` pins
both to the same answers. The palette itself is in ``static/css/parley.css``
(``.avatar-0`` to ``.avatar-11``), every colour dark enough for white initials.
An uploaded picture replaces the initials wherever one is set (the ``{% avatar %}``
tag, ``avatarElement`` with a person's ``avatar_url``).
"""

from dataclasses import dataclass

AVATAR_COLORS = 12


@dataclass(frozen=True)
class Avatar:
    initials: str
    color: int


def avatar_initials(*, username: str, display_name: str) -> str:
    """The first letter or digit of the first and last words of the name, upper case."""
    words = [word for word in (display_name.strip() or username).split() if _first(word)]
    if not words:
        return (_first(username) or "?").upper()
    letters = _first(words[0]) + (_first(words[-1]) if len(words) > 1 else "")
    return letters.upper()


def avatar_color(*, username: str) -> int:
    """One of the palette's colours, the same for a username everywhere and always."""
    hashed = 0
    for char in username:
        hashed = (hashed * 31 + ord(char)) & 0xFFFFFFFF
    return hashed % AVATAR_COLORS


def avatar_for(*, username: str, display_name: str) -> Avatar:
    return Avatar(
        initials=avatar_initials(username=username, display_name=display_name),
        color=avatar_color(username=username),
    )


def _first(word: str) -> str:
    return next((char for char in word if char.isalnum()), "")
