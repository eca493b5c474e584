"""Reads for the pupil pages: the window, its pages, and what this pupil already saved
(to tick the boxes again when they go back or come back)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from surveys.models import Answer, PageSave, Response, SurveyWindow
from surveys.selectors import mark_version_frozen, survey_pages_for_version_id, version_marker

_DEMOGRAPHIC_FIELD = {"gender": "gender", "ethnicity": "ethnic_group"}


def window_for_pupil(window_id: int | None) -> SurveyWindow | None:
    if not window_id:
        return None
    return SurveyWindow.objects.select_related("group__school", "instrument_version").filter(pk=window_id).first()


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
    """The response for a submission key, with ``top_seq``: the highest ``client_seq`` of
    its page saves (None before the first save), read in the same query."""
    if not key:
        return None
    top_seq = PageSave.objects.filter(response=OuterRef("pk")).order_by("-client_seq").values("client_seq")[:1]
    return Response.objects.filter(submission_key=key).annotate(top_seq=Subquery(top_seq)).first()


def _has_page_saves(response: Response) -> bool:
    if hasattr(response, "top_seq"):
        return response.top_seq is not None
    return PageSave.objects.filter(response=response).exists()


def saved_answers(response: Response | None, page) -> dict[str, str]:
    """Answers already saved for the questions on a page, as the form's option values."""
    if response is None:
        return {}
    codes = [question["code"] for question in page.questions]
    saved = {}
    if not _has_page_saves(response):
        codes = []  # no page saved yet, so no answers to read
    if codes:
        for code, value, missing in Answer.objects.filter(response=response, item__code__in=codes).values_list(
            "item__code", "value", "missing"
        ):
            saved[code] = str(value) if value is not None else missing
    for question in page.questions:
        if question["demographic"]:
            saved[question["code"]] = getattr(response, _DEMOGRAPHIC_FIELD[question["item"].response_scale])
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


def already_sent(window_id: int, participant_id: int | None) -> bool:
    if participant_id is None:
        return False
    return Response.objects.filter(
        window_id=window_id, participant_id=participant_id, submitted_on__isnull=False
    ).exists()


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
            text.append('<div class="opts opts-missing">\n')
            for value, label in MISSING_OPTIONS:
                option(code, value, label, None)
            text.append("</div>")
        text.append("\n</fieldset>\n")
    pieces.append("".join(text))
    return pieces
