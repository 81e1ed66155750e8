"""Feature tables on disk: Parquet (metadata in the schema) or CSV (metadata in a sidecar).

Columns: `task_id`, `sample_id`, `sha256`, `label` (status or empty), then the features
as float64. Writes are atomic (temp file + os.replace); a CSV's sidecar records the CSV's
sha256, so a pair from two runs is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from auditor.errors import InputError, UsageError
from auditor.io import atomic_path, atomic_write, read_text, sha256_file
from auditor.types import FeatureTable, Status

KEY_COLUMNS = ("task_id", "sample_id", "sha256", "label")
META_KEY = b"auditor.features"


def _meta(table: FeatureTable) -> dict[str, Any]:
    return {
        "schema_version": table.schema_version,
        "schema_hash": table.schema_hash,
        "exec_schema_version": table.exec_schema_version,
        "exec_schema_hash": table.exec_schema_hash,
        "tool_versions": dict(table.tool_versions),
        "has_labels": table.labels is not None,
    }


def check_table_path(path: Path) -> None:
    """UsageError unless `path` is named .parquet or .csv: the name says the format, and a
    Parquet file named .txt would mislead whoever opens it."""
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"{path}: a feature table is written as .parquet or .csv")


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def sidecar(path: Path) -> Path:
    return (
        path.with_name(path.name + ".meta.json")
        if not _is_csv(path)
        else path.with_suffix(".meta.json")
    )


def write_table(table: FeatureTable, path: str | os.PathLike[str]) -> Path:
    """Write `table` to `path` (.csv: CSV, .parquet: Parquet); returns the path."""
    import pyarrow as pa

    path = Path(path)
    check_table_path(path)
    labels = table.labels or (None,) * len(table.keys)
    arrays: dict[str, Any] = {
        "task_id": pa.array([k[0] for k in table.keys], pa.string()),
        "sample_id": pa.array([k[1] for k in table.keys], pa.string()),
        "sha256": pa.array([k[2] for k in table.keys], pa.string()),
        "label": pa.array([s.value if s else None for s in labels], pa.string()),
    }
    for i, c in enumerate(table.columns):
        arrays[c] = pa.array(table.values[:, i], pa.float64())
    meta = _meta(table)
    if _is_csv(path):
        import pyarrow.csv as pcsv

        with atomic_path(path) as tmp:
            pcsv.write_csv(pa.table(arrays), tmp)
            # Two files cannot be replaced at once: the sidecar names its table's content,
            # so a run interrupted between the replaces leaves a pair `read_table` refuses.
            meta["csv_sha256"] = sha256_file(tmp)
        atomic_write(sidecar(path), json.dumps(meta, indent=2) + "\n")
    else:
        import pyarrow.parquet as pq

        schema_meta = {META_KEY: json.dumps(meta).encode()}
        with atomic_path(path) as tmp:
            pq.write_table(pa.table(arrays).replace_schema_metadata(schema_meta), tmp)
    return path


def read_table(path: str | os.PathLike[str]) -> FeatureTable:
    """Read a table written by `write_table`; InputError when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such feature table")
    data, meta = _read(path)
    names = data.column_names
    if tuple(names[: len(KEY_COLUMNS)]) != KEY_COLUMNS:
        raise InputError(f"{path}: expected leading columns {', '.join(KEY_COLUMNS)}")
    cols = tuple(names[len(KEY_COLUMNS) :])
    keys = tuple(
        zip(
            *(data.column(k).to_pylist() for k in ("task_id", "sample_id", "sha256")),
            strict=True,
        )
    )
    values = (
        np.column_stack(
            [
                np.asarray(data.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
                for c in cols
            ]
        )
        if cols
        else np.empty((len(keys), 0))
    )
    return FeatureTable(
        keys=tuple((str(a), str(b), str(c)) for a, b, c in keys),
        columns=cols,
        values=values.reshape(len(keys), len(cols)),
        schema_version=meta["schema_version"],
        schema_hash=meta["schema_hash"],
        tool_versions={str(k): str(v) for k, v in meta.get("tool_versions", {}).items()},
        labels=_labels(path, data) if meta.get("has_labels") else None,
        exec_schema_version=meta.get("exec_schema_version"),
        exec_schema_hash=meta.get("exec_schema_hash"),
    )


def _read(path: Path) -> tuple[Any, dict[str, Any]]:
    """The Arrow table and its checked metadata."""
    import pyarrow as pa

    try:
        if _is_csv(path):
            import pyarrow.csv as pcsv

            types = {k: pa.string() for k in KEY_COLUMNS}
            data = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
            meta_file = sidecar(path)
            if not meta_file.is_file():
                raise InputError(f"{path}: missing metadata file {meta_file.name}")
            meta = _checked_meta(path, json.loads(read_text(meta_file)))
            digest = sha256_file(path)
            if meta.get("csv_sha256", digest) != digest:
                raise InputError(f"{path}: {meta_file.name} describes another table")
        else:
            import pyarrow.parquet as pq

            data = pq.read_table(path)
            raw = (data.schema.metadata or {}).get(META_KEY)
            if raw is None:
                raise InputError(f"{path}: not an auditor feature table (no metadata)")
            meta = _checked_meta(path, json.loads(raw))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable feature table ({exc})") from None
    return data, meta


def _checked_meta(path: Path, meta: Any) -> dict[str, Any]:
    """The metadata if it has the shape `_meta` writes, else an InputError."""
    text = ("schema_version", "schema_hash")
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str) for k in text):
        raise InputError(f"{path}: bad feature table metadata (no schema version and hash)")
    if not isinstance(meta.get("tool_versions", {}), dict):
        raise InputError(f"{path}: bad feature table metadata (tool_versions)")
    return meta


def _labels(path: Path, data: Any) -> tuple[Status | None, ...]:
    try:
        return tuple(Status(s) if s else None for s in data.column("label").to_pylist())
    except ValueError as exc:
        raise InputError(f"{path}: bad label in feature table ({exc})") from None
