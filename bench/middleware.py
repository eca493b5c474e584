"""Bench-only: how long each request spent inside Django (wall and CPU time of the worker),
sent back in an ``X-Bench-Server`` header so the client can split end-to-end latency into
time queued (for one of the 2 sync workers or for a core) and time served. Outermost
middleware, so it covers the whole stack; it costs a few microseconds."""

from __future__ import annotations

import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wall, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        response["X-Bench-Server"] = (
            f"{(time.perf_counter() - wall) * 1000:.3f};{(time.thread_time() - cpu) * 1000:.3f}"
        )
        return response
