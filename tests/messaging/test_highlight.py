"""Search terms marked in results: in text only, everything else escaped."""

import pytest

from messaging.formatting import body_render
from messaging.highlight import html_highlight, search_terms, text_highlight


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("pancakes", ["pancakes"]),
        ("Pancakes  syrup", ["Pancakes", "syrup"]),
        ('"maple syrup" -butter', ["maple syrup"]),
        ("tea or coffee", ["tea", "coffee"]),
        ('"unbalanced quote', ["unbalanced", "quote"]),
        ("tea TEA tea.", ["tea"]),
        ("*** -- ...", []),
    ],
)
def test_the_terms_are_the_words_and_phrases_searched_for(query, terms):
    assert search_terms(query) == terms


def test_every_match_is_marked_whatever_its_case():
    html = html_highlight(html=body_render("Pancakes, more PANCAKES"), query="pancakes")

    assert html == "<p><mark>Pancakes</mark>, more <mark>PANCAKES</mark></p>"


def test_a_term_inside_a_tag_or_attribute_is_never_marked():
    """The word is in the href, the title and the text: only the text is marked."""
    source = body_render('[a muffin link](https://example.com/muffin "muffin title")')

    html = html_highlight(html=source, query="muffin")

    assert 'href="https://example.com/muffin"' in html
    assert 'title="muffin title"' in html
    assert ">a <mark>muffin</mark> link</a>" in html
    assert html.count("<mark>") == 1


def test_marked_text_stays_escaped():
    """Text the sanitizer escaped is escaped again on the way out: markup never comes back."""
    source = body_render("<script>alert('muffin')</script> & muffin")

    html = html_highlight(html=source, query="muffin script")

    assert "<script" not in html
    assert "&lt;<mark>script</mark>&gt;" in html
    assert "&amp; <mark>muffin</mark>" in html


def test_a_query_made_of_markup_marks_nothing_and_injects_nothing():
    html = html_highlight(html=body_render("**bold** text"), query="<strong> mark> <b")

    assert html == "<p><strong>bold</strong> text</p>"


def test_formatting_survives_marking():
    source = body_render("- **muffins** and `muffin()`\n> muffin ~~muffin~~")

    html = html_highlight(html=source, query="muffin")

    assert html.count("<mark>muffin</mark>") == 4
    assert "<strong><mark>muffin</mark>s</strong>" in html
    assert "<code><mark>muffin</mark>()</code>" in html


def test_a_plain_body_is_escaped_and_marked():
    html = text_highlight(text="<img src=x onerror=alert(1)> biscuits", query="biscuits img")

    assert html == "&lt;<mark>img</mark> src=x onerror=alert(1)&gt; <mark>biscuits</mark>"
