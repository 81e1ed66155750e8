"""The `Runner` protocol and `LocalRunner`, a pool of small worker interpreters."""

from __future__ import annotations

import collections
import contextlib
import math
import os
import pickle
import pwd
import queue
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from auditor.errors import SandboxError
from auditor.types import Outcome

_R = TypeVar("_R")

WORKER_SCRIPT = Path(__file__).with_name("_worker.py")

# Modules EvalPlus has loaded when it forks candidates (its evaluator imports numpy), so a
# candidate can import them after the reliability guard has stubbed out what a fresh import
# needs. Every worker preloads all of them: an import must not succeed or fail depending on
# the worker's history (a restarted worker, or one that has not yet met a float task).
PRELOAD = (
    "math",
    "re",
    "itertools",
    "collections",
    "functools",
    "heapq",
    "bisect",
    "typing",
    "numpy",
)

CLEAN_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # reproducible set/dict-of-str ordering across runs
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


ISOLATION_MODES = ("auto", "require", "off")


def _default_memory() -> int:
    # EvalPlus: min(4 GiB, physical memory)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 4 << 30
    return min(4 << 30, total)


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one candidate; time limits follow EvalPlus 0.3.1."""

    memory_bytes: int = field(default_factory=_default_memory)
    file_size_bytes: int = 16 << 20
    open_files: int = 128
    nproc: int = 256  # processes the child may add (as nobody when root, else on top of ours)
    min_time_limit: float = 1.0  # per input: max(min_time_limit, time_factor * reference time)
    time_factor: float = 4.0
    max_phase_s: float = 60.0  # per phase wall cap: min(max_phase_s, sum(limits)) + 2
    setup_s: float = 10.0  # fork, confinement and reporting between phases
    cpu_seconds: int = 300
    # "cpu": per-input limits and reference times in CPU seconds (ITIMER_PROF), so that a
    # loaded machine does not turn slow-but-correct candidates into timeouts; "wall" is
    # EvalPlus's ITIMER_REAL. On an idle machine the two agree.
    clock: str = "cpu"
    # "auto": bubblewrap namespaces where the host allows them, else the fallback (said on
    # stderr and in `LocalRunner.isolation`); "require": no fallback (SandboxError);
    # "off": the fallback only (rlimits, nobody, private network; see docs/SANDBOX.md).
    isolation: str = "auto"
    tmpfs_bytes: int = 64 << 20  # each child's private /tmp and /dev/shm

    def __post_init__(self) -> None:
        if self.isolation not in ISOLATION_MODES:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATION_MODES)}")

    @property
    def require_isolation(self) -> bool:
        return self.isolation == "require"


@dataclass(frozen=True)
class TaskSpec:
    """What a worker needs to test candidates of one task."""

    task_id: str
    dataset: str  # "humaneval" | "mbpp": selects EvalPlus's special oracles
    entry_point: str
    reference: str
    base_input: tuple[Any, ...]
    plus_input: tuple[Any, ...]
    atol: float = 0.0
    original: str = ""  # program suffix of the benchmark's own tests ("" when not needed)

    def wire(self, limits: SandboxLimits) -> dict[str, Any]:
        d = asdict(self)
        d["base_input"], d["plus_input"] = list(self.base_input), list(self.plus_input)
        d.update(
            min_time_limit=limits.min_time_limit,
            time_factor=limits.time_factor,
            max_phase_s=limits.max_phase_s,
            clock=limits.clock,
        )
        return d


@dataclass(frozen=True)
class GroundTruth:
    """Reference timings of a task (per phase, per input) and whether the reference works."""

    task_id: str
    times: Mapping[str, tuple[float, ...]]
    limits: Mapping[str, tuple[float, ...]]
    error: str | None = None
    original_error: str | None = None


@dataclass(frozen=True)
class Job:
    """One candidate program to test on the given phases (base, plus, original)."""

    job_id: int
    task_id: str
    code: str
    phases: tuple[str, ...] = ("base", "plus")


@dataclass(frozen=True)
class PhaseResult:
    outcome: Outcome
    n_run: int
    fail_index: int | None  # index within the phase's inputs
    note: str = ""


@dataclass(frozen=True)
class JobResult:
    job_id: int
    phases: Mapping[str, PhaseResult]
    runtime_s: float
    error: str | None = None  # the sandbox could not evaluate this candidate


# Bump when the fingerprint's canonical form or the probe protocol changes (keys caches).
# (Times were added to ProbeResult without a bump: fingerprints did not change.)
PROBE_VERSION = "2"  # 2: outputs cross as typed data; non-plain values are "o:<type>"


@dataclass(frozen=True)
class ProbeJob:
    """One program to run on inputs, with a fingerprint per output (`LocalRunner.probe`)."""

    job_id: int
    task_id: str
    dataset: str  # selects MBPP+ input decoding, as for TaskSpec
    entry_point: str
    code: str
    inputs: tuple[Any, ...]
    per_input_s: float = 1.0  # in the runner's clock (SandboxLimits.clock)
    total_s: float = 4.0  # after this, the remaining inputs count as "timeout"
    # Timing passes more when the first pass took under `repeat_below_s` (each on a fresh
    # load of the program): each input's least time is reported. Outputs are the first's.
    repeats: int = 0
    repeat_below_s: float = 0.005
    # Once the program has timed out on an input, each later input gets at most this (0: the
    # same limit throughout). Hangs come in runs (a gcd by subtraction hangs on every zero):
    # a short leash makes each later one cheap; its output is "timeout" either way.
    after_timeout_s: float = 0.0
    # Also send back each output's value (`ProbeResult.values`), for checks the auditor makes
    # on what the program returned rather than trusting the program's process to make them.
    values: bool = False


@dataclass(frozen=True)
class ProbeResult:
    """Per input: "v:<sha256>", "exc:<Name>", "timeout" or "died", and its time.

    `times`: seconds in the runner's clock as the program's own child measured them (so a
    program can misreport only its own), NaN where it timed out or never reported; empty
    when the backend does not measure them. `cpu_s`: the CPU seconds the kernel accounted
    to the program's child over the whole job (its monitor's report, which the program
    cannot touch); NaN when not measured. `values` (when the job asked for them): per input
    the output in the sandbox's value format (`_codec`; read it with `output_value`), None
    for an exception, a timeout or beyond the worker's cap."""

    job_id: int
    fingerprints: tuple[str, ...]
    runtime_s: float
    error: str | None = None  # the sandbox could not run this program
    times: tuple[float, ...] = ()
    cpu_s: float = math.nan
    values: tuple[str | None, ...] = ()


class Runner(Protocol):
    """A backend that evaluates candidates out of process.

    `register` makes tasks known; `run` computes the ground truth a task lacks before its
    first job and may run jobs in any order; `prepare` computes ground truth eagerly."""

    def register(self, specs: Sequence[TaskSpec]) -> None: ...

    def prepare(self, specs: Sequence[TaskSpec]) -> dict[str, GroundTruth]: ...

    def ground_truth(self, task_id: str) -> GroundTruth: ...

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]: ...

    def close(self) -> None: ...


_NOTHING: Any = object()  # a unit of work that yields no result (ground truth)


@dataclass(frozen=True)
class _Mark:
    """A job went to its worker (`LocalRunner._dispatch`)."""

    job_id: int


class _Schedule:
    """What a free worker does next: compute a missing ground truth first (so weights are
    known early), else a job of the ready task with the largest reference time (so the pool
    does not end waiting on one slow task); wait while only ground truth is in progress."""

    def __init__(
        self, jobs: Sequence[Job], ready: set[str], weight: Callable[[str], float]
    ) -> None:
        self.pending: dict[str, collections.deque[Job]] = {}
        for job in jobs:
            self.pending.setdefault(job.task_id, collections.deque()).append(job)
        self.rank = {tid: i for i, tid in enumerate(self.pending)}
        self.missing = collections.deque(t for t in self.pending if t not in ready)
        self.ready = [t for t in self.pending if t in ready]
        self.computing: set[str] = set()
        self.weight = weight
        self.stopped = False
        self.cond = threading.Condition()

    def take(self) -> tuple[str, Job | str] | None:
        """("gt", task_id), ("job", job), or None when nothing is left."""
        with self.cond:
            while not self.stopped:
                if self.missing:
                    tid = self.missing.popleft()
                    self.computing.add(tid)
                    return "gt", tid
                live = [t for t in self.ready if self.pending[t]]
                if live:
                    tid = max(live, key=lambda t: (self.weight(t), -self.rank[t]))
                    return "job", self.pending[tid].popleft()
                if not self.computing:
                    return None
                self.cond.wait()
            return None

    def computed(self, task_id: str) -> None:
        with self.cond:
            self.computing.discard(task_id)
            self.ready.append(task_id)
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


def _site_paths() -> list[str]:
    import site

    paths = [*site.getsitepackages(), site.getusersitepackages()]
    return [p for p in paths if os.path.isdir(p)]


def _own_processes() -> int:
    """Processes (threads count too) of this uid: RLIMIT_NPROC is per user, not per tree."""
    uid, n = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    status = fh.read()
            except OSError:
                continue
            m = re.search(r"^Uid:\s+(\d+)", status, re.M)
            t = re.search(r"^Threads:\s+(\d+)", status, re.M)
            if m and int(m.group(1)) == uid:
                n += int(t.group(1)) if t else 1
    return n


def _nobody() -> tuple[int, int]:
    try:
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return 65534, 65534


# Wall seconds a worker may take to reply beyond its own caps' sum (`reply_deadline`).
REPLY_GRACE_S = 120.0


def start_deadline(limits: SandboxLimits) -> float:
    """Wall seconds to wait for a new worker's hello (its zygotes start under the setup cap)."""
    return REPLY_GRACE_S + 3 * limits.setup_s


def reply_deadline(limits: SandboxLimits, probe: ProbeJob | None = None) -> float:
    """Wall seconds to wait for a worker's reply about one job: three times what its own
    caps allow (a ground truth of up to three phases, recomputed before a job when the
    worker dropped it, then the job's phases; or the probe's cap), plus a grace. Only a
    worker stuck in trusted code misses it (`LocalRunner`; `RayRunner` bounds a partition's
    silence by it)."""
    phases = 6 * (limits.max_phase_s + 2.0 + limits.setup_s)
    probe_s = 2 * probe.total_s + 2.0 if probe is not None else 0.0
    return REPLY_GRACE_S + 3 * (phases + probe_s + limits.setup_s)


class _WorkerDied(Exception):
    pass


class _NoReply(_WorkerDied):
    """The worker sent no reply within its deadline and was killed (not retried)."""


_SPAWN: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]] = queue.SimpleQueue()
_SPAWNER_LOCK = threading.Lock()
_spawner: threading.Thread | None = None


def _spawner_loop() -> None:
    while True:
        make, reply = _SPAWN.get()
        try:
            reply.put(make())
        except BaseException as exc:  # handed to the caller's thread
            reply.put(exc)


def _spawn(make: Callable[[], _R]) -> _R:
    """`make()` (which starts a worker) on the one thread that starts every worker and lives
    as long as this process: a worker's PR_SET_PDEATHSIG fires when the thread that forked
    it ends, and workers restarted from a dispatch thread would die with that thread."""
    global _spawner
    with _SPAWNER_LOCK:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_spawner_loop, name="auditor-spawner", daemon=True)
            _spawner.start()
    reply: queue.SimpleQueue[Any] = queue.SimpleQueue()
    _SPAWN.put((make, reply))
    got = reply.get()
    if isinstance(got, BaseException):
        raise got
    return got


class _Worker:
    """One worker interpreter and the tasks it has loaded (most recent last)."""

    def __init__(self, cfg: Mapping[str, Any], hello_s: float) -> None:
        self.proc = _spawn(
            lambda: subprocess.Popen(
                [sys.executable, "-S", "-s", "-P", str(WORKER_SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=dict(CLEAN_ENV),
                cwd="/",
                close_fds=True,
                start_new_session=True,  # Ctrl-C in the terminal reaches only the parent
            )
        )
        self.loaded: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.send(("hello", cfg))
        reply = self.recv(hello_s)
        self.info: dict[str, Any] = reply[1]
        if self.info.get("error"):
            self.close()
            raise SandboxError(self.info["error"])

    def send(self, obj: Any) -> None:
        body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(struct.pack("<Q", len(body)))
            self.proc.stdin.write(body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied(str(exc)) from None

    def recv(self, deadline_s: float = math.inf) -> Any:
        """The next reply; past `deadline_s` the worker's process group is killed and
        _NoReply raised (the worker's own caps bound a job: only a worker stuck in trusted
        code misses a deadline, and waiting for it would hang the auditor)."""
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session (start_new_session)

        timer = threading.Timer(deadline_s, expire) if math.isfinite(deadline_s) else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            return self._read()
        except _WorkerDied:
            if expired.is_set():
                raise _NoReply(f"no reply within {deadline_s:.0f} s") from None
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        head = self.proc.stdout.read(8)
        if len(head) < 8:
            raise _WorkerDied("worker exited")
        size = struct.unpack("<Q", head)[0]
        body = self.proc.stdout.read(size)
        if len(body) < size:
            raise _WorkerDied("worker exited mid-message")
        return pickle.loads(body)

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class LocalRunner:
    """A pool of `jobs` worker interpreters on this machine (use as a context manager)."""

    max_loaded = 3  # tasks a worker keeps in memory (expected outputs can be 100+ MB)

    def __init__(self, jobs: int | None = None, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self.n = max(1, jobs or os.cpu_count() or 1)
        uid, gid = _nobody()
        self._cfg = {
            "memory_bytes": self.limits.memory_bytes,
            "file_size_bytes": self.limits.file_size_bytes,
            "open_files": self.limits.open_files,
            "nproc": self.limits.nproc + (0 if os.geteuid() == 0 else _own_processes()),
            "cpu_seconds": self.limits.cpu_seconds,
            "setup_s": self.limits.setup_s,
            "tmpfs_bytes": self.limits.tmpfs_bytes,
            "isolation": self.limits.isolation,
            "bwrap": shutil.which("bwrap"),
            "uid": uid,
            "gid": gid,
            "child_env": dict(CLEAN_ENV),
            "preload": PRELOAD,
            "site_paths": _site_paths(),
        }
        self._specs: dict[str, dict[str, Any]] = {}
        self._gt: dict[str, tuple[dict[str, Any], bytes | None]] = {}
        self._lock = threading.Lock()
        try:
            self._workers = [_Worker(self._cfg, start_deadline(self.limits)) for _ in range(self.n)]
        except (OSError, _WorkerDied) as exc:
            raise SandboxError(f"cannot start sandbox workers: {exc}") from None
        info = self._workers[0].info
        if info["mode"] != "bwrap" and self.limits.isolation == "auto":
            print(
                f"auditor: sandbox without namespaces ({info['reason']}): candidates run "
                "under rlimits as nobody only; see docs/SANDBOX.md",
                file=sys.stderr,
            )

    @property
    def isolation(self) -> dict[str, Any]:
        """How the children are confined, for the record (run.json / summary.json)."""
        info = self._workers[0].info
        # bytes a job (with its zygote) may hold in all; 0: capped per process only
        memory = {"memory_cap_bytes": int(info.get("memory_cap", 0))}
        if info["mode"] == "bwrap":
            return {
                "mode": "bwrap",
                "namespaces": ["user", "mount", "pid", "ipc", "net", "uts"],
                "capabilities": "none",
            } | memory
        return {
            "mode": "fallback",
            "reason": info["reason"],
            "network_namespace": info.get("netns", False),
            "drop_to_uid": info.get("drop_to"),
        } | memory

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for w in self._workers:
            w.close()

    def _deadline(self, probe: ProbeJob | None = None) -> float:
        """Wall seconds to wait for a worker's reply about one job (`reply_deadline`)."""
        return reply_deadline(self.limits, probe)

    def _restart(self, i: int) -> _Worker:
        old = self._workers[i]
        old.proc.kill()
        old.proc.wait()
        self._workers[i] = _Worker(self._cfg, start_deadline(self.limits))
        return self._workers[i]

    # -- ground truth -------------------------------------------------------------------------
    def register(self, specs: Sequence[TaskSpec]) -> None:
        """Make tasks known; `run` computes their ground truth when first needed. A task
        registered again with another spec drops what was known of the old one (its
        workers judged by the old expected outputs)."""
        for spec in specs:
            wired = spec.wire(self.limits)
            if self._specs.get(spec.task_id, wired) != wired:
                self._unload(spec.task_id)
                self._gt.pop(spec.task_id, None)
            self._specs[spec.task_id] = wired

    def adopt(self, gt: GroundTruth) -> None:
        """Judge a registered task's jobs by ground truth computed by another runner: its
        reference times, hence its limits, so that every job of a task meets the same
        limits wherever it runs (`RayRunner` sends it with the task's later partitions).
        The expected outputs are computed again as a worker needs them. Not during a run."""
        if gt.task_id in self._gt and self.ground_truth(gt.task_id) == gt:
            return
        info = {
            "times": {k: list(v) for k, v in gt.times.items()},
            "limits": {k: list(v) for k, v in gt.limits.items()},
            "error": gt.error,
            "original_error": gt.original_error,
        }
        self._unload(gt.task_id)
        with self._lock:
            self._gt[gt.task_id] = (info, None)

    def _unload(self, task_id: str) -> None:
        """Every worker forgets the task (it loads it again when next needed)."""
        for w in self._workers:
            if task_id in w.loaded:
                del w.loaded[task_id]
                with contextlib.suppress(_WorkerDied):  # restarted, with nothing loaded
                    w.send(("drop", task_id))

    def prepare(self, specs: Sequence[TaskSpec]) -> dict[str, GroundTruth]:
        """Compute expected outputs and reference timings now, spread over the workers."""
        self.register(specs)
        todo = collections.deque(s.task_id for s in specs)
        lock = threading.Lock()

        def step(i: int, mark: Callable[[int], None]) -> Any:
            with lock:
                if not todo:
                    return None
                task_id = todo.popleft()
            self._compute(i, task_id)
            return _NOTHING

        for _ in self._dispatch(0, step):
            pass
        return {tid: self.ground_truth(tid) for tid in (s.task_id for s in specs)}

    def _compute(self, i: int, task_id: str) -> None:
        """Ground truth of a registered task, on worker `i` (which keeps it loaded)."""
        for attempt in range(2):
            w = self._workers[i]
            try:
                w.send(("gt", self._specs[task_id]))
                _, _, info, blob = w.recv(self._deadline())
                break
            except _WorkerDied as exc:
                self._restart(i)
                if attempt or isinstance(exc, _NoReply):
                    info, blob = {"error": f"sandbox worker died: {exc}"}, None
                    break
        with self._lock:
            self._gt[task_id] = (info, blob)
        self._note_loaded(self._workers[i], task_id)

    def ground_truth(self, task_id: str) -> GroundTruth:
        info = self._gt[task_id][0]
        return GroundTruth(
            task_id=task_id,
            times={k: tuple(v) for k, v in (info.get("times") or {}).items()},
            limits={k: tuple(v) for k, v in (info.get("limits") or {}).items()},
            error=info.get("error"),
            original_error=info.get("original_error"),
        )

    def _note_loaded(self, w: _Worker, task_id: str) -> None:
        w.loaded[task_id] = None
        w.loaded.move_to_end(task_id)
        while len(w.loaded) > self.max_loaded:
            old, _ = w.loaded.popitem(last=False)
            w.send(("drop", old))

    def _ensure_loaded(self, w: _Worker, task_id: str) -> None:
        if task_id in w.loaded:
            w.loaded.move_to_end(task_id)
            return
        info, blob = self._gt[task_id]
        w.send(("load", self._specs[task_id], info, blob))
        self._note_loaded(w, task_id)

    # -- candidates ---------------------------------------------------------------------------
    def run(
        self, jobs: Sequence[Job], started: Callable[[int], None] | None = None
    ) -> Iterator[JobResult]:
        """Results in completion order, for jobs of registered tasks (see `_Schedule`).
        `started(job_id)` is called as each job goes to its worker (see `_dispatch`)."""
        unknown = sorted({j.task_id for j in jobs} - set(self._specs))
        if unknown:
            raise SandboxError(f"task {unknown[0]} was not registered with the runner")

        def weight(task_id: str) -> float:
            times = self._gt[task_id][0].get("times") or {}
            return float(sum(sum(v) for v in times.values()))

        schedule = _Schedule(jobs, set(self._gt), weight)

        def step(i: int, mark: Callable[[int], None]) -> JobResult | None:
            item = schedule.take()
            if item is None:
                return None
            kind, what = item
            try:
                if kind == "gt":
                    assert isinstance(what, str)
                    self._compute(i, what)
                    schedule.computed(what)
                    return _NOTHING
                assert isinstance(what, Job)
                mark(what.job_id)
                return self._run_one(i, what)
            except BaseException:
                schedule.stop()  # or the other workers would wait for this ground truth
                raise

        return self._dispatch(len(jobs), step, started)

    def _run_one(self, i: int, job: Job) -> JobResult:
        info = self._gt[job.task_id][0]
        if info.get("error"):  # a broken reference: no worker needed to say so
            return JobResult(job.job_id, {}, 0.0, error=info["error"])
        for attempt in range(2):
            w = self._workers[i]
            try:
                self._ensure_loaded(w, job.task_id)
                w.send(("run", job.job_id, job.task_id, job.code, list(job.phases)))
                _, job_id, res = w.recv(self._deadline())
                break
            except _WorkerDied as exc:
                self._restart(i)
                if attempt or isinstance(exc, _NoReply):  # a hang is not retried
                    return JobResult(job.job_id, {}, 0.0, error=f"sandbox worker died: {exc}")
        phases = {
            name: PhaseResult(
                outcome=Outcome(p["outcome"]),
                n_run=p["n"],
                fail_index=p["fail_index"],
                note=p["note"],
            )
            for name, p in res["phases"].items()
        }
        crash = res.get("crash") or None
        return JobResult(job_id, phases, float(res["runtime_s"]), error=crash)

    # -- probes -------------------------------------------------------------------------------
    def probe(
        self, jobs: Sequence[ProbeJob], started: Callable[[int], None] | None = None
    ) -> Iterator[ProbeResult]:
        """Output fingerprints of programs on inputs, in completion order (no `prepare`);
        `started` as for `run`."""
        pending = collections.deque(jobs)
        lock = threading.Lock()

        def step(i: int, mark: Callable[[int], None]) -> ProbeResult | None:
            with lock:
                if not pending:
                    return None
                job = pending.popleft()
            mark(job.job_id)
            return self._probe_one(i, job)

        return self._dispatch(len(jobs), step, started)

    def _probe_one(self, i: int, job: ProbeJob) -> ProbeResult:
        # shallow: `asdict` would deep-copy every input, the parent's largest cost per job
        msg = {f.name: getattr(job, f.name) for f in fields(job)} | {"clock": self.limits.clock}
        for attempt in range(2):
            try:
                self._workers[i].send(("probe", job.job_id, msg))
                _, _, res = self._workers[i].recv(self._deadline(job))
                break
            except _WorkerDied as exc:
                self._restart(i)
                if attempt or isinstance(exc, _NoReply):  # a hang is not retried
                    return ProbeResult(job.job_id, (), 0.0, error=f"sandbox worker died: {exc}")
        return ProbeResult(
            job.job_id,
            tuple(res["fingerprints"]),
            float(res["runtime_s"]),
            error=res.get("crash") or None,
            times=tuple(float(t) for t in res.get("times", ())),
            cpu_s=float(res.get("cpu_s", math.nan)),
            values=tuple(v if isinstance(v, str) else None for v in res.get("values", ())),
        )

    # -- threads ------------------------------------------------------------------------------
    def _dispatch(
        self,
        n: int,
        step: Callable[[int, Callable[[int], None]], _R | None],
        started: Callable[[int], None] | None = None,
    ) -> Iterator[_R]:
        """Call `step(worker_index, mark)` on the worker threads until it returns None;
        yield the `n` results it returns (`_NOTHING` is work without a result) as they
        come. A step calls `mark(job_id)` as it hands a job to its worker: `started(job_id)`
        is then called in the caller's thread, after the results that worker gave before
        (so a caller that relays both tells exactly which jobs are in flight)."""
        out: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def mark(job_id: int) -> None:
            if started is not None:
                out.put(_Mark(job_id))

        def loop(i: int) -> None:
            while (item := step(i, mark)) is not None:
                if item is not _NOTHING:
                    out.put(item)

        def guarded(i: int) -> None:
            try:
                loop(i)
            except BaseException as exc:  # surfaced in the caller's thread
                out.put(exc)

        threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(self.n)]
        for t in threads:
            t.start()
        got = 0
        while got < n:
            item = out.get()
            if isinstance(item, BaseException):
                raise SandboxError(f"sandbox failed: {item}") from item
            if isinstance(item, _Mark):
                assert started is not None
                started(item.job_id)
                continue
            got += 1
            yield item
        for t in threads:
            t.join()
        while not out.empty():  # a failure after the last result (or with n == 0)
            item = out.get()
            if isinstance(item, BaseException):
                raise SandboxError(f"sandbox failed: {item}") from item
