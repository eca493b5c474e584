"""Refreshing class pairs (outcomes.services): scoring rules read from the instrument
version, which responses count, matching, fidelity, idempotency and the data version,
triggers through the outbox and at closing time, and rollups kept through the purge."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from outcomes import services, tasks
from outcomes.models import AreaRollup, ClassPair, ClassRollup, DataVersion
from outcomes.selectors import data_versions
from surveys import sgic
from surveys.models import Participant, Response, SurveyWindow
from surveys.services.outbox import outbox_relay
from surveys.services.retention import pupil_data_purge
from surveys.services.windows import window_close
from surveys.services.withdrawal import pupil_withdraw
from tests.factories import MembershipFactory
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.outcomes.helpers import answer, closed_class, make_pupil, outcome_version, programme_page

pytestmark = pytest.mark.django_db

SAFETY_ALL = {"SAF_01": 4, "SAF_02": 2, "SAF_03": 4, "SAF_04": 2, "SAF_05": 4}  # keyed: 4 each


def _row(group, scale="safety", dimension="all", category="", compare="post"):
    return ClassRollup.objects.get(
        group_id=group.pk, scale_code=scale, dimension=dimension, category=category, compare=compare
    )


def _refresh(*groups):
    return services.class_pairs_refresh(keys=[(g.pk, "post") for g in groups])


@pytest.fixture
def setup():
    version = outcome_version()
    programme = programme_page()
    group, baseline, post = closed_class(programme=programme, version=version)
    return version, programme, group, baseline, post


# --- Scoring ---------------------------------------------------------------------------


def test_reverse_keyed_items_are_scored_min_plus_max_minus_raw_from_each_items_own_scale(setup):
    _version, _programme, group, baseline, post = setup
    pupil = make_pupil(baseline)
    # safety: 5-point items, SAF_02 and SAF_04 reversed: keyed 5, 5, 5, 5, 5 -> score 5.
    # violence: VIO_02 reversed on 1-5, VIO_04 reversed on the 3-face scale (1 + 3 - raw).
    answer(baseline, pupil, {"SAF_01": 5, "SAF_02": 1, "SAF_03": 5, "SAF_04": 1, "SAF_05": 5})
    answer(post, pupil, {"SAF_01": 5, "SAF_02": 1, "SAF_03": 5, "SAF_04": 1, "SAF_05": 5})
    _refresh(group)

    row = _row(group)
    assert row.unit == 20  # lcm(4, 5): 4 or 5 of 5 items answered
    assert (row.n_matched, row.sum_x, row.sum_y) == (1, 5 * 20, 5 * 20)


def test_a_scale_is_scored_only_when_four_fifths_of_its_items_have_a_value(setup):
    _version, _programme, group, baseline, post = setup
    four_of_five, three_of_five, dont_know = make_pupil(baseline), make_pupil(baseline), make_pupil(baseline)
    # keyed 4, 5, 4, 5 (SAF_04 missing): 80 % answered -> score 18/4 = 4.5
    answer(baseline, four_of_five, {"SAF_01": 4, "SAF_02": 1, "SAF_03": 4, "SAF_04": "skip", "SAF_05": 5})
    answer(post, four_of_five, SAFETY_ALL)
    # only three values: not scored at baseline, so this pupil's post score is unmatched
    answer(baseline, three_of_five, {"SAF_01": 4, "SAF_02": "dk", "SAF_03": 4, "SAF_05": "pns"})
    answer(post, three_of_five, SAFETY_ALL)
    # "Don't know" and "Prefer not to say" are never values, whatever is stored beside them
    answer(baseline, dont_know, dict.fromkeys(SAFETY_ALL, "dk"))
    _refresh(group)

    row = _row(group)
    assert row.n_matched == 1
    assert row.sum_x == 90  # 4.5 x 20
    assert row.sum_y == 80
    assert row.n_lost == 0
    assert (row.n_unmatched, row.sum_unmatched) == (1, 80)
    pair = ClassPair.objects.get(group=group, compare="post")
    assert (pair.n_baseline_responses, pair.n_later_responses, pair.n_linked) == (3, 2, 2)


def test_only_completed_responses_count_never_in_progress_conflicts_or_over_quota(setup):
    _version, _programme, group, baseline, post = setup
    counted = make_pupil(baseline)
    answer(baseline, counted, SAFETY_ALL)
    answer(post, counted, SAFETY_ALL)
    for status in (Response.Status.IN_PROGRESS, Response.Status.CONFLICT, Response.Status.OVER_QUOTA):
        other = make_pupil(baseline)
        answer(baseline, other, SAFETY_ALL, status=status)
        answer(post, other, SAFETY_ALL, status=status)
    _refresh(group)

    assert _row(group).n_matched == 1
    assert ClassPair.objects.get(group=group).n_baseline_responses == 1


def test_a_pair_counts_only_once_both_windows_have_closed():
    version, programme = outcome_version(), programme_page()
    group, baseline, post = closed_class(programme=programme, version=version, close_later=False)
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    _refresh(group)
    assert not ClassRollup.objects.filter(group_id=group.pk).exists()

    with freeze_time(timezone.now() + dt.timedelta(days=4)):
        _refresh(group)
    assert _row(group).n_matched == 1


# --- Matching --------------------------------------------------------------------------


def test_cards_match_by_participant_and_pupils_without_a_card_stay_unmatched(setup):
    _version, _programme, group, baseline, post = setup
    both, baseline_only, post_only = make_pupil(baseline), make_pupil(baseline), make_pupil(baseline)
    answer(baseline, both, SAFETY_ALL)
    answer(post, both, SAFETY_ALL)
    answer(baseline, baseline_only, SAFETY_ALL)
    answer(post, post_only, SAFETY_ALL)
    answer(baseline, None, SAFETY_ALL)
    answer(post, None, SAFETY_ALL)
    _refresh(group)

    row = _row(group)
    assert (row.n_matched, row.n_exact, row.n_fuzzy, row.n_lost, row.n_unmatched) == (1, 1, 0, 2, 2)


def _own_code(school, year, answers):
    hashes = sgic.hash_elements(answers, school_id=school.pk)
    participant, _ = Participant.objects.get_or_create(
        school=school,
        academic_year=year,
        code_hash=hashes.code_hash,
        defaults={"sgic_element_hashes": hashes.element_hashes},
    )
    return participant


def test_own_codes_match_exactly_then_with_one_differing_element_when_unique(setup):
    from tests.surveys.factories import SGIC_ANSWERS

    _version, _programme, group, baseline, post = setup
    school, year = group.school, group.academic_year
    same = _own_code(school, year, SGIC_ANSWERS)
    answer(baseline, same, SAFETY_ALL, gender="girl")
    answer(post, same, SAFETY_ALL, gender="girl")
    # A pupil who remembered one element differently at post: a fuzzy match.
    first = {**SGIC_ANSWERS, "carer_initial": "T", "birth_month": "07", "older_siblings": "3"}
    answer(baseline, _own_code(school, year, first), SAFETY_ALL, gender="boy")
    answer(post, _own_code(school, year, {**first, "eye_colour": "blue"}), SAFETY_ALL, gender="boy")
    # A pupil whose code differs in two elements is not matched.
    other = {**SGIC_ANSWERS, "carer_initial": "K", "birth_month": "11", "older_siblings": "0"}
    answer(baseline, _own_code(school, year, other), SAFETY_ALL)
    answer(post, _own_code(school, year, {**other, "eye_colour": "green", "birth_town_initial": "Z"}), SAFETY_ALL)
    _refresh(group)

    row = _row(group)
    assert (row.n_matched, row.n_exact, row.n_fuzzy, row.n_lost, row.n_unmatched) == (2, 1, 1, 1, 1)
    pair = ClassPair.objects.get(group=group)
    assert (pair.n_linked, pair.n_exact, pair.n_fuzzy) == (2, 1, 1)


def test_a_matched_pupil_takes_the_baseline_subgroup_or_the_later_one_where_baseline_is_blank(setup):
    _version, _programme, group, baseline, post = setup
    changed, blank_at_baseline = make_pupil(baseline), make_pupil(baseline)
    answer(baseline, changed, SAFETY_ALL, gender="girl", ethnic_group="asian")
    answer(post, changed, SAFETY_ALL, gender="other", ethnic_group="mixed")
    answer(baseline, blank_at_baseline, SAFETY_ALL)
    answer(post, blank_at_baseline, SAFETY_ALL, gender="boy")
    _refresh(group)

    assert _row(group, dimension="gender", category="girl").n_matched == 1
    assert _row(group, dimension="gender", category="boy").n_matched == 1
    assert not ClassRollup.objects.filter(group_id=group.pk, dimension="gender", category="other").exists()
    assert _row(group, dimension="ethnicity", category="asian").n_matched == 1
    assert _row(group, dimension="ethnicity", category="not_recorded").n_matched == 1


# --- Fidelity, idempotency, data version --------------------------------------------------


def test_fidelity_counts_the_programmes_lessons_logged_between_the_windows(setup):
    _version, programme, group, baseline, post = setup
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(4)]
    during = timezone.localdate() - dt.timedelta(days=20)
    LessonDeliveryFactory(group=group, lesson=lessons[0], delivered_on=during)
    LessonDeliveryFactory(group=group, lesson=lessons[1], delivered_on=during)
    LessonDeliveryFactory(group=group, lesson=lessons[2], delivered_on=timezone.localdate() - dt.timedelta(days=90))
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    _refresh(group)

    pair = ClassPair.objects.get(group=group)
    assert (pair.lessons_planned, pair.lessons_delivered) == (4, 2)
    assert _row(group).dose_band == 1  # half or more of the lessons
    assert services.dose_band(4, 4) == 2 and services.dose_band(1, 4) == 0 and services.dose_band(3, 0) is None


def test_refreshing_twice_writes_the_same_rows_and_moves_the_data_version_only_on_change(setup):
    _version, programme, group, baseline, post = setup
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    assert data_versions([programme.pk]) == {programme.pk: 0}
    first = _refresh(group)
    rows = list(ClassRollup.objects.order_by("scale_code", "dimension", "category").values())
    areas = list(AreaRollup.objects.order_by("scale_code", "dimension", "category").values())
    version_after_first = DataVersion.objects.get(programme_id=programme.pk).version

    second = _refresh(group)

    assert (first.changed, second.changed) == (1, 0)
    assert list(ClassRollup.objects.order_by("scale_code", "dimension", "category").values()) == rows
    assert list(AreaRollup.objects.order_by("scale_code", "dimension", "category").values()) == areas
    assert DataVersion.objects.get(programme_id=programme.pk).version == version_after_first >= 1

    late = make_pupil(baseline)
    answer(baseline, late, SAFETY_ALL)
    _refresh(group)
    assert DataVersion.objects.get(programme_id=programme.pk).version == version_after_first + 1


def test_area_rollups_are_the_exact_sum_of_their_classes():
    version, programme = outcome_version(), programme_page()
    groups = []
    for scores in ([4, 5, 3], [2, 2, 5, 1]):
        group, baseline, post = closed_class(programme=programme, version=version, authority_slug="dudley")
        groups.append(group)
        for value in scores:
            pupil = make_pupil(baseline)
            answer(baseline, pupil, dict.fromkeys(("SAF_01", "SAF_03", "SAF_05"), value) | {"SAF_02": 3, "SAF_04": 3})
            answer(post, pupil, SAFETY_ALL)
    _refresh(*groups)

    area = AreaRollup.objects.get(scale_code="safety", dimension="all", local_authority__slug="dudley", year_group=8)
    classes = ClassRollup.objects.filter(scale_code="safety", dimension="all")
    for name in ("n_matched", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy", "n_lost", "n_unmatched"):
        assert getattr(area, name) == sum(getattr(c, name) for c in classes)
    assert area.n_classes == 2 and area.sum_class_n2 == 9 + 16
    assert set(area.school_n) == set(area.school_change) == {str(g.school_id) for g in groups}
    assert area.school_n == {str(c.school_id): c.n_matched for c in classes}
    merged: dict[str, int] = {}
    for c in classes:
        for key, count in c.histogram.items():
            merged[key] = merged.get(key, 0) + count
    assert area.histogram == merged
    # The authority's all-year-groups row is the same sum (one year group here).
    every_year = AreaRollup.objects.get(scale_code="safety", dimension="all", year_group=services.ALL_YEAR_GROUPS)
    assert (every_year.n_matched, every_year.sum_xy, every_year.histogram) == (area.n_matched, area.sum_xy, merged)
    assert every_year.school_n == area.school_n and every_year.n_classes == 2


# --- Triggers ----------------------------------------------------------------------------


def test_closing_a_window_by_hand_refreshes_its_class_through_the_outbox():
    version, programme = outcome_version(), programme_page()
    group, baseline, post = closed_class(programme=programme, version=version, close_later=False)
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)

    window_close(actor=group.teacher, window=post)
    assert not ClassRollup.objects.exists()  # nothing until the relay runs
    outbox_relay()

    assert _row(group).n_matched == 1


def test_windows_closed_at_their_closing_time_are_found_by_the_beat_job():
    version, programme = outcome_version(), programme_page()
    group, baseline, post = closed_class(programme=programme, version=version, close_later=False)
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    assert services.pairs_due() == []
    # A class with only a baseline (no post survey yet) has nothing to refresh.
    other, _b, _p = closed_class(programme=programme, version=version, close_later=False)
    SurveyWindow.objects.filter(group=other, wave="post").delete()
    SurveyWindow.objects.filter(group=other, wave="baseline").update(closes_at=post.closes_at)

    with freeze_time(post.closes_at + dt.timedelta(minutes=5)):
        assert services.pairs_due() == [(group.pk, "post")]
        assert tasks.refresh_closed_windows.apply().get() == 1
        assert services.pairs_due() == []
    assert _row(group).n_matched == 1
    entry = settings.CELERY_BEAT_SCHEDULE["outcomes-refresh-closed-windows"]
    assert entry["task"] == tasks.refresh_closed_windows.name and entry["schedule"] <= 600


def test_the_nightly_job_refreshes_every_pair(setup):
    _version, _programme, group, baseline, post = setup
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)

    assert tasks.refresh_all.apply().get() == 1
    assert _row(group).n_matched == 1
    entry = settings.CELERY_BEAT_SCHEDULE["outcomes-refresh-all"]
    assert entry["task"] == tasks.refresh_all.name and entry["schedule"] == 24 * 3600
    assert tasks.refresh_pairs.acks_late and tasks.refresh_windows.acks_late


def test_withdrawing_a_pupil_removes_them_from_every_rollup_through_the_outbox(setup):
    _version, _programme, group, baseline, post = setup
    lead = MembershipFactory(school=group.school, role="school_lead").user
    pupils = [make_pupil(baseline) for _ in range(3)]
    for pupil in pupils:
        answer(baseline, pupil, SAFETY_ALL, gender="girl")
        answer(post, pupil, SAFETY_ALL, gender="girl")
    _refresh(group)
    assert _row(group).n_matched == 3

    pupil_withdraw(actor=lead, school=group.school, academic_year=group.academic_year, card_code=pupils[0].card_code)
    outbox_relay()

    assert _row(group).n_matched == 2
    assert _row(group, dimension="gender", category="girl").n_matched == 2
    assert {a.n_matched for a in AreaRollup.objects.filter(scale_code="safety", dimension="all")} == {2}


# --- Retention: purged pairs are kept, never rebuilt to empty ---------------------------------


def test_purged_responses_keep_their_rollups_through_refresh_and_rebuild(setup):
    _version, programme, group, baseline, post = setup
    for _ in range(3):
        pupil = make_pupil(baseline)
        answer(baseline, pupil, SAFETY_ALL)
        answer(post, pupil, SAFETY_ALL)
    before = list(ClassRollup.objects.values_list("scale_code", "dimension", "category", "n_matched"))
    assert before == []  # not built yet: the purge must build them before the data goes

    purge_day = timezone.localdate() + dt.timedelta(days=800)
    with freeze_time(purge_day):
        result = pupil_data_purge()
        assert result.responses == 6 and not Response.objects.exists()
        services.class_pairs_refresh(keys=[(group.pk, "post")])
        call_command("rebuild_outcomes", "--force", stdout=io.StringIO(), stderr=io.StringIO())

    pair = ClassPair.objects.get(group=group, compare="post")
    assert pair.is_frozen and "purged" in pair.frozen_reason
    assert _row(group).n_matched == 3
    assert {a.n_matched for a in AreaRollup.objects.filter(scale_code="safety", dimension="all")} == {3}


def test_purged_linkage_freezes_the_pairs_before_responses_lose_their_participant(setup):
    _version, _programme, group, baseline, post = setup
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    _refresh(group)

    with freeze_time(timezone.localdate() + dt.timedelta(days=400)):
        result = pupil_data_purge()
        assert result.unlinked_responses == 2 and result.responses == 0
        services.outcomes_rebuild(force=True)

    assert _row(group).n_matched == 1  # not 0: the unlinked responses are never re-matched
    assert ClassPair.objects.get(group=group, compare="post").frozen_reason == "linkage purged"


# --- rebuild_outcomes -------------------------------------------------------------------------


def test_rebuild_command_builds_everything_and_shows_progress(setup):
    _version, _programme, group, baseline, post = setup
    pupil = make_pupil(baseline)
    answer(baseline, pupil, SAFETY_ALL)
    answer(post, pupil, SAFETY_ALL)
    out, err = io.StringIO(), io.StringIO()

    call_command("rebuild_outcomes", "--batch-size", "1", stdout=out, stderr=err)

    assert "[" + "#" * 30 + "] 1/1 batches" in err.getvalue()
    assert "Rebuilt 1 class pairs (1 changed" in out.getvalue()
    assert _row(group).n_matched == 1
    # A class whose later window was removed drops out on the next rebuild.
    Response.objects.filter(window=post).delete()
    SurveyWindow.objects.filter(pk=post.pk).delete()
    call_command("rebuild_outcomes", "--no-progress", stdout=io.StringIO())
    assert not ClassRollup.objects.exists() and not AreaRollup.objects.exists()
