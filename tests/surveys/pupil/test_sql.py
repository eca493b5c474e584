"""surveys/pupil/sql.py, the one module of hand-written SQL: its statements are built from
the models (a renamed or removed field fails here, not in a pupil's request), quoted one
way, sent to the database the router names, and give the ORM's own instances on the
database engine under test."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from surveys.models import AccessCounter, Answer, PageSave, Response, SurveyWindow
from surveys.pupil import caches, selectors, sql
from tests.surveys.factories import make_pupil, make_response


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


# --- The statements follow the models ------------------------------------------------------


def test_every_field_the_statements_name_exists_on_its_model():
    assert sql.named_field_problems() == []


def test_the_check_reports_a_renamed_field(monkeypatch):
    """The check above can fail: rename a field the statements name (PageSave.client_seq)
    the way a migration would, and it is reported."""
    field = PageSave._meta.get_field("client_seq")
    monkeypatch.setattr(field, "name", "client_sequence")
    monkeypatch.setattr(field, "attname", "client_sequence")
    PageSave._meta._expire_cache()
    try:
        assert sql.named_field_problems() == ["surveys.PageSave.client_seq: no such field"]
    finally:
        monkeypatch.undo()
        PageSave._meta._expire_cache()
    assert sql.named_field_problems() == []


def test_the_check_reports_a_removed_field_and_a_field_without_a_column():
    assert sql.named_field_problems({Answer: ("value", "weight")}) == ["surveys.Answer.weight: no such field"]
    assert sql.named_field_problems({Response: ("answers",)}) == ["surveys.Response.answers: has no column"]


def test_a_field_not_listed_cannot_be_named():
    names = sql._Names(connection)
    with pytest.raises(Exception, match="list it in NAMED_FIELDS"):
        names.column(Response, "gender")


def test_the_statements_quote_every_table_and_column_one_way(monkeypatch):
    quoted = []
    real = connection.ops.quote_name
    monkeypatch.setattr(connection.ops, "quote_name", lambda name: quoted.append(name) or real(name))
    sql._statements.cache_clear()
    try:
        built = sql._statements("default")
    finally:
        sql._statements.cache_clear()
    assert {"surveys_pagesave", "client_seq", "surveys_answer", "missing", "django_session"} <= set(quoted)
    assert real("surveys_pagesave") in built["page_save_insert"]


def test_a_column_name_comes_from_the_model_not_from_the_text(monkeypatch):
    field = Answer._meta.get_field("missing")
    monkeypatch.setattr(field, "column", "missing_code")
    sql._statements.cache_clear()
    try:
        assert connection.ops.quote_name("missing_code") in sql._statements("default")["answers_upsert"]
    finally:
        monkeypatch.undo()
        sql._statements.cache_clear()


def test_reads_and_writes_go_where_the_router_sends_them(monkeypatch, window):
    """A router that sends the pupil tables elsewhere is obeyed (here to an alias that does
    not exist, so the attempt shows), reads by ``db_for_read`` and writes by ``db_for_write``."""
    from django.utils.connection import ConnectionDoesNotExist

    routed = {Response, AccessCounter}

    class Router:
        def db_for_read(self, model, **hints):
            return "replica" if model in routed else None

        def db_for_write(self, model, **hints):
            return "primary" if model in routed else None

    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    monkeypatch.setattr("django.db.router.routers", [Router()])
    with pytest.raises(ConnectionDoesNotExist, match="replica"):
        sql.response_with_answers(response.submission_key)
    with pytest.raises(ConnectionDoesNotExist, match="primary"):
        sql.response_for_save(response.submission_key)
    with pytest.raises(ConnectionDoesNotExist, match="primary"):
        sql.counter_add("router-test", expires_at=timezone.now(), now=timezone.now())
    with pytest.raises(ConnectionDoesNotExist, match="replica"):
        sql.counter_values(["router-test"], now=timezone.now())


def test_no_other_module_of_the_apps_sends_sql_by_hand():
    """surveys/pupil/sql.py is the one place; the outcomes engine keeps its advisory lock
    and its REPEATABLE READ snapshot next to the code they protect, and the long jobs' session
    lock in outcomes/locks.py."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    allowed = {"surveys/pupil/sql.py", "outcomes/services.py", "outcomes/selectors.py", "outcomes/locks.py"}
    by_hand = re.compile(r"\.cursor\(|\.raw\(|RawSQL\(|\.extra\(")
    found = []
    for app in ("accounts", "lessons", "surveys", "outcomes", "config"):
        for path in (root / app).rglob("*.py"):
            relative = path.relative_to(root).as_posix()
            if "/migrations/" in relative or relative in allowed:
                continue
            if by_hand.search(path.read_text()):
                found.append(relative)
    assert found == []
    outcomes = (root / "outcomes/services.py").read_text() + (root / "outcomes/selectors.py").read_text()
    assert len(by_hand.findall(outcomes)) == 2  # the advisory lock and the snapshot, nothing more


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_statements_are_prepared_on_postgresql_and_the_orms_are_not(transactional_db):
    """docs/decisions.md#prepared-statements: a statement of this module that a connection
    runs often is prepared there (PostgreSQL then plans it once, not on every run); the
    ORM's queries, bound on the client, never are."""
    from django.contrib.sessions.models import Session

    connection.close()  # a new connection: nothing prepared on it yet
    key = "k" * 32
    for _ in range(6):  # psycopg prepares a statement on its fifth run on a connection
        assert sql.session_load(key, now=timezone.now()) is None
        assert not Session.objects.filter(session_key=key).exists()
    prepared = _prepared_on_this_connection()
    assert [text for text in prepared if "django_session" in text] == [
        sql.statements()["session_load"].replace("%s", "$1", 1).replace("%s", "$2", 1)
    ]
    assert not any("LIMIT 1" in text for text in prepared)  # the ORM's exists() query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_without_a_threshold_nothing_is_prepared(transactional_db):
    """DB_PREPARED_STATEMENTS=false (for a pooler that cannot keep them) leaves psycopg's
    threshold unset, and then the statements are bound on the server but never prepared."""
    connection.close()
    options = connection.settings_dict["OPTIONS"]
    saved = options.pop("prepare_threshold", None)
    try:
        for _ in range(6):
            assert sql.session_load("k" * 32, now=timezone.now()) is None
        assert _prepared_on_this_connection() == []
    finally:
        connection.close()
        if saved is not None:
            options["prepare_threshold"] = saved


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_failed_statement_raises_djangos_error_and_rolls_back(transactional_db):
    """Errors from the server-bound cursor are Django's (IntegrityError), so the services'
    ``atomic`` blocks and the idempotency checks see what they would see from the ORM."""
    from django.contrib.sessions.models import Session
    from django.db import IntegrityError, transaction

    expires = timezone.now() + timezone.timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        assert sql.session_write("a" * 32, "data", expires, create=True)
        sql.session_write("b" * 32, None, expires, create=True)  # type: ignore[arg-type]  # NOT NULL
    assert not Session.objects.exists()  # the first write went with the transaction
    assert sql.session_write("c" * 32, "data", expires, create=True)  # and the connection works on


# --- What the statements return -------------------------------------------------------------


def test_response_for_key_carries_the_highest_saved_sequence(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    key = str(response.submission_key)
    loaded = selectors.response_for_key(key=key)
    assert _fields(loaded.response) == _fields(Response.objects.get(pk=response.pk))
    assert isinstance(loaded.response.submission_key, uuid.UUID) and loaded.response.started_on == response.started_on
    assert not loaded.response._state.adding and loaded.response._state.db == "default"
    assert loaded.top_seq is None and selectors.next_client_seq(response=loaded) == 1
    for seq in (3, 7):
        PageSave.objects.create(
            response=response, page_no=1, client_seq=seq, body_hash="x" * 64, saved_on=response.started_on
        )
    assert selectors.response_for_key(key=key).top_seq == 7
    assert selectors.next_client_seq(response=selectors.response_for_key(key=key)) == 8


def test_response_for_a_key_nobody_has_or_a_malformed_key_is_none(window):
    make_response(window)
    assert selectors.response_for_key(key=str(uuid.uuid4())) is None
    assert selectors.response_for_key(key="not-a-key") is None
    assert selectors.response_for_key(key="") is None


def test_response_for_key_carries_every_saved_answer_as_an_option_value(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    items = [item for item in window.instrument_version.items.order_by("sort_order") if not item.is_demographic][:2]
    Answer.objects.create(response=response, item=items[0], value=4)
    Answer.objects.create(response=response, item=items[1], value=None, missing=Answer.Missing.DONT_KNOW)
    loaded = selectors.response_for_key(key=str(response.submission_key))
    assert loaded.answer_values == {items[0].code: "4", items[1].code: "dk"}
    assert _fields(loaded.response) == _fields(Response.objects.get(pk=response.pk))  # one row per answer, one response


def test_the_locked_window_is_the_orm_s_with_its_version_s_creation_time(window):
    locked = sql.window_for_save(window.pk)
    assert _fields(locked.window) == _fields(SurveyWindow.objects.get(pk=window.pk))
    assert locked.window.is_open() and not locked.window._state.adding
    from surveys import survey_pages

    assert survey_pages.version_marker(locked.window.instrument_version_id, locked.version_created_at) == (
        survey_pages.version_marker(window.instrument_version_id, window.instrument_version.created_at)
    )
    # The question pages' marker (from the window with its class) is the save's.
    assert survey_pages.version_marker(locked.window.instrument_version_id, locked.version_created_at) == (
        selectors.version_marker(window=selectors.window_for_pupil(window_id=window.pk))
    )
    assert sql.window_for_save(window.pk + 1000) is None


def test_page_save_insert_says_newer_none_or_not(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    today = timezone.localdate()
    record = {"response_id": response.pk, "page_no": 1, "body_hash": "a" * 64, "saved_on": today}
    assert sql.page_save_insert(client_seq=5, **record) is False  # new, nothing newer
    assert sql.page_save_insert(client_seq=5, **record) is None  # already there
    assert sql.page_save_insert(client_seq=3, **record) is True  # new, but 5 is newer
    assert sql.page_save_body_hash(response_id=response.pk, page_no=1, client_seq=3) == "a" * 64
    assert sql.page_save_body_hash(response_id=response.pk, page_no=1, client_seq=4) is None
    assert PageSave.objects.get(client_seq=5).saved_on == today


def test_answers_upsert_replaces_a_page_s_answers(window):
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    item = next(item for item in window.instrument_version.items.all() if not item.is_demographic)
    sql.answers_upsert([(response.pk, item.pk, 4, "")])
    sql.answers_upsert([(response.pk, item.pk, None, Answer.Missing.DONT_KNOW)])
    answer = Answer.objects.get(response=response, item=item)
    assert (answer.value, answer.missing) == (None, Answer.Missing.DONT_KNOW)


def test_counters_count_within_their_period_and_start_again_after_it():
    now = timezone.now()
    later = now + timezone.timedelta(minutes=11)
    expires = now + timezone.timedelta(minutes=10)
    assert [sql.counter_add("k", expires_at=expires, now=now) for _ in range(3)] == [1, 2, 3]
    assert sql.counter_values(["k", "other"], now=now) == {"k": 3}
    assert sql.counter_values(["k"], now=later) == {}
    assert sql.counter_add("k", expires_at=later + timezone.timedelta(minutes=10), now=later) == 1
    assert AccessCounter.objects.get(counter_key="k").count == 1


# --- The window cache ----------------------------------------------------------------------


def test_question_pages_reuse_a_window_for_a_few_seconds_then_read_it_again(window, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(caches.time, "monotonic", lambda: clock[0])
    first = selectors.window_for_pupil_page(window_id=window.pk)
    SurveyWindow.objects.filter(pk=window.pk).update(layout=SurveyWindow.Layout.ITEM_PER_PAGE)
    clock[0] += caches.WINDOW_SECONDS - 0.1
    assert selectors.window_for_pupil_page(window_id=window.pk) is first
    clock[0] += 0.2
    again = selectors.window_for_pupil_page(window_id=window.pk)
    assert again is not first and again.layout == SurveyWindow.Layout.ITEM_PER_PAGE
    assert selectors.window_for_pupil(window_id=window.pk).layout == SurveyWindow.Layout.ITEM_PER_PAGE  # never cached


def test_an_unknown_or_missing_window_is_none(window):
    assert selectors.window_for_pupil(window_id=window.pk + 1000) is None
    assert selectors.window_for_pupil(window_id=None) is None
    assert selectors.window_for_pupil_page(window_id=None) is None


def test_the_save_s_one_read_gives_the_locked_window_and_the_response(window):
    """``window_and_response_for_save`` (the save's two locks in one statement) gives what
    ``window_for_save`` and ``response_for_save`` give, with or without a response yet."""
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    locked, found = sql.window_and_response_for_save(window.pk, response.submission_key)
    alone = sql.window_for_save(window.pk)
    assert _fields(locked.window) == _fields(alone.window) == _fields(SurveyWindow.objects.get(pk=window.pk))
    assert locked.version_created_at == alone.version_created_at
    assert _fields(found) == _fields(sql.response_for_save(response.submission_key))
    assert _fields(found) == _fields(Response.objects.get(pk=response.pk))
    assert isinstance(found.submission_key, uuid.UUID) and not found._state.adding

    locked, found = sql.window_and_response_for_save(window.pk, uuid.uuid4())  # before the first save
    assert _fields(locked.window) == _fields(alone.window) and found is None
    assert sql.window_and_response_for_save(window.pk + 1000, response.submission_key) is None


def test_the_join_code_read_gives_the_orm_s_window_with_its_class_and_school(window):
    found = sql.window_with_class(join_code=window.join_code)
    orm = SurveyWindow.objects.select_related("group__school", "instrument_version").get(pk=window.pk)
    assert _fields(found) == _fields(orm)
    assert _fields(found.group) == _fields(orm.group) and _fields(found.group.school) == _fields(orm.group.school)
    assert _fields(found.instrument_version) == _fields(orm.instrument_version)
    assert sql.window_with_class(join_code="ZZZZZZZZ") is None


def test_the_card_read_gives_the_orm_s_participant_in_that_school_and_year_only(window):
    from surveys.models import Participant

    pupil = make_pupil(window)
    school, year = window.group.school_id, window.group.academic_year
    found = sql.participant_for_code(school_id=school, academic_year=year, code_hash=pupil.code_hash)
    assert _fields(found) == _fields(Participant.objects.get(pk=pupil.pk)) and not found._state.adding
    assert sql.participant_for_code(school_id=school, academic_year=year + 1, code_hash=pupil.code_hash) is None
    assert sql.participant_for_code(school_id=school + 1000, academic_year=year, code_hash=pupil.code_hash) is None
    assert sql.participant_for_code(school_id=school, academic_year=year, code_hash="0" * 64) is None


def test_the_card_s_responses_are_the_orm_s_keys_and_dates(window):
    pupil = make_pupil(window)
    assert sql.card_responses(window_id=window.pk, participant_id=pupil.pk) == []
    sent = make_response(window, participant=pupil, status=Response.Status.COMPLETED)
    Response.objects.filter(pk=sent.pk).update(submitted_on=timezone.localdate())
    open_one = make_response(window, participant=pupil, status=Response.Status.CONFLICT)
    make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)  # another card
    found = sorted(sql.card_responses(window_id=window.pk, participant_id=pupil.pk), key=lambda row: str(row[0]))
    orm = sorted(
        Response.objects.filter(window=window, participant=pupil).values_list("submission_key", "submitted_on"),
        key=lambda row: str(row[0]),
    )
    assert found == orm and len(found) == 2
    assert all(isinstance(key, uuid.UUID) for key, _ in found)
    assert {key for key, sent_on in found if sent_on is None} == {open_one.submission_key}


def test_the_safeguarding_lead_check_answers_as_the_accounts_rule_does(db):
    """The thank-you page's "talk to someone" name asks ``sql.safeguarding_lead_has_account``;
    it answers ``accounts.selectors.safeguarding_leads(school).exists()`` in every case."""
    from accounts import selectors as account_selectors
    from accounts.models import Membership
    from tests.factories import MembershipFactory, SchoolFactory

    school = SchoolFactory(dsl_name="Mrs Ahmed")

    def same() -> bool:
        answer = sql.safeguarding_lead_has_account(school)
        assert answer == account_selectors.safeguarding_leads(school).exists()
        assert account_selectors.talk_requests_reach_safeguarding_lead(
            school, has_account=sql.safeguarding_lead_has_account
        ) == account_selectors.talk_requests_reach_safeguarding_lead(school)
        return answer

    assert same() is False  # nobody
    MembershipFactory(school=school)  # a teacher, not marked
    MembershipFactory(safeguarding_role=Membership.Safeguarding.DSL)  # another school's lead
    assert same() is False
    MembershipFactory(school=school, safeguarding_role=Membership.Safeguarding.DSL, status=Membership.Status.PENDING)
    MembershipFactory(school=school, safeguarding_role=Membership.Safeguarding.DEPUTY, user__is_active=False)
    assert same() is False  # not approved; not active
    deputy = MembershipFactory(school=school, safeguarding_role=Membership.Safeguarding.DEPUTY)
    assert same() is True
    deputy.delete()
    assert same() is False
    MembershipFactory(school=school, safeguarding_role=Membership.Safeguarding.DSL)
    assert same() is True
