"""Pupil pages rendered from their templates once per process, then filled in per request.

Why. A pupil's survey is 17 requests, nine of them pages, and the template engine was the
largest single cost of a page: about 1 ms of CPU per question page for the base template's
blocks, the include, the ``{% static %}``, ``{% url %}`` and ``{% csrf_token %}`` tags and
the context processors, for output that is the same for every pupil of a school on the same
page (bench/RESULTS.md and bench/notes.md, "Issue 11, second round").

How. A *shell* is the page's template rendered with a marker in place of every value that
differs between two requests for the same page (the CSRF token, the CSP nonce, the pupil's
submission key, sequence number and ticked answers, a typed code), split at the markers.
A request joins the pieces with its own values, escaped exactly as ``{{ value }}`` escapes
them (``conditional_escape``: text is escaped, markup built by ``surveys.pupil.markup`` is
already safe). The template stays the only source of the markup; the shell is its output.

What the caller promises. ``key`` names everything else the page shows (for example the
page number and total, and the school's safeguarding lead in the footer): two requests with
the same key and template get the same text outside the slots. Pages that show an error or
anything else rare are rendered the ordinary way. tests/surveys/pupil/test_shells.py renders
every page both ways and compares them byte for byte.

What stays the same. The CSRF token comes from ``get_token`` for this request (so the
cookie is set as before) whenever the page has a form; the CSP nonce, if a pupil template
ever prints ``{{ CSP_NONCE }}``, comes from ``request.csp_nonce``, so the header names it.
Nothing a pupil typed or saved is kept in a shell: only the markers are.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.urls import get_script_prefix
from django.utils.html import conditional_escape

#: The request-specific values every shell may hold, besides the caller's slots.
CSRF_SLOT = "csrf_token"
CSP_NONCE_SLOT = "CSP_NONCE"

# A marker is text no template filter or escaping changes and no database text contains: a
# per-process random token between ASCII unit separators, which HTML never needs.
_TOKEN = secrets.token_hex(8)
_MARKER = re.compile("\x1f" + _TOKEN + r":(\w+)\x1f")
_LIMIT = 512

#: Shells of the pages that are not question pages, by (template, script prefix, key,
#: generation). ``clear`` starts a new generation, so shells kept elsewhere (a question
#: page keeps its own) are not used after it either.
_SHELLS: dict[tuple, tuple[str, ...]] = {}
_generation = 0


class ShellError(RuntimeError):
    """A template changed a marker (a filter on a slot value): render the page normally."""


def _marker(name: str) -> str:
    return f"\x1f{_TOKEN}:{name}\x1f"


def build(template_name: str, context: Mapping[str, object], slots) -> tuple[str, ...]:
    """The template rendered with markers for ``slots`` (and the CSRF token and CSP nonce),
    as pieces: text at even positions, slot names at odd ones."""
    names = {*slots, CSRF_SLOT, CSP_NONCE_SLOT}
    html = loader.get_template(template_name).render({**context, **{name: _marker(name) for name in names}})
    pieces = tuple(_MARKER.split(html))
    for text in pieces[::2]:
        if "\x1f" in text:
            raise ShellError(f"{template_name} changes a slot's value; render it without a shell")
    return pieces


def fill(request, pieces: tuple[str, ...], slots: Mapping[str, str]) -> str:
    """The page: the shell's text with this request's values in its slots."""
    values: dict[str, str] = dict(slots)
    out = []
    for index, piece in enumerate(pieces):
        if not index % 2:
            out.append(piece)
            continue
        if piece not in values:
            # Once per page: every form gets the same token, as from the template's lazy
            # ``csrf_token``; a slot the caller did not give is an error (KeyError).
            if piece == CSRF_SLOT:
                values[piece] = get_token(request)
            elif piece == CSP_NONCE_SLOT:
                values[piece] = str(request.csp_nonce)
        out.append(conditional_escape(str(values[piece])))
    return "".join(out)


def render(
    request,
    template_name: str,
    context: Mapping[str, object],
    *,
    key: tuple,
    slots: Mapping[str, str],
    store: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """The response ``render(request, template_name, {**context, **slots})`` would give,
    from the shell for (``template_name``, ``key``), built on first use. ``store``: where to
    keep the shell (a question page keeps its own, so it goes when its version's pages do);
    the module's bounded dict by default."""
    shells = _SHELLS if store is None else store
    full_key = (template_name, get_script_prefix(), key, _generation)
    pieces = shells.get(full_key)
    if pieces is None:
        pieces = build(template_name, context, slots)
        if not settings.DEBUG:  # with DEBUG, templates may change under a running server
            if len(shells) >= _LIMIT:
                shells.clear()
            shells[full_key] = pieces
    return HttpResponse(fill(request, pieces, slots), status=status)


def clear() -> None:
    global _generation
    _generation += 1
    _SHELLS.clear()


@receiver(setting_changed)
def _setting_changed(**kwargs) -> None:
    """Settings changed under a running process (tests: templates, URLs, static files)."""
    clear()
