"""Every decision, test-plan entry and docs section the repository cites exists in docs/.

A newcomer reading "decision 5", "T37" or ``docs/pupil-access.md#card-codes`` in a comment
must find it in the repository: these tests read every source, template, script and doc
file, collect what they cite, and fail naming the file and line of any citation that does
not resolve (docs/decisions.md explains the convention). They also refuse pointers to notes
that are not in the repository ("design notes", "research notes", ``research/...``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "staticfiles",
    "__pycache__",
    "media",
    ".test-media",
    ".mypy_cache",
    ".ruff_cache",
    ".import_linter_cache",
    "test-results",
}
SUFFIXES = {".py", ".html", ".md", ".txt", ".toml", ".js", ".css", ".cfg", ".yaml", ".yml", ".sh"}
EXTRA_FILES = {"Makefile", "run"}  # .ci/run

DECISION = re.compile(r"\bdecisions?\s+(\d+(?:\s*(?:,|and|&)\s*\d+)*)", re.IGNORECASE)
TEST_PLAN = re.compile(r"\bT(\d{2})\b")
DOC_LINK = re.compile(r"\bdocs/([\w.-]+\.md)(?:#([\w-]+))?")
RELATIVE_LINK = re.compile(r"\]\((?!https?:)([\w-]+\.md)?#([\w-]+)\)")
OUTSIDE = re.compile(r"design notes|research notes|\bresearch/[\w-]+\.md|/work/shared|shared/design\.md", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    found = set(EXPLICIT_ANCHOR.findall(markdown))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(markdown):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def docs_anchors() -> dict[str, set[str]]:
    return {path.name: anchors(path.read_text(encoding="utf-8")) for path in DOCS.glob("*.md")}


def scanned_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("bench", "out"):
            continue  # the benchmark's output (ignored by git): a copy of the tree it served
        if any(part in SKIP_DIRS for part in relative.parts):
            continue
        if path.is_file() and (path.suffix in SUFFIXES or path.name in EXTRA_FILES):
            files.append(path)
    return sorted(files)


def problems_in(text: str, where: str, known: dict[str, set[str]], *, doc_name: str | None = None) -> list[str]:
    """Every citation in ``text`` that does not resolve, as "where:line: why"."""
    decisions = known.get("decisions.md", set())
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        at = f"{where}:{number}"
        for match in DECISION.finditer(line):
            for cited in re.findall(r"\d+", match.group(1)):
                if cited not in decisions:
                    found.append(f"{at}: cites decision {cited}, which docs/decisions.md does not have")
        for match in TEST_PLAN.finditer(line):
            if f"t{match.group(1)}" not in decisions:
                found.append(f"{at}: cites test-plan entry T{match.group(1)}, which docs/decisions.md does not have")
        for match in DOC_LINK.finditer(line):
            name, anchor = match.groups()
            if name not in known:
                found.append(f"{at}: cites docs/{name}, which does not exist")
            elif anchor and anchor not in known[name]:
                found.append(f"{at}: cites docs/{name}#{anchor}, which has no such section")
        if doc_name is not None:
            for match in RELATIVE_LINK.finditer(line):
                name, anchor = match.group(1) or doc_name, match.group(2)
                if name not in known:
                    found.append(f"{at}: links to {name}, which is not in docs/")
                elif anchor not in known[name]:
                    found.append(f"{at}: links to {name}#{anchor}, which has no such section")
        for match in OUTSIDE.finditer(line):
            found.append(f"{at}: points outside the repository ({match.group(0)!r}); cite docs/ instead")
    return found


def test_every_citation_in_the_repository_resolves_to_a_section_of_docs():
    known = docs_anchors()
    problems = []
    for path in scanned_files():
        if path == Path(__file__).resolve():
            continue  # this file's examples cite things that do not exist, on purpose
        where = str(path.relative_to(ROOT))
        doc_name = path.name if path.parent == DOCS else None
        problems += problems_in(path.read_text(encoding="utf-8", errors="replace"), where, known, doc_name=doc_name)
    assert not problems, "Citations that do not resolve:\n" + "\n".join(problems)


def test_the_decisions_the_code_relies_on_are_all_written_down():
    decisions = docs_anchors()["decisions.md"]
    assert {str(n) for n in range(1, 11)} <= decisions
    assert {"t01", "t12", "t19", "t20", "t23", "t37"} <= decisions


# --- The checker's own behaviour: each kind of broken citation is caught ---------------

KNOWN = {"decisions.md": {"1", "5", "t37"}, "pupil-access.md": {"card-codes"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Redis is the broker only (decision 1).", []),
        ("# (decisions 1 and 5)", []),
        ("# see docs/decisions.md#5 and docs/pupil-access.md#card-codes", []),
        ("closes_at = '2026-11-21T09:00'  # a timestamp is not a test-plan entry", []),
        ("# (decision 12)", ["cites decision 12"]),
        ("# (decisions 1, 5 and 9)", ["cites decision 9"]),
        ('"""A close while pupils submit (T37); replays (T29)."""', ["test-plan entry T29"]),
        ("# docs/decisions.md#99", ["docs/decisions.md#99, which has no such section"]),
        ("# docs/pupil-access.md#class-codez", ["docs/pupil-access.md#class-codez"]),
        ("# docs/nowhere.md", ["docs/nowhere.md, which does not exist"]),
        ("# as the design notes say", ["points outside the repository"]),
        ("Taken from ``research/evaluation-science.md`` section 1.4", ["points outside the repository"]),
    ],
)
def test_the_checker_reports_each_kind_of_broken_citation(text, expected):
    found = problems_in(text, "example.py", KNOWN)
    assert len(found) == len(expected)
    for problem, wanted in zip(found, expected, strict=True):
        assert problem.startswith("example.py:1: ") and wanted in problem


def test_links_between_docs_resolve_against_headings_and_explicit_anchors():
    markdown = '# Pupil access\n\n## Card codes\n\n<a id="t37"></a>\n\n### Class codes (`access`)\n'
    assert anchors(markdown) == {"pupil-access", "card-codes", "t37", "class-codes-access"}
    known = {"a.md": anchors(markdown)}
    assert (
        problems_in("See [the limits](#card-codes) and [the race](a.md#t37).", "docs/a.md", known, doc_name="a.md")
        == []
    )
    assert problems_in("See [the limits](#card-code).", "docs/a.md", known, doc_name="a.md") == [
        "docs/a.md:1: links to a.md#card-code, which has no such section"
    ]
