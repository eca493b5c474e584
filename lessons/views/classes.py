"""Classes (teaching groups) and their delivery log. Every group lookup is scoped by
``selectors.group_for_user``, so another school's group is a 404 for every action."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from accounts.converters import parse_id
from accounts.decorators import approved_staff_required

from .. import selectors, services
from ..forms import LessonDeliveryForm, TeachingGroupForm
from ..models import LessonPage


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _submitted(request, form, save):
    """What ``save(form.cleaned_data)`` returns for a valid POST; None for a GET, an invalid
    form, or a ValidationError from the service, which is put on the form to show."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        _add_errors(form, error)
        return None


@approved_staff_required
def group_list(request):
    return render(
        request,
        "lessons/teaching_group_list.html",
        {
            "groups": selectors.groups_with_progress(selectors.active_groups(request.user)),
            "archived": selectors.archived_groups(request.user),
        },
    )


@approved_staff_required
def group_create(request):
    programme_id = parse_id(request.GET.get("programme"))
    initial = {"programme": programme_id} if programme_id is not None else {}
    form = TeachingGroupForm(request.POST or None, user=request.user, initial=initial)
    group = _submitted(
        request,
        form,
        lambda data: services.teaching_group_create(
            teacher=request.user,
            school=data["school"],
            name=data["name"],
            year_group=data["year_group"],
            pupil_count=data["pupil_count"],
            programme=data["programme"],
            co_teachers=data["co_teachers"],
        ),
    )
    if group is not None:
        messages.success(request, f"Class {group.name} created.")
        return redirect("lessons:group_detail", pk=group.pk)
    return render(request, "lessons/teaching_group_form.html", {"form": form, "group": None})


@approved_staff_required
def group_detail(request, pk: int):
    group = selectors.group_for_user(request.user, pk)
    return render(
        request,
        "lessons/teaching_group.html",
        {"group": group, "progress": selectors.group_progress(group), "co_teachers": group.co_teachers.all()},
    )


@approved_staff_required
def group_edit(request, pk: int):
    group = selectors.group_for_user(request.user, pk)
    form = TeachingGroupForm(request.POST or None, user=request.user, instance=group)
    saved = _submitted(
        request,
        form,
        lambda data: services.teaching_group_update(
            group=group,
            name=data["name"],
            year_group=data["year_group"],
            pupil_count=data["pupil_count"],
            co_teachers=data["co_teachers"],
        ),
    )
    if saved is not None:
        messages.success(request, "Class details saved.")
        return redirect("lessons:group_detail", pk=group.pk)
    return render(request, "lessons/teaching_group_form.html", {"form": form, "group": group})


@require_POST
@approved_staff_required
def group_archive(request, pk: int):
    group = selectors.group_for_user(request.user, pk)
    archive = request.POST.get("archive", "1") == "1"
    services.teaching_group_archive(group=group, archive=archive)
    messages.success(request, f"Class {group.name} {'archived' if archive else 'restored'}.")
    if archive:
        return redirect("lessons:group_list")
    return redirect("lessons:group_detail", pk=pk)


@approved_staff_required
def delivery_create(request, pk: int):
    group = selectors.group_for_user(request.user, pk)
    lesson = None
    if request.GET.get("lesson"):
        lesson_id = parse_id(request.GET["lesson"])
        if lesson_id is None:
            raise Http404("No such lesson.")
        lesson = get_object_or_404(LessonPage.objects.live().child_of(group.programme), pk=lesson_id)
    form = LessonDeliveryForm(request.POST or None, group=group, lesson=lesson)
    delivery = _submitted(
        request,
        form,
        lambda data: services.lesson_delivery_record(
            group=group,
            lesson=data["lesson"].specific,
            delivered_on=data["delivered_on"],
            minutes=data["minutes"],
            adaptations=data["adaptations"],
            note=data["note"],
            logged_by=request.user,
        ),
    )
    if delivery is not None:
        messages.success(request, f"Logged: {delivery.lesson.title} on {date_format(delivery.delivered_on)}.")
        return redirect("lessons:group_detail", pk=group.pk)
    return render(request, "lessons/lesson_delivery_form.html", {"form": form, "group": group, "delivery": None})


@approved_staff_required
def delivery_edit(request, pk: int, delivery_pk: int):
    group = selectors.group_for_user(request.user, pk)
    delivery = selectors.delivery_for_group(group, delivery_pk)
    form = LessonDeliveryForm(request.POST or None, group=group, instance=delivery)
    corrected = _submitted(
        request,
        form,
        lambda data: services.lesson_delivery_correct(
            delivery=delivery,
            delivered_on=data["delivered_on"],
            minutes=data["minutes"],
            adaptations=data["adaptations"],
            note=data["note"],
        ),
    )
    if corrected is not None:
        messages.success(request, "Entry corrected.")
        return redirect("lessons:group_detail", pk=group.pk)
    return render(request, "lessons/lesson_delivery_form.html", {"form": form, "group": group, "delivery": delivery})


@approved_staff_required
def delivery_delete(request, pk: int, delivery_pk: int):
    group = selectors.group_for_user(request.user, pk)
    delivery = selectors.delivery_for_group(group, delivery_pk)
    if request.method == "POST":
        title = delivery.lesson.title
        services.lesson_delivery_undo(delivery=delivery)
        messages.success(request, f"Removed the entry for {title}.")
        return redirect("lessons:group_detail", pk=group.pk)
    return render(request, "lessons/lesson_delivery_confirm_delete.html", {"group": group, "delivery": delivery})
