"""The machinery of the authorization matrix: enumerate every URL pattern the resolver
knows (recursively, through every include and namespace), match each to exactly one
policy entry, build a real URL for it from the fixture ids, request it as a role and
classify the answer. The tests in ``test_authorization_matrix.py`` drive it; the policy
itself is data in ``policy.py``.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from .rules import Entry, Outcome

# Tables any request may write, refused or not: the session row, the database cache
# (allauth's rate-limit counters, Wagtail's site-root cache) and allauth's record of the
# user's sessions (last seen). Anything else written by a refused request is a finding.
BOOKKEEPING_TABLES = frozenset({"django_session", "upstream_cache", "usersessions_usersession"})


@dataclass(frozen=True)
class Pattern:
    """One concrete URL pattern: ``key`` is its route as Django joins it (the same string
    ``ResolverMatch.route`` gives), with ``" (name)"`` appended when two patterns share a
    route; ``name`` is its namespaced name ("" when it has none)."""

    key: str
    route: str
    name: str
    parts: tuple  # the pattern objects from the root resolver down to the URLPattern
    lookup: str  # the callback's dotted path, shown in messages

    def literal_route(self) -> str | None:
        """The route with regex parts that are plain text (``^pages/``) made literal, or
        None when a part is a real regular expression (the entry must give ``url=``)."""
        route = ""
        for part in self.parts:
            pattern = part.pattern
            text = str(pattern)
            if not isinstance(pattern, RoutePattern):
                text = text.removeprefix("^").removesuffix("$")
                if re.escape(text).replace("\\/", "/") != text.replace("\\/", "/"):
                    return None
            route += text
        return route


def _join(route1: str, route2: str) -> str:
    if not route1:
        return route2
    return route1 + route2.removeprefix("^")


def enumerate_patterns(urlconf: str | None = None) -> list[Pattern]:
    """Every URLPattern under the root resolver, in resolution order."""
    found: list[tuple[str, str, tuple, str]] = []

    def walk(resolver: URLResolver, route: str, namespaces: tuple[str, ...], parts: tuple) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespaces + ((entry.namespace,) if entry.namespace else ())
                walk(entry, _join(route, str(entry.pattern)), ns, parts + (entry,))
            elif isinstance(entry, URLPattern):
                name = ":".join(namespaces + (entry.name,)) if entry.name else ""
                found.append((_join(route, str(entry.pattern)), name, parts + (entry,), entry.lookup_str))

    walk(get_resolver(urlconf), "", (), ())
    counts = Counter(route for route, *_ in found)
    return [
        Pattern(
            key=f"{route} ({name or lookup})" if counts[route] > 1 else route,
            route=route,
            name=name,
            parts=parts,
            lookup=lookup,
        )
        for route, name, parts, lookup in found
    ]


@dataclass
class Coverage:
    """Which entry each pattern matched; patterns with none or several; unused entries."""

    entry_for: dict[str, Entry]
    unmatched: list[Pattern]
    ambiguous: dict[str, list[str]]
    unused: list[str]

    @property
    def ok(self) -> bool:
        return not (self.unmatched or self.ambiguous or self.unused)

    def report(self) -> str:
        lines = []
        if self.unmatched:
            lines.append("URL patterns with no policy entry (add one to tests/security/policy.py):")
            lines += [f"  {p.key}    name={p.name or '-'} view={p.lookup}" for p in self.unmatched]
        if self.ambiguous:
            lines.append("URL patterns matched by more than one policy entry (each must match exactly one):")
            lines += [f"  {key}: {', '.join(matches)}" for key, matches in self.ambiguous.items()]
        if self.unused:
            lines.append("Policy entries that match no URL pattern (stale; remove or fix them):")
            lines += [f"  {match}" for match in self.unused]
        return "\n".join(lines)


def _matches(entry: Entry, pattern: Pattern) -> bool:
    selectors = (entry.match,) if isinstance(entry.match, str) else entry.match
    return any(
        selector == pattern.key or (any(ch in selector for ch in "*?[") and fnmatch.fnmatchcase(pattern.key, selector))
        for selector in selectors
    )


def entry_label(entry: Entry) -> str:
    return entry.match if isinstance(entry.match, str) else " + ".join(entry.match)


def check_coverage(patterns: Sequence[Pattern], entries: Sequence[Entry]) -> Coverage:
    entry_for: dict[str, Entry] = {}
    unmatched, ambiguous, used = [], {}, set()
    for pattern in patterns:
        hits = [entry for entry in entries if _matches(entry, pattern)]
        used.update(id(entry) for entry in hits)
        if not hits:
            unmatched.append(pattern)
        elif len(hits) > 1:
            ambiguous[pattern.key] = [entry_label(entry) for entry in hits]
        else:
            entry_for[pattern.key] = hits[0]
    unused = [entry_label(entry) for entry in entries if id(entry) not in used]
    return Coverage(entry_for, unmatched, ambiguous, unused)


# --- Building URLs ---------------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


class UnbuildableURL(Exception):
    pass


def _value(raw: object, ids: dict[str, object]) -> str:
    if isinstance(raw, str) and raw in ids:
        return str(ids[raw])
    return str(raw)


def build_url(pattern: Pattern, entry: Entry, ids: dict[str, object], defaults: dict[str, object]) -> str:
    """A real URL for the pattern: path parameters from ``entry.params``, then
    ``defaults``, each a ``World.ids`` name or a literal; ``entry.url`` for regex routes."""
    if entry.url is not None:
        url = entry.url.format(**ids)
    else:
        route = pattern.literal_route()
        if route is None:
            raise UnbuildableURL(f"{pattern.key}: a regular expression; give the policy entry a url=")
        params = {**defaults, **entry.params}

        def fill(match: re.Match) -> str:
            name = match.group("name")
            if name not in params:
                raise UnbuildableURL(f"{pattern.key}: no value for <{name}> (add it to the entry's params)")
            return _value(params[name], ids)

        url = "/" + _ROUTE_PARAM.sub(fill, route)
    return url + (f"?{entry.query}" if entry.query else "")


def resolves_to_itself(pattern: Pattern, url: str) -> tuple[bool, str]:
    """Whether ``url`` reaches this pattern (and not an earlier one that shadows it)."""
    try:
        match = resolve(url.split("?", 1)[0])
    except Resolver404:
        return False, "no pattern"
    name = ":".join([*match.namespaces, match.url_name]) if match.url_name else ""
    same = match.route == pattern.route and match.func is pattern.parts[-1].callback and name == pattern.name
    return same, f"{match.route} (name={name or '-'}, view={match._func_path})"


# --- Requesting and classifying ------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What one request got. ``signed_out`` is None when the request started without a
    signed-in session; otherwise whether the request ended it: neither the session the
    browser sent nor the one it was handed back still names a user, so the next request
    from that browser (or from anyone replaying the old cookie) is anonymous."""

    status: int
    location: str | None = None
    error: str = ""
    writes: tuple[str, ...] = ()
    signed_out: bool | None = None

    def __str__(self) -> str:
        if self.error:
            text = f"exception {self.error}"
        elif self.location is not None:
            text = f"{self.status} -> {self.location}"
        else:
            text = str(self.status)
        return text + (" (signed out)" if self.signed_out else "")


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)


def written_tables(queries: Iterable[dict]) -> set[str]:
    tables = set()
    for query in queries:
        found = _WRITE.match(query["sql"])
        if found:
            tables.add(found.group(1).split(".")[-1].strip('"'))
    return tables


def _session_user(session_key: str | None) -> str | None:
    """The user id the stored session ``session_key`` is signed in as, if any."""
    if not session_key:
        return None
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).get(SESSION_KEY)


def _session_cookie(client) -> str | None:
    morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None else None


def request(client, method: str, url: str, csrf_token: str) -> Observed:
    """One request in a savepoint that is rolled back, so every cell sees the same data,
    with the client's cookies restored afterwards (a sign-out in one cell does not sign
    the role out of the next). Returns the status, the redirect target's path, the
    tables written beyond ``BOOKKEEPING_TABLES`` and, for a signed-in client, whether the
    request signed it out (read from the session store before the rollback)."""
    cookies = copy.deepcopy(client.cookies)
    error = ""
    response = None
    signed_out = None
    # Writes are only looked for on POST (a GET may fill caches: renditions, profiles).
    capture = CaptureQueriesContext(connection) if method == "POST" else contextlib.nullcontext()
    connection.queries_log.clear()  # the log is a bounded deque: indices drift once it is full
    with capture as queries:
        try:
            with transaction.atomic():
                try:
                    sent_key = _session_cookie(client)
                    signed_in = _session_user(sent_key) is not None
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.post(url, {"csrfmiddlewaretoken": csrf_token}, HTTP_X_CSRFTOKEN=csrf_token)
                    if signed_in:
                        signed_out = _session_user(sent_key) is None and _session_user(_session_cookie(client)) is None
                finally:
                    transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001  # a view that raises is a 500: record it as seen
            error = f"{type(exc).__name__}: {str(exc)[:160]}"
    client.cookies = cookies
    writes = tuple(sorted(written_tables(queries.captured_queries) - BOOKKEEPING_TABLES)) if queries else ()
    if error:
        return Observed(500, error=error, writes=writes)
    location = response.get("Location")
    if location is not None:
        location = location.split("?", 1)[0]
        if location.startswith("http://testserver"):
            location = location[len("http://testserver") :]
    return Observed(response.status_code, location, writes=writes, signed_out=signed_out)


@dataclass(frozen=True)
class Cell:
    key: str
    role: str
    method: str
    url: str
    expected: Outcome
    observed: Observed

    @property
    def wrote_on_refusal(self) -> bool:
        return self.method == "POST" and self.expected.refusal and bool(self.observed.writes)

    @property
    def ok(self) -> bool:
        observed = self.observed
        return (
            self.expected.matches(observed.status, observed.location, signed_out=observed.signed_out)
            and not self.wrote_on_refusal
        )


def format_mismatches(cells: Sequence[Cell]) -> str:
    """The readable diff: pattern, role, method, expected, got (and the URL requested)."""
    bad = [cell for cell in cells if not cell.ok]
    if not bad:
        return ""
    width = max(len(cell.key) for cell in bad)
    lines = [f"{len(bad)} cell(s) differ from tests/security/policy.py:"]
    lines.append(f"  {'pattern':<{width}}  {'role':<15} {'method':<6} {'expected':<22} got")
    for cell in bad:
        got = str(cell.observed)
        if cell.wrote_on_refusal:
            got += f" and WROTE {', '.join(cell.observed.writes)}"
        if cell.expected.signs_out and not cell.observed.signed_out:
            got += " but NOT signed out"
        lines.append(
            f"  {cell.key:<{width}}  {cell.role:<15} {cell.method:<6} {cell.expected.name:<22} {got}    [{cell.url}]"
        )
    return "\n".join(lines)
