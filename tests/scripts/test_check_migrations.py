"""The destructive-migration gate (scripts/check_migrations.py, run by .ci/run): dropping,
renaming or narrowing a column fails the check unless the migration says why it is safe;
adding or widening passes; the project's own migrations pass as they stand."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState

ROOT = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location("check_migrations", ROOT / "scripts" / "check_migrations.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


check = _load_script()


def _state() -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "demo",
            "pupilnote",
            [
                ("id", models.AutoField(primary_key=True)),
                ("label", models.CharField(max_length=40)),
                ("note", models.TextField(null=True)),
                ("score", models.DecimalField(max_digits=6, decimal_places=2)),
                ("day", models.DateField()),
            ],
        )
    )
    state.add_model(ModelState("demo", "old", [("id", models.AutoField(primary_key=True))]))
    return state


def _found(*operations) -> list[str]:
    return check.destructive_operations("demo", operations, _state())


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (migrations.RemoveField("pupilnote", "note"), "RemoveField pupilnote.note"),
        (migrations.DeleteModel("old"), "DeleteModel old"),
        (migrations.RenameField("pupilnote", "label", "title"), "RenameField pupilnote.label -> title"),
        (migrations.RenameModel("old", "older"), "RenameModel old -> older"),
        (migrations.AlterField("pupilnote", "label", models.CharField(max_length=20)), "max_length 40 -> 20"),
        (migrations.AlterField("pupilnote", "note", models.TextField()), "NULL no longer allowed"),
        (
            migrations.AlterField("pupilnote", "score", models.DecimalField(max_digits=4, decimal_places=2)),
            "max_digits 6 -> 4",
        ),
        (migrations.AlterField("pupilnote", "label", models.IntegerField()), "type CharField -> IntegerField"),
    ],
)
def test_dropping_renaming_and_narrowing_are_destructive(operation, expected):
    found = _found(operation)
    assert len(found) == 1
    assert expected in found[0]


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("pupilnote", "extra", models.IntegerField(null=True)),
        migrations.AlterField("pupilnote", "label", models.CharField(max_length=80)),
        migrations.AlterField("pupilnote", "label", models.CharField(max_length=40, help_text="Shown to staff.")),
        migrations.AlterField("pupilnote", "day", models.DateField(null=True)),
        migrations.AddIndex("pupilnote", models.Index(fields=["day"], name="pupilnote_day_idx")),
    ],
)
def test_adding_widening_and_relabelling_are_not(operation):
    assert _found(operation) == []


def test_each_operation_is_judged_against_the_schema_left_by_the_ones_before_it():
    """A column widened and then narrowed back in one migration is still a narrowing of
    what the previous operation left."""
    found = _found(
        migrations.AlterField("pupilnote", "label", models.CharField(max_length=200)),
        migrations.AlterField("pupilnote", "label", models.CharField(max_length=100)),
    )
    assert found == ["AlterField pupilnote.label: max_length 200 -> 100"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from django.db import migrations\n", False),
        ("# Destructive operations acknowledged:\n", False),
        ("# Destructive operations acknowledged:    \n", False),
        ("# destructive operations acknowledged: the column was never written\n", True),
        ('"""Docs."""\n\n# Destructive operations acknowledged: nothing reads it since 0003.\n', True),
    ],
)
def test_the_acknowledgement_needs_the_marker_and_a_reason(tmp_path, text, expected):
    path = tmp_path / "0009_drop.py"
    path.write_text(text)
    assert check.acknowledged(path) is expected


def test_the_projects_migrations_pass_and_a_real_drop_is_found_without_its_marker(monkeypatch):
    assert check.unacknowledged() == []

    monkeypatch.setattr(check, "acknowledged", lambda path: False)
    findings = {(f.app_label, f.migration): f for f in check.unacknowledged()}
    outbox = findings[("surveys", "0004_outbox_rows_live_until_done")]
    assert outbox.path == ROOT / "surveys" / "migrations" / "0004_outbox_rows_live_until_done.py"
    assert [operation.split(" (")[0] for operation in outbox.operations] == [
        "RemoveField outboxmessage.created_at",
        "RemoveField outboxmessage.failed_at",
        "RemoveField outboxmessage.processed_at",
    ]
    # Choices, defaults and help text changes are not reported.
    assert ("surveys", "0003_response_over_quota") not in findings
    assert ("surveys", "0005_talkrequest_leads_notified") not in findings


def test_the_command_line_fails_and_names_the_migration_when_one_is_unacknowledged(monkeypatch, capsys):
    finding = check.Finding(
        "surveys", "0099_drop", None, ("RemoveField response.gender (drops the column and its data)",)
    )
    monkeypatch.setattr(check, "unacknowledged", lambda: [finding])
    assert check.main([]) == 1
    out = capsys.readouterr().out
    assert "surveys.0099_drop" in out
    assert "RemoveField response.gender" in out
    assert "# Destructive operations acknowledged:" in out


def test_the_command_line_passes_on_the_repository():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_migrations.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no unacknowledged destructive operation" in result.stdout
