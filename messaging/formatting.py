"""Message bodies to safe HTML: a small Markdown subset, mentions highlighted.

The raw body is what is stored and edited; this HTML travels beside it. It is
rendered with markdown-it-py (raw HTML in the body is escaped, not passed
through) and then sanitized with nh3 against an allow-list, so even a parser
bug cannot let a script, an event handler or a ``javascript:`` URL through.
"""

import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "a", "span"}
# "class" on span is allowed through allowed_classes (only "mention"), not here.
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "nofollow noopener noreferrer"


def mentioned_usernames(body: str) -> set[str]:
    """Every ``@name`` in the body's plain text; the caller keeps the room's members.

    Names inside code, links and URLs are not mentions: the same token walk
    decides what is highlighted and what notifies.
    """
    names: set[str] = set()
    if "@" not in body:  # most messages: no second parse
        return names
    for block in PARSER.parse(body):
        for text in _plain_text(block):
            names.update(match.group(1).rstrip(".") for match in MENTION.finditer(text))
    return names


def _plain_text(block: Token) -> Iterable[str]:
    if block.type != "inline" or not block.children:
        return
    inside_link = 0
    for token in block.children:
        inside_link += token.type == "link_open"
        inside_link -= token.type == "link_close"
        if token.type == "text" and not inside_link:
            yield token.content


def _split_mentions(state: StateCore) -> None:
    """Wrap ``@name`` of the usernames in ``env["mentions"]`` in a highlighted span."""
    usernames = state.env.get("mentions")
    if not usernames:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            inside_link += token.type == "link_open"
            inside_link -= token.type == "link_close"
            if token.type != "text" or inside_link:
                children.append(token)
                continue
            children.extend(_split_text(token.content, usernames))
        block.children = children


def _split_text(text: str, usernames: set[str]) -> Iterable[Token]:
    position = 0
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(".")
        if name not in usernames:
            continue
        start, end = match.start(), match.start() + 1 + len(name)
        if start > position:
            yield _text(text[position:start])
        opening = Token("mention_open", "span", 1)
        opening.attrs = {"class": "mention"}
        yield opening
        yield _text(text[start:end])
        yield Token("mention_close", "span", -1)
        position = end
    if position < len(text):
        yield _text(text[position:])


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


# "zero" starts with every rule off; these are the only syntax Parley speaks.
PARSER = MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False}).enable(
    ["emphasis", "backticks", "fence", "code", "link", "linkify", "newline", "escape"]
)
PARSER.core.ruler.push("mentions", _split_mentions)


def body_render(body: str, *, mentions: Iterable[str] = ()) -> str:
    """Safe HTML for ``body``; ``mentions`` are the usernames to highlight."""
    html = PARSER.render(body, {"mentions": set(mentions)})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"span": {"mention"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()
