"""The load client: simulated users on asyncio + httpx, one client (cookie jar) per user.

A target is a coroutine ``scenario(session) -> None`` that makes the requests of one user
(one floor GET+POST pair, or one pupil from join to final submit) through
``session.request(kind, ...)``, which times and checks every request. ``drive`` keeps
``concurrency`` users busy for ``duration`` seconds: every user starts a new scenario while
time remains, then in-flight users finish (bounded by ``grace``). Throughput counts what
completed inside the measured window; latencies and the lost/duplicate check cover all.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

# One TLS context for every client: httpx would otherwise build (and load CA files into)
# a new one per client, which costs the client more CPU than the requests it times.
_SSL = ssl.create_default_context()

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


class ScenarioError(Exception):
    """A user could not continue (wrong status, missing form, refused save)."""


@dataclass
class Recorder:
    t0: float
    deadline: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_wall: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_window: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    acknowledged: list = field(default_factory=list)
    completions_in_window: int = 0
    scenarios_started: int = 0
    scenarios_failed: int = 0

    def record(self, kind: str, start: float, end: float, status: int | str) -> None:
        self.latencies[kind].append((end - start) * 1000.0)
        self.statuses[f"{kind} {status}"] += 1
        if end <= self.deadline:
            self.in_window[kind] += 1

    def acknowledge(self, token) -> None:
        self.acknowledged.append(token)
        if time.perf_counter() <= self.deadline:
            self.completions_in_window += 1


class Session:
    """One simulated user: its own httpx client, so its own cookies."""

    def __init__(self, base_url: str, recorder: Recorder, timeout: float = 30.0):
        self.recorder = recorder
        # A browser sends Origin on every POST (same-origin, default referrer policy).
        self.origin = base_url.rstrip("/")
        self.client = httpx.AsyncClient(
            base_url=base_url,
            verify=_SSL,
            trust_env=False,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": "upstream-bench/1", "Accept-Language": "en-GB"},
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def request(self, kind: str, method: str, url: str, expect=(200,), **kwargs) -> httpx.Response:
        if method == "POST":
            kwargs["headers"] = {"Origin": self.origin, **(kwargs.get("headers") or {})}
        start = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            end = time.perf_counter()
            self.recorder.record(kind, start, end, type(exc).__name__)
            self.recorder.errors[f"{kind}: {type(exc).__name__}"] += 1
            raise ScenarioError(f"{kind} {method} {url}: {type(exc).__name__}") from exc
        end = time.perf_counter()
        self.recorder.record(kind, start, end, response.status_code)
        timing = response.headers.get("x-bench-server")
        if timing:
            wall, cpu = timing.split(";")
            self.recorder.server_wall[kind].append(float(wall))
            self.recorder.server_cpu[kind].append(float(cpu))
        if response.status_code not in expect:
            self.recorder.errors[f"{kind}: HTTP {response.status_code}"] += 1
            raise ScenarioError(f"{kind} {method} {url}: HTTP {response.status_code}")
        return response

    def csrf_from(self, html: str) -> str:
        match = CSRF_INPUT.search(html)
        if match:
            return match.group(1)
        token = self.client.cookies.get("csrftoken")
        if token:
            return token
        raise ScenarioError("no CSRF token on the page")


Scenario = Callable[[Session], Awaitable[None]]


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100.0 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def drive(
    base_url: str,
    scenario: Scenario,
    *,
    concurrency: int,
    duration: float,
    grace: float = 30.0,
    session_per_scenario: bool = True,
) -> tuple[Recorder, dict]:
    t0 = time.perf_counter()
    recorder = Recorder(t0=t0, deadline=t0 + duration)
    cpu0 = time.process_time()

    async def user(number: int) -> None:
        shared = None if session_per_scenario else Session(base_url, recorder)
        try:
            while time.perf_counter() < recorder.deadline:
                session = shared or Session(base_url, recorder)
                recorder.scenarios_started += 1
                try:
                    await scenario(session)
                except ScenarioError as exc:
                    recorder.scenarios_failed += 1
                    recorder.failures[str(exc)[:160]] += 1
                    await asyncio.sleep(0.05)
                finally:
                    if shared is None:
                        await session.close()
        finally:
            if shared is not None:
                await shared.close()

    tasks = [asyncio.create_task(user(n)) for n in range(concurrency)]
    done, pending = await asyncio.wait(tasks, timeout=duration + grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            recorder.errors[f"client crash: {type(task.exception()).__name__}: {task.exception()}"] += 1
    wall = time.perf_counter() - t0
    meta = {
        "wall_seconds": round(wall, 3),
        "window_seconds": duration,
        "client_cpu_seconds": round(time.process_time() - cpu0, 3),
        # Users still mid-scenario when the grace period ended: stopped, not counted as errors
        # (nothing they sent was acknowledged, so they cannot be "lost").
        "cut_off_users": len(pending),
    }
    return recorder, meta


def summarise(recorder: Recorder, meta: dict) -> dict:
    duration = meta["window_seconds"]
    kinds = {}
    total_in_window = 0
    for kind, values in sorted(recorder.latencies.items()):
        values.sort()
        total_in_window += recorder.in_window[kind]
        kinds[kind] = {
            "count": len(values),
            "per_second": round(recorder.in_window[kind] / duration, 2),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(values[-1], 1),
        }
        served = sorted(recorder.server_wall.get(kind, []))
        if served:
            cpu = sorted(recorder.server_cpu[kind])
            kinds[kind].update(
                server_p50_ms=round(percentile(served, 50), 2),
                server_p95_ms=round(percentile(served, 95), 2),
                server_cpu_ms=round(sum(cpu) / len(cpu), 2),
            )
    return {
        **meta,
        "requests_per_second": round(total_in_window / duration, 2),
        # Every acknowledged completion over the whole wall time (timed window plus the tail in
        # which users in flight finish): pupils start together, as a class does, so with short
        # windows few finish inside the window itself.
        "completions_per_second": round(len(recorder.acknowledged) / meta["wall_seconds"], 2),
        "completions_in_window": recorder.completions_in_window,
        "acknowledged": len(recorder.acknowledged),
        "scenarios_started": recorder.scenarios_started,
        "scenarios_failed": recorder.scenarios_failed,
        "errors": dict(recorder.errors),
        "failures": dict(recorder.failures.most_common(20)),
        "error_count": sum(recorder.errors.values()),
        "statuses": dict(recorder.statuses),
        "kinds": kinds,
    }


# --- The floor --------------------------------------------------------------------------

FLOOR_ITEMS = 34


async def floor_scenario(session: Session) -> None:
    page = await session.request("floor_get", "GET", "/bench/floor/")
    token = session.csrf_from(page.text)
    data = {f"q{n}": str((n % 5) + 1) for n in range(1, FLOOR_ITEMS + 1)}
    data["csrfmiddlewaretoken"] = token
    saved = await session.request("floor_post", "POST", "/bench/floor/", data=data)
    body = saved.json()
    if not body.get("ok"):
        raise ScenarioError("floor_post refused")
    session.recorder.acknowledge(body["id"])
