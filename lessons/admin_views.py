"""Wagtail admin views for content, replacing three of Wagtail's own that answer a
malformed or unusual request with a server error (Wagtail 8.0 bugs). Each keeps Wagtail's
behaviour for well-formed requests and fixes only the cause:

- ``external_link_chooser``: the rich-text editor's external-link form. A POST without the
  URL field reached ``URLOrAbsolutePathValidator.is_absolute_path(None)`` and raised
  ``AttributeError``; a missing URL is now an empty one (the form says it is required).
- ``CreateDocumentFromUploadView``: the multiple uploader's "finish this upload" form. Its
  document gets its file only after validation, but ``AbstractDocument.clean()`` checks the
  file's extension and reports it against ``file``, a field that form does not have, which
  Django refuses with ``ValueError``: every such request was a 500, valid or not. The form
  now validates the upload's own file, and any model error about a field the form lacks is
  shown as a form-wide error.
- ``SnippetChooserWithoutCreation``: a snippet chooser with no creation form (Wagtail omits
  its "Create" tab) still routed ``create/`` to a view that called ``None.is_valid()``; it
  now answers 404, after the usual permission check.

Wagtail's page-copy view, which read ``new_parent_page`` without checking it was sent, is
guarded by a ``before_copy_page`` hook in ``wagtail_hooks``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.forms.choosers import ExternalLinkChooserForm, URLOrAbsolutePathField
from wagtail.admin.views.chooser import ExternalLinkView
from wagtail.documents.views.multiple import CreateFromUploadedDocumentView
from wagtail.snippets.views.chooser import SnippetChooserViewSet, SnippetCreateView


class _URLOrAbsolutePathField(URLOrAbsolutePathField):
    def to_python(self, value):
        return super().to_python("" if value is None else value)


class _ExternalLinkForm(ExternalLinkChooserForm):
    url = _URLOrAbsolutePathField(required=True, label=ExternalLinkChooserForm.base_fields["url"].label)


# Wrapped as Wagtail wraps its admin URLs: admin access required, never cached.
external_link_chooser = never_cache(require_admin_access(ExternalLinkView.as_view(form_class=_ExternalLinkForm)))


class CreateDocumentFromUploadView(CreateFromUploadedDocumentView):
    def get_edit_form_class(self):
        view = self
        base = super().get_edit_form_class()

        class FormForTheUpload(base):
            def _post_clean(self):
                # The document's file is copied from the upload only once the form is
                # valid (``save_object``); validate the upload's file meanwhile, which the
                # uploader already checked when it stored it.
                if not self.instance.file and getattr(view, "upload", None) is not None:
                    self.instance.file.name = view.upload.file.name
                super()._post_clean()

            def _update_errors(self, errors):
                if hasattr(errors, "error_dict"):
                    regrouped: dict[str, list] = {}
                    for field, messages in errors.error_dict.items():
                        key = field if field in self.fields else NON_FIELD_ERRORS
                        regrouped.setdefault(key, []).extend(messages)
                    errors = ValidationError(regrouped)
                super()._update_errors(errors)

        FormForTheUpload.__name__ = base.__name__
        return FormForTheUpload


class _CreateViewNeedingAForm(SnippetCreateView):
    def get(self, request, *args, **kwargs):
        if self.get_creation_form_class() is None:
            raise Http404("This chooser has no creation form.")
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.get_creation_form_class() is None:
            raise Http404("This chooser has no creation form.")
        return super().post(request, *args, **kwargs)


class SnippetChooserWithoutCreation(SnippetChooserViewSet):
    create_view_class = _CreateViewNeedingAForm
