"""Database sessions, read and written with prepared statements instead of ORM queries.

Every request that carries a session cookie loads its session (every pupil request
does), and each step of getting into a survey writes it; the ORM's query compile cost
more than the statements themselves. The semantics are Django's own
(``django.contrib.sessions.backends.db``): an expired row loads as empty, creating a
session never overwrites another one (``CreateError``), and saving a session whose row
has gone raises ``UpdateError`` (the middleware answers 400)."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _run(self, sql: str, params: list, *, write: bool = False):
        model = self.model
        connection = connections[router.db_for_write(model) if write else router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(sql.format(table=table), params)
            return cursor.rowcount if write else cursor.fetchone()

    def _when(self, value):
        return connections[router.db_for_write(self.model)].ops.adapt_datetimefield_value(value)

    def load(self):
        row = self._run(
            "SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
            [self.session_key, self._when(timezone.now())],
        )
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])

    def exists(self, session_key):
        return self._run("SELECT 1 FROM {table} WHERE session_key = %s", [session_key]) is not None

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self.encode(self._get_session(no_load=must_create))
        expires = self._when(self.get_expiry_date())
        if must_create:
            written = self._run(
                "INSERT INTO {table} (session_key, session_data, expire_date) VALUES (%s, %s, %s) "
                "ON CONFLICT (session_key) DO NOTHING",
                [self._get_or_create_session_key(), data, expires],
                write=True,
            )
            if written != 1:
                raise CreateError
        else:
            written = self._run(
                "UPDATE {table} SET session_data = %s, expire_date = %s WHERE session_key = %s",
                [data, expires, self.session_key],
                write=True,
            )
            if written != 1:
                raise UpdateError
