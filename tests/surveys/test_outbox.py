"""The outbox: the relay claims due rows, counts attempts and backs off; a consumer's work
is done before its message goes (deleted in the same transaction), and a message whose
work keeps failing is dead-lettered after 5 attempts, keeping only the day. The last tests
follow real messages to their real consumers' effects: a window closed by hand reaching the
outcome figures, and "talk to someone" reaching the school's leads. (Two sessions racing
for the same rows: tests/surveys/test_locking.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from surveys.models import OutboxMessage, TalkRequest
from surveys.services import outbox as svc
from surveys.tasks import consume_outbox_message, relay_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumers(monkeypatch):
    """A private copy of the registry, so test consumers never leak into other tests."""
    registry = {kind: list(found) for kind, found in svc.CONSUMERS.items()}
    monkeypatch.setattr(svc, "CONSUMERS", registry)
    return registry


def _fail(message):
    raise ConnectionError("broker down")


def test_relay_hands_due_messages_over_once_and_leases_them():
    sent = []
    message = OutboxMessage.objects.create(kind="window_closed", payload={"window_id": 1, "response_id": 2})
    OutboxMessage.objects.create(kind="window_closed", available_at=timezone.now() + dt.timedelta(hours=1))
    result = svc.outbox_relay(send=sent.append)
    assert result.sent == 1 and [m.pk for m in sent] == [message.pk]
    message.refresh_from_db()
    assert message.attempts == 1 and message.available_at > timezone.now() + dt.timedelta(minutes=14)
    assert svc.outbox_relay(send=sent.append).sent == 0  # leased: not handed over twice


def test_a_message_whose_consumer_never_reports_is_handed_over_again_after_its_lease():
    sent = []
    message = OutboxMessage.objects.create(kind="window_closed", payload={"window_id": 1})
    with freeze_time(timezone.now()) as clock:
        svc.outbox_relay(send=sent.append)  # queued, but the worker is lost
        clock.tick(svc.LEASE + dt.timedelta(seconds=1))
        assert svc.outbox_relay(send=sent.append).sent == 1
    message.refresh_from_db()
    assert message.attempts == 2 and len(sent) == 2


def test_relay_dead_letters_after_five_failed_attempts_keeping_only_the_day():
    message = OutboxMessage.objects.create(kind="window_closed", payload={"window_id": 1})
    with freeze_time(timezone.now()) as clock:
        for attempt in range(1, 6):
            result = svc.outbox_relay(send=_fail)
            message.refresh_from_db()
            assert message.attempts == attempt
            assert "broker down" in message.last_error
            if attempt < 5:
                assert result.retried == 1 and message.failed_on is None
                assert svc.outbox_relay(send=_fail).retried == 0  # backing off
                clock.tick(svc.retry_delay(attempt) + dt.timedelta(seconds=1))
        assert result.dead_lettered == 1 and message.failed_on == timezone.localdate()
        local = timezone.localtime(message.available_at)
        assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
        clock.tick(dt.timedelta(days=1))
        assert svc.outbox_relay(send=_fail).retried == 0  # left for a person
    message.refresh_from_db()
    assert message.attempts == 5


def test_unknown_kinds_fail_and_are_eventually_dead_lettered():
    message = OutboxMessage.objects.create(kind="no_such_kind")
    assert svc.outbox_relay().retried == 1
    message.refresh_from_db()
    assert message.attempts == 1 and "No consumer" in message.last_error


def test_a_failing_consumer_keeps_its_message_until_the_work_succeeds(consumers):
    """The bug this replaces: the message was marked done before the work ran, so a
    consumer that failed lost the work for good."""
    done = []
    failures = iter([RuntimeError("database for rollups unavailable"), None])

    def flaky(payload):
        failure = next(failures)
        if failure:
            raise failure
        done.append(payload["window_id"])

    svc.register_consumer("test_flaky", flaky)
    message = svc.outbox_message_create(kind="test_flaky", payload={"window_id": 7})
    with freeze_time(timezone.now()) as clock:
        assert svc.outbox_relay().retried == 1
        message.refresh_from_db()
        assert done == [] and message.attempts == 1 and "rollups unavailable" in message.last_error
        clock.tick(svc.retry_delay(1) + dt.timedelta(seconds=1))
        assert svc.outbox_relay().sent == 1
    assert done == [7]
    assert not OutboxMessage.objects.filter(pk=message.pk).exists()  # done: deleted at once


def test_a_consumer_that_always_fails_is_dead_lettered_after_five_attempts(consumers):
    calls = []

    def broken(payload):
        calls.append(payload)
        raise ValueError("no such window")

    svc.register_consumer("test_broken", broken)
    message = svc.outbox_message_create(kind="test_broken", payload={"window_id": 1})
    with freeze_time(timezone.now()) as clock:
        for _attempt in range(5):
            svc.outbox_relay()
            clock.tick(dt.timedelta(hours=1))
        assert svc.outbox_relay().sent == 0
    message.refresh_from_db()
    assert len(calls) == 5 and message.attempts == 5 and message.failed_on is not None
    assert "no such window" in message.last_error


def test_a_failing_consumer_s_database_writes_are_undone_with_it(consumers):
    from tests.surveys.factories import SurveyWindowFactory

    window = SurveyWindowFactory()

    def half_done(payload):
        TalkRequest.objects.create(school_id=window.group.school_id, window=window, card_code="")
        raise RuntimeError("second step failed")

    svc.register_consumer("test_half_done", half_done)
    svc.outbox_message_create(kind="test_half_done", payload={})
    svc.outbox_relay()
    assert not TalkRequest.objects.exists()
    assert OutboxMessage.objects.get().last_error == "RuntimeError: second step failed"


def test_every_consumer_of_a_kind_runs_and_a_redelivery_does_nothing(consumers):
    seen = []
    svc.register_consumer("test_two", lambda payload: seen.append(("first", payload["n"])))
    svc.register_consumer("test_two", lambda payload: seen.append(("second", payload["n"])))
    message = svc.outbox_message_create(kind="test_two", payload={"n": 1})
    assert consume_outbox_message(message_id=message.pk) == svc.Outcome.DONE
    assert consume_outbox_message(message_id=message.pk) == svc.Outcome.SKIPPED  # the broker delivered it twice
    assert seen == [("first", 1), ("second", 1)]


def test_registering_the_same_consumer_twice_runs_it_once(consumers):
    seen = []

    def once(payload):
        seen.append(payload)

    svc.register_consumer("test_once", once)
    svc.register_consumer("test_once", once)
    svc.outbox_message_create(kind="test_once", payload={})
    svc.outbox_relay()
    assert seen == [{}]


def test_a_delayed_message_waits(consumers):
    seen = []
    svc.register_consumer("test_later", seen.append)
    svc.outbox_message_create(kind="test_later", payload={}, delay=dt.timedelta(minutes=1))
    svc.outbox_relay()
    assert seen == []
    with freeze_time(timezone.now() + dt.timedelta(minutes=2)):
        svc.outbox_relay()
    assert seen == [{}]


def _closed_by_hand():
    """A class with one pupil who answered both surveys, whose post survey the teacher has
    just closed by hand (which writes a ``window_closed`` message and nothing else)."""
    from outcomes.models import ClassRollup
    from surveys.services.windows import window_close
    from tests.outcomes.helpers import answer, closed_class, make_pupil, outcome_version, programme_page

    group, baseline, post = closed_class(programme=programme_page(), version=outcome_version(), close_later=False)
    pupil = make_pupil(baseline)
    keyed_four = {"SAF_01": 4, "SAF_02": 2, "SAF_03": 4, "SAF_04": 2, "SAF_05": 4}
    answer(baseline, pupil, keyed_four)
    answer(post, pupil, keyed_four)
    window_close(actor=group.teacher, window=post)
    assert OutboxMessage.objects.get().kind == "window_closed"
    assert not ClassRollup.objects.filter(group_id=group.pk).exists()  # nothing until the relay runs
    return group


def _matched(group) -> int:
    from outcomes.models import ClassRollup

    return ClassRollup.objects.get(
        group_id=group.pk, scale_code="safety", dimension="all", category="", compare="post"
    ).n_matched


def test_a_window_closed_by_hand_reaches_the_outcome_figures_through_the_relay():
    """The relay (beat's task, run eagerly here) hands the message to the consumer outcomes
    registered for it (``register_consumer``), which counts the class's matched pupil and
    deletes the message in the same transaction."""
    group = _closed_by_hand()
    assert relay_outbox() == {"sent": 1, "retried": 0, "dead_lettered": 0}
    assert _matched(group) == 1
    assert not OutboxMessage.objects.exists()
    assert relay_outbox() == {"sent": 0, "retried": 0, "dead_lettered": 0}  # nothing left to do


def test_management_command_relays(capsys):
    group = _closed_by_hand()
    call_command("relay_outbox")
    assert "sent 1" in capsys.readouterr().out
    assert _matched(group) == 1


def test_beat_runs_the_relay_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["surveys-relay-outbox"]
    assert entry == {"task": "surveys.tasks.relay_outbox", "schedule": 60.0}


def _school_with_leads():
    from accounts.models import Membership
    from tests.factories import MembershipFactory
    from tests.surveys.factories import SurveyWindowFactory

    window = SurveyWindowFactory(group__name="8R")
    school = window.group.school
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="dsl@school.example").user
    MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.PENDING)
    MembershipFactory(role=Membership.Role.SCHOOL_LEAD)  # another school's lead hears nothing
    return window, school, lead


def _after_the_delay():
    return freeze_time(timezone.now() + dt.timedelta(minutes=2))


def test_a_pupil_asking_to_talk_emails_the_schools_leads_without_the_code(mailoutbox):
    from surveys.services import talk

    window, school, lead = _school_with_leads()
    talk.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="AB3K9QC")
    talk.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="AB3K9QC")  # pressed twice
    assert OutboxMessage.objects.filter(kind="talk_requested").count() == 1
    assert OutboxMessage.objects.get().payload == {"school_id": school.pk}  # no request id, no response id
    assert mailoutbox == []  # nothing is sent from the pupil's request itself

    relay_outbox()
    assert mailoutbox == []  # held back a minute so a burst becomes one e-mail
    with _after_the_delay():
        relay_outbox()
        relay_outbox()  # a second relay sends nothing again
    assert [message.to for message in mailoutbox] == [[lead.email]]
    message = mailoutbox[0]
    assert "8R" in message.subject and "talk to someone" in message.subject
    assert "/surveys/talk-requests/" in message.body
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "AB3K9QC" not in text and "AB3-K9Q-C" not in text
    assert TalkRequest.objects.get().leads_notified is True
    assert not OutboxMessage.objects.exists()


def test_a_burst_of_requests_from_a_school_makes_one_email_per_lead(mailoutbox):
    from surveys.services import talk

    window, school, lead = _school_with_leads()
    for code in ("AB3K9QC", "", "", "ZZ9Q2AB"):
        talk.talk_request_create(window_id=window.pk, school_id=school.pk, card_code=code)
    with _after_the_delay():
        relay_outbox()
    assert [message.to for message in mailoutbox] == [[lead.email]]
    assert mailoutbox[0].subject == "[Upstream] 4 pupils in 8R asked to talk to someone"
    assert "4 pupils" in mailoutbox[0].body
    assert not TalkRequest.objects.filter(leads_notified=False).exists()
    # A later request is a new batch of one.
    talk.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="")
    with freeze_time(timezone.now() + dt.timedelta(minutes=5)):
        relay_outbox()
    assert len(mailoutbox) == 2 and mailoutbox[1].subject == "[Upstream] A pupil in 8R asked to talk to someone"


def test_an_email_failure_leaves_the_requests_untold_and_is_tried_again(mailoutbox, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    from surveys.services import talk

    window, school, lead = _school_with_leads()
    talk.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="")
    original = EmailMultiAlternatives.send

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", smtp_down)
    with freeze_time(timezone.now() + dt.timedelta(minutes=2)) as clock:
        assert relay_outbox()["retried"] == 1
        assert TalkRequest.objects.get().leads_notified is False
        assert "SMTP down" in OutboxMessage.objects.get().last_error
        monkeypatch.setattr(EmailMultiAlternatives, "send", original)
        clock.tick(dt.timedelta(minutes=2))
        relay_outbox()
    assert [message.to for message in mailoutbox] == [[lead.email]]
    assert TalkRequest.objects.get().leads_notified is True


def test_a_withdrawn_talk_request_sends_nothing(mailoutbox):
    from accounts.models import Membership
    from surveys.services import talk
    from tests.factories import MembershipFactory
    from tests.surveys.factories import SurveyWindowFactory

    window = SurveyWindowFactory()
    MembershipFactory(school=window.group.school, role=Membership.Role.SCHOOL_LEAD)
    talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="")
    TalkRequest.objects.all().delete()
    with _after_the_delay():
        relay_outbox()
    assert mailoutbox == []
    assert not OutboxMessage.objects.exists()
