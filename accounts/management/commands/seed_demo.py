"""Load the demo: organisations and people, programmes and lessons, instruments and
survey data, and the outcome rollups built from it. Each app that has a ``demo`` module
with ``seed(stdout)`` contributes, in INSTALLED_APPS order; every seeder is idempotent, so
running this twice is harmless."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load (or refresh) the demo data. Safe to run more than once."

    def handle(self, *args, **options):
        local = [c for c in apps.get_app_configs() if c.name in {"accounts", "lessons", "surveys", "outcomes"}]
        with transaction.atomic():
            for config in local:
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(stdout=self.stdout)
        import_module("accounts.demo").print_logins(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Open http://127.0.0.1:8000/"))
