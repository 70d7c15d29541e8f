"""The in-sandbox driver (standard library only)."""
