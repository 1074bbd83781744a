"""Message bodies to safe HTML: a small Markdown subset, mentions highlighted.

The raw body is what is stored and edited; this HTML travels beside it. It is
rendered with markdown-it-py (raw HTML in the body is escaped, not passed
through) and then sanitized with nh3 against an allow-list, so even a parser
bug cannot let a script, an event handler or a ``javascript:`` URL through.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable

import idna
import mdurl
import nh3
from django.conf import settings
from markdown_it import MarkdownIt
from markdown_it.common import normalize_url
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.linkify import linkify as _linkify_all
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.link import link as _link
from markdown_it.rules_inline.linkify import linkify as _linkify_scheme
from markdown_it.token import Token

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")

ALLOWED_TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "a", "span"}
ALLOWED_TAGS |= {"ul", "ol", "li", "blockquote"}
# "class" on span is allowed through allowed_classes (only "mention"), not here.
# "start": a list numbered from 3 (markdown-it writes only digits there).
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
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
    _text_outside_links_rewrite(state, lambda token, _before: _split_text(token.content, usernames))


def _text_outside_links_rewrite(
    state: StateCore,
    rewrite: Callable[[Token, list[Token]], Iterable[Token] | None],
    *,
    in_block: Callable[[Token], bool] | None = None,
) -> None:
    """Replace each text token outside a link by what ``rewrite`` makes of it.

    ``rewrite`` sees the token and the tokens already kept before it in its
    block, and returns None to keep the token as it is. ``in_block`` may
    leave whole blocks alone.
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        if in_block is not None and not in_block(block):
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            inside_link += token.type == "link_open"
            inside_link -= token.type == "link_close"
            made = None if token.type != "text" or inside_link else rewrite(token, children)
            if made is None:
                children.append(token)
            else:
                children.extend(made)
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


def _text(content: str, *, level: int = 0) -> Token:
    token = Token("text", "", 0)
    token.content = content
    token.level = level
    return token


# Linkify looks for links in pieces this long, cut at whitespace (no link spans it),
# so it stops looking once the budget is spent instead of scanning the whole body.
LINKIFY_CHUNK = 256


def _link_budget(env: dict) -> int:
    """Links this body may still turn into ``<a>``: each costs a URL parse and punycode."""
    return env.setdefault("link_budget", settings.PARLEY_MAX_LINKS)


def _capped(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """An inline link rule (``[text](url)``, ``https://...``) that stops when the budget is spent.

    Past it the text stays plain: no URL parse, and no scan of the rest of the body.
    """

    def capped(state: StateInline, silent: bool) -> bool:
        if _link_budget(state.env) <= 0:
            return False
        found = rule(state, silent)
        if found and not silent:
            state.env["link_budget"] -= 1
        return found

    return capped


def _capped_linkify(state: StateCore) -> None:
    """Bare URLs to links while the budget lasts; the rest of the body stays plain text."""

    def linkify(token: Token, before: list[Token]) -> Iterable[Token] | None:
        if _link_budget(state.env) <= 0:
            return None
        after_escape = bool(before) and before[-1].type == "text_special"
        return _linkify_text(state, token, after_escape=after_escape)

    # As markdown-it's own rule: a block whose whole text fails linkify's pretest gets
    # no links, though one of its text tokens would pass alone ("a.co` `": a host right
    # before a code span).
    _text_outside_links_rewrite(
        state, linkify, in_block=lambda block: state.md.linkify.pretest(block.content)
    )


def _linkify_text(state: StateCore, token: Token, *, after_escape: bool) -> Iterable[Token]:
    """Markdown-it's own linkify, one chunk at a time, keeping at most the budget's links."""
    for chunk in _chunks(token.content):
        budget = _link_budget(state.env)
        if budget <= 0 or not state.md.linkify.test(chunk):
            yield _text(chunk, level=token.level)
            after_escape = False
            continue
        links = state.md.linkify.match(chunk) or []
        # Cut the chunk after the last link it may keep; the tail stays text.
        cut = links[budget - 1].last_index if len(links) > budget else len(chunk)
        made = _linkify_piece(state, chunk[:cut], level=token.level, after_escape=after_escape)
        state.env["link_budget"] -= sum(t.type == "link_open" for t in made)
        yield from made
        if cut < len(chunk):
            yield _text(chunk[cut:], level=token.level)
        after_escape = False


def _linkify_piece(state: StateCore, text: str, *, level: int, after_escape: bool) -> list[Token]:
    # The escape before the text is kept in view: "http\://x" must not become a link.
    before = [Token("text_special", "", 0)] if after_escape else []
    inline = Token("inline", "", 0, content=text, children=[*before, _text(text, level=level)])
    piece = StateCore(text, state.md, {})
    piece.tokens = [inline]
    _linkify_all(piece)
    return (inline.children or [])[len(before) :]


def _chunks(text: str) -> Iterable[str]:
    start = 0
    while start < len(text):
        end = start + LINKIFY_CHUNK
        if end < len(text):
            space = text.find(" ", end)
            end = len(text) if space < 0 else space
        yield text[start:end]
        start = end


# Scripts that cannot pass for Latin letters, so a host may mix them with Latin (日本語.jp).
EAST_ASIAN_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def _link_text(url: str) -> str:
    """The URL as the link shows it: Unicode host names only where they read as themselves.

    markdown-it shows every host in Unicode, so ``xn--80ak6aa92e.com`` shows as
    five Cyrillic letters that pass for "apple.com". A host mixing scripts, or
    not a valid IDN, is shown as the punycode its link really goes to.
    """
    text = normalize_url.normalizeLinkText(url)
    shown = mdurl.parse(text, slashes_denote_host=True)
    if not shown.hostname or shown.hostname.isascii() or _reads_as_itself(shown.hostname):
        return text
    target = mdurl.parse(normalize_url.normalizeLink(url), slashes_denote_host=True)
    return mdurl.decode(
        mdurl.format(shown._replace(hostname=target.hostname)), mdurl.DECODE_DEFAULT_CHARS + "%"
    )


def _reads_as_itself(host: str) -> bool:
    try:
        idna.encode(host, uts46=True)
    except idna.IDNAError:
        return False
    scripts = {unicodedata.name(char, "?").split()[0] for char in host if char.isalpha()}
    return len(scripts) <= 1 or scripts <= {"LATIN", *EAST_ASIAN_SCRIPTS}


# "zero" starts with every rule off; these are the only syntax Parley speaks.
SYNTAX = ["emphasis", "backticks", "fence", "code", "link", "linkify", "newline", "escape"]
SYNTAX += ["list", "blockquote", "strikethrough"]
# Nested lists and quotes stop nesting at the "zero" preset's maxNesting (20): deeper
# markers stay text, so a 4,000-character body cannot build a deep tree.
PARSER = MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False}).enable(SYNTAX)
PARSER.normalizeLinkText = _link_text  # type: ignore[method-assign]
PARSER.inline.ruler.at("link", _capped(_link))
PARSER.inline.ruler.at("linkify", _capped(_linkify_scheme))
PARSER.core.ruler.at("linkify", _capped_linkify)
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
