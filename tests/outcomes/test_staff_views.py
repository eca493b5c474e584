"""Teachers' and school leads' results pages (outcomes/staff_views.py): what each sees, in
words and numbers, and that nobody reaches another class's or school's figures by changing
an id, a filter or anything else in the address (404), while a pending teacher sees nothing.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from outcomes import services
from outcomes.filters import OutcomeFilter
from outcomes.selectors import outcome_table
from tests.factories import MembershipFactory, SchoolFactory
from tests.lessons.factories import TeachingGroupFactory
from tests.outcomes.helpers import authority, closed_class, outcome_version, populate, programme_page

pytestmark = pytest.mark.django_db

MONITORING_WORDS = "Monitoring, not proof."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _with_query(url: str, query: dict) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _class_url(group, **query) -> str:
    return _with_query(reverse("outcomes_staff:class_results", args=[group.pk]), query)


def _school_url(school, **query) -> str:
    return _with_query(reverse("outcomes_staff:school_results", args=[school.pk]), query)


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def world():
    """School A: class 8A (20 matched pupils, clear rise in safety) taught by teacher A,
    class 8C (9 matched) and class 8D (12 matched, hidden too so that 8C cannot be worked
    out from the school's figure), each with its own teacher, and a school lead. School B:
    class 8B (15 matched) and its teacher."""
    version, programme = outcome_version(), programme_page()
    school_a = SchoolFactory(name="Alder School", local_authority=authority("coventry"))
    school_b = SchoolFactory(name="Birch School", local_authority=authority("coventry"))
    groups = {}
    for name, school, n in (("8A", school_a, 20), ("8C", school_a, 9), ("8D", school_a, 12), ("8B", school_b, 15)):
        group, baseline, post = closed_class(programme=programme, version=version, school=school)
        group.name = name
        group.save()
        populate(baseline, post, n, shift=1, lost=2)
        groups[name] = group
    lead = MembershipFactory(school=school_a, role=Membership.Role.SCHOOL_LEAD).user
    pending = MembershipFactory(school=school_a, status=Membership.Status.PENDING).user
    services.class_pairs_refresh(keys=services.all_pair_keys())
    return {"programme": programme, "a": school_a, "b": school_b, "lead": lead, "pending": pending, **groups}


def _published(world, group, scale="safety"):
    table = outcome_table(
        OutcomeFilter.parse(school=group.school.urn, academic_year=2026, scopes=("school", "class")).resolve()
    )
    return next(
        r
        for r in table.rows
        if r.scope == "class" and r.scope_id == str(group.pk) and r.scale == scale and r.subgroup == "all"
    )


# --- What a teacher sees -------------------------------------------------------------------


def test_teacher_sees_their_class_change_in_words_with_the_numbers_and_the_caveat(world):
    group = world["8A"]
    response = _client(group.teacher).get(_class_url(group))
    assert response.status_code == 200
    text = _text(response)
    row = _published(world, group)
    summary = row.figures.summary
    assert summary.ci_low > 0
    amount = f"{round(summary.mean_change, 2):.2f}".rstrip("0").rstrip(".")
    points = "1 point" if amount == "1" else f"{amount} points"  # "1 point", never "1 points"
    assert f"Pupils' feeling safe went up by {points} on a 1 to 5 scale" in text
    # The numbers beside the words: means, change with its interval, matched pupils, match rate.
    for number in (
        f"{summary.baseline_mean:.2f}",
        f"{summary.post_mean:.2f}",
        f"{summary.mean_change:+.2f} ({summary.ci_low:+.2f} to {summary.ci_high:+.2f})",
        f"{round(20 / 22 * 100)}%",
    ):
        assert number in text
    assert re.search(r"feeling safe.*? 20 ", text)
    assert MONITORING_WORDS in text and "comparison group" in text


def test_a_class_of_9_matched_pupils_reads_fewer_than_10_and_shows_no_figure(world):
    group = world["8C"]
    response = _client(group.teacher).get(_class_url(group))
    text = _text(response)
    assert "Feeling safe: fewer than 10 pupils answered both surveys" in text
    assert "fewer than 10" in text and " 9 " not in text
    table = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert not re.search(r"<td>[+-]?\d", table)  # no mean, change, count or rate in the table


def test_my_results_lists_each_of_the_teachers_classes_and_only_theirs(world):
    teacher = world["8A"].teacher
    TeachingGroupFactory(membership=Membership.objects.get(user=teacher), name="9Z", programme=world["programme"])
    text = _text(_client(teacher).get(reverse("outcomes_staff:my_results")))
    assert "8A" in text and "9Z" in text
    assert "No results yet: run the baseline survey before the first lesson." in text
    assert "8C" not in text and "8D" not in text and "8B" not in text and "Birch School" not in text


def test_a_co_teacher_sees_the_class_and_a_lead_finds_the_school_from_their_results(world):
    group = world["8A"]
    co_teacher = MembershipFactory(school=world["a"]).user
    group.co_teachers.add(co_teacher)
    client = _client(co_teacher)
    assert client.get(_class_url(group)).status_code == 200
    assert "8A" in _text(client.get(reverse("outcomes_staff:my_results")))
    lead_page = _client(world["lead"]).get(reverse("outcomes_staff:my_results")).content.decode()
    assert f'href="{_school_url(world["a"])}"' in lead_page


def test_the_class_page_links_to_its_results(world):
    group = world["8A"]
    page = _client(group.teacher).get(reverse("lessons:group_detail", args=[group.pk])).content.decode()
    assert f'href="{_class_url(group)}"' in page


# --- What a school lead sees ---------------------------------------------------------------


def test_school_lead_sees_the_school_and_each_class_with_the_same_numbers_as_the_teacher(world):
    lead = world["lead"]
    response = _client(lead).get(_school_url(world["a"]))
    assert response.status_code == 200
    text = _text(response)
    assert "The whole school" in text and "8A" in text and "8C" in text and "Birch School" not in text
    assert "8B" not in text
    teacher_text = _text(_client(world["8A"].teacher).get(_class_url(world["8A"])))
    summary = _published(world, world["8A"]).figures.summary
    both = f"{summary.mean_change:+.2f} ({summary.ci_low:+.2f} to {summary.ci_high:+.2f})"
    assert both in text and both in teacher_text
    assert "fewer than 10" in text  # 8C
    assert MONITORING_WORDS in text


def test_a_hidden_class_cannot_be_worked_out_from_the_school_figure(world):
    """School A = 8A (20) + 8C (9) + 8D (12): with 8C hidden, showing the school (41), 8A
    and 8D would give 8C away, so 8D is hidden too, and its teacher is told why."""
    table = outcome_table(
        OutcomeFilter.parse(school=world["a"].urn, academic_year=2026, scopes=("school", "class")).resolve()
    )
    safety = {(r.scope, r.scope_id): r for r in table.rows if r.scale == "safety" and r.subgroup == "all"}
    assert safety[("class", str(world["8C"].pk))].suppressed == "fewer than 10"
    assert safety[("class", str(world["8D"].pk))].suppressed == "secondary"
    assert not safety[("school", world["a"].urn)].suppressed and not safety[("class", str(world["8A"].pk))].suppressed
    lead_text = _text(_client(world["lead"]).get(_school_url(world["a"])))
    assert " 41 " in lead_text and " 20 " in lead_text and " 12 " not in lead_text and " 9 " not in lead_text
    teacher_text = _text(_client(world["8D"].teacher).get(_class_url(world["8D"])))
    assert "Feeling safe: not shown, so that a smaller group's result cannot be worked out from it." in teacher_text
    assert " 12 " not in teacher_text


def test_school_lead_may_open_each_class_of_their_school_but_not_another_schools(world):
    lead = _client(world["lead"])
    assert lead.get(_class_url(world["8C"])).status_code == 200
    assert lead.get(_class_url(world["8B"])).status_code == 404
    assert lead.get(_school_url(world["b"])).status_code == 404


# --- Nobody reaches another class's or school's figures --------------------------------------


def test_teacher_changing_the_class_id_gets_404(world):
    teacher = _client(world["8A"].teacher)
    for other in (world["8C"], world["8B"]):  # a colleague's class, another school's class
        assert teacher.get(_class_url(other)).status_code == 404
    for missing in ("999999999", "123456789012345678"):
        assert teacher.get(f"/staff/results/classes/{missing}/").status_code == 404
    assert teacher.get("/staff/results/classes/1234567890123456789/").status_code == 404  # beyond <id:>


def test_teacher_cannot_open_any_school_page_their_own_included(world):
    teacher = _client(world["8A"].teacher)
    assert teacher.get(_school_url(world["a"])).status_code == 404
    assert teacher.get(_school_url(world["b"])).status_code == 404


def test_teacher_changing_a_filter_in_the_address_sees_only_their_own_class(world):
    teacher = _client(world["8A"].teacher)
    other = world["8B"]
    for query in (
        {"school": world["b"].urn},
        {"class": other.pk, "group": other.pk, "group_id": other.pk},
        {"scope": "school", "scopes": "region,school", "local_authority": "coventry"},
        {"programme": "another-programme", "year": 2025},
    ):
        for url in (
            _with_query(_class_url(world["8A"]), query),
            _with_query(reverse("outcomes_staff:my_results"), query),
        ):
            response = teacher.get(url)
            assert response.status_code == 200, url
            text = _text(response)
            assert (
                "Birch School" not in text and "8B" not in text and "8C" not in text and "The whole school" not in text
            )
            assert "Pupils' feeling safe went up" in text  # still their own class, unchanged
    assert teacher.get(_class_url(world["8A"], compare="school")).status_code == 404


def test_school_lead_changing_the_year_to_one_without_classes_gets_404(world):
    lead = _client(world["lead"])
    assert lead.get(_school_url(world["a"], year=2026)).status_code == 200
    for year in ("2025", "1999", "abc", "2026;2025"):
        assert lead.get(_school_url(world["a"], year=year)).status_code == 404


def test_pending_teacher_sees_nothing(world):
    pending = _client(world["pending"])
    for url in (reverse("outcomes_staff:my_results"), _class_url(world["8A"]), _school_url(world["a"])):
        response = pending.get(url)
        assert response.status_code == 403
        assert "went up" not in _text(response) and "fewer than 10" not in _text(response)


def test_signed_out_visitors_are_sent_to_sign_in(world):
    response = Client().get(_class_url(world["8A"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_page_shows_a_pupils_card_code_or_answers(world):
    from surveys.models import Participant

    pages = [
        _client(world["8A"].teacher).get(_class_url(world["8A"])).content.decode(),
        _client(world["lead"]).get(_school_url(world["a"])).content.decode(),
    ]
    hashes = list(Participant.objects.values_list("code_hash", flat=True))
    assert hashes
    for page in pages:
        assert not any(h in page for h in hashes)
        assert "I feel safe at school." not in page  # item wording, i.e. no per-item answers
