"""The Wagtail editing form for our page types."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.blocks.base import BlockField


class StreamFieldPageForm(WagtailAdminPageForm):
    """Refuses a page form whose StreamField data is structurally broken with a 400.

    Wagtail reads a StreamField's posted data by its bookkeeping keys (``body-count``,
    ``body-0-type``, ``body-0-deleted``, ...) and raises ``KeyError`` or ``ValueError`` when
    one is missing or not a number: a server error on every page edit, preview or create
    with a tampered or truncated POST. The editor's own browser always sends them, so only
    a broken request gets here. It cannot become a field error (the same read happens
    again when the form is shown with its errors), so it is a 400 before validation, and
    nothing is saved.
    """

    def full_clean(self):
        if self.is_bound:
            for name, field in self.fields.items():
                if not isinstance(field, BlockField):
                    continue
                try:
                    field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                except (KeyError, ValueError) as error:
                    raise BadRequest(f"The '{name}' content in this page form is incomplete.") from error
        super().full_clean()
