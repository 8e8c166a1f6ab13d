"""lozells-analysis: survey statistics and reports for the Local Conversations evaluation."""

__version__ = "0.1.0"
