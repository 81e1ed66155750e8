"""Shared fixtures. Integration tests read ../shared/corpora and skip when it is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPORA = Path(os.environ.get("AUDITOR_SHARED_CORPORA", REPO.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The shared corpora directory (MANIFEST.json, benchmarks/, samples/)."""
    if not (SHARED_CORPORA / "MANIFEST.json").is_file():
        pytest.skip(f"shared corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep tests away from the user's cache and config."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv("AUDITOR_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def toy_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A label OUTDIR for corpora/toy, labels taken from its hand-checked expected.json."""
    from auditor.corpus.benchmarks import load_benchmark
    from auditor.corpus.samples import read_samples
    from auditor.types import Label, Outcome, Status

    toy = REPO / "corpora" / "toy"
    expected = json.loads((toy / "expected.json").read_text())
    tasks = load_benchmark(str(toy / "benchmark.jsonl"))
    out = tmp_path_factory.mktemp("toy-labels")
    rows = []
    for c in read_samples(toy / "samples.jsonl", tasks).candidates:
        status = Status(expected[c.task_id][c.sample_id])
        weak = Outcome.FAIL if status is Status.REJECTED else Outcome.PASS
        strong = Outcome.PASS if status is Status.CORRECT else Outcome.FAIL
        rows.append(Label(c.task_id, c.sample_id, c.sha256, weak, strong, status).to_json())
    (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = {
        "samples": {"file": str(toy / "samples.jsonl"), "data_relpath": None},
        "benchmark": str(toy / "benchmark.jsonl"),
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return out
