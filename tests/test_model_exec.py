"""The exec feature sets: columns, routing, static tables, metadata, export, the exec cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from auditor import model as M
from auditor.errors import ModelError
from auditor.execution import table as T
from auditor.execution.signals import COLUMNS as EXEC_COLUMNS
from auditor.execution.signals import SOLO_COLUMNS, ExecConfig, peer_score
from auditor.model import families
from auditor.model.context import PROMPT_DRIVEN, context_names, with_batch
from auditor.types import Candidate, FeatureTable, Status, Task

STATIC = ("rules.a", "ruff.b", "radon.c", "rel.d_z", "rel.ref_nodes_ratio")
EXEC = (
    "exec.cluster_share",
    "exec.n_peers",
    "exec.mutant_survival",
    "exec.missed_share",
    "exec.peer_score",  # derived from the others, as `auditor.execution.table` does
)
COLUMNS = (*STATIC, *EXEC)


def synthetic(n_tasks: int = 16, per: int = 12, seed: int = 1) -> M.TrainingData:
    """Static risk as in test_model, plus a strong exec signal (a low cluster share)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"c:T{i}" for i in range(n_tasks)], per).astype(object)
    X = rng.normal(size=(n_tasks * per, len(COLUMNS)))
    share = rng.random(len(X))
    logit = 2.0 * X[:, 0] + 1.5 * X[:, 3] - 4.0 * (share - 0.5) - 0.5
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    X[:, COLUMNS.index("exec.cluster_share")] = share
    X[:, COLUMNS.index("exec.n_peers")] = per - 1
    X[rng.random(X.shape) < 0.05] = np.nan
    survival = X[:, COLUMNS.index("exec.mutant_survival")]
    X[:, COLUMNS.index("exec.peer_score")] = peer_score(
        X[:, COLUMNS.index("exec.cluster_share")], survival
    )
    corpus = np.array(["c"] * len(X), dtype=object)
    return M.TrainingData(
        COLUMNS, X, y, groups, corpus, "test/1", "s" * 16, {"ruff": "0"}, "exec-x", "e" * 16
    )


def static_part(data: M.TrainingData) -> M.TrainingData:
    k = len(STATIC)
    return dataclasses.replace(
        data, columns=STATIC, X=data.X[:, :k], exec_schema_version=None, exec_schema_hash=None
    )


def _fit(data: M.TrainingData) -> M.TrainedModel:
    info = [{"name": "c", "sha256": "d" * 64, "n": len(data.y), "fp": int(data.y.sum())}]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 10)
        return M.fit(data, corpora=info, cv=False, inner=2)


@pytest.fixture(scope="module")
def models() -> tuple[M.TrainedModel, M.TrainedModel]:
    """(trained with exec columns, trained on the same rows without them)."""
    data = synthetic()
    return _fit(data), _fit(static_part(data))


def test_exec_sets_take_the_right_columns() -> None:
    names = context_names(COLUMNS)
    sets = {k: [names[i] for i in v] for k, v in M.feature_sets(names).items()}
    for static in ("task", "peers", "solo"):
        assert not any("exec." in c for c in sets[static])
    assert sets["solo"] == ["rules.a", "ruff.b", "radon.c"]
    assert sets["exec-solo"] == ["rules.a", "ruff.b", "radon.c", *EXEC[2:4]]
    assert sets["exec-peers"] == ["exec.peer_score"]  # the fixed score alone, calibrated
    # exec columns get no task context (no set would read it)
    assert not any(c.startswith("task.") and ".exec." in c for c in names)
    # a static table has no exec sets; an exec table without the fixed score no exec-peers
    assert set(M.feature_sets(context_names(STATIC))) == {"task", "peers", "solo"}
    without = context_names(COLUMNS[:-1])
    assert set(M.feature_sets(without)) == {"task", "peers", "solo", "exec-solo"}


def test_exec_solo_leaves_out_what_the_prompt_drives() -> None:
    names = context_names(("rules.a", "radon.multi", "ruff.E501", "rules.AUD105", *EXEC))
    sets = {k: [names[i] for i in v] for k, v in M.feature_sets(names).items()}
    assert sets["exec-solo"] == ["rules.a", *EXEC[2:4]]
    assert not set(sets["exec-solo"]) & set(PROMPT_DRIVEN)
    # the static sets keep them (measured mixed on `solo`, see context.PROMPT_DRIVEN)
    assert sets["solo"] == ["rules.a", "radon.multi", "ruff.E501", "rules.AUD105"]


def test_exec_solo_is_the_single_candidate_columns() -> None:
    names = context_names(EXEC_COLUMNS)
    sets = M.feature_sets(names)
    got = [names[i] for i in sets["exec-solo"]]
    assert set(got) == {*SOLO_COLUMNS, "exec.prop_violations"} and len(got) == len(set(got))


def test_static_sets_unchanged_by_exec_columns(
    models: tuple[M.TrainedModel, M.TrainedModel],
) -> None:
    with_exec, static = models
    assert set(with_exec.estimators) == {"task", "peers", "solo", "exec-peers", "exec-solo"}
    assert set(static.estimators) == {"task", "peers", "solo"}
    assert with_exec.meta.families.keys() >= static.meta.families.keys()
    data = synthetic()
    Xs = with_batch(data.X[:, : len(STATIC)], data.batches)
    Xe = with_batch(data.X, data.batches)
    for name in ("task", "peers", "solo"):
        np.testing.assert_allclose(
            with_exec.estimators[name].predict_proba(Xe),
            static.estimators[name].predict_proba(Xs),
        )


def _static_table(n: int = 9) -> FeatureTable:
    data = synthetic()
    keys = (("A", "0", ""), *(("B", str(i), "") for i in range(n - 1)))
    X = data.X[:n, : len(STATIC)].copy()
    X[:, STATIC.index("rel.ref_nodes_ratio")] = [1.0] * (n - 1) + [np.nan]  # last: no reference
    return FeatureTable(keys, STATIC, X, "test/1", "s" * 16)


def test_exec_model_scores_a_static_table_as_its_static_sets(
    models: tuple[M.TrainedModel, M.TrainedModel],
) -> None:
    with_exec, static = models
    table = _static_table()
    np.testing.assert_allclose(with_exec.predict_risk(table), static.predict_risk(table))
    assert set(with_exec.routes(table)) <= {"task", "peers", "solo"}


def _exec_table(rows: np.ndarray, static: FeatureTable) -> FeatureTable:
    ex = FeatureTable(static.keys, EXEC, rows, "exec-x", "e" * 16)
    return T.hstack(static, ex)


def test_routing_picks_exec_peers_exec_solo_or_static(
    models: tuple[M.TrainedModel, M.TrainedModel],
) -> None:
    with_exec, static = models
    st = _static_table()
    rows = np.full((9, len(EXEC)), np.nan)
    rows[1:4] = [0.5, 7, 0.2, 0.1, 0.52]  # had peers
    rows[4:6, 2:] = [0.3, 0.0, np.nan]  # solo signals only
    table = _exec_table(rows, st)
    use = with_exec.routes(table)
    assert use.tolist() == [
        "solo", "exec-peers", "exec-peers", "exec-peers", "exec-solo", "exec-solo",
        "task", "task", "peers",  # 5+ rows of the task: reference known, or not
    ]  # fmt: skip
    risk, used = with_exec.predict_routed(table)
    assert used.tolist() == use.tolist()
    X = with_exec.matrix(table)
    Xb = with_batch(X, [k[0] for k in table.keys])
    for name in set(use):
        mask = use == name
        expect = with_exec.estimators[name].predict_proba(Xb)[mask, 1]
        np.testing.assert_allclose(risk[mask], expect)
    # rows without exec signals score as the static model scores them
    np.testing.assert_allclose(risk[6:], static.predict_risk(st)[6:])
    # a missing exec estimator falls back to the static routing
    partial = M.TrainedModel(
        {k: v for k, v in with_exec.estimators.items() if k != "exec-peers"}, with_exec.meta
    )
    assert partial.routes(table).tolist()[1:6] == ["task"] * 3 + ["exec-solo"] * 2
    # a static model ignores the exec columns
    np.testing.assert_allclose(static.predict_risk(table), static.predict_risk(st))


def test_exec_schema_is_checked(models: tuple[M.TrainedModel, M.TrainedModel]) -> None:
    with_exec, _ = models
    st = _static_table()
    other = T.hstack(st, FeatureTable(st.keys, EXEC, np.zeros((9, 4)), "exec-y", "f" * 16))
    with pytest.raises(ModelError, match="execution schema"):
        with_exec.predict_risk(other)


def test_meta_records_both_schemas_and_old_meta_loads(
    models: tuple[M.TrainedModel, M.TrainedModel], tmp_path: Path
) -> None:
    with_exec, static = models
    assert (with_exec.meta.schema_hash, with_exec.meta.exec_schema_hash) == ("s" * 16, "e" * 16)
    assert static.meta.exec_schema_hash is None
    old = static.meta.to_json()
    del old["exec_schema_hash"], old["exec_schema_version"]
    assert M.ModelMeta.from_json(old) == static.meta
    assert M.ModelMeta.from_json(with_exec.meta.to_json()) == with_exec.meta


def test_saved_exec_model_exports_and_matches_sklearn(
    models: tuple[M.TrainedModel, M.TrainedModel], tmp_path: Path
) -> None:
    from auditor.model.context import ContextClassifier

    with_exec, _ = models
    path = tmp_path / "m.skops"
    M.save_model(with_exec, path)
    fast = M.load_model(path, check_schema=False, predict_only=True)
    slow = M.load_model(path, check_schema=False)
    assert all(isinstance(e, ContextClassifier) for e in fast.estimators.values())
    assert set(fast.estimators) == set(with_exec.estimators)
    data = synthetic()
    Xb = with_batch(data.X, data.batches)
    for name in ("exec-peers", "exec-solo"):
        np.testing.assert_allclose(
            fast.estimators[name].predict_proba(Xb),
            with_exec.estimators[name].predict_proba(Xb),
            atol=1e-9,
        )
    rows = np.full((9, len(EXEC)), np.nan)
    rows[1:4] = [0.5, 7, 0.2, 0.1, 0.52]
    rows[4:6, 2:] = [0.3, 0.0, np.nan]
    table = _exec_table(rows, _static_table())
    np.testing.assert_allclose(fast.predict_risk(table), slow.predict_risk(table), atol=1e-9)
    np.testing.assert_allclose(
        fast.predict_risk(_static_table()), with_exec.predict_risk(_static_table()), atol=1e-9
    )


def test_cv_sets_cover_the_exec_sets_with_baselines() -> None:
    data = synthetic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 10)
        model = M.fit(data, families=("logreg",), cv=("exec-peers", "exec-solo"), outer=2, inner=2)
    for name in ("exec-peers", "exec-solo"):
        cv = model.meta.cv[name]
        assert cv["benchmark_only"] is False
        assert set(cv["baselines"]) == {"random", "task_prior", "best_feature"}
    # exec-peers is the fixed score alone, which sees the cluster share's part of the signal
    assert model.meta.cv["exec-peers"]["nested"]["roc_auc"] > 0.6
    with pytest.raises(Exception, match="exec sets need"):
        M.fit(static_part(data), families=("logreg",), cv=("exec-peers",), outer=2, inner=2)


def test_card_lists_the_exec_sets() -> None:
    from auditor.study.card import render_card

    data = synthetic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 10)
        model = M.fit(data, families=("logreg",), cv=("exec-peers", "exec-solo"), outer=2, inner=2)
    text = render_card(model.meta.to_json(), [], [], "auditor train x --execute")
    assert "**a samples file with --tasks (execution among peers)** (`exec-peers` features)" in text
    assert "**one file with --tests** (`exec-solo` features)" in text


def test_stack_keeps_the_exec_schema_and_views_pad_exec_columns() -> None:
    data = synthetic()
    st = _static_table()
    joined = _exec_table(np.zeros((9, len(EXEC))), st)
    assert (joined.schema_hash, joined.exec_schema_hash) == ("s" * 16, "e" * 16)
    labelled = dataclasses.replace(joined, labels=(Status.CORRECT,) * 9)
    stacked = M.stack_tables([("c", labelled)])
    assert stacked.exec_schema_hash == "e" * 16 and stacked.columns == COLUMNS
    padded = static_part(data).with_columns(COLUMNS)
    assert np.isnan(padded.X[:, len(STATIC) :]).all()
    np.testing.assert_array_equal(padded.X[:, : len(STATIC)], static_part(data).X)


# -- the exec cache -----------------------------------------------------------------------------


class Killed(Exception):
    """The run stopping half-way (a kill, a crash)."""


def _fake_block(calls: list[str], fail_on: str | None = None) -> Any:
    def block(run: Any, task: Task, codes: Any, peers: Any, cfg: Any = None) -> Any:
        if task.task_id == fail_on:
            raise Killed
        calls.append(task.task_id)
        out = np.full((len(codes), len(EXEC_COLUMNS)), np.nan)
        out[:, 0] = np.arange(len(codes)) / 10
        return SimpleNamespace(values=out)

    return block


def _cands() -> tuple[list[Candidate], dict[str, Task]]:
    tasks = {t: Task(t, "", "f", "", ([1], [2]), ()) for t in ("A", "B")}
    cands = [
        Candidate(t, str(i), f"def f(x):\n    return x + {i}\n") for t in "AB" for i in range(3)
    ]
    return cands, tasks


def test_exec_cache_hits_resume_and_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cands, tasks = _cands()
    calls: list[str] = []
    # killed in the second task: the first one is kept
    monkeypatch.setattr(T, "task_block", _fake_block(calls, fail_on="B"))
    with pytest.raises(Killed):
        T.exec_table(cands, tasks, [True] * 6, cache_dir=tmp_path)
    assert calls == ["A"]
    monkeypatch.setattr(T, "task_block", _fake_block(calls))
    first = T.exec_table(cands, tasks, [True] * 6, cache_dir=tmp_path)
    assert calls == ["A", "B"]
    again = T.exec_table(cands, tasks, [True] * 6, cache_dir=tmp_path)
    assert calls == ["A", "B"]  # every task from the cache
    np.testing.assert_array_equal(again.values, first.values)
    assert again.column("exec.cluster_share").tolist() == [0, 0.1, 0.2] * 2
    # a changed weak input, candidate list or config misses (that task only)
    moved = {**tasks, "A": dataclasses.replace(tasks["A"], base_input=([1], [3]))}
    T.exec_table(cands, moved, [True] * 6, cache_dir=tmp_path)
    assert calls[2:] == ["A"]
    T.exec_table(cands, tasks, [True, True, False, True, True, True], cache_dir=tmp_path)
    assert calls[3:] == ["A"]
    T.exec_table(cands, tasks, [True] * 6, cache_dir=tmp_path, cfg=ExecConfig(seed=1))
    assert calls[4:] == ["A", "B"]


def test_exec_cache_really_skips_the_sandbox(tmp_path: Path) -> None:
    from auditor.execution import runner

    counted: list[int] = []
    real_close = runner.ExecRunner.close

    def close(self: runner.ExecRunner) -> None:
        counted.append(self.programs_run)
        real_close(self)

    task = Task("toy/inc", "", "inc", "", ([1], [2], [5]), ())
    codes = ["def inc(x):\n    return x + 1\n", "def inc(x):\n    return 1 + x\n"]
    cands = [Candidate("toy/inc", str(i), c) for i, c in enumerate(codes)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner.ExecRunner, "close", close)
        first = T.exec_table(cands, {"toy/inc": task}, [True, True], cache_dir=tmp_path)
        again = T.exec_table(cands, {"toy/inc": task}, [True, True], cache_dir=tmp_path)
    assert counted[0] > 0 and counted[1] == 0
    np.testing.assert_array_equal(again.values, first.values)


# -- the CLI on the toy corpus ------------------------------------------------------------------


def test_train_features_evaluate_execute_on_the_toy_corpus(
    toy_outdir: Path, tmp_path: Path
) -> None:
    import json

    from click.testing import CliRunner

    from auditor import features
    from auditor.cli import cli

    cache = tmp_path / "cache"
    model_path = tmp_path / "toy.skops"
    card = tmp_path / "card.md"
    runner = CliRunner()
    args = ["--family", "logreg", "--folds", "2", "--inner", "2", "--cache-dir", str(cache)]
    res = runner.invoke(
        cli,
        [
            "train",
            str(toy_outdir),
            "-o",
            str(model_path),
            *args,
            "--execute",
            "--as-check",
            "--card",
            str(card),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "execution: task 4/4 (0 from the cache)" in res.stderr
    summary = json.loads(res.stdout)
    assert set(summary["families"]) == {"task", "peers", "solo", "exec-peers", "exec-solo"}
    assert {"exec-peers", "exec-solo"} <= set(summary["cv"])
    assert summary["cv"]["exec-peers"]["nested"]["n_candidates"] == 12
    assert "--execute" in card.read_text() and "`exec-peers` features" in card.read_text()
    model = M.load_model(model_path)
    assert model.meta.exec_schema_hash == T.schema_hash()
    # check --tasks with this model (its numpy export): passers scored by exec-peers
    res = runner.invoke(
        cli,
        ["check", str(TOY / "samples.jsonl"), "--tasks", str(TOY / "benchmark.jsonl"),
         "--model", str(model_path), "--format", "json"],
    )  # fmt: skip
    doc = json.loads(res.stdout)
    passers = [c for c in doc["candidates"] if c["execution"]["verdict"] == "pass"]
    assert len(passers) == 12
    for c in passers:
        ex = c["execution"]
        assert c["risk"] == ex["execution_risk"] is not None
        assert ex["static_risk"] is not None and "static" in ex["signals"]
    # evaluate rebuilds the same table from the cache
    res = runner.invoke(
        cli,
        [
            "evaluate",
            str(model_path),
            str(toy_outdir),
            "--execute",
            "--importance",
            "0",
            "--cache-dir",
            str(cache),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "execution: task 4/4 (4 from the cache)" in res.stderr
    views = json.loads(res.stdout)["views"]
    # the rows as check scores them with execution, beside the static kinds
    assert {"samples_file_with_tasks", "file_with_tests", "single_file", "benchmark"} <= set(views)
    assert views["samples_file_with_tasks"]["model"]["n_candidates"] == 12
    assert not views["file_with_tests"]["benchmark_only"]
    # benchmark-only is the static task set, not the exec routing of the same rows
    assert views["benchmark"]["model"] != views["samples_file_with_tasks"]["model"]
    out = tmp_path / "t.parquet"
    res = runner.invoke(
        cli,
        [
            "features",
            str(toy_outdir),
            "-o",
            str(out),
            "--execute",
            "--no-behavior",
            "--cache-dir",
            str(cache),
        ],
    )
    assert res.exit_code == 0, res.output
    table = features.read_table(out)
    assert table.exec_schema_hash == T.schema_hash()
    share = table.column("exec.cluster_share")
    assert table.labels is not None
    passed = np.array([s in (Status.CORRECT, Status.FALSE_POSITIVE) for s in table.labels])
    assert np.isfinite(share[passed]).all() and np.isnan(share[~passed]).all()
    # without labels there are no weak-test passers to execute: one line, exit 2
    from auditor.cli import main

    rc = main(
        ["features", str(TOY / "samples.jsonl"), "--benchmark", str(TOY / "benchmark.jsonl"),
         "-o", str(tmp_path / "u.csv"), "--execute", "--no-cache"]
    )  # fmt: skip
    assert rc == 2


TOY = Path(__file__).resolve().parents[1] / "corpora" / "toy"


def test_exec_peers_is_the_calibrated_fixed_score() -> None:
    """With the derived `exec.peer_score`, `exec-peers` is that one column, calibrated by a
    logistic map (monotone, so check ranks passers exactly as the score does)."""
    import numpy as np

    from auditor.execution.signals import peer_score
    from auditor.execution.table import TABLE_COLUMNS, rows_table
    from auditor.model.context import context_names, feature_sets
    from auditor.model.selection import set_families

    cols = context_names(("ast.a", "rel.b", *TABLE_COLUMNS))
    sets = feature_sets(cols)
    assert [cols[i] for i in sets["exec-peers"]] == ["exec.peer_score"]
    assert "exec.peer_score" not in [cols[i] for i in sets["exec-solo"]]
    assert set_families("exec-peers", ("hgb",)) == ("logreg",)
    assert set_families("peers", ("hgb",)) == ("hgb",)
    row = {"exec.cluster_share": 0.25, "exec.mutant_survival": 0.5, "exec.slowdown": 2.0}
    table = rows_table([("t", "0", "x"), ("t", "1", "y")], [row, {}])
    got = table.values[:, table.columns.index("exec.peer_score")]
    want = peer_score(np.array([0.25]), np.array([0.5]), np.array([2.0]))[0]
    assert got[0] == want == 1 - 0.25 + 0.1 * 0.5 + 0.02 * 2.0
    assert np.isnan(got[1])  # no peers, no score
