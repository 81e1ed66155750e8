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
