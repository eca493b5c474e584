"""Load the demo: organisations and people, programmes and lessons, instruments and
survey data, and the outcome rollups built from it. Each app that has a ``demo`` module
with ``seed(stdout)`` contributes, in INSTALLED_APPS order; every seeder is idempotent, so
running this twice is harmless.

``make run`` prints this command's output just before the server starts, so it is kept
short and ends with the demo logins: Wagtail's INFO log lines (one per page created and
published) and the e-mails the console backend would print while lessons are submitted
for moderation are held back unless ``-v 2`` is given."""

import contextlib
import logging
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


@contextlib.contextmanager
def quiet_setup():
    """INFO logging off, and the console e-mail backend (the embedded default) silenced."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        with contextlib.ExitStack() as stack:
            if settings.EMAIL_BACKEND == CONSOLE_EMAIL:
                stack.enter_context(override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"))
            yield
    finally:
        logging.disable(previous)


class Command(BaseCommand):
    help = "Load (or refresh) the demo data. Safe to run more than once."

    def handle(self, *args, **options):
        local = [c for c in apps.get_app_configs() if c.name in {"accounts", "lessons", "surveys", "outcomes"}]
        quiet = quiet_setup() if options["verbosity"] < 2 else contextlib.nullcontext()
        with quiet, transaction.atomic():
            for config in local:
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Open http://127.0.0.1:8000/"))
        import_module("accounts.demo").print_logins(self.stdout)
