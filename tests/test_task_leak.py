"""Task-disjoint evaluation: a task-identity leak must not reach the reported numbers.

The fixture: two corpora share every task id; each task has its own false-positive rate
(the same in both corpora) and its own typical code size, and no feature says anything
about which candidate of a task is the false positive. Folds grouped by (corpus, task)
would let the same-task prior (and a model that recognises the task by its size) look
good; folds grouped by task id must show chance.
"""

from __future__ import annotations

import numpy as np
import pytest

from auditor import model as M
from auditor.metrics import score
from auditor.model import families
from auditor.model.baselines import baseline_scores, fit_baselines
from auditor.model.evaluation import evaluate_data
from auditor.model.selection import cross_validate, group_splits

COLUMNS = ("ast.size", "ruff.noise", "rules.noise")


def leaky(corpora: tuple[str, ...] = ("a", "b"), n_tasks: int = 40, per: int = 24, seed: int = 0):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0.02, 0.9, n_tasks)  # task-specific false-positive rate
    size = rng.permutation(n_tasks) * 10.0  # task-specific, unrelated to the rate
    X, y, batches, corpus = [], [], [], []
    for c in corpora:
        for t in range(n_tasks):
            X.append(np.column_stack([size[t] + rng.normal(0, 1, per), rng.normal(size=(per, 2))]))
            y.append((rng.random(per) < rate[t]).astype(int))
            batches += [f"{c}:T{t}"] * per
            corpus += [c] * per
    return M.TrainingData(
        COLUMNS,
        np.vstack(X),
        np.concatenate(y),
        np.array(batches, dtype=object),
        np.array(corpus, dtype=object),
        "test/1",
        "s" * 16,
        {},
    )


def test_the_fixture_leaks_under_corpus_task_folds() -> None:
    """Control: with the old grouping the prior alone scores far above chance, so the
    assertions below could fail if the grouping were still (corpus, task)."""
    data = leaky()
    prior = np.full(len(data.y), np.nan)
    names, batch = np.unique(data.batches, return_inverse=True)
    fold = np.random.default_rng(1).permutation(len(names)) % 4  # folds of corpus:task
    for k in range(4):
        te = fold[batch] == k
        tr = ~te
        fit_b = fit_baselines(data.take(tr))
        prior[te] = baseline_scores(fit_b, data.take(te), "solo")["task_prior"]
    assert np.isfinite(prior).mean() > 0.6  # most test tasks have their twin in training
    assert score(data.y, prior, data.batches).roc_auc > 0.75  # the leak (chance is 0.5)


@pytest.fixture(scope="module")
def report():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 40)
        return cross_validate(leaky(), feature_set="solo", outer=4, inner=2)


def test_folds_are_task_disjoint_across_corpora() -> None:
    data = leaky()
    for tr, te in group_splits(data.task_ids, 4):
        assert not set(data.task_ids[tr]) & set(data.task_ids[te])


def test_same_task_prior_cannot_score_under_task_folds(report) -> None:
    prior = report.baselines["task_prior"]
    assert prior.n_candidates == 0  # no test task was seen in training


def test_model_number_is_not_inflated(report) -> None:
    nested = report.nested
    assert 0.35 < nested.within_task_auc < 0.65
    assert nested.roc_auc < 0.65  # chance, not the leak's ~0.8
    assert nested.within_task_ci is not None
    lo, hi = nested.within_task_ci
    assert lo <= nested.within_task_auc <= hi
    assert nested.n_task_ids == 40  # the bootstrap unit is the task id, not corpus:task
    assert report.to_json()["grouping"] == "task_id"


def test_cross_model_rows_split_seen_and_unseen_tasks() -> None:
    """On a held-out corpus, tasks seen in training let the prior shine; unseen ones don't."""
    train = leaky(("a",))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(families, "HGB_MAX_ITER", 20)
        trained = M.fit(train, families=("logreg",), cv=False, inner=2, sets=("solo",))
    seen = leaky(("b",))  # the same tasks, another corpus
    ev = evaluate_data(trained, seen, importance=0).to_json()
    view = ev["views"]["single_file"]
    assert set(view["by_overlap"]) == {"seen"}
    assert view["baselines"]["task_prior"]["roc_auc"] > 0.75  # the leak, visible as such
    assert view["model"]["within_task_auc"] < 0.7
    other = leaky(("c",), seed=5)
    other = M.TrainingData(
        other.columns,
        other.X,
        other.y,
        np.array([b.replace(":T", ":U") for b in other.batches], dtype=object),
        other.corpus,
        other.schema_version,
        other.schema_hash,
        {},
    )
    ev = evaluate_data(trained, other, importance=0).to_json()
    view = ev["views"]["single_file"]
    assert set(view["by_overlap"]) == {"unseen"}
    assert view["by_overlap"]["unseen"]["baselines"]["task_prior"]["n_candidates"] == 0
