"""The closed-loop load client: wrk (C, epoll) driving bench/flow.lua, one simulated user per
wrk thread (``-t N -c N``), so the client costs a small fraction of what the server does and
the floor is the server's limit, not the client's.

``drive`` runs wrk for ``duration`` seconds against the floor or the pupil flow and returns
the same summary as ``bench.loadgen.summarise`` (per request type: rate, client latency
percentiles, the server's own time from ``X-Bench-Server``), plus the client's CPU time
from the kernel (``os.wait4``), so every ratio can be shown beside the client's share of
the machine. wrk stops at the deadline with requests in flight: those are not counted, and
a pupil whose final save was in flight is "completed, not acknowledged" in the database
check, never "lost".

Needs Debian's ``wrk`` package (``apt-get install wrk``; built with LuaJIT, whose ``ffi``
the script uses for a monotonic clock).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from bench.loadgen import percentile

SCRIPT = Path(__file__).resolve().parent / "flow.lua"


def available() -> str | None:
    """None when wrk can run the script, else why not."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian: apt-get install wrk)"
    return None


def version() -> str:
    found = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    return (found.stdout or found.stderr).splitlines()[0].strip() if (found.stdout or found.stderr) else "?"


def drive(
    base_url: str,
    flow: str,
    *,
    concurrency: int,
    duration: float,
    work_dir: Path,
    cards: list[tuple[str, str]] | None = None,
) -> dict:
    """Run wrk once. ``cards``: (join code, card code) pairs for the pupil flow, shared out
    between the threads (each thread takes every N-th line). Returns the summary."""
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / f"wrk-{flow}-{time.monotonic_ns()}.json"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(WRK_FLOW=flow, WRK_THREADS=str(concurrency), WRK_OUT=str(out))
    if cards is not None:
        card_file = work_dir / f"cards-{time.monotonic_ns()}.txt"
        card_file.write_text("".join(f"{join} {card}\n" for join, card in cards))
        env["WRK_CARDS"] = str(card_file)
    seconds = max(1, round(duration))
    command = [
        "wrk",
        "-t",
        str(concurrency),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        base_url,
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    output = process.stdout.read() if process.stdout else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk exited {process.returncode}: {output[-800:]}")
    raw = json.loads(out.read_text())
    logs = sorted(work_dir.glob(out.name + ".*"))
    lines = [line for path in logs for line in path.read_text().splitlines()]
    for path in logs:
        path.unlink()
    out.unlink()
    return summarise(raw, lines, window=seconds, wall=wall, client_cpu=usage.ru_utime + usage.ru_stime, output=output)


def summarise(raw: dict, lines: list[str], *, window: float, wall: float, client_cpu: float, output: str = "") -> dict:
    """``lines``: what the threads wrote (see bench/flow.lua)."""
    latencies: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    bad: dict[str, int] = {}
    acknowledged: list[str] = []
    out_of_cards = 0
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "r":
            kind = parts[1]
            counts[kind] = counts.get(kind, 0) + 1
            latencies.setdefault(kind, []).append(float(parts[2]))
            if parts[3] != "-":
                walls.setdefault(kind, []).append(float(parts[3]))
                cpus.setdefault(kind, []).append(float(parts[4]))
        elif parts[0] == "b":
            key = f"{parts[1]}: HTTP {parts[2]}"
            bad[key] = bad.get(key, 0) + 1
            latencies.setdefault(parts[1], []).append(float(parts[3]))
        elif parts[0] == "a":
            acknowledged.append(parts[1])
        elif parts[0] == "o":
            out_of_cards += 1
    kinds = {}
    for kind, values in sorted(latencies.items()):
        values.sort()
        kinds[kind] = {
            "count": len(values),
            "per_second": round(counts.get(kind, 0) / window, 2),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(values[-1], 1),
        }
        served = sorted(walls.get(kind, []))
        if served:
            spent = cpus.get(kind, [])
            kinds[kind].update(
                server_p50_ms=round(percentile(served, 50), 2),
                server_p95_ms=round(percentile(served, 95), 2),
                server_cpu_ms=round(sum(spent) / len(spent), 2),
            )
    socket_errors = raw.get("errors") or {}
    errors = dict(bad)
    for name in ("connect", "read", "write", "timeout"):
        if int(socket_errors.get(name) or 0):
            errors[f"socket {name}"] = int(socket_errors[name])
    return {
        "client": "wrk",
        "wall_seconds": round(wall, 3),
        "window_seconds": window,
        "client_cpu_seconds": round(client_cpu, 3),
        "cut_off_users": 0,
        "requests_per_second": round(sum(counts.values()) / window, 2),
        "completions_per_second": round(len(acknowledged) / window, 2),
        "completions_in_window": len(acknowledged),
        "acknowledged": acknowledged,
        "scenarios_failed": sum(bad.values()),
        "out_of_cards": out_of_cards,
        "errors": errors,
        "error_count": sum(errors.values()),
        "kinds": kinds,
        "wrk_output": output[-1500:],
    }
