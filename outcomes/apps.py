from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register what surveys tells us about (``surveys`` never imports ``outcomes``):
        the outbox consumers for pupil-side changes, and the purge hook that freezes
        rollups before their raw responses or linkage are deleted."""
        from . import receivers

        receivers.register()
