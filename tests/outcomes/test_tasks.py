"""Triggers through a real Celery worker on Redis: closing windows, withdrawing a pupil and
importing a paper file each change the exported figures with no manual rebuild. Surveys
writes an outbox message; the relay (what beat runs every minute) sends it to the broker;
the worker's outcomes consumer refreshes the class pairs."""

from __future__ import annotations

import time
import uuid

import pytest

from surveys.services.importing import responses_import
from surveys.services.outbox import outbox_relay
from surveys.services.windows import window_close
from surveys.services.withdrawal import pupil_withdraw
from tests.factories import MembershipFactory
from tests.outcomes.helpers import closed_class, export_rows, make_pupil, outcome_version, populate, programme_page


def _region_n(programme) -> str | None:
    rows = [
        r
        for r in export_rows("--programme", programme.slug, "--scope", "region")
        if r["scale"] == "safety" and r["subgroup"] == "all"
    ]
    return rows[0]["n_matched"] if rows else None


def _wait_for(programme, expected: str, timeout: float = 60) -> str | None:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = _region_n(programme)
        if seen == expected:
            return seen
        time.sleep(0.3)
    return seen


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_refreshes_figures_after_close_withdrawal_and_import(redis_url, reference_data):
    from celery.contrib.testing.worker import start_worker

    import outcomes.tasks  # noqa: F401 - registers the consumers' tasks with the app
    from config.celery_app import app

    version, programme = outcome_version(), programme_page()
    classes = [
        closed_class(programme=programme, version=version, authority_slug=slug, close_later=False)
        for slug in ("coventry", "dudley", "walsall")
    ]
    for _group, baseline, post in classes:
        populate(baseline, post, 10)
    assert _region_n(programme) is None  # the post windows are still open

    queue = f"upstream-test-{uuid.uuid4().hex}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue", "result_backend")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue, result_backend=None)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], loglevel="WARNING"):
            # 1. The teachers close their post windows by hand.
            for group, _baseline, post in classes:
                window_close(actor=group.teacher, window=post)
            assert outbox_relay().sent == 3
            assert _wait_for(programme, "30") == "30"

            # 2. A paper file adds one pupil at both waves in the first class.
            group, baseline, _post = classes[0]
            full = {f"SAF_0{i}": 3 for i in range(1, 6)}
            card = make_pupil(baseline)
            codes = ",".join(full)
            values = ",".join(str(v) for v in full.values())
            text = (
                f"school_urn,group,year_group,wave,participant_code,gender,ethnicity,{codes}\n"
                f"{group.school.urn},{group.name},{group.year_group},baseline,{card.card_code},,,{values}\n"
                f"{group.school.urn},{group.name},{group.year_group},post,{card.card_code},,,{values}\n"
            )
            assert responses_import(text=text).created == 2
            outbox_relay()
            assert _wait_for(programme, "31") == "31"

            # 3. The school lead withdraws that pupil's data by card code: gone from every figure.
            lead = MembershipFactory(school=group.school, role="school_lead").user
            pupil_withdraw(actor=lead, school=group.school, academic_year=group.academic_year, card_code=card.card_code)
            outbox_relay()
            assert _wait_for(programme, "30") == "30"
    finally:
        app.conf.update(saved)
