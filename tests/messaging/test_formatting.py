"""Message bodies as safe HTML: a small Markdown subset, and nothing executable, ever.

The page puts ``html`` into the DOM as HTML, so every test here that feeds a
hostile body parses the output and checks it against the allow-list itself,
rather than trusting the sanitizer's configuration.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from messaging.formatting import LINK_REL, PARSER, SYNTAX, body_render
from messaging.models import Message
from messaging.selectors import message_payload
from messaging.services import message_create, message_edit
from tests.support.factories import MessageFactory

ALLOWED = {
    "p": set(),
    "br": set(),
    "strong": set(),
    "em": set(),
    "s": set(),
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "blockquote": set(),
    "code": set(),
    "pre": set(),
    "span": {"class"},
    # title: a Markdown link's title, kept by nh3 as a generic attribute; text, never run.
    "a": {"href", "rel", "target", "title"},
}
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


class Elements(HTMLParser):
    """Every element of a fragment, as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def href_scheme(href: str) -> str | None:
    """The scheme a browser would see: it drops whitespace and control characters from a URL
    (percent-escapes it does not decode: ``%6Aavascript:`` is a relative path)."""
    cleaned = "".join(ch for ch in href if ord(ch) > 0x20 and ch != "\x7f")
    match = SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def assert_inert(html: str) -> None:
    """Only allowed tags and attributes; links only to http(s)/mailto or relative; no script."""
    for tag, attrs in elements(html):
        assert tag in ALLOWED, f"<{tag}> in {html!r}"
        assert set(attrs) <= ALLOWED[tag], f"<{tag} {attrs}> in {html!r}"
        if tag == "span":
            assert attrs["class"] == "mention", html
        if tag == "a":
            assert attrs.get("rel") == LINK_REL, html
            assert attrs.get("target") == "_blank", html
            href = attrs.get("href") or ""
            assert href_scheme(href) in SAFE_SCHEMES | {None}, f"href {href!r} in {html!r}"
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()


def text_of(html: str) -> str:
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(html)
    return "".join(parts)


# --- The subset Parley speaks ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("**bold** and __bold__", "<p><strong>bold</strong> and <strong>bold</strong></p>"),
        ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("```python\nprint('<b>')\n```", "<pre><code>print('&lt;b&gt;')\n</code></pre>"),
        ("    indented code", "<pre><code>indented code\n</code></pre>"),
        ("one\ntwo", "<p>one<br>\ntwo</p>"),
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
        ("plain & simple < 3", "<p>plain &amp; simple &lt; 3</p>"),
        ("~~gone~~ now", "<p><s>gone</s> now</p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("* one\n* two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
        ("> quoted\n> still", "<blockquote>\n<p>quoted<br>\nstill</p>\n</blockquote>"),
        ("to do:\n- **this**", "<p>to do:</p>\n<ul>\n<li><strong>this</strong></li>\n</ul>"),
    ],
)
def test_the_markdown_subset_renders_as_expected(body, html):
    assert body_render(body) == html


@pytest.mark.parametrize(
    ("body", "href", "text"),
    [
        ("[Parley](https://example.com/docs)", "https://example.com/docs", "Parley"),
        ("see https://example.com/a?b=1&c=2 now", "https://example.com/a?b=1&c=2", None),
        ("www.example.com", "http://www.example.com", "www.example.com"),
        ("[write](mailto:ada@example.com)", "mailto:ada@example.com", "write"),
    ],
)
def test_links_and_bare_urls_open_in_a_new_tab_without_passing_on_anything(body, href, text):
    """Every link gets rel="nofollow noopener noreferrer" and target="_blank"."""
    html = body_render(body)

    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert links == [{"href": href, "target": "_blank", "rel": LINK_REL}]
    assert f">{text or href.replace('&', '&amp;')}</a>" in html
    assert_inert(html)


@pytest.mark.parametrize(
    "body",
    ["# Not a heading", "| a | b |", "---", "Title ==="],
)
def test_syntax_outside_the_subset_stays_plain_text(body):
    html = body_render(body)

    assert [tag for tag, _ in elements(html)] == ["p"]
    assert text_of(html) == body


def test_a_list_can_hold_a_quote_and_a_quote_a_list():
    html = body_render("> - in a quote\n\n- item\n\n  > quoted in an item")

    tags = [tag for tag, _ in elements(html)]
    assert tags == ["blockquote", "ul", "li", "ul", "li", "p", "blockquote", "p"]
    assert_inert(html)


def test_mentions_and_links_work_inside_lists_and_quotes():
    html = body_render("> @ada said\n- see example.com\n- ~~@ada~~", mentions=["ada"])

    assert html.count('<span class="mention">@ada</span>') == 2
    assert '<a href="http://example.com"' in html
    assert "<s><span" in html


def test_image_syntax_never_makes_an_image():
    html = body_render("![cat](https://example.com/cat.png)")

    assert_inert(html)
    assert "img" not in [tag for tag, _ in elements(html)]


def test_only_the_names_given_are_highlighted_as_mentions():
    html = body_render("@ada, @grace and **@ada**", mentions=["ada"])

    assert html.count('<span class="mention">@ada</span>') == 2
    assert "@grace" in text_of(html)
    assert '<span class="mention">@grace' not in html


# --- Hostile bodies ------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<a href=javascript:alert(1)>click</a>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    "<body onload=alert(1)>",
    '<p onclick="alert(1)">hi</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<span style="position:fixed;inset:0">cover the page</span>',
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](<javascript:alert(1)>)",
    '[click](https://example.com "title" onmouseover=alert(1))',
    '[click](https://example.com" onmouseover="alert(1))',
    "[click](https://example.com 'x\" onmouseover=\"alert(1)')",
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](https://example.com/x.png)",
    '![x](https://example.com/x.png" onerror="alert(1))',
    "**<img src=x onerror=alert(1)>**",
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "[**x**](https://example.com/<script>)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "@ada<script>alert(1)</script>",
    "[@ada](javascript:alert(1))",
    "https://example.com/<script>alert(1)</script>",
    'https://example.com/"onmouseover="alert(1)',
    "> <script>alert(1)</script>",
    "> [click](javascript:alert(1))",
    "- <img src=x onerror=alert(1)>\n- ok",
    '1. <a href="javascript:alert(1)">x</a>',
    "~~<svg onload=alert(1)>~~",
    "> - > <iframe src=javascript:alert(1)>",
    '9" onmouseover="alert(1). item',
]


@pytest.mark.parametrize("body", XSS)
def test_hostile_bodies_leave_nothing_executable(body):
    html = body_render(body, mentions=["ada"])

    assert_inert(html)


@pytest.mark.parametrize("body", [b for b in XSS if b.startswith("<") and "[" not in b])
def test_raw_html_in_a_body_is_shown_as_the_text_that_was_typed(body):
    """Markup is escaped, not dropped: the reader sees exactly what the author wrote
    (a URL inside it may become a link)."""
    html = body_render(body)

    assert {tag for tag, _ in elements(html)} <= {"p", "br", "a"}
    assert text_of(html).replace("\n", "") == body


FRAGMENTS = [
    "<",
    ">",
    '"',
    "'",
    "`",
    "```",
    "\n",
    " ",
    "*",
    "_",
    "[",
    "](",
    ")",
    "!",
    "@ada",
    "&",
    "&#",
    "#x6A;",
    ";",
    "javascript:",
    "JaVaScRiPt:",
    "data:text/html,",
    "vbscript:",
    "https://example.com/",
    "www.",
    "script",
    "img src=x",
    "svg",
    " onerror=",
    " onload=",
    "alert(1)",
    "style=",
    "iframe",
    "\\",
    "%0a",
    "\t",
    "\n> ",
    "\n- ",
    "\n1. ",
    "  ",
    "~~",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=16).map("".join))
def test_any_mix_of_markup_fragments_renders_inert(body):
    assert_inert(body_render(body, mentions=["ada"]))


# --- Stored raw, rendered beside -------------------------------------------------------


@pytest.mark.django_db
def test_the_raw_body_is_stored_and_the_html_travels_beside_it(member):
    body = "**Hello** <script>alert(1)</script> https://example.com"

    message, _ = message_create(room=member.room, author=member.user, body=body)

    stored = Message.objects.get(pk=message.pk)
    assert stored.body == body
    assert stored.html == body_render(body)
    payload = message_payload(stored)
    assert (payload["body"], payload["html"]) == (body, stored.html)
    assert "<strong>Hello</strong>" in payload["html"]
    assert_inert(payload["html"])
    json.dumps(payload)


@pytest.mark.django_db
def test_editing_renders_the_new_body_again(member):
    message, _ = message_create(room=member.room, author=member.user, body="**old**")

    message_edit(room=member.room, user=member.user, message_id=message.pk, body="_new_ `code`")

    stored = Message.objects.get(pk=message.pk)
    assert stored.body == "_new_ `code`"
    assert stored.html == "<p><em>new</em> <code>code</code></p>"


@pytest.mark.django_db
def test_a_message_stored_without_html_is_rendered_safely_on_the_way_out(member):
    """Rows from before the html column (or written around the service) still go out safe."""
    message = MessageFactory(
        room=member.room, author=member.user, body="<img src=x onerror=alert(1)> **hi**"
    )
    assert message.html == ""

    html = message_payload(message)["html"]

    assert_inert(html)
    assert "<strong>hi</strong>" in html


@pytest.mark.django_db
def test_the_history_endpoint_serves_body_and_html_side_by_side(member, auth_client):
    message_create(room=member.room, author=member.user, body="[x](javascript:alert(1)) *ok*")

    [message] = auth_client.get("/rooms/lobby/messages/").json()["messages"]

    assert message["body"] == "[x](javascript:alert(1)) *ok*"
    assert "<em>ok</em>" in message["html"]
    assert_inert(message["html"])


# --- What one body may cost ------------------------------------------------------------

# Parley's syntax on markdown-it's own rules: what a body renders as when no budget runs out.
UNCAPPED = MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False}).enable(SYNTAX)


def link_texts(html: str) -> list[str]:
    return re.findall(r"<a [^>]*>([^<]*)</a>", html)


def test_links_past_the_limit_stay_plain_text(settings):
    settings.PARLEY_MAX_LINKS = 5
    body = " ".join(f"site{n}.example.com" for n in range(12))

    html = body_render(body)

    assert link_texts(html) == [f"site{n}.example.com" for n in range(5)]
    assert "site5.example.com site6.example.com" in html
    assert "site11.example.com</p>" in html


def test_every_kind_of_link_counts_towards_the_limit(settings):
    """Written-out links (Markdown links, URLs with a scheme) are counted before bare hosts."""
    settings.PARLEY_MAX_LINKS = 3
    body = "[one](https://a.example) https://b.example c.com [four](https://d.example) e.org"

    html = body_render(body)

    assert link_texts(html) == ["one", "https://b.example", "four"]
    assert " c.com " in html
    assert " e.org</p>" in html


def test_a_link_far_into_a_long_body_is_still_a_link():
    body = "word " * 300 + "see example.com and https://example.org/x"

    assert link_texts(body_render(body)) == ["example.com", "https://example.org/x"]


def test_the_default_limit_is_fifty_links_per_body():
    body = ("a.co " * 800)[:4000]

    assert len(link_texts(body_render(body))) == 50


# Found by Hypothesis: a host right before a code span.
@example("a.co` `")
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                " ",
                "\n",
                "x",
                "a.co",
                "www.b.org",
                "http://c.io/p?q=1",
                "\\",
                ":",
                "//",
                "@",
                "d@e.fr",
                "[l](f.de)",
                "`",
                "*",
                "_",
                ",",
                ".",
                "(",
                ")",
                "mailto:g@h.it",
                "long " * 60,
                "é",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_under_the_limit_a_body_renders_exactly_as_markdown_it_would(body):
    """The capped rules change nothing until the budget is spent (chunk edges included)."""
    assert PARSER.render(body) == UNCAPPED.render(body)


# --- Host names that pass for others -----------------------------------------------------

# Five Cyrillic letters that read as "apple", written as escapes so the look-alike is visible.
CYRILLIC_APPLE = "\u0430\u0440\u0440\u04cf\u0435"
CYRILLIC_APPLE_PUNYCODE = "xn--80ak6aa92e"


@pytest.mark.parametrize(
    ("body", "href", "text"),
    [
        (f"{CYRILLIC_APPLE}.com", "http://xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
        (
            f"https://{CYRILLIC_APPLE}.com/login",
            "https://xn--80ak6aa92e.com/login",
            "https://xn--80ak6aa92e.com/login",
        ),
        (
            "https://xn--80ak6aa92e.com/",
            "https://xn--80ak6aa92e.com/",
            "https://xn--80ak6aa92e.com/",
        ),
        ("p\u0430ypal.com", "http://xn--pypal-4ve.com", "xn--pypal-4ve.com"),
    ],
    ids=["bare host", "with a scheme", "typed as punycode", "one letter swapped"],
)
def test_a_host_that_mixes_scripts_is_shown_as_the_punycode_it_goes_to(body, href, text):
    html = body_render(body)

    links = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert links == [href]
    assert link_texts(html) == [text]
    assert CYRILLIC_APPLE not in html


@pytest.mark.parametrize(
    ("body", "href"),
    [
        ("münchen.de", "http://xn--mnchen-3ya.de"),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
        ("日本語.jp", "http://xn--wgv71a119e.jp"),
    ],
)
def test_a_host_in_one_script_keeps_its_own_letters_and_links_to_its_punycode(body, href):
    html = body_render(body)

    assert [attrs["href"] for tag, attrs in elements(html) if tag == "a"] == [href]
    assert link_texts(html) == [body]


def depth(html: str, tags: set[str]) -> int:
    """The deepest nesting of ``tags`` in a fragment."""
    deepest = level = 0
    for match in re.finditer(r"<(/?)(\w+)", html):
        if match.group(2) in tags:
            level += -1 if match.group(1) else 1
            deepest = max(deepest, level)
    return deepest


@pytest.mark.parametrize(
    "body",
    ["- " * 2000, "> " * 1999 + "x", "1. " * 1333, ("- " * 9 + "x\n") * 200, "> - 1. " * 570],
    ids=["nested bullets", "nested quotes", "nested numbers", "many deep lists", "mixed"],
)
def test_nested_lists_and_quotes_stop_at_the_parsers_nesting_limit(body):
    """A body of the longest allowed length made only of markers nests at most 20 levels
    (markdown-it's maxNesting) and renders inert."""
    assert len(body) <= Message._meta.get_field("body").max_length

    html = body_render(body)

    assert depth(html, {"ul", "ol", "li", "blockquote"}) <= 20
    assert_inert(html)
