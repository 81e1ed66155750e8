"""`check(model=loader)`: features extracted in a child while the model loads give the same run."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.context import ForkProcess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import auditor.scoring as S
from auditor.check import check
from auditor.config import load_config
from auditor.errors import ModelError
from auditor.results import CheckRun
from auditor.types import FeatureTable

FILES = {
    "gamed.py": "def count_primes(limit):\n    return {10: 4, 20: 8, 100: 25}[limit]\n",
    "clean.py": "def total(values):\n    out = 0\n    for v in values:\n        out += v\n    return out\n",
    "broken.py": "def f(:\n",
}


class FakeModel:
    """Risk from the feature table itself, so a wrong or misaligned table changes the risks."""

    def predict_risk(self, table: FeatureTable) -> np.ndarray:
        cols = list(table.columns)
        return np.tanh(table.values[:, cols.index("rules.total")] + 0.1)

    def describe(self) -> str:
        return "fake"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.fixture()
def run(project: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], CheckRun]:
    def go(model: Any, cache: str) -> CheckRun:
        monkeypatch.setenv("XDG_CACHE_HOME", str(project / cache))  # a cold cache per run
        return check([project], model=model, config=load_config(project), cwd=project)

    return go


Run = Callable[[Any, str], CheckRun]


def test_loader_gives_the_same_run_as_a_loaded_model(run: Run) -> None:
    loaded = run(FakeModel(), "a")
    lazy = run(FakeModel, "b")
    assert lazy == loaded
    assert lazy.model == "fake"
    risks = {r.path: r.risk for r in lazy.results}
    assert risks["broken.py"] is None
    assert risks["gamed.py"] is not None and risks["clean.py"] is not None
    assert risks["gamed.py"] > risks["clean.py"]  # the table reached the model aligned
    assert any(f.finding.code.startswith("AUD3") for r in lazy.results for f in r.findings)


def test_a_dead_child_falls_back_to_extracting_here(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = run(FakeModel(), "a")
    monkeypatch.setattr(S, "_features_child", lambda conn, *args: os._exit(1))
    assert run(FakeModel, "b") == expected


def test_a_failing_loader_raises_and_reaps_the_child(run: Run) -> None:
    def bad() -> Any:
        raise ModelError("broken model")

    loader: Callable[[], Any] = bad
    with pytest.raises(ModelError, match="broken model"):
        run(loader, "a")
    assert multiprocessing.active_children() == []


def test_a_failing_loader_stops_the_child_and_its_workers(
    project: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(60):  # enough work for the child to start a worker pool
        (project / f"f{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    started: list[int] = []
    start = ForkProcess.start

    def recording_start(self: ForkProcess) -> None:
        start(self)
        started.append(self.pid or 0)

    monkeypatch.setattr(ForkProcess, "start", recording_start)
    pools: list[int] = []

    def slow_bad_loader() -> Any:
        # Until the child's workers exist (at most 20 s), then fail.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not pools:
            time.sleep(0.05)
            pools.extend(p for p in _group_members(started[0]) if p != started[0])
        raise ModelError("broken model")

    with pytest.raises(ModelError):
        run(slow_bad_loader, "a")
    assert pools, "the child never started workers: the test did not test anything"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _group_members(started[0], live=True):
        time.sleep(0.05)
    assert _group_members(started[0], live=True) == []


def _group_members(pgid: int, live: bool = False) -> list[int]:
    """Pids in process group `pgid` (only not-yet-dead ones when `live`), from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and not (live and state in "ZX"):
            out.append(int(stat.parent.name))
    return out


def test_a_sigterm_during_the_fork_ends_the_child_quietly(tmp_path: Path) -> None:
    """The CLI's SIGTERM handler, inherited by the features child, raised inside an at-fork
    callback (random's reseed): Python only printed it, "Exception ignored", on the user's
    stderr, and the child went on to compute every feature (CI s25, `--model FIFO`)."""
    import subprocess
    import sys

    marker = tmp_path / "computed"
    script = (
        "import os, signal, time\n"
        "import auditor.scoring as S\n"
        "from auditor.cli import _terminate\n"
        "signal.signal(signal.SIGTERM, _terminate)\n"
        "os.register_at_fork(after_in_child=lambda: time.sleep(1.0))  # the window, made wide\n"
        f"S._features = lambda *args: open({str(marker)!r}, 'w').close()\n"
        "def bad():\n"
        "    raise RuntimeError('no model')\n"
        "try:\n"
        "    S._features_while_loading([], [], 1, bad)\n"
        "except RuntimeError:\n"
        "    pass\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr
    assert not marker.exists()
