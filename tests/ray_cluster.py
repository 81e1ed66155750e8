"""A throwaway Ray cluster of several nodes on this machine, for tests and benchmarks.

Each node is a `ray start --block` process in its own process group with its own temp dir;
tearing the cluster down kills those groups (a graceful `ray stop` would drain for 30 s and
stop every Ray cluster on the machine, not just this one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ray_env() -> dict[str, str]:
    """Environment for nodes and drivers: this checkout importable, no auth token to share."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["RAY_AUTH_MODE"] = "disabled"  # a local test cluster; see docs/CLUSTER.md for real ones
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], temp_dir: Path, log: Path, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", *args]
    cmd += ["--temp-dir", str(temp_dir), "--object-store-memory", str(100 << 20)]
    with log.open("wb") as fh:
        return subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def _wait_started(proc: subprocess.Popen, log: Path, deadline: float) -> None:
    while b"Ray runtime started" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"ray start failed (exit {proc.poll()}):\n{tail}")
        time.sleep(0.2)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@dataclass
class Cluster:
    address: str  # the head's HOST:PORT
    nodes: list[subprocess.Popen]  # each node's `ray start`, leader of its process group

    def kill(self, i: int) -> None:
        """Kill node `i` outright: its processes and the Ray workers it started."""
        for pid in _descendants(self.nodes[i].pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _kill(self.nodes[i])

    def running(self, i: int, title: bytes) -> list[int]:
        """Processes of node `i` whose title (Ray: `ray::<function>`) starts with `title`."""
        pids = []
        for pid in _descendants(self.nodes[i].pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(title):
                    pids.append(pid)
        return pids


def _descendants(root: int) -> list[int]:
    """Every process below `root` (Ray workers lead process groups of their own)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


@contextlib.contextmanager
def local_cluster(cpus_per_node: Sequence[int], timeout: float = 180.0) -> Iterator[Cluster]:
    """Start a head node and worker nodes with these CPU counts (yielded once all are up)."""
    env = ray_env()
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # short paths: Ray's unix sockets live under the temp dir (108-byte limit)
    root = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
    procs: list[subprocess.Popen] = []
    deadline = time.monotonic() + timeout
    try:
        # all at once: a worker node keeps trying to reach the head until it is up
        for i, cpus in enumerate(cpus_per_node):
            role = ["--head", "--port", str(port), "--include-dashboard", "false"] if i == 0 else []
            args = [*role, "--node-ip-address", "127.0.0.1", "--num-cpus", str(cpus)]
            if i:
                args += ["--address", address]
            procs.append(_start(args, root / f"n{i}", root / f"node{i}.log", env))
        for i, proc in enumerate(procs):
            _wait_started(proc, root / f"node{i}.log", deadline)
        yield Cluster(address, procs)
    finally:
        for proc in reversed(procs):
            _kill(proc)
        shutil.rmtree(root, ignore_errors=True)


def wait_for_nodes(address: str, n: int, timeout: float = 60.0) -> None:
    """Block until `n` nodes of the cluster are alive (as seen by a fresh driver)."""
    script = (
        "import sys, time, ray\n"
        "ray.init(address=sys.argv[1], logging_level='ERROR')\n"
        "end = time.monotonic() + float(sys.argv[3])\n"
        "while sum(x['Alive'] for x in ray.nodes()) < int(sys.argv[2]):\n"
        "    if time.monotonic() > end: sys.exit(1)\n"
        "    time.sleep(0.2)\n"
    )
    cmd = [sys.executable, "-c", script, address, str(n), str(timeout)]
    subprocess.run(cmd, env=ray_env(), check=True, timeout=timeout + 60)
