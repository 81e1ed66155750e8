"""Running programs on inputs in the sandbox, once per distinct (program, inputs).

`ExecRunner` sends `ProbeJob`s to one `LocalRunner` (one sandboxed child per program running
all its inputs; the runner's workers run jobs in parallel). Identical programs are run once
per call, and results are kept in memory keyed by sha256(program) and a digest of the
inputs and limits, so asking again (e.g. a second guided round on the same inputs, or
`check` run twice in one process) re-runs nothing. Counts say how many programs really ran.
Each input's time (as the program's child measured it; NaN for a timeout) is kept beside
its vector: `times` returns it for programs already run; `cpu` returns the CPU seconds the
kernel accounted to the program's run (its sandbox monitor's report, not the program's).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from auditor.behavior.mutate import input_key
from auditor.types import sha256_text

Vector = tuple[str, ...]
Times = tuple[float, ...]


class _NoOutput:
    """An input without an output value (see `ExecRunner.outputs`)."""

    def __repr__(self) -> str:
        return "NO_OUTPUT"


NO_OUTPUT: Any = _NoOutput()


def _decoded(text: str | None) -> Any:
    """An output's value from the sandbox's value format (bounded, no pickle); NO_OUTPUT
    for none, a malformed one or one that was not plain data."""
    from auditor.sandbox import _codec

    if text is None:
        return NO_OUTPUT
    try:
        value = _codec.loads(text)
    except ValueError:
        return NO_OUTPUT
    return NO_OUTPUT if isinstance(value, _codec.Opaque) else value


@dataclass(frozen=True)
class Limits:
    """Per-input and total time of one program's run (the sandbox's clock), and how many
    timing passes more a quick run makes (`ProbeJob.repeats`: least time per input), and the
    per-input limit once the program has timed out (`ProbeJob.after_timeout_s`; 0: none)."""

    per_input_s: float = 1.0
    total_s: float = 4.0
    repeats: int = 0
    repeat_below_s: float = 0.005
    after_timeout_s: float = 0.0


def inputs_key(dataset: str, task_id: str, entry: str, inputs: Sequence[Any], lim: Limits) -> str:
    head = f"{dataset}|{task_id}|{entry}|{lim.per_input_s}|{lim.total_s}|"
    if lim.repeats:  # keys without repeats stay as they were
        head += f"{lim.repeats}|{lim.repeat_below_s}|"
    if lim.after_timeout_s:
        head += f"after{lim.after_timeout_s}|"
    h = hashlib.sha256(head.encode())
    for inp in inputs:
        h.update(input_key(inp).encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


class ExecRunner:
    """Fingerprint vectors of programs on inputs, cached; a context manager."""

    def __init__(self, jobs: int = 2, runner: Any = None) -> None:
        self.jobs = jobs
        self._runner = runner
        self._own = runner is None
        self._cache: dict[tuple[str, str], Vector | None] = {}
        self._times: dict[tuple[str, str], Times] = {}
        self._cpu: dict[tuple[str, str], float] = {}
        self._values: dict[tuple[str, str], tuple[str | None, ...] | None] = {}
        self.programs_run = 0
        self.seconds_in_sandbox = 0.0

    @property
    def sandbox(self) -> Any:
        """The sandbox runner of the current executor (started on first use)."""
        return self._local()

    def _local(self) -> Any:
        if self._runner is None:
            from auditor.executors import make_runner  # local, or Ray with --executor ray

            self._runner = make_runner(jobs=self.jobs)
        return self._runner

    def run(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        codes: Sequence[str],
        inputs: Sequence[Any],
        limits: Limits | None = None,
    ) -> list[Vector | None]:
        """One vector per code on the same inputs (None: the sandbox could not run it)."""
        return self.run_each(dataset, task_id, entry_point, [(c, inputs) for c in codes], limits)

    def run_each(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        programs: Sequence[tuple[str, Sequence[Any]]],
        limits: Limits | None = None,
    ) -> list[Vector | None]:
        """One vector per (code, its own inputs), all run in one parallel batch."""
        keys = self._keys(dataset, task_id, entry_point, programs, limits)
        self._run(dataset, task_id, entry_point, keys, programs, limits or Limits(), False)
        return [self._cache.get(key) for key in keys]

    def outputs(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        programs: Sequence[tuple[str, Sequence[Any]]],
        limits: Limits | None = None,
    ) -> list[tuple[Any, ...] | None]:
        """Per (code, its own inputs), each input's output (NO_OUTPUT where it raised, timed
        out, was not plain data or was past the sandbox's cap); None when the sandbox could
        not run it. The values crossed the sandbox's value format: plain data only, for
        checks the auditor makes itself on what a program returned."""
        keys = self._keys(dataset, task_id, entry_point, programs, limits)
        self._run(dataset, task_id, entry_point, keys, programs, limits or Limits(), True)
        got = [self._values.get(key) for key in keys]
        return [None if texts is None else tuple(map(_decoded, texts)) for texts in got]

    def _run(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        keys: Sequence[tuple[str, str]],
        programs: Sequence[tuple[str, Sequence[Any]]],
        lim: Limits,
        values: bool,
    ) -> None:
        """Run the programs whose results (with their `values`) are not kept yet."""
        from auditor.sandbox import ProbeJob

        kept = self._values if values else self._cache
        todo: dict[tuple[str, str], tuple[str, Sequence[Any]]] = {}
        for key, prog in zip(keys, programs, strict=True):
            if key not in kept and key not in todo:
                if prog[1]:
                    todo[key] = prog
                else:
                    self._cache[key], self._times[key], self._values[key] = (), (), ()
        if not todo:
            return
        order = list(todo)
        jobs = [
            ProbeJob(k, task_id, dataset, entry_point, code, tuple(inputs), **vars(lim),
                     values=values)
            for k, (code, inputs) in enumerate(todo.values())
        ]  # fmt: skip
        for res in self._local().probe(jobs):
            self._keep(order[res.job_id], res, len(jobs[res.job_id].inputs), values)
        self.programs_run += len(jobs)

    def _keep(self, key: tuple[str, str], res: Any, n: int, values: bool) -> None:
        ok = res.error is None and len(res.fingerprints) == n
        self._cache[key] = tuple(res.fingerprints) if ok else None
        if ok and len(res.times) == n:
            self._times[key] = tuple(res.times)
        if ok and math.isfinite(res.cpu_s):
            self._cpu[key] = res.cpu_s
        if values:
            self._values[key] = tuple(res.values) if ok and len(res.values) == n else None
        self.seconds_in_sandbox += res.runtime_s

    def vectors(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        programs: Sequence[tuple[str, Sequence[Any]]],
        limits: Limits | None = None,
    ) -> list[Vector | None]:
        """Per (code, its own inputs), the fingerprints of its last run on them under these
        limits (after `outputs`, that run's: the values' own fingerprints); None if it was
        not run or the sandbox could not run it. Runs nothing."""
        keys = self._keys(dataset, task_id, entry_point, programs, limits)
        return [self._cache.get(key) for key in keys]

    def times(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        codes: Sequence[str],
        inputs: Sequence[Any],
        limits: Limits | None = None,
    ) -> list[Times | None]:
        """Per code, each input's time from an earlier `run` on the same inputs and limits
        (NaN where it timed out or never reported); None if it was not run, the sandbox
        could not run it, or the backend measured no times. Runs nothing."""
        keys = self._keys(dataset, task_id, entry_point, [(c, inputs) for c in codes], limits)
        return [self._times.get(key) for key in keys]

    def cpu(
        self,
        dataset: str,
        task_id: str,
        entry_point: str,
        codes: Sequence[str],
        inputs: Sequence[Any],
        limits: Limits | None = None,
    ) -> list[float]:
        """Per code, the kernel's CPU seconds for its earlier `run` on the same inputs and
        limits (NaN if not run or not measured). Runs nothing."""
        keys = self._keys(dataset, task_id, entry_point, [(c, inputs) for c in codes], limits)
        return [self._cpu.get(key, math.nan) for key in keys]

    @staticmethod
    def _keys(
        dataset: str,
        task_id: str,
        entry_point: str,
        programs: Sequence[tuple[str, Sequence[Any]]],
        limits: Limits | None,
    ) -> list[tuple[str, str]]:
        lim = limits or Limits()
        return [
            (sha256_text(code), inputs_key(dataset, task_id, entry_point, inputs, lim))
            for code, inputs in programs
        ]

    def close(self) -> None:
        if self._runner is not None and self._own:
            self._runner.close()
        self._runner = None

    def __enter__(self) -> ExecRunner:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
