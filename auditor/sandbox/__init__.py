"""Run untrusted candidates (and benchmark references) out of process, in a sandbox.

`LocalRunner` starts a few trusted worker interpreters (`_worker.py`) that hold the expected
outputs and decide every verdict. Programs run in children of a zygote (`_zygote.py`) that
each worker starts under bubblewrap: per job a new user, mount, PID and IPC namespace,
private capped /tmp and /dev/shm, no network, no capabilities, rlimits and EvalPlus's
reliability guard. Children receive inputs and send back outputs in a bounded typed format
(`_codec.py`, no pickle). Where namespaces are unavailable the runner falls back to rlimits,
nobody and a private network namespace, and says so. See docs/SANDBOX.md for the threat
model. Another backend (e.g. Ray) can slot in behind the `Runner` protocol.
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
