"""Presentation: how estimates look to a reader (tables, plots, headline sentences, and the
one-call summaries the notebooks show). Percentages are made here, never in the statistics.
"""
