"""The Ray executor on a real Ray: same labels and features as local, faults, two nodes.

Unit path: one Ray started in this process (`ray.init(num_cpus=2)`). Integration: a
two-node cluster on localhost (`ray start --head` + `ray start --address`, separate temp
dirs) driven by `auditor` subprocesses, torn down by the fixture.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from auditor import features  # noqa: E402
from auditor.corpus.benchmarks import load_benchmark  # noqa: E402
from auditor.corpus.samples import read_samples  # noqa: E402
from auditor.errors import SandboxError  # noqa: E402
from auditor.executors import use_executor  # noqa: E402
from auditor.label import label  # noqa: E402
from auditor.sandbox import Job, SandboxLimits, TaskSpec  # noqa: E402
from auditor.sandbox.ray_runner import _REMOTE, RayRunner  # noqa: E402
from auditor.types import Outcome, Task  # noqa: E402
from tests import ray_faults  # noqa: E402
from tests.processes import alive_after, children  # noqa: E402
from tests.ray_cluster import Cluster, local_cluster, ray_env, wait_for_nodes  # noqa: E402

pytestmark = pytest.mark.ray

REPO = Path(__file__).resolve().parents[1]
TOY = REPO / "corpora" / "toy"
# short per-input limits; the default setup allowance, as Ray starting up loads the machine
FAST = SandboxLimits(min_time_limit=0.3, max_phase_s=5.0)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def toy() -> tuple[list, dict[str, Task]]:
    tasks = load_benchmark(str(TOY / "benchmark.jsonl"))
    return list(read_samples(TOY / "samples.jsonl", tasks).candidates), tasks


def _statuses(labels: object) -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (lb.task_id, lb.sample_id): (lb.status.value, lb.weak_status.value, str(lb.first_fail))
        for lb in labels  # type: ignore[attr-defined]
    }


@pytest.mark.parametrize("streaming", [True, False])  # False: as over the Ray Client
def test_labels_equal_local(
    local_ray: None, toy: tuple[list, dict[str, Task]], streaming: bool
) -> None:
    cands, tasks = toy
    local = label(cands, tasks, jobs=2, limits=FAST)
    with RayRunner(jobs=2, limits=FAST) as runner:
        runner.streaming = streaming
        on_ray = label(cands, tasks, limits=FAST, runner=runner)
        assert runner.nodes and runner.resubmitted == 0
    broken = (on_ray.summary.get("broken_tasks"), local.summary.get("broken_tasks"))
    assert _statuses(on_ray.labels) == _statuses(local.labels), broken
    assert on_ray.summary["overall"] == local.summary["overall"]
    # the record says how each node that ran work confined candidates
    nodes = on_ray.summary["isolation"]["nodes"]
    assert list(nodes.values()) == [local.summary["isolation"]] * len(nodes)


def test_features_equal_local(local_ray: None, toy: tuple[list, dict[str, Task]]) -> None:
    cands, tasks = toy
    local = features.extract(cands, tasks=tasks, use_cache=False)
    with use_executor("ray"):  # the behaviour prober's runner is a RayRunner
        on_ray = features.extract(cands, tasks=tasks, use_cache=False)
    assert on_ray.keys == local.keys and on_ray.columns == local.columns
    behavior = [i for i, c in enumerate(local.columns) if c.startswith("behavior.")]
    assert not np.isnan(local.values[:, behavior]).all()  # the probes did run
    np.testing.assert_array_equal(on_ray.values, local.values)


def test_output_values_cross_from_ray_as_from_local(local_ray: None) -> None:
    """`ExecRunner.outputs` (asserted values, properties) reads the same values on Ray."""
    from auditor.execution.runner import NO_OUTPUT, ExecRunner, Limits

    code = "def f(x):\n    if x < 0:\n        raise ValueError\n    return (x, [x / 2], {x: 'a'})\n"
    progs = [(code, [[1], [-1], [4]])]
    with ExecRunner(1) as run:
        local = run.outputs("harness", "t", "f", progs, Limits(1.0, 5.0))
    with use_executor("ray"), ExecRunner(1) as run:
        on_ray = run.outputs("harness", "t", "f", progs, Limits(1.0, 5.0))
    assert on_ray == local == [((1, [0.5], {1: "a"}), NO_OUTPUT, (4, [2.0], {4: "a"}))]


def test_candidates_on_ray_run_in_the_sandbox_as_locally(local_ray: None) -> None:
    """A candidate on a Ray node runs where it does locally: under bubblewrap it is PID 1 of
    a namespace of its own (neither the Ray worker nor the driver), with no network."""
    from auditor.execution.runner import ExecRunner, Limits

    code = (
        "def f(x):\n    import os, socket\n    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
        "        net = True\n    except OSError:\n        net = False\n"
        "    return (os.getpid() == 1, net)\n"
    )
    with ExecRunner(1) as run:
        local = run.outputs("harness", "t", "f", [(code, [[0]])], Limits(2.0, 5.0))
        bwrap = run.sandbox.isolation["mode"] == "bwrap"
    with use_executor("ray"), ExecRunner(1) as run:
        on_ray = run.outputs("harness", "t", "f", [(code, [[0]])], Limits(2.0, 5.0))
    assert on_ray == local == [((bwrap, False),)]


def _slow_task(task_id: str) -> TaskSpec:
    return TaskSpec(
        task_id, "humaneval", "slow", "def slow(x):\n    return x * 3\n", ([1], [2]), ([-1],)
    )


def _slow_job(job_id: int, task_id: str, sleep: float = 0.1) -> Job:
    # odd programs are wrong on the plus input; each sleeps so that a partition takes a while
    # `0 * job_id` keeps every program distinct: label runs behaviour-equal programs once
    body = (
        f"    import time\n    time.sleep({sleep})\n"
        f"    return x * 3 + {job_id % 2} * (x < 0) + 0 * {job_id}\n"
    )
    return Job(job_id, task_id, "def slow(x):\n" + body)


_PARTITION = b"ray::label_partition"  # a label partition's process title


def _partition_pids() -> list[int]:
    """Ray worker processes running a partition now (Ray titles them `ray::<function>`)."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if entry.isdigit() and cmd.startswith(_PARTITION):
            pids.append(int(entry))
    return pids


def test_killed_worker_partition_is_retried(local_ray: None) -> None:
    specs = [_slow_task("Slow/0"), _slow_task("Slow/1")]
    jobs = [_slow_job(i, f"Slow/{i // 12}") for i in range(24)]
    got: list[int] = []
    killed: list[int] = []
    first: dict[str, object] = {}  # each task's ground truth when its first result came
    with RayRunner(jobs=2, limits=FAST) as runner:
        runner.register(specs)
        for res in runner.run(jobs):
            got.append(res.job_id)
            task_id = f"Slow/{res.job_id // 12}"
            first.setdefault(task_id, runner.ground_truth(task_id))
            plus = res.phases["plus"].outcome
            assert plus is (Outcome.PASS if res.job_id % 2 == 0 else Outcome.FAIL), res
            if len(got) == 3 and not killed:
                killed = _partition_pids()[:1]
                assert killed, "no running partition to kill"
                sandbox = children(killed[0])
                os.kill(killed[0], signal.SIGKILL)
        assert runner.resubmitted >= 1
        assert runner.ground_truth("Slow/1").error is None
        # the resubmitted jobs met the limits the first partition's did
        assert {t: runner.ground_truth(t) for t in first} == first
    assert sorted(got) == list(range(24))  # every result exactly once
    assert sandbox and alive_after(sandbox, 30) == []  # they died with the partition


def _faulty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Label partitions fail on the cues of `tests.ray_faults`."""
    faulty = ray.remote(max_retries=0)(ray_faults.label_partition)
    monkeypatch.setitem(_REMOTE, ("label", True), faulty)


def _right(res: object, job_id: int) -> bool:
    plus = res.phases["plus"].outcome  # type: ignore[attr-defined]
    return plus is (Outcome.PASS if job_id % 2 == 0 else Outcome.FAIL)


def test_a_job_its_partition_dies_on_gets_an_error_and_the_run_goes_on(
    local_ray: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As locally a job whose worker dies twice: a job in flight in two lost partitions
    gets an error result; a partition lost `retries + 1` times before any job ran gives its
    jobs (and its task's ground truth) one. The run goes on (it stopped: SandboxError)."""
    _faulty(monkeypatch)
    doomed = f"Slow/{ray_faults.DOOMED}"
    jobs = [_slow_job(i, "Slow/0") for i in range(5)] + [_slow_job(5, doomed)]
    jobs[2] = Job(2, "Slow/0", _slow_job(2, "", sleep=0.5).code + ray_faults.EXIT + "\n")
    with RayRunner(jobs=2, limits=FAST, retries=1) as runner:
        runner.register([_slow_task("Slow/0"), _slow_task(doomed)])
        got = {res.job_id: res for res in runner.run(jobs)}
        assert runner.ground_truth(doomed).error == got[5].error
        assert runner.resubmitted == 3  # job 2's partition twice, the doomed one once
    died = {i: res.error for i, res in got.items() if res.error}
    assert sorted(died) == [2, 5] and sorted(got) == list(range(6))
    assert all(why.startswith("Ray worker died: ") for why in died.values()), died
    assert all(_right(got[i], i) for i in (0, 1, 3, 4))


def test_a_silent_partition_is_killed_and_its_job_gets_an_error(
    local_ray: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As locally a worker that does not reply: a partition whose process sends nothing for
    longer than its bound (short here) has that process killed on its node, its sandbox
    workers die with it, the job in flight gets an error result (not retried) and the
    others are labeled (the driver waited for ever)."""
    _faulty(monkeypatch)
    monkeypatch.setattr(RayRunner, "_silence_s", lambda self, jobs: 15.0)
    stopped = tmp_path / "stopped"
    jobs = [_slow_job(i, "Slow/0") for i in range(5)]
    jobs[2] = Job(2, "Slow/0", f"{_slow_job(2, '', sleep=0.5).code}{ray_faults.STOP}{stopped}\n")
    got: dict[int, object] = {}

    def label() -> None:
        with RayRunner(jobs=1, limits=FAST) as runner:
            runner.register([_slow_task("Slow/0")])
            got.update((res.job_id, res) for res in runner.run(jobs))

    thread = threading.Thread(target=label, daemon=True)
    thread.start()
    thread.join(240)  # a hang guard
    pids = [int(p) for p in stopped.read_text().split()] if stopped.exists() else []
    try:
        assert not thread.is_alive(), "the driver waits for a stopped partition"
        assert sorted(got) == list(range(5))
        assert got[2].error == "Ray worker died: no reply within 15 s"  # type: ignore[attr-defined]
        assert all(_right(got[i], i) for i in (0, 1, 3, 4))
        assert len(pids) >= 2  # the partition's process and its sandbox worker
        assert alive_after(pids, 30) == []
    finally:
        for pid in pids:  # (left stopped only when the test fails)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("version", "said"),
    [("0.0.1", "runs auditor 0.0.1, this driver"), ("old", "runs an older auditor")],
)
def test_a_node_with_another_version_stops_the_run_with_one_line(
    local_ray: None, monkeypatch: pytest.MonkeyPatch, version: str, said: str
) -> None:
    other = ray.remote(max_retries=0)(ray_faults.from_other_version(version))
    monkeypatch.setitem(_REMOTE, ("label", True), other)
    with RayRunner(jobs=1, limits=FAST) as runner:
        runner.register([_slow_task("Slow/0")])
        with pytest.raises(SandboxError) as err:
            list(runner.run([_slow_job(0, "Slow/0")]))
    assert said in str(err.value) and str(err.value).endswith(
        "install the same auditor version on every node"
    )
    assert "\n" not in str(err.value)


# -- a two-node cluster on localhost --------------------------------------------------------
# One test, so that one cluster serves every step (starting one takes a while).

_DRIVER = """
import json, sys
from auditor.corpus.benchmarks import load_benchmark
from auditor.corpus.samples import read_samples
from auditor.label import label
from auditor.sandbox.ray_runner import RayRunner
tasks = load_benchmark(sys.argv[3])
cands = read_samples(sys.argv[2], tasks).candidates
with RayRunner(sys.argv[1]) as runner:
    run = label(cands, tasks, runner=runner)
    nodes = sorted(runner.nodes)
print(json.dumps({"nodes": nodes, "labels": {lb.sample_id: lb.status.value for lb in run.labels}}))
"""


def _want(n: int) -> dict[str, str]:
    return {str(i): ("correct" if i % 2 == 0 else "false_positive") for i in range(n)}


def _slow_corpus(tmp: Path, n: int, n_tasks: int = 1, sleep: float = 0.1) -> tuple[Path, Path]:
    """`n` distinct slow programs (odd ones false positives) over `n_tasks` tasks."""
    bench = [
        {
            "task_id": f"Slow/{t}",
            "prompt": "def slow(x):\n",
            "entry_point": "slow",
            "canonical_solution": "    return x * 3\n",
            "base_input": [[1], [2]],
            "plus_input": [[-1]],
            "atol": 0,
        }
        for t in range(n_tasks)
    ]
    (tmp / "bench.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bench))
    rows = [
        {"task_id": f"Slow/{i % n_tasks}", "sample_id": i, "solution": _slow_job(i, "", sleep).code}
        for i in range(n)
    ]
    (tmp / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp / "samples.jsonl", tmp / "bench.jsonl"


def _label_cli(address: str, samples: Path, bench: Path, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "auditor", "label", str(samples), "--benchmark", str(bench)]
    return [*cmd, "-q", "-o", str(out), "--executor", "ray", "--address", address]


def _wait_lines(path: Path, n: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if path.is_file() and len(path.read_bytes().splitlines()) >= n:
            return
        time.sleep(0.05)


def _labels_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]


def test_two_node_cluster(tmp_path: Path) -> None:
    with local_cluster([1, 1]) as cluster:
        wait_for_nodes(cluster.address, 2)
        _both_nodes_label_right(cluster.address, tmp_path / "a")
        _killed_driver_resumes(cluster, tmp_path / "b")
        _killed_node_is_replaced(cluster, tmp_path / "c")


def _both_nodes_label_right(address: str, tmp: Path) -> None:
    tmp.mkdir()
    # three partitions of about a second: enough for the second node to get one
    samples, bench = _slow_corpus(tmp, 24, n_tasks=3)
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, address, str(samples), str(bench)],
        env=ray_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["labels"] == _want(24)
    assert len(out["nodes"]) == 2  # partitions ran on both nodes


def _killed_driver_resumes(cluster: Cluster, tmp: Path) -> None:
    """The driver is killed mid-run: Ray ends its partitions, whose sandbox workers die with
    them; the same command again keeps the labels written and runs the rest."""
    tmp.mkdir()
    n = 40
    samples, bench = _slow_corpus(tmp, n)
    out = tmp / "out"
    cmd = _label_cli(cluster.address, samples, bench, out)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env=ray_env())
    _wait_lines(out / "labels.jsonl", 5, proc)
    partitions = [p for i in range(len(cluster.nodes)) for p in cluster.running(i, _PARTITION)]
    sandbox = [child for p in partitions for child in children(p)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sandbox and alive_after([*partitions, *sandbox], 30) == []
    before = (out / "labels.jsonl").read_bytes().splitlines()
    assert 5 <= len(before) < n
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ray_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"resumed {len(before)}" in done.stderr
    rows = _labels_of(out)
    assert sorted(r["sample_id"] for r in rows) == sorted(str(i) for i in range(n))
    assert {r["sample_id"]: r["status"] for r in rows} == _want(n)


def _killed_node_is_replaced(cluster: Cluster, tmp: Path) -> None:
    """Node 1 dies with a partition on it: the driver sends its missing jobs to the head."""
    tmp.mkdir()
    n = 24
    # slow enough (~0.6 s a program, 12 distinct programs a partition) that node 1 is still
    # busy when it is killed, on an idle machine too
    samples, bench = _slow_corpus(tmp, n, n_tasks=2, sleep=0.2)
    out = tmp / "out"
    cmd = _label_cli(cluster.address, samples, bench, out)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=ray_env())
    deadline = time.monotonic() + 120
    while not cluster.running(1, _PARTITION):
        assert time.monotonic() < deadline and proc.poll() is None, "node 1 got no partition"
        time.sleep(0.05)
    _wait_lines(out / "labels.jsonl", 1, proc)
    cluster.kill(1)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    assert "lost its worker or node" in err and "missing job(s) again" in err
    rows = _labels_of(out)
    assert sorted(r["sample_id"] for r in rows) == sorted(str(i) for i in range(n))
    assert {r["sample_id"]: r["status"] for r in rows} == _want(n)


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_unreachable_address_is_one_line_exit_2_not_a_hang(tmp_path: Path, scheme: str) -> None:
    """A wrong --address (nothing listening there) fails in seconds with one line; Ray's own
    connect retried for good (10 minutes and counting, session 21)."""
    from tests.ray_cluster import _free_port

    address = f"{scheme}127.0.0.1:{_free_port()}"
    cmd = [sys.executable, "-m", "auditor", "check", str(TOY / "samples.jsonl"), "--no-model"]
    cmd += ["--tasks", str(TOY / "benchmark.jsonl"), "--executor", "ray", "--address", address]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=ray_env())
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and f"cannot start or reach Ray at {address}" in lines[0], lines
