"""Run untrusted candidates in child processes, never in the auditor's own process.

`LocalRunner` starts a few small, fresh worker interpreters (`_worker.py`, stdlib only) that
fork one short-lived child per candidate. The child confines itself (rlimits, dropped
privileges when root, private network namespace or stubbed sockets, fresh temp cwd, cleaned
environment, capped output, EvalPlus's reliability guard) and runs the differential tests;
the worker enforces wall-clock caps and kills the child's process group and any orphans.
Another backend (e.g. Dask) can slot in behind the `Runner` protocol.
"""

from __future__ import annotations

from auditor.sandbox.runner import (
    GroundTruth,
    Job,
    JobResult,
    LocalRunner,
    PhaseResult,
    ProbeJob,
    ProbeResult,
    Runner,
    SandboxLimits,
    TaskSpec,
)

__all__ = [
    "GroundTruth",
    "Job",
    "JobResult",
    "LocalRunner",
    "PhaseResult",
    "ProbeJob",
    "ProbeResult",
    "Runner",
    "SandboxLimits",
    "TaskSpec",
]
