"""Label partitions that fail on cue, for the Ray runner's fault tests (run by Ray workers).

`label_partition` wraps the real one and makes its own Ray worker process fail as a real
fault would, while a job is in flight (its start mark sent, its result not):

* a job whose code holds `EXIT` has run: the process exits before sending its result (a
  crash, as when the OOM killer picks it), each time the job runs;
* a job whose code holds `STOP <path>` has run: the process writes its pid and its
  children's (the sandbox workers) to `<path>` and stops itself (SIGSTOP: a process that
  never answers again);
* a task whose id ends in `DOOMED`: the process exits as it starts, on every attempt.

`from_other_version` stands for a node with another auditor: `version` says which ("old":
one from before partitions said first where they run).
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from auditor.sandbox import Job, JobResult, SandboxLimits, TaskSpec, ray_runner
from tests.processes import children

EXIT, STOP, DOOMED = "# ray-fault: exit", "# ray-fault: stop ", "doomed"


def _fault(code: str) -> None:
    if EXIT in code:
        os._exit(1)
    if STOP in code:
        path = code.split(STOP, 1)[1].split("\n", 1)[0]
        Path(path).write_text(" ".join(map(str, [os.getpid(), *children(os.getpid())])))
        os.kill(os.getpid(), signal.SIGSTOP)


def label_partition(
    spec: TaskSpec, jobs: Sequence[Job], limits: SandboxLimits, *args: Any
) -> Iterator[Any]:
    """`ray_runner.label_partition`, failing on cue (see the module doc)."""
    if spec.task_id.endswith(DOOMED):
        os._exit(1)
    code = {j.job_id: j.code for j in jobs}
    for item in ray_runner.label_partition(spec, jobs, limits, *args):
        if isinstance(item, JobResult):
            _fault(code[item.job_id])
        yield item


def from_other_version(version: str) -> Callable[..., Iterator[Any]]:
    """`ray_runner.label_partition` as a node with auditor `version` would run it."""

    def label_partition(spec: TaskSpec, jobs: Sequence[Job], *args: Any) -> Iterator[Any]:
        for item in ray_runner.label_partition(spec, jobs, *args):
            if isinstance(item, ray_runner._Process):
                if version == "old":
                    continue
                item = dataclasses.replace(item, version=version)
            yield item

    return label_partition
