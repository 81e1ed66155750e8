"""`check(model=loader)`: features extracted in a child while the model loads give the same run."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import auditor.check as C
from auditor.config import load_config
from auditor.errors import ModelError
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
def run(project: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], C.CheckRun]:
    def go(model: Any, cache: str) -> C.CheckRun:
        monkeypatch.setenv("XDG_CACHE_HOME", str(project / cache))  # a cold cache per run
        return C.check([project], model=model, config=load_config(project), cwd=project)

    return go


Run = Callable[[Any, str], C.CheckRun]


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
    monkeypatch.setattr(C, "_features_child", lambda conn, *args: os._exit(1))
    assert run(FakeModel, "b") == expected


def test_a_failing_loader_raises_and_reaps_the_child(run: Run) -> None:
    def bad() -> Any:
        raise ModelError("broken model")

    loader: Callable[[], Any] = bad
    with pytest.raises(ModelError, match="broken model"):
        run(loader, "a")
    assert multiprocessing.active_children() == []
