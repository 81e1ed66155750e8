"""auditor: find false positives in generated code."""

__version__ = "0.1.0"
