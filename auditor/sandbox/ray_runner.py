"""`RayRunner`: the sandbox's `Runner` on a Ray cluster, one Ray task per benchmark task.

A partition is one benchmark task's spec and jobs, shipped as plain data (no code, no
expected outputs). It runs as a Ray generator task: on whichever node Ray places it, the
task drives a `LocalRunner` (the same sandboxed worker code as a local run, so the sandbox,
its limits, its reply deadline and its workers' death with their parent hold on every
node), computes the task's ground truth there, once, and streams back where it runs, a
header (isolation, ground truth), a mark as each job goes to a sandbox worker, and each
job's result as it completes. The driver alone writes outputs (`auditor.label` appends
labels as results arrive, so a killed driver resumes on rerun).

Faults, as `LocalRunner` meets them one level down: when a partition's Ray worker or node
dies, the driver resubmits the jobs of the partition whose results it has not received and
drops a result it already has, so no result is lost or duplicated; a job in flight in two
lost partitions gets an error result (a worker that died twice on it). A partition that
sends nothing for longer than its `LocalRunner` can take when it works (`_silence_s`) has
its process killed on its node (its sandbox workers die with it) and its jobs in flight
get an error result (a hang is not retried). A partition lost `retries + 1` times with no
job in flight gives its remaining jobs error results. Ray's own `max_retries` is not used:
it replays a generator and skips outputs it already delivered *by position*, which is only
right for generators that yield in a fixed order; ours yield in completion order.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import math
import os
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ray
import ray.util.client
from ray.exceptions import RayError, RayTaskError, TaskCancelledError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

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
    reply_deadline,
    start_deadline,
)

_R = TypeVar("_R")

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
class _Process:
    """A partition's first item, sent as it starts: the process it runs in (which the
    driver kills when the partition goes silent) and the auditor version there."""

    node_id: str
    pid: int
    start: int  # the process's start time: tells it from a later process with its pid
    version: str


@dataclass(frozen=True)
class _Header:
    isolation: Mapping[str, Any]
    ground_truth: GroundTruth | None = None


@dataclass(frozen=True)
class _Started:
    """A job went to a sandbox worker: in flight until its result arrives."""

    job_id: int


def _node_runner(limits: SandboxLimits, workers: int) -> LocalRunner:
    key = (limits, workers)
    runner = _NODE_RUNNERS.get(key)
    if runner is None:
        runner = _NODE_RUNNERS[key] = LocalRunner(workers, limits)
        atexit.register(runner.close)
    return runner


def _start_time(pid: int) -> int:
    """A process's start time in clock ticks after boot (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def _process() -> _Process:
    node_id = ray.get_runtime_context().get_node_id()
    return _Process(node_id, os.getpid(), _start_time(os.getpid()), __version__)


_END: Any = object()  # the local results are all in (put on the partition's queue)


def _announced(results: Callable[[Callable[[int], None]], Iterator[_R]]) -> Iterator[Any]:
    """The items of `results(started)` with a `_Started` mark for each job as it goes to a
    worker, in the order `LocalRunner` tells them: a thread drains the results, so that a
    mark is sent while the partition waits for the next result."""
    events: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def pump() -> None:
        try:
            for item in results(lambda job_id: events.put(_Started(job_id))):
                events.put(item)
            events.put(_END)
        except BaseException as exc:  # raised in the partition below
            events.put(exc)

    threading.Thread(target=pump, name="partition-results", daemon=True).start()
    while (item := events.get()) is not _END:
        if isinstance(item, BaseException):
            raise item
        yield item


def label_partition(
    spec: TaskSpec,
    jobs: Sequence[Job],
    limits: SandboxLimits,
    workers: int,
    known: GroundTruth | None = None,
) -> Iterator[Any]:
    """(Ray task) Where it runs, the header with the task's ground truth (computed here,
    unless the driver `known` it from an earlier partition), then each job's start mark
    and result."""
    yield _process()
    runner = _node_runner(limits, workers)
    runner.register([spec])
    if known is None:
        known = runner.prepare([spec])[spec.task_id]
    else:
        runner.adopt(known)
    yield _Header(dict(runner.isolation), known)
    yield from _announced(lambda started: runner.run(jobs, started))


def probe_partition(jobs: Sequence[ProbeJob], limits: SandboxLimits, workers: int) -> Iterator[Any]:
    """(Ray task) Where it runs, the header, then each program's start mark and output
    fingerprints."""
    yield _process()
    runner = _node_runner(limits, workers)
    yield _Header(dict(runner.isolation))
    yield from _announced(lambda started: runner.probe(jobs, started))


def label_partition_list(*args: Any) -> list[Any]:
    """(Ray task) `label_partition` all at once, for the Ray Client (no generator tasks)."""
    return list(label_partition(*args))


def probe_partition_list(*args: Any) -> list[Any]:
    """(Ray task) `probe_partition` all at once, for the Ray Client."""
    return list(probe_partition(*args))


def reap(pid: int, start: int) -> bool:
    """(Ray task, on the node of a partition gone silent) SIGKILL the partition's process if
    it is still the one that ran it: its sandbox workers die with it (PR_SET_PDEATHSIG),
    their zygotes and jobs with them (bubblewrap's --die-with-parent). Ray's forced cancel
    asks the process itself to exit, which a stuck process does not do."""
    if _start_time(pid) != start:
        return False
    os.kill(pid, signal.SIGKILL)
    return True


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
_REAP = ray.remote(max_retries=0)(reap)
_REAP_WAIT_S = 60.0  # for the kill to be done (the run goes on after it either way)
_POLL_S = 1.0  # a partition's reader looks for the runner's stop this often


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
    where = address or os.environ.get("RAY_ADDRESS") or "a new local cluster"
    try:
        _reachable(address or os.environ.get("RAY_ADDRESS") or "auto")
        ray.init(**opts)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot start or reach Ray at {where}: {first}") from None
    return True


_CONNECT_S = 10.0  # for a TCP connection to a cluster's address


def _reachable(address: str) -> None:
    """ConnectionError unless something accepts a TCP connection at a HOST:PORT or
    ray://HOST:PORT `address` ("auto" is Ray's to resolve). Ray's own connect retries an
    address nothing listens on for good: a mistyped --address hung the run, never failed."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_S).close()
    except (OSError, ValueError) as exc:
        raise ConnectionError(f"nothing accepts connections there ({exc})") from None


@dataclass
class _Partition:
    """One unit of work for Ray: a name for messages, its jobs by id, how to submit some,
    a job's error result, how long it may stay silent, and (label) its task."""

    name: str
    jobs: dict[int, Any]
    submit: Callable[[list[Any]], Any]  # jobs -> ObjectRefGenerator (or ref to a list)
    failed: Callable[[int, str], Any]  # job id, why -> the job's error result
    silence_s: float  # `RayRunner._silence_s`
    task_id: str | None = None  # a label partition's task, whose ground truth it brings


@dataclass
class _Attempt:
    """One submission of a partition: its Ray handle, the process it runs in (its first
    item), and the jobs it sent to a sandbox worker whose results have not arrived."""

    handle: Any
    process: _Process | None = None
    flight: set[int] = field(default_factory=set)


class _Silent(Exception):
    """A partition sent nothing for longer than its process takes while it works."""


def _items(handle: Any, silence_s: float, stop: threading.Event) -> Iterator[Any]:
    """What a partition sends back: a generator's items as they come, each after the first
    within `silence_s` of the one before, else _Silent (the first may wait for a CPU); or a
    whole list (the Ray Client runs no generator tasks: no bound there). Ends on `stop`."""
    if isinstance(handle, ray.ObjectRef):
        yield from ray.get(handle)
        return
    deadline = math.inf
    while True:
        while not ray.wait([handle], timeout=_POLL_S)[0]:
            if stop.is_set():
                return
            if time.monotonic() > deadline:
                raise _Silent(f"no reply within {silence_s:.0f} s")
        try:
            ref = next(handle)
        except StopIteration:
            return
        yield ray.get(ref)
        deadline = time.monotonic() + silence_s


def _short(why: BaseException | str) -> str:
    if isinstance(why, _Silent | str):
        return str(why)
    return type(why).__name__


_DONE: Any = object()  # a partition finished (put on the results queue)
_OTHER_VERSION = "install the same auditor version on every node"


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
        self.resubmitted = 0  # partitions sent again after their process died or hung
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

        def submit(todo: list[Job]) -> Any:  # a task's jobs all meet its first ground truth
            return remote.remote(spec, todo, self.limits, self.workers, self._gt.get(task_id))

        def failed(job_id: int, why: str) -> JobResult:
            return JobResult(job_id, {}, 0.0, error=why)

        by_id = {j.job_id: j for j in jobs}
        silence = self._silence_s(jobs)
        return _Partition(f"task {task_id}", by_id, submit, failed, silence, task_id)

    def _probe_partition(self, name: str, jobs: list[ProbeJob]) -> _Partition:
        remote = _REMOTE["probe", self.streaming].options(**self._placement)

        def submit(todo: list[ProbeJob]) -> Any:
            return remote.remote(todo, self.limits, self.workers)

        def failed(job_id: int, why: str) -> ProbeResult:
            return ProbeResult(job_id, (), 0.0, error=why)

        by_id = {j.job_id: j for j in jobs}
        return _Partition(name, by_id, submit, failed, self._silence_s(jobs))

    def _silence_s(self, jobs: Sequence[Job] | Sequence[ProbeJob]) -> float:
        """The longest a partition's process goes without sending an item while it works:
        its `LocalRunner` starting its workers, then a job (or the ground truth) whose
        worker died just before the reply deadline and was restarted for its second try.
        Silent for longer, the process itself is stuck: the node's deadlines have passed."""
        probes = [j for j in jobs if isinstance(j, ProbeJob)]
        reply = max((reply_deadline(self.limits, p) for p in probes), default=0.0)
        reply = max(reply, reply_deadline(self.limits))
        return (self.workers + 2) * start_deadline(self.limits) + 2 * reply

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
        """Submit the partition's missing jobs until each has a result (the module doc says
        which faults resubmit them and which give a job an error result)."""
        remaining = dict(part.jobs)
        deaths: collections.Counter[int] = collections.Counter()  # losses in flight, per job
        blind = 0  # losses with no job in flight
        while not stop.is_set():
            attempt = _Attempt(part.submit(list(remaining.values())))
            with self._lock:
                self._inflight.add(attempt.handle)
            try:
                why = self._receive(part, attempt, remaining, out, stop)
            finally:
                with self._lock:
                    self._inflight.discard(attempt.handle)
            if why is None:
                return
            hung = isinstance(why, _Silent)
            if hung:
                self._kill(attempt)
            flight = sorted(attempt.flight & remaining.keys())
            for job_id in flight:
                deaths[job_id] += 1
                if hung or deaths[job_id] > 1:  # as locally: a hang is not retried, a death once
                    del remaining[job_id]
                    out.put(part.failed(job_id, f"Ray worker died: {_short(why)}"))
            blind += not flight
            if not remaining and (part.task_id is None or part.task_id in self._gt):
                return
            if blind > self.retries:
                self._give_up(part, remaining, why, out)
                return
            with self._lock:
                self.resubmitted += 1
            print(
                f"auditor: Ray: {part.name} {'hung' if hung else 'lost its worker or node'} "
                f"({_short(why)}); sending its {len(remaining)} missing job(s) again",
                file=sys.stderr,
            )

    def _receive(
        self,
        part: _Partition,
        attempt: _Attempt,
        remaining: dict[int, Any],
        out: queue.SimpleQueue[Any],
        stop: threading.Event,
    ) -> BaseException | str | None:
        """Pass on one attempt's results; None once it is done (or the run stopped), else
        why it was lost."""
        try:
            for item in _items(attempt.handle, part.silence_s, stop):
                if isinstance(item, _Process):
                    attempt.process = self._check_version(item)
                elif attempt.process is None:  # an auditor from before the `_Process` item
                    raise SandboxError(f"a Ray node runs an older auditor: {_OTHER_VERSION}")
                elif isinstance(item, _Header):
                    self._note(attempt, item)
                elif isinstance(item, _Started):
                    attempt.flight.add(item.job_id)
                elif remaining.pop(item.job_id, None) is not None:
                    out.put(item)
        except TaskCancelledError:
            return None
        except RayTaskError as exc:  # an error in our code on the node: not retried
            cause = exc.cause if exc.cause is not None else exc
            raise SandboxError(f"{part.name} failed on a Ray node: {cause}") from None
        except (RayError, _Silent) as exc:  # its worker, its node or an object died; or it hangs
            return exc
        if stop.is_set() or not remaining:
            return None
        return f"the stream ended without {len(remaining)} result(s)"

    def _check_version(self, process: _Process) -> _Process:
        if process.version != __version__:
            raise SandboxError(
                f"Ray node {process.node_id[:12]} runs auditor {process.version}, "
                f"this driver {__version__}: {_OTHER_VERSION}"
            )
        return process

    def _note(self, attempt: _Attempt, header: _Header) -> None:
        where = attempt.process
        assert where is not None  # a partition's first item
        node = NodeInfo(where.node_id, where.pid, where.version, header.isolation)
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

    def _kill(self, attempt: _Attempt) -> None:
        """Stop a silent partition: Ray's forced cancel, and its process killed on its node
        (`reap`), as `LocalRunner` kills a worker that does not reply."""
        with contextlib.suppress(Exception):
            ray.cancel(attempt.handle, force=True)
        where = attempt.process
        if where is None:  # (its first item starts the silence bound: it is known)
            return
        on_node = NodeAffinitySchedulingStrategy(where.node_id, soft=False)
        ref = _REAP.options(num_cpus=0, scheduling_strategy=on_node).remote(where.pid, where.start)
        with contextlib.suppress(RayError):
            ray.get(ref, timeout=_REAP_WAIT_S)

    def _give_up(
        self,
        part: _Partition,
        remaining: dict[int, Any],
        why: BaseException | str,
        out: queue.SimpleQueue[Any],
    ) -> None:
        """Lost too often with no job in flight: each remaining job gets an error result
        (and a task without ground truth an error), and the run goes on."""
        note = f"Ray worker died: {_short(why)}"
        print(
            f"auditor: Ray: {part.name} was lost {self.retries + 1} times ({_short(why)}); "
            f"its {len(remaining)} missing job(s) get an error result",
            file=sys.stderr,
        )
        for job_id in sorted(remaining):
            out.put(part.failed(job_id, note))
        remaining.clear()
        if part.task_id is not None:
            with self._lock:
                self._gt.setdefault(part.task_id, GroundTruth(part.task_id, {}, {}, error=note))

    def _cancel_inflight(self) -> None:
        with self._lock:
            gens, self._inflight = list(self._inflight), set()
        for gen in gens:  # force: a stopped partition must not keep driving sandbox workers
            with contextlib.suppress(Exception):
                ray.cancel(gen, force=True)
