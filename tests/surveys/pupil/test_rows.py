"""The pupil flow's hand-written reads give the same instances the ORM would, on the
database engine under test (SQLite returns datetimes, booleans and UUIDs as raw values)."""

from __future__ import annotations

import uuid

from surveys.models import Answer, PageSave, Response, SurveyWindow
from surveys.pupil import selectors
from tests.surveys.factories import make_pupil, make_response


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_window_and_its_class_school_and_version_match_the_orm(window):
    window.group.school.dsl_name = "Mrs Safe"
    window.group.school.save()
    loaded = selectors.window_for_pupil(window.pk)
    orm = SurveyWindow.objects.select_related("group__school", "instrument_version").get(pk=window.pk)
    assert _fields(loaded) == _fields(orm)
    assert _fields(loaded.group) == _fields(orm.group)
    assert _fields(loaded.group.school) == _fields(orm.group.school)
    assert _fields(loaded.instrument_version) == _fields(orm.instrument_version)
    assert loaded.opens_at.tzinfo is not None and isinstance(loaded.uuid, uuid.UUID)
    assert loaded.include_demographics is True and loaded.is_open()
    assert loaded.group.school.dsl_name == "Mrs Safe"
    assert not loaded._state.adding and loaded._state.db == "default"


def test_an_unknown_or_missing_window_is_none(window):
    assert selectors.window_for_pupil(window.pk + 1000) is None
    assert selectors.window_for_pupil(None) is None


def test_response_for_key_carries_the_highest_saved_sequence(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    key = str(response.submission_key)
    loaded = selectors.response_for_key(key)
    assert _fields(loaded) == _fields(Response.objects.get(pk=response.pk))
    assert loaded.top_seq is None and selectors.next_client_seq(loaded) == 1
    for seq in (3, 7):
        PageSave.objects.create(
            response=response, page_no=1, client_seq=seq, body_hash="x" * 64, saved_on=response.started_on
        )
    assert selectors.response_for_key(key).top_seq == 7
    assert selectors.next_client_seq(selectors.response_for_key(key)) == 8


def test_response_for_a_key_nobody_has_or_a_malformed_key_is_none(window):
    make_response(window)
    assert selectors.response_for_key(str(uuid.uuid4())) is None
    assert selectors.response_for_key("not-a-key") is None
    assert selectors.response_for_key("") is None


def test_response_for_key_carries_every_saved_answer_as_an_option_value(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    items = [item for item in window.instrument_version.items.order_by("sort_order") if not item.is_demographic][:2]
    Answer.objects.create(response=response, item=items[0], value=4)
    Answer.objects.create(response=response, item=items[1], value=None, missing=Answer.Missing.DONT_KNOW)
    loaded = selectors.response_for_key(str(response.submission_key))
    assert loaded.answer_values == {items[0].code: "4", items[1].code: "dk"}
    assert _fields(loaded) == _fields(Response.objects.get(pk=response.pk))  # one row per answer, one response


def test_question_pages_reuse_a_window_for_a_few_seconds_then_read_it_again(window, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    first = selectors.window_for_pupil_page(window.pk)
    SurveyWindow.objects.filter(pk=window.pk).update(layout=SurveyWindow.Layout.ITEM_PER_PAGE)
    clock[0] += selectors.WINDOW_CACHE_SECONDS - 0.1
    assert selectors.window_for_pupil_page(window.pk) is first
    clock[0] += 0.2
    again = selectors.window_for_pupil_page(window.pk)
    assert again is not first and again.layout == SurveyWindow.Layout.ITEM_PER_PAGE
    assert selectors.window_for_pupil(window.pk).layout == SurveyWindow.Layout.ITEM_PER_PAGE  # never cached
