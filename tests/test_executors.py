"""The executor registry and the shared `--executor/--address` options (no Ray needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor import executors
from auditor.cli import main
from auditor.errors import UsageError
from auditor.executors import Executor, current, make_runner, use_executor
from auditor.sandbox import LocalRunner

TOY = Path(__file__).resolve().parents[1] / "corpora" / "toy"
COMMANDS = {
    "label": ["label", str(TOY / "samples.jsonl"), "-o", "{tmp}/out"],
    "features": ["features", str(TOY / "samples.jsonl"), "-o", "{tmp}/t.csv"],
    "check": ["check", str(TOY / "samples.jsonl"), "--no-model"],
}


def _argv(command: str, tmp: Path, *extra: str) -> list[str]:
    return [a.format(tmp=tmp) for a in COMMANDS[command]] + list(extra)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ray_without_the_extra_is_one_line_exit_2(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if `auditor[ray]` were not installed
    assert main(_argv(command, tmp_path, "--executor", "ray")) == 2
    err = capsys.readouterr().err
    assert err == "auditor: error: --executor ray needs ray: pip install 'auditor[ray]'\n"
    assert not (tmp_path / "out").exists()  # refused before reading anything
    assert current() == executors.LOCAL


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--address", "auto"], "--address needs --executor ray"),
        (["--executor", "ray", "--address", "http://x:1"], "bad Ray address"),
        (["--executor", "ray", "--address", "host:port"], "bad Ray address"),
    ],
)
def test_bad_address_is_exit_2(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(_argv("label", tmp_path, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditor: error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "address", ["auto", "ray://head:10001", "10.0.0.5:6379", "head.local:6379"]
)
def test_good_addresses(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "_installed", lambda module: True)
    assert Executor("ray", address).address == address


def test_unknown_executor() -> None:
    with pytest.raises(UsageError, match="unknown executor 'dask'"):
        Executor("dask")


def test_use_executor_is_scoped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "_installed", lambda module: True)
    assert current() == executors.LOCAL
    with use_executor("ray", address="auto") as chosen:
        assert current() == chosen == Executor("ray", "auto")
        with use_executor("local"):
            assert current() == executors.LOCAL
        assert current() == chosen
    assert current() == executors.LOCAL


def test_make_runner_local() -> None:
    with make_runner(jobs=1) as runner:  # the current executor: local
        assert isinstance(runner, LocalRunner) and runner.n == 1
    with make_runner("local", jobs=1) as runner:
        assert isinstance(runner, LocalRunner)


@pytest.mark.parametrize("command", ["label", "features"])
def test_cli_runs_sandbox_work_on_the_chosen_executor(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--executor` reaches the runner that label (and features' prober) start, for that
    command only: a later in-process call is local again."""
    seen: list[Executor] = []

    def factory(address: str | None, jobs: int | None, limits: object) -> LocalRunner:
        seen.append(current())
        return LocalRunner(1)

    fake = executors.Backend("ray", "recording stand-in", factory)
    monkeypatch.setitem(executors.EXECUTORS, "ray", fake)  # type: ignore[index]
    bench = ["--benchmark", str(TOY / "benchmark.jsonl")]
    argv = _argv(command, tmp_path, *bench, "--executor", "ray", "--address", "auto")
    if command == "features":
        argv += ["--no-cache"]
    assert main(argv) == 0
    assert seen == [Executor("ray", "auto")]
    assert current() == executors.LOCAL
