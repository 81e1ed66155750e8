"""The exec headline's pure helpers: an AUC row names the task that carries pooled AUC."""

import numpy as np

from tests.benchmarks.exec_headline import auc_row, render


def test_auc_row_names_the_heaviest_task_and_render_prints_it() -> None:
    rng = np.random.default_rng(1)
    tasks = np.repeat([f"t{i}" for i in range(8)], 30)
    y = rng.random(len(tasks)) < 0.25
    s = rng.random(len(tasks)) + 0.6 * y
    y[tasks == "t3"], s[tasks == "t3"] = np.arange(30) < 27, 0.0  # a shared mistake, "safe"
    folds = np.array([int(t[1:]) % 2 for t in tasks])
    row = auc_row(y, s, tasks, tasks, folds)
    assert row["heaviest_task"] == "t3" and row["pooled_without_it"] > row["pooled"] + 0.1
    result = {"rows": len(y), "false_positives": int(y.sum()), "auc": {"toy": {"all": row}},
              "signals": {}, "second_verifier": {}}  # fmt: skip
    assert f"{row['pooled_without_it']:.3f} without t3" in render(result)
    result["unseen_models"] = {"seen": {"toy": {"all": row}}, "unseen": {"toy": {"all": row}}}
    assert render(result).count(f"{row['within']:.3f} [") == 3  # the run, seen, unseen


def test_unseen_models_never_fit_on_the_scored_corpus_or_task(monkeypatch) -> None:
    from sklearn.model_selection import GroupKFold

    from auditor.model.data import TrainingData
    from tests.benchmarks import exec_headline as eh

    corpus = np.repeat(["a", "b", "c"], 20)
    task = np.tile(np.repeat([f"t{i}" for i in range(5)], 4), 3)
    data = TrainingData(("x",), np.zeros((60, 1)), np.arange(60) % 2,
                        np.array([f"{c}:{t}" for c, t in zip(corpus, task, strict=True)]), corpus,
                        "1", "h", {})  # fmt: skip
    fitted = []

    class Model:
        def __init__(self) -> None:
            self.estimators = {n: self for n in eh.SETS}

        def predict_proba(self, X: np.ndarray) -> np.ndarray:
            return np.full((len(X), 2), float(len(fitted)))

    def fake_fit(rows: TrainingData, **_: object) -> Model:
        fitted.append(rows)
        return Model()

    monkeypatch.setattr(eh, "fit", fake_fit)
    monkeypatch.setattr(eh, "feature_sets", lambda _: {"exec-peers": [0]})
    monkeypatch.setattr(eh, "fit_baselines", lambda *a: None)
    names = ("random", "task_prior", "best_feature")
    monkeypatch.setattr(
        eh, "baseline_scores", lambda _b, rows, _s: {n: np.zeros(len(rows.y)) for n in names}
    )
    splits = list(GroupKFold(5).split(data.X, data.y, data.task_ids))
    seen = eh.out_of_fold(data, splits, inner=2)
    assert len(fitted) == 5 and np.isfinite(seen["exec-peers"]).all()
    fitted.clear()
    unseen = eh.out_of_fold(data, splits, inner=2, unseen_models=True)
    assert len(fitted) == 15 and np.isfinite(unseen["exec-peers"]).all()
    for k, rows in enumerate(fitted):  # fit k scored corpus "abc"[k % 3] of fold k // 3
        _, te = splits[k // 3]
        assert "abc"[k % 3] not in set(rows.corpus)
        assert not set(rows.task_ids) & set(data.task_ids[te])
        scored = (unseen["exec-peers"] == k + 1) & (corpus == "abc"[k % 3])
        assert scored.sum() == (corpus[te] == "abc"[k % 3]).sum() > 0
    ids = eh.scored_by(data, eh.fold_ids(len(data.y), splits))
    assert len(set(ids)) == 15 and all(len(set(corpus[ids == i])) == 1 for i in set(ids))
