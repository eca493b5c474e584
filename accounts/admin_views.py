"""Wagtail admin views shared by the apps' viewsets (``accounts``, ``lessons``).

``InUseDeleteView``: Wagtail decides whether a row may be deleted from its reference
index, which only knows about models registered with it. A ``PROTECT`` foreign key from
any other model (a survey window's class, a school's local authority when the schools were
loaded without signals) is invisible to it, so the delete action ran, Django refused with
``ProtectedError`` and the admin answered 500. This view asks Django's own deletion
collector first, which sees every ``PROTECT`` and ``RESTRICT`` relation, and refuses with a
plain message naming what still uses the row. Nothing is written: the delete action (which
logs before it deletes) never runs.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.text import capfirst
from wagtail.admin.views.generic import DeleteView


def rows_blocking_delete(instance) -> list:
    """The rows whose ``PROTECT`` or ``RESTRICT`` foreign keys stop ``instance`` (or
    anything its delete would cascade to) from being deleted; empty if it can go. Reads
    only: the collector walks the relations without deleting anything."""
    collector = Collector(using=router.db_for_write(type(instance), instance=instance), origin=instance)
    try:
        collector.collect([instance])
    except ProtectedError as error:
        return list(error.protected_objects)
    except RestrictedError as error:
        return list(error.restricted_objects)
    return []


def describe_blockers(blockers) -> str:
    """'2 survey windows and 1 lesson delivery': counts by kind, never the rows' own names
    (a class or a staff member's name is not for every admin page)."""
    counts = Counter(blocker._meta for blocker in blockers)
    parts = [
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for meta, count in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class InUseDeleteView(DeleteView):
    """A ModelViewSet delete view that refuses, with a message, to delete a row other rows
    still point to (see the module docstring)."""

    template_name = "accounts/admin/confirm_delete.html"

    @cached_property
    def blockers(self) -> list:
        return rows_blocking_delete(self.object)

    def in_use_message(self) -> str:
        return (
            f"{capfirst(self.object._meta.verbose_name)} “{self.object}” cannot be deleted because it is still "
            f"used by {describe_blockers(self.blockers)}. Remove or move those first."
        )

    def form_valid(self, form):
        if self.blockers:
            messages.error(self.request, self.in_use_message())
            return redirect(self.index_url_name)
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.blockers:
            context["is_protected"] = True  # Wagtail's template then offers no delete button
            context["in_use_message"] = self.in_use_message()
        return context
