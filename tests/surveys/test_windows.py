"""Opening and closing survey windows: the 10-school-day rule, join codes, who may act."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Membership
from surveys import codes
from surveys.models import InstrumentVersion, SurveyWindow, TalkRequest
from surveys.services import windows as svc
from tests.factories import MembershipFactory
from tests.surveys.factories import SurveyWindowFactory, TeachingGroupFactory, make_version

pytestmark = pytest.mark.django_db


def _aware(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _open(group, *, letter: dt.date, opens: dt.date, actor=None, version=None, wave="baseline", **extra):
    return svc.window_open(
        actor=actor or group.teacher,
        group=group,
        wave=wave,
        instrument_version=version or make_version(),
        opens_at=_aware(opens),
        closes_at=_aware(opens + dt.timedelta(days=7)),
        optout_letter_sent_on=letter,
        **extra,
    )


def test_school_days_skip_weekends():
    monday = dt.date(2026, 11, 2)
    assert svc.add_school_days(monday, 10) == dt.date(2026, 11, 16)
    assert svc.earliest_open_date(dt.date(2026, 11, 6)) == dt.date(2026, 11, 20)  # Friday -> Friday
    assert svc.earliest_open_date(dt.date(2026, 11, 7)) == dt.date(2026, 11, 20)  # Saturday counts from Monday


@freeze_time("2026-11-03 10:00")
def test_window_cannot_open_before_ten_school_days_after_the_letter():
    group = TeachingGroupFactory()
    with pytest.raises(svc.WindowError) as error:
        _open(group, letter=dt.date(2026, 11, 2), opens=dt.date(2026, 11, 13))
    message = " ".join(error.value.message_dict["opens_at"])
    assert "earliest this survey can open is Monday 16 November 2026" in message
    assert not SurveyWindow.objects.exists()


@freeze_time("2026-11-03 10:00")
def test_window_opens_on_the_tenth_school_day():
    group = TeachingGroupFactory()
    window = _open(group, letter=dt.date(2026, 11, 2), opens=dt.date(2026, 11, 16))
    assert window.dpia_reference and window.opened_by == group.teacher
    assert window.linkage == SurveyWindow.Linkage.CARDS


@freeze_time("2026-11-03 10:00")
def test_letter_date_in_the_future_is_refused():
    with pytest.raises(svc.WindowError) as error:
        _open(TeachingGroupFactory(), letter=dt.date(2026, 11, 4), opens=dt.date(2026, 12, 1))
    assert "optout_letter_sent_on" in error.value.message_dict


def test_window_records_the_dpia_reference_from_settings(settings):
    settings.UPSTREAM_DPIA_REFERENCE = "DPIA-42"
    window = _open(TeachingGroupFactory(), letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20))
    assert window.dpia_reference == "DPIA-42"


def test_only_published_age_appropriate_versions_are_accepted():
    group = TeachingGroupFactory(year_group=8)
    for version, field in [
        (make_version(status=InstrumentVersion.Status.DRAFT), "instrument_version"),
        (make_version(min_age=14, max_age=16), "instrument_version"),
        (make_version(licence="permission_pending"), "instrument_version"),
    ]:
        with pytest.raises(svc.WindowError) as error:
            _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20), version=version)
        assert field in error.value.message_dict


def test_a_second_window_for_the_same_wave_is_refused():
    group = TeachingGroupFactory()
    _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20))
    with pytest.raises(svc.WindowError) as error:
        _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 2, 20))
    assert "already has a baseline" in " ".join(error.value.message_dict["wave"])
    _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 3, 20), wave="post")


def test_join_code_is_eight_symbols_from_the_unambiguous_alphabet_and_unique():
    group = TeachingGroupFactory()
    windows = [
        _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20), wave=wave)
        for wave in SurveyWindow.Wave.values
    ]
    for window in windows:
        assert len(window.join_code) == codes.JOIN_CODE_LENGTH == 8
        assert set(window.join_code) <= set(codes.JOIN_ALPHABET)
        assert not set(window.join_code) & set("ILOU")
    assert len({window.join_code for window in windows}) == 3


def test_join_code_collision_is_retried(monkeypatch):
    existing = SurveyWindowFactory()
    draws = iter([existing.join_code, existing.join_code, "ABCD2345"])
    monkeypatch.setattr(svc, "new_join_code", lambda: next(draws))
    window = _open(TeachingGroupFactory(), letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20))
    assert window.join_code == "ABCD2345"


def test_co_teacher_and_school_lead_may_open_but_other_staff_may_not():
    group = TeachingGroupFactory()
    co_teacher = MembershipFactory(school=group.school).user
    group.co_teachers.add(co_teacher)
    lead = MembershipFactory(school=group.school, role=Membership.Role.SCHOOL_LEAD).user
    colleague = MembershipFactory(school=group.school).user
    stranger = MembershipFactory().user
    assert svc.can_manage_group(co_teacher, group) and svc.can_manage_group(lead, group)
    assert not svc.can_manage_group(colleague, group) and not svc.can_manage_group(stranger, group)
    with pytest.raises(PermissionDenied):
        _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20), actor=stranger)


def test_a_teacher_whose_membership_is_revoked_cannot_manage_their_old_class():
    group = TeachingGroupFactory()
    Membership.objects.filter(user=group.teacher).update(status=Membership.Status.REVOKED)
    assert not svc.can_manage_group(group.teacher, group)


def test_closing_by_hand_sets_closed_at_and_is_harmless_twice():
    window = SurveyWindowFactory()
    assert window.is_open()
    closed = svc.window_close(actor=window.group.teacher, window=window)
    assert closed.closed_at is not None and not closed.is_open()
    assert closed.closes_at <= timezone.now()
    again = svc.window_close(actor=window.group.teacher, window=window)
    assert again.closed_at == closed.closed_at


def test_someone_elses_window_cannot_be_closed():
    window = SurveyWindowFactory()
    with pytest.raises(PermissionDenied):
        svc.window_close(actor=MembershipFactory().user, window=window)
    window.refresh_from_db()
    assert window.closed_at is None


def test_only_a_school_lead_can_mark_a_talk_request_seen():
    window = SurveyWindowFactory()
    talk = TalkRequest.objects.create(school=window.group.school, window=window, card_code="AB3K9QX")
    with pytest.raises(PermissionDenied):
        svc.talk_request_mark_seen(actor=window.group.teacher, talk_request=talk)
    lead = MembershipFactory(school=window.group.school, role=Membership.Role.SCHOOL_LEAD).user
    seen = svc.talk_request_mark_seen(actor=lead, talk_request=talk)
    assert seen.seen_at and seen.seen_by == lead


def test_an_archived_class_cannot_get_a_new_survey():
    group = TeachingGroupFactory(archived_at=timezone.now())
    with pytest.raises(svc.WindowError) as error:
        _open(group, letter=dt.date(2026, 1, 5), opens=dt.date(2026, 1, 20))
    assert "archived" in " ".join(error.value.messages)
