"""Reads for the pupil pages: the window, its pages, and what this pupil already saved
(to tick the boxes again when they go back or come back)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import School
from lessons.models import TeachingGroup
from surveys import rows
from surveys.models import Answer, InstrumentVersion, Item, PageSave, Response, SurveyWindow
from surveys.selectors import mark_version_frozen, survey_pages_for_version_id, version_marker

_DEMOGRAPHIC_FIELD = {"gender": "gender", "ethnicity": "ethnic_group"}
_KEY_FIELD = Response._meta.get_field("submission_key")
_ANSWERS = Answer._meta.db_table
_ITEMS = Item._meta.db_table
_PAGE_SAVES = PageSave._meta.db_table


def window_for_pupil(window_id: int | None) -> SurveyWindow | None:
    """The window with its class, school and instrument version, in one statement."""
    if not window_id:
        return None
    window_cols, group_cols, school_cols, version_cols = _window_columns()
    row = rows.fetch_one(
        f"SELECT {window_cols.select()}, {group_cols.select()}, {school_cols.select()}, {version_cols.select()} "  # noqa: S608
        f"FROM {window_cols.table} w JOIN {group_cols.table} g ON g.id = w.group_id "
        f"JOIN {school_cols.table} s ON s.id = g.school_id "
        f"JOIN {version_cols.table} v ON v.id = w.instrument_version_id WHERE w.id = %s",
        [window_id],
    )
    if row is None:
        return None
    window = window_cols.build(row, 0)
    group = group_cols.build(row, len(window_cols))
    school = school_cols.build(row, len(window_cols) + len(group_cols))
    version = version_cols.build(row, len(window_cols) + len(group_cols) + len(school_cols))
    TeachingGroup.school.field.set_cached_value(group, school)
    SurveyWindow.group.field.set_cached_value(window, group)
    SurveyWindow.instrument_version.field.set_cached_value(window, version)
    return window


# Windows read for pages that do not decide anything on the window's state (the question
# pages, which only need its layout, version and school; the thank-you and goodbye pages):
# kept in process for a few seconds, so a class answering at once reads each window about
# once per worker every WINDOW_CACHE_SECONDS instead of on every page. A window closed by
# hand may still show its next question page for that long: the save then re-reads and
# locks the window and refuses the answers (surveys.services.submission._lock_window).
WINDOW_CACHE_SECONDS = 10.0
_WINDOW_CACHE: dict[int, tuple[float, SurveyWindow]] = {}
_WINDOW_CACHE_LIMIT = 512


def window_for_pupil_page(window_id: int | None) -> SurveyWindow | None:
    """``window_for_pupil``, from the short-lived in-process cache when it is fresh."""
    if not window_id:
        return None
    now = time.monotonic()
    cached = _WINDOW_CACHE.get(window_id)
    if cached is not None and now - cached[0] < WINDOW_CACHE_SECONDS:
        return cached[1]
    window = window_for_pupil(window_id)
    if window is not None:
        if len(_WINDOW_CACHE) >= _WINDOW_CACHE_LIMIT:
            _WINDOW_CACHE.clear()
        _WINDOW_CACHE[window_id] = (now, window)
    return window


def clear_window_cache() -> None:
    _WINDOW_CACHE.clear()


def _window_columns() -> tuple[rows.Columns, ...]:
    return (
        rows.columns(SurveyWindow, "w"),
        rows.columns(TeachingGroup, "g"),
        rows.columns(School, "s"),
        rows.columns(InstrumentVersion, "v"),
    )


def pages_for(window: SurveyWindow):
    """The window's pages (cached in process once the version is known to be frozen)."""
    return survey_pages_for_version_id(
        window.instrument_version_id,
        marker=_marker(window),
        layout=window.layout,
        include_demographics=window.include_demographics,
    )


def note_answered(window: SurveyWindow) -> None:
    """The caller has just read a committed response in this window: its instrument
    version is frozen (the admin refuses edits), so its pages may be cached."""
    mark_version_frozen(_marker(window))


def _marker(window: SurveyWindow) -> tuple:
    return version_marker(window.instrument_version_id, window.instrument_version.created_at)


def response_for_key(key: str | None) -> Response | None:
    """The response for a submission key with what its question pages need, in one
    statement: ``top_seq``, the highest ``client_seq`` of its page saves (None before the
    first save), and ``answer_values``, every saved answer as the form's option value."""
    if not key:
        return None
    try:
        key_value = _KEY_FIELD.get_db_prep_value(uuid.UUID(str(key)), connection)
    except ValueError:
        return None
    columns = rows.columns(Response, "r")
    found = rows.fetch_all(
        f"SELECT {columns.select()}, (SELECT MAX(ps.client_seq) FROM {_PAGE_SAVES} ps WHERE ps.response_id = r.id), "  # noqa: S608
        f"i.code, a.value, a.missing FROM {columns.table} r "
        f"LEFT JOIN {_ANSWERS} a ON a.response_id = r.id LEFT JOIN {_ITEMS} i ON i.id = a.item_id "
        "WHERE r.submission_key = %s",
        [key_value],
    )
    if not found:
        return None
    width = len(columns)
    response = columns.build(found[0], 0)
    response.top_seq = found[0][width]
    response.answer_values = {
        row[width + 1]: str(row[width + 2]) if row[width + 2] is not None else row[width + 3]
        for row in found
        if row[width + 1] is not None
    }
    return response


def saved_answers(response: Response | None, page) -> dict[str, str]:
    """Answers already saved for the questions on a page, as the form's option values."""
    if response is None:
        return {}
    stored = response.answer_values
    saved = {}
    for question in page.questions:
        code = question["code"]
        if question["demographic"]:
            saved[code] = getattr(response, _DEMOGRAPHIC_FIELD[question["item"].response_scale])
        elif code in stored:
            saved[code] = stored[code]
    return saved


def next_client_seq(response: Response | None) -> int:
    """A sequence number for a page rendered without JavaScript: one more than any save so
    far, so a later save of the same page always wins over an earlier one."""
    if response is None:
        return 1
    if hasattr(response, "top_seq"):
        highest = response.top_seq
    else:
        highest = (
            PageSave.objects.filter(response=response)
            .order_by("-client_seq")
            .values_list("client_seq", flat=True)
            .first()
        )
    return (highest or 0) + 1


@dataclass(frozen=True)
class CardUse:
    """What the start page may say about a card in a window, never its answers: ``sent``,
    answers were already sent with it; ``started_elsewhere``, a response made with it is
    unfinished and this device did not start it (another device, or this one before its
    session ended), so this device will start its own, kept apart."""

    sent: bool = False
    started_elsewhere: bool = False


def card_use(window_id: int, participant_id: int | None, *, own_key: str | None) -> CardUse:
    if participant_id is None:
        return CardUse()
    found = Response.objects.filter(window_id=window_id, participant_id=participant_id).values_list(
        "submission_key", "submitted_on"
    )
    own = str(own_key or "").replace("-", "").lower()
    return CardUse(
        sent=any(submitted_on is not None for _, submitted_on in found),
        started_elsewhere=any(submitted_on is None and key.hex != own for key, submitted_on in found),
    )


MISSING_OPTIONS = (("dk", "Don't know"), ("pns", "Prefer not to say"))
FACES = {"1": "☹️", "2": "😐", "3": "☺️"}


def questions_markup(page, saved: dict[str, str]) -> SafeString:
    """The page's questions as HTML, with the saved options ticked: 'Don't know' and
    'Prefer not to say' on every scored question (demographic lists carry their own
    'Prefer not to say').

    The markup of a page never changes once built, so it is built once per page object
    (pages of frozen versions are cached in process) as text pieces with a slot before
    each option's ``>``; a request only fills the slots of the options it has saved. This
    is the busiest page of the pupil flow, and the template loop it replaces cost most of
    the request's time (see bench/RESULTS.md)."""
    pieces = page.markup_pieces
    if pieces is None:
        pieces = page.markup_pieces = _markup_pieces(page)
    return mark_safe("".join(piece if piece.__class__ is str else _ticked(piece, saved) for piece in pieces))


def _ticked(slot: tuple[str, str], saved: dict[str, str]) -> str:
    code, value = slot
    return " checked" if saved.get(code) == value else ""


def _markup_pieces(page) -> list:
    pieces: list = []
    text: list[str] = []

    def option(code: str, value: str, label: str, face: str | None) -> None:
        text.append(f'<label class="opt"><input type="radio" name="q_{escape(code)}" value="{escape(value)}"')
        pieces.append("".join(text))
        text.clear()
        pieces.append((code, value))
        face_html = f'<span class="face" aria-hidden="true">{escape(face)}</span>' if face else ""
        text.append(f">{face_html}<span>{escape(label)}</span></label>\n")

    for number, question in enumerate(page.questions, start=1):
        code = question["code"]
        faces = question["item"].response_scale == "faces3"
        text.append(
            f'<fieldset class="q">\n<legend>{escape(question["text"])}</legend>\n'
            f'<button type="button" class="read" data-read>Read aloud<span class="visually-hidden">: '
            f"question {number}</span></button>\n"
            '<div class="opts">\n'
        )
        for value, label in question["options"]:
            option(code, value, label, FACES.get(value) if faces else None)
        text.append("</div>\n")
        if not question["demographic"]:
            # Apart from the scale, below a divider: "Don't know" is not its middle.
            text.append('<p class="or">Or you can choose:</p>\n<div class="opts opts-missing">\n')
            for value, label in MISSING_OPTIONS:
                option(code, value, label, None)
            text.append("</div>")
        text.append("\n</fieldset>\n")
    pieces.append("".join(text))
    return pieces
