"""Running candidates on probe inputs: the `OutputProber` protocol and its sandbox backend.

A prober returns, per candidate program, one fingerprint per input:
  "v:<sha256>"     the output's canonical form (floats to 6 significant digits),
  "exc:<Name>"     the call raised that exception type,
  "timeout"        the call ran past its time limit (or the candidate's total budget),
  "died"           the child process died (or its report was unusable).
`None` instead of a vector means the program could not be evaluated at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from auditor.types import Task

Vector = tuple[str, ...]


@dataclass(frozen=True)
class ProbeLimits:
    """Time limits of one candidate's probe run, in the sandbox's clock (CPU time by default;
    the worker adds looser wall-clock caps for programs that sleep)."""

    per_input_s: float = 1.0
    total_s: float = 4.0  # after this, the remaining inputs count as "timeout"


class OutputProber(Protocol):
    """Runs candidate programs of one task on inputs; `version` keys the output cache."""

    @property
    def version(self) -> str: ...

    def probe(
        self, task: Task, codes: Sequence[str], inputs: Sequence[Any]
    ) -> list[Vector | None]: ...


class SandboxProber:
    """`OutputProber` on the sandbox's `LocalRunner` (started on first use; a context manager)."""

    def __init__(self, jobs: int = 2, limits: ProbeLimits | None = None) -> None:
        self.jobs = jobs
        self.limits = limits or ProbeLimits()
        self._runner: Any = None

    @property
    def version(self) -> str:
        from auditor.sandbox.runner import PROBE_VERSION

        return f"{PROBE_VERSION}/{self.limits.per_input_s:g}/{self.limits.total_s:g}"

    def probe(self, task: Task, codes: Sequence[str], inputs: Sequence[Any]) -> list[Vector | None]:
        from auditor.sandbox import LocalRunner, ProbeJob
        from auditor.sandbox.spec import dataset_of

        if not codes:
            return []
        if self._runner is None:
            self._runner = LocalRunner(self.jobs)
        jobs = [
            ProbeJob(
                job_id=k,
                task_id=task.task_id,
                dataset=dataset_of(task),
                entry_point=task.entry_point,
                code=code,
                inputs=tuple(inputs),
                per_input_s=self.limits.per_input_s,
                total_s=self.limits.total_s,
            )
            for k, code in enumerate(codes)
        ]
        out: list[Vector | None] = [None] * len(codes)
        for res in self._runner.probe(jobs):
            if res.error is None and len(res.fingerprints) == len(inputs):
                out[res.job_id] = tuple(res.fingerprints)
        return out

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def __enter__(self) -> SandboxProber:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
