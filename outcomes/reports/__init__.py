"""PDF outcome reports (issue 9): a regional programme report for the VRU and a per-school
report for each school lead, rendered by Celery with WeasyPrint, once per data version.
See docs/outcome-reports.md."""
