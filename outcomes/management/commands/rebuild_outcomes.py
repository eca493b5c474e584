"""``manage.py rebuild_outcomes``: rebuild every rollup from the raw responses."""

from __future__ import annotations

import resource
import time

from django.core.management.base import BaseCommand

from outcomes.services import BATCH_SIZE, outcomes_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild every class and area rollup from the raw responses, in batches (memory stays bounded). "
        "Classes whose raw responses were purged are kept as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rewrite rows even where nothing changed.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Classes per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        started = time.monotonic()
        bar = _ProgressBar(self.stderr, enabled=not options["no_progress"])
        result = outcomes_rebuild(force=options["force"], batch_size=max(1, options["batch_size"]), progress=bar)
        bar.finish()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"Rebuilt {result.pairs} class pairs ({result.changed} changed, {result.frozen_kept} kept as purged) "
            f"and {result.areas} areas in {time.monotonic() - started:.1f} s; peak memory {peak_mb:.0f} MB."
        )


class _ProgressBar:
    """``[#####.....] 120/350 batches`` on one line when writing to a terminal, a line per
    tenth otherwise (logs)."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        fraction = done / total if total else 1.0
        filled = int(self.WIDTH * fraction)
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} batches of classes"
        if self.tty:
            self.stream.write("\r" + text, ending="")
            self.stream.flush()
        elif int(fraction * 10) != self.last_tenth:
            self.last_tenth = int(fraction * 10)
            self.stream.write(text)

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("")
