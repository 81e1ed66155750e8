"""Records passed between stages. All are frozen; none does I/O."""

from __future__ import annotations

import bisect
import hashlib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


def sha256_text(text: str) -> str:
    """Hex sha256 of UTF-8 text (surrogates kept), the key of a solution."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Outcome(StrEnum):
    """Result of running one candidate against one test suite."""

    PASS = "pass"
    FAIL = "fail"
    TIMEOUT = "timeout"
    ERROR = "error"


class Status(StrEnum):
    """Final label of a candidate (EvalPlus semantics), or `error` when the sandbox could
    not evaluate it (neither correct nor wrong: `auditor label` retries it once on resume)."""

    CORRECT = "correct"
    FALSE_POSITIVE = "false_positive"
    REJECTED = "rejected"
    ERROR = "error"

    @classmethod
    def from_outcomes(cls, weak: Outcome, strong: Outcome) -> Status:
        """Error if either suite errored; else rejected unless weak passes; then correct iff
        strong passes too."""
        if Outcome.ERROR in (weak, strong):
            return cls.ERROR
        if weak is not Outcome.PASS:
            return cls.REJECTED
        return cls.CORRECT if strong is Outcome.PASS else cls.FALSE_POSITIVE


class Severity(StrEnum):
    """How bad a finding is; ordered by `rank`."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Confidence(StrEnum):
    """How sure a rule is that its pattern means what it says."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Task:
    """One benchmark problem in EvalPlus release format."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    base_input: tuple[Any, ...]
    plus_input: tuple[Any, ...]
    atol: float = 0.0
    contract: str = ""
    test: str = ""  # HumanEval `check(candidate)` source
    assertion: str = ""  # MBPP assert lines
    benchmark: str = ""
    # False: a task whose prompt is no code to follow (an MBPP-form task file row giving
    # its prompt as prose), which takes whole programs (`solution`), not completions.
    completes: bool = True

    @property
    def reference(self) -> str:
        """The full canonical program (prompt + body for HumanEval-style tasks).

        HumanEval-style means the canonical solution is only a body: it does not define
        the entry point itself (true of every HumanEval+ task and of no MBPP+ task).
        """
        defines = re.search(
            rf"^\s*def\s+{re.escape(self.entry_point)}\s*\(", self.canonical_solution, re.M
        )
        if self.task_id.startswith("HumanEval") or defines is None:
            return self.prompt + self.canonical_solution
        return self.canonical_solution


@dataclass(frozen=True)
class LineMap:
    """Where each line of a sanitized program is in the raw text (both 1-based).

    `runs` holds (first program line, first raw line, count) triples: consecutive program
    lines that are consecutive raw lines form one run, so plain code maps in one triple.
    """

    runs: tuple[tuple[int, int, int], ...] = ()

    @classmethod
    def from_rows(cls, rows: Sequence[int]) -> LineMap:
        """The map whose program line i + 1 is raw line rows[i]."""
        if isinstance(rows, range) and rows.step == 1:  # plain code: one run, no loop
            return cls(((1, rows.start, len(rows)),) if rows else ())
        runs: list[tuple[int, int, int]] = []
        for i, raw in enumerate(rows, start=1):
            if runs and runs[-1][1] + runs[-1][2] == raw and runs[-1][0] + runs[-1][2] == i:
                first, first_raw, n = runs[-1]
                runs[-1] = (first, first_raw, n + 1)
            else:
                runs.append((i, raw, 1))
        return cls(tuple(runs))

    @property
    def lines(self) -> int:
        """How many program lines the map covers."""
        return self.runs[-1][0] + self.runs[-1][2] - 1 if self.runs else 0

    def raw_line(self, line: int) -> int:
        """The raw-text line of program line `line`; ValueError outside 1..lines."""
        if not 1 <= line <= self.lines:
            raise ValueError(f"line {line} is outside the program (1-{self.lines})")
        first, first_raw, _ = self.runs[bisect.bisect_right(self.runs, (line, sys.maxsize)) - 1]
        return first_raw + line - first


@dataclass(frozen=True)
class Candidate:
    """One candidate solution of one task.

    `code` is the program to run and analyse (sanitized when the input was raw);
    `removed` lists what the sanitizer dropped, for the record.
    """

    task_id: str
    sample_id: str
    code: str
    path: str | None = None
    model: str | None = None
    raw: str | None = None
    removed: tuple[str, ...] = ()
    # Set by the sanitizer for chat-style answers: where each program line is in `raw`,
    # which Markdown/prose blocks the program came from, and why there is no program.
    line_map: LineMap | None = None
    extracted: tuple[str, ...] = ()
    reason: str | None = None
    # The line of the samples file that holds this candidate's row (JSONL readers only), so
    # reports can point at the row; None for .py files and candidates read from elsewhere.
    # Where it was read is not what the candidate is: equality ignores it.
    line: int | None = field(default=None, compare=False)
    # Lines at the top of `raw` that are the task's prompt (a `completion` row: the
    # signature, docstring, imports and helpers the benchmark wrote), not the candidate's.
    prompt_lines: int = field(default=0, compare=False)

    @property
    def sha256(self) -> str:
        return sha256_text(self.code)


@dataclass(frozen=True)
class Label:
    """Weak/strong outcome of one candidate and its final status."""

    task_id: str
    sample_id: str
    solution_sha256: str
    weak_status: Outcome
    strong_status: Outcome
    status: Status
    first_fail: int | None = None  # index into base_input + plus_input
    runtime_s: float = 0.0
    model: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "sample_id": self.sample_id,
            "solution_sha256": self.solution_sha256,
            "weak_status": self.weak_status.value,
            "strong_status": self.strong_status.value,
            "status": self.status.value,
            "first_fail": self.first_fail,
            "runtime_s": round(self.runtime_s, 6),
            "model": self.model,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Label:
        """A label row; a field of the wrong type, or a status its outcomes contradict, is a
        ValueError (the readers turn it into one line naming the row)."""
        weak, strong = Outcome(d["weak_status"]), Outcome(d["strong_status"])
        status = Status.from_outcomes(weak, strong)
        if d.get("status") not in (None, status.value):
            raise ValueError(f"status {d['status']!r} contradicts its outcomes ({status.value})")
        return cls(
            task_id=_key_field(d, "task_id"),
            sample_id=_key_field(d, "sample_id"),
            solution_sha256=_field(d, "solution_sha256", str),
            weak_status=weak,
            strong_status=strong,
            status=status,
            first_fail=_field(d, "first_fail", (int, type(None)), None),
            runtime_s=float(_field(d, "runtime_s", (int, float, type(None)), None) or 0.0),
            model=_field(d, "model", (str, type(None)), None),
        )


_MISSING = object()


def _field(
    d: Mapping[str, Any], key: str, types: type | tuple[type, ...], default: Any = _MISSING
) -> Any:
    """`d[key]` if it is one of `types` (bool is not an int here), else a ValueError."""
    value = d[key] if default is _MISSING else d.get(key, default)
    if isinstance(value, types) and not isinstance(value, bool):
        return value
    got = "null" if value is None else type(value).__name__
    raise ValueError(f"{key} must be {_type_names(types)}, got {got}")


def _key_field(d: Mapping[str, Any], key: str) -> str:
    """`task_id` or `sample_id` as a string (EvalPlus writes integer sample ids); a blank
    one is a ValueError, as in every samples reader: ids key labels to samples and reports."""
    value = str(_field(d, key, str if key == "task_id" else (str, int)))
    if not value.strip():
        raise ValueError(f"{key} must not be blank, got {value!r}")
    return value


def _type_names(types: type | tuple[type, ...]) -> str:
    names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
    return " or ".join("null" if n == "NoneType" else n for n in names)


@dataclass(frozen=True)
class Finding:
    """One diagnostic at one place in one candidate."""

    code: str  # e.g. AUD301, ruff:B006, pylint:W0611
    symbol: str
    message: str
    line: int
    col: int = 0
    severity: Severity = Severity.LOW
    confidence: Confidence = Confidence.MEDIUM
    source: str = "rules"  # rules | ruff | pylint | model


CandidateKey = tuple[str, str, str]  # (task_id, sample_id, solution_sha256)


@dataclass(frozen=True, eq=False)
class FeatureTable:
    """One row per candidate, numeric cells, prefixed column names.

    `labels` holds each row's Status when the table was joined with labels. `schema_*`
    describe the static feature columns; `exec_schema_*` the `exec.*` execution columns
    when the table has them (`auditor.execution.table.hstack`), else None.
    """

    keys: tuple[CandidateKey, ...]
    columns: tuple[str, ...]
    values: np.ndarray  # float64, shape (len(keys), len(columns))
    schema_version: str
    schema_hash: str
    tool_versions: Mapping[str, str] = field(default_factory=dict)
    labels: tuple[Status | None, ...] | None = None
    exec_schema_version: str | None = None
    exec_schema_hash: str | None = None

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]
