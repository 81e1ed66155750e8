"""`RayRunner`: the sandbox's `Runner` on a Ray cluster, one Ray task per benchmark task.

A partition is one benchmark task's spec and jobs, shipped as plain data (no code, no
expected outputs). It runs as a Ray generator task: on whichever node Ray places it, the
task drives a `LocalRunner` (the same sandboxed worker code as a local run, so the sandbox
holds on every node), computes the task's ground truth there, once, and streams back a
header (node, ground-truth timings) and then each job's result as it completes. The driver
alone writes outputs (`auditor.label` appends labels as results arrive, so a killed driver
resumes on rerun).

Faults: when a partition's Ray worker or node dies, the driver resubmits the jobs of the
partition whose results it has not received, up to `retries` times, and drops a result it
already has, so no result is lost or duplicated. Ray's own `max_retries` is not used for
this: it replays a generator and skips outputs it already delivered *by position*, which
is only right for generators that yield in a fixed order; ours yield in completion order.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import ray
import ray.util.client
from ray.exceptions import RayError, RayTaskError, TaskCancelledError

from auditor import __version__
from auditor.errors import SandboxError, UsageError
from auditor.sandbox.runner import (
    GroundTruth,
    Job,
    JobResult,
    LocalRunner,
    ProbeJob,
    ProbeResult,
    SandboxLimits,
    TaskSpec,
)

_J = TypeVar("_J", Job, ProbeJob)

# -- on the nodes --------------------------------------------------------------------------------

# One LocalRunner per Ray worker process and configuration: its sandbox workers (and the
# ground truth they hold) are reused by the partitions Ray sends to the same process.
_NODE_RUNNERS: dict[tuple[SandboxLimits, int], LocalRunner] = {}


@dataclass(frozen=True)
class NodeInfo:
    """Where a partition ran, and how that node confines candidates."""

    node_id: str
    pid: int
    version: str
    isolation: Mapping[str, Any]


@dataclass(frozen=True)
class _Header:
    node: NodeInfo
    ground_truth: GroundTruth | None = None


def _node_runner(limits: SandboxLimits, workers: int) -> LocalRunner:
    key = (limits, workers)
    runner = _NODE_RUNNERS.get(key)
    if runner is None:
        runner = _NODE_RUNNERS[key] = LocalRunner(workers, limits)
        atexit.register(runner.close)
    return runner


def _node_info(runner: LocalRunner) -> NodeInfo:
    node_id = ray.get_runtime_context().get_node_id()
    return NodeInfo(node_id, os.getpid(), __version__, dict(runner.isolation))


def label_partition(
    spec: TaskSpec, jobs: Sequence[Job], limits: SandboxLimits, workers: int
) -> Iterator[_Header | JobResult]:
    """(Ray task) The header with the task's ground truth, then each job's result."""
    runner = _node_runner(limits, workers)
    runner.register([spec])
    gt = runner.prepare([spec])[spec.task_id]
    yield _Header(_node_info(runner), gt)
    yield from runner.run(jobs)


def probe_partition(
    jobs: Sequence[ProbeJob], limits: SandboxLimits, workers: int
) -> Iterator[_Header | ProbeResult]:
    """(Ray task) The header, then each program's output fingerprints."""
    runner = _node_runner(limits, workers)
    yield _Header(_node_info(runner))
    yield from runner.probe(jobs)


def label_partition_list(*args: Any) -> list[_Header | JobResult]:
    """(Ray task) `label_partition` all at once, for the Ray Client (no generator tasks)."""
    return list(label_partition(*args))


def probe_partition_list(*args: Any) -> list[_Header | ProbeResult]:
    """(Ray task) `probe_partition` all at once, for the Ray Client."""
    return list(probe_partition(*args))


# max_retries=0: the driver retries (see the module docstring)
_REMOTE: dict[tuple[str, bool], Any] = {
    (name, streaming): ray.remote(max_retries=0)(fn)
    for name, streaming, fn in (
        ("label", True, label_partition),
        ("probe", True, probe_partition),
        ("label", False, label_partition_list),
        ("probe", False, probe_partition_list),
    )
}


# -- on the driver -------------------------------------------------------------------------------


def connect(address: str | None, cpus: int | None) -> bool:
    """Join the cluster at `address` (None: $RAY_ADDRESS, else a new one-node cluster with
    `cpus` CPUs); True when this call started Ray. Ray already initialised is kept as is."""
    if ray.is_initialized():
        return False
    opts: dict[str, Any] = {"logging_level": logging.ERROR}
    if not (address or os.environ.get("RAY_ADDRESS", "")).startswith("ray://"):
        opts["log_to_driver"] = False  # the Ray Client refuses this option
    if address is None and not os.environ.get("RAY_ADDRESS"):
        opts.update(num_cpus=cpus or os.cpu_count() or 1, include_dashboard=False)
    else:
        opts["address"] = address
    try:
        ray.init(**opts)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local cluster"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot start or reach Ray at {where}: {first}") from None
    return True


@dataclass
class _Partition:
    """One unit of work for Ray: a name for messages, its jobs by id, how to submit some."""

    name: str
    jobs: dict[int, Any]
    submit: Callable[[list[Any]], Any]  # jobs -> ObjectRefGenerator (or ref to a list)


def _items(handle: Any) -> Iterator[Any]:
    """What a partition sends back: a generator's items as they come, or a whole list."""
    if isinstance(handle, ray.ObjectRef):
        yield from ray.get(handle)
    else:
        for ref in handle:
            yield ray.get(ref)


def _short(exc: BaseException | str) -> str:
    return exc if isinstance(exc, str) else type(exc).__name__


_DONE: Any = object()  # a partition finished (put on the results queue)


class RayRunner:
    """Runs jobs on a Ray cluster, a partition per benchmark task (see the module doc).

    `jobs` partitions run at a time (default: the cluster's CPUs / `workers`); each one
    reserves `workers` CPUs and drives that many sandbox workers on its node."""

    def __init__(
        self,
        address: str | None = None,
        jobs: int | None = None,
        limits: SandboxLimits | None = None,
        *,
        workers: int = 1,
        retries: int = 3,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.workers = max(1, workers)
        self.retries = retries
        self._own = connect(address, jobs * self.workers if jobs else None)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max(1, jobs or cpus // self.workers)
        self.nodes: dict[str, NodeInfo] = {}  # node id -> info, of every node that ran work
        self.resubmitted = 0  # partitions sent again after a worker or node died
        self._specs: dict[str, TaskSpec] = {}
        self._gt: dict[str, GroundTruth] = {}
        self._lock = threading.Lock()
        self._inflight: set[Any] = set()
        # the Ray Client runs no generator tasks: there a partition's results come all at once
        self.streaming = not ray.util.client.ray.is_connected()
        # SPREAD: partitions are CPU-bound; packing them on the first nodes would leave others idle
        self._placement = {"num_cpus": self.workers, "scheduling_strategy": "SPREAD"}

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cancel_inflight()
        if self._own and ray.is_initialized():
            ray.shutdown()
        self._own = False

    @property
    def isolation(self) -> dict[str, Any]:
        """How each node that ran work confines candidates, by node id."""
        with self._lock:
            return {"nodes": {nid: dict(n.isolation) for nid, n in self.nodes.items()}}

    # -- the Runner protocol ------------------------------------------------------------------
    def register(self, specs: Sequence[TaskSpec]) -> None:
        for spec in specs:
            self._specs[spec.task_id] = spec

    def prepare(self, specs: Sequence[TaskSpec]) -> dict[str, GroundTruth]:
        """Ground truth of each task, computed on the nodes (a partition without jobs)."""
        self.register(specs)
        for _ in self._stream([self._label_partition(s.task_id, []) for s in specs]):
            pass
        return {s.task_id: self._gt[s.task_id] for s in specs}

    def ground_truth(self, task_id: str) -> GroundTruth:
        return self._gt[task_id]

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        """Results in completion order; the largest partitions start first."""
        by_task: dict[str, list[Job]] = {}
        for job in jobs:
            by_task.setdefault(job.task_id, []).append(job)
        unknown = sorted(set(by_task) - set(self._specs))
        if unknown:
            raise SandboxError(f"task {unknown[0]} was not registered with the runner")
        order = sorted(by_task, key=lambda t: -len(by_task[t]))
        return self._stream([self._label_partition(t, by_task[t]) for t in order])

    def probe(self, jobs: Sequence[ProbeJob]) -> Iterator[ProbeResult]:
        """Output fingerprints in completion order; a task's programs spread over the slots."""
        by_task: dict[str, list[ProbeJob]] = {}
        for job in jobs:
            by_task.setdefault(job.task_id, []).append(job)
        parts = []
        for task_id, group in by_task.items():
            size = max(4, math.ceil(len(group) / self.slots))
            for k in range(0, len(group), size):
                parts.append(self._probe_partition(f"probes of {task_id}", group[k : k + size]))
        return self._stream(parts)

    # -- partitions ---------------------------------------------------------------------------
    def _label_partition(self, task_id: str, jobs: list[Job]) -> _Partition:
        spec = self._specs[task_id]
        remote = _REMOTE["label", self.streaming].options(**self._placement)

        def submit(todo: list[Job]) -> Any:
            return remote.remote(spec, todo, self.limits, self.workers)

        return _Partition(f"task {task_id}", {j.job_id: j for j in jobs}, submit)

    def _probe_partition(self, name: str, jobs: list[ProbeJob]) -> _Partition:
        remote = _REMOTE["probe", self.streaming].options(**self._placement)

        def submit(todo: list[ProbeJob]) -> Any:
            return remote.remote(todo, self.limits, self.workers)

        return _Partition(name, {j.job_id: j for j in jobs}, submit)

    def _stream(self, parts: list[_Partition]) -> Iterator[Any]:
        """Run the partitions, `slots` at a time; yield their results as they arrive."""
        out: queue.SimpleQueue[Any] = queue.SimpleQueue()
        stop = threading.Event()

        def guarded(part: _Partition) -> None:
            try:
                self._consume(part, out, stop)
                out.put(_DONE)
            except BaseException as exc:  # surfaced in the caller's thread
                out.put(exc)

        pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="ray-partition")
        try:
            for part in parts:
                pool.submit(guarded, part)
            finished = 0
            while finished < len(parts):
                item = out.get()
                if item is _DONE:
                    finished += 1
                elif isinstance(item, BaseException):
                    if isinstance(item, SandboxError):
                        raise item
                    raise SandboxError(f"ray runner failed: {item}") from item
                else:
                    yield item
        finally:
            stop.set()
            self._cancel_inflight()
            pool.shutdown(wait=True, cancel_futures=True)

    def _consume(
        self, part: _Partition, out: queue.SimpleQueue[Any], stop: threading.Event
    ) -> None:
        """Submit the partition's missing jobs until all results are in (or retries run out)."""
        remaining = dict(part.jobs)
        last: BaseException | str = "no attempt"
        for attempt in range(self.retries + 1):
            if stop.is_set():
                return
            if attempt:
                with self._lock:
                    self.resubmitted += 1
                print(
                    f"auditor: Ray: {part.name} lost its worker or node ({_short(last)}); "
                    f"sending its {len(remaining)} missing job(s) again",
                    file=sys.stderr,
                )
            gen = part.submit(list(remaining.values()))
            with self._lock:
                self._inflight.add(gen)
            try:
                for item in _items(gen):
                    if isinstance(item, _Header):
                        self._note(item)
                    elif remaining.pop(item.job_id, None) is not None:
                        out.put(item)
                if not remaining:
                    return
                last = f"the stream ended without {len(remaining)} result(s)"
            except TaskCancelledError:
                return
            except RayTaskError as exc:  # an error in our code on the node: not retried
                cause = exc.cause if exc.cause is not None else exc
                raise SandboxError(f"{part.name} failed on a Ray node: {cause}") from None
            except RayError as exc:  # the worker, its node or an object died
                last = exc
            finally:
                with self._lock:
                    self._inflight.discard(gen)
        raise SandboxError(f"{part.name} failed {self.retries + 1} times on Ray: {last}")

    def _note(self, header: _Header) -> None:
        node = header.node
        if node.version != __version__:
            raise SandboxError(
                f"Ray node {node.node_id[:12]} runs auditor {node.version}, "
                f"this driver {__version__}: install the same version on every node"
            )
        with self._lock:
            new = node.node_id not in self.nodes
            self.nodes[node.node_id] = node
            if header.ground_truth is not None:
                self._gt[header.ground_truth.task_id] = header.ground_truth
        mode = node.isolation.get("mode")
        if new and mode not in (None, "bwrap"):  # the node says so only in its own logs
            print(
                f"auditor: Ray node {node.node_id[:12]} runs the sandbox without namespaces "
                f"({mode}); see docs/SANDBOX.md",
                file=sys.stderr,
            )

    def _cancel_inflight(self) -> None:
        with self._lock:
            gens, self._inflight = list(self._inflight), set()
        for gen in gens:  # force: a stopped partition must not keep driving sandbox workers
            with contextlib.suppress(Exception):
                ray.cancel(gen, force=True)
