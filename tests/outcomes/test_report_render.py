"""The report renderer's speed measures (docs/outcome-reports.md, "Render time"): the
collector is left as it was after a render, a process that froze its own heap keeps it
frozen, and the worker warm-up renders without the database and never stops a worker."""

from __future__ import annotations

import gc

import pytest
from celery.signals import worker_process_init
from pypdf import PdfReader

from outcomes.reports import content, render, tasks
from outcomes.reports.models import OutcomeReport
from tests.outcomes.reports_world import report_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(reference_data):
    world = report_world()
    school = world["schools"][0]
    return OutcomeReport(
        kind="school",
        scope_key="x",
        filter_key="x",
        data_version=0,
        programme=world["programme"],
        academic_year=world["year"],
        school=school,
        filters=content.report_filters(
            kind="school", programme=world["programme"].slug, academic_year=world["year"], school_urn=school.urn
        ),
    )


def test_a_render_freezes_the_existing_heap_only_while_weasyprint_runs(report, monkeypatch):
    seen = []
    real = render.HTML

    class Spy(real):  # type: ignore[misc,valid-type]
        def render(self, *args, **kwargs):
            seen.append(gc.get_freeze_count())
            return super().render(*args, **kwargs)

    monkeypatch.setattr(render, "HTML", Spy)
    assert gc.get_freeze_count() == 0
    data, pages = render.report_pdf(report)
    assert seen and seen[0] > 1000  # the process's objects were frozen during the layout
    assert gc.get_freeze_count() == 0  # and handed back to the collector afterwards
    assert data.startswith(b"%PDF") and pages >= 4


def test_a_process_that_froze_its_heap_keeps_it_frozen(report):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        render.report_pdf(report)
        # Still frozen (gc.unfreeze would empty the permanent generation); frozen objects
        # freed meanwhile leave it, so the count may be a little lower.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_the_warm_up_renders_a_page_without_the_database(django_assert_num_queries, tmp_path, monkeypatch):
    written = []
    real = render.HTML.write_pdf

    def keep(self, *args, **kwargs):
        written.append(real(self, *args, **kwargs))
        return written[-1]

    monkeypatch.setattr(render.HTML, "write_pdf", keep)
    with django_assert_num_queries(0):
        seconds = render.warm_up()
    assert seconds > 0 and gc.get_freeze_count() == 0
    import io

    text = PdfReader(io.BytesIO(written[0])).pages[0].extract_text()
    assert "Made-up figures" in text and "fewer than 10" in text


def test_a_worker_process_warms_up_at_start_and_a_failed_warm_up_does_not_stop_it(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(render, "warm_up", lambda: calls.append(1) or 0.1)
    worker_process_init.send(sender=None)
    assert calls == [1]

    def broken():
        raise OSError("no fonts")

    monkeypatch.setattr(render, "warm_up", broken)
    worker_process_init.send(sender=None)  # logged, not raised
    assert "warm-up failed" in caplog.text
    assert tasks.warm_up_renderer is not None
