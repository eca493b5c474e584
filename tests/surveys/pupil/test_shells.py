"""Pupil pages served from shells (surveys/pupil/shells.py) are exactly the pages their
templates render, for every pupil, school and state, and never carry one pupil's or one
school's values to another."""

from __future__ import annotations

import re
import uuid

import pytest
from django.shortcuts import render
from django.test import Client

from accounts.models import School
from surveys import survey_pages
from surveys.models import Response
from surveys.pupil import caches, shells
from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil, make_response

from .helpers import join_and_assent, post_json

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _plain(request, template_name, context, *, key, slots, store=None, status=200):
    return render(request, template_name, {**context, **slots}, status=status)


def _body(response) -> str:
    assert response.status_code == 200, response.status_code
    return CSRF.sub('name="csrfmiddlewaretoken" value="TOKEN"', response.content.decode())


def _both_ways(client, url: str, monkeypatch) -> tuple[str, str, str]:
    """The page built into a shell, served from it, and rendered without shells."""
    built = _body(client.get(url))
    served = _body(client.get(url))
    with monkeypatch.context() as patched:
        patched.setattr(shells, "render", _plain)
        plain = _body(client.get(url))
    return built, served, plain


def _assert_same(client, url, monkeypatch) -> str:
    built, served, plain = _both_ways(client, url, monkeypatch)
    assert built == plain, url
    assert served == plain, url
    return served


def test_every_page_of_the_flow_is_what_its_template_renders(client, window, pupil, monkeypatch):
    school = window.group.school
    school.dsl_name, school.dsl_contact = "Mr O'Neil & Ms <Khan>", 'Room 4 "by the hall"'
    school.safeguarding_email = "safe@school.example"
    school.save()

    page = _assert_same(client, "/go/?code=4KX7%222PQM", monkeypatch)
    assert 'value="4KX7&quot;2PQM"' in page
    assert client.post("/go/", {"code": window.join_code}).status_code == 302
    page = _assert_same(client, "/go/card/", monkeypatch)
    assert "Mr O&#x27;Neil &amp; Ms &lt;Khan&gt;" in page and "&quot;by the hall&quot;" in page
    assert client.post("/go/card/", {"code": pupil.card_code}).status_code == 302
    _assert_same(client, "/go/start/", monkeypatch)
    assert client.post("/go/start/", {"choice": "yes"}).status_code == 302
    key = client.session["pupil"]["k"]
    assert post_json(client, {"key": key, "page": 1, "seq": 1, "answers": {"SAFE_01": 4}, "final": False}).json()["ok"]

    first = _assert_same(client, "/go/q/1/", monkeypatch)
    assert f'name="key" value="{key}"' in first and 'name="seq" value="2"' in first
    assert 'value="4" checked' in first
    assert first.count('name="csrfmiddlewaretoken"') == 2  # the page's form and "Stop"
    total = int(re.search(r"Page 1 of (\d+)", first).group(1))
    assert total >= 2
    for number in range(2, total + 1):
        page = _assert_same(client, f"/go/q/{number}/", monkeypatch)
        assert f'href="/go/q/{number - 1}/"' in page and f"Back to page {number - 1}" in page
    assert "Send my answers" in page and "data-final" in page

    answers = dict.fromkeys(re.findall(r'name="q_(\w+)"', page), "pns")
    final = {"key": key, "page": total, "seq": 3, "answers": answers, "final": True}
    assert post_json(client, final).json()["completed"]
    thanks = _assert_same(client, "/go/thanks/", monkeypatch)
    assert "sends the code on your card to Mr O&#x27;Neil &amp; Ms &lt;Khan&gt;, the person at school" in thanks


def test_assent_says_the_card_was_used_or_started_elsewhere_as_the_template_does(monkeypatch):
    window = PupilSurveyWindowFactory()
    sent, started = make_pupil(window), make_pupil(window)
    make_response(window, participant=sent)
    make_response(window, participant=started, status=Response.Status.IN_PROGRESS)
    pages = {}
    for name, pupil in (("sent", sent), ("started", started), ("fresh", make_pupil(window))):
        client = Client()
        client.post("/go/", {"code": window.join_code})
        client.post("/go/card/", {"code": pupil.card_code})
        pages[name] = _assert_same(client, "/go/start/", monkeypatch)
    assert "already been used to send answers" in pages["sent"]
    assert "Someone has already started this survey" in pages["started"]
    assert "already" not in pages["fresh"]


def test_schools_on_the_same_questions_each_show_their_own_safeguarding_lead():
    first = PupilSurveyWindowFactory()
    second = PupilSurveyWindowFactory(instrument_version=first.instrument_version)
    School.objects.filter(pk=first.group.school_id).update(dsl_name="Mrs First", dsl_contact="Room 1")
    School.objects.filter(pk=second.group.school_id).update(dsl_name="", dsl_contact="")
    seen = {}
    for window in (first, second, first):
        client = Client()
        key = join_and_assent(client, window, make_pupil(window))
        # A saved page: the version is frozen, so its pages (and their shells) are shared.
        assert post_json(client, {"key": key, "page": 1, "seq": 1, "answers": {}, "final": False}).json()["ok"]
        seen.setdefault(window.pk, []).append(client.get("/go/q/1/").content.decode())
    # This version's pages only (an earlier test's version with the same id has another marker).
    marker = survey_pages.version_marker(first.instrument_version_id, first.instrument_version.created_at)
    (shared,) = [pages for key, pages in survey_pages._PAGES.items() if key[0] == marker]
    assert len(shared[0].shells) == 2  # the same page served both schools, a shell for each footer
    assert all("Mrs First" in page for page in seen[first.pk])
    assert "Mrs First" not in seen[second.pk][0]
    assert "the person who keeps pupils safe" in seen[second.pk][0]


def test_one_pupils_key_sequence_and_answers_never_reach_another(window):
    make_response(window)
    one, two = Client(), Client()
    key_one = join_and_assent(one, window, make_pupil(window))
    key_two = join_and_assent(two, window, make_pupil(window))
    assert post_json(one, {"key": key_one, "page": 1, "seq": 5, "answers": {"SAFE_01": 4}, "final": False}).json()["ok"]
    page_one = one.get("/go/q/1/").content.decode()
    page_two = two.get("/go/q/1/").content.decode()
    assert key_one in page_one and 'name="seq" value="6"' in page_one and 'value="4" checked' in page_one
    assert key_one not in page_two and key_two in page_two
    assert 'name="seq" value="1"' in page_two and "checked" not in page_two


def test_the_token_on_a_shell_page_is_the_sessions_own_and_is_accepted(window, pupil):
    client = Client(enforce_csrf_checks=True)
    for url, data in (("/go/", {"code": window.join_code}), ("/go/card/", {"code": pupil.card_code})):
        client.get(url)  # a shell built by an earlier pupil serves this one
        tokens = set(CSRF.findall(client.get(url).content.decode()))
        assert len(tokens) == 1
        assert client.post(url, {**data, "csrfmiddlewaretoken": tokens.pop()}).status_code == 302
    assert Client(enforce_csrf_checks=True).post("/go/", {"code": window.join_code}).status_code == 403


def test_thanks_names_the_lead_only_while_requests_reach_them(client, window, pupil):
    school = window.group.school
    school.dsl_name, school.safeguarding_email = "Mrs Safe", "safe@school.example"
    school.save()
    key = join_and_assent(client, window, pupil)
    pages = client.get("/go/q/1/").content.decode()
    last = max(int(n) for n in re.findall(r"Page \d+ of (\d+)", pages))
    post_json(client, {"key": key, "page": last, "seq": 1, "answers": {}, "final": True})
    assert "sends the code on your card to Mrs Safe, the person" in client.get("/go/thanks/").content.decode()
    School.objects.filter(pk=school.pk).update(safeguarding_email="")  # nobody named receives them now
    caches.clear()  # the thank-you page's window and school are seconds old at most
    thanks = client.get("/go/thanks/").content.decode()
    assert "to Mrs Safe, the person" not in thanks
    assert "sends the code on your card to the adults at school who help keep you safe" in thanks


def test_a_template_that_changes_a_slot_is_refused(monkeypatch):
    from django.template import engines

    template = engines["django"].from_string("<p>{{ key|upper }}</p>")
    monkeypatch.setattr(shells.loader, "get_template", lambda name: template)
    with pytest.raises(shells.ShellError):
        shells.build("any.html", {}, ["key"])


def test_a_slot_the_caller_does_not_fill_is_an_error(rf):
    pieces = shells.build("surveys/pupil/join.html", {}, ["code"])
    with pytest.raises(KeyError):
        shells.fill(rf.get("/go/"), pieces, {})
    assert str(uuid.UUID(int=1)) in shells.fill(rf.get("/go/"), pieces, {"code": str(uuid.UUID(int=1))})
