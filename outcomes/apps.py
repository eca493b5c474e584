from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register what surveys and lessons tell us about (neither imports ``outcomes``):
        the outbox consumers for pupil-side changes, the purge hook that freezes rollups
        before their raw responses or linkage are deleted, and the delivery log's and
        lessons' signals that move a class's dose band (``receivers``)."""
        from . import receivers

        receivers.register()
