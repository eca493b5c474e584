"""How many SQL statements a question page and a page save cost, so the per-request
overhead found by the load benchmark (bench/RESULTS.md, findings 3 to 5) can't creep back.
Counts include the session read; they do not depend on how many questions a page has."""

from __future__ import annotations

import pytest

from surveys import survey_pages
from surveys.models import Answer, PageSave, Response

from .helpers import join_and_assent, post_json


@pytest.fixture(autouse=True)
def _empty_pages_cache():
    survey_pages.clear()
    yield
    survey_pages.clear()


def _save(client, key, page, seq, answers, final=False):
    return post_json(client, {"key": key, "page": page, "seq": seq, "answers": answers, "final": final})


def test_question_page_before_the_first_save(client, window, pupil, django_assert_max_num_queries):
    join_and_assent(client, window, pupil)
    # session, window, response (none yet), scales, items: no answers or sequence to read
    with django_assert_max_num_queries(5):
        assert client.get("/go/q/1/").status_code == 200


def test_question_page_after_a_save_reads_the_response_once(client, window, pupil, django_assert_max_num_queries):
    key = join_and_assent(client, window, pupil)
    assert _save(client, key, 1, 1, {"SAFE_01": 4}).status_code == 200
    client.get("/go/q/2/")  # the first page view after a response exists fills the pages cache
    # session, then the response with its highest sequence and saved answers in one
    # statement; the window (a few seconds) and the pages come from the in-process caches
    with django_assert_max_num_queries(2) as captured:
        page = client.get("/go/q/1/")
    assert page.status_code == 200 and b'name="seq" value="2"' in page.content
    assert b'value="4" checked' in page.content
    assert sum("surveys_response" in q["sql"] and "SELECT" in q["sql"] for q in captured.captured_queries) == 1
    assert not any("surveys_surveywindow" in q["sql"] for q in captured.captured_queries)


def test_page_save_statements(client, window, pupil, django_assert_max_num_queries):
    key = join_and_assent(client, window, pupil)
    assert _save(client, key, 1, 1, {"SAFE_01": 4}).status_code == 200
    assert _save(client, key, 1, 2, {"SAFE_01": 4}).status_code == 200  # fills the pages cache
    # session, lock window, response FOR UPDATE, page save (+ newer check; a replay is found
    # by the insert itself), answers; pages come from the cache. The test's SAVEPOINT and
    # RELEASE stand for BEGIN and COMMIT and are counted. The same statements on SQLite.
    with django_assert_max_num_queries(7):
        assert _save(client, key, 2, 3, {"HELP_01": 2}).status_code == 200
    assert Answer.objects.filter(item__code="HELP_01", value=2).exists()
    assert PageSave.objects.filter(page_no=2, client_seq=3).exists()


def test_replay_and_changed_body_keep_their_meaning_with_the_single_statement_save(client, window, pupil):
    key = join_and_assent(client, window, pupil)
    first = _save(client, key, 1, 1, {"SAFE_01": 4})
    assert _save(client, key, 1, 1, {"SAFE_01": 4}).json() == first.json()
    assert _save(client, key, 1, 1, {"SAFE_01": 5}).status_code == 422
    # an older save arriving late is recorded but does not overwrite the newer answers
    assert _save(client, key, 1, 3, {"SAFE_01": 2}).status_code == 200
    assert _save(client, key, 1, 2, {"SAFE_01": 1}).status_code == 200
    assert Answer.objects.get(item__code="SAFE_01").value == 2
    assert PageSave.objects.filter(page_no=1).count() == 3 and Response.objects.count() == 1


def test_pages_of_an_unanswered_version_are_never_cached(client, window, pupil):
    """A published version nobody has answered can still be edited in the admin."""
    join_and_assent(client, window, pupil)
    assert b"I feel safe at school." in client.get("/go/q/1/").content
    item = window.instrument_version.items.get(code="SAFE_01")
    item.text = "I feel safe in my school."
    item.save(update_fields=["text"])
    assert b"I feel safe in my school." in client.get("/go/q/1/").content
