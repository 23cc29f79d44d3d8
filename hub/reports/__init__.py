"""The report's figures, derived from the stored events (docs/reports.md)."""
