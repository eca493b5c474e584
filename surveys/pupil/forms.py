"""Reading what a pupil's browser sends: plain form posts (no JavaScript) and the JSON
save body (pupil.js). Parsing only; the rules live in surveys.services.submission."""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_JSON_BYTES = 16 * 1024


class BadBody(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def answers_from_post(page, post, *, skip: bool) -> dict[str, str]:
    """One page's answers from a plain form post: ``q_<code>`` radio values. 'Skip' sends
    every question on the page as skipped, whatever was ticked."""
    answers = {}
    for question in page.questions:
        code = question["code"]
        answers[code] = "skip" if skip else post.get(f"q_{code}", "")
    return answers


def int_field(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value)
    return None


@dataclass(frozen=True)
class SaveBody:
    key: str
    page: object
    seq: object
    answers: object
    final: bool


def parse_save_body(request) -> SaveBody:
    """The JSON body ``{key, page, seq, answers, final}`` or ``BadBody`` (400, 413, 415)."""
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        length = 0
    if length > MAX_JSON_BYTES:
        raise BadBody("That is far too much to be a page of answers.", status=413)
    if not request.content_type.startswith("application/json"):
        raise BadBody("Send answers as JSON.", status=415)
    raw = request.body
    if len(raw) > MAX_JSON_BYTES:
        raise BadBody("That is far too much to be a page of answers.", status=413)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadBody("The answers could not be read.")
    if not isinstance(data, dict):
        raise BadBody("The answers could not be read.")
    final = data.get("final", False)
    if not isinstance(final, bool):
        raise BadBody("'final' must be true or false.")
    key = data.get("key")
    return SaveBody(
        key=key if isinstance(key, str) else "",
        page=int_field(data.get("page")),
        seq=int_field(data.get("seq")),
        answers=data.get("answers"),
        final=final,
    )
