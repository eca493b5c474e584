"""Wagtail admin views for instruments: the version form and edit view that refuse changes
to frozen versions, publish / new-version actions, the pupil-eye preview and the paper
import upload. Thin: rules live in ``services.instruments`` and ``services.importing``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import DeleteView, EditView, InspectView
from wagtail.admin.widgets import HeaderButton

from . import selectors
from .models import Instrument, InstrumentVersion, SurveyWindow
from .preview import render_pupil_page
from .services import importing
from .services.instruments import (
    FROZEN_MESSAGE,
    InstrumentRuleError,
    instrument_suits_year_group,
    instrument_version_new_draft,
    instrument_version_publish,
    next_version_number,
    programmes_using,
    publish_problems,
    version_is_frozen,
)

IMPORT_PERMISSION = "surveys.add_response"
# Publishing is a moderator's (or officer's) act, like publishing a page: editors draft.
PUBLISH_PERMISSION = "surveys.publish_instrumentversion"


def _publish_button(request, version: InstrumentVersion) -> list[HeaderButton]:
    if not request.user.has_perm(PUBLISH_PERMISSION):
        return []
    return [HeaderButton("Publish…", url=reverse("surveys_admin:publish", args=[version.pk]), icon_name="upload")]


class InstrumentVersionForm(WagtailAdminModelForm):
    """Numbers a new version automatically and refuses to save a frozen one."""

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and version_is_frozen(self.instance):
            raise forms.ValidationError(FROZEN_MESSAGE)
        if self.instance.pk and "instrument" in self.changed_data:
            self.add_error("instrument", "A version belongs to its instrument. Make a new version there instead.")
        return cleaned

    def save(self, commit=True):
        if not self.instance.number and self.instance.instrument_id:
            self.instance.number = next_version_number(self.instance.instrument)
        return super().save(commit=commit)


class InstrumentVersionEditView(EditView):
    """The standard edit view, plus a warning (GET) or a refusal (POST) for frozen versions
    and header buttons for preview, publish and new version."""

    def dispatch(self, request, *args, **kwargs):
        version = get_object_or_404(InstrumentVersion, pk=kwargs.get(self.pk_url_kwarg))
        if version_is_frozen(version):
            if request.method == "POST":
                messages.error(request, FROZEN_MESSAGE)
                return HttpResponseRedirect(request.path)
            messages.warning(request, FROZEN_MESSAGE)
        return super().dispatch(request, *args, **kwargs)

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        pk = self.object.pk
        buttons.append(
            HeaderButton("Preview as a pupil", url=reverse("surveys_admin:preview", args=[pk]), icon_name="view")
        )
        buttons.extend(_publish_button(self.request, self.object))
        buttons.append(
            HeaderButton("New version…", url=reverse("surveys_admin:new_version", args=[pk]), icon_name="copy")
        )
        return buttons


class InstrumentVersionInspectView(InspectView):
    """The standard inspect view, with the publish action for those who may publish
    (officers can publish but not edit, so they start here)."""

    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *_publish_button(self.request, self.object)]


class InstrumentVersionDeleteView(DeleteView):
    """Refuses to delete a version any survey window uses (the database protects it too)."""

    def dispatch(self, request, *args, **kwargs):
        version = get_object_or_404(InstrumentVersion, pk=kwargs.get(self.pk_url_kwarg))
        if version.windows.exists():
            messages.error(request, "Classes have used this version, so it cannot be deleted. Retire it instead.")
            return redirect(_edit_url(version))
        return super().dispatch(request, *args, **kwargs)


class InstrumentDeleteView(DeleteView):
    """Refuses to delete an instrument that still has versions."""

    def dispatch(self, request, *args, **kwargs):
        instrument = get_object_or_404(Instrument, pk=kwargs.get(self.pk_url_kwarg))
        if instrument.versions.exists():
            messages.error(request, "Delete or keep its versions first: an instrument with versions cannot be deleted.")
            return redirect("surveys_instrument:edit", instrument.pk)
        return super().dispatch(request, *args, **kwargs)


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _edit_url(version: InstrumentVersion) -> str:
    return reverse("surveys_instrumentversion:edit", args=[version.pk])


def _back_url(request, version: InstrumentVersion) -> str:
    """Where publishing returns to: the edit view, or the inspect view for those who may
    not edit (officers)."""
    if request.user.has_perm("surveys.change_instrumentversion"):
        return _edit_url(version)
    return reverse("surveys_instrumentversion:inspect", args=[version.pk])


def _programme_choices(version: InstrumentVersion) -> list[dict]:
    """Live programmes with whether every year group they teach suits the instrument."""
    from lessons.models import ProgrammePage

    return [
        {
            "page": page,
            "fits": all(instrument_suits_year_group(version.instrument, y) for y in page.year_groups),
        }
        for page in ProgrammePage.objects.live().order_by("title")
    ]


def publish(request, pk: int):
    """GET: what publishing would check, with any problems listed, and the programmes the
    version is meant for. POST: publish, checking those programmes and the ones whose
    classes already use the instrument. Moderators and officers only
    (``PUBLISH_PERMISSION``); editors draft and ask a moderator."""
    _require(request, PUBLISH_PERMISSION)
    version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=pk)
    choices = _programme_choices(version)
    if request.method == "POST":
        chosen_ids = {int(value) for value in request.POST.getlist("programmes") if value.isdigit()}
        chosen = [choice["page"] for choice in choices if choice["page"].pk in chosen_ids]
        try:
            instrument_version_publish(version=version, programmes=[*programmes_using(version.instrument), *chosen])
        except InstrumentRuleError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("surveys_admin:publish", pk=pk)
        messages.success(request, f"{version} is published: teachers can now choose it for their classes.")
        return redirect(_back_url(request, version))
    return render(
        request,
        "surveys/admin/publish.html",
        {
            "page_title": f"Publish {version}",
            "header_icon": "upload",
            "version": version,
            "problems": publish_problems(version),
            "programmes": choices,
            "edit_url": _back_url(request, version),
        },
    )


def new_version(request, pk: int):
    """GET: confirm. POST: copy the version (scales and items) to a new draft and edit it."""
    _require(request, "surveys.add_instrumentversion")
    version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=pk)
    if request.method == "POST":
        draft = instrument_version_new_draft(version=version)
        messages.success(request, f"Version {draft.number} is a draft copy of version {version.number}. Edit it here.")
        return redirect(_edit_url(draft))
    return render(
        request,
        "surveys/admin/new_version.html",
        {
            "page_title": f"New version of {version.instrument}",
            "header_icon": "copy",
            "version": version,
            "frozen": version_is_frozen(version),
            "edit_url": _edit_url(version),
        },
    )


def preview(request, version_id: int):
    """The survey pages as a pupil sees them, read-only (nothing is saved)."""
    _require(request, "surveys.view_instrumentversion")
    version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=version_id)
    layout = request.GET.get("layout", SurveyWindow.Layout.SCALE_PER_PAGE)
    if layout not in SurveyWindow.Layout.values:
        layout = SurveyWindow.Layout.SCALE_PER_PAGE
    pages = selectors.survey_pages(version=version, layout=layout)
    return render(
        request,
        "surveys/preview.html",
        {"version": version, "pages": pages, "layout": layout, "layouts": SurveyWindow.Layout.choices},
    )


def preview_page(request, version_id: int, number: int):
    """One page rendered with the pupils' own template, read-only (see surveys/preview.py)."""
    _require(request, "surveys.view_instrumentversion")
    version = get_object_or_404(InstrumentVersion.objects.select_related("instrument"), pk=version_id)
    layout = request.GET.get("layout", SurveyWindow.Layout.SCALE_PER_PAGE)
    if layout not in SurveyWindow.Layout.values:
        layout = SurveyWindow.Layout.SCALE_PER_PAGE
    pages = selectors.survey_pages(version=version, layout=layout)
    if not 1 <= number <= len(pages):
        return redirect("surveys_admin:preview", version_id=version.pk)
    return HttpResponse(render_pupil_page(request=request, version=version, pages=pages, number=number, layout=layout))


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file of paper survey answers",
        help_text=(
            "Columns: school_urn, group, year_group, wave, participant_code, gender, ethnicity, then one "
            "column per question code holding the value, blank, DK or PNS. Nothing is saved unless every row is valid."
        ),
    )


def import_upload(request):
    _require(request, IMPORT_PERMISSION)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems = [importing.Problem(row=0, column="", reason="The file is not UTF-8 text. Save it as CSV UTF-8.")]
        else:
            try:
                result = importing.responses_import(text=text)
            except importing.ImportRefused as refused:
                problems = refused.problems
        if result is not None:
            messages.success(request, result.summary)
    return render(
        request,
        "surveys/admin/import.html",
        {
            "page_title": "Import paper surveys",
            "header_icon": "upload",
            "form": form,
            "problems": problems,
            "result": result,
        },
    )
