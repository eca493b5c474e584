"""The session store reads its row with plain SQL: the same sessions as Django's own."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_with_its_data():
    store = SessionStore()
    store["pupil"] = {"w": 3, "k": "abc"}
    store.save()
    again = SessionStore(session_key=store.session_key)
    assert again["pupil"] == {"w": 3, "k": "abc"}
    assert again.session_key == store.session_key


def test_an_expired_session_loads_empty_and_its_key_is_dropped():
    store = SessionStore()
    store["pupil"] = {"w": 3}
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert dict(again.items()) == {}
    assert again.session_key is None


def test_an_unknown_key_loads_empty_and_saving_makes_a_new_row():
    store = SessionStore(session_key="x" * 32)
    assert "pupil" not in store
    store["pupil"] = {"w": 1}
    store.save()
    assert store.session_key != "x" * 32
    assert Session.objects.filter(session_key=store.session_key).exists()
    assert not Session.objects.filter(session_key="x" * 32).exists()


def test_a_tampered_row_loads_empty(caplog):
    store = SessionStore()
    store["pupil"] = {"w": 3}
    store.save()
    Session.objects.filter(session_key=store.session_key).update(session_data="not-signed-data")
    assert dict(SessionStore(session_key=store.session_key).items()) == {}


def test_saving_keeps_one_row_and_the_new_expiry():
    store = SessionStore()
    store["pupil"] = {"w": 1}
    store.save()
    store.set_expiry(600)
    store["pupil"] = {"w": 2}
    store.save()
    row = Session.objects.get(session_key=store.session_key)
    assert SessionStore().decode(row.session_data)["pupil"] == {"w": 2}
    assert 590 <= (row.expire_date - timezone.now()).total_seconds() <= 600
    assert Session.objects.count() == 1


def test_creating_never_overwrites_an_existing_session():
    first = SessionStore()
    first["pupil"] = {"w": 1}
    first.save()
    clash = SessionStore(session_key=first.session_key)
    clash._session_cache = {"pupil": {"w": 99}}
    with pytest.raises(CreateError):
        clash.save(must_create=True)
    assert SessionStore(session_key=first.session_key)["pupil"] == {"w": 1}


def test_saving_a_session_whose_row_was_deleted_is_an_update_error():
    store = SessionStore()
    store["pupil"] = {"w": 1}
    store.save()
    Session.objects.all().delete()
    store["pupil"] = {"w": 2}
    with pytest.raises(UpdateError):
        store.save()


def test_exists_and_cycling_the_key_keep_the_data():
    store = SessionStore()
    store["pupil"] = {"w": 5}
    store.save()
    old = store.session_key
    assert store.exists(old) and not store.exists("y" * 32)
    store.cycle_key()
    assert store.session_key != old and not store.exists(old)
    assert SessionStore(session_key=store.session_key)["pupil"] == {"w": 5}


def test_a_reserved_key_is_written_with_the_session_s_first_save():
    """The join draws the key first (its failed-code counters need one) and the session is
    written once, by one insert, at the end of the request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = SessionStore()
    key = store.reserve_key()
    assert store.reserve_key() == key and store.session_key == key
    assert not Session.objects.filter(session_key=key).exists()  # nothing written yet
    store["pupil"] = {"w": 7}
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert SessionStore(session_key=key)["pupil"] == {"w": 7}
    store["pupil"] = {"w": 8}
    store.save()  # later saves update the row
    assert SessionStore(session_key=key)["pupil"] == {"w": 8} and Session.objects.count() == 1
    assert SessionStore().reserve_key() != key


def test_a_reserved_key_another_session_took_meanwhile_is_drawn_again():
    first = SessionStore()
    first["pupil"] = {"w": 1}
    first.save()
    second = SessionStore()
    second.reserve_key()
    second._session_key = first.session_key  # the one-in-36**32 clash
    second["pupil"] = {"w": 2}
    second.save()
    assert second.session_key != first.session_key
    assert SessionStore(session_key=first.session_key)["pupil"] == {"w": 1}
    assert SessionStore(session_key=second.session_key)["pupil"] == {"w": 2}


def test_a_pupil_s_join_writes_the_session_once(client):
    """Through the real join page: a right class code gives one session insert and no update."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.surveys.factories import PupilSurveyWindowFactory

    window = PupilSurveyWindowFactory()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/go/", {"code": window.join_code})
    assert response.status_code == 302
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().startswith("INSERT"), writes
    assert client.session["pupil"]["w"] == window.pk


def test_a_wrong_class_code_keeps_the_session_so_its_failures_are_counted(client):
    """A wrong code writes the (empty) session once and sends its cookie, so the next try
    from this device counts against the same session."""
    from tests.surveys.factories import PupilSurveyWindowFactory

    PupilSurveyWindowFactory()
    client.post("/go/", {"code": "ZZZZZZZZ"})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    client.post("/go/", {"code": "YYYYYYYY"})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == key and Session.objects.count() == 1


def test_a_reserved_session_flushed_before_its_save_is_saved_as_a_new_one():
    store = SessionStore()
    reserved = store.reserve_key()
    store.flush()  # e.g. a sign-out in the same request
    store["pupil"] = {"w": 3}
    store.save()
    assert store.session_key not in (None, reserved)
    assert SessionStore(session_key=store.session_key)["pupil"] == {"w": 3}
    assert not Session.objects.filter(session_key=reserved).exists()
