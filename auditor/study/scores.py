"""I/O at the edge of the research report and `auditor curves`: risk scores and atomic writes.

Risk-score file format (one score per candidate, higher = more likely a false positive):

- JSON Lines (`.jsonl`, optionally `.gz`): one object per line with keys
  `task_id` (str), `sample_id` (str or int) and `risk` (number); other keys are ignored.
- CSV (`.csv`): a header row naming at least the columns `task_id,sample_id,risk`.
- JSON (`.json`): the document of `auditor check --format json` (its `candidates` list);
  candidates without a risk are skipped.

Example line: `{"task_id": "HumanEval/0", "sample_id": "17", "risk": 0.83}`.
Every candidate that passes the weak tests needs a score; scores of other candidates
are ignored.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

from auditor.errors import InputError
from auditor.io import open_text

ScoreMap = dict[tuple[str, str], float]


def _risk(value: object, where: str) -> float:
    try:
        risk = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{where}: risk {value!r} is not a number") from None
    if not math.isfinite(risk):
        raise InputError(f"{where}: risk {value!r} is not finite")
    return risk


def read_scores(path: str | Path) -> ScoreMap:
    """Risk scores keyed by (task_id, sample_id) from a JSONL or CSV file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such scores file")
    scores: ScoreMap = {}
    try:
        with open_text(p) as fh:
            if p.name.endswith((".json", ".json.gz")):
                _read_check_json(fh, p, scores)
            elif p.name.endswith((".csv", ".csv.gz")):
                reader = csv.DictReader(fh)
                missing = {"task_id", "sample_id", "risk"} - set(reader.fieldnames or ())
                if missing:
                    raise InputError(f"{p}: CSV header lacks {', '.join(sorted(missing))}")
                for lineno, row in enumerate(reader, start=2):
                    key = (str(row["task_id"]), str(row["sample_id"]))
                    scores[key] = _risk(row["risk"], f"{p}:{lineno}")
            else:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                        key = (str(obj["task_id"]), str(obj["sample_id"]))
                        value = obj["risk"]
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{p}:{lineno}: malformed JSON ({exc.msg})") from None
                    except (KeyError, TypeError):
                        raise InputError(
                            f"{p}:{lineno}: expected an object with task_id, sample_id, risk"
                        ) from None
                    scores[key] = _risk(value, f"{p}:{lineno}")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise InputError(f"{p}: unreadable scores file ({exc})") from None
    if not scores:
        raise InputError(f"{p}: no scores")
    return scores


def _read_check_json(fh: io.TextIOBase, p: Path, scores: ScoreMap) -> None:
    try:
        doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: malformed JSON ({exc.msg} at line {exc.lineno})") from None
    rows = doc.get("candidates") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError(f"{p}: expected the JSON of `auditor check` (a `candidates` list)")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "task_id" not in row or "sample_id" not in row:
            raise InputError(f"{p}: candidate #{i} lacks task_id or sample_id")
        if row.get("risk") is not None:
            key = (str(row["task_id"]), str(row["sample_id"]))
            scores[key] = _risk(row["risk"], f"{p}: candidate #{i}")
