"""The question markup of a survey page: HTML built once per page and ticked per pupil.

The markup of a page never changes once built, so it is built once per page object (the
pages of frozen versions are cached in process, ``surveys.survey_pages``) as text pieces
with a slot before each option's ``>``; a request only fills the slots of the options it
has saved. The question page is the busiest page of the pupil flow, and the template loop
this replaces cost most of the request's time (see bench/RESULTS.md). Every piece of text
from the database is escaped here; the staff preview (``surveys.preview``) uses the same
markup.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MISSING_OPTIONS = (("dk", "Don't know"), ("pns", "Prefer not to say"))
FACES = {"1": "☹️", "2": "😐", "3": "☺️"}


def questions_markup(page, saved: dict[str, str]) -> SafeString:
    """The page's questions as HTML, with the saved options ticked: 'Don't know' and
    'Prefer not to say' on every scored question (demographic lists carry their own
    'Prefer not to say')."""
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
