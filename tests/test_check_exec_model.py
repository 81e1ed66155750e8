"""`check --tasks` on the toy corpus scores passers with the model's exec sets when it has
them, with execution's calibrated peer score when it has none (an older model file), and
not at all without a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from auditor import api
from auditor.config import Config
from auditor.execution.signals import COLUMNS as EXEC_COLUMNS
from auditor.execution.table import SCHEMA_VERSION, schema_hash
from auditor.model import MODEL_FORMAT, ModelMeta, TrainedModel

TOY = Path(__file__).resolve().parents[1] / "corpora" / "toy"
RISK = {"task": 0.5, "peers": 0.6, "solo": 0.7, "exec-peers": 0.11, "exec-solo": 0.22}


class Constant:
    """A stand-in estimator: the same probability for every row (which set scored a row
    shows in its risk)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(X), 1 - self.p), np.full(len(X), self.p)])


def _model(sets: tuple[str, ...]) -> TrainedModel:
    from auditor import features

    with_exec = any(s.startswith("exec-") for s in sets)
    meta = ModelMeta(
        format=MODEL_FORMAT,
        schema_version=features.SCHEMA_VERSION,
        schema_hash=features.schema_hash(),
        columns=(*features.columns(), *(EXEC_COLUMNS if with_exec else ())),
        families=dict.fromkeys(sets, "logreg"),
        tool_versions={},
        versions={},
        corpora=(),
        exec_schema_version=SCHEMA_VERSION if with_exec else None,
        exec_schema_hash=schema_hash() if with_exec else None,
    )
    return TrainedModel({s: Constant(RISK[s]) for s in sets}, meta)


def _run(model: TrainedModel | None) -> dict[tuple[str, str], dict]:
    run = api.check(
        [TOY / "samples.jsonl"],
        model=model,
        config=Config(),
        execution=api.Execution(tasks=api.load_tasks(str(TOY / "benchmark.jsonl"))),
    )
    return {(r.task_id, str(r.sample_id)): r for r in run.results}


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    static = ("task", "peers", "solo")
    return {
        "exec": _run(_model((*static, "exec-peers", "exec-solo"))),
        "old": _run(_model(static)),
        "none": _run(None),
    }


def test_passers_get_the_exec_peers_risk_and_failers_none(runs: dict[str, dict]) -> None:
    expected = json.loads((TOY / "expected.json").read_text())
    got = runs["exec"]
    for task, samples in expected.items():
        for sid, status in samples.items():
            r = got[(task, sid)]
            if status == "rejected":
                assert r.risk is None and r.execution.execution_risk is None
                assert "AUD001" in [f.finding.code for f in r.findings]
                continue
            # every toy task has 3 weak-test passers: peers for each other
            assert dict(r.execution.features)["exec.cluster_share"] >= 0
            assert r.risk == r.execution.execution_risk == RISK["exec-peers"]
            assert r.execution.static_risk == RISK["solo"]  # 3 passers < min_peers
            assert "static" in r.execution.signals and "consensus" in r.execution.signals


def test_a_model_without_exec_sets_keeps_the_calibrated_fallback(runs: dict[str, dict]) -> None:
    for r in runs["old"].values():
        if r.execution.verdict != "pass":
            assert r.risk is None and r.execution.execution_risk is None
            continue
        # execution's calibrated peer score, not the static sets'
        assert r.risk == r.execution.execution_risk
        assert r.risk is not None and 0 < r.risk < 1 and r.risk != RISK["exec-peers"]
        assert r.execution.static_risk == RISK["solo"]
        assert "static" not in r.execution.signals


def test_no_model_executes_but_gives_no_risk(runs: dict[str, dict]) -> None:
    """model=None is findings only: AUD001 for the failers, no risk of any kind."""
    for r in runs["none"].values():
        assert r.risk is None and r.execution.execution_risk is None
        failed = r.execution.verdict != "pass"
        assert ("AUD001" in [f.finding.code for f in r.findings]) == failed


def test_exec_solo_scores_one_file_with_tests(tmp_path: Path) -> None:
    code = "def inc(x):\n    if x > 3:\n        return x + 1\n    return x + 1\n"
    (tmp_path / "inc.py").write_text(code)
    tests = tmp_path / "tests_inc.py"
    tests.write_text("from inc import inc\n\ndef test_inc():\n    assert inc(1) == 2\n")
    model = _model(("task", "peers", "solo", "exec-peers", "exec-solo"))
    run = api.check(
        [tmp_path / "inc.py"], model=model, config=Config(), execution=api.Execution(tests=tests)
    )
    (r,) = run.results
    assert r.execution.verdict == "pass"
    assert r.risk == r.execution.execution_risk == RISK["exec-solo"]
    assert r.execution.static_risk == RISK["solo"]
