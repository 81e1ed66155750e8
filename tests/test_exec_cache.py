"""`check --tasks --exec-cache DIR`: each task's execution results are kept as it finishes,
so a rerun reports the same without running them again and an interrupted run resumes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import cli, main
from auditor.execution import gate
from auditor.execution.gate import ExecResult
from auditor.execution.signals import ExecConfig
from auditor.execution.task_store import TaskStore, task_key
from auditor.types import Outcome, Task

TASKS = [
    {
        "task_id": "toy/sum_to",
        "prompt": "def sum_to(n):\n",
        "entry_point": "sum_to",
        "canonical_solution": "    return n * (n + 1) // 2\n",
        "base_input": [[3], [5], [10]],
    },
    {
        "task_id": "toy/double",
        "prompt": "def double(x):\n",
        "entry_point": "double",
        "canonical_solution": "    return 2 * x\n",
        "base_input": [[1], [4]],
    },
]
SAMPLES = {
    "toy/sum_to": [
        "def sum_to(n):\n    return n * (n + 1) // 2\n",
        "def sum_to(n):\n    return sum(range(n + 1))\n",
        "def sum_to(n):\n    return {3: 6, 5: 15, 10: 55}.get(n, 0)\n",
        "def sum_to(n):\n    return n\n",
    ],
    "toy/double": [
        "def double(x):\n    return 2 * x\n",
        "def double(x):\n    return x + x\n",
        "def double(x):\n    return {1: 2, 4: 8}[x]\n",
    ],
}


def _files(tmp_path: Path, samples: dict[str, list[str]] = SAMPLES) -> list[str]:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    rows = [{"task_id": t, "solution": c} for t, codes in samples.items() for c in codes]
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [str(path), "--tasks", str(tasks), "--exec-cache", str(tmp_path / "cache")]


def _check(args: list[str]) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(cli, ["check", *args, "--format", "json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {"stderr": res.stderr}


EXECUTE_TASK = gate.execute_task


def _spy(monkeypatch: pytest.MonkeyPatch, fail_on: int | None = None) -> list[str]:
    """Record the tasks `gate` runs; with `fail_on`, Ctrl-C on that (0-based) task."""
    ran: list[str] = []
    real = EXECUTE_TASK

    def execute_task(run: Any, task: Task, codes: Any, **kw: Any) -> list[ExecResult]:
        if len(ran) == fail_on:
            raise KeyboardInterrupt
        ran.append(task.task_id)
        return real(run, task, codes, **kw)

    monkeypatch.setattr(gate, "execute_task", execute_task)
    return ran


def test_a_rerun_reports_the_same_without_running_the_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _files(tmp_path)
    first = _check(args)
    assert first[0] == 1 and len(first[1]["candidates"]) == 7
    ran = _spy(monkeypatch)
    assert _check(args) == first
    assert ran == []


def test_without_the_option_every_run_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _files(tmp_path)[:-2]
    ran = _spy(monkeypatch)
    _check(args)
    _check(args)
    assert ran == ["toy/sum_to", "toy/double"] * 2


def test_an_interrupted_run_resumes_at_the_task_it_stopped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _files(tmp_path)
    ran = _spy(monkeypatch, fail_on=1)
    assert main(["check", *args, "--format", "json"]) == 130  # what Ctrl-C exits with
    assert ran == ["toy/sum_to"]
    ran = _spy(monkeypatch)
    code, doc = _check(args)
    assert ran == ["toy/double"] and code == 1, doc
    assert {c["execution"]["verdict"] for c in doc["candidates"]} == {"pass", "fail"}


def test_a_changed_candidate_reruns_its_own_task_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check(_files(tmp_path))
    changed = {
        **SAMPLES,
        "toy/double": [*SAMPLES["toy/double"][:2], "def double(x):\n    return x\n"],
    }
    ran = _spy(monkeypatch)
    _, doc = _check(_files(tmp_path, changed))
    assert ran == ["toy/double"]
    last = [c for c in doc["candidates"] if c["task_id"] == "toy/double"][-1]
    assert last["execution"]["verdict"] == "fail"


def _task() -> Task:
    t = TASKS[0]
    return Task(t["task_id"], t["prompt"], t["entry_point"], t["canonical_solution"], ((3,),), ())


RESULTS = [
    ExecResult(
        Outcome.PASS,
        "reference",
        "sum_to",
        features={"exec.cluster_share": 0.5, "exec.n_peers": 2.0},
        signals=("weak-tests", "consensus"),
        risk=0.25,
        tampered=("lines",),
    ),
    ExecResult(None, "none", "sum_to"),
    ExecResult(Outcome.TIMEOUT, "reference", "sum_to", signals=("weak-tests",)),
]


def test_stored_results_read_back_equal(tmp_path: Path) -> None:
    codes, cfg = ["a", "b", "c"], ExecConfig()
    with TaskStore(tmp_path) as store:
        assert store.get(_task(), codes, cfg, None) is None
        store.put(_task(), codes, cfg, None, RESULTS)
    with TaskStore(tmp_path) as store:
        assert store.get(_task(), codes, cfg, None) == RESULTS
        assert store.get(_task(), codes, cfg, 5.0) is None  # another budget


def test_a_task_the_sandbox_could_not_run_is_not_kept(tmp_path: Path) -> None:
    error = [*RESULTS[:2], ExecResult(Outcome.ERROR, "reference", "sum_to")]
    with TaskStore(tmp_path) as store:
        store.put(_task(), ["a", "b", "c"], ExecConfig(), None, error)
        assert store.get(_task(), ["a", "b", "c"], ExecConfig(), None) is None


def test_a_damaged_entry_runs_the_task_again(tmp_path: Path) -> None:
    from auditor.execution import task_store

    codes, cfg = ["a", "b", "c"], ExecConfig()
    with TaskStore(tmp_path) as store:
        key = task_key(_task(), codes, cfg, None)
        one = task_store._encode(RESULTS[:1]).aux["results"]
        for rows in ([{"verdict": "pass"}] * 3, one, "x"):
            bad = task_store.Extraction(aux={"results": rows})
            store.cache.put(task_store.EXTRACTOR, task_store.VERSION, {key: bad})
            assert store.get(_task(), codes, cfg, None) is None


@pytest.mark.parametrize(
    "change",
    ["code", "order", "reference", "base_input", "atol", "test", "config", "budget"],
)
def test_the_key_covers_what_the_results_depend_on(change: str) -> None:
    task, codes, cfg, budget = _task(), ["a", "b"], ExecConfig(), None
    before = task_key(task, codes, cfg, budget)
    if change == "code":
        codes = ["a", "b2"]
    elif change == "order":
        codes = ["b", "a"]
    elif change == "reference":
        task = Task(task.task_id, task.prompt, task.entry_point, "    return n\n", ((3,),), ())
    elif change == "base_input":
        task = Task(
            task.task_id, task.prompt, task.entry_point, task.canonical_solution, ((4,),), ()
        )
    elif change == "atol":
        task = Task(
            task.task_id,
            task.prompt,
            task.entry_point,
            task.canonical_solution,
            ((3,),),
            (),
            atol=1e-6,
        )
    elif change == "test":
        task = Task(
            task.task_id, task.prompt, task.entry_point, "", ((3,),), (), test="def check(c): pass"
        )
    elif change == "config":
        cfg = ExecConfig(seed=1)
    else:
        budget = 10.0
    assert task_key(task, codes, cfg, budget) != before


@pytest.mark.parametrize("bad", ["with-tests", "a-file"])
def test_a_bad_exec_cache_is_one_line_exit_2(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _files(tmp_path)
    if bad == "with-tests":
        (tmp_path / "f.py").write_text(SAMPLES["toy/double"][0])
        (tmp_path / "test_f.py").write_text("def test():\n    assert double(1) == 2\n")
        args = [str(tmp_path / "f.py"), "--tests", str(tmp_path / "test_f.py"), *args[-2:]]
    else:
        (tmp_path / "cache").write_text("")
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ("--exec-cache" in err[0] or "cache directory" in err[0]), err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_a_bar_counts_the_tasks_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["check", *_files(tmp_path), "--format", "json:" + str(tmp_path / "o.json")]) == 1
    assert ("2/2" in err.getvalue() and "task" in err.getvalue()) == terminal, err.getvalue()
