"""Command line (placeholder until the report pipeline lands)."""
def main() -> int:  # pragma: no cover
    raise SystemExit("not yet")
