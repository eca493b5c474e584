"""Load and page-weight benchmarks (``make bench``). Results: bench/RESULTS.md."""
