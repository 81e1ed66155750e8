"""Where sandbox work runs: the registry of executors (`local`, `ray`) and the current choice.

`make_runner` builds the sandbox `Runner` of an executor. Code that starts a runner deep in
the pipeline (label, the behaviour prober used by features and check) asks for the *current*
executor, which `use_executor` sets for a block, as joblib's `parallel_config` selects a
backend: the CLI's `--executor/--address` options set it for one command, so no signature
between the command and the sandbox has to carry it.

    with use_executor("ray", address="auto"):
        api.extract(candidates, tasks=tasks)      # behaviour probes run on the cluster
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.errors import UsageError

if TYPE_CHECKING:
    from auditor.sandbox import Runner, SandboxLimits

# auto (RAY_ADDRESS or the cluster started on this machine), ray://HOST:PORT (Ray Client),
# HOST:PORT (the head node's GCS)
_ADDRESS = re.compile(r"auto|ray://[^\s/:]+:\d{1,5}|[^\s/:]+:\d{1,5}")


@dataclass(frozen=True)
class Backend:
    """One executor: how to build its runner and which optional module it needs."""

    name: str
    description: str
    factory: Callable[[str | None, int | None, SandboxLimits | None], Runner]
    requires: str | None = None  # importable module of the optional extra
    extra: str | None = None  # pip extra that installs it


def _local(address: str | None, jobs: int | None, limits: SandboxLimits | None) -> Runner:
    from auditor.sandbox import LocalRunner

    return LocalRunner(jobs, limits)


def _ray(address: str | None, jobs: int | None, limits: SandboxLimits | None) -> Runner:
    from auditor.sandbox.ray_runner import RayRunner

    return RayRunner(address, jobs, limits)


EXECUTORS: Mapping[str, Backend] = {
    b.name: b
    for b in (
        Backend("local", "worker processes on this machine", _local),
        Backend("ray", "Ray tasks on a cluster, one per benchmark task", _ray, "ray", "ray"),
    )
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module stubbed out in sys.modules
        return False


@dataclass(frozen=True)
class Executor:
    """A validated executor choice: a name of EXECUTORS and, for Ray, the cluster address."""

    name: str = "local"
    address: str | None = None

    def __post_init__(self) -> None:
        backend = EXECUTORS.get(self.name)
        if backend is None:
            raise UsageError(f"unknown executor {self.name!r} (known: {', '.join(EXECUTORS)})")
        if self.address is not None:
            if self.name == "local":
                raise UsageError("--address needs --executor ray")
            if not _ADDRESS.fullmatch(self.address):
                raise UsageError(
                    f"bad Ray address {self.address!r} (expected auto, ray://HOST:PORT or HOST:PORT)"
                )
        if backend.requires and not _installed(backend.requires):
            raise UsageError(
                f"--executor {self.name} needs {backend.requires}: "
                f"pip install 'auditor[{backend.extra}]'"
            )

    def runner(self, jobs: int | None = None, limits: SandboxLimits | None = None) -> Runner:
        return EXECUTORS[self.name].factory(self.address, jobs, limits)


LOCAL = Executor()
_current: contextvars.ContextVar[Executor] = contextvars.ContextVar("executor", default=LOCAL)


def current() -> Executor:
    """The executor selected by the innermost `use_executor` (else local)."""
    return _current.get()


def activate(executor: Executor) -> Callable[[], None]:
    """Make `executor` current; returns the function that restores the previous one."""
    token = _current.set(executor)
    return lambda: _current.reset(token)


@contextlib.contextmanager
def use_executor(name: str = "local", address: str | None = None) -> Iterator[Executor]:
    """Run the sandbox work of the block on this executor (validated on entry)."""
    restore = activate(Executor(name, address))
    try:
        yield current()
    finally:
        restore()


def make_runner(
    executor: str | None = None,
    address: str | None = None,
    jobs: int | None = None,
    limits: SandboxLimits | None = None,
) -> Runner:
    """A sandbox runner of the named executor (None: the current one); the caller closes it."""
    chosen = current() if executor is None else Executor(executor, address)
    return chosen.runner(jobs, limits)
