"""The moderators' approval step of the lesson workflow.

Why a task type of our own: the project keeps ``WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT
= True`` (config/settings/base.py), so an edit made after a step was approved sends the page
back through that step. Wagtail applies that rule to the *approver's own* edit too. The
page editor's footer "Approve" (``EditView.perform_workflow_action``) saves the form as a
new revision whenever it has changed (and Wagtail 8's autosave writes the moderator's
revisions while they read), then approves the task state, which still points at the
revision the editor submitted. ``WorkflowState.update`` counts an approval only when it is
on the latest revision, so it restarts "Moderator approval" on the moderator's revision:
the history reads "Approved at 'Moderator approval'. Next step 'Moderator approval'", the
lesson is listed as submitted by the moderator, and nothing is published. The dashboard's
Approve worked only because it saves no revision.

The fix keeps the safety and removes the trap: when a moderator approves, revisions saved
since the submitted one that are *all their own* are what they are approving (they made
them, in the editor they approve from), so the approval is recorded on the latest revision
and the one-step workflow finishes and publishes it. If anyone else saved a revision since
(another moderator, a superuser), Wagtail's rule stands: the step starts again on the
latest revision and the lesson stays in moderation until someone approves what is now
there. Turning the setting off instead would have let an approval publish someone else's
unreviewed later edit.
"""

from __future__ import annotations

from django.db import models, transaction
from wagtail.models import GroupApprovalTask, Revision, TaskState


def approval_covers_latest_revision(task_state: TaskState, user) -> bool:
    """Whether approving ``task_state`` as ``user`` approves the page's latest revision:
    it is the revision submitted, or every revision saved after that one is the user's."""
    submitted = task_state.revision
    page = task_state.workflow_state.content_object
    latest = page.get_latest_revision()
    if latest is None or latest.pk == submitted.pk:
        return True
    later = Revision.objects.filter(
        base_content_type_id=submitted.base_content_type_id, object_id=submitted.object_id
    ).filter(
        models.Q(created_at__gt=submitted.created_at) | models.Q(created_at=submitted.created_at, pk__gt=submitted.pk)
    )
    # ``exclude`` keeps revisions without a user (made by code): those are not the approver's.
    return not later.exclude(user_id=user.pk).exists()


class ModeratorApprovalTask(GroupApprovalTask):
    """A group approval step (the members of its groups approve) on which an approval also
    covers the approver's own later edits; see the module docstring."""

    class Meta:
        verbose_name = "moderator approval task"
        verbose_name_plural = "moderator approval tasks"

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve" and task_state.status == TaskState.STATUS_IN_PROGRESS:
            # Lock the task state so two moderators approving at once cannot both move it.
            task_state = TaskState.objects.select_for_update().get(pk=task_state.pk).specific
            latest = task_state.workflow_state.content_object.get_latest_revision()
            moved_on = latest is not None and latest.pk != task_state.revision_id
            if moved_on and approval_covers_latest_revision(task_state, user):
                task_state.revision = latest
                task_state.save(update_fields=["revision"])
        return super().on_action(task_state, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return "Members of the chosen groups approve; approving publishes, including the approver's own last edits."


def convert_group_approval_tasks(apps, *, name: str) -> int:
    """Turn existing plain group approval tasks called ``name`` into moderator approval
    tasks in place (same id, groups, task states and workflows), for the data migration
    and ``lessons.services.content_workflow_ensure``. ``apps`` is a migration registry or
    the global one. Returns how many were converted."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Task = apps.get_model("wagtailcore", "Task")
    Group = apps.get_model("wagtailcore", "GroupApprovalTask")
    Moderator = apps.get_model("lessons", "ModeratorApprovalTask")
    plain = ContentType.objects.filter(app_label="wagtailcore", model="groupapprovaltask").first()
    if plain is None:
        return 0
    ours, _ = ContentType.objects.get_or_create(app_label="lessons", model="moderatorapprovaltask")
    converted = 0
    for task in Group.objects.filter(name=name, content_type_id=plain.pk):
        child = Moderator(groupapprovaltask_ptr_id=task.pk)
        # raw: write only the child table's row, leaving the parents' rows as they are.
        child.save_base(raw=True)
        Task.objects.filter(pk=task.pk).update(content_type=ours)
        converted += 1
    return converted
