"""labgrade: automated grading of TCP socket labs."""

__version__ = "0.1.0"
