"""The floor: the cheapest honest Django view that serves a form and stores one 34-answer
response, through the same settings and middleware stack (sessions, CSRF, CSP, WhiteNoise)
as the pupil flow. GET returns a small form with a CSRF token; POST validates 34 answers and
stores them as one row with one raw INSERT into ``bench_floor_response`` (created by
bench/run.py). Whatever the pupil flow costs above this is the price of its features."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.http import require_http_methods

ITEMS = 34
_FIELDS = "".join(f'<label>Q{n} <input name="q{n}" inputmode="numeric" required></label>' for n in range(1, ITEMS + 1))
_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Floor</title>'
    '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    + _FIELDS
    + "<button>Send</button></form></html>"
)


@require_http_methods(["GET", "POST"])
def floor_view(request):
    if request.method == "GET":
        return HttpResponse(_PAGE.replace("{token}", get_token(request)))
    try:
        answers = [int(request.POST[f"q{n}"]) for n in range(1, ITEMS + 1)]
    except (KeyError, ValueError):
        return JsonResponse({"ok": False}, status=422)
    if any(not 1 <= value <= 5 for value in answers):
        return JsonResponse({"ok": False}, status=422)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor_response (answers, created_on) VALUES (%s, %s) RETURNING id",
            [answers, timezone.localdate()],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"ok": True, "id": row_id})
