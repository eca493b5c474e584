"""Database sessions through the statements of ``surveys.pupil.sql`` instead of ORM queries.

Every request that carries a session cookie loads its session (every pupil request
does), and each step of getting into a survey writes it; the ORM's query compile cost
more than the statements themselves (see surveys/pupil/sql.py). The semantics are
Django's own (``django.contrib.sessions.backends.db``, whose ``Session`` model this
keeps): an expired row loads as empty, creating a session never overwrites another one
(``CreateError``), and saving a session whose row has gone raises ``UpdateError`` (the
middleware answers 400)."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.utils import timezone
from django.utils.crypto import get_random_string

from surveys.pupil import sql


class SessionStore(db.SessionStore):
    def _get_new_session_key(self):
        """A new random key, without Django's ``exists()`` query first: a new session is
        written by an insert that never replaces another session's row (``CreateError``,
        after which ``create()`` draws another key), so a collision cannot merge two."""
        return get_random_string(32, VALID_KEY_CHARS)

    def load(self):
        data = sql.session_load(self.session_key, now=timezone.now()) if self.session_key else None
        if data is None:
            self._session_key = None
            return {}
        return self.decode(data)

    def exists(self, session_key):
        return sql.session_exists(session_key)

    _reserved = False

    def reserve_key(self) -> str:
        """This session's key, drawn now for a new session and written once, by the
        middleware's save at the end of the request, as ``save()`` then ``create()`` would
        have written it (the join counts failed class codes against the key, so the
        session and its cookie outlive a wrong code): one insert instead of an insert and
        an update."""
        key = self.session_key
        if key is None:
            self.keys()  # a new session, loaded (empty) now: nothing is read later under this key
            key = self._get_new_session_key()
            self._session_key = key
            self._reserved = True
            self.modified = True  # saved (and its cookie sent) even if it stays empty
        return key

    def save(self, must_create=False):
        if self._reserved and self.session_key is not None:  # not flushed since
            self._reserved = False
            data = self.encode(self._get_session(no_load=True))
            if not sql.session_write(self.session_key, data, self.get_expiry_date(), create=True):
                self._session_key = None  # another session drew the same key: draw again
                return self.create()
            return None
        self._reserved = False
        if self.session_key is None:
            return self.create()
        data = self.encode(self._get_session(no_load=must_create))
        if must_create:
            if not sql.session_write(self._get_or_create_session_key(), data, self.get_expiry_date(), create=True):
                raise CreateError
        elif not sql.session_write(self.session_key, data, self.get_expiry_date(), create=False):
            raise UpdateError
