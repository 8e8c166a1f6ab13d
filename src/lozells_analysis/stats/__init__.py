"""Statistics: the survey design and its estimators, comparisons, trends, scales,
disclosure control and qualitative frequencies.

Every estimating function returns one tidy frame: the group columns, then ``variable,
estimate, se, lower_ci, upper_ci, level, method, n, df`` and what the function adds.
"""
