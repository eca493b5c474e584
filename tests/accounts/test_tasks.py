"""E-mail tasks (accounts.tasks): queued after commit, plain text and HTML, and, once, run
by a real Celery worker on Redis rather than eagerly."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.core import mail
from django.db import transaction

from accounts import services, tasks
from accounts.models import Membership
from tests.factories import MembershipFactory, SchoolFactory


def _school_and_lead():
    school = SchoolFactory(name="St Mary's & All Saints", staff_email_domains="stmarys.example")
    lead = MembershipFactory(
        school=school, role=Membership.Role.SCHOOL_LEAD, user__first_name="Siobhan", user__last_name="O'Brien"
    ).user
    return school, lead


@pytest.mark.django_db
def test_invitation_email_has_plain_text_and_html_bodies(django_capture_on_commit_callbacks):
    school, lead = _school_and_lead()

    with django_capture_on_commit_callbacks(execute=True):
        _, token = services.invitation_create(inviter=lead, school=school, email="t@stmarys.example", role="teacher")

    [message] = mail.outbox
    assert message.to == ["t@stmarys.example"]
    assert message.subject == "[Upstream] You're invited to join St Mary's & All Saints on Upstream"
    assert "Siobhan O'Brien has invited you to join St Mary's & All Saints" in message.body  # not HTML-escaped
    assert f"/staff/invitations/{token}/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "St Mary&#x27;s &amp; All Saints" in html  # escaped in HTML
    assert f'href="http://127.0.0.1:8000/staff/invitations/{token}/"' in html


@pytest.mark.django_db
def test_approval_emails_have_plain_text_and_html_bodies(django_capture_on_commit_callbacks):
    school, lead = _school_and_lead()
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING, user__email="new@stmarys.example")

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_approve(actor=lead, membership=pending)

    [message] = mail.outbox
    assert message.subject == "[Upstream] You can now use Upstream at St Mary's & All Saints"
    assert "approved for St Mary's & All Saints" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert "<p>" in message.alternatives[0][0]


@pytest.mark.django_db
def test_emails_are_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks, monkeypatch):
    school, lead = _school_and_lead()
    queued = []
    monkeypatch.setattr(tasks.send_templated_email, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invitation_create(inviter=lead, school=school, email="t@stmarys.example", role="teacher")
        assert queued == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert queued[0][0] == "accounts/email/invitation"
    assert queued[0][1] == "t@stmarys.example"


def test_email_task_retries_on_smtp_errors_with_backoff():
    task = tasks.send_templated_email

    assert OSError in task.autoretry_for
    assert task.retry_backoff is True
    assert task.max_retries == 5
    assert task.acks_late is True


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_the_invitation_after_commit(redis_url, reference_data):
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_prerun

    from config.celery_app import app

    queue = f"upstream-test-{uuid.uuid4().hex}"
    saved = {
        key: app.conf[key]
        for key in (
            "broker_url",
            "task_always_eager",
            "task_default_queue",
            "result_backend",
            "broker_connection_retry",
        )
    }
    app.conf.update(
        broker_url=redis_url,
        task_always_eager=False,
        task_default_queue=queue,
        result_backend=None,
    )
    school, lead = _school_and_lead()
    ran_in = []

    def record_thread(sender=None, **kwargs):
        if sender is not None and sender.name == tasks.send_templated_email.name:
            ran_in.append(threading.current_thread())

    task_prerun.connect(record_thread, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], loglevel="WARNING"):
            with transaction.atomic():
                services.invitation_create(inviter=lead, school=school, email="w@stmarys.example", role="teacher")
                time.sleep(1.0)
                assert mail.outbox == []  # nothing is queued before the commit

            deadline = time.monotonic() + 20
            while not mail.outbox and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        task_prerun.disconnect(record_thread)
        app.conf.update(saved)

    assert [m.to for m in mail.outbox] == [["w@stmarys.example"]]
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    # The worker ran the task in its own thread, not eagerly in this one.
    assert len(ran_in) == 1
    assert ran_in[0] is not threading.current_thread()
