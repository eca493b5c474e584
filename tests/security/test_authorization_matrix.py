"""The authorization matrix: every URL pattern the resolver knows, requested as every role,
checked against the policy in ``policy.py``.

One test per role requests every pattern (GET, and POST for views that write, with a
valid CSRF token) and fails with a table of every cell that differs: pattern, role,
method, expected, got. A refused POST must also write nothing. Before that, the coverage
test fails the build for any URL pattern without exactly one policy entry, so a new page
cannot ship without someone deciding who may see it.
"""

from __future__ import annotations

import pytest

from .matrix import Cell, build_url, check_coverage, enumerate_patterns, format_mismatches, request, resolves_to_itself
from .policy import DEFAULT_PARAMS, ENTRIES
from .rules import ROLES
from .world import CSRF_SECRET, sign_in


def test_every_url_pattern_has_exactly_one_policy_entry():
    coverage = check_coverage(enumerate_patterns(), ENTRIES)
    assert coverage.ok, "\n" + coverage.report()


def test_every_pattern_gets_a_url_that_reaches_it(world, db):
    """Each built URL must resolve to its own pattern (or, for an entry marked shadowed, to
    the earlier pattern that hides it), so the matrix really exercises every view."""
    coverage = check_coverage(enumerate_patterns(), ENTRIES)
    problems = []
    for pattern in enumerate_patterns():
        entry = coverage.entry_for.get(pattern.key)
        if entry is None:
            continue
        try:
            url = build_url(pattern, entry, world.ids, DEFAULT_PARAMS)
        except Exception as exc:  # noqa: BLE001  # any URL that cannot be built is a reported problem
            problems.append(f"  {pattern.key}: {exc}")
            continue
        same, where = resolves_to_itself(pattern, url)
        if same == entry.shadowed:
            state = "is shadowed by" if not same else "is marked shadowed but reaches itself:"
            problems.append(f"  {pattern.key}: {url} {state} {where}")
    assert not problems, "URLs that do not reach their pattern:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_what_the_policy_says_on_every_url(world, role, db):
    coverage = check_coverage(enumerate_patterns(), ENTRIES)
    client = sign_in(world, role)
    cells = []
    for pattern in enumerate_patterns():
        entry = coverage.entry_for.get(pattern.key)
        if entry is None:
            continue  # reported by the coverage test
        url = build_url(pattern, entry, world.ids, DEFAULT_PARAMS)
        methods = [("GET", entry.get)] + ([("POST", entry.post)] if entry.post is not None else [])
        for method, table in methods:
            observed = request(client, method, url, CSRF_SECRET)
            cells.append(Cell(pattern.key, role, method, url, table[role], observed))
    assert cells, "no cell was requested"
    diff = format_mismatches(cells)
    assert not diff, "\n" + diff
