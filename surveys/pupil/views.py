"""The pupil survey: join code -> card code (or own code) -> assent -> questions -> thanks.

Thin views over ``surveys.pupil.access`` (getting in), ``surveys.pupil.selectors`` (reads)
and ``surveys.services.submission`` (writes). Every page works as a plain form post with
redirect-after-post; static/js/pupil.js enhances the question pages (JSON saves, offline
queue). The session holds only the window id, the participant id, the submission key and
the card code (for 'talk to someone'), plus the keys this device was given
(``access.hold_key``): only the device that started a response can carry on with it.
"""

from __future__ import annotations

import contextlib
import functools
import logging

from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys import sgic, survey_pages
from surveys.models import SurveyWindow
from surveys.services import submission
from surveys.services import talk as talk_services
from surveys.templatetags.pupil_talk import named_safeguarding_lead

from . import access, selectors, shells
from .csrf import pupil_csrf_protect
from .forms import BadBody, answers_from_post, int_field, parse_save_body
from .markup import questions_markup

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def pupil_view(view):
    """Headers every pupil page carries, and a kind 503 (with Retry-After) instead of a
    500 when the database is unreachable: the device keeps its answers and retries."""

    @pupil_csrf_protect
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except DatabaseError:
            logger.warning("pupil view %s: database unavailable", view.__name__)
            if request.content_type == "application/json":
                response = JsonResponse(
                    {"ok": False, "error": "unavailable", "message": "Busy. Trying again soon."}, status=503
                )
            else:
                response = render(request, "surveys/pupil/unavailable.html", status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapped


def _context(window: SurveyWindow | None, **extra) -> dict:
    school = window.group.school if window is not None else None
    return {"window": window, "school": school, **extra}


def _shell_key(window: SurveyWindow | None, *parts) -> tuple:
    """The key of a page's shell (``shells``): ``parts`` and what every pupil page shows of
    the school, its safeguarding lead in the footer (templates/surveys/pupil/base.html)."""
    school = window.group.school if window is not None else None
    footer = (school.dsl_name, school.dsl_contact) if school is not None else None
    return (*parts, footer)


def _talk_context(window: SurveyWindow | None, **extra) -> dict:
    """``_context`` for a page with the "talk to someone" button (_talk.html): whom a
    request reaches, by name only when that is true (``named_safeguarding_lead``)."""
    context = _context(window, **extra)
    context["talk_lead"] = (
        named_safeguarding_lead(context["school"], has_account=selectors.safeguarding_lead_has_account)
        if window is not None
        else ""
    )
    return context


def _state_window(request, *, need: str = "window", fresh: bool = True):
    """(state, window) for the current step, or (state, None) when the pupil must start again.
    ``fresh=False`` for pages that decide nothing on the window's state (see
    ``selectors.window_for_pupil_page``)."""
    state = access.PupilState.load(request.session)
    if need == "participant" and not state.participant_id:
        return state, None
    if need == "key" and not (state.participant_id and state.key):
        return state, None
    if fresh:
        return state, selectors.window_for_pupil(window_id=state.window_id)
    return state, selectors.window_for_pupil_page(window_id=state.window_id)


# --- Getting in ----------------------------------------------------------------------


@pupil_view
@require_http_methods(["GET", "POST"])
def join(request):
    code = request.GET.get("code", "")[:20]
    if request.method == "POST":
        code = request.POST.get("code", "")[:40]
        try:
            window = access.window_for_join_code(
                code, address=access.client_address(request), session_key=_session_key(request)
            )
        except access.AccessRefused as refused:
            status = 429 if refused.limited else 200
            return render(
                request, "surveys/pupil/join.html", _context(None, code=code, error=refused.message), status=status
            )
        request.session.pop("pupil", None)
        access.PupilState(window_id=window.pk).store(request.session)
        return redirect("surveys:pupil_card")
    return shells.render(request, "surveys/pupil/join.html", _context(None), key=_shell_key(None), slots={"code": code})


def _session_key(request) -> str:
    """The session's key, for the failed-code counters: a new session's is drawn now and
    written with the session (``config.session_store.SessionStore.reserve_key``)."""
    return request.session.reserve_key()


def _card_entered(request, window: SurveyWindow):
    """(participant, card code, error message, limited) from the card or own-code form."""
    school = window.group.school
    if window.linkage == SurveyWindow.Linkage.SGIC:
        try:
            hashes = sgic.hash_elements(request.POST, school_id=school.pk)
        except sgic.SgicError as error:
            return None, "", "Please answer every question.", False, error.errors
        participant = submission.sgic_participant_get_or_create(
            school_id=school.pk,
            academic_year=window.group.academic_year,
            code_hash=hashes.code_hash,
            element_hashes=hashes.element_hashes,
        )
        return participant, "", "", False, {}
    try:
        participant, code = access.participant_for_card(
            request.POST.get("code", "")[:40],
            window=window,
            session_key=_session_key(request),
            address=access.client_address(request),
        )
    except access.AccessRefused as refused:
        return None, "", refused.message, refused.limited, {}
    return participant, code, "", False, {}


def _elements_for_display(posted, errors) -> list[dict]:
    return [
        {"element": element, "chosen": posted.get(element.name, ""), "error": errors.get(element.name, "")}
        for element in sgic.element_questions()
    ]


@pupil_view
@require_http_methods(["GET", "POST"])
def card(request):
    state, window = _state_window(request)
    if window is None:
        return redirect("surveys:pupil_join")
    if not window.is_open():
        return render(request, "surveys/pupil/closed.html", _context(window), status=409)
    sgic_window = window.linkage == SurveyWindow.Linkage.SGIC
    context = _context(window, sgic_window=sgic_window, elements=_elements_for_display({}, {}) if sgic_window else ())
    if request.method == "POST":
        participant, code, error, limited, element_errors = _card_entered(request, window)
        if participant is None:
            context.update(error=error, code=request.POST.get("code", "")[:40])
            if sgic_window:
                context["elements"] = _elements_for_display(request.POST, element_errors)
            return render(request, "surveys/pupil/card.html", context, status=429 if limited else 200)
        access.PupilState(window_id=window.pk, participant_id=participant.pk, card_code=code).store(request.session)
        return redirect("surveys:pupil_assent")
    if sgic_window:
        return render(request, "surveys/pupil/card.html", context)
    return shells.render(request, "surveys/pupil/card.html", context, key=_shell_key(window), slots={"code": ""})


@pupil_view
@require_http_methods(["GET", "POST"])
def assent(request):
    state, window = _state_window(request, need="participant")
    if window is None:
        return redirect("surveys:pupil_join")
    held = access.held_key(request.session, window_id=window.pk, participant_id=state.participant_id)
    if request.method == "POST":
        if request.POST.get("choice") != "yes":
            # "No thanks" stores nothing: the session forgets the card (and any response it
            # started with it earlier) and nothing is written.
            access.release_key(request.session, window_id=window.pk, participant_id=state.participant_id)
            access.PupilState(window_id=window.pk).store(request.session)
            return redirect("surveys:pupil_no_thanks")
        if not window.is_open():
            return render(request, "surveys/pupil/closed.html", _context(window), status=409)
        key = str(
            submission.submission_key_for(window_id=window.pk, participant_id=state.participant_id, held_key=held)
        )
        access.hold_key(request.session, window_id=window.pk, participant_id=state.participant_id, key=key)
        access.PupilState(
            window_id=window.pk, participant_id=state.participant_id, key=key, card_code=state.card_code
        ).store(request.session)
        return redirect("surveys:pupil_page", no=1)
    use = selectors.card_use(window_id=window.pk, participant_id=state.participant_id, own_key=held)
    return shells.render(
        request,
        "surveys/pupil/assent.html",
        _context(window, already_sent=use.sent, started_elsewhere=use.started_elsewhere),
        key=_shell_key(window, use.sent, use.started_elsewhere),
        slots={},
    )


# --- Questions -----------------------------------------------------------------------


_UNREAD = object()


def _render_page(request, window, state, pages, page, *, error="", status=200, answers=None, response=_UNREAD):
    if response is _UNREAD:
        response = selectors.response_for_key(key=state.key)
    last = page.number == len(pages)
    context = _context(window, page=page, total=len(pages), last=last, error=error)
    slots = {
        "key": state.key,
        "seq": str(selectors.next_client_seq(response=response)),
        "questions": questions_markup(
            page, answers if answers is not None else selectors.saved_answers(response=response, page=page)
        ),
    }
    if error:
        return render(request, "surveys/pupil/page.html", {**context, **slots}, status=status)
    # The page object is its version's (cached while the version is frozen): its shells go
    # with it, and one page's shell is never another's.
    key = _shell_key(window, len(pages), last)
    return shells.render(request, "surveys/pupil/page.html", context, key=key, slots=slots, store=page.shells)


@pupil_view
@require_http_methods(["GET", "POST"])
def page(request, no: int):
    state, window = _state_window(request, need="key", fresh=False)
    if window is None:
        return redirect("surveys:pupil_join")
    if request.method == "GET":
        sent = selectors.response_for_key(key=state.key)
        if sent is not None:
            # A committed response uses this version: the admin refuses edits from now on,
            # so its pages may be cached.
            survey_pages.mark_frozen(selectors.version_marker(window=window))
        pages = selectors.pages_for(window=window)
        if not 1 <= no <= len(pages):
            return redirect("surveys:pupil_page", no=1)
        if sent is not None and sent.response.submitted_on is not None:
            return redirect("surveys:pupil_thanks")  # already sent: nothing left to change
        return _render_page(request, window, state, pages, pages[no - 1], response=sent)

    pages = selectors.pages_for(window=window)
    if not 1 <= no <= len(pages):
        return redirect("surveys:pupil_page", no=1)
    current = pages[no - 1]

    answers = answers_from_post(current, request.POST, skip=request.POST.get("action") == "skip")
    final = no == len(pages)
    seq = int_field(request.POST.get("seq"))
    for attempt in range(2):
        try:
            submission.page_save(
                window_id=window.pk,
                participant_id=state.participant_id,
                submission_key=state.key,
                page_no=no,
                client_seq=seq,
                answers=answers,
                final=final,
            )
            break
        except submission.KeyReused as refused:
            if final or attempt:
                return _render_page(request, window, state, pages, current, error=refused.message, status=422)
            # Without JavaScript, the same form sent again with new choices (back button)
            # is a new save, not a replay: give it a fresh sequence number once.
            seq = selectors.next_client_seq(response=selectors.response_for_key(key=state.key))
        except submission.WindowClosed:
            return render(request, "surveys/pupil/closed.html", _context(window), status=409)
        except submission.SubmissionError as refused:
            return _render_page(
                request, window, state, pages, current, error=refused.message, status=refused.status, answers=answers
            )
    if final:
        return redirect("surveys:pupil_thanks")
    return redirect("surveys:pupil_page", no=no + 1)


@pupil_view
@require_POST
def save(request):
    """JSON page save for pupil.js: ``{key, page, seq, answers, final}``."""
    state = access.PupilState.load(request.session)
    try:
        body = parse_save_body(request)
    except BadBody as bad:
        return JsonResponse({"ok": False, "error": "bad_request", "message": bad.message}, status=bad.status)
    if not (state.window_id and state.participant_id and state.key) or body.key != state.key:
        return JsonResponse(
            {
                "ok": False,
                "error": "stale",
                "message": "These answers belong to a survey that has ended on this device.",
            },
            status=403,
        )
    try:
        result = submission.page_save(
            window_id=state.window_id,
            participant_id=state.participant_id,
            submission_key=body.key,
            page_no=body.page,
            client_seq=body.seq,
            answers=body.answers,
            final=body.final,
        )
    except submission.SubmissionError as refused:
        return JsonResponse({"ok": False, "error": refused.code, "message": refused.message}, status=refused.status)
    if result.completed:
        next_url = reverse("surveys:pupil_thanks")
    else:
        next_url = reverse("surveys:pupil_page", kwargs={"no": min(result.page_no + 1, result.page_count)})
    return JsonResponse({"ok": True, "page": result.page_no, "completed": result.completed, "next": next_url})


# --- Ending --------------------------------------------------------------------------


@pupil_view
@require_POST
def stop(request):
    """Stop: nothing more is stored. The card code stays only so 'talk to someone' works."""
    state = access.PupilState.load(request.session)
    access.release_key(request.session, window_id=state.window_id, participant_id=state.participant_id)
    access.PupilState(window_id=state.window_id, card_code=state.card_code).store(request.session)
    return redirect("surveys:pupil_stopped")


@pupil_view
@require_GET
def stopped(request):
    _, window = _state_window(request, fresh=False)
    return render(request, "surveys/pupil/stopped.html", _talk_context(window))


@pupil_view
@require_GET
def no_thanks(request):
    _, window = _state_window(request, fresh=False)
    return render(request, "surveys/pupil/no_thanks.html", _context(window))


@pupil_view
@require_GET
def thanks(request):
    state, window = _state_window(request, fresh=False)
    if window is None:
        return redirect("surveys:pupil_join")
    sent = selectors.response_for_key(key=state.key)
    if sent is not None and sent.response.submitted_on is not None:
        # The answers are in: the session forgets the participant and the submission key,
        # keeping only the window (for this page's signposting) and the card code (for
        # "talk to someone"). Nobody using this device later can reach the survey again.
        access.release_key(request.session, window_id=window.pk, participant_id=state.participant_id)
        access.PupilState(window_id=window.pk, card_code=state.card_code).store(request.session)
    context = _talk_context(window)
    key = _shell_key(window, window.linkage, context["talk_lead"])
    return shells.render(request, "surveys/pupil/thanks.html", context, key=key, slots={})


@pupil_view
@require_POST
def talk(request):
    """One request per device and window: pressing again (or 40 times at once) shows the
    same 'we've let them know' page without asking again. Refused kindly once the window
    has closed, or when the window has had more requests without a card than pupils."""
    state, window = _state_window(request)
    if window is None:
        return redirect("surveys:pupil_join")
    if not window.is_open():
        return render(request, "surveys/pupil/talk_closed.html", _context(window), status=409)
    session_key = _session_key(request)
    if not access.talk_first_press(session_key=session_key, window_id=window.pk):
        return redirect("surveys:pupil_talk_sent")
    code = state.card_code if window.linkage == SurveyWindow.Linkage.CARDS else ""
    try:
        talk_services.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code=code)
    except talk_services.TalkClosed:
        access.talk_press_undo(session_key=session_key, window_id=window.pk)
        return render(request, "surveys/pupil/talk_closed.html", _context(window), status=409)
    except talk_services.TalkLimited:
        access.talk_press_undo(session_key=session_key, window_id=window.pk)
        return render(request, "surveys/pupil/talk_not_sent.html", _context(window), status=429)
    except Exception:
        with contextlib.suppress(DatabaseError):
            access.talk_press_undo(session_key=session_key, window_id=window.pk)
        raise
    return redirect("surveys:pupil_talk_sent")


@pupil_view
@require_GET
def talk_sent(request):
    state, window = _state_window(request, fresh=False)
    if window is None:
        return redirect("surveys:pupil_join")
    return render(request, "surveys/pupil/talk_sent.html", _context(window, has_code=bool(state.card_code)))
