"""Load the demo: organisations and people, programmes and lessons, instruments and
survey data, and the outcome rollups built from it. It lives in ``outcomes``, the last app
in the import chain (accounts <- lessons <- surveys <- outcomes), because it is the one app
allowed to import every other app's demo builders; they run in that order, each one
idempotent, so running this twice is harmless.

``make run`` prints this command's output just before the server starts, so it is kept
short and ends with the demo logins: Wagtail's INFO log lines (one per page created and
published) and the e-mails the console backend would print while lessons are submitted
for moderation are held back unless ``-v 2`` is given."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts import demo as accounts_demo
from lessons import demo as lessons_demo
from outcomes import demo as outcomes_demo
from surveys import demo as surveys_demo

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"

# In import-chain order: each builder finds what the ones before it made.
BUILDERS = (accounts_demo, lessons_demo, surveys_demo, outcomes_demo)


@contextlib.contextmanager
def quiet_setup() -> Iterator[None]:
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

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = quiet_setup() if options["verbosity"] < 2 else contextlib.nullcontext()
        with quiet, transaction.atomic():
            for builder in BUILDERS:
                builder.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Open http://127.0.0.1:8000/"))
        accounts_demo.print_logins(self.stdout)
