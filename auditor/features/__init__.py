"""Feature extraction: rules, ruff, radon, pylint, ast and task-relative features.

`extract(candidates)` gives a `FeatureTable` (one row per candidate, prefixed float64
columns); `findings(candidates)` gives the diagnostics behind the rules/ruff/pylint
columns, from the same cached runs.
"""

from __future__ import annotations

from auditor.features.base import Extraction, Extractor, Item
from auditor.features.cache import FeatureCache, default_cache_dir
from auditor.features.runner import (
    EXTRACTORS,
    SCHEMA_VERSION,
    columns,
    extract,
    findings,
    schema_hash,
    tool_versions,
)
from auditor.features.table import read_table, write_table

__all__ = [
    "EXTRACTORS",
    "SCHEMA_VERSION",
    "Extraction",
    "Extractor",
    "FeatureCache",
    "Item",
    "columns",
    "default_cache_dir",
    "extract",
    "findings",
    "read_table",
    "schema_hash",
    "tool_versions",
    "write_table",
]
