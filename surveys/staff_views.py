"""Teacher and school-lead views: survey windows for a class, the join code and QR code,
the live count of completed responses, closing by hand, participant cards, and the
safeguarding lead's 'talk to someone' list. Thin: rules live in services."""

from __future__ import annotations

import io

import qrcode
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import approved_staff_required
from accounts.school_year import academic_year_for
from accounts.selectors import schools_led_by, schools_seeing_talk_requests
from lessons import selectors as lesson_selectors

from . import selectors
from .forms import CardsForm, WindowForm, WithdrawalForm
from .models import SurveyWindow
from .pdf import render_cards_pdf
from .services import cards as card_services
from .services import windows as window_services
from .services import withdrawal as withdrawal_services


def pupil_start_url(request, join_code: str | None = None) -> str:
    """The pupils' start page (the class code form), with the code filled in when given."""
    url = request.build_absolute_uri(reverse("surveys:pupil_join"))
    return f"{url}?code={join_code}" if join_code else url


@approved_staff_required
def group_windows(request, group_id: int):
    group = lesson_selectors.group_for_user(request.user, group_id)
    now = timezone.now()
    return render(
        request,
        "surveys/staff/group_windows.html",
        {
            "group": group,
            "windows": [(window, window.state(now)) for window in selectors.windows_for_group(group=group)],
            "can_manage": window_services.can_manage_group(request.user, group),
        },
    )


@approved_staff_required
def window_create(request, group_id: int):
    group = lesson_selectors.group_for_user(request.user, group_id)
    if not window_services.can_manage_group(request.user, group):
        raise PermissionDenied
    progress = lesson_selectors.group_progress(group)
    form = WindowForm(
        request.POST or None, group=group, lessons_logged=progress.delivered, lessons_planned=progress.total
    )
    if request.method == "POST" and form.is_valid():
        try:
            window = window_services.window_open(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _scheduled_message(window))
            return redirect("surveys:window_detail", pk=window.pk)
    return render(
        request,
        "surveys/staff/window_form.html",
        {
            "group": group,
            "form": form,
            "progress": progress,
            "dpia_reference": settings.UPSTREAM_DPIA_REFERENCE,
        },
    )


def _scheduled_message(window: SurveyWindow) -> str:
    if window.state() == SurveyWindow.State.OPEN:
        return "The survey is open now. Show pupils the class code below."
    opens = timezone.localtime(window.opens_at)
    return f"The survey is scheduled. It opens on {opens:%A %-d %B at %H:%M}; the class code appears here then."


@approved_staff_required
def window_detail(request, pk: int):
    window = selectors.window_for_user(user=request.user, pk=pk)
    state = window.state()
    return render(
        request,
        "surveys/staff/window_detail.html",
        {
            "window": window,
            "group": window.group,
            "is_open": state == SurveyWindow.State.OPEN,
            "not_yet_open": state == SurveyWindow.State.NOT_YET_OPEN,
            "is_closed": state == SurveyWindow.State.CLOSED,
            "counts": selectors.window_counts(window=window),
            "quota": window_services.window_quota(window.group.pupil_count),
            "start_url": pupil_start_url(request),
            "can_manage": window_services.can_manage_group(request.user, window.group),
            "join_code_display": f"{window.join_code[:4]} {window.join_code[4:]}",
        },
    )


@approved_staff_required
@require_GET
@never_cache
def window_count(request, pk: int):
    """The live count for the teacher's page: numbers only, never answers."""
    window = selectors.window_for_user(user=request.user, pk=pk)
    return JsonResponse(
        {**selectors.window_counts(window=window), "open": window.is_open()}, headers={"Cache-Control": "no-store"}
    )


@approved_staff_required
@require_POST
def window_recount(request, pk: int):
    """Count answers kept apart as beyond the class size, after the class size was corrected."""
    window = selectors.window_for_user(user=request.user, pk=pk)
    counted = window_services.window_recount(actor=request.user, window=window)
    if counted:
        messages.success(request, f"{counted} more set{'s' if counted != 1 else ''} of answers now counted.")
    else:
        messages.info(
            request,
            "Nothing changed: the class size (plus 10 %) is already reached. Correct the class size first if more"
            " pupils took part.",
        )
    return redirect("surveys:window_detail", pk=window.pk)


@approved_staff_required
@require_GET
def window_qr(request, pk: int):
    """A PNG QR code of the pupil start address with the class code, for the board."""
    window = selectors.window_for_user(user=request.user, pk=pk)
    image = qrcode.make(pupil_start_url(request, window.join_code), box_size=12, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return HttpResponse(buffer.getvalue(), content_type="image/png", headers={"Cache-Control": "private, no-store"})


@approved_staff_required
@require_http_methods(["GET", "POST"])
def window_close(request, pk: int):
    """GET: ask first (closing cannot be undone, and pupils still answering lose the
    chance to send). POST: close now."""
    window = selectors.window_for_user(user=request.user, pk=pk)
    if not window_services.can_manage_group(request.user, window.group):
        raise PermissionDenied
    if request.method == "GET":
        if window.state() == SurveyWindow.State.CLOSED:
            messages.info(request, "This survey is already closed.")
            return redirect("surveys:window_detail", pk=window.pk)
        return render(
            request,
            "surveys/staff/window_close.html",
            {"window": window, "group": window.group, "counts": selectors.window_counts(window=window)},
        )
    window_services.window_close(actor=request.user, window=window)
    messages.success(request, "The survey is closed. The class code no longer works.")
    return redirect("surveys:window_detail", pk=window.pk)


@approved_staff_required
def cards_create(request, group_id: int):
    """GET: how many cards. POST: make the codes and return the PDF straight away; the
    plain codes exist only in this response."""
    group = lesson_selectors.group_for_user(request.user, group_id)
    if not window_services.can_manage_group(request.user, group):
        raise PermissionDenied
    form = CardsForm(request.POST or None, initial={"count": group.pupil_count + 2})
    if request.method == "POST" and form.is_valid():
        batch, codes = card_services.card_batch_create(
            actor=request.user, group=group, count=form.cleaned_data["count"]
        )
        pdf = render_cards_pdf(codes=codes, group=group, start_url=pupil_start_url(request))
        filename = f"survey-cards-{group.pk}-{batch.pk}.pdf"
        return HttpResponse(
            pdf,
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )
    return render(
        request,
        "surveys/staff/cards_form.html",
        {"group": group, "form": form, "batches": group.card_batches.order_by("-created_at")},
    )


@approved_staff_required
def talk_requests(request):
    """The safeguarding lead's list (and the school lead's): card code and date only,
    never answers."""
    if not schools_seeing_talk_requests(request.user).exists():
        raise PermissionDenied
    return render(
        request,
        "surveys/staff/talk_requests.html",
        {"requests": selectors.talk_requests_for(user=request.user)},
    )


@approved_staff_required
@require_POST
def talk_request_seen(request, pk: int):
    talk_request = selectors.talk_request_for_lead(user=request.user, pk=pk)
    window_services.talk_request_mark_seen(actor=request.user, talk_request=talk_request)
    messages.success(request, "Marked as followed up.")
    return redirect("surveys:talk_requests")


@approved_staff_required
@never_cache
def withdraw(request):
    """A school lead withdraws one pupil's data by card code: the code, then a page that
    says what will be deleted (classes and surveys, never answers), then confirm."""
    schools = schools_led_by(request.user).order_by("name")
    if not schools.exists():
        raise PermissionDenied
    current = academic_year_for(timezone.localdate())
    form = WithdrawalForm(request.POST or None, schools=schools, years=[current, current - 1, current - 2])
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "actor": request.user,
            "school": data["school"],
            "academic_year": data["academic_year"],
            "card_code": data["card_code"],
        }
        try:
            if request.POST.get("confirm") == "yes":
                result = withdrawal_services.pupil_withdraw(**arguments)
                messages.success(
                    request,
                    f"Withdrawn. Deleted {result.responses} survey response(s) with {result.answers} answer(s)"
                    f" and {result.talk_requests} request(s) to talk, and the card's link between surveys.",
                )
                return redirect("surveys:withdraw")
            preview = withdrawal_services.withdrawal_preview(**arguments)
        except withdrawal_services.WithdrawalError as error:
            form.add_error("card_code", str(error))
    return render(request, "surveys/staff/withdraw.html", {"form": form, "preview": preview})
