"""The sandbox: hostile candidates cost only their own label; EvalPlus comparison semantics."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.errors import SandboxError
from auditor.sandbox import GroundTruth, Job, LocalRunner, ProbeJob, SandboxLimits, TaskSpec
from auditor.types import Outcome
from tests.processes import state

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

# Small time limits keep the tests fast; everything else is the production configuration.
LIMITS = SandboxLimits(min_time_limit=0.3, max_phase_s=5.0, setup_s=5.0)

INC = TaskSpec(
    task_id="HumanEval/9001",
    dataset="humaneval",
    entry_point="f",
    reference="def f(x):\n    return x + 1\n",
    base_input=([1], [2]),
    plus_input=([3], [-4], [10**6]),
)
GOOD = "def f(x):\n    return x + 1\n"


@pytest.fixture(scope="module")
def runner() -> Iterator[LocalRunner]:
    with LocalRunner(jobs=2, limits=LIMITS) as r:
        yield r


def run(runner: LocalRunner, spec: TaskSpec, *codes: str) -> list:
    runner.prepare([spec])
    jobs = [Job(i, spec.task_id, code) for i, code in enumerate(codes)]
    return sorted(runner.run(jobs), key=lambda r: r.job_id)


def outcome(res) -> Outcome:
    """Strong outcome as the labeler composes it (base, then plus)."""
    base = res.phases.get("base")
    if base is None:
        return Outcome.ERROR
    if base.outcome is not Outcome.PASS:
        return base.outcome
    return res.phases["plus"].outcome


def test_good_and_wrong(runner: LocalRunner) -> None:
    wrong_plus = "def f(x):\n    return x + 1 if x > 0 else 0\n"
    good, wrong = run(runner, INC, GOOD, wrong_plus)
    assert outcome(good) is Outcome.PASS
    assert wrong.phases["base"].outcome is Outcome.PASS
    assert wrong.phases["plus"].outcome is Outcome.FAIL
    assert wrong.phases["plus"].fail_index == 1


SIMPLE_HOSTILE = [
    "infinite_loop",
    "memory_bomb",
    "fork_bomb",
    "os_exit",
    "sys_exit",
    "keyboard_interrupt",
    "huge_stdout",
    "recursion_bomb",
    "patch_builtins",
    "ignore_sigalrm",
    "raise_rlimits",
]


@pytest.mark.parametrize("name", SIMPLE_HOSTILE)
def test_hostile_candidate_is_contained(runner: LocalRunner, name: str) -> None:
    code = (HOSTILE / f"{name}.py").read_text()
    t0 = time.monotonic()
    bad, good = run(runner, INC, code, GOOD)
    assert outcome(bad) in (Outcome.FAIL, Outcome.TIMEOUT), bad
    # the pool survives and still labels a correct candidate
    assert outcome(good) is Outcome.PASS
    assert time.monotonic() - t0 < 30


def test_expected_outcomes_of_hostiles(runner: LocalRunner) -> None:
    names = ["infinite_loop", "ignore_sigalrm", "sys_exit", "os_exit", "keyboard_interrupt"]
    res = run(runner, INC, *((HOSTILE / f"{n}.py").read_text() for n in names))
    got = {n: outcome(r) for n, r in zip(names, res, strict=True)}
    assert got == {
        "infinite_loop": Outcome.TIMEOUT,  # per-input limit
        "ignore_sigalrm": Outcome.TIMEOUT,  # worker's wall cap
        "sys_exit": Outcome.FAIL,
        "os_exit": Outcome.FAIL,
        "keyboard_interrupt": Outcome.FAIL,
    }


def _leftovers(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def _cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process on the host."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            procs[int(entry)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    return procs


def _descendants(procs: dict[int, tuple[int, bytes]], roots: set[int]) -> set[int]:
    """`roots` and every process under them (`procs` as `_processes` gives it)."""
    under, grew = set(roots), True
    while grew:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in under} - under
        under |= more
        grew = bool(more)
    return under


def zygote_children(runner: LocalRunner) -> list[int]:
    """Processes under the runner's zygotes: none once every job has finished."""
    procs = _processes()
    under = _descendants(procs, {w.proc.pid for w in runner._workers})

    def zygote(pid: int) -> bool:  # zygotes and their forks (bubblewrap's argv names it too)
        cmd = procs.get(pid, (0, b""))[1]
        return b"_zygote.py" in cmd and os.path.basename(cmd.split(b"\0")[0]) != b"bwrap"

    return sorted(pid for pid in under if zygote(pid) and zygote(procs[pid][0]))


def zygote_children_after(runner: LocalRunner, seconds: float = 10.0) -> list[int]:
    """`zygote_children` once they are gone, or what is left after `seconds`.

    A job's monitor reports after its namespace is dead and only then exits itself, so it
    may still be there for a moment when the verdict arrives (on a busy machine more so)."""
    deadline = time.monotonic() + seconds
    while (left := zygote_children(runner)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_fork_bomb_leaves_no_process(runner: LocalRunner) -> None:
    code = (HOSTILE / "fork_bomb.py").read_text()
    (bad,) = run(runner, INC, code)
    assert outcome(bad) in (Outcome.FAIL, Outcome.TIMEOUT)
    assert zygote_children_after(runner) == []


def test_files_outside_the_sandbox_untouched(runner: LocalRunner, tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    code = (HOSTILE / "files_outside.py").read_text().replace("{SENTINEL}", str(sentinel))
    (bad,) = run(runner, INC, code)
    assert outcome(bad) is Outcome.FAIL
    assert sentinel.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentinel.txt"]


def test_no_network(runner: LocalRunner) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn.recv(100))
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        code = (HOSTILE / "socket_connect.py").read_text().replace("{PORT}", str(port))
        (bad,) = run(runner, INC, code)
    finally:
        stop.set()
        t.join()
        server.close()
    assert outcome(bad) is Outcome.FAIL
    assert accepted == []


def test_output_of_the_host_is_not_flooded(
    runner: LocalRunner, capfd: pytest.CaptureFixture[str]
) -> None:
    (bad,) = run(runner, INC, (HOSTILE / "huge_stdout.py").read_text())
    assert outcome(bad) is Outcome.TIMEOUT
    out, err = capfd.readouterr()
    assert len(out) + len(err) < 10_000


def test_isolation_is_reported(runner: LocalRunner) -> None:
    iso = runner.isolation
    assert iso["mode"] in ("bwrap", "fallback")
    if iso["mode"] == "fallback":
        assert iso["reason"]
        if os.geteuid() == 0:
            assert iso["network_namespace"] is True
            assert iso["drop_to_uid"] is not None
    else:
        assert iso["capabilities"] == "none"


# -- EvalPlus comparison semantics ------------------------------------------------------------


def test_find_zero_special_oracle(runner: LocalRunner) -> None:
    spec = TaskSpec(
        task_id="HumanEval/32",
        dataset="humaneval",
        entry_point="find_zero",
        reference="def find_zero(xs):\n    return 1.0\n",
        base_input=([[-1, 1]],),  # -1 + x: root 1
        plus_input=([[-2, 0, 2]],),  # -2 + 2x^2: roots +1 and -1
        atol=1e-4,
    )
    other_root = "def find_zero(xs):\n    return -1.0 if len(xs) == 3 else 1.0\n"
    near = "def find_zero(xs):\n    return 1.00001\n"
    wrong = "def find_zero(xs):\n    return 0.5\n"
    res = run(runner, spec, other_root, near, wrong)
    assert [outcome(r) for r in res] == [Outcome.PASS, Outcome.PASS, Outcome.FAIL]


def test_float_tolerance_and_types(runner: LocalRunner) -> None:
    spec = TaskSpec(
        task_id="HumanEval/9002",
        dataset="humaneval",
        entry_point="g",
        reference="def g(x):\n    return x / 10\n",
        base_input=([3],),
        plus_input=([7],),
    )
    close = "def g(x):\n    return x * 0.1\n"  # 0.30000000000000004 vs 0.3
    off = "def g(x):\n    return x / 10 + 1e-3\n"
    as_str = "def g(x):\n    return str(x / 10)\n"
    res = run(runner, spec, close, off, as_str)
    assert [outcome(r) for r in res] == [Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


def test_float_tolerance_needs_the_same_shape(runner: LocalRunner) -> None:
    """`[[]]` broadcasts against `[x]` to an empty comparison that allclose calls close: a
    constant passed every one-float task (red team, session 17); the right shape still does."""
    spec = TaskSpec(
        task_id="HumanEval/9003",
        dataset="humaneval",
        entry_point="g",
        reference="def g(x):\n    return [x / 3]\n",
        base_input=([1],),
        plus_input=([2],),
    )
    close = "def g(x):\n    return [x * (1 / 3)]\n"
    empty_inside = "def g(x):\n    return [[]]\n"
    res = run(runner, spec, close, empty_inside)
    assert [outcome(r) for r in res] == [Outcome.PASS, Outcome.FAIL]


def test_mbpp_set_equality_and_input_decoding(runner: LocalRunner) -> None:
    # Mbpp/2 inputs arrive as tuples (EvalPlus's mbpp_deserialize_inputs) and compare as sets.
    spec = TaskSpec(
        task_id="Mbpp/2",
        dataset="mbpp",
        entry_point="similar_elements",
        reference="def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n",
        base_input=([[3, 4, 5, 6], [5, 7, 4, 10]],),
        plus_input=([[1, 2], [3]],),
    )
    reordered = "def similar_elements(a, b):\n    return sorted(set(a) & set(b), reverse=True)\n"
    needs_tuples = (
        "def similar_elements(a, b):\n"
        "    assert isinstance(a, tuple)\n"
        "    return [x for x in a if x in b]\n"
    )
    wrong = "def similar_elements(a, b):\n    return [a[0]]\n"
    res = run(runner, spec, reordered, needs_tuples, wrong)
    assert [outcome(r) for r in res] == [Outcome.PASS, Outcome.PASS, Outcome.FAIL]


def test_standard_dict_subclasses_compare_as_dicts(runner: LocalRunner) -> None:
    """Mbpp/88's reference returns a Counter: it and a plain dict are equal, as in EvalPlus
    (it crossed as an opaque object, which failed every candidate); a class of the program's
    own stays opaque, whatever its `__eq__` says."""
    spec = TaskSpec(
        task_id="Mbpp/88",
        dataset="mbpp",
        entry_point="freq_count",
        reference="import collections\ndef freq_count(xs):\n    return collections.Counter(xs)\n",
        base_input=([[1, 1, 2]],),
        plus_input=([[3, 3, 3, 4]],),
    )
    plain = "def freq_count(xs):\n    return {x: xs.count(x) for x in xs}\n"
    default = (
        "from collections import defaultdict\n"
        "def freq_count(xs):\n    d = defaultdict(int)\n    for x in xs:\n        d[x] += 1\n"
        "    return d\n"
    )
    own = (
        "class D(dict):\n    def __eq__(self, other):\n        return True\n"
        "def freq_count(xs):\n    return D()\n"
    )
    wrong = "def freq_count(xs):\n    return {x: 1 for x in xs}\n"
    res = run(runner, spec, plain, default, own, wrong)
    assert [outcome(r) for r in res] == [Outcome.PASS, Outcome.PASS, Outcome.FAIL, Outcome.FAIL]


def test_reference_time_scales_limits(runner: LocalRunner) -> None:
    spec = TaskSpec(
        task_id="HumanEval/9003",
        dataset="humaneval",
        entry_point="h",
        reference="def h(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n",
        base_input=([10],),
        plus_input=([3_000_000],),
    )
    gt = runner.prepare([spec])[spec.task_id]
    assert gt.limits["base"] == (LIMITS.min_time_limit,)
    t = gt.times["plus"][0]
    assert gt.limits["plus"][0] == pytest.approx(max(LIMITS.min_time_limit, 4 * t))


def test_a_task_registered_again_with_another_spec_is_judged_by_it() -> None:
    """A runner reused for a benchmark that has a task of the same id judges by the new
    reference (it judged by the old expected outputs, which its workers had loaded)."""
    other = replace(INC, reference="def f(x):\n    return x + 2\n")
    with LocalRunner(jobs=1, limits=LIMITS) as r:
        for spec, want in ((INC, Outcome.PASS), (other, Outcome.FAIL), (INC, Outcome.PASS)):
            r.register([spec])
            assert [outcome(res) for res in r.run([Job(0, spec.task_id, GOOD)])] == [want]


def test_adopted_ground_truth_sets_the_limits() -> None:
    """A task's jobs are judged by the limits of ground truth adopted from elsewhere (as
    `RayRunner` sends a task's to each of its partitions), not by times measured again."""
    spec = TaskSpec("HumanEval/9010", "humaneval", "f", "def f(x):\n    return x\n", ([1],), ())
    burn = (  # 0.5 s of CPU: over the measured limit (0.3 s), under the adopted one
        "def f(x):\n    import time\n    t = time.thread_time()\n"
        "    while time.thread_time() - t < 0.5:\n        pass\n    return x\n"
    )
    slow = GroundTruth(spec.task_id, {"base": (1.0,), "plus": ()}, {"base": (4.0,), "plus": ()})
    with LocalRunner(jobs=1, limits=LIMITS) as r:
        r.register([spec])
        r.adopt(slow)
        (res,) = r.run([Job(0, spec.task_id, burn)])
        assert r.ground_truth(spec.task_id) == slow
    assert res.phases["base"].outcome is Outcome.PASS, res
    with LocalRunner(jobs=1, limits=LIMITS) as r:  # measured here, for contrast
        assert [outcome(res) for res in run(r, spec, burn)] == [Outcome.TIMEOUT]


def test_run_computes_missing_ground_truth_first() -> None:
    slow = TaskSpec(
        task_id="HumanEval/9002",
        dataset="humaneval",
        entry_point="f",
        reference="def f(n):\n    return sum(range(n))\n",
        base_input=([10**6],),
        plus_input=([2 * 10**6],),
    )
    broken = TaskSpec(
        task_id="HumanEval/9003",
        dataset="humaneval",
        entry_point="f",
        reference="def f(x):\n    raise ValueError\n",
        base_input=([1],),
        plus_input=(),
    )
    with LocalRunner(jobs=2, limits=LIMITS) as r:
        r.register([INC, slow, broken])
        jobs = [
            Job(0, INC.task_id, GOOD),
            Job(1, slow.task_id, slow.reference),
            Job(2, broken.task_id, GOOD),
            Job(3, slow.task_id, "def f(n):\n    return 0\n"),
        ]
        results = {res.job_id: res for res in r.run(jobs)}
        assert outcome(results[0]) is Outcome.PASS
        assert outcome(results[1]) is Outcome.PASS
        assert results[3].phases["base"].outcome is Outcome.FAIL
        assert results[2].error and "reference fails" in results[2].error
        assert r.ground_truth(slow.task_id).times["base"][0] > 0
        assert r.ground_truth(broken.task_id).error
        with pytest.raises(SandboxError, match="not registered"):
            list(r.run([Job(4, "HumanEval/404", GOOD)]))


def test_schedule_runs_the_heaviest_ready_task_first() -> None:
    from auditor.sandbox.runner import _Schedule

    jobs = [Job(i, t, "") for i, t in enumerate(["a", "b", "a", "c", "b"])]
    weights = {"a": 1.0, "b": 5.0, "c": 0.5}
    s = _Schedule(jobs, ready={"a"}, weight=weights.__getitem__)
    assert s.take() == ("gt", "b")  # missing ground truth comes first
    assert s.take() == ("gt", "c")
    assert s.take() == ("job", jobs[0])  # only "a" is ready meanwhile
    s.computed("b")
    s.computed("c")
    taken = [s.take() for _ in range(4)]
    assert [j.task_id for _, j in taken] == ["b", "b", "a", "c"]
    assert s.take() is None


def test_numpy_import_does_not_depend_on_the_worker_history() -> None:
    """EvalPlus forks candidates from a process that has numpy loaded. A candidate importing
    it must pass in a fresh worker too, not only in one that met a float task before."""
    uses_numpy = "def f(x):\n    import numpy as np\n    return int(np.int64(x) + 1)\n"
    with LocalRunner(jobs=1, limits=LIMITS) as fresh:
        assert [outcome(r) for r in run(fresh, INC, uses_numpy)] == [Outcome.PASS]


def test_probe_outputs_cross_as_data(runner: LocalRunner) -> None:
    """Probes: outputs are fingerprinted by the worker; non-plain values by type name only,
    sleepers and loopers time out per input, the others still get their fingerprints."""
    from auditor.sandbox import ProbeJob

    code = (
        "import time\n"
        "class Box:\n    __eq__ = lambda s, o: True\n"
        "def f(x):\n"
        "    if x == 1: raise ValueError\n"
        "    if x == 2: time.sleep(30)\n"
        "    if x == 3:\n        while True: pass\n"
        "    if x == 4: return Box()\n"
        "    return (x, [x], {x: b'x'})\n"
    )
    inputs = ([0], [1], [3], [4], [5], [2])  # the sleeper last: the wall cap ends the child
    job = ProbeJob(0, "HumanEval/0", "humaneval", "f", code, inputs, 0.3, 3)
    (res,) = list(runner.probe([job]))
    fps = res.fingerprints
    assert fps[0].startswith("v:") and fps[4].startswith("v:") and fps[0] != fps[4]
    assert fps[1:3] == ("exc:ValueError", "timeout")
    assert fps[3].startswith("v:")  # "o:Box", hashed like every value
    assert fps[5] == "timeout"
    # one time per input: measured for values and exceptions (within the limit), NaN for
    # the timeouts
    assert len(res.times) == len(inputs)
    for j in (0, 1, 3, 4):
        assert 0.0 <= res.times[j] <= 0.3
    assert math.isnan(res.times[2]) and math.isnan(res.times[5])
    (again,) = list(runner.probe([job]))
    assert again.fingerprints == fps and len(again.times) == len(inputs)


def test_probe_values_cross_as_plain_data_only() -> None:
    """`ExecRunner.outputs`: each output's value after the sandbox's value format (plain
    data; an object whose `__eq__` says yes to everything is no value), NO_OUTPUT for an
    exception, a timeout, or past the worker's cap on the text one job sends back."""
    from auditor.execution.runner import NO_OUTPUT, ExecRunner, Limits
    from auditor.sandbox import _worker

    code = (
        "from collections import Counter\n"
        "class Box:\n    __eq__ = lambda s, o: True\n"
        "def f(x):\n"
        "    if x == 1: raise ValueError\n"
        "    if x == 3:\n        while True: pass\n"
        "    if x == 4: return Box()\n"
        "    if x == 5: return Counter('aab')\n"
        "    return (x, [x], {x: b'x'})\n"
    )
    inputs, lim = [[0], [1], [3], [4], [5]], Limits(0.3, 3)
    with ExecRunner(1) as run:
        (got,) = run.outputs("harness", "t", "f", [(code, inputs)], lim)
        assert got == ((0, [0], {0: b"x"}), NO_OUTPUT, NO_OUTPUT, NO_OUTPUT, {"a": 2, "b": 1})
        (vec,) = run.run_each("harness", "t", "f", [(code, inputs)], lim)  # kept: not run again
        assert (
            run.programs_run == 1 and vec is not None and vec[1:3] == ("exc:ValueError", "timeout")
        )
    room = [12]  # bytes of output text left to send back in this job
    padded = _worker.TIME.pack(0.01) + b'"' + b"y" * 8 + b'"' + b" " * (1 << 20)
    fp, text = _worker._probe_output(b"V", padded, room)  # re-encoded: the padding is gone
    assert text == '"yyyyyyyy"' and room == [2] and fp == _worker.fingerprint("y" * 8)
    assert _worker._probe_output(b"V", padded, room) == (fp, None) and room == [2]
    assert _worker._probe_output(b"V", padded, None) == (fp, None)  # no value asked for
    assert _worker._probe_output(b"E", _worker.TIME.pack(0.0) + b"x", [99])[1] is None


# Loads of the program are counted on `sys` (it survives a fresh load in the same child):
# the first load's calls are slow (1 ms of CPU each), the later loads' are instant or hang.
_LOADS = (
    "import sys, time\n"
    "sys.loads = getattr(sys, 'loads', 0) + 1\n"
    "def f(x):\n"
    "    t = time.thread_time()\n"
    "    while sys.loads == 1 and time.thread_time() - t < 0.001:\n"
    "        pass\n"
    "    while sys.loads > 1 and {hang}:\n"
    "        pass\n"
    "    return x * 2\n"
)


@pytest.mark.parametrize("repeats", [0, 3])
def test_probe_repeats_keep_each_inputs_least_time(runner: LocalRunner, repeats: int) -> None:
    """Timing passes more (on fresh loads of the program) report each input's least time;
    the outputs are the first pass's."""
    from auditor.sandbox import ProbeJob

    job = ProbeJob(0, "t", "humaneval", "f", _LOADS.format(hang=False), ([1], [2]), 0.3, 3,
                   repeats=repeats, repeat_below_s=0.02)  # fmt: skip
    (res,) = list(runner.probe([job]))
    (once,) = list(runner.probe([replace(job, repeats=0)]))
    assert res.fingerprints == once.fingerprints
    if repeats:
        assert all(t < 0.0005 for t in res.times)  # a later pass's instant calls
    else:
        assert all(0.001 <= t <= 0.3 for t in res.times)


def test_probe_repeats_bounded_and_skipped_for_slow_runs(runner: LocalRunner) -> None:
    """A program that hangs once loaded again, in a call or in its module code, keeps its
    first times and costs at most the passes' cap; a first pass over `repeat_below_s` is not
    repeated at all."""
    from auditor.sandbox import ProbeJob

    hangs = ProbeJob(0, "t", "humaneval", "f", _LOADS.format(hang=True), ([1], [2]), 0.3, 3,
                     repeats=3, repeat_below_s=0.02)  # fmt: skip
    (res,) = list(runner.probe([hangs]))
    assert res.fingerprints[0].startswith("v:") and all(0.001 <= t <= 0.3 for t in res.times)
    assert (
        res.cpu_s < 1.0
    )  # the passes stop at 2 x 3 x 0.02 s of CPU, not at a cap (CPU: wall time grows with load)
    slow_load = "import sys, time\nt = time.thread_time()\n" + (
        "while getattr(sys, 'loaded', 0) and time.thread_time() - t < 1.0:\n    pass\n"
        "sys.loaded = 1\ndef f(x):\n    return x\n"
    )
    (res,) = list(runner.probe([replace(hangs, code=slow_load)]))
    assert res.fingerprints[0].startswith("v:") and res.runtime_s < 0.8  # reload cut at 0.12 s
    slow = replace(hangs, code=_LOADS.format(hang=False), repeat_below_s=0.001)
    (res,) = list(runner.probe([slow]))
    assert all(t >= 0.001 for t in res.times)  # 2 ms > 1 ms: no second pass


@pytest.mark.parametrize("after", [0.0, 0.02])
def test_probe_after_a_timeout_the_leash_is_shorter(runner: LocalRunner, after: float) -> None:
    """Once a program has timed out, each later input gets `after_timeout_s` at most: a call
    of 80 ms of CPU then times out too, where without the leash it gives its value. Inputs
    before the first timeout keep the full limit."""
    from auditor.sandbox import ProbeJob

    code = (
        "import time\n"
        "def f(x):\n"
        "    t = time.thread_time()\n"
        "    while x < 0 or time.thread_time() - t < x:\n"
        "        pass\n"
        "    return x\n"
    )
    job = ProbeJob(0, "t", "humaneval", "f", code, ([0.08], [-1], [0.08], [0.0]), 0.4, 3,
                   after_timeout_s=after)  # fmt: skip
    (res,) = list(runner.probe([job]))
    fps = res.fingerprints
    assert fps[0].startswith("v:") and fps[1] == "timeout" and fps[3].startswith("v:")
    assert fps[2] == ("timeout" if after else fps[0])
    assert (not math.isnan(res.times[2])) == (not after)


def test_probe_outputs_before_a_sudden_death_are_kept(runner: LocalRunner) -> None:
    """The monitor lets a phase's frames gather before relaying them, but the child keeps no
    buffer: every output it reported before it died still arrives."""
    from auditor.sandbox import ProbeJob

    code = "import os\ndef f(x):\n    if x == 40:\n        os._exit(0)\n    return x\n"
    job = ProbeJob(0, "t", "humaneval", "f", code, tuple([i] for i in range(50)), 0.3, 3)
    (res,) = list(runner.probe([job]))
    assert all(fp.startswith("v:") for fp in res.fingerprints[:40])
    assert len(set(res.fingerprints[:40])) == 40
    assert set(res.fingerprints[40:]) == {"died"}


def test_least_times_frame_is_checked() -> None:
    """The "R" frame lowers finite first times only, within [0, limit]; a frame of the wrong
    size changes nothing."""
    from auditor.sandbox._worker import TIME, _least_times

    took = [0.5, math.nan, 0.2]
    _least_times(took, TIME.pack(0.1) * 2, 1.0)  # wrong size
    assert took[0] == 0.5
    _least_times(took, TIME.pack(-3.0) + TIME.pack(0.1) + TIME.pack(0.4), 1.0)
    assert took[0] == 0.0 and math.isnan(took[1]) and took[2] == 0.2


def test_without_bubblewrap(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """No bwrap: the fallback says so on stderr and in `isolation`; "require" refuses."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="bwrap") as err:
        LocalRunner(jobs=1, limits=SandboxLimits(isolation="require"))
    assert "\n" not in str(err.value)
    with LocalRunner(jobs=1, limits=LIMITS) as r:
        assert r.isolation["mode"] == "fallback"
        assert "bwrap" in r.isolation["reason"]
        assert [outcome(x) for x in run(r, INC, GOOD)] == [Outcome.PASS]
    assert "without namespaces" in capfd.readouterr().err


@pytest.mark.parametrize("isolation", ["auto", "off"])
def test_nothing_outlives_a_killed_driver(isolation: str) -> None:
    """SIGKILL to the auditor: its workers, zygotes and running candidates all go, and so
    does the fallback's temp root on the host."""
    import signal
    import subprocess
    import sys

    script = (
        "import sys, time\n"
        "from auditor.sandbox import Job, LocalRunner, SandboxLimits, TaskSpec\n"
        "spec = TaskSpec('HumanEval/1', 'humaneval', 'f', 'def f(x):\\n    return x\\n', ([1],), ())\n"
        f"r = LocalRunner(jobs=1, limits=SandboxLimits(max_phase_s=60, isolation={isolation!r}))\n"
        "r.prepare([spec])\n"
        "print(r._workers[0].proc.pid, flush=True)\n"
        "loop = 'def f(x):\\n    while True:\\n        pass\\n'\n"
        "list(r.run([Job(0, spec.task_id, loop)]))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    # Wait until the looping candidate runs (on 2 busy cores its start can take seconds; 20 s
    # was once too few, with a second test suite running beside CI's, s25).
    deadline = time.monotonic() + 60
    time.sleep(1.0)
    while True:
        tree = _descendants(_processes(), {worker})
        roots = {Path(cwd).parent for cwd in map(_cwd, tree) if "auditor-sandbox-" in cwd}
        started = len(tree) >= 3 and (bool(roots) or isolation != "off")
        if started or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(tree) >= 3  # worker, bubblewrap or zygote, candidate
    assert bool(roots) == (isolation == "off")  # the candidate works in the host's /tmp
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        p.exists() for p in [*(Path(f"/proc/{p}") for p in tree), *roots]
    ):
        time.sleep(0.1)
    assert not any(root.exists() for root in roots)
    assert [p for p in tree if state(p) not in ("", "Z")] == []


def test_a_worker_stuck_in_one_c_call_dies_with_the_driver() -> None:
    """A worker whose Python threads cannot run (stopped here; in the red team's A6 its
    main thread held the GIL in one C call for hours) still dies with the auditor: the
    kernel's parent-death signal, set for the thread that lives as long as the driver."""
    import signal
    import subprocess
    import sys

    script = (
        "import threading, time\n"
        "from auditor.sandbox import LocalRunner\n"
        "r = []\n"  # started from a thread that ends at once, as the dispatch threads do
        "t = threading.Thread(target=lambda: r.append(LocalRunner(jobs=1)))\n"
        "t.start(); t.join()\n"
        "print(r[0]._workers[0].proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    try:
        assert state(worker) not in ("", "Z")  # the starting thread's end did not kill it
        os.kill(worker, signal.SIGSTOP)  # no thread of the worker runs from here on
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30  # a hang guard: the kernel acts at once
        while state(worker) not in ("", "Z") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state(worker) in ("", "Z")
    finally:
        with contextlib.suppress(OSError):
            os.kill(worker, signal.SIGKILL)


def test_a_worker_that_does_not_reply_is_killed_and_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The driver waits for a job's reply at most its deadline (here short): a worker stuck
    in trusted code is killed, that job gets an error, and the next one a fresh worker."""
    import signal

    with LocalRunner(jobs=1, limits=LIMITS) as r:
        monkeypatch.setattr(r, "_deadline", lambda probe=None: 5.0)
        stuck = r._workers[0].proc.pid
        os.kill(stuck, signal.SIGSTOP)
        job = ProbeJob(0, "t/0", "humaneval", "f", GOOD, ([1],))
        got: list = []
        thread = threading.Thread(target=lambda: got.extend(r.probe([job])), daemon=True)
        thread.start()
        thread.join(120)  # a hang guard
        assert [res.error for res in got] == ["sandbox worker died: no reply within 5 s"]
        assert state(stuck) in ("", "Z") and r._workers[0].proc.pid != stuck
        (again,) = r.probe([job])
        assert again.error is None and again.fingerprints[0].startswith("v:")


def test_fallback_root_goes_whichever_of_eof_and_sigterm_comes_first() -> None:
    """The worker's death reaches a fallback zygote twice: EOF on its control socket, then
    SIGTERM (its parent-death signal). Whichever comes first, and wherever the other lands
    in the cleanup, the temp root goes (a handler that raised could abort `rmtree`)."""
    import signal

    from auditor.sandbox import _launch

    cfg = {"uid": 65534, "gid": 65534, "child_env": {}, "preload": [], "site_paths": []}
    roots = []
    for delay in [0.0, 0.0001, 0.0003, 0.001] * 5:
        zyg = _launch.Zygote(cfg, sandboxed=False)
        Path(zyg.tmp_root, "job").mkdir()  # a job's directory, as a monitor makes
        zyg.ctl.close()
        time.sleep(delay)
        os.kill(zyg.proc.pid, signal.SIGTERM)
        zyg.proc.wait(timeout=10)
        roots.append(Path(zyg.tmp_root))
    assert [r for r in roots if r.exists()] == []


def test_fallback_root_goes_when_the_worker_dies_before_its_hello(tmp_path: Path) -> None:
    """The zygote learns its temp root from its command line: a worker that dies between
    starting it and saying hello leaves nothing behind."""
    import socket
    import subprocess

    from auditor.sandbox import _launch

    root = tmp_path / "auditor-sandbox-x"
    (root / "job").mkdir(parents=True)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fd = theirs.fileno()
    argv = _launch.fallback_argv(fd, str(root))
    proc = subprocess.Popen(argv, pass_fds=(fd,), stderr=subprocess.DEVNULL)
    theirs.close()
    ours.close()  # the worker is gone
    assert proc.wait(timeout=10) != 0  # no hello: it stops
    assert not root.exists()
