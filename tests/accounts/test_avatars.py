"""Avatars: the same initials and colour for a person everywhere, readable on every colour."""

import json
import re

import pytest

from accounts.avatars import AVATAR_COLORS, avatar_color, avatar_for, avatar_initials
from chatclient.server import REPO_ROOT

CASES = json.loads((REPO_ROOT / "tests/support/avatar_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: case["username"])
def test_initials_and_colour_are_those_the_page_computes(case):
    """The same table pins static/js/avatar.js (tests/js/avatar.test.mjs)."""
    person = {"username": case["username"], "display_name": case["display_name"]}

    assert avatar_initials(**person) == case["initials"]
    assert avatar_color(username=case["username"]) == case["color"]


def test_the_page_and_the_server_have_the_same_palette():
    js = (REPO_ROOT / "static/js/avatar.js").read_text()

    assert CASES["colors"] == AVATAR_COLORS
    assert f"export const AVATAR_COLORS = {AVATAR_COLORS};" in js


def test_a_name_of_two_words_or_more_gives_first_and_last_initials():
    assert avatar_for(username="grace", display_name="Grace Brewster Hopper").initials == "GH"


def test_colours_spread_over_the_palette():
    colours = {avatar_color(username=f"user{n}") for n in range(200)}

    assert colours == set(range(AVATAR_COLORS))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_white_initials_are_readable_on_every_colour_of_the_palette():
    """WCAG AA for normal text: a contrast of at least 4.5:1 with white."""
    css = (REPO_ROOT / "static/css/parley.css").read_text()
    palette = dict(re.findall(r"\.avatar-(\d+) \{ background: (#[0-9a-f]{6}); \}", css))

    assert sorted(map(int, palette)) == list(range(AVATAR_COLORS))
    for index, colour in palette.items():
        contrast = 1.05 / (luminance(colour) + 0.05)
        assert contrast >= 4.5, f".avatar-{index} {colour}: {contrast:.2f}"
