"""Hostile candidates (and references) written to cheat: none is labeled correct, the host
file each one targets is untouched, no process survives and nothing remains in shared temp
directories. Payloads are in fixtures/hostile/; most return the right answer only when their
attack worked, so a successful attack shows up as a `correct` label.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from auditor.sandbox import Job, LocalRunner, SandboxLimits, TaskSpec
from auditor.types import Outcome
from tests.test_sandbox import zygote_children

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "corpora" / "benchmarks"
LIMITS = SandboxLimits(min_time_limit=0.3, max_phase_s=3.0, setup_s=5.0)
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def runner() -> Iterator[LocalRunner]:
    with LocalRunner(jobs=2, limits=LIMITS) as r:
        yield r


@pytest.fixture(scope="module")
def single() -> Iterator[LocalRunner]:
    """One worker: consecutive candidates share a zygote (and a host, in the fallback)."""
    with LocalRunner(jobs=1, limits=LIMITS) as r:
        yield r


@pytest.fixture
def isolated(runner: LocalRunner) -> None:
    if runner.isolation["mode"] != "bwrap":
        pytest.skip("needs the namespace sandbox (bubblewrap); the fallback does not promise it")


def task(token: str, reference: str = "") -> TaskSpec:
    return TaskSpec(
        task_id=f"HumanEval/{token}",
        dataset="humaneval",
        entry_point="f",
        reference=reference or f"def f(x):\n    # {token}\n    return x + 1\n",
        base_input=([1], [2]),
        plus_input=([3], [-4], [10**6]),
    )


def payload(name: str, **subst: object) -> str:
    code = (HOSTILE / f"{name}.py").read_text()
    for key, value in subst.items():
        code = code.replace("{" + key + "}", str(value))
    return code


def run(r: LocalRunner, spec: TaskSpec, *codes: str) -> list:
    r.prepare([spec])
    jobs = [Job(i, spec.task_id, code) for i, code in enumerate(codes)]
    return sorted(r.run(jobs), key=lambda res: res.job_id)


def correct(res) -> bool:
    ph = res.phases
    return (
        "base" in ph and ph["base"].outcome is Outcome.PASS and ph["plus"].outcome is Outcome.PASS
    )


def leftovers(token: str, key: int | None = None, files: bool = True) -> list[str]:
    """Files, processes and SysV segments a payload marked with `token` left on the host."""
    left = [p for d in SHARED_TMP for p in glob.glob(f"{d}/*{token}*")] if files else []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            if token[:15] in Path(comm).read_text():
                left.append(comm)
        except OSError:
            pass
    if key is not None:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
        left += [r for r in rows if int(r.split()[0]) == key]
    return left


def contained(r: LocalRunner, res, token: str, files: dict[Path, str] | None = None) -> None:
    assert not correct(res), res
    for path, text in (files or {}).items():
        assert path.read_text() == text, f"{path} was changed"
    deadline = time.monotonic() + 5
    while zygote_children(r) and time.monotonic() < deadline:
        time.sleep(0.05)  # a monitor exits right after its report
    assert zygote_children(r) == []
    # the fallback shares the host's temp dirs (docs/SANDBOX.md); processes never survive
    assert leftovers(token, files=r.isolation["mode"] == "bwrap") == []


@pytest.fixture
def token() -> str:
    return "hostile" + secrets.token_hex(6)


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    path = tmp_path / "host.txt"
    path.write_text("keep me")
    return path


# -- forged verdicts -----------------------------------------------------------------------------

FORGERS = [
    "forge_fds",
    "forge_exception_name",
    "rigged_eq_id",
    "rigged_int_subclass",
    "rigged_code_filename",
    "peek_frames",
    "peek_gc",
    "patch_worker_globals",
    "patch_builtins",
    "reference_in_memory",
    "forged_frames",
    "deep_output",
    "timer_off",
    "restart_phase",
]


@pytest.mark.parametrize("name", FORGERS)
def test_forged_verdicts(runner: LocalRunner, name: str, token: str) -> None:
    spec = task(token)
    bad, good = run(runner, spec, payload(name, TOKEN=token), "def f(x):\n    return x + 1\n")
    contained(runner, bad, token)
    assert correct(good)  # the worker and its zygote survived


def test_timer_off_under_the_wall_clock(token: str) -> None:
    """The monitor's per-input cap holds in EvalPlus's wall-clock mode too."""
    with LocalRunner(jobs=1, limits=replace(LIMITS, clock="wall")) as wall:
        (bad,) = run(wall, task(token), payload("timer_off"))
        contained(wall, bad, token)


def test_huge_output_is_a_failure(runner: LocalRunner, token: str) -> None:
    (bad,) = run(runner, task(token), payload("huge_output"))
    contained(runner, bad, token)


def _within(seconds: float, work: Callable[[], _T], r: LocalRunner) -> _T:
    """`work()`, or a failed test once `seconds` have passed (a hang guard, not a timing
    assert): the runner's workers are then killed, so nothing is left running."""
    got: list[_T] = []
    thread = threading.Thread(target=lambda: got.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    if not got:
        for w in r._workers:
            with contextlib.suppress(OSError):
                os.killpg(w.proc.pid, signal.SIGKILL)
        pytest.fail(f"no result within {seconds} s")
    return got[0]


def test_a_hash_bomb_output_fails_its_input(token: str) -> None:
    """A frame holding a set of a million ints with one hash (red team, session 18, A6)
    fails the input; it used to hold the trusted worker for hours."""
    with LocalRunner(jobs=1, limits=LIMITS) as r:
        spec = task(token)
        bad, good = _within(
            300, lambda: run(r, spec, payload("hash_bomb"), "def f(x):\n    return x + 1\n"), r
        )
        assert bad.phases["base"].outcome is Outcome.FAIL and bad.phases["base"].fail_index == 0
        assert correct(good)


# -- reading what it must not --------------------------------------------------------------------


def test_root_only_file(runner: LocalRunner, isolated: None, tmp_path: Path, token: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text(token)
    secret.chmod(0o600)
    (bad,) = run(runner, task(token), payload("read_secret", SECRET_PATH=secret, SECRET=token))
    contained(runner, bad, token, {secret: token})


def test_benchmark_and_project(runner: LocalRunner, isolated: None, token: str) -> None:
    bench = next(iter(sorted(BENCH.glob("*"))), REPO / "pyproject.toml")
    code = payload("read_benchmark", BENCH_PATH=bench, PROJECT=REPO)
    (bad,) = run(runner, task(token), code)
    contained(runner, bad, token)


@pytest.mark.parametrize("name", ["list_root", "capabilities"])
def test_sees_nothing_of_the_host(
    runner: LocalRunner, isolated: None, name: str, token: str
) -> None:
    (bad,) = run(runner, task(token), payload(name))
    contained(runner, bad, token)


@pytest.mark.parametrize("name", ["write_host", "files_outside"])
def test_host_files_untouched(runner: LocalRunner, name: str, token: str, host_file: Path) -> None:
    code = payload(name, TOKEN=token, HOST_FILE=host_file, SENTINEL=host_file)
    (bad,) = run(runner, task(token), code)
    contained(runner, bad, token, {host_file: "keep me"})
    assert sorted(p.name for p in host_file.parent.iterdir()) == [host_file.name]
    assert (
        not (Path(sys.prefix) / token).exists() and not (Path(sys.prefix) / "lib" / token).exists()
    )


# -- state across candidates ---------------------------------------------------------------------


@pytest.mark.parametrize("crash", ["", "forged"])
def test_leaving_before_the_next_phase_fails_it(
    runner: LocalRunner, token: str, crash: str
) -> None:
    """A passed base, then no plus phase: the program's doing, a failure (not `error`),
    even when it writes a crash frame of its own first."""
    (res,) = run(runner, task(token), payload("vanish_before_plus", TOKEN=token, CRASH=crash))
    contained(runner, res, token)
    assert res.phases["base"].outcome is Outcome.PASS
    assert res.phases["plus"].outcome is Outcome.FAIL and res.error is None


def test_no_state_through_temp_dirs(single: LocalRunner, isolated: None, token: str) -> None:
    code = payload("plant_tmp", TOKEN=token)
    first, second = run(single, task(token), code, code)
    contained(single, first, token)
    contained(single, second, token)


def test_no_state_through_the_network_namespace(
    single: LocalRunner, isolated: None, token: str
) -> None:
    code = payload("plant_netns", TOKEN=token)
    first, second = run(single, task(token), code, code)
    contained(single, first, token)
    contained(single, second, token)


def test_no_user_namespace_inside_a_job(runner: LocalRunner, isolated: None, token: str) -> None:
    """A nested user namespace would let a job mount an uncapped tmpfs (red team, s17)."""
    (res,) = run(runner, task(token), payload("nested_userns", TOKEN=token))
    contained(runner, res, token)


def test_no_state_through_sysv_shm(single: LocalRunner, isolated: None, token: str) -> None:
    key = 0x5A000000 + secrets.randbelow(1 << 20)
    code = payload("sysv_shm", KEY=key, KEY6=token[-6:])
    first, second = run(single, task(token), code, code)
    contained(single, first, token)
    contained(single, second, token)
    assert leftovers(token, key) == []


def test_a_job_s_memory_is_capped_as_a_whole(token: str) -> None:
    """1 GiB of memfds (no rlimit counts them) against a 512 MiB job: the memory cgroup of
    its zygote stops it, where the kernel lets the worker make one (`memory_cap_bytes`)."""
    limits = replace(LIMITS, memory_bytes=512 << 20)
    with LocalRunner(jobs=1, limits=limits) as r:
        if not r.isolation["memory_cap_bytes"]:
            pytest.skip("no memory cgroup the worker may make here (docs/SANDBOX.md)")
        assert r.isolation["memory_cap_bytes"] < 1 << 30
        bad, good = run(r, task(token), payload("memfd_hog", TOKEN=token), "def f(x): return x+1")
        contained(r, bad, token)
        assert correct(good)


def test_filling_shm_costs_only_its_own_label(runner: LocalRunner, token: str) -> None:
    bad, good = run(runner, task(token), payload("fill_shm", TOKEN=token), "def f(x): return x+1")
    contained(runner, bad, token)
    assert correct(good)


# -- processes -----------------------------------------------------------------------------------


@pytest.fixture
def host_sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A host process of the sandbox's own uid (nobody when root), which must survive."""
    uid = 65534 if os.geteuid() == 0 else os.getuid()
    proc = subprocess.Popen(["sleep", "60"], user=uid if os.geteuid() == 0 else None)
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("name", ["kill_everything", "ptrace_others"])
def test_cannot_reach_other_processes(
    runner: LocalRunner,
    isolated: None,
    name: str,
    token: str,
    host_sleeper: subprocess.Popen[bytes],
) -> None:
    good = "def f(x):\n    import time\n    time.sleep(0.2)\n    return x + 1\n"
    bad, *goods = run(runner, task(token), payload(name, HOST_PID=host_sleeper.pid), good, good)
    contained(runner, bad, token)
    assert all(correct(g) for g in goods)  # siblings were not signalled
    assert host_sleeper.poll() is None
    status = Path(f"/proc/{host_sleeper.pid}/status").read_text()
    assert "State:\tS" in status or "State:\tR" in status  # not stopped, not traced


def test_setsid_chain_does_not_outlive_the_job(
    runner: LocalRunner, token: str, host_file: Path
) -> None:
    (bad,) = run(runner, task(token), payload("setsid_chain", TOKEN=token, HOST_FILE=host_file))
    time.sleep(0.5)  # a survivor would write again meanwhile
    contained(runner, bad, token, {host_file: "keep me"})


def test_unix_sockets_unreachable(
    runner: LocalRunner, isolated: None, tmp_path: Path, token: str
) -> None:
    path = tmp_path / "s.sock"
    servers = []
    for addr in (str(path), "\0" + token):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(addr)
        s.listen(4)
        s.setblocking(False)
        servers.append(s)
    try:
        (bad,) = run(runner, task(token), payload("unix_socket", SOCK_PATH=path, TOKEN=token))
        for s in servers:
            with pytest.raises(BlockingIOError):
                s.accept()
    finally:
        for s in servers:
            s.close()
    contained(runner, bad, token)


# -- hostile references --------------------------------------------------------------------------


def test_looping_reference_fails_its_task(runner: LocalRunner, token: str) -> None:
    spec = task(token, payload("ref_loop"))
    t0 = time.monotonic()
    gt = runner.prepare([spec])[spec.task_id]
    assert gt.error and "base inputs" in gt.error and "\n" not in gt.error
    assert time.monotonic() - t0 < 3 * LIMITS.max_phase_s + 20
    (res,) = list(runner.run([Job(0, spec.task_id, "def f(x):\n    return x + 1\n")]))
    assert res.error and not correct(res)
    contained(runner, res, token)


def test_escaping_reference_is_contained(runner: LocalRunner, token: str, host_file: Path) -> None:
    spec = task(token, payload("ref_escape", TOKEN=token, HOST_FILE=host_file))
    (res,) = run(runner, spec, "def f(x):\n    return x + 2\n")
    contained(runner, res, token, {host_file: "keep me"})


def test_crashing_reference_fails_its_task(runner: LocalRunner, token: str) -> None:
    spec = task(token, "import os\ndef f(x):\n    os._exit(3)\n")
    gt = runner.prepare([spec])[spec.task_id]
    assert gt.error and "\n" not in gt.error


def test_raising_reference_names_its_phase_once(runner: LocalRunner, token: str) -> None:
    spec = task(token, "def f(x):\n    raise ValueError('no')\n")
    gt = runner.prepare([spec])[spec.task_id]
    assert gt.error == "reference fails on base inputs: ValueError: no"


# -- plain Python semantics (issue 12 item 2) ----------------------------------------------------


def test_no_future_flags_leak_into_candidates(runner: LocalRunner, token: str) -> None:
    """`List` is not imported: CPython evaluates the annotation and raises NameError."""
    annotated = "def f(x: List[int]) -> int:\n    return x + 1\n"
    (res,) = run(runner, task(token), annotated)
    assert res.phases["base"].outcome is Outcome.FAIL
    assert res.phases["base"].note == "load:NameError"
