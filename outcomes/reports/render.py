"""Render an outcome report to PDF bytes with WeasyPrint. Only the project's own static
files can be fetched while rendering (``lessons.pdf.fetcher``); charts are inline SVG.

WeasyPrint builds hundreds of thousands of short-lived objects (boxes, styles, SVG nodes),
so the interpreter's cyclic garbage collector runs many times during one render, and each
full (oldest-generation) collection walks every object the process holds: Django, SciPy,
statsmodels, matplotlib and WeasyPrint themselves, about 380,000 objects in a worker. On
the benchmark region that was 0.75 s of a 2 s school report (13 full collections;
docs/outcome-reports.md, "Render time"). ``young_objects_only`` moves the objects that
already exist into the permanent generation for the length of the WeasyPrint steps
(``gc.freeze``, then ``gc.unfreeze``: list splices, not walks), so the collector still
runs as often but only over what the render itself made. Nothing changes in the PDF; garbage made by the render is
collected as before, and the frozen objects go back to the oldest generation afterwards.
The figures are read (``content.build``, which calls statsmodels) before the freeze.

A process's first render also pays once for loading things: cffi's parsing of the C types
WeasyPrint asks Pango and HarfBuzz for, fontconfig's font list and Pango's font map, the
fonts' metrics, and matplotlib's font manager. ``warm_up`` pays that at worker start (the
Celery worker calls it from ``worker_process_init``, ``outcomes.reports.tasks``) by drawing
one made-up chart and rendering one small page with the report's stylesheet, text, a table
and that chart. It reads no database and writes no file, and nothing of it is kept except
what the libraries cache themselves; bench/reports_bench.py measures a render with and
without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.template.loader import render_to_string
from weasyprint import HTML

from lessons.pdf.fetcher import PDF_BASE_URL, ProjectFilesURLFetcher

from .. import charts
from ..stats.gc_scope import young_objects_only
from . import content

TEMPLATE = "outcomes/reports/pdf.html"


def report_html(report, *, on_stage: Callable[[str, int], None] | None = None) -> str:
    if on_stage:
        on_stage("Reading the figures", 10)
    context = content.build(report)
    if on_stage:
        on_stage("Laying out the pages", 50)
    return render_to_string(TEMPLATE, context)


def report_pdf(report, *, on_stage: Callable[[str, int], None] | None = None) -> tuple[bytes, int]:
    """The report's PDF bytes and its number of pages."""
    html = report_html(report, on_stage=on_stage)
    with young_objects_only():
        document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher(timeout=5)).render()
        if on_stage:
            on_stage("Writing the PDF", 85)
        data = document.write_pdf()
    return data, len(document.pages)


WARM_UP_HTML = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Warm-up</title>
<link rel="stylesheet" href="{css}"></head><body><section class="figures"><h2>Warm-up</h2>
<p>Made-up figures: <strong>bold</strong>, <em>italic</em>, <code>code</code> − – ·.</p>
<div class="scale-block"><h3>Scale</h3><figure class="chart">{svg}</figure>
<table class="figures-table"><caption>Caption</caption><thead><tr><th scope="col">Area</th>
<th scope="col" class="num">n</th></tr></thead><tbody><tr class="scope-region"><th scope="row">Region</th>
<td class="num">1.00</td></tr><tr><th scope="row">Area</th><td class="hidden">fewer than 10</td></tr>
</tbody></table></div></section></body></html>"""


def warm_up() -> float:
    """Load what a process's first render would otherwise load (module docstring): one
    made-up chart and one small page through WeasyPrint, to PDF bytes that are thrown away.
    Returns the seconds it took. No database, no file."""
    from django.templatetags.static import static

    started = time.perf_counter()
    svg = charts.render(
        charts.ScaleChart(
            chart_id="warm-up",
            title="Warm-up chart",
            scale_name="a made-up scale",
            groups=(charts.ChartGroup("All pupils", charts.Interval(2.0, 1.9, 2.1), charts.Interval(2.2, 2.1, 2.3)),),
        )
    )
    html = WARM_UP_HTML.format(css=static("css/outcome-reports-pdf.css"), svg=svg)
    with young_objects_only():
        HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher(timeout=5)).write_pdf()
    return time.perf_counter() - started
