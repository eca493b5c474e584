"""The outcome engine's pure maths: numbers in, numbers out.

Nothing here imports Django or touches the database, so every formula is tested against
published and R reference results without one, and type-checked with ``mypy --strict``.
One module per concern:

- ``scoring``: scale scores (reverse-keying, the 80 % rule) as exact integers in grid units;
- ``sufficient``: integer sums that combine across classes, schools and areas without raw rows;
- ``paired``: the matched-pairs summary (t, CI, Wilcoxon with R's default method);
- ``effect_sizes``: d_z with its noncentral-t interval, d_av, g_av, d_rm (Lakens 2013);
- ``independent``: Welch sensitivity analysis, Hedges' g for matched vs lost, "fragile";
- ``clustering``: one-way ANOVA ICC, design effect, effective n;
- ``multiplicity``: Holm and Benjamini-Hochberg adjusted p (statsmodels);
- ``disclosure``: the small-numbers rule set applied to a whole table.

The formulas and their sources are written out in ``docs/outcomes-statistics.md``.
"""
