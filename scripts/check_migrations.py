"""Destructive migrations must be acknowledged (`.ci/run`, `make check-migrations`).

A migration that drops or renames a column or a table, or narrows a column (a shorter
``max_length``, fewer digits, ``NULL`` no longer allowed, another column type), can lose
data or fail half-way on a production database full of rows, and a rename breaks any
process still running the old code during a deploy. Such a migration passes
``makemigrations --check`` and the test suite, which run on an empty database, so it is
caught here instead: every migration of the project's apps is read, each operation is
judged against the schema as it stands just before it (Django's own migration state), and
the check fails unless the migration file carries the marker line

    # Destructive operations acknowledged: <why it is safe, or what the deploy must do>

with a reason. Adding the marker is the review: say what happens to the data and whether
old and new code can run side by side. The National Archives' ds-wagtail does the same in
its CI. Migrations of third-party apps are not read.

Not judged: ``RunPython`` and ``RunSQL`` (what they do cannot be read from the operation;
review them by eye), and index or constraint changes (no data is lost).

    python scripts/check_migrations.py          # every migration; exit 1 if one is unacknowledged
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ("accounts", "lessons", "surveys", "outcomes")
MARKER = re.compile(r"^#\s*Destructive operations acknowledged:[ \t]*(\S.*)$", re.MULTILINE | re.IGNORECASE)

if TYPE_CHECKING:
    from django.db.migrations.migration import Migration
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState
    from django.db.models import Field


@dataclass(frozen=True)
class Finding:
    app_label: str
    migration: str
    path: Path | None
    operations: tuple[str, ...]

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path else f"{self.app_label}.{self.migration}"
        listed = "\n".join(f"    - {operation}" for operation in self.operations)
        return f"{where}:\n{listed}"


def narrowing(old: Field, new: Field) -> list[str]:
    """Why replacing column ``old`` by ``new`` can lose data or fail on existing rows."""
    reasons = []
    if old.get_internal_type() != new.get_internal_type():
        reasons.append(f"type {old.get_internal_type()} -> {new.get_internal_type()}")
    if old.null and not new.null:
        reasons.append("NULL no longer allowed")
    for attribute in ("max_length", "max_digits", "decimal_places"):
        before, after = getattr(old, attribute, None), getattr(new, attribute, None)
        if before is not None and after is not None and after < before:
            reasons.append(f"{attribute} {before} -> {after}")
    return reasons


def destructive_operations(app_label: str, operations: Iterable[Operation], state: ProjectState) -> list[str]:
    """The destructive operations among ``operations``, applied in order from ``state``
    (the project's schema just before the migration); ``state`` is advanced in place."""
    from django.db import migrations

    found = []
    for operation in operations:
        if isinstance(operation, migrations.RemoveField):
            found.append(f"RemoveField {operation.model_name}.{operation.name} (drops the column and its data)")
        elif isinstance(operation, migrations.DeleteModel):
            found.append(f"DeleteModel {operation.name} (drops the table and its data)")
        elif isinstance(operation, migrations.RenameField):
            found.append(
                f"RenameField {operation.model_name}.{operation.old_name} -> {operation.new_name} "
                "(code still running during the deploy uses the old name)"
            )
        elif isinstance(operation, migrations.RenameModel):
            found.append(
                f"RenameModel {operation.old_name} -> {operation.new_name} "
                "(code still running during the deploy uses the old table)"
            )
        elif isinstance(operation, migrations.AlterField):
            model = state.models.get((app_label, operation.model_name_lower))
            old = model.fields.get(operation.name) if model is not None else None
            if old is not None:
                reasons = narrowing(old, operation.field)
                if reasons:
                    found.append(f"AlterField {operation.model_name}.{operation.name}: {', '.join(reasons)}")
        operation.state_forwards(app_label, state)
    return found


def acknowledged(path: Path | None) -> bool:
    """The migration file carries the marker line with a reason."""
    if path is None or not path.exists():
        return False
    return MARKER.search(path.read_text(encoding="utf-8")) is not None


def _path_of(migration: Migration) -> Path | None:
    module = sys.modules.get(type(migration).__module__)
    filename = getattr(module, "__file__", None)
    return Path(filename).resolve() if filename else None


def unacknowledged(apps: Sequence[str] = PROJECT_APPS) -> list[Finding]:
    """Every migration of ``apps`` with a destructive operation and no marker."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    findings = []
    for app_label, name in sorted(loader.disk_migrations):
        if app_label not in apps:
            continue
        migration = loader.disk_migrations[app_label, name]
        state = loader.project_state((app_label, name), at_end=False)
        operations = destructive_operations(app_label, migration.operations, state)
        path = _path_of(migration)
        if operations and not acknowledged(path):
            findings.append(Finding(app_label, name, path, tuple(operations)))
    return findings


def main(argv: Sequence[str] = ()) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    findings = unacknowledged()
    if not findings:
        print("Migrations: no unacknowledged destructive operation.")
        return 0
    print("Destructive migrations without an acknowledgement:\n")
    for finding in findings:
        print(finding)
    print(
        "\nEach can lose data or break code still running during a deploy. If it is safe, add this"
        "\nline to the migration, with the reason:\n"
        "\n    # Destructive operations acknowledged: <why it is safe, or what the deploy must do>"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
