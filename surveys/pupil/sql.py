"""Every SQL statement the project writes by hand, for the pupil path and the database
sessions every pupil request loads. Nothing else in the apps writes SQL, except the
outcomes engine's advisory lock and its REPEATABLE READ snapshot (outcomes/services.py,
outcomes/selectors.py).

Why it exists. A pupil's survey is 17 requests, and the statements here run in most of
them: the session read, the save's locks, its idempotency record and its answers upsert,
the read of a pupil's response with the answers already saved, the failed-code counters.
Written through the ORM, each costs several times the CPU: the query compile and the
instance building outweigh what PostgreSQL spends running the statement. Measured in
process against the ORM queryset that does the same work (``bench/sql_gain.py``, run by
``make bench``; the table is in bench/RESULTS.md, 2 December 2026, on the benchmark's
shared 2-core machine), CPU per call: the response with its saved answers 0.18 ms against
the ORM's 1.58, the session read 0.07 against 0.47, the idempotency record with its
newer-save check 0.22 against 1.41, the answers upsert 0.25 against 0.76, the locked
response 0.25 against 0.90 and the locked window 0.42 against 1.19. A survey makes about
16 session reads, 6 response reads and 5 saves, so this saves some 30 ms of server CPU
per completed survey, about a third of the 90 ms a survey cost in that run. A later
round (bench/notes.md, "Issue 11, third round") put the save's two locks in one
statement, inserted a new response without a savepoint, and moved the join's, the card's,
the start page's and the thank-you page's remaining ORM reads here: 18 % less Django CPU
per pupil request in process, 80 -> 70 statements per survey, and `make bench`'s
pupil/floor ratio from 0.40 to 0.47 on an idle machine. A fourth prepared the statements
on PostgreSQL (see below): 0.46 to 0.50, the median run of five, in one session.

How it is written.

- Table and column names come from the models (``_meta.db_table``, ``field.column``),
  quoted one way (the connection's ``ops.quote_name``). Every field named here is listed in
  ``NAMED_FIELDS``; naming one that is not listed is an error, and
  tests/surveys/pupil/test_sql.py fails when a listed field is renamed or removed.
- The connection is the one the database router names for the model: ``db_for_read``
  for reads, ``db_for_write`` for writes and for reads that lock rows.
- The reads that return model rows are ones ``Manager.raw()`` does not do as well: the
  window with its class, school and instrument version (four models in one row), the
  response with one row per saved answer (raw() builds a response per answer: twice the
  read's CPU), and the locked response and window (raw() cost half as much CPU again as
  building them here, on every save; for the window, timed in process, raw() took 0.98 ms
  of a save, the cursor read 0.3 to 0.45 ms). Their instances are made with the models' public
  loading API instead (``Model.from_db``, each value through ``Field.to_python`` and
  ``from_db_value`` where the field has one, so SQLite's hex UUIDs and zoneless datetimes
  come out as the ORM gives them, made aware as the ORM makes them). Statements that
  return no model row use a cursor.
- What a read returns beside its model rows travels in a small typed row (``LockedWindow``,
  or a tuple its signature spells out), never as an attribute hung on a model instance:
  mypy checks this module and its callers with the services' and selectors' flags.
- On PostgreSQL the statements run on a cursor that binds parameters on the server, and
  the connection prepares each one after its fifth run there (docs/decisions.md#prepared-statements):
  PostgreSQL then plans it once per connection, where it had planned it on every run, which
  was about two thirds of the server's time for these statements (``pg_stat_statements``,
  bench/notes.md, "Issue 11, fourth round"). The ORM's cursors bind on the client and are
  never prepared. SQLite, and any run that logs its queries, use the connection's own cursor.
- One text for PostgreSQL and SQLite (3.35 or later, for ``RETURNING``). The only
  differences are locks: row locks come from the backend's features (``FOR SHARE OF`` and
  ``FOR UPDATE`` on PostgreSQL, nothing on SQLite, which runs one writer at a time), and
  the advisory locks exist only on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.utils import timezone

from accounts.models import Membership, School, User
from accounts.selectors import SAFEGUARDING_ROLES
from lessons.models import TeachingGroup
from surveys.models import (
    AccessCounter,
    Answer,
    InstrumentVersion,
    Item,
    PageSave,
    Participant,
    Response,
    SurveyWindow,
)

#: The fields the statements below name, per model. tests/surveys/pupil/test_sql.py checks
#: that each still exists with a column (``named_field_problems``).
NAMED_FIELDS: dict[type[Model], tuple[str, ...]] = {
    SurveyWindow: ("instrument_version", "group", "join_code"),
    TeachingGroup: ("school", "pupil_count"),
    InstrumentVersion: ("created_at",),
    Response: ("submission_key", "window", "status", "participant", "submitted_on"),
    Participant: ("school", "academic_year", "code_hash"),
    Answer: ("response", "item", "value", "missing"),
    Item: ("code",),
    PageSave: ("response", "page_no", "client_seq", "body_hash", "saved_on"),
    AccessCounter: ("counter_key", "count", "expires_at"),
    Session: ("session_key", "session_data", "expire_date"),
    Membership: ("school", "user", "safeguarding_role", "status"),
    User: ("is_active",),
}

#: First keys of PostgreSQL's two-key advisory locks (the second is the window's id). The
#: outcomes engine uses 4020 for its area rollups (outcomes/services.py).
QUOTA_LOCK = 4019
TALK_LOCK = 4021

M = TypeVar("M", bound=Model)

#: A row as the database driver returns it. DB-API values are untyped (django-stubs types
#: them ``Any``); each function below hands them on as the Python types its signature
#: names, which tests/surveys/pupil/test_sql.py checks on the database engine under test.
Row = tuple[Any, ...]

#: A parameter value, as the fields' ``get_db_prep_value`` give them to the driver.
Param = int | str | dt.date | uuid.UUID | None

#: A field's ``from_db_value`` (value, expression, connection), for the fields that have one.
FromDb = Callable[[Any, None, BaseDatabaseWrapper], Any]


@dataclass(slots=True, frozen=True)
class LockedWindow:
    """``window_for_save``'s row: the window, read under the save's row lock, and its
    instrument version's creation time as the database returns it (aware on PostgreSQL,
    naive in UTC on SQLite; ``survey_pages.version_marker`` reads either): the pages
    cache's marker, without reading the version."""

    window: SurveyWindow
    version_created_at: dt.datetime


def named_field_problems(named: dict[type[Model], Sequence[str]] | None = None) -> list[str]:
    """Fields named in ``NAMED_FIELDS`` that the models no longer have (or that have no
    column): empty when every statement here can be built."""
    problems: list[str] = []
    for model, names in (NAMED_FIELDS if named is None else named).items():
        for name in names:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{model._meta.label}.{name}: no such field")
                continue
            if getattr(field, "column", None) is None:
                problems.append(f"{model._meta.label}.{name}: has no column")
    return problems


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's field of that name, one with a column (``named_field_problems`` reports
    the names that are not)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ImproperlyConfigured(f"surveys.pupil.sql names {model._meta.label}.{name}, which has no column")
    return field


def _column(field: Field[Any, Any]) -> str:
    if field.column is None:  # a concrete field always has one
        raise ImproperlyConfigured(f"surveys.pupil.sql names {field}, which has no column")
    return field.column


class _Names:
    """Quoted table and column names for one connection."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.quote = connection.ops.quote_name

    def table(self, model: type[Model]) -> str:
        return self.quote(model._meta.db_table)

    def column(self, model: type[Model], name: str, alias: str = "") -> str:
        if name not in NAMED_FIELDS.get(model, ()):
            raise ImproperlyConfigured(f"surveys.pupil.sql names {model._meta.label}.{name}: list it in NAMED_FIELDS")
        quoted = self.quote(_column(_field(model, name)))
        return f"{alias}.{quoted}" if alias else quoted

    def all_columns(self, model: type[Model], alias: str) -> str:
        """Every concrete column of the model (in ``_meta.concrete_fields`` order, as
        ``_instance`` reads them), none typed by hand."""
        return ", ".join(f"{alias}.{self.quote(_column(field))}" for field in model._meta.concrete_fields)

    def pk(self, model: type[Model], alias: str = "") -> str:
        quoted = self.quote(_column(model._meta.pk))
        return f"{alias}.{quoted}" if alias else quoted


@functools.cache
def _statements(alias: str) -> dict[str, str]:
    """The statements for one database alias, built once from the models."""
    connection = connections[alias]
    n = _Names(connection)
    features = connection.features
    share_lock = " FOR SHARE OF w" if features.has_select_for_update_of else ""
    update_lock = " FOR UPDATE" if features.has_select_for_update else ""
    answer, page_save, counter, session = Answer, PageSave, AccessCounter, Session
    counters = n.table(counter)
    count, expires = n.column(counter, "count"), n.column(counter, "expires_at")
    window_with_class = (
        f"SELECT {n.all_columns(SurveyWindow, 'w')}, {n.all_columns(TeachingGroup, 'g')},"
        f" {n.all_columns(School, 's')}, {n.all_columns(InstrumentVersion, 'v')} FROM {n.table(SurveyWindow)} w"
        f" JOIN {n.table(TeachingGroup)} g ON {n.pk(TeachingGroup, 'g')} = {n.column(SurveyWindow, 'group', 'w')}"
        f" JOIN {n.table(School)} s ON {n.pk(School, 's')} = {n.column(TeachingGroup, 'school', 'g')}"
        f" JOIN {n.table(InstrumentVersion)} v ON {n.pk(InstrumentVersion, 'v')}"
        f" = {n.column(SurveyWindow, 'instrument_version', 'w')}"
    )
    # The window under the save's share lock, with its version's creation time (the
    # pages cache's marker); alone, and as the outer half of the save's one read.
    lock_window = (
        f"SELECT {n.all_columns(SurveyWindow, 'w')},"
        f" {n.column(InstrumentVersion, 'created_at', 'v')} AS {n.quote('version_created_at')}"
        f" FROM {n.table(SurveyWindow)} w"
        f" JOIN {n.table(InstrumentVersion)} v ON {n.pk(InstrumentVersion, 'v')}"
        f" = {n.column(SurveyWindow, 'instrument_version', 'w')}"
        f" WHERE {n.pk(SurveyWindow, 'w')} = %s{share_lock}"
    )
    return {
        "lock_window": lock_window,
        # The save's two locks in one statement, the window's first: the subquery ``w`` is
        # the outer side of a left join on a constant (a nested loop, so it runs first) and
        # takes its share lock before the inner subquery locks the response, as the two
        # statements did (a close takes the window alone, so the order cannot deadlock).
        "lock_window_and_response": (
            f"SELECT w.*, r.* FROM ({lock_window}) w LEFT JOIN (SELECT {n.all_columns(Response, 'r')} FROM {n.table(Response)} r"
            f" WHERE {n.column(Response, 'submission_key', 'r')} = %s{update_lock}) r ON 1 = 1"
        ),
        "window_with_class": f"{window_with_class} WHERE {n.pk(SurveyWindow, 'w')} = %s",
        "window_with_class_by_join_code": f"{window_with_class} WHERE {n.column(SurveyWindow, 'join_code', 'w')} = %s",
        "participant_for_code": (
            f"SELECT {n.all_columns(Participant, 'p')} FROM {n.table(Participant)} p"
            f" WHERE {n.column(Participant, 'school', 'p')} = %s AND {n.column(Participant, 'academic_year', 'p')} = %s"
            f" AND {n.column(Participant, 'code_hash', 'p')} = %s"
        ),
        "card_responses": (
            f"SELECT {n.column(Response, 'submission_key')}, {n.column(Response, 'submitted_on')}"
            f" FROM {n.table(Response)} WHERE {n.column(Response, 'window')} = %s"
            f" AND {n.column(Response, 'participant')} = %s"
        ),
        "response_for_update": (
            f"SELECT {n.all_columns(Response, 'r')} FROM {n.table(Response)} r"
            f" WHERE {n.column(Response, 'submission_key', 'r')} = %s{update_lock}"
        ),
        "response_with_answers": (
            f"SELECT {n.all_columns(Response, 'r')},"
            f" (SELECT MAX({n.column(page_save, 'client_seq', 'ps')}) FROM {n.table(page_save)} ps"
            f" WHERE {n.column(page_save, 'response', 'ps')} = {n.pk(Response, 'r')}),"
            f" {n.column(Item, 'code', 'i')}, {n.column(answer, 'value', 'a')}, {n.column(answer, 'missing', 'a')}"
            f" FROM {n.table(Response)} r"
            f" LEFT JOIN {n.table(answer)} a ON {n.column(answer, 'response', 'a')} = {n.pk(Response, 'r')}"
            f" LEFT JOIN {n.table(Item)} i ON {n.pk(Item, 'i')} = {n.column(answer, 'item', 'a')}"
            f" WHERE {n.column(Response, 'submission_key', 'r')} = %s"
        ),
        "answers_upsert": (
            f"INSERT INTO {n.table(answer)} ({n.column(answer, 'response')}, {n.column(answer, 'item')},"
            f" {n.column(answer, 'value')}, {n.column(answer, 'missing')}) VALUES {{rows}}"
            f" ON CONFLICT ({n.column(answer, 'response')}, {n.column(answer, 'item')}) DO UPDATE SET"
            f" {n.column(answer, 'value')} = excluded.{n.column(answer, 'value')},"
            f" {n.column(answer, 'missing')} = excluded.{n.column(answer, 'missing')}"
        ),
        # Inserted: one row, saying whether a newer save of the same page exists. Already
        # there (the same response, page and sequence number): no row.
        "page_save_insert": (
            f"INSERT INTO {n.table(page_save)} ({n.column(page_save, 'response')}, {n.column(page_save, 'page_no')},"
            f" {n.column(page_save, 'client_seq')}, {n.column(page_save, 'body_hash')},"
            f" {n.column(page_save, 'saved_on')}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            f" RETURNING EXISTS (SELECT 1 FROM {n.table(page_save)} newer"
            f" WHERE {n.column(page_save, 'response', 'newer')} = %s AND {n.column(page_save, 'page_no', 'newer')} = %s"
            f" AND {n.column(page_save, 'client_seq', 'newer')} > %s)"
        ),
        "page_save_body_hash": (
            f"SELECT {n.column(page_save, 'body_hash')} FROM {n.table(page_save)}"
            f" WHERE {n.column(page_save, 'response')} = %s AND {n.column(page_save, 'page_no')} = %s"
            f" AND {n.column(page_save, 'client_seq')} = %s"
        ),
        # Fixed periods from the first count: a counter whose period has ended starts at 1.
        "counter_add": (
            f"INSERT INTO {counters} ({n.column(counter, 'counter_key')}, {count}, {expires}) VALUES (%s, 1, %s)"
            f" ON CONFLICT ({n.column(counter, 'counter_key')}) DO UPDATE SET"
            f" {count} = CASE WHEN {counters}.{expires} <= %s THEN 1 ELSE {counters}.{count} + 1 END,"
            f" {expires} = CASE WHEN {counters}.{expires} <= %s THEN excluded.{expires} ELSE {counters}.{expires} END"
            f" RETURNING {count}"
        ),
        "counter_values": (
            f"SELECT {n.column(counter, 'counter_key')}, {count} FROM {counters}"
            f" WHERE {n.column(counter, 'counter_key')} IN ({{keys}}) AND {expires} > %s"
        ),
        "session_load": (
            f"SELECT {n.column(session, 'session_data')} FROM {n.table(session)}"
            f" WHERE {n.column(session, 'session_key')} = %s AND {n.column(session, 'expire_date')} > %s"
        ),
        "session_exists": (f"SELECT 1 FROM {n.table(session)} WHERE {n.column(session, 'session_key')} = %s"),
        "session_insert": (
            f"INSERT INTO {n.table(session)} ({n.column(session, 'session_key')}, {n.column(session, 'session_data')},"
            f" {n.column(session, 'expire_date')}) VALUES (%s, %s, %s)"
            f" ON CONFLICT ({n.column(session, 'session_key')}) DO NOTHING"
        ),
        "session_update": (
            f"UPDATE {n.table(session)} SET {n.column(session, 'session_data')} = %s,"
            f" {n.column(session, 'expire_date')} = %s WHERE {n.column(session, 'session_key')} = %s"
        ),
        # A new response, or no row when a unique constraint already holds one (the same
        # key, or a counted response for this card): no savepoint around the insert.
        "response_insert": (
            f"INSERT INTO {n.table(Response)} ({', '.join(n.quote(_column(f)) for f in _inserted(Response))})"
            f" VALUES ({', '.join(['%s'] * len(_inserted(Response)))}) ON CONFLICT DO NOTHING"
            f" RETURNING {n.pk(Response)}"
        ),
        # accounts.selectors.safeguarding_leads(school).exists(), for the pupil pages.
        "safeguarding_lead_account": (
            f"SELECT 1 FROM {n.table(Membership)} m JOIN {n.table(User)} u ON {n.pk(User, 'u')}"
            f" = {n.column(Membership, 'user', 'm')} WHERE {n.column(Membership, 'school', 'm')} = %s"
            f" AND {n.column(Membership, 'safeguarding_role', 'm')} IN ({', '.join(['%s'] * len(SAFEGUARDING_ROLES))})"
            f" AND {n.column(Membership, 'status', 'm')} = %s AND {n.column(User, 'is_active', 'u')} = %s LIMIT 1"
        ),
        "quota_counts": (
            f"SELECT {n.column(TeachingGroup, 'pupil_count', 'g')}, (SELECT COUNT(*) FROM {n.table(Response)} r"
            f" WHERE {n.column(Response, 'window', 'r')} = %s AND {n.column(Response, 'status', 'r')} = %s)"
            f" FROM {n.table(TeachingGroup)} g WHERE {n.pk(TeachingGroup, 'g')} = %s"
        ),
        "advisory_lock": "SELECT pg_advisory_xact_lock(%s, %s)" if connection.vendor == "postgresql" else "",
    }


def statements(alias: str = "default") -> dict[str, str]:
    """The statements as sent to ``alias`` (for tests and the bench)."""
    return dict(_statements(alias))


def _inserted(model: type[Model]) -> list[Field[Any, Any]]:
    """The columns an insert writes: every concrete field but an automatic primary key."""
    return [field for field in model._meta.concrete_fields if not (field.primary_key and field.db_returning)]


def _prep(model: type[Model], name: str, value: object, alias: str) -> Param:
    """A parameter as the field sends it to this database."""
    return _field(model, name).get_db_prep_value(value, connections[alias])


@functools.cache
def _loading(model: type[Model]) -> tuple[list[tuple[Field[Any, Any], FromDb | None]], list[str]]:
    """The model's concrete fields (each with its ``from_db_value``, if it has one) and
    their attnames."""
    fields = [(field, getattr(field, "from_db_value", None)) for field in model._meta.concrete_fields]
    return fields, [field.attname for field, _ in fields]


def _instance(model: type[M], alias: str, values: Sequence[object]) -> M:
    """An instance of ``model`` from its concrete columns' values in a row (in
    ``_meta.concrete_fields`` order, as ``_Names.all_columns`` selects them), loaded the
    way the ORM loads one (``Model.from_db``), each value made the field's Python type."""
    fields, attnames = _loading(model)
    connection = connections[alias]
    python = []
    for (field, from_db), value in zip(fields, values, strict=True):
        if value is not None:
            if from_db is not None:
                value = from_db(value, None, connection)
            value = field.to_python(value)
            if settings.USE_TZ and isinstance(value, dt.datetime) and timezone.is_naive(value):
                value = timezone.make_aware(value, dt.UTC)  # SQLite keeps UTC without a zone
        python.append(value)
    return model.from_db(alias, attnames, python)


def _cursor(alias: str) -> Any:
    """A cursor of ``alias``'s connection for this module's statements. On PostgreSQL it
    binds parameters on the server (psycopg's ``Cursor``, as Django's ``server_side_binding``
    option makes it), so the connection prepares the statements it runs often
    (``OPTIONS["prepare_threshold"]``, set in config/settings/base.py), and it is wrapped as
    Django wraps its own (the health check, the error translation). While queries are
    logged (``DEBUG``, or a test counting them) it is the connection's own cursor: psycopg
    keeps no statement text for a prepared run, and the log needs it. Elsewhere (SQLite) it
    is the connection's own cursor too."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    from django.db.backends.postgresql.base import ServerBindingCursor  # needs psycopg: here, not above

    binding: Any = ServerBindingCursor  # psycopg's Cursor(connection); django-stubs types it without it
    with connection.wrap_database_errors:
        return connection.make_cursor(binding(connection.connection))


def _fetch_one(alias: str, sql: str, params: Sequence[Param]) -> Row | None:
    with _cursor(alias) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_all(alias: str, sql: str, params: Sequence[Param]) -> list[Row]:
    with _cursor(alias) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- The page save (surveys.services.submission) ------------------------------------------


def window_for_save(window_id: int) -> LockedWindow | None:
    """The window under a row lock that conflicts with the close's ``FOR UPDATE`` but not
    with other pupils' saves (``FOR SHARE OF``), with its instrument version's creation
    time (``LockedWindow``)."""
    alias = router.db_for_write(SurveyWindow)
    row = _fetch_one(alias, _statements(alias)["lock_window"], [window_id])
    if row is None:
        return None
    return LockedWindow(window=_instance(SurveyWindow, alias, row[:-1]), version_created_at=row[-1])


def window_and_response_for_save(
    window_id: int, submission_key: uuid.UUID
) -> tuple[LockedWindow, Response | None] | None:
    """``window_for_save`` and ``response_for_save`` in one statement (one round trip fewer
    on every page save): the window under its share lock, then the response with this key
    (None before the first save) locked until the transaction ends; None when there is no
    such window. Both locks are the ones the two reads take, in the same order."""
    alias = router.db_for_write(SurveyWindow)
    key = _prep(Response, "submission_key", submission_key, alias)
    row = _fetch_one(alias, _statements(alias)["lock_window_and_response"], [window_id, key])
    if row is None:
        return None
    width = len(_loading(SurveyWindow)[0])
    locked = LockedWindow(window=_instance(SurveyWindow, alias, row[:width]), version_created_at=row[width])
    found = row[width + 1 :]
    response = None if found[0] is None else _instance(Response, alias, found)
    return locked, response


def response_for_save(submission_key: uuid.UUID) -> Response | None:
    """The response with this submission key, locked until the transaction ends."""
    alias = router.db_for_write(Response)
    key = _prep(Response, "submission_key", submission_key, alias)
    row = _fetch_one(alias, _statements(alias)["response_for_update"], [key])
    return None if row is None else _instance(Response, alias, row)


def answers_upsert(rows: Sequence[tuple[int, int, int | None, str]]) -> None:
    """(response id, item id, value, missing code) rows in one statement: a later save of
    the same page replaces its answers, under the (response, item) unique constraint."""
    if not rows:
        return
    alias = router.db_for_write(Answer)
    sql = _statements(alias)["answers_upsert"].format(rows=", ".join(["(%s, %s, %s, %s)"] * len(rows)))
    with _cursor(alias) as cursor:
        cursor.execute(sql, [part for row in rows for part in row])


def page_save_insert(
    *, response_id: int, page_no: int, client_seq: int, body_hash: str, saved_on: dt.date
) -> bool | None:
    """Write a save's idempotency record in one statement: whether a newer save of the same
    page exists (then its answers stand), or ``None`` when this (response, page, sequence
    number) is already stored (a replay or a concurrent twin)."""
    alias = router.db_for_write(PageSave)
    row = _fetch_one(
        alias,
        _statements(alias)["page_save_insert"],
        [
            response_id,
            page_no,
            client_seq,
            body_hash,
            _prep(PageSave, "saved_on", saved_on, alias),
            response_id,
            page_no,
            client_seq,
        ],
    )
    return None if row is None else bool(row[0])


def page_save_body_hash(*, response_id: int, page_no: int, client_seq: int) -> str | None:
    """The body hash stored for this (response, page, sequence number), if any."""
    alias = router.db_for_write(PageSave)  # read inside the save's transaction
    row = _fetch_one(alias, _statements(alias)["page_save_body_hash"], [response_id, page_no, client_seq])
    return None if row is None else row[0]


def response_insert(response: Response) -> bool:
    """Insert a new (unsaved) response as ``save()`` would (each field's ``pre_save`` and
    ``get_db_prep_save``), unless a unique constraint already holds one: True and the
    instance saved, or False and nothing written. The save's transaction goes on either
    way (the ORM's ``create`` needed a savepoint around it to catch the IntegrityError)."""
    alias = router.db_for_write(Response)
    connection = connections[alias]
    params = [field.get_db_prep_save(field.pre_save(response, True), connection) for field in _inserted(Response)]
    row = _fetch_one(alias, _statements(alias)["response_insert"], params)
    if row is None:
        return False
    response.pk = row[0]
    response._state.adding, response._state.db = False, alias
    return True


def safeguarding_lead_has_account(school: School) -> bool:
    """Whether the school's safeguarding lead or a deputy has an approved, active account
    here: ``accounts.selectors.safeguarding_leads(school).exists()`` in one plain statement,
    for ``talk_requests_reach_safeguarding_lead``'s ``has_account`` on the pupil pages."""
    alias = router.db_for_read(Membership)
    params: list[Param] = [school.pk, *(str(role) for role in SAFEGUARDING_ROLES), str(Membership.Status.APPROVED)]
    params.append(_prep(User, "is_active", True, alias))
    return _fetch_one(alias, _statements(alias)["safeguarding_lead_account"], params) is not None


def quota_counts(*, window_id: int, group_id: int, counted_status: str) -> tuple[int, int]:
    """(the class's size, the window's responses with ``counted_status``) in one statement,
    read inside the send's transaction after the quota lock (``surveys.services.windows``)."""
    alias = router.db_for_write(Response)
    row = _fetch_one(alias, _statements(alias)["quota_counts"], [window_id, counted_status, group_id])
    if row is None:
        raise TeachingGroup.DoesNotExist(f"no class {group_id} for window {window_id}")
    return int(row[0]), int(row[1])


def advisory_lock(first: int, second: int, *, model: type[Model] = SurveyWindow) -> None:
    """PostgreSQL: a transaction-level advisory lock on (first, second), held until the
    transaction ends. SQLite runs one writer at a time, so there is nothing to take."""
    alias = router.db_for_write(model)
    sql = _statements(alias)["advisory_lock"]
    if sql:
        _fetch_one(alias, sql, [first, second])


# --- The question pages (surveys.pupil.selectors) -----------------------------------------


def window_with_class(window_id: int | None = None, *, join_code: str | None = None) -> SurveyWindow | None:
    """The window with this id (or this class code) with its class, the class's school and
    its instrument version, in one statement (the related objects are the window's, as
    ``select_related`` leaves them)."""
    alias = router.db_for_read(SurveyWindow)
    if join_code is not None:
        row = _fetch_one(alias, _statements(alias)["window_with_class_by_join_code"], [join_code])
    else:
        row = _fetch_one(alias, _statements(alias)["window_with_class"], [window_id])
    if row is None:
        return None
    widths = [len(_loading(model)[0]) for model in (SurveyWindow, TeachingGroup, School)]
    window = _instance(SurveyWindow, alias, row[: widths[0]])
    group = _instance(TeachingGroup, alias, row[widths[0] : widths[0] + widths[1]])
    school = _instance(School, alias, row[widths[0] + widths[1] : sum(widths)])
    version = _instance(InstrumentVersion, alias, row[sum(widths) :])
    group.school = school
    window.group = group
    window.instrument_version = version
    return window


def participant_for_code(*, school_id: int, academic_year: int, code_hash: str) -> Participant | None:
    """The participant with this code hash in this school and year (unique), or None."""
    alias = router.db_for_read(Participant)
    row = _fetch_one(alias, _statements(alias)["participant_for_code"], [school_id, academic_year, code_hash])
    return None if row is None else _instance(Participant, alias, row)


def card_responses(*, window_id: int, participant_id: int) -> list[tuple[uuid.UUID, dt.date | None]]:
    """(submission key, sent on or None) of every response made with this card in this window."""
    alias = router.db_for_read(Response)
    key_field, sent_field = _field(Response, "submission_key"), _field(Response, "submitted_on")
    rows = _fetch_all(alias, _statements(alias)["card_responses"], [window_id, participant_id])
    # As the ORM gives them: SQLite returns the key as hex text and the date as text.
    return [(key_field.to_python(key), None if sent is None else sent_field.to_python(sent)) for key, sent in rows]


def response_with_answers(
    submission_key: uuid.UUID,
) -> tuple[Response, int | None, list[tuple[str, int | None, str]]] | None:
    """The response with this key, the highest sequence number of its page saves (None
    before the first) and its saved answers as (item code, value, missing code), in one
    statement; None when no response has the key."""
    alias = router.db_for_read(Response)
    key = _prep(Response, "submission_key", submission_key, alias)
    found = _fetch_all(alias, _statements(alias)["response_with_answers"], [key])
    if not found:
        return None
    width = len(_loading(Response)[0])
    response = _instance(Response, alias, found[0][:width])
    answers = [(row[width + 1], row[width + 2], row[width + 3]) for row in found if row[width + 1] is not None]
    return response, found[0][width], answers


# --- Failed-code counters (surveys.pupil.access) -------------------------------------------


def counter_add(key: str, *, expires_at: dt.datetime, now: dt.datetime) -> int:
    """Add one to a counter and return its new value, in one statement."""
    alias = router.db_for_write(AccessCounter)
    when = functools.partial(_prep, AccessCounter, "expires_at", alias=alias)
    row = _fetch_one(
        alias, _statements(alias)["counter_add"], [key, when(value=expires_at), when(value=now), when(value=now)]
    )
    if row is None:  # pragma: no cover - an upsert with RETURNING always returns its row
        raise RuntimeError(f"counter {key!r}: the upsert returned no row")
    return row[0]


def counter_values(keys: Iterable[str], *, now: dt.datetime) -> dict[str, int]:
    """The current (unexpired) value of each of these counters that exists."""
    keys = list(keys)
    alias = router.db_for_read(AccessCounter)
    sql = _statements(alias)["counter_values"].format(keys=", ".join(["%s"] * len(keys)))
    return dict(_fetch_all(alias, sql, [*keys, _prep(AccessCounter, "expires_at", now, alias)]))


# --- Database sessions (config.session_store) ----------------------------------------------


def session_load(session_key: str, *, now: dt.datetime) -> str | None:
    """The encoded data of an unexpired session, or None."""
    alias = router.db_for_read(Session)
    row = _fetch_one(
        alias, _statements(alias)["session_load"], [session_key, _prep(Session, "expire_date", now, alias)]
    )
    return None if row is None else row[0]


def session_exists(session_key: str) -> bool:
    alias = router.db_for_read(Session)
    return _fetch_one(alias, _statements(alias)["session_exists"], [session_key]) is not None


def session_write(session_key: str, data: str, expires: dt.datetime, *, create: bool) -> bool:
    """Insert (``create``: never over another session) or update one session row; True when
    a row was written."""
    alias = router.db_for_write(Session)
    expire_date = _prep(Session, "expire_date", expires, alias)
    with _cursor(alias) as cursor:
        if create:
            cursor.execute(_statements(alias)["session_insert"], [session_key, data, expire_date])
        else:
            cursor.execute(_statements(alias)["session_update"], [data, expire_date, session_key])
        return cursor.rowcount == 1
