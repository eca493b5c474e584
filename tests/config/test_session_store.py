"""The session store reads its row with plain SQL: the same sessions as Django's own."""

from __future__ import annotations

import datetime

import pytest
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
