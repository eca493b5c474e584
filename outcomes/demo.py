"""Demo outcomes for ``seed_demo``: build the rollups of the demo's finished surveys, so the
export (and later the dashboard) has figures at once. Idempotent: a rebuild of unchanged
data writes nothing."""

from __future__ import annotations

from .services import outcomes_rebuild


def seed(stdout=None) -> dict:
    result = outcomes_rebuild()
    if stdout is not None:
        stdout.write(
            f"Outcomes: rollups for {result.pairs} class pairs ({result.changed} changed); "
            "try `python manage.py export_outcomes --scope region`."
        )
    return {"rebuild": result}
