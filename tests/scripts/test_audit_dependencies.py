"""``make audit``'s reading of pip-audit (scripts/audit_dependencies.py): a known
vulnerability fails, a run that could not reach the vulnerability service is a loud
warning that does not fail, anything else left unaudited fails, and a clean run passes.

The reports in ``pip_audit/`` are pip-audit 2.10.1's ``-f json`` output: ``not_auditable.json``
was recorded on the project's network (``pip-audit -r requirements.txt --no-deps
--disable-pip -f json``, where PyPI's per-release JSON answers 404); ``vulnerable.json`` and
``clean.json`` are written to the same format (``pip_audit/_format/json.py``), the first
with an illustrative Django advisory.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORTS = Path(__file__).parent / "pip_audit"


def _load_script():
    spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


audit = _load_script()


def _report(name: str) -> dict:
    return json.loads((REPORTS / f"{name}.json").read_text())


def test_a_known_vulnerability_fails_and_names_the_advisory_and_the_fix():
    verdict = audit.classify(_report("vulnerable"), label="pins", returncode=1)

    assert verdict.status == "vulnerable" and verdict.fails
    text = "\n".join(verdict.lines)
    assert "FAIL (pins): 1 known vulnerability in 1 package:" in text
    assert "django 4.2.1: PYSEC-2023-100 (CVE-2023-36053, GHSA-jh3w-4vvf-mjgr), fixed in 3.2.20, 4.1.10, 4.2.3" in text
    assert "wagtail" not in text


def test_a_vulnerability_still_fails_when_other_dependencies_could_not_be_audited():
    report = _report("vulnerable")
    report["dependencies"] += _report("not_auditable")["dependencies"]

    verdict = audit.classify(report, label="pins", returncode=1)

    assert verdict.status == "vulnerable" and verdict.fails
    assert "could not be audited at all" in "\n".join(verdict.lines)


def test_a_service_that_answers_not_found_for_every_release_is_a_warning_with_the_count():
    verdict = audit.classify(_report("not_auditable"), label="pins", returncode=0)

    assert verdict.status == "not-audited" and not verdict.fails
    text = "\n".join(verdict.lines)
    assert "NOT AUDITED (pins): the vulnerability service could not be reached" in text
    assert "14 of 14, e.g. django (5.2.19)" in text
    assert "14 dependencies were NOT checked for known vulnerabilities" in text
    assert "This is a warning, not a pass" in text
    assert verdict.lines[0].startswith("!!!!")  # a banner, hard to miss in a CI log


def test_a_connection_error_that_stops_pip_audit_is_a_warning_too():
    stderr = (
        "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
        "ERROR:pip_audit._cli:Tip: your network may be blocking this service. Try another service with `-s SERVICE`\n"
    )
    verdict = audit.classify(None, label="pins", returncode=1, stderr=stderr)

    assert verdict.status == "not-audited" and not verdict.fails
    assert "No dependency was checked" in "\n".join(verdict.lines)


def test_pip_audit_failing_for_any_other_reason_fails():
    stderr = "ERROR:pip_audit._cli:invalid requirements input: requirements.txt\n"
    verdict = audit.classify(None, label="pins", returncode=1, stderr=stderr)

    assert verdict.status == "incomplete" and verdict.fails
    assert "invalid requirements input" in verdict.lines[0]


def test_a_dependency_unknown_to_a_service_that_answered_for_others_fails():
    report = _report("clean")
    report["dependencies"].append(
        {"name": "upstream-private", "skip_reason": f"{audit.NOT_FOUND}: upstream-private (1.0)"}
    )

    verdict = audit.classify(report, label="pins")

    assert verdict.status == "incomplete" and verdict.fails
    assert "upstream-private" in "\n".join(verdict.lines)


def test_a_dependency_skipped_for_another_reason_fails():
    report = copy.deepcopy(_report("not_auditable"))
    report["dependencies"][0]["skip_reason"] = "Dependency not installed in the environment"

    assert audit.classify(report, label="env").fails


def test_a_clean_report_passes_and_says_how_many_were_audited():
    verdict = audit.classify(_report("clean"), label="pins", returncode=0)

    assert verdict.status == "clean" and not verdict.fails
    assert verdict.lines == ("OK (pins): no known vulnerabilities in 3 dependencies.",)


def test_a_clean_report_with_a_failing_exit_code_is_not_a_pass():
    assert audit.classify(_report("clean"), label="pins", returncode=2).fails


# --- main(): runs pip-audit, prints the verdict, exits 1 only on a failure ----------------


def _fake_pip_audit(report_name: str | None, returncode: int, stderr: str = ""):
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        output = Path(command[command.index("-o") + 1])
        if report_name is not None:
            output.write_text((REPORTS / f"{report_name}.json").read_text())
        return subprocess.CompletedProcess(command, returncode, stdout="", stderr=stderr)

    return run, calls


@pytest.mark.parametrize(
    ("report_name", "returncode", "exit_code", "shown"),
    [
        ("vulnerable", 1, 1, "FAIL (pins): 1 known vulnerability"),
        ("not_auditable", 0, 0, "NOT AUDITED (pins)"),
        ("clean", 0, 0, "OK (pins): no known vulnerabilities in 3 dependencies."),
    ],
)
def test_main_exits_and_reports_by_the_verdict(capsys, report_name, returncode, exit_code, shown):
    run, calls = _fake_pip_audit(report_name, returncode)

    code = audit.main(["--label", "pins", "--", "-r", "requirements.txt", "--no-deps"], run=run)

    assert code == exit_code
    assert shown in capsys.readouterr().out
    [command] = calls
    assert command[1:3] == ["-m", "pip_audit"] and command[-3:] == ["-r", "requirements.txt", "--no-deps"]
    assert "--strict" not in command  # strict mode would stop at the first dependency it cannot look up
    assert command[command.index("-f") + 1] == "json"
