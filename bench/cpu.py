"""Who used the CPU during a run: the gunicorn workers, the PostgreSQL backends serving the
bench database, the load client, and everything else on the machine (other people's work
on a shared box shows up there). Read from /proc; Linux only."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]), idle


def _pid_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class CpuProbe:
    def __init__(self, server_pid: int | None, postgres_pids):
        self.server_pid = server_pid
        self.postgres_pids = postgres_pids  # callable returning the backend pids now

    def _server_pids(self) -> list[int]:
        if self.server_pid is None:
            return []
        return [self.server_pid, *_children(self.server_pid)]

    def snapshot(self) -> dict:
        total, idle = _machine_ticks()
        pg = list(self.postgres_pids())
        return {
            "total": total,
            "idle": idle,
            "server": {pid: _pid_ticks(pid) for pid in self._server_pids()},
            "postgres": {pid: _pid_ticks(pid) for pid in pg},
            "client": _pid_ticks(os.getpid()),
            "load": os.getloadavg()[0],
        }

    @staticmethod
    def delta(before: dict, after: dict, wall: float, external_client_seconds: float = 0.0) -> dict:
        """Cores used per group over ``wall`` seconds. ``external_client_seconds``: CPU time of
        a load client that ran as a child process (wrk, from ``os.wait4``), counted as the
        client's rather than as other work."""

        def group(name):
            return sum(after[name].get(pid, 0) - before[name].get(pid, 0) for pid in after[name]) / TICKS

        busy = ((after["total"] - after["idle"]) - (before["total"] - before["idle"])) / TICKS
        server, postgres = group("server"), group("postgres")
        client = (after["client"] - before["client"]) / TICKS + external_client_seconds
        cores = os.cpu_count() or 1
        return {
            "cores": cores,
            "machine_busy_share": round(busy / (wall * cores), 3),
            "gunicorn_cores": round(server / wall, 2),
            "postgres_cores": round(postgres / wall, 2),
            "client_cores": round(client / wall, 2),
            "other_cores": round(max(0.0, busy - server - postgres - client) / wall, 2),
            "load_average_1m": [round(before["load"], 2), round(after["load"], 2)],
        }
