"""Reference data and the results published for them (or printed by R), never our own output.

Sources: R's printed output for ``sleep`` and Lakens (2013) film ratings (docs/outcomes-statistics.md#sources), R's
``wilcox.test`` help page example (Hollander & Wolfe 1973, p. 29f), Shrout & Fleiss (1979)
Table 2 (six targets rated by four judges).
"""

from __future__ import annotations

# R datasets::sleep (Cushny & Peebles 1905 via Student 1908), patients 1..10. R's paired
# analysis "group 1 - group 2" is post = group 1, baseline = group 2 in our convention
# (change = post - baseline). One decimal place: grid unit 10.
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
SLEEP_UNIT = 10

# Lakens (2013) film ratings; change = movie_1 - movie_2 = +1.0 (post = movie_1). Unit 1.
LAKENS_MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
LAKENS_MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]

# R ?wilcox.test: Hamilton depression scale at the first (x) and second (y) visit.
# R prints "Wilcoxon signed rank exact test, V = 40, p-value = 0.03906" for
# wilcox.test(x, y, paired = TRUE) and "V = 40, p-value = 0.01953" for alternative = "greater".
# Three decimal places: unit 1000. No ties, no zeros, n = 9 < 50: R's exact branch.
HW_FIRST_VISIT = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
HW_SECOND_VISIT = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) x 4 judges. Published one-way
# BMS = 11.24, WMS = 6.26 and ICC(1,1) = .17.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

TOL = 1e-4
P_TOL = 1e-5
