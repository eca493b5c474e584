"""Run pip-audit and say plainly what it found, for ``make audit`` (and so ``.ci/run``).

    python scripts/audit_dependencies.py --label "the pins" -- -r requirements.txt --no-deps

Everything after ``--`` goes to pip-audit, which is run (from this interpreter) with
``-f json`` so that each dependency's result can be read, not guessed from the exit code.
pip-audit's own exit code cannot tell the three answers apart that matter here: with
``--strict`` a dependency it could not look up fails the run exactly like a vulnerability;
without it, a run in which nothing at all could be looked up passes in silence ("No known
vulnerabilities found"). So:

- **A known vulnerability fails**: any advisory for any dependency (after the
  ``--ignore-vuln`` ids the Makefile passes on, each accepted in docs/security-findings.md).
- **The vulnerability service could not be reached: a loud warning, not a failure.**
  Either pip-audit stopped on a connection error, or the service answered "not found" for
  every dependency it was asked about (PyPI publishes advisories in each release's JSON,
  ``https://pypi.org/pypi/NAME/VERSION/json``; every pinned release exists, so "none of
  them exist" means the service is not really there, as on the project's development and
  CI network). Nothing was checked; the banner says so and how many dependencies.
- **Anything else that was not audited fails**: a dependency the service did not know
  while it answered for others, or pip-audit failing for another reason (an unreadable
  requirements file, a resolution error).
- Otherwise the dependencies are clean, and the count audited is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

NOT_FOUND = "Dependency not found on PyPI and could not be audited"
# What pip-audit (or requests under it) says when it cannot reach the service at all.
CONNECTION_SIGNS = (
    "your network may be blocking this service",
    "Could not connect to",
    "is not redirecting properly",
    "Max retries exceeded",
    "Failed to resolve",
    "Name or service not known",
    "Temporary failure in name resolution",
    "ConnectionError",
    "ConnectTimeout",
)


@dataclass(frozen=True)
class Verdict:
    """``status`` is "vulnerable", "not-audited" (service unreachable), "incomplete"
    (some dependencies not audited for another reason, or pip-audit failed) or "clean";
    ``lines`` is the report to print."""

    status: str
    lines: tuple[str, ...]

    @property
    def fails(self) -> bool:
        return self.status in {"vulnerable", "incomplete"}


def _banner(text: str) -> list[str]:
    rule = "!" * 78
    return [rule, *text.splitlines(), rule]


def _not_audited(label: str, count: int | None, reason: str) -> Verdict:
    counted = f"{count} dependencies were NOT" if count is not None else "No dependency was"
    return Verdict(
        "not-audited",
        tuple(
            _banner(
                f"NOT AUDITED ({label}): the vulnerability service could not be reached: {reason}\n"
                f"{counted} checked for known vulnerabilities. This is a warning, not a pass: run\n"
                "`make audit` where https://pypi.org/pypi/NAME/VERSION/json answers (docs/security-findings.md)."
            )
        ),
    )


def classify(report: dict | None, *, label: str, returncode: int = 0, stderr: str = "") -> Verdict:
    """Decide what one pip-audit run means (see the module docstring). ``report`` is its
    JSON output (``None`` when it wrote none because it stopped early)."""
    if report is None:
        last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "no output")
        if any(sign in stderr for sign in CONNECTION_SIGNS):
            return _not_audited(label, None, last)
        return Verdict("incomplete", (f"FAIL ({label}): pip-audit did not finish (exit {returncode}): {last}",))

    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = [dep for dep in dependencies if "skip_reason" not in dep]

    if vulnerable:
        count = sum(len(dep["vulns"]) for dep in vulnerable)
        packages = f"{len(vulnerable)} package{'' if len(vulnerable) == 1 else 's'}"
        lines = [f"FAIL ({label}): {count} known vulnerabilit{'y' if count == 1 else 'ies'} in {packages}:"]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
                aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
                lines.append(f"  {dep['name']} {dep['version']}: {vuln['id']}{aliases}, fixed in {fixed}")
                if vuln.get("description"):
                    lines.append(f"      {vuln['description'].strip().splitlines()[0][:200]}")
        if skipped:
            lines.append(f"  and {len(skipped)} dependencies could not be audited at all.")
        lines.append("Upgrade the pin, or accept the advisory with its reason (Makefile AUDIT_IGNORES).")
        return Verdict("vulnerable", tuple(lines))

    if skipped:
        if not audited and all(dep["skip_reason"].startswith(NOT_FOUND) for dep in skipped):
            example = skipped[0]["skip_reason"].rsplit(": ", 1)[-1]
            reason = (
                f"it answered 'not found' for every release it was asked about\n({len(skipped)} of "
                f"{len(dependencies)}, e.g. {example}), although each pinned release exists."
            )
            return _not_audited(label, len(skipped), reason)
        lines = [
            f"FAIL ({label}): {len(skipped)} dependencies could not be audited although the service "
            f"answered for {len(audited)} others:"
        ]
        lines += [f"  {dep['name']}: {dep['skip_reason']}" for dep in skipped]
        return Verdict("incomplete", tuple(lines))

    if returncode != 0:
        return Verdict("incomplete", (f"FAIL ({label}): pip-audit exited {returncode} without reporting why.",))
    return Verdict("clean", (f"OK ({label}): no known vulnerabilities in {len(audited)} dependencies.",))


Runner = Callable[..., subprocess.CompletedProcess]


def run_pip_audit(args: Sequence[str], *, run: Runner = subprocess.run) -> tuple[dict | None, int, str]:
    """pip-audit from this interpreter (so it audits this environment), with an argument
    list and no shell; returns its JSON report (or None), exit code and stderr."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "pip-audit.json"
        command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "-f", "json", "-o", str(output)]
        completed = run([*command, *args], capture_output=True, text=True, check=False)
        report = None
        if output.exists() and output.read_text().strip():
            report = json.loads(output.read_text())
        return report, completed.returncode, completed.stderr or ""


def main(argv: Sequence[str] | None = None, *, run: Runner = subprocess.run) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--label", default="dependencies", help="what is being audited, for the report")
    parser.add_argument("pip_audit_args", nargs=argparse.REMAINDER, help="arguments for pip-audit, after --")
    options = parser.parse_args(argv)
    args = options.pip_audit_args[1:] if options.pip_audit_args[:1] == ["--"] else options.pip_audit_args

    report, returncode, stderr = run_pip_audit(args, run=run)
    verdict = classify(report, label=options.label, returncode=returncode, stderr=stderr)
    print("\n".join(verdict.lines))
    return 1 if verdict.fails else 0


if __name__ == "__main__":
    sys.exit(main())
