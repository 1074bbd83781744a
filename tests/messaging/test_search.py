"""Search: in one of my rooms or across all of them, never beyond them.

PostgreSQL ranks with full-text search (word forms, phrases, exclusions);
SQLite falls back to every word appearing in the body, newest first. The
suite runs on both (``bin/test`` repeats it with ``DATABASE_URL``), so the
backend-specific tests assert what each backend promises.
"""

import pytest
from django.db import connection

from messaging.selectors import SEARCH_LIMIT, message_search
from messaging.services import message_create, message_delete
from rooms.models import Room
from rooms.services import direct_room_get_or_create, membership_revoke
from tests.support.factories import MembershipFactory, MessageFactory, RoomFactory

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def post(room: Room, author, body: str):
    message, _ = message_create(room=room, author=author, body=body)
    return message


@pytest.fixture
def kitchen(member) -> Room:
    """A second room Ada is in."""
    room = RoomFactory(name="Kitchen", slug="kitchen")
    MembershipFactory(user=member.user, room=room)
    return room


@pytest.fixture
def garden(outsider) -> Room:
    """A public room Ada is not in."""
    room = RoomFactory(name="Garden", slug="garden")
    MembershipFactory(user=outsider, room=room)
    return room


@pytest.fixture
def hideout(private_room, outsider) -> Room:
    """A private room Ada is not in."""
    MembershipFactory(user=outsider, room=private_room)
    return private_room


def found(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_search_finds_matches_in_all_my_rooms_and_nowhere_else(
    auth_client, member, kitchen, garden, hideout, outsider
):
    here = post(member.room, member.user, "pancakes for breakfast")
    there = post(kitchen, member.user, "more pancakes please")
    public_elsewhere = post(garden, outsider, "secret pancakes in the garden")
    private_elsewhere = post(hideout, outsider, "hidden pancakes in the hideout")

    assert {m.pk for m in message_search(user=member.user, query="pancakes")} == {
        here.pk,
        there.pk,
    }
    html = found(auth_client.get("/search/", {"q": "pancakes"}))
    assert f"/rooms/lobby/?at={here.pk}" in html
    assert f"/rooms/kitchen/?at={there.pk}" in html
    assert f"?at={public_elsewhere.pk}" not in html
    assert f"?at={private_elsewhere.pk}" not in html
    assert "garden" not in html.lower()
    assert "hideout" not in html.lower()


def test_search_in_one_room_only_returns_that_rooms_messages(auth_client, member, kitchen):
    here = post(member.room, member.user, "waffles in the lobby")
    there = post(kitchen, member.user, "waffles in the kitchen")

    html = found(auth_client.get("/search/", {"q": "waffles", "room": "kitchen"}))

    assert f"/rooms/kitchen/?at={there.pk}" in html
    assert f"?at={here.pk}" not in html
    assert [m.pk for m in message_search(user=member.user, query="waffles", room=kitchen)] == [
        there.pk
    ]


@pytest.mark.parametrize("slug", ["garden", "hideout", "nowhere"])
def test_searching_a_room_i_am_not_in_is_a_404(auth_client, member, garden, hideout, slug):
    """Not a member, private, or no such room: the same answer, so nothing leaks."""
    response = auth_client.get("/search/", {"q": "pancakes", "room": slug})

    assert response.status_code == 404


def test_search_is_for_signed_in_people(client, room):
    response = client.get("/search/", {"q": "pancakes"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_deleted_messages_are_never_found(auth_client, member, other_member):
    kept = post(member.room, other_member.user, "crumpets are fine")
    removed = post(member.room, other_member.user, "crumpets are forbidden")
    message_delete(room=member.room, user=other_member.user, message_id=removed.pk)

    html = found(auth_client.get("/search/", {"q": "crumpets"}))

    assert f"?at={kept.pk}" in html
    assert "forbidden" not in html
    assert [m.pk for m in message_search(user=member.user, query="crumpets")] == [kept.pk]


def test_leaving_a_room_leaves_its_messages_out_of_my_results(member, kitchen, other_user):
    MembershipFactory(user=other_user, room=kitchen)
    post(kitchen, other_user, "scones in the kitchen")

    membership_revoke(room=kitchen, user=member.user)

    assert message_search(user=member.user, query="scones") == []


def test_a_conversation_is_searched_by_its_two_people_only(user, other_user, outsider):
    conversation = direct_room_get_or_create(user=user, other=other_user)
    message = post(conversation, user, "psst, the password is swordfish")

    assert [m.pk for m in message_search(user=user, query="swordfish")] == [message.pk]
    assert [m.pk for m in message_search(user=other_user, query="swordfish")] == [message.pk]
    assert message_search(user=outsider, query="swordfish") == []


def test_staff_search_only_the_rooms_they_are_in(staff_user, member):
    """Staff may open any room, but search is about my rooms, for them too."""
    post(member.room, member.user, "bagels on friday")

    assert message_search(user=staff_user, query="bagels") == []


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_finds_nothing(auth_client, member, query):
    post(member.room, member.user, "anything at all")

    assert message_search(user=member.user, query=query) == []
    assert "?at=" not in found(auth_client.get("/search/", {"q": query}))


def test_search_ignores_case(member):
    message = post(member.room, member.user, "Pancakes With Syrup")

    assert [m.pk for m in message_search(user=member.user, query="pancakes SYRUP")] == [message.pk]


def test_every_word_must_match(member):
    both = post(member.room, member.user, "pancakes with syrup")
    post(member.room, member.user, "pancakes with jam")

    assert [m.pk for m in message_search(user=member.user, query="pancakes syrup")] == [both.pk]


@pytest.mark.parametrize(
    "query", ['"', "'", "-", "!", "&|!", "():*", 'pancake" OR "1"="1', "\\", "%_%", "<>"]
)
def test_operator_characters_in_a_query_never_break_the_search(auth_client, member, query):
    post(member.room, member.user, "pancakes")

    assert auth_client.get("/search/", {"q": query}).status_code == 200


def test_results_are_capped(member):
    MessageFactory.create_batch(SEARCH_LIMIT + 5, room=member.room, body="bulk toast")

    assert len(message_search(user=member.user, query="toast")) == SEARCH_LIMIT


def test_results_show_the_formatted_message_and_link_to_it_in_context(auth_client, member):
    message = post(member.room, member.user, "**muffins** [recipe](https://example.com)")

    html = found(auth_client.get("/search/", {"q": "muffins"}))

    assert f'href="/rooms/lobby/?at={message.pk}"' in html
    assert "<strong><mark>muffins</mark></strong>" in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_the_query_is_shown_back_escaped(auth_client, member):
    html = found(auth_client.get("/search/", {"q": "<script>alert(1)</script>"}))

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_results_never_render_a_raw_body_as_html(auth_client, member):
    """A row without stored html (older than the column) is shown escaped, never as markup."""
    MessageFactory(
        room=member.room, author=member.user, body="<img src=x onerror=alert(1)> biscuits"
    )

    html = found(auth_client.get("/search/", {"q": "biscuits"}))

    assert "biscuits" in html
    assert "<img src=x onerror=alert(1)>" not in html


# --- What each database backend promises --------------------------------------------


def test_word_forms_match_on_postgresql_and_substrings_on_sqlite(member):
    """PostgreSQL stems ("runs" finds "running"); SQLite finds the letters as typed."""
    running = post(member.room, member.user, "I was running late")
    runs = post(member.room, member.user, "she runs every morning")
    post(member.room, member.user, "a rerun of the show")

    results = [m.pk for m in message_search(user=member.user, query="runs")]

    if ON_POSTGRESQL:
        assert sorted(results) == sorted([running.pk, runs.pk])
    else:
        assert results == [runs.pk]
    # A fragment of a word: only the substring fallback finds it.
    fragment = [m.pk for m in message_search(user=member.user, query="unnin")]
    assert fragment == ([] if ON_POSTGRESQL else [running.pk])


def test_phrases_and_exclusions_on_postgresql_every_word_on_sqlite(member):
    """PostgreSQL reads the query as web search syntax; SQLite drops the quotes."""
    phrase = post(member.room, member.user, "maple syrup on pancakes")
    scattered = post(member.room, member.user, "syrup is not maple, says the chef")

    quoted = {m.pk for m in message_search(user=member.user, query='"maple syrup"')}
    excluded = {m.pk for m in message_search(user=member.user, query="maple -pancakes")}

    if ON_POSTGRESQL:
        assert quoted == {phrase.pk}
        assert excluded == {scattered.pk}
    else:
        assert quoted == {phrase.pk, scattered.pk}
        assert excluded == set()


def test_best_matches_first_on_postgresql_and_newest_first_on_sqlite(member):
    often = post(member.room, member.user, "tea, more tea, and tea again: tea")
    post(member.room, member.user, "coffee only")
    once = post(member.room, member.user, "tea")

    results = [m.pk for m in message_search(user=member.user, query="tea")]

    assert results == ([often.pk, once.pk] if ON_POSTGRESQL else [once.pk, often.pk])


def test_results_mark_the_words_searched_for_in_the_formatted_message(auth_client, member):
    message = post(
        member.room, member.user, "**Muffins** [bake muffins](https://example.com/muffins)"
    )

    html = found(auth_client.get("/search/", {"q": "muffins"}))

    assert "<strong><mark>Muffins</mark></strong>" in html
    assert '<a href="https://example.com/muffins"' in html
    assert "bake <mark>muffins</mark></a>" in html
    assert f'href="/rooms/lobby/?at={message.pk}"' in html


def test_marking_a_hostile_body_keeps_it_text(auth_client, member):
    post(member.room, member.user, "<script>alert(1)</script> scones")
    MessageFactory(room=member.room, author=member.user, body="<img src=x onerror=alert(1)> scones")

    html = found(auth_client.get("/search/", {"q": "scones"}))

    assert html.count("<mark>scones</mark>") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>scones</mark>" in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>scones</mark>" in html
    assert "<script>alert(1)" not in html
    assert "<img" not in html


def test_the_mentions_page_marks_nothing(auth_client, member, other_member):
    post(member.room, other_member.user, f"@{member.user.username} muffins")

    html = found(auth_client.get("/mentions/"))

    assert "muffins" in html
    assert "<mark>" not in html
